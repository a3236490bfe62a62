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

_PATTERNS: Final = (
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "<email>"),
    (re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE), "<link>"),
    (re.compile(r"(?<!\w)@\w{3,}"), "<handle>"),
    # Phone numbers, national register numbers, IBANs' digits: any run of 6+ digits, spaces or separators inside.
    (re.compile(r"\+?\d[\d .\-/]{4,}\d"), "<number>"),
)


def anonymise(text: str) -> str:
    cleaned = " ".join(text.split())
    for pattern, replacement in _PATTERNS:
        cleaned = pattern.sub(replacement, cleaned)
    return cleaned[:MAX_LENGTH]
