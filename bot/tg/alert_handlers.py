"""Telegram handlers for subscriptions, deadlines and the staff's /reload."""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.core import alert_views, conversation
from bot.core.calendar_file import calendar_file
from bot.core.errors import KnowledgeError, ReloadInProgress, ReloadTimeout
from bot.core.knowledge import KnowledgeBase
from bot.core.languages import Lang
from bot.core.views import Action, Reply, ShowDeadlines, ShowSubscriptions, ToggleSubscription, Unsubscribe
from bot.delivery import AlertDispatcher
from bot.storage import Storage
from bot.tg.render import send_reply

log = logging.getLogger(__name__)

SUBSCRIPTION_ACTIONS = (ToggleSubscription, Unsubscribe, ShowDeadlines, ShowSubscriptions)


class AlertHandlers:
    def __init__(
        self,
        dispatcher: AlertDispatcher,
        storage: Storage,
        admin_ids: frozenset[int],
        on_reload: Callable[[], Awaitable[None]],
        *,
        page_watched: bool = False,
        reload_timeout: float = 30.0,
    ) -> None:
        """``reload_timeout``: RELOAD_TIMEOUT_SECONDS, after which /reload keeps the old knowledge and says so."""
        self.reload_timeout = reload_timeout
        self.dispatcher = dispatcher
        self.storage = storage
        self.admin_ids = admin_ids
        self.on_reload = on_reload
        # Whether the embassy's page is watched (WATCH_URL set): the menu and /deadlines then say so.
        self.page_watched = page_watched

    @property
    def knowledge(self) -> KnowledgeBase:
        return self.dispatcher.engine.snapshot.knowledge

    async def subscribe(self, message: Message, args: list[str], lang: Lang) -> None:
        """/subscribe [programme]: the toggles, or subscribe at once to the programme named."""
        if not await self._private(message, lang):
            return
        chat_id = message.chat.id
        note = None
        if args:
            programme = args[0].lower()
            if self.knowledge.programme(programme) is None:
                note = alert_views.unknown_programme(self.knowledge, args[0][:32], lang)
            else:
                note = await self._subscribe(chat_id, programme, lang)
        subscribed = await self.storage.subscriptions(chat_id)
        await send_reply(message, self._menu(subscribed, lang, note), lang)

    async def unsubscribe(self, message: Message, args: list[str], lang: Lang) -> None:
        """/unsubscribe [programme|all]: stop one programme's alerts, or all; without a name, the toggles."""
        chat_id = message.chat.id
        note = None
        if args and args[0].lower() == "all":
            await self.storage.unsubscribe(chat_id)
            note = alert_views.unsubscribed_all_note(lang)
        elif args and self.knowledge.programme(args[0].lower()) is not None:
            await self.storage.unsubscribe(chat_id, args[0].lower())
            note = alert_views.unsubscribed_note(self.knowledge, args[0].lower(), lang)
        elif args:
            note = alert_views.unknown_programme(self.knowledge, args[0][:32], lang)
        subscribed = await self.storage.subscriptions(chat_id)
        await send_reply(message, self._menu(subscribed, lang, note), lang)

    async def deadlines(self, message: Message, lang: Lang) -> None:
        """/deadlines: open and upcoming application windows, with an "Add to calendar" button."""
        reply = alert_views.deadlines(
            self.knowledge,
            self.dispatcher.windows(),
            self.dispatcher.zone,
            self.dispatcher.clock(),
            lang,
            page_watched=self.page_watched,
        )
        await send_reply(message, reply, lang)

    async def on_button(self, message: Message, action: Action, lang: Lang) -> None:
        chat_id = message.chat.id
        if isinstance(action, (ToggleSubscription, ShowSubscriptions)) and not await self._private(message, lang):
            return  # alerts are personal: a group is never subscribed, as with /subscribe
        if isinstance(action, ToggleSubscription):
            if self.knowledge.programme(action.programme_id) is None:
                note = alert_views.unknown_programme(self.knowledge, action.programme_id, lang)
            elif action.programme_id in await self.storage.subscriptions(chat_id):
                await self.storage.unsubscribe(chat_id, action.programme_id)
                note = alert_views.unsubscribed_note(self.knowledge, action.programme_id, lang)
            else:
                note = await self._subscribe(chat_id, action.programme_id, lang)
            subscribed = await self.storage.subscriptions(chat_id)
            await send_reply(message, self._menu(subscribed, lang, note), lang, in_place=True)
        elif isinstance(action, ShowSubscriptions):
            subscribed = await self.storage.subscriptions(chat_id)
            await send_reply(message, self._menu(subscribed, lang), lang, in_place=True)
        elif isinstance(action, Unsubscribe):
            # From an alert: the alert stays; the confirmation comes below it.
            await self.storage.unsubscribe(chat_id, action.programme_id)
            subscribed = await self.storage.subscriptions(chat_id)
            note = alert_views.unsubscribed_note(self.knowledge, action.programme_id, lang)
            await send_reply(message, self._menu(subscribed, lang, note), lang)
        elif isinstance(action, ShowDeadlines):
            if action.calendar:
                now = self.dispatcher.clock()
                content = calendar_file(self.knowledge, self.dispatcher.windows(), self.dispatcher.zone, now, lang)
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

    def _menu(self, subscribed: list[str], lang: Lang, note: str | None = None) -> Reply:
        return alert_views.subscriptions_menu(self.knowledge, subscribed, lang, note, page_watched=self.page_watched)

    async def _subscribe(self, chat_id: int, programme_id: str, lang: Lang) -> str:
        await self.storage.subscribe(chat_id, programme_id, lang)  # alerts go out in this language
        return alert_views.subscribed_note(
            self.knowledge, programme_id, self.dispatcher.windows(), self.dispatcher.zone, self.dispatcher.clock(), lang
        )

    async def _private(self, message: Message, lang: Lang) -> bool:
        if message.chat.type == ChatType.PRIVATE:
            return True
        await send_reply(message, conversation.private_chat_only(lang), lang)
        return False
