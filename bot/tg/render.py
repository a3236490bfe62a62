"""A core ``Reply`` as Telegram HTML messages and an inline keyboard."""

from __future__ import annotations

from typing import Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core import markup
from bot.core.views import Reply
from bot.tg.callback_data import pack

MESSAGE_LIMIT: Final = 4096


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(button.label, callback_data=pack(button.action)) for button in row]
            for row in reply.buttons
        ]
    )


def html_chunks(reply: Reply, limit: int = MESSAGE_LIMIT) -> list[str]:
    """The reply's HTML, split at line breaks into messages under Telegram's limit.

    Staff markup never spans lines, so a split at a line break never cuts a tag in two.
    """
    chunks: list[str] = []
    current = ""
    for line in markup.to_html(reply.text).split("\n"):
        while len(line) > limit:  # a single overlong line: cut it hard, outside any tag we produced
            cut = _safe_cut(line, limit)
            chunks.extend([current, line[:cut]] if current else [line[:cut]])
            current, line = "", line[cut:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        chunks.append(current)
    return [chunk.strip("\n") for chunk in chunks if chunk.strip()]


def _safe_cut(line: str, limit: int) -> int:
    """A cut position at or before ``limit`` that is not inside a tag or an HTML entity."""
    cut = limit
    opening_tag, opening_entity = line.rfind("<", 0, cut), line.rfind("&", 0, cut)
    if opening_tag > line.rfind(">", 0, cut):
        cut = opening_tag
    if opening_entity > line.rfind(";", 0, cut):
        cut = min(cut, opening_entity)
    return max(cut, 1)
