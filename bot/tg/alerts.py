"""Telegram handlers for subscriptions, deadlines and the staff's /reload."""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.constants import ChatType

from bot.core import conversation, staff_views
from bot.core.errors import KnowledgeError
from bot.core.languages import Lang
from bot.core.views import Action, ShowDeadlines, ShowSubscriptions, ToggleSubscription, Unsubscribe
from bot.services.staff import StaffService
from bot.services.subscriptions import SubscriptionService
from bot.tg.render import send_reply

log = logging.getLogger(__name__)

SUBSCRIPTION_ACTIONS = (ToggleSubscription, Unsubscribe, ShowDeadlines, ShowSubscriptions)


class AlertHandlers:
    """Parses subscription commands and buttons, asks the subscription service, sends its replies."""

    def __init__(self, subscriptions: SubscriptionService, staff: StaffService, admin_ids: frozenset[int]) -> None:
        self.subscriptions = subscriptions
        self.staff = staff
        self.admin_ids = admin_ids

    async def subscribe(self, message: Message, args: list[str], lang: Lang) -> None:
        """/subscribe [programme]: the toggles, or subscribe at once to the programme named."""
        if await self._private(message, lang):
            reply = await self.subscriptions.subscribe(message.chat.id, args[0] if args else None, lang)
            await send_reply(message, reply, lang)

    async def unsubscribe(self, message: Message, args: list[str], lang: Lang) -> None:
        """/unsubscribe [programme|all]: stop one programme's alerts, or all; without a name, the toggles."""
        reply = await self.subscriptions.unsubscribe(message.chat.id, args[0] if args else None, lang)
        await send_reply(message, reply, lang)

    async def deadlines(self, message: Message, lang: Lang) -> None:
        """/deadlines: open and upcoming application windows, with an "Add to calendar" button."""
        await send_reply(message, self.subscriptions.deadlines(lang), lang)

    async def on_button(self, message: Message, action: Action, lang: Lang) -> None:
        chat_id = message.chat.id
        if isinstance(action, (ToggleSubscription, ShowSubscriptions)) and not await self._private(message, lang):
            return  # alerts are personal: a group is never subscribed, as with /subscribe
        if isinstance(action, ToggleSubscription):
            reply = await self.subscriptions.toggle(chat_id, action.programme_id, lang)
            await send_reply(message, reply, lang, in_place=True)
        elif isinstance(action, ShowSubscriptions):
            await send_reply(message, await self.subscriptions.menu(chat_id, lang), lang, in_place=True)
        elif isinstance(action, Unsubscribe):
            # From an alert: the alert stays; the confirmation comes below it.
            reply = await self.subscriptions.unsubscribe_from_alert(chat_id, action.programme_id, lang)
            await send_reply(message, reply, lang)
        elif isinstance(action, ShowDeadlines):
            if action.calendar:
                content = self.subscriptions.calendar(lang)
                await message.reply_document(content, filename="deadlines.ics", caption=None)
            else:
                await self.deadlines(message, lang)

    async def reload(self, update: Update, lang: Lang) -> bool:
        """/reload (staff only): re-read the knowledge base; on problems, or past the time limit, keep the old
        one and say why: the admin always gets an answer. Returns False for a non-admin, who gets the normal
        unknown-command answer."""
        user = update.effective_user
        message = update.effective_message
        if user is None or message is None or user.id not in self.admin_ids:
            return False
        log.info("admin %s asked for a knowledge reload", user.id)
        outcome = await self.staff.reload()
        if outcome.refused is None:
            await send_reply(message, staff_views.reloaded(outcome.knowledge, lang), lang)
            return True
        if isinstance(outcome.refused, KnowledgeError):
            log.warning("admin %s: reload refused, %d problems", user.id, len(outcome.refused.problems))
        else:
            log.warning("admin %s: reload refused: %s", user.id, outcome.refused)
        await send_reply(message, staff_views.reload_refused(outcome.refused, outcome.knowledge, lang), lang)
        return True

    async def _private(self, message: Message, lang: Lang) -> bool:
        if message.chat.type == ChatType.PRIVATE:
            return True
        await send_reply(message, conversation.private_chat_only(lang), lang)
        return False
