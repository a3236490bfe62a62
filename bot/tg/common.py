"""What every feature's handlers share: the user's language and pace, the private-chat rule, unknown commands
and the error handler."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

from telegram import CallbackQuery, Update, User
from telegram.constants import ChatType
from telegram.error import RetryAfter
from telegram.ext import BaseHandler, CommandHandler, ContextTypes, MessageHandler, filters

from bot.core import conversation
from bot.core.flood import FloodGuard, Verdict, slow_down
from bot.core.languages import Lang, lang_from_code, resolve_lang
from bot.core.views import Action
from bot.logs import in_context
from bot.services.account import AccountService
from bot.storage import StorageError
from bot.tg import callback_data
from bot.tg.rate_limit import PacedRateLimiter
from bot.tg.render import send

log = logging.getLogger(__name__)

Callback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]
Handler = BaseHandler[Update, ContextTypes.DEFAULT_TYPE, Any]

NEW_MESSAGES = filters.UpdateType.MESSAGE  # edits and channel posts are not questions or commands


@dataclass(slots=True)
class Users:
    """The person behind an update: the language to answer in, and whether they write faster than the bot
    answers (one flood guard for every feature, so a burst is counted across commands and questions)."""

    account: AccountService
    flood: FloodGuard = field(default_factory=FloodGuard)

    async def lang(self, update: Update) -> Lang:
        """The user's explicit choice, else their Telegram app's language, else English."""
        chosen = await self.chosen(update)
        return chosen or telegram_lang(update.effective_user)

    async def tapped(self, update: Update) -> tuple[CallbackQuery, Action | None, Lang] | None:
        """A button tap: its query, the action its data packs (None if stale or forged), and the language to
        answer in: the one the button's message was written in, else the user's."""
        query = update.callback_query
        if query is None:
            return None
        action, button_lang = callback_data.unpack_with_lang(query.data)
        return query, action, button_lang or await self.lang(update)

    async def chosen(self, update: Update) -> Lang | None:
        """The language chosen with /language; only a private chat has one (a group's members differ)."""
        chat = update.effective_chat
        if chat is None or chat.type != ChatType.PRIVATE:
            return None
        try:
            return await self.account.seen(chat.id)
        except StorageError:  # the database being away must not stop the bot from answering
            log.warning("could not read a language choice; using the message's language", exc_info=True)
            return None

    async def flooding(self, update: Update, lang: Lang | None = None) -> bool:
        """Whether to leave this message unanswered: its sender is past the burst (the first time they hear
        when the bot will answer again; after that, silence until then)."""
        user, message = update.effective_user, update.effective_message
        if user is None or message is None:
            return False
        decision = self.flood.check(user.id, time.monotonic())
        if decision.verdict is Verdict.ANSWER:
            return False
        if decision.verdict is Verdict.SLOW_DOWN:
            log.info("a user sends faster than the bot answers: their messages wait %d s", decision.seconds_left)
            await send(message, slow_down(decision.seconds_left, lang or await self.lang(update)))
        return True


def telegram_lang(user: User | None) -> Lang:
    return resolve_lang(lang_from_code(user.language_code if user else None))


def private_commands(users: Users, commands: Mapping[str, Callback]) -> list[Handler]:
    """Commands that act for one student (a choice, an erasure, a subscription): in a group they would be the
    group's, so there the same commands get one reply, asking to be written to privately."""

    async def private_only(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message is not None:
            await send(update.effective_message, conversation.private_chat_only(await users.lang(update)))

    private = NEW_MESSAGES & filters.ChatType.PRIVATE
    handlers: list[Handler] = [
        CommandHandler(name, in_context(callback), filters=private) for name, callback in commands.items()
    ]
    groups = NEW_MESSAGES & filters.ChatType.GROUPS
    handlers.append(CommandHandler(list(commands), in_context(private_only), filters=groups))
    return handlers


def in_private(query: CallbackQuery) -> bool:
    return query.message is not None and query.message.chat.type == ChatType.PRIVATE


async def refused_in_group(query: CallbackQuery, refusal: str) -> bool:
    """A private-only button tapped in a group: answered with a pop-up, so nothing is posted for everyone and
    nobody acts for someone else. Returns whether it was refused."""
    if in_private(query):
        return False
    await query.answer(refusal, show_alert=True)
    return True


async def unknown_command(users: Users, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command the bot does not have (in groups only when addressed to this bot)."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    command = message.text.split(maxsplit=1)[0]
    _, _, target = command.partition("@")
    if message.chat.type != ChatType.PRIVATE and target.lower() != (context.bot.username or "").lower():
        return
    await send(message, conversation.unknown_command(await users.lang(update)))


def unknown_commands(users: Users) -> list[Handler]:
    """Registered after every command handler: whatever command is left is not one of ours."""

    async def unknown(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await unknown_command(users, update, context)

    unknown.__name__ = "unknown_command"  # the handler name log lines carry
    return [MessageHandler(NEW_MESSAGES & filters.COMMAND, in_context(unknown))]


async def error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log every error with its traceback; the user sees no traceback."""
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(context.error, RetryAfter):
        # The limiter waited out every 429 it was allowed to: the reply is lost, so staff must see it.
        chat = update.effective_chat if isinstance(update, Update) else None
        limiter = getattr(context.bot, "rate_limiter", None)
        if isinstance(limiter, PacedRateLimiter):
            limiter.dropped_replies += 1
        log.error(
            "a reply to chat %s was dropped (update %s): Telegram kept answering 429, last asking to wait %s",
            chat.id if chat is not None else "?",
            update_id,
            context.error.retry_after,
        )
        return
    log.error("error while handling update %s", update_id, exc_info=context.error)
