"""What every channel does with a student's free-text question before and around matching.

Telegram, the console and ``python -m bot ask``/``eval`` all go through ``match_question``, so a question
gets the same result everywhere and the figures ``eval`` prints are the bot's own.
"""

from __future__ import annotations

import unicodedata

from bot.core.anonymise import anonymise
from bot.core.matching import Matcher, MatchResult


def clean(text: str) -> str:
    """Drop control and format characters (zero-width, bidi) that would confuse matching."""
    if text.isprintable():  # no character of category C (nor a line break or an unusual space): nothing to drop
        return text
    return "".join(ch if unicodedata.category(ch)[0] != "C" or ch in "\n\t" else " " for ch in text)


def match_question(matcher: Matcher, text: str) -> MatchResult:
    """Match a question as a student typed it: without control characters and without personal details
    (an e-mail address or a phone number says nothing about the question)."""
    return matcher.match(anonymise(clean(text), placeholders=False))
