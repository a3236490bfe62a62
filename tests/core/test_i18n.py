"""The French and Dutch catalogues: complete, consistent with the code, and read correctly by ``t``."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from string import Formatter

import pytest
from babel.messages.extract import extract_from_dir

import bot
from bot.app import COMMANDS
from bot.core.i18n import catalogue, t
from bot.core.languages import LANGUAGES, Lang

BOT_DIR = Path(bot.__file__).resolve().parent
TRANSLATED: tuple[Lang, ...] = tuple(lang for lang in LANGUAGES if lang != "en")
KEYWORDS = {"t": (2,), "N_": None}  # the same keywords as `pybabel extract -k t:2 -k N_`


@cache
def extracted() -> dict[str, str]:
    """Every message id marked in the bot's code, with the file and line that marks it first."""
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        BOT_DIR, method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        msgid = message if isinstance(message, str) else message[0]
        found.setdefault(msgid, f"bot/{filename}:{lineno}")
    return found


def placeholders(text: str) -> set[str]:
    """The names of the ``{placeholders}`` in a format string."""
    return {name for _literal, name, _spec, _conversion in Formatter().parse(text) if name is not None}


def test_extraction_finds_the_known_messages() -> None:
    """The in-process extraction sees the code's messages, so the other tests are not vacuously true."""
    messages = extracted()
    assert "Main menu" in messages
    assert "Source: {source} ({as_of})" in messages


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_is_translated(lang: Lang) -> None:
    """Every message marked in the code has a non-empty, non-fuzzy translation in the catalogue."""
    translations = catalogue(lang)
    missing = [f"{where}: {msgid!r}" for msgid, where in extracted().items() if not translations.get(msgid, "").strip()]
    assert not missing, (
        f"untranslated in bot/locales/{lang}/LC_MESSAGES/messages.po (see bot/locales/README.md):\n"
        + "\n".join(missing)
    )


@pytest.mark.parametrize("lang", TRANSLATED)
def test_placeholders_match_the_english(lang: Lang) -> None:
    """Each translation has exactly the placeholders of its English message id."""
    wrong = {
        msgid: (sorted(placeholders(msgid)), sorted(placeholders(text)))
        for msgid, text in catalogue(lang).items()
        if placeholders(text) != placeholders(msgid)
    }
    assert wrong == {}


@pytest.mark.parametrize("lang", TRANSLATED)
def test_command_descriptions_fit_telegram(lang: Lang) -> None:
    """Telegram accepts each translated command description (3 to 256 characters)."""
    for _name, description in COMMANDS:
        assert 3 <= len(t(lang, description)) <= 256, description


@pytest.mark.parametrize(("lang", "expected"), [("fr", "Menu principal"), ("nl", "Hoofdmenu")])
def test_t_returns_the_translation(lang: Lang, expected: str) -> None:
    """``t`` returns the catalogue's text for a translated message."""
    assert t(lang, "Main menu") == expected


@pytest.mark.parametrize("lang", TRANSLATED)
def test_t_fills_placeholders_in_the_translation(lang: Lang) -> None:
    """``t`` fills the placeholders of the translated text, not of the English one."""
    msgid = next(m for m in catalogue(lang) if "{programmes}" in m)
    text = t(lang, msgid, programmes="MIRAI, JET")
    assert text == catalogue(lang)[msgid].format(programmes="MIRAI, JET")
    assert "MIRAI, JET" in text
    assert text != msgid.format(programmes="MIRAI, JET")


@pytest.mark.parametrize("lang", TRANSLATED)
def test_unknown_message_falls_back_to_english(lang: Lang) -> None:
    """A message missing from the catalogue is shown in English, placeholders filled."""
    assert t(lang, "Nobody has translated this yet.") == "Nobody has translated this yet."
    assert t(lang, "Hello {name}!", name="Aiko") == "Hello Aiko!"


def test_english_is_the_message_id() -> None:
    """In English, ``t`` returns the message id itself, with placeholders filled."""
    for msgid in extracted():
        if not placeholders(msgid):
            assert t("en", msgid) == msgid
    assert t("en", "Source: {source} ({as_of})", source="MOFA", as_of="2024") == "Source: MOFA (2024)"
