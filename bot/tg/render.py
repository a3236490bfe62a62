"""A core ``Reply`` on Telegram: rendered as HTML messages and an inline keyboard, and sent.

Every reply goes out through ``send_chunks``: a student's answer (``send``, ``edit``, ``send_reply``) and an
alert (``bot.tg.sender``) alike, so both split the same way, put the keyboard on the last message, and fall
back to plain text when Telegram refuses the HTML.
"""

from __future__ import annotations

import html
import logging
from functools import lru_cache
from typing import Final, Protocol

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest

from bot.core import markup
from bot.core.languages import Lang
from bot.core.views import Button, OpenLink, Reply
from bot.tg.callback_data import pack

log = logging.getLogger(__name__)

MESSAGE_LIMIT: Final = 4096
RENDERED: Final = 1024
"""Replies whose HTML and keyboard are kept: rendering is a pure function of the reply, and the same replies
come back all the time (the knowledge base's answers, the menus; an alert is one message for every
subscriber), so a reply is rendered once, not once per student. About a kilobyte each."""
#: Telegram's wording when the message under a button can no longer be edited: deleted, or too old.
UNEDITABLE: Final = ("message to edit not found", "message can't be edited")


class SendOne(Protocol):
    """Sends one message to wherever the reply goes; ``plain`` turns the HTML parse mode off."""

    async def __call__(self, text: str, markup: InlineKeyboardMarkup | None, *, plain: bool) -> object: ...


async def send_chunks(send_one: SendOne, reply: Reply, lang: Lang | None = None) -> None:
    """Send a reply as one or more HTML messages; the keyboard goes with the last.

    A message whose HTML Telegram refuses is sent again as plain text: our HTML is generated, so a refusal
    means a bug, and a reply without its formatting is better than none. Other errors are the caller's.
    """
    chunks = html_chunks(reply)
    markup = keyboard(reply, lang)
    for index, chunk in enumerate(chunks):
        last_markup = markup if index == len(chunks) - 1 else None
        try:
            await send_one(chunk, last_markup, plain=False)
        except BadRequest as exc:
            if "parse entities" not in str(exc).lower():
                raise
            log.warning("Telegram refused our HTML (%s); sending plain text", exc)
            await send_one(chunk, last_markup, plain=True)


async def send(message: Message, reply: Reply, lang: Lang | None = None) -> None:
    """Reply below ``message``."""

    async def send_one(text: str, markup: InlineKeyboardMarkup | None, *, plain: bool) -> object:
        if plain:
            return await message.reply_text(text, reply_markup=markup, parse_mode=None)
        return await message.reply_text(text, reply_markup=markup)  # the Application's default: HTML

    await send_chunks(send_one, reply, lang)


async def edit(message: Message, reply: Reply, lang: Lang | None = None) -> None:
    """Replace a menu message in place, so browsing does not fill the chat."""
    chunks = html_chunks(reply)
    if len(chunks) != 1:
        await send(message, reply, lang)
        return
    try:
        await message.edit_text(chunks[0], reply_markup=keyboard(reply, lang))
    except BadRequest as exc:
        wording = str(exc).lower()
        if "not modified" in wording:  # a double tap re-sends the same menu: nothing to do
            return
        if not any(reason in wording for reason in UNEDITABLE):
            raise
        # A stale button: its message was deleted (a copy on another device was tapped) or is too old to edit.
        # The answer is what was asked for, so it comes as a new message instead.
        log.info("chat %s: message %s cannot be edited (%s); sending the reply anew", message.chat_id, message.id, exc)
        await send(message, reply, lang)


async def send_reply(message: Message, reply: Reply, lang: Lang | None = None, *, in_place: bool = False) -> None:
    """Answer ``message`` with ``reply``: replace it in place, or reply below it."""
    if in_place:
        await edit(message, reply, lang)
    else:
        await send(message, reply, lang)


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
