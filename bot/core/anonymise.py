"""Take personal details out of a question before it is kept for staff (the question log).

The log is never linked to who asked; this removes what would identify them from the text itself:
e-mail addresses, phone numbers and other long digit runs (national numbers, student numbers),
addresses on the web, and @handles. Names cannot be recognised reliably and are left; the log is kept
for a limited time (QUESTION_RETENTION_DAYS).
"""

from __future__ import annotations

import re
from typing import Final

MAX_LENGTH: Final = 500

_YEAR_RANGE: Final = re.compile(r"(19|20)\d{2}\s*[-/]\s*(19|20)\d{2}")
_PATTERNS: Final = (
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "<email>"),
    (re.compile(r"https?://\S+|www\.\S+|\b(?:t|telegram)\.me/\S+", re.IGNORECASE), "<link>"),
    (re.compile(r"(?<!\w)@\w{3,}"), "<handle>"),
)
# Phone numbers, national register numbers, IBANs' digits: runs of 7 or more digits, with separators inside.
_NUMBER: Final = re.compile(r"\+?\d[\d .\-/]{4,}\d")


def anonymise(text: str, *, placeholders: bool = True) -> str:
    """The text without personal details; ``placeholders`` marks where they were ("<email>"), for staff.

    Without placeholders the details are simply dropped, which is what matching wants: an e-mail address
    or a phone number says nothing about the question.
    """
    cleaned = " ".join(text.split())
    for pattern, replacement in _PATTERNS:
        cleaned = pattern.sub(replacement if placeholders else " ", cleaned)
    cleaned = _NUMBER.sub(lambda m: _number(m.group(0), placeholders), cleaned)
    return " ".join(cleaned.split())[:MAX_LENGTH]


def _number(found: str, placeholders: bool) -> str:
    if _YEAR_RANGE.fullmatch(found.strip()) or sum(ch.isdigit() for ch in found) < 7:
        return found  # "2026-2027", "117 000": not personal
    return "<number>" if placeholders else " "
