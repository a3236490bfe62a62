"""Sending a core ``Reply`` to Telegram: as new messages, or by editing a message in place."""

from __future__ import annotations

import logging
from typing import Final

from telegram import Message
from telegram.error import BadRequest

from bot.core.languages import Lang
from bot.core.views import Reply
from bot.tg.render import html_chunks, keyboard

log = logging.getLogger(__name__)

#: Telegram's wording when the message under a button can no longer be edited: deleted, or too old.
UNEDITABLE: Final = ("message to edit not found", "message can't be edited")


async def send_reply(message: Message, reply: Reply, lang: Lang | None = None, *, in_place: bool = False) -> None:
    """Answer ``message`` with ``reply``: replace it in place, or reply below it."""
    if in_place:
        await edit(message, reply, lang)
    else:
        await send(message, reply, lang)


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


async def send(message: Message, reply: Reply, lang: Lang | None = None) -> None:
    """Send a reply as one or more HTML messages; the keyboard goes with the last."""
    chunks = html_chunks(reply)
    markup = keyboard(reply, lang)
    for index, chunk in enumerate(chunks):
        last = index == len(chunks) - 1
        try:
            await message.reply_text(chunk, reply_markup=markup if last else None)
        except BadRequest as exc:
            if "parse entities" not in str(exc).lower():
                raise
            # Our HTML is generated, so this means a bug; degrade to plain text rather than go silent.
            log.warning("Telegram refused our HTML (%s); sending plain text", exc)
            await message.reply_text(chunk, reply_markup=markup if last else None, parse_mode=None)
