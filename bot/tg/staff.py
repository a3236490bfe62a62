"""Staff commands: /stats, /unanswered, /broadcast and /reload, and the broadcast and page-change
confirmations. Only ADMIN_IDS may use them, only in a private chat; every use is logged."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import Message, Update, User
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.core import conversation, staff_views
from bot.core.errors import KnowledgeError
from bot.core.views import ConfirmBroadcast, ConfirmPageChange
from bot.logs import in_context
from bot.services.staff import StaffService
from bot.tg import callback_data
from bot.tg.common import NEW_MESSAGES, Handler, Users, unknown_command
from bot.tg.rate_limit import PacedRateLimiter
from bot.tg.render import send, send_reply

log = logging.getLogger(__name__)

UNANSWERED_DAYS = 30
STAFF_ACTIONS = (ConfirmBroadcast, ConfirmPageChange)


@dataclass(frozen=True, slots=True)
class Admins:
    """Who staff are: the one check every staff command and button goes through."""

    ids: frozenset[int]

    def __contains__(self, user: object) -> bool:
        return isinstance(user, User) and user.id in self.ids

    def allowed(self, user: User | None, command: str) -> bool:
        """The check, with every use (and every refused try) logged."""
        if user is None or user not in self:
            if user is not None:
                log.info("user %s tried the staff command %s", user.id, command)
            return False
        log.info("admin %s used %s", user.id, command)
        return True


def handlers(staff: StaffService, admins: Admins, users: Users) -> list[Handler]:
    async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/stats, for staff."""
        message = update.effective_message
        if message is None or not admins.allowed(update.effective_user, "/stats"):
            await unknown_command(users, update, context)
            return
        lang = await users.lang(update)
        limiter = getattr(message.get_bot(), "rate_limiter", None)
        dropped = limiter.dropped_replies if isinstance(limiter, PacedRateLimiter) else None
        await send_reply(message, await staff.stats(lang, dropped_replies=dropped), lang)

    async def unanswered(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/unanswered, for staff: the questions the bot could not answer lately."""
        message = update.effective_message
        if message is None or not admins.allowed(update.effective_user, "/unanswered"):
            await unknown_command(users, update, context)
            return
        lang = await users.lang(update)
        groups = await staff.unanswered(UNANSWERED_DAYS, limit=15, most_recent=5000)
        await send_reply(message, staff_views.unanswered(groups, UNANSWERED_DAYS, lang), lang)

    async def broadcast(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`/broadcast PROGRAMME text…`, for staff: a draft with a preview and the number of recipients."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or not admins.allowed(user, "/broadcast"):
            await unknown_command(users, update, context)
            return
        text = message.text or ""
        args = text.split(maxsplit=1)[1] if " " in text.strip() else ""
        # The preview's button carries no language: whoever confirms reads the answer in their own.
        await send_reply(message, await staff.draft_broadcast(args, user.id, await users.lang(update)))

    async def reload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/reload: re-read the knowledge base; on problems, or past the time limit, keep the old one and say
        why: the admin always gets an answer."""
        user, message = update.effective_user, update.effective_message
        if user is None or message is None or user not in admins:
            await unknown_command(users, update, context)
            return
        lang = await users.lang(update)
        log.info("admin %s asked for a knowledge reload", user.id)
        outcome = await staff.reload()
        if outcome.refused is None:
            await send_reply(message, staff_views.reloaded(outcome.knowledge, lang), lang)
            return
        if isinstance(outcome.refused, KnowledgeError):
            log.warning("admin %s: reload refused, %d problems", user.id, len(outcome.refused.problems))
        else:
            log.warning("admin %s: reload refused: %s", user.id, outcome.refused)
        await send_reply(message, staff_views.reload_refused(outcome.refused, outcome.knowledge, lang), lang)

    async def staff_in_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Statistics and students' questions must not be posted in a group: staff are asked to write
        privately, and anyone else gets the unknown-command answer."""
        message, user = update.effective_message, update.effective_user
        if message is not None and user is not None and user in admins:
            log.info("admin %s used a staff command in a group: asked to write privately", user.id)
            await send(message, conversation.private_chat_only(await users.lang(update)))
        else:
            await unknown_command(users, update, context)

    async def staff_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if (tapped := await users.tapped(update)) is None:
            return
        query, action, lang = tapped
        await query.answer()
        user = update.effective_user
        if not isinstance(query.message, Message):
            return
        if isinstance(action, ConfirmBroadcast) and admins.allowed(user, "broadcast confirmation"):
            admin_id = user.id if user is not None else None
            reply = await staff.confirm_broadcast(action.broadcast_id, admin_id, lang)
            await send_reply(query.message, reply, lang)
        elif (
            isinstance(action, ConfirmPageChange)
            and user is not None
            and admins.allowed(user, "page change confirmation")
        ):
            # Staff's "Tell subscribers" under a change of the embassy's page: queue the notice, once.
            reply = await staff.confirm_page_change(action.change_id, user.id, lang)
            await send_reply(query.message, reply, lang)

    commands = {"stats": stats, "unanswered": unanswered, "broadcast": broadcast, "reload": reload}
    private = NEW_MESSAGES & filters.ChatType.PRIVATE
    return [
        *(CommandHandler(name, in_context(callback), filters=private) for name, callback in commands.items()),
        CommandHandler(list(commands), in_context(staff_in_group), filters=NEW_MESSAGES & filters.ChatType.GROUPS),
        CallbackQueryHandler(in_context(staff_button), pattern=is_staff_button),
    ]


def is_staff_button(data: object) -> bool:
    return isinstance(callback_data.unpack(data), STAFF_ACTIONS)
