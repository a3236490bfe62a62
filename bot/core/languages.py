"""The languages the bot speaks and how a language is chosen."""

from __future__ import annotations

from typing import Final, Literal, TypeGuard

Lang = Literal["en", "fr", "nl"]

LANGUAGES: Final[tuple[Lang, ...]] = ("en", "fr", "nl")
DEFAULT_LANG: Final[Lang] = "en"
LANGUAGE_NAMES: Final[dict[Lang, str]] = {"en": "English", "fr": "Français", "nl": "Nederlands"}


def is_lang(value: object) -> TypeGuard[Lang]:
    return value in LANGUAGES


def lang_from_code(code: str | None) -> Lang | None:
    """Map a Telegram/IETF language code ("fr-BE", "nl") to a supported language, if any."""
    if not code:
        return None
    primary = code.split("-", 1)[0].split("_", 1)[0].lower()
    return primary if is_lang(primary) else None


def resolve_lang(*candidates: Lang | None) -> Lang:
    """The first candidate that is set, in order of preference, else English."""
    for candidate in candidates:
        if candidate is not None:
            return candidate
    return DEFAULT_LANG
