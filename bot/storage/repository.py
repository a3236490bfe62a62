"""Every query the features need, as async methods of ``Storage``; values go in and out as plain records.

Each method is one transaction. SQLite write transactions begin IMMEDIATE (one writer at a time, waiting
its turn); PostgreSQL claims outbox rows with ``SELECT … FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Final, Literal, TypeAlias, cast

from sqlalchemy import Row, Select, and_, delete, func, insert, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.languages import Lang, is_lang
from bot.core.page_watch import PageDiff
from bot.core.question_log import OUTCOMES, Outcome
from bot.storage.database import WRITE, Database, StorageError
from bot.storage.models import (
    Broadcast,
    Delivery,
    PageChange,
    QuestionLog,
    QuizLog,
    Subscription,
    User,
    WatchedPage,
    utc_now,
)

DeliveryState: TypeAlias = Literal["pending", "claimed", "sent", "failed"]
Insert: TypeAlias = sqlite.Insert | postgresql.Insert

BATCH: Final = 500  # chat ids per statement: far below SQLite's and asyncpg's bound-parameter limits
ERROR_LENGTH: Final = 500  # characters of an error message kept on a delivery
BLOCKED: Final = "the user blocked the bot (Telegram answered 403)"
STATES: Final[tuple[DeliveryState, ...]] = ("pending", "claimed", "sent", "failed")
# The language read of every message, kept per process (see Storage.get_user): how long, and for how many chats.
USER_CACHE_SECONDS: Final = 60.0
USER_CACHE_SIZE: Final = 10_000


@dataclass(frozen=True, slots=True)
class UserRecord:
    """What is stored about one chat."""

    chat_id: int
    language: Lang | None
    active: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Claim:
    """A delivery claimed by a worker: send ``alert_key`` to ``chat_id`` in ``language``, then mark it."""

    id: int
    alert_key: str
    chat_id: int
    attempts: int  # claims so far, this one included: a worker gives up on a delivery that keeps failing
    language: Lang | None


@dataclass(frozen=True, slots=True)
class BroadcastRecord:
    id: int
    programme_id: str
    text: str
    created_by: int
    created_at: datetime
    confirmed_at: datetime | None

    @property
    def alert_key(self) -> str:
        return f"{BROADCAST_PREFIX}{self.id}"


BROADCAST_PREFIX = "broadcast:"
PAGE_CHANGE_PREFIX = "page-change:"


@dataclass(frozen=True, slots=True)
class WatchedPageRecord:
    """A watched page: its last accepted text, and how the last fetches went."""

    url: str
    text: str | None
    text_hash: str | None
    checked_at: datetime | None
    succeeded_at: datetime | None
    changed_at: datetime | None
    error: str | None
    error_at: datetime | None
    suspect_hash: str | None
    suspect_count: int


@dataclass(frozen=True, slots=True)
class PageChangeRecord:
    """A change of a watched page, with the trimmed diff staff and subscribers read."""

    id: int
    url: str
    diff: PageDiff
    programmes: tuple[str, ...]
    detected_at: datetime
    staff_notified_at: datetime | None
    confirmed_at: datetime | None

    @property
    def alert_key(self) -> str:
        return f"{PAGE_CHANGE_PREFIX}{self.id}"


@dataclass(frozen=True, slots=True)
class LoggedQuestion:
    """One anonymous entry of the question log."""

    asked_at: datetime
    text: str
    lang: Lang
    outcome: Outcome
    entry_id: str | None


@dataclass(frozen=True, slots=True)
class Stats:
    """Counts for the staff's /stats; questions are counted per outcome."""

    users: int
    active_users: int
    subscribers: Mapping[str, int]  # programme id -> active subscribers
    deliveries: Mapping[DeliveryState, int]
    questions_last_7_days: Mapping[Outcome, int]
    questions_last_30_days: Mapping[Outcome, int]
    quiz_verdicts_last_30_days: Mapping[str, int] = field(default_factory=dict)  # "mirai: eligible" -> count


def _lang(value: str | None) -> Lang | None:
    return value if is_lang(value) else None


def _batches(chat_ids: Iterable[int]) -> Iterable[list[int]]:
    unique = sorted(set(chat_ids))
    for start in range(0, len(unique), BATCH):
        yield unique[start : start + BATCH]


class Storage:
    """Users, subscriptions, the delivery outbox and the question log, on one ``Database``."""

    def __init__(
        self, database: Database, *, clock: Callable[[], datetime] = utc_now, cache_users_seconds: float = 0.0
    ) -> None:
        """Use ``database`` (already upgraded); ``clock`` gives the current UTC time, a seam for tests.

        ``cache_users_seconds`` > 0 keeps what ``get_user`` read (a row, or that there is none) for that long,
        in this process: the bot reads it for every message. A change made through this object is seen at
        once; one made by another process (a webhook replica) within that time at most.
        """
        self._database = database
        self._clock = clock
        self._cache_seconds = cache_users_seconds
        self._users: OrderedDict[int, tuple[float, UserRecord | None]] = OrderedDict()  # chat -> (expiry, row)
        self._user_changes = 0  # bumped after each change of a user row: a read begun before it is not cached
        self._reading: dict[int, tuple[int, asyncio.Future[UserRecord | None]]] = {}  # chat -> read in flight
        self._next_read: dict[int, asyncio.Future[UserRecord | None]] | None = None  # chats the next read takes
        self._read_tasks: set[asyncio.Task[None]] = set()  # the event loop keeps only weak references to tasks

    def _insert(self, entity: type[User | Subscription | Delivery | WatchedPage]) -> Insert:
        """An INSERT that knows ON CONFLICT in this database's dialect."""
        return postgresql.insert(entity) if self._database.dialect == "postgresql" else sqlite.insert(entity)

    @asynccontextmanager
    async def _transaction(self, operation: str, *, write: bool = True) -> AsyncIterator[AsyncConnection]:
        """One transaction, committed on success; database failures become a ``StorageError`` naming ``operation``."""
        try:
            async with self._database.engine.connect() as connection:
                if write:
                    connection = await connection.execution_options(**WRITE)
                async with connection.begin():
                    yield connection
        except (SQLAlchemyError, OSError) as exc:
            detail = exc.orig if isinstance(exc, DBAPIError) else exc
            raise StorageError(
                f"cannot {operation}: {type(detail).__name__}: {detail}. Check that the database at"
                f" {self._database.display_url} is reachable and migrated (the bot migrates it at start-up)."
            ) from exc

    @asynccontextmanager
    async def _user_transaction(self, chat_id: int, operation: str) -> AsyncIterator[AsyncConnection]:
        """A write transaction that changes a user row: its cached read is dropped once it has ended."""
        try:
            async with self._transaction(operation) as connection:
                yield connection
        finally:
            self._user_changes += 1
            self._users.pop(chat_id, None)

    # Users

    async def set_language(self, chat_id: int, language: Lang | None) -> None:
        """Keep a chat's language choice (None: follow each question), creating the user and reactivating it."""
        statement = self._insert(User).values(chat_id=chat_id, language=language, active=True, created_at=self._clock())
        statement = statement.on_conflict_do_update(
            index_elements=[User.chat_id], set_={"language": statement.excluded.language, "active": True}
        )
        async with self._user_transaction(chat_id, "save a language choice") as connection:
            await connection.execute(statement)

    async def get_user(self, chat_id: int) -> UserRecord | None:
        """The stored user, or None if the bot keeps nothing about this chat (cached: see ``__init__``)."""
        now = time.monotonic()
        # Kept in the order read, so in order of expiry: what has expired leaves memory (an erased user too).
        while self._users and next(iter(self._users.values()))[0] <= now:
            self._users.popitem(last=False)
        if (cached := self._users.get(chat_id)) is not None:
            return cached[1]
        if self._cache_seconds <= 0:
            return await self._read_user(chat_id)
        changes = self._user_changes
        # A burst of a new chat's messages waits for one read, begun since the last change, not one read each.
        flight = self._reading.get(chat_id)
        if flight is None or flight[0] != changes:
            flight = (changes, self._queue_read(chat_id))
            self._reading[chat_id] = flight

            def landed(_: object, this: tuple[int, asyncio.Future[UserRecord | None]] = flight) -> None:
                if self._reading.get(chat_id) is this:
                    del self._reading[chat_id]

            flight[1].add_done_callback(landed)
        return await asyncio.shield(flight[1])

    def _queue_read(self, chat_id: int) -> asyncio.Future[UserRecord | None]:
        """A place in the next read of users. python-telegram-bot starts the handlers of a batch of updates in
        one turn of the event loop, so the chats of a burst (a thousand students writing at once) are read
        in one statement, after they all asked, instead of one transaction each."""
        loop = asyncio.get_running_loop()
        if self._next_read is None:
            self._next_read = {}
            task = loop.create_task(self._read_and_keep())  # runs after the handlers already scheduled this turn
            self._read_tasks.add(task)
            task.add_done_callback(self._read_tasks.discard)
        future = self._next_read.get(chat_id)
        if future is None:
            future = self._next_read[chat_id] = loop.create_future()
        return future

    async def _read_and_keep(self) -> None:
        """Read the queued chats and keep what was read, unless a change of a user ended meanwhile (the read
        may predate it)."""
        queued, self._next_read = self._next_read or {}, None
        changes = self._user_changes
        try:
            users = await self._read_users(list(queued))
        except Exception as exc:  # every waiter gets the failure, a StorageError as a single read would
            for future in queued.values():
                if not future.done():
                    future.set_exception(exc)
                    future.exception()  # marked retrieved: a waiter may have been cancelled meanwhile
            return
        except BaseException:  # cancelled (the bot is stopping): so are the waiters
            for future in queued.values():
                future.cancel()
            raise
        keep = changes == self._user_changes
        expiry = time.monotonic() + self._cache_seconds
        for chat_id, future in queued.items():
            user = users.get(chat_id)
            if keep:
                self._users.pop(chat_id, None)
                self._users[chat_id] = (expiry, user)
            if not future.done():
                future.set_result(user)
        while len(self._users) > USER_CACHE_SIZE:
            self._users.popitem(last=False)

    async def _read_users(self, chat_ids: list[int]) -> dict[int, UserRecord]:
        """The stored users among ``chat_ids``, in one transaction (a statement per ``BATCH`` chats)."""
        found: dict[int, UserRecord] = {}
        async with self._transaction("read users", write=False) as connection:
            for batch in _batches(chat_ids):
                statement = select(User.chat_id, User.language, User.active, User.created_at).where(
                    User.chat_id.in_(batch)
                )
                for row in await connection.execute(statement):
                    found[row.chat_id] = UserRecord(
                        chat_id=row.chat_id, language=_lang(row.language), active=row.active, created_at=row.created_at
                    )
        return found

    async def _read_user(self, chat_id: int) -> UserRecord | None:
        statement = select(User.chat_id, User.language, User.active, User.created_at).where(User.chat_id == chat_id)
        async with self._transaction("read a user", write=False) as connection:
            row = (await connection.execute(statement)).first()
        if row is None:
            return None
        return UserRecord(
            chat_id=row.chat_id, language=_lang(row.language), active=row.active, created_at=row.created_at
        )

    async def reactivate(self, chat_id: int) -> bool:
        """A user who had blocked the bot wrote to it again: alerts may reach them again."""
        statement = update(User).where(User.chat_id == chat_id, User.active.is_(False)).values(active=True)
        async with self._user_transaction(chat_id, "reactivate a user") as connection:
            return (await connection.execute(statement.returning(User.chat_id))).first() is not None

    async def deactivate(self, chat_id: int) -> bool:
        """Mark a user who blocked the bot, failing their pending deliveries; False if the user is unknown."""
        async with self._user_transaction(chat_id, "deactivate a user") as connection:
            found = await connection.execute(
                update(User).where(User.chat_id == chat_id).values(active=False).returning(User.chat_id)
            )
            await connection.execute(
                update(Delivery)
                .where(Delivery.chat_id == chat_id, Delivery.state == "pending")
                .values(state="failed", last_error=BLOCKED)
            )
            return found.first() is not None

    async def forget(self, chat_id: int) -> bool:
        """Erase every row linked to a chat (user, subscriptions, deliveries); False if there was none."""
        async with self._user_transaction(chat_id, "erase a user's data") as connection:
            await connection.execute(delete(Delivery).where(Delivery.chat_id == chat_id))
            await connection.execute(delete(Subscription).where(Subscription.chat_id == chat_id))
            # An admin who erases their data leaves their announcements, no longer signed.
            await connection.execute(update(Broadcast).where(Broadcast.created_by == chat_id).values(created_by=0))
            await connection.execute(
                update(PageChange).where(PageChange.confirmed_by == chat_id).values(confirmed_by=0)
            )
            found = await connection.execute(delete(User).where(User.chat_id == chat_id).returning(User.chat_id))
            erased = found.first() is not None
        await self._database.checkpoint()  # SQLite's WAL would keep the erased rows' pages until then
        return erased

    # Broadcasts

    async def create_broadcast(self, programme_id: str, text: str, created_by: int) -> BroadcastRecord:
        """Keep a draft announcement; nothing is sent until it is confirmed."""
        statement = (
            insert(Broadcast)
            .values(programme_id=programme_id, text=text, created_by=created_by, created_at=self._clock())
            .returning(Broadcast.id)
        )
        async with self._transaction("save a broadcast") as connection:
            broadcast_id = (await connection.execute(statement)).scalar_one()
        record = await self.get_broadcast(broadcast_id)
        assert record is not None
        return record

    async def get_broadcast(self, broadcast_id: int) -> BroadcastRecord | None:
        statement = select(
            Broadcast.id,
            Broadcast.programme_id,
            Broadcast.text,
            Broadcast.created_by,
            Broadcast.created_at,
            Broadcast.confirmed_at,
        ).where(Broadcast.id == broadcast_id)
        async with self._transaction("read a broadcast", write=False) as connection:
            row = (await connection.execute(statement)).first()
        return BroadcastRecord(*row) if row is not None else None

    async def confirm_broadcast(self, broadcast_id: int) -> int | None:
        """Queue a draft for the programme's subscribers, once (a second confirmation queues nothing more);
        how many were queued, or None when there is no such broadcast."""
        record = await self.get_broadcast(broadcast_id)
        if record is None:
            return None
        mark = (
            update(Broadcast)
            .where(Broadcast.id == broadcast_id, Broadcast.confirmed_at.is_(None))
            .values(confirmed_at=self._clock())
            .returning(Broadcast.id)
        )
        async with self._transaction("confirm a broadcast") as connection:
            if (await connection.execute(mark)).first() is None:
                return 0
            return await self._queue(connection, record.alert_key, _active_subscribers(record.programme_id))

    # Subscriptions

    async def subscribe(self, chat_id: int, programme_id: str, language: Lang | None = None) -> bool:
        """Subscribe a chat to a programme (creating or reactivating the user); False if it already was.

        ``language``: the language the user subscribed in; alerts use it unless they chose one explicitly.
        """
        now = self._clock()
        user = self._insert(User).values(chat_id=chat_id, active=True, created_at=now, recent_language=language)
        updates: dict[str, object] = {"active": True}
        if language is not None:
            updates["recent_language"] = language
        user = user.on_conflict_do_update(index_elements=[User.chat_id], set_=updates)
        subscription = (
            self._insert(Subscription)
            .values(chat_id=chat_id, programme_id=programme_id, created_at=now)
            .on_conflict_do_nothing(index_elements=[Subscription.chat_id, Subscription.programme_id])
            .returning(Subscription.chat_id)
        )
        async with self._user_transaction(chat_id, "subscribe") as connection:
            await connection.execute(user)
            return (await connection.execute(subscription)).first() is not None

    async def unsubscribe(self, chat_id: int, programme_id: str | None = None) -> int:
        """Remove one subscription, or all of a chat's when ``programme_id`` is None; how many were removed."""
        statement = delete(Subscription).where(Subscription.chat_id == chat_id)
        if programme_id is not None:
            statement = statement.where(Subscription.programme_id == programme_id)
        async with self._transaction("unsubscribe") as connection:
            return len((await connection.execute(statement.returning(Subscription.programme_id))).all())

    async def subscriptions(self, chat_id: int) -> list[str]:
        """The programme ids a chat is subscribed to, sorted."""
        statement = (
            select(Subscription.programme_id).where(Subscription.chat_id == chat_id).order_by(Subscription.programme_id)
        )
        async with self._transaction("list subscriptions", write=False) as connection:
            return list((await connection.scalars(statement)).all())

    async def subscribers(self, programme_id: str) -> list[int]:
        """The chat ids of a programme's active subscribers, sorted."""
        async with self._transaction("list subscribers", write=False) as connection:
            return list((await connection.scalars(_active_subscribers(programme_id).order_by(User.chat_id))).all())

    # Deliveries (the outbox)

    async def enqueue(self, alert_key: str, chat_ids: Iterable[int]) -> int:
        """Queue an alert for these chats, once each: known active users only; how many were newly queued."""
        queued = 0
        async with self._transaction("queue an alert") as connection:
            for batch in _batches(chat_ids):
                users = select(User.chat_id).where(User.chat_id.in_(batch), User.active)
                queued += await self._queue(connection, alert_key, users)
        return queued

    async def enqueue_subscribers(
        self, alert_key: str, programme_id: str, *, subscribed_before: datetime | None = None
    ) -> int:
        """Queue an alert for every active subscriber of a programme, once each; how many were newly queued.

        ``subscribed_before``: only those who subscribed before then (the alert's due time), so that a
        student who subscribes later is not sent an old "applications are open" alert.
        """
        subscribers = _active_subscribers(programme_id)
        if subscribed_before is not None:
            subscribers = subscribers.where(Subscription.created_at <= subscribed_before)
        async with self._transaction("queue an alert") as connection:
            return await self._queue(connection, alert_key, subscribers)

    async def _queue(self, connection: AsyncConnection, alert_key: str, chat_ids: Select[int]) -> int:
        """INSERT … SELECT … ON CONFLICT DO NOTHING: a user who left meanwhile is skipped, not an error.

        Counted by the rows the database reports inserted, not by RETURNING their ids: an alert to every
        subscriber would bring them all into memory at once."""
        rows = chat_ids.add_columns(literal(alert_key), literal("pending"), literal(0))
        statement = (
            self._insert(Delivery)
            .from_select(["chat_id", "alert_key", "state", "attempts"], rows)
            .on_conflict_do_nothing(index_elements=[Delivery.alert_key, Delivery.chat_id])
        )
        return (await connection.execute(statement)).rowcount

    async def claim(self, worker_id: str, limit: int, stale_after: timedelta) -> list[Claim]:
        """Claim up to ``limit`` pending deliveries, or ones claimed longer than ``stale_after`` ago, oldest first.

        No two workers get the same row: PostgreSQL skips rows another transaction has locked; SQLite runs
        the single UPDATE … RETURNING while holding the database's write lock.
        """
        now = self._clock()
        claimable = or_(
            Delivery.state == "pending", and_(Delivery.state == "claimed", Delivery.claimed_at < now - stale_after)
        )
        candidates = select(Delivery.id).where(claimable).order_by(Delivery.id).limit(limit)
        if self._database.dialect == "postgresql":
            candidates = candidates.with_for_update(skip_locked=True)
        statement = (
            update(Delivery)
            .where(Delivery.id.in_(candidates))
            .values(state="claimed", claimed_by=worker_id, claimed_at=now, attempts=Delivery.attempts + 1)
            .returning(Delivery.id, Delivery.alert_key, Delivery.chat_id, Delivery.attempts)
        )
        async with self._transaction("claim deliveries") as connection:
            claimed = (await connection.execute(statement)).all()
            chat_ids = {row.chat_id for row in claimed}
            language = func.coalesce(User.language, User.recent_language)
            users = select(User.chat_id, language).where(User.chat_id.in_(chat_ids))
            languages = dict((await connection.execute(users)).all())
        return sorted(
            (
                Claim(row.id, row.alert_key, row.chat_id, row.attempts, _lang(languages.get(row.chat_id)))
                for row in claimed
            ),
            key=lambda claim: claim.id,
        )

    async def mark_sent(self, delivery_id: int) -> bool:
        """Record that a delivery was sent; False if it was already marked sent (or no longer exists)."""
        values = {"state": "sent", "sent_at": self._clock(), "last_error": None}
        return await self._mark(delivery_id, "mark a delivery sent", **values)

    async def mark_sent_many(self, delivery_ids: Collection[int]) -> int:
        """``mark_sent`` for many deliveries in one transaction (a statement per ``BATCH``); how many were
        marked. A broadcast records its sent messages this way: one write for many messages, not one each."""
        marked = 0
        values = {"state": "sent", "sent_at": self._clock(), "last_error": None}
        async with self._transaction("mark deliveries sent") as connection:
            for batch in _batches(delivery_ids):
                statement = (
                    update(Delivery)
                    .where(Delivery.id.in_(batch), Delivery.state != "sent")
                    .values(**values)
                    .returning(Delivery.id)
                )
                marked += len((await connection.execute(statement)).all())
        return marked

    async def mark_failed(self, delivery_id: int, error: str) -> bool:
        """Give up on a delivery for good, keeping why; never overrides one already sent."""
        return await self._mark(delivery_id, "mark a delivery failed", state="failed", last_error=error[:ERROR_LENGTH])

    async def _mark(self, delivery_id: int, operation: str, **values: object) -> bool:
        statement = (
            update(Delivery)
            .where(Delivery.id == delivery_id, Delivery.state != "sent")
            .values(**values)
            .returning(Delivery.id)
        )
        async with self._transaction(operation) as connection:
            return (await connection.execute(statement)).first() is not None

    async def release(self, delivery_id: int, worker_id: str, error: str | None = None) -> bool:
        """Put back a delivery this worker claimed but could not send now; False if it is no longer its claim."""
        statement = (
            update(Delivery)
            .where(Delivery.id == delivery_id, Delivery.state == "claimed", Delivery.claimed_by == worker_id)
            .values(state="pending", claimed_by=None, claimed_at=None, last_error=error and error[:ERROR_LENGTH])
            .returning(Delivery.id)
        )
        async with self._transaction("release a delivery") as connection:
            return (await connection.execute(statement)).first() is not None

    async def release_claims(self, worker_id: str) -> int:
        """Put back every delivery this worker still holds (at shutdown); how many."""
        statement = (
            update(Delivery)
            .where(Delivery.state == "claimed", Delivery.claimed_by == worker_id)
            .values(state="pending", claimed_by=None, claimed_at=None)
            .returning(Delivery.id)
        )
        async with self._transaction("release deliveries") as connection:
            return len((await connection.execute(statement)).all())

    async def delivery_counts(self, alert_key: str | None = None) -> dict[DeliveryState, int]:
        """How many deliveries are in each state, for one alert or for all."""
        statement = select(Delivery.state, func.count()).group_by(Delivery.state)
        if alert_key is not None:
            statement = statement.where(Delivery.alert_key == alert_key)
        async with self._transaction("count deliveries", write=False) as connection:
            counts = await _counts(connection, statement)
        return {state: counts.get(state, 0) for state in STATES}

    async def enqueued_alert_keys(self, prefix: str = "") -> set[str]:
        """The alert keys queued so far (in any state), those starting with ``prefix``."""
        statement = select(Delivery.alert_key).distinct().where(Delivery.alert_key.startswith(prefix, autoescape=True))
        async with self._transaction("list queued alerts", write=False) as connection:
            return set((await connection.scalars(statement)).all())

    # Question log (anonymous)

    async def record_question(self, text: str, lang: Lang, outcome: Outcome, entry_id: str | None = None) -> None:
        """Log a question with how it was answered, and no link to who asked it."""
        statement = insert(QuestionLog).values(
            asked_at=self._clock(), text=text, lang=lang, outcome=outcome, entry_id=entry_id
        )
        async with self._transaction("log a question") as connection:
            await connection.execute(statement)

    async def record_questions(self, questions: Collection[LoggedQuestion]) -> int:
        """Log several questions in one transaction (the batched writer's), each with its own time; how many."""
        if not questions:
            return 0
        rows = [
            {"asked_at": q.asked_at, "text": q.text, "lang": q.lang, "outcome": q.outcome, "entry_id": q.entry_id}
            for q in questions
        ]
        async with self._transaction(f"log {len(rows)} questions") as connection:
            await connection.execute(insert(QuestionLog), rows)
        return len(rows)

    async def recent_questions(
        self, days: int, outcomes: Collection[Outcome] | None = None, limit: int | None = None
    ) -> list[LoggedQuestion]:
        """Questions of the last ``days`` days, newest first, optionally only those with these outcomes."""
        statement = (
            select(QuestionLog.asked_at, QuestionLog.text, QuestionLog.lang, QuestionLog.outcome, QuestionLog.entry_id)
            .where(QuestionLog.asked_at >= self._clock() - timedelta(days=days))
            .order_by(QuestionLog.asked_at.desc(), QuestionLog.id.desc())
            .limit(limit)
        )
        if outcomes is not None:
            statement = statement.where(QuestionLog.outcome.in_(outcomes))
        async with self._transaction("read the question log", write=False) as connection:
            rows = (await connection.execute(statement)).all()
        return [
            LoggedQuestion(row.asked_at, row.text, cast(Lang, row.lang), cast(Outcome, row.outcome), row.entry_id)
            for row in rows
        ]

    async def purge_questions_older_than(self, days: int) -> int:
        """Delete logged questions older than ``days`` days (the retention setting); how many were deleted."""
        statement = (
            delete(QuestionLog)
            .where(QuestionLog.asked_at < self._clock() - timedelta(days=days))
            .returning(QuestionLog.id)
        )
        async with self._transaction("purge the question log") as connection:
            return len((await connection.execute(statement)).all())

    # Staff

    async def stats(self) -> Stats:
        """Users, subscribers per programme, deliveries per state and questions per outcome (7 and 30 days)."""
        now = self._clock()
        users = select(func.count(), func.count().filter(User.active))
        subscribers = (
            select(Subscription.programme_id, func.count())
            .join(User, User.chat_id == Subscription.chat_id)
            .where(User.active)
            .group_by(Subscription.programme_id)
        )
        deliveries = select(Delivery.state, func.count()).group_by(Delivery.state)

        def questions(days: int) -> Select[str, int]:
            since = now - timedelta(days=days)
            return (
                select(QuestionLog.outcome, func.count())
                .where(QuestionLog.asked_at >= since)
                .group_by(QuestionLog.outcome)
            )

        async with self._transaction("compute statistics", write=False) as connection:
            total, active = (await connection.execute(users)).one()
            per_programme = await _counts(connection, subscribers)
            per_state = await _counts(connection, deliveries)
            last_7 = await _counts(connection, questions(7))
            last_30 = await _counts(connection, questions(30))
            verdicts = (
                await connection.execute(
                    select(QuizLog.programme_id, QuizLog.status, func.count())
                    .where(QuizLog.finished_at >= now - timedelta(days=30))
                    .group_by(QuizLog.programme_id, QuizLog.status)
                )
            ).all()
        return Stats(
            users=total,
            active_users=active,
            subscribers=per_programme,
            deliveries={state: per_state.get(state, 0) for state in STATES},
            questions_last_7_days=_per_outcome(last_7),
            questions_last_30_days=_per_outcome(last_30),
            quiz_verdicts_last_30_days={f"{programme}: {status}": n for programme, status, n in verdicts},
        )

    async def record_quiz_verdict(self, programme_id: str, status: str) -> None:
        """Count a finished quiz for /stats: the programme and the verdict, never the answers or who."""
        statement = insert(QuizLog).values(programme_id=programme_id, status=status, finished_at=self._clock())
        async with self._transaction("count a quiz verdict") as connection:
            await connection.execute(statement)

    # The watched page

    async def watched_page(self, url: str) -> WatchedPageRecord | None:
        """What is stored about a watched page, or None before its first fetch."""
        columns = [getattr(WatchedPage, column.name) for column in fields(WatchedPageRecord)]
        async with self._transaction("read the watched page", write=False) as connection:
            row = (await connection.execute(select(*columns).where(WatchedPage.url == url))).first()
        return WatchedPageRecord(*row) if row is not None else None

    async def save_page(
        self,
        url: str,
        text: str,
        text_hash: str,
        *,
        previous_hash: str | None,
        diff: PageDiff | None = None,
        programmes: tuple[str, ...] = (),
    ) -> PageChangeRecord | None:
        """Keep an accepted fetch of a page, and with a ``diff``, the change from ``previous_hash``; the change,
        or None when there is none (or when another process already recorded this one: the update only
        applies while the stored hash is still ``previous_hash``)."""
        now = self._clock()
        values = {
            "text": text, "text_hash": text_hash, "checked_at": now, "succeeded_at": now,
            "suspect_hash": None, "suspect_count": 0,  # the last error stays, with its time, for /stats
        }  # fmt: skip
        if diff is not None:
            values["changed_at"] = now
        async with self._transaction("save the watched page") as connection:
            if previous_hash is None:
                first = self._insert(WatchedPage).values(url=url, **values)
                first = first.on_conflict_do_update(
                    index_elements=[WatchedPage.url], set_=values, where=WatchedPage.text_hash.is_(None)
                )
                await connection.execute(first)
                return None
            updated = await connection.execute(
                update(WatchedPage)
                .where(WatchedPage.url == url, WatchedPage.text_hash == previous_hash)
                .values(**values)
                .returning(WatchedPage.url)
            )
            if diff is None or updated.first() is None:
                return None
            row = {
                "url": url, "old_hash": previous_hash, "new_hash": text_hash, "removed": "\n".join(diff.removed),
                "added": "\n".join(diff.added), "omitted": diff.omitted, "programmes": ",".join(programmes),
                "detected_at": now,
            }  # fmt: skip
            change = await connection.execute(insert(PageChange).values(**row).returning(PageChange.id))
            change_id = change.scalar_one()
        return PageChangeRecord(change_id, url, diff, programmes, now, None, None)

    async def record_page_error(self, url: str, error: str, *, suspect_hash: str | None = None) -> int:
        """Keep why a fetch of a page failed, leaving its accepted text as it was; with ``suspect_hash`` (a
        text refused only for being shorter), how many times in a row that text has now been seen."""
        now = self._clock()
        values: dict[str, object] = {"checked_at": now, "error": error[:ERROR_LENGTH], "error_at": now}
        async with self._transaction("record a page fetch error") as connection:
            suspect = select(WatchedPage.suspect_hash, WatchedPage.suspect_count).where(WatchedPage.url == url)
            seen = (await connection.execute(suspect)).first()
            if suspect_hash is None:
                count = 0
            elif seen is not None and seen.suspect_hash == suspect_hash:
                count = seen.suspect_count + 1
            else:
                count = 1
            values |= {"suspect_hash": suspect_hash, "suspect_count": count}
            statement = self._insert(WatchedPage).values(url=url, **values)
            await connection.execute(statement.on_conflict_do_update(index_elements=[WatchedPage.url], set_=values))
        return count

    async def page_changes_to_notify(self) -> list[PageChangeRecord]:
        """Changes staff have not been told about yet, oldest first."""
        statement = _page_changes().where(PageChange.staff_notified_at.is_(None)).order_by(PageChange.id)
        async with self._transaction("list page changes", write=False) as connection:
            return [_page_change(row) for row in (await connection.execute(statement)).all()]

    async def mark_staff_notified(self, change_id: int) -> bool:
        """Take the telling of a change to staff: False if another process already has (each change is shown
        to staff by one process only)."""
        statement = (
            update(PageChange)
            .where(PageChange.id == change_id, PageChange.staff_notified_at.is_(None))
            .values(staff_notified_at=self._clock())
            .returning(PageChange.id)
        )
        async with self._transaction("mark a page change notified") as connection:
            return (await connection.execute(statement)).first() is not None

    async def unmark_staff_notified(self, change_id: int) -> None:
        """Staff could not be told after all (Telegram unreachable): offer the change again later."""
        statement = update(PageChange).where(PageChange.id == change_id).values(staff_notified_at=None)
        async with self._transaction("unmark a page change notified") as connection:
            await connection.execute(statement)

    async def unconfirmed_page_changes(self, url: str) -> int:
        """How many changes of a page staff have not passed on to subscribers (yet)."""
        statement = select(func.count()).where(PageChange.url == url, PageChange.confirmed_at.is_(None))
        async with self._transaction("count page changes", write=False) as connection:
            return (await connection.execute(statement)).scalar_one()

    async def get_page_change(self, change_id: int) -> PageChangeRecord | None:
        async with self._transaction("read a page change", write=False) as connection:
            row = (await connection.execute(_page_changes().where(PageChange.id == change_id))).first()
        return _page_change(row) if row is not None else None

    async def page_change_recipients(self, programmes: Collection[str]) -> int:
        """How many active users subscribe to at least one of these programmes."""
        statement = select(func.count()).select_from(_active_subscribers_of(programmes).subquery())
        async with self._transaction("count page change recipients", write=False) as connection:
            return (await connection.execute(statement)).scalar_one()

    async def confirm_page_change(self, change_id: int, confirmed_by: int) -> int | None:
        """Queue a change's notice for the subscribers of its programmes, each once, the first time staff
        confirm it (a second confirmation queues nothing); how many were queued, None if there is no such change."""
        record = await self.get_page_change(change_id)
        if record is None:
            return None
        mark = (
            update(PageChange)
            .where(PageChange.id == change_id, PageChange.confirmed_at.is_(None))
            .values(confirmed_at=self._clock(), confirmed_by=confirmed_by)
            .returning(PageChange.id)
        )
        async with self._transaction("confirm a page change") as connection:
            if (await connection.execute(mark)).first() is None:
                return 0
            return await self._queue(connection, record.alert_key, _active_subscribers_of(record.programmes))


def _active_subscribers(programme_id: str) -> Select[int]:
    return (
        select(Subscription.chat_id)
        .join(User, User.chat_id == Subscription.chat_id)
        .where(Subscription.programme_id == programme_id, User.active)
    )


def _active_subscribers_of(programmes: Collection[str]) -> Select[int]:
    """Each active user subscribed to any of ``programmes``, once."""
    return (
        select(Subscription.chat_id)
        .join(User, User.chat_id == Subscription.chat_id)
        .where(Subscription.programme_id.in_(sorted(programmes)), User.active)
        .distinct()
    )


def _page_changes() -> Select[int, str, str, str, int, str, datetime, datetime | None, datetime | None]:
    return select(
        PageChange.id,
        PageChange.url,
        PageChange.removed,
        PageChange.added,
        PageChange.omitted,
        PageChange.programmes,
        PageChange.detected_at,
        PageChange.staff_notified_at,
        PageChange.confirmed_at,
    )


PageChangeRow: TypeAlias = Row[int, str, str, str, int, str, datetime, datetime | None, datetime | None]


def _page_change(row: PageChangeRow) -> PageChangeRecord:
    diff = PageDiff(tuple(row.removed.splitlines()), tuple(row.added.splitlines()), row.omitted)
    programmes = tuple(p for p in row.programmes.split(",") if p)
    return PageChangeRecord(row.id, row.url, diff, programmes, row.detected_at, row.staff_notified_at, row.confirmed_at)


async def _counts(connection: AsyncConnection, statement: Select[str, int]) -> dict[str, int]:
    """A ``SELECT key, count(*) … GROUP BY key`` as a dict."""
    return dict((await connection.execute(statement)).all())


def _per_outcome(counts: Mapping[str, int]) -> dict[Outcome, int]:
    return {outcome: counts.get(outcome, 0) for outcome in OUTCOMES}
