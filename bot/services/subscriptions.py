"""Deadline alerts as a student manages them: the toggles, /subscribe, /unsubscribe, /deadlines and the
calendar file. Free of Telegram; the alert outbox itself is ``bot.services.delivery``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Final

from bot.core import alert_views
from bot.core.calendar_file import calendar_file
from bot.core.engine import Engine
from bot.core.knowledge import KnowledgeBase
from bot.core.languages import Lang
from bot.core.views import Reply
from bot.core.windows import resolve_all
from bot.storage import Storage

ALL: Final = "all"
"""``/unsubscribe all``: every programme at once."""
NAME_SHOWN: Final = 32
"""At most this many characters of an unknown programme name are repeated back (it is the user's text)."""


class SubscriptionService:
    """Subscriptions of one chat to programmes' alerts, and the windows they are about."""

    def __init__(
        self,
        engine: Engine,
        storage: Storage,
        *,
        zone: tzinfo,
        clock: Callable[[], datetime],
        page_watched: bool = False,
    ) -> None:
        """``zone``: the embassy's, in which dates are shown; ``clock``: the dispatcher's, so that what a student
        reads and the alerts they get agree; ``page_watched``: WATCH_URL is set, which the menu then says."""
        self.engine = engine
        self.storage = storage
        self.zone = zone
        self.clock = clock
        self.page_watched = page_watched

    async def menu(self, chat_id: int, lang: Lang, note: str | None = None) -> Reply:
        """The toggles, one per programme, with ``note`` (what just changed) above them."""
        return await self._menu(self.engine.snapshot.knowledge, chat_id, lang, note)

    async def subscribe(self, chat_id: int, name: str | None, lang: Lang) -> Reply:
        """/subscribe [programme]: subscribe at once to the programme named, then the toggles."""
        knowledge = self.engine.snapshot.knowledge
        note = None
        if name:
            programme = name.lower()
            if knowledge.programme(programme) is None:
                note = alert_views.unknown_programme(knowledge, name[:NAME_SHOWN], lang)
            else:
                note = await self._subscribe(knowledge, chat_id, programme, lang)
        return await self._menu(knowledge, chat_id, lang, note)

    async def unsubscribe(self, chat_id: int, name: str | None, lang: Lang) -> Reply:
        """/unsubscribe [programme|all]: stop one programme's alerts, or all; then the toggles."""
        knowledge = self.engine.snapshot.knowledge
        note = None
        programme = name.lower() if name else None
        if programme == ALL:
            await self.storage.unsubscribe(chat_id)
            note = alert_views.unsubscribed_all_note(lang)
        elif programme is not None and knowledge.programme(programme) is not None:
            await self.storage.unsubscribe(chat_id, programme)
            note = alert_views.unsubscribed_note(knowledge, programme, lang)
        elif name:
            note = alert_views.unknown_programme(knowledge, name[:NAME_SHOWN], lang)
        return await self._menu(knowledge, chat_id, lang, note)

    async def toggle(self, chat_id: int, programme_id: str, lang: Lang) -> Reply:
        """A programme's toggle: subscribed, it unsubscribes; else it subscribes."""
        knowledge = self.engine.snapshot.knowledge
        if knowledge.programme(programme_id) is None:  # a button from before a reload removed the programme
            note = alert_views.unknown_programme(knowledge, programme_id, lang)
        elif programme_id in await self.storage.subscriptions(chat_id):
            await self.storage.unsubscribe(chat_id, programme_id)
            note = alert_views.unsubscribed_note(knowledge, programme_id, lang)
        else:
            note = await self._subscribe(knowledge, chat_id, programme_id, lang)
        return await self._menu(knowledge, chat_id, lang, note)

    async def unsubscribe_from_alert(self, chat_id: int, programme_id: str, lang: Lang) -> Reply:
        """An alert's "Unsubscribe" button: that programme's alerts stop."""
        knowledge = self.engine.snapshot.knowledge
        await self.storage.unsubscribe(chat_id, programme_id)
        return await self._menu(knowledge, chat_id, lang, alert_views.unsubscribed_note(knowledge, programme_id, lang))

    def deadlines(self, lang: Lang) -> Reply:
        """/deadlines: open and upcoming application windows."""
        knowledge = self.engine.snapshot.knowledge
        windows = resolve_all(knowledge.windows, self.zone)
        return alert_views.deadlines(knowledge, windows, self.zone, self.clock(), lang, page_watched=self.page_watched)

    def calendar(self, lang: Lang) -> bytes:
        """The open and upcoming windows as an iCalendar file."""
        knowledge = self.engine.snapshot.knowledge
        return calendar_file(knowledge, resolve_all(knowledge.windows, self.zone), self.zone, self.clock(), lang)

    async def _menu(self, knowledge: KnowledgeBase, chat_id: int, lang: Lang, note: str | None) -> Reply:
        subscribed = await self.storage.subscriptions(chat_id)
        return alert_views.subscriptions_menu(knowledge, subscribed, lang, note, page_watched=self.page_watched)

    async def _subscribe(self, knowledge: KnowledgeBase, chat_id: int, programme_id: str, lang: Lang) -> str:
        await self.storage.subscribe(chat_id, programme_id, lang)  # alerts go out in this language
        windows = resolve_all(knowledge.windows, self.zone)
        return alert_views.subscribed_note(knowledge, programme_id, windows, self.zone, self.clock(), lang)
