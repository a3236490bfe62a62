"""A core ``Reply`` as Telegram HTML messages and an inline keyboard."""

from __future__ import annotations

import html
from functools import lru_cache
from typing import Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core import markup
from bot.core.languages import Lang
from bot.core.views import Button, OpenLink, Reply
from bot.tg.callback_data import pack

MESSAGE_LIMIT: Final = 4096
RENDERED: Final = 1024
"""Replies whose HTML and keyboard are kept: rendering is a pure function of the reply, and the same replies
come back all the time (the knowledge base's answers, the menus; an alert is one message for every
subscriber), so a reply is rendered once, not once per student. About a kilobyte each."""


def keyboard(reply: Reply, lang: Lang | None = None) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return _keyboard(reply.buttons, lang)


@lru_cache(maxsize=RENDERED)
def _keyboard(buttons: tuple[tuple[Button, ...], ...], lang: Lang | None) -> InlineKeyboardMarkup:
    """One markup object shared by every message with these buttons: python-telegram-bot's objects are
    immutable once built."""
    return InlineKeyboardMarkup([[_button(button, lang) for button in row] for row in buttons])


def _button(button: Button, lang: Lang | None) -> InlineKeyboardButton:
    if isinstance(button.action, OpenLink):
        return InlineKeyboardButton(button.label, url=button.action.url)
    return InlineKeyboardButton(button.label, callback_data=pack(button.action, lang))


def html_chunks(reply: Reply, limit: int = MESSAGE_LIMIT) -> list[str]:
    """The reply's HTML, split at line breaks into messages under Telegram's limit.

    Staff markup never spans lines, so a split at a line break never cuts a tag in two. A single line
    longer than a message (never seen in practice) is sent as escaped plain text, cut anywhere but
    inside an HTML entity, so that every message stays valid HTML.
    """
    return list(_html_chunks(reply.text, limit))


@lru_cache(maxsize=RENDERED)
def _html_chunks(text: str, limit: int) -> tuple[str, ...]:
    pieces: list[str] = []
    for line in text.strip().split("\n"):
        rendered = markup.to_html(line) if line.strip() else ""
        if len(rendered) <= limit:
            pieces.append(rendered)
        else:
            pieces.extend(_cut(html.escape(markup.to_plain(line), quote=False), limit))
    chunks: list[str] = []
    current: str | None = None
    for piece in pieces:
        if current is None:
            current = piece
        elif len(current) + 1 + len(piece) <= limit:
            current = f"{current}\n{piece}"
        else:
            chunks.append(current)
            current = piece
    if current is not None:
        chunks.append(current)
    return tuple(chunk.strip("\n") for chunk in chunks if chunk.strip())


def _cut(escaped: str, limit: int) -> list[str]:
    parts: list[str] = []
    while len(escaped) > limit:
        cut = limit
        entity = escaped.rfind("&", 0, cut)
        if entity > escaped.rfind(";", 0, cut):
            cut = entity
        space = escaped.rfind(" ", 0, cut)
        if space > limit // 2:
            cut = space
        parts.append(escaped[:cut])
        escaped = escaped[cut:].lstrip(" ")
    parts.append(escaped)
    return parts
