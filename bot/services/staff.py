"""Staff tools that more than one channel offers: reloading the knowledge base (/reload and SIGHUP, which
``python -m bot reload`` sends) and the report of unanswered questions (/unanswered and
``python -m bot unanswered``). Free of Telegram; each channel says the outcome in its own way."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Protocol

from bot.core import staff_views
from bot.core.engine import Engine
from bot.core.errors import KnowledgeError, ReloadInProgress, ReloadTimeout
from bot.core.knowledge import KnowledgeBase
from bot.core.languages import Lang
from bot.core.question_log import Outcome
from bot.core.unanswered import Group, group_questions
from bot.core.views import Reply
from bot.storage import Storage

log = logging.getLogger(__name__)

UNANSWERED: Final[tuple[Outcome, ...]] = ("fallback", "suggested")
"""The outcomes staff review: the bot had no answer, or only suggestions."""


class QuestionLog(Protocol):
    """The batched question log (``QuestionWriter``): a report first writes what is still queued, and /stats
    says what it lost."""

    dropped: int
    refused: int

    @property
    def waiting(self) -> int: ...

    async def flush(self) -> object: ...  # whether all was written: a report does not wait on it


@dataclass(frozen=True, slots=True)
class Reloaded:
    """How a reload went. ``knowledge`` is what is served afterwards: the new knowledge base, or on refusal
    the previous one, still served."""

    knowledge: KnowledgeBase
    refused: KnowledgeError | ReloadTimeout | ReloadInProgress | None = None

    @property
    def ok(self) -> bool:
        return self.refused is None


class StaffService:
    """The reload and the unanswered report, one implementation for every channel."""

    def __init__(
        self,
        engine: Engine,
        storage: Storage | None = None,
        *,
        questions: QuestionLog | None = None,
        watch_url: str | None = None,
        reload_timeout: float = 30.0,
        on_reload: Callable[[], None] = lambda: None,
        wake_up: Callable[[], None] = lambda: None,
    ) -> None:
        """``reload_timeout``: RELOAD_TIMEOUT_SECONDS; ``on_reload``: what follows a reload that succeeded
        (the bot reschedules its alert jobs from the new windows); ``storage``: needed only for reports;
        ``watch_url``: the page the watcher checks (None when WATCH_URL is empty); ``wake_up``: makes the
        alert dispatcher send what was just queued (a confirmed announcement) without waiting for its tick."""
        self.engine = engine
        self.storage = storage
        self.questions = questions
        self.watch_url = watch_url
        self.reload_timeout = reload_timeout
        self.on_reload = on_reload
        self.wake_up = wake_up

    async def reload(self) -> Reloaded:
        """Read, check and index the knowledge base again, off the event loop; on problems, or past the time
        limit, the previous one stays served and the outcome says why."""
        try:
            snapshot = await self.engine.reload_within(self.reload_timeout)
        except (KnowledgeError, ReloadTimeout, ReloadInProgress) as exc:
            return Reloaded(self.engine.snapshot.knowledge, exc)
        self.on_reload()
        return Reloaded(snapshot.knowledge)

    async def unanswered(self, days: int, *, limit: int, most_recent: int | None = None) -> list[Group]:
        """What students asked in the last ``days`` days that the bot could not answer, grouped, most asked
        first; ``most_recent``: group only that many of the latest questions (a chat message stays short)."""
        storage = self._storage()
        if self.questions is not None:
            await self.questions.flush()  # count every question asked so far; a failure is logged by the writer
        questions = await storage.recent_questions(days, outcomes=UNANSWERED, limit=most_recent)
        return group_questions(((q.text, q.lang) for q in questions), self.engine.snapshot.matcher, limit=limit)

    async def stats(self, lang: Lang, *, dropped_replies: int | None = None) -> Reply:
        """/stats, counting every question asked so far. ``dropped_replies``: the rate limiter's count, where
        the channel has one."""
        storage = self._storage()
        if self.questions is not None:
            await self.questions.flush()  # a failure is logged by the writer and shown in the counts below
        counts = await storage.stats()
        health = None
        if self.questions is not None:
            q = self.questions
            health = staff_views.QuestionLogHealth(q.dropped, q.refused, q.waiting)
        page_watch = None
        if self.watch_url is not None:
            page = await storage.watched_page(self.watch_url)
            waiting = await storage.unconfirmed_page_changes(self.watch_url) if page is not None else 0
            page_watch = staff_views.PageWatchStatus(self.watch_url, page, waiting)
        return staff_views.stats(
            counts, lang, dropped_replies=dropped_replies, question_log=health, page_watch=page_watch
        )

    async def draft_broadcast(self, args: str, admin_id: int, lang: Lang) -> Reply:
        """`/broadcast PROGRAMME text…`: a draft with a preview and the number of recipients, to confirm; without
        a known programme or a text, how to write it."""
        programme, _, text = args.strip().partition(" ")
        knowledge = self.engine.snapshot.knowledge
        if not programme or not text.strip() or knowledge.programme(programme.lower()) is None:
            return staff_views.broadcast_usage(knowledge, lang)
        storage = self._storage()
        programme = programme.lower()
        draft = await storage.create_broadcast(programme, text.strip(), admin_id)
        recipients = len(await storage.subscribers(programme))
        log.info("admin %s drafted broadcast %d to %s (%d recipients)", admin_id, draft.id, programme, recipients)
        return staff_views.broadcast_preview(programme, draft.text, recipients, draft.id, lang)

    async def confirm_broadcast(self, broadcast_id: int, admin_id: int | None, lang: Lang) -> Reply:
        """ "Send to …" under a preview: queue the announcement for every subscriber, once."""
        queued = await self._storage().confirm_broadcast(broadcast_id)
        if queued:
            log.info("admin %s confirmed broadcast %d: %d queued", admin_id or "?", broadcast_id, queued)
            self.wake_up()
        return staff_views.broadcast_confirmed(queued, lang)

    async def confirm_page_change(self, change_id: int, admin_id: int, lang: Lang) -> Reply:
        """Staff's "Tell subscribers" under a change of the embassy's page: queue the notice, once."""
        queued = await self._storage().confirm_page_change(change_id, admin_id)
        if queued:
            log.info("admin %s confirmed page change %d: %d queued", admin_id, change_id, queued)
            self.wake_up()
        return staff_views.page_change_confirmed(queued, lang)

    def _storage(self) -> Storage:
        if self.storage is None:
            raise ValueError("staff reports need the storage")
        return self.storage
