"""UI strings in the user's language, from gettext catalogues (``bot/locales/<lang>/LC_MESSAGES``).

English is the source language: the message id is the English text. The ``.po`` files are read with
Babel at start-up, so no compilation step is needed and a translator edits one plain-text file.
``t(lang, "…")`` and ``N_("…")`` (marks a string translated later) are the extraction keywords:
``pybabel extract -F babel.cfg -k t:2 -k N_ -o messages.pot bot``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Final

from babel.messages.pofile import read_po

from bot.core.languages import Lang

LOCALES_DIR: Final = Path(__file__).resolve().parent.parent / "locales"


@cache
def catalogue(lang: Lang) -> dict[str, str]:
    """msgid -> msgstr for one language; empty for English (the source language) or a missing file."""
    path = LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po"
    if lang == "en" or not path.exists():
        return {}
    with path.open("rb") as handle:
        parsed = read_po(handle, locale=lang)
    return {
        str(message.id): str(message.string)
        for message in parsed
        if message.id and isinstance(message.id, str) and message.string and not message.fuzzy
    }


def t(lang: Lang, message: str, /, **values: object) -> str:
    """The translation of ``message`` (English if none), with ``{placeholders}`` filled in."""
    text = catalogue(lang).get(message, message)
    return text.format(**values) if values else text


def N_(message: str) -> str:  # the conventional gettext name
    """Mark a string for extraction; it is translated where it is used, with ``t``."""
    return message
