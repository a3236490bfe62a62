"""Alert delivery: planned alerts -> the outbox -> Telegram, once per subscriber, surviving crashes.

Each run: queue every due alert for the subscribers it concerns (idempotent: one row per alert and
subscriber), then claim pending rows in batches and send them. Claims live in the database, so several
processes share the work without double-sending; a crash leaves claimed rows that another run takes
over once their claim is stale (only messages in flight at the crash can repeat).
"""

from __future__ import annotations

import asyncio
import enum
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Final, Protocol

from bot.core.alert_views import alert_message, broadcast_message
from bot.core.alerts import Alert, days_left, due, next_due, plan
from bot.core.engine import Engine
from bot.core.languages import Lang, resolve_lang
from bot.core.page_watch_views import page_change_notice
from bot.core.views import Reply
from bot.core.windows import Window, resolve_all
from bot.storage import (
    BROADCAST_PREFIX,
    PAGE_CHANGE_PREFIX,
    BroadcastRecord,
    Claim,
    PageChangeRecord,
    Storage,
    StorageError,
)

log = logging.getLogger(__name__)


class SendOutcome(enum.Enum):
    SENT = "sent"
    BLOCKED = "blocked"
    """The user blocked the bot or deleted the chat: never try again."""
    RETRY = "retry"
    """A passing failure (flood control, network): try again on a later run."""
    FAILED = "failed"
    """Telegram refused this message for good."""


class Sender(Protocol):
    async def send(self, chat_id: int, reply: Reply, lang: Lang) -> SendOutcome: ...


@dataclass(frozen=True, slots=True)
class RunReport:
    queued: int = 0
    sent: int = 0
    blocked: int = 0
    retried: int = 0
    failed: int = 0


BATCH: Final = 200
"""Deliveries claimed at once, at least (see ``batch_for_rate``)."""


def batch_for_rate(per_second: float) -> int:
    """Deliveries to claim at once when sending ``per_second`` messages a second: BATCH, or half a second's
    worth at a paid rate. Each claim and each write of the sent ones costs about the same whatever its size:
    at 1,000 a second, batches of 500 kept 0.94 of the rate where batches of 200 kept 0.92."""
    return max(BATCH, math.ceil(per_second / 2))


def utc_now() -> datetime:
    return datetime.now(UTC)


class _SentMarks:
    """Deliveries sent and not yet recorded, written as one UPDATE for many (``Storage.mark_sent_many``).

    A write transaction per message kept the broadcast waiting on the database (on SQLite, on its write
    lock) far below a paid rate of 1,000 messages a second. The price: a crash, unlike a clean stop, can
    leave the messages sent since the last write to be sent again once their claim is stale, so writes
    come every ``interval`` seconds and whenever ``size`` messages are waiting."""

    def __init__(self, storage: Storage, size: int) -> None:
        self._storage = storage
        self._size = size
        self._waiting: list[int] = []
        self._lock = asyncio.Lock()

    def add(self, delivery_id: int) -> bool:
        """Keep a sent delivery for the next write; True when enough wait for a write now."""
        self._waiting.append(delivery_id)
        return len(self._waiting) >= self._size

    async def flush(self) -> None:
        """Record every delivery waiting; on failure they wait for the next write."""
        async with self._lock:
            while self._waiting:
                ids, self._waiting = self._waiting, []
                try:
                    await self._storage.mark_sent_many(ids)
                except BaseException:
                    self._waiting[:0] = ids
                    raise


class AlertDispatcher:
    """Plans alerts from the current knowledge base and delivers the due ones through a Sender."""

    def __init__(
        self,
        engine: Engine,
        storage: Storage,
        *,
        zone: tzinfo,
        reminder_days: tuple[int, ...],
        worker_id: str,
        clock: Callable[[], datetime] = utc_now,
        batch_size: int = BATCH,
        concurrency: int = 30,
        stale_after: timedelta = timedelta(minutes=5),
        max_attempts: int = 5,
        mark_interval: float = 0.25,
    ) -> None:
        self.engine = engine
        self.storage = storage
        self.zone = zone
        self.reminder_days = reminder_days
        self.worker_id = worker_id
        self.clock = clock
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.stale_after = stale_after
        self.max_attempts = max_attempts
        self.mark_interval = mark_interval
        """Seconds at most between two writes of the messages sent (see ``_SentMarks``)."""
        self._lock = asyncio.Lock()
        self._stopping = asyncio.Event()
        self._broadcasts: dict[str, BroadcastRecord | None] = {}  # announcements never change once sent
        self._page_changes: dict[str, PageChangeRecord | None] = {}  # nor do page changes

    def windows(self) -> list[Window]:
        return resolve_all(self.engine.snapshot.knowledge.windows, self.zone)

    def alerts(self) -> list[Alert]:
        return plan(self.windows(), self.reminder_days)

    def next_wake_up(self) -> datetime | None:
        return next_due(self.alerts(), self.clock())

    async def run(self, sender: Sender) -> RunReport:
        """Queue what is due and send everything pending; runs never overlap within a process."""
        async with self._lock:
            now = self.clock()
            alerts = self.alerts()
            queued = 0
            for alert in due(alerts, now):
                queued += await self.storage.enqueue_subscribers(
                    alert.key, alert.programme, subscribed_before=alert.due
                )
            report = await self._deliver(sender, {alert.key: alert for alert in alerts})
            if queued or report.sent or report.failed or report.blocked:
                log.info(
                    "alerts: %d queued, %d sent, %d blocked, %d to retry, %d failed",
                    queued, report.sent, report.blocked, report.retried, report.failed,
                )  # fmt: skip
            return RunReport(queued, report.sent, report.blocked, report.retried, report.failed)

    async def _broadcast(self, key: str) -> BroadcastRecord | None:
        if key not in self._broadcasts:
            broadcast_id = key.removeprefix(BROADCAST_PREFIX)
            self._broadcasts[key] = (
                await self.storage.get_broadcast(int(broadcast_id)) if broadcast_id.isdigit() else None
            )
        return self._broadcasts[key]

    async def _page_change(self, key: str) -> PageChangeRecord | None:
        if key not in self._page_changes:
            change_id = key.removeprefix(PAGE_CHANGE_PREFIX)
            self._page_changes[key] = (
                await self.storage.get_page_change(int(change_id)) if change_id.isdigit() else None
            )
        return self._page_changes[key]

    def stop(self) -> None:
        """Stop sending soon: messages in flight finish, the rest is handed back for the next start.
        Called before the Application stops, so that a long broadcast does not hold up a shutdown."""
        self._stopping.set()

    async def shutdown(self) -> None:
        """Hand back this worker's claims, so that another process need not wait for them to go stale."""
        released = await self.storage.release_claims(self.worker_id)
        if released:
            log.info("alerts: released %d claimed deliveries at shutdown", released)

    async def _deliver(self, sender: Sender, planned: dict[str, Alert]) -> RunReport:
        totals = dict.fromkeys(SendOutcome, 0)
        # Passing failures keep their claim until the run ends, so this run does not take them again
        # at once; then they are handed back for a later run (or given up after max_attempts).
        held: list[Claim] = []
        semaphore = asyncio.Semaphore(self.concurrency)
        marks = _SentMarks(self.storage, self.batch_size)
        replies: dict[_ReplyKey, Reply] = {}

        # The next batch is claimed while the last one is still being sent, once no more than ``low_water`` of
        # its deliveries are left: waiting for a batch to end before claiming the next left sending idle, at
        # every batch, for the batch's last messages, a write and a claim.
        in_flight: set[int] = set()
        low_water = self.batch_size // 2
        few_enough = asyncio.Event()
        waiting_for = -1  # how few in flight the claiming loop waits for (-1: it does not wait)

        async def one(claim: Claim) -> None:
            try:
                async with semaphore:
                    if self._stopping.is_set():  # shutting down: hand the claim back rather than start a send
                        await self.storage.release(claim.id, self.worker_id, "stopped before sending")
                        return
                    outcome = await self._deliver_one(sender, claim, planned, replies)
                totals[outcome] += 1
                if outcome is SendOutcome.SENT and marks.add(claim.id):
                    await marks.flush()
                elif outcome is SendOutcome.RETRY:
                    held.append(claim)
            finally:
                in_flight.discard(claim.id)
                if len(in_flight) <= waiting_for:
                    few_enough.set()

        async def in_flight_at_most(count: int) -> None:
            nonlocal waiting_for
            if len(in_flight) > count:
                waiting_for = count
                few_enough.clear()
                await few_enough.wait()
                waiting_for = -1

        async def keep_marking() -> None:
            while True:
                await asyncio.sleep(self.mark_interval)
                try:
                    await marks.flush()
                except StorageError:  # the database is away: they wait for the next write
                    log.warning("alerts: could not record sent deliveries; trying again", exc_info=True)

        marker = asyncio.create_task(keep_marking())
        try:
            async with asyncio.TaskGroup() as group:
                while not self._stopping.is_set():
                    await marks.flush()  # before a claim, which must never take back a delivery already sent
                    claims = await self.storage.claim(self.worker_id, self.batch_size, self.stale_after)
                    if not claims:
                        break
                    # Stale claims may be this run's own (in flight, or held to retry, for longer than
                    # ``stale_after``): they are not taken twice.
                    taken = in_flight | {claim.id for claim in held}
                    fresh = [claim for claim in claims if claim.id not in taken]
                    if not fresh:
                        if not in_flight:
                            break
                        await in_flight_at_most(0)
                        continue
                    for claim in fresh:
                        in_flight.add(claim.id)
                        group.create_task(one(claim))
                    await in_flight_at_most(low_water)
        finally:
            marker.cancel()
            await asyncio.gather(marker, return_exceptions=True)
            await marks.flush()  # a clean stop records every message sent: none is sent twice
        for claim in held:
            if claim.attempts < self.max_attempts:
                await self.storage.release(claim.id, self.worker_id, "will retry")
            else:
                await self.storage.mark_failed(claim.id, "too many attempts")
        sent, blocked, failed = totals[SendOutcome.SENT], totals[SendOutcome.BLOCKED], totals[SendOutcome.FAILED]
        return RunReport(0, sent, blocked, totals[SendOutcome.RETRY], failed)

    async def _deliver_one(
        self, sender: Sender, claim: Claim, planned: dict[str, Alert], replies: dict[_ReplyKey, Reply]
    ) -> SendOutcome:
        now = self.clock()
        lang = resolve_lang(claim.language)
        alert = planned.get(claim.alert_key)
        if alert is not None and now >= alert.window.closes:
            alert = None  # it has closed since it was planned: the alert no longer makes sense
        # Thousands of subscribers get the same message: it is rendered once per run and language (and, for a
        # window's alert, per number of days left, the one thing in it that changes while a run goes on).
        key = (claim.alert_key, lang, days_left(alert.window, now) if alert is not None else None)
        reply = replies.get(key)
        if reply is None:
            try:
                reply = await self._reply(claim.alert_key, alert, now, lang)
            except _NotSendable as exc:
                await self.storage.mark_failed(claim.id, str(exc))
                return SendOutcome.FAILED
            replies[key] = reply
        try:
            outcome = await sender.send(claim.chat_id, reply, lang)
        except Exception:  # a bug in sending must not stop the other deliveries
            log.exception("alerts: sending delivery %d failed unexpectedly", claim.id)
            outcome = SendOutcome.RETRY
        if outcome is SendOutcome.BLOCKED:  # a sent delivery is recorded by the caller, with others
            await self.storage.deactivate(claim.chat_id)
            await self.storage.mark_failed(claim.id, "blocked by the user")
        elif outcome is SendOutcome.FAILED:
            await self.storage.mark_failed(claim.id, "refused by Telegram")
        return outcome

    async def _reply(self, alert_key: str, alert: Alert | None, now: datetime, lang: Lang) -> Reply:
        """What a delivery says; ``_NotSendable`` (the reason) when it no longer has anything to say."""
        knowledge = self.engine.snapshot.knowledge
        if alert_key.startswith(BROADCAST_PREFIX):
            broadcast = await self._broadcast(alert_key)
            if broadcast is None:
                raise _NotSendable("no such broadcast")
            return broadcast_message(knowledge, broadcast.programme_id, broadcast.text, lang)
        if alert_key.startswith(PAGE_CHANGE_PREFIX):
            change = await self._page_change(alert_key)
            if change is None:
                raise _NotSendable("no such page change")
            return page_change_notice(knowledge, change.url, change.diff, change.programmes, lang)
        if alert is None:  # the window was removed or edited since, or has closed
            raise _NotSendable("no longer planned")
        return alert_message(knowledge, alert, self.zone, now, lang)


_ReplyKey = tuple[str, Lang, int | None]
"""A delivery's alert key, its language, and the days its window has left (None for an announcement)."""


class _NotSendable(Exception):
    """A delivery that has nothing left to say; its message is the reason recorded in the outbox."""
