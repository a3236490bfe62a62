"""Telegram handlers for subscriptions, deadlines and the staff's /reload."""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.core import conversation
from bot.core.errors import KnowledgeError, ReloadInProgress, ReloadTimeout
from bot.core.languages import Lang
from bot.core.views import Action, ShowDeadlines, ShowSubscriptions, ToggleSubscription, Unsubscribe
from bot.delivery import AlertDispatcher
from bot.services.subscriptions import SubscriptionService
from bot.tg.render import send_reply

log = logging.getLogger(__name__)

SUBSCRIPTION_ACTIONS = (ToggleSubscription, Unsubscribe, ShowDeadlines, ShowSubscriptions)


class AlertHandlers:
    """Parses subscription commands and buttons, asks the subscription service, sends its replies."""

    def __init__(
        self,
        subscriptions: SubscriptionService,
        dispatcher: AlertDispatcher,
        admin_ids: frozenset[int],
        on_reload: Callable[[], Awaitable[None]],
        *,
        reload_timeout: float = 30.0,
    ) -> None:
        """``reload_timeout``: RELOAD_TIMEOUT_SECONDS, after which /reload keeps the old knowledge and says so."""
        self.subscriptions = subscriptions
        self.reload_timeout = reload_timeout
        self.dispatcher = dispatcher
        self.admin_ids = admin_ids
        self.on_reload = on_reload

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

    async def reload(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
        """/reload (staff only): re-read the knowledge base; on problems, or past the time limit, keep the old
        one and say why: the admin always gets an answer. Returns False for a non-admin, who gets the normal
        unknown-command answer."""
        user = update.effective_user
        message = update.effective_message
        if user is None or message is None or user.id not in self.admin_ids:
            return False
        log.info("admin %s asked for a knowledge reload", user.id)
        engine = self.dispatcher.engine
        try:
            # Off the event loop: reading and checking the files must not hold up the students' answers.
            snapshot = await engine.reload_within(self.reload_timeout)
        except KnowledgeError as exc:
            log.warning("admin %s: reload refused, %d problems", user.id, len(exc.problems))
            report = html.escape(exc.report()[:3500])
            await message.reply_text(f"Reload refused; still serving the previous knowledge base.\n<pre>{report}</pre>")
            return True
        except (ReloadTimeout, ReloadInProgress) as exc:
            log.warning("admin %s: reload refused: %s", user.id, exc)
            version = engine.snapshot.knowledge.version
            if isinstance(exc, ReloadTimeout):
                why = (
                    f"Reload stopped: reading the knowledge base took longer than {exc.seconds:g} s"
                    " (RELOAD_TIMEOUT_SECONDS). Check the files with python -m bot check-knowledge."
                )
            else:
                why = "Reload refused: the previous reload is still reading the knowledge base. Try again later."
            await message.reply_text(f"{why} Still serving the previous knowledge base (version {version}).")
            return True
        await self.on_reload()
        knowledge = snapshot.knowledge
        await message.reply_text(
            f"Reloaded: {len(knowledge.entries)} entries, application windows: {len(knowledge.windows)}, "
            f"version {knowledge.version}. Alerts rescheduled."
        )
        return True

    async def _private(self, message: Message, lang: Lang) -> bool:
        if message.chat.type == ChatType.PRIVATE:
            return True
        await send_reply(message, conversation.private_chat_only(lang), lang)
        return False
