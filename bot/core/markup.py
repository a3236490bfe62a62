"""The small markup staff use in answers, and its rendering to Telegram HTML or plain text.

Staff write plain text with three conventions, all visible in ``knowledge/README.md``:
``**bold**``, lines starting with ``- `` for bullet lists, and links as ``[text](https://…)`` or bare
``https://…`` addresses. Everything else is text: it is escaped, never interpreted, so an answer can
never inject markup into a message.

Text a user typed (a programme name echoed back, a deep-link payload) must not be read as staff markup
either: ``[click](https://evil.example)`` in ``/subscribe`` would otherwise come back as a link. A view wraps
such a part in ``literal()``; ``to_html`` then only escapes it, after converting the markup around it.
"""

from __future__ import annotations

import html
import re
from typing import Final

# Private-use characters around a user's text: no staff writes them, and ``literal`` removes them from the text.
_OPEN: Final = "\ue000"
_CLOSE: Final = "\ue001"
_LITERAL: Final = re.compile(f"{_OPEN}([^{_OPEN}{_CLOSE}]*){_CLOSE}")
# Where a literal part waits while the markup around it is converted.
_HELD: Final = "\ue002"
_END: Final = "\ue003"
_PLACEHOLDER: Final = re.compile(f"{_HELD}(\\d+){_END}")
_LINK: Final = re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)")
# Runs on escaped text: an address stops before an escaped bracket (&lt; &gt;), before closing bold, before a
# closing quotation mark (“https://…” or «https://…») and before a user's literal text.
_BARE_URL: Final = re.compile(r"(?<![\"'=(\w])(https?://(?:(?!&[lg]t;)[^\s<>()\"'*“”‘’«»\ue000-\ue003])+(?<![.,;:!?]))")
_BOLD: Final = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_BULLET: Final = re.compile(r"^[ \t]*[-•*][ \t]+", re.MULTILINE)
_HTML_TAG: Final = re.compile(r"</?(b|i|u|s|a|code|pre|strong|em|br|p|ul|li)\b[^>]*>", re.IGNORECASE)


def literal(text: str) -> str:
    """Mark a user's text as text: ``to_html`` escapes it and never reads it as markup."""
    return f"{_OPEN}{text.replace(_OPEN, '').replace(_CLOSE, '')}{_CLOSE}"


def to_html(text: str) -> str:
    """Render staff markup as Telegram HTML; all other characters, and ``literal`` parts whole, are escaped."""
    literals: list[str] = []

    def hold(match: re.Match[str]) -> str:  # set aside, converted to nothing, put back escaped
        literals.append(html.escape(match.group(1), quote=True))  # quote: it may end up in an href
        return f"{_HELD}{len(literals) - 1}{_END}"

    held = _LITERAL.sub(hold, text.strip()).replace(_OPEN, "").replace(_CLOSE, "")
    return _PLACEHOLDER.sub(lambda m: _put_back(literals, m), _convert(held))


def _put_back(literals: list[str], match: re.Match[str]) -> str:
    index = int(match.group(1))
    return literals[index] if index < len(literals) else ""


def _convert(text: str) -> str:
    escaped = html.escape(text, quote=False)
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
    """Render staff markup as plain text for the console and for logs (``literal`` parts as they are)."""
    literals: list[str] = []

    def hold(match: re.Match[str]) -> str:
        literals.append(match.group(1))
        return f"{_HELD}{len(literals) - 1}{_END}"

    plain = _BULLET.sub("• ", _LITERAL.sub(hold, text.strip()).replace(_OPEN, "").replace(_CLOSE, ""))
    plain = _LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", plain)
    plain = _BOLD.sub(r"\1", plain)
    return _PLACEHOLDER.sub(lambda m: _put_back(literals, m), plain)


def shown(text: str) -> str:
    """The text a reader sees in Telegram: markup gone and a link as its label only (its address is not
    shown), so its length is what a phone screen has to hold."""
    return to_plain(_LINK.sub(lambda m: m.group(1), text))


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
