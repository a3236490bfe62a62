"""The small markup staff use in answers, and its rendering to Telegram HTML or plain text.

Staff write plain text with three conventions, all visible in ``knowledge/README.md``:
``**bold**``, lines starting with ``- `` for bullet lists, and links as ``[text](https://…)`` or bare
``https://…`` addresses. Everything else is text: it is escaped, never interpreted, so an answer can
never inject markup into a message.
"""

from __future__ import annotations

import html
import re
from typing import Final

_LINK: Final = re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)")
# Runs on escaped text: an address stops before an escaped bracket (&lt; &gt;) and before closing bold.
_BARE_URL: Final = re.compile(r"(?<![\"'=(\w])(https?://(?:(?!&[lg]t;)[^\s<>()\"'*])+(?<![.,;:!?]))")
_BOLD: Final = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_BULLET: Final = re.compile(r"^[ \t]*[-•*][ \t]+", re.MULTILINE)
_HTML_TAG: Final = re.compile(r"</?(b|i|u|s|a|code|pre|strong|em|br|p|ul|li)\b[^>]*>", re.IGNORECASE)


def to_html(text: str) -> str:
    """Render staff markup as Telegram HTML; all other characters are escaped."""
    escaped = html.escape(text.strip(), quote=False)
    escaped = _BULLET.sub("• ", escaped)
    parts: list[str] = []
    last = 0
    for match in _LINK.finditer(escaped):
        parts.append(_linkify(escaped[last : match.start()]))
        label, url = match.group(1), html.unescape(match.group(2))
        parts.append(f'<a href="{html.escape(url, quote=True)}">{label}</a>')
        last = match.end()
    parts.append(_linkify(escaped[last:]))
    return _BOLD.sub(r"<b>\1</b>", "".join(parts))


def to_plain(text: str) -> str:
    """Render staff markup as plain text for the console and for logs."""
    plain = _BULLET.sub("• ", text.strip())
    plain = _LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", plain)
    return _BOLD.sub(r"\1", plain)


def problems(text: str) -> list[str]:
    """What is wrong with a text's markup, as messages a staff member can act on."""
    found: list[str] = []
    if _BOLD.sub("", text).count("**"):
        found.append("unbalanced '**': bold text needs '**' on both sides")
    for match in _LINK.finditer(text):
        if not re.match(r"^https?://\S+$", match.group(2)):
            found.append(f"link '{match.group(2)}' must start with http:// or https://")
    tag = _HTML_TAG.search(text)
    if tag:
        found.append(f"HTML tag '{tag.group(0)}' is shown as text; use **bold** and [text](https://…) instead")
    return found


def _linkify(escaped: str) -> str:
    return _BARE_URL.sub(lambda m: f'<a href="{m.group(1)}">{m.group(1)}</a>', escaped)
