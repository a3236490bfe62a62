"""The question log off the reply's path: questions are queued in memory and written in batches by one task.

Logging each question in its own write transaction put the database on every answer: on SQLite each one
waited for the write lock (``BEGIN IMMEDIATE``) behind the others, holding a pooled connection that the
next message's language read then waited for, so a burst of questions became a queue of sleeping
transactions. Now a handler only appends to a bounded queue (``submit`` never awaits, never blocks); one
task per process writes what is queued every ``flush_seconds``, or as soon as ``batch_size`` questions are
waiting, one transaction per batch. /stats flushes first, so staff count every question asked so far, and
shutdown writes what is left.

Nothing is lost silently: a full queue drops the new question and counts it (``dropped``, shown in /stats);
a failed write keeps the batch queued and retries, backing off while the database is away, logging the
first failure and the recovery; a row the database refuses (a constraint) is dropped alone, logged and
counted (``refused``), so one bad row cannot stop the log; questions still unwritten at shutdown are logged
with their number.

A queued item is a ``LoggedQuestion``: time, anonymised text, language, outcome, entry id. Nothing in it
leads back to who asked, so /forget has nothing to erase in the queue either.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Final

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError

from bot.core.languages import Lang
from bot.core.question_log import Outcome
from bot.storage.database import StorageError
from bot.storage.models import utc_now
from bot.storage.repository import LoggedQuestion, Storage

log = logging.getLogger(__name__)

FLUSH_SECONDS: Final = 0.5  # how stale /unanswered in another process can be; one transaction per interval
BATCH_SIZE: Final = 200  # questions per transaction; a full batch is written at once, not at the interval
CAPACITY: Final = 10_000  # questions kept while the database is away (a few MB); past it new ones are dropped
RETRY_MAX_SECONDS: Final = 30.0  # the longest wait between two attempts while writes keep failing
_DROP_LOG_EVERY: Final = 1000  # a full queue logs its first drop, then one line per this many


class QuestionWriter:
    """Queues anonymous questions and writes them to ``storage`` in batches, from one task per process."""

    def __init__(
        self,
        storage: Storage,
        *,
        flush_seconds: float = FLUSH_SECONDS,
        batch_size: int = BATCH_SIZE,
        capacity: int = CAPACITY,
        retry_max_seconds: float = RETRY_MAX_SECONDS,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        """Nothing starts here: the writing task starts with ``start`` or the first ``submit``."""
        if flush_seconds <= 0 or batch_size < 1 or capacity < batch_size or retry_max_seconds < flush_seconds:
            raise ValueError(
                f"question writer: flush_seconds {flush_seconds} must be > 0, batch_size {batch_size} >= 1,"
                f" capacity {capacity} >= batch_size and retry_max_seconds {retry_max_seconds} >= flush_seconds"
            )
        self._storage = storage
        self._flush_seconds = flush_seconds
        self._batch_size = batch_size
        self._capacity = capacity
        self._retry_max_seconds = retry_max_seconds
        self._clock = clock
        self._queue: deque[LoggedQuestion] = deque()
        self._full_batch = asyncio.Event()  # a batch is waiting: write it now rather than at the interval
        self._stop = asyncio.Event()
        self._lock = asyncio.Lock()  # one write at a time: the task's, a flush's or the last one's
        self._task: asyncio.Task[None] | None = None
        self._failing_since: datetime | None = None
        self.dropped = 0  # questions not queued because the queue was full (or the writer closed)
        self.refused = 0  # questions the database refused (a constraint), dropped so the rest is written
        self.written = 0

    @property
    def waiting(self) -> int:
        """Questions queued and not written yet."""
        return len(self._queue)

    def start(self) -> None:
        """Start the writing task in the running event loop; again is harmless."""
        if self._task is None and not self._stop.is_set():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="question-log-writer")

    def submit(self, text: str, lang: Lang, outcome: Outcome, entry_id: str | None = None) -> bool:
        """Queue an anonymised question with the time it was asked; False if it was dropped (queue full)."""
        if self._stop.is_set() or len(self._queue) >= self._capacity:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % _DROP_LOG_EVERY == 0:
                reason = "the writer is closed" if self._stop.is_set() else f"{self._capacity} are waiting"
                log.warning("question log: a question was not logged (%s); %d dropped so far", reason, self.dropped)
            return False
        self._queue.append(LoggedQuestion(self._clock(), text, lang, outcome, entry_id))
        if len(self._queue) >= self._batch_size:
            self._full_batch.set()
        self.start()
        return True

    async def flush(self) -> bool:
        """Write everything queued now (before /stats reads the log); False if the database failed (logged)."""
        return await self._write_queued()

    async def close(self) -> None:
        """Stop the task after its current write, then write what is left; what cannot be written is logged."""
        self._stop.set()
        self._full_batch.set()
        if self._task is not None:
            await self._task  # never cancelled mid-write: a committed batch must not be written twice
        if not await self._write_queued():
            log.error("question log: %d questions could not be written before shutdown and are lost", len(self._queue))

    async def _run(self) -> None:
        delay = self._flush_seconds
        while not self._stop.is_set():
            # While writes fail, a full batch does not hurry the next attempt: the database needs the rest.
            event = self._full_batch if delay == self._flush_seconds else self._stop
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), delay)
            self._full_batch.clear()
            if self._stop.is_set():
                return  # close() writes the rest
            try:
                written = await self._write_queued()
            except Exception:  # a bug must not end the task: the queue would fill and drop everything
                log.exception("question log: the writer failed; it retries")
                written = False
            delay = self._flush_seconds if written else min(delay * 2, self._retry_max_seconds)

    async def _write_queued(self) -> bool:
        """Write the queue from its head, a batch per transaction; items leave the queue once committed."""
        async with self._lock:
            while self._queue:
                batch = list(itertools.islice(self._queue, self._batch_size))
                try:
                    await self._write(batch)
                except StorageError as exc:
                    self._report_failure(exc)
                    return False
            if self._failing_since is not None:
                log.info(
                    "question log: writing again (failing since %s); %d questions written so far",
                    self._failing_since.isoformat(timespec="seconds"),
                    self.written,
                )
                self._failing_since = None
            return True

    async def _write(self, batch: list[LoggedQuestion]) -> None:
        """Write ``batch`` (the queue's head) and take it off; row by row if the database refuses one of it."""
        try:
            await self._storage.record_questions(batch)
        except StorageError as exc:
            if not _refused(exc):
                raise
            await self._write_one_by_one(batch)
            return
        self._taken(len(batch))

    async def _write_one_by_one(self, batch: list[LoggedQuestion]) -> None:
        for question in batch:
            try:
                await self._storage.record_questions([question])
            except StorageError as exc:
                if not _refused(exc):
                    raise
                self.refused += 1
                # Not the database's message: it may quote the row, and the log must not hold the question.
                log.error(
                    "question log: the database refused a question (%s, %s, entry %s: %s); dropped, %d so far",
                    question.lang,
                    question.outcome,
                    question.entry_id,
                    type(exc.__cause__).__name__,
                    self.refused,
                )
                self._queue.popleft()
                continue
            self._taken(1)

    def _taken(self, count: int) -> None:
        for _ in range(count):
            self._queue.popleft()
        self.written += count

    def _report_failure(self, exc: StorageError) -> None:
        if self._failing_since is None:
            self._failing_since = self._clock()
            log.warning(
                "question log: %d questions could not be written and stay queued (up to %d); retrying: %s",
                len(self._queue),
                self._capacity,
                exc,
            )
        else:
            log.debug("question log: still failing: %s", exc)


def _refused(exc: StorageError) -> bool:
    """Whether the database refused the rows themselves (a constraint, a value), not the connection failed."""
    cause = exc.__cause__
    if isinstance(cause, IntegrityError | DataError):
        return True
    # A value that cannot even be bound (a naive datetime, say) fails the same way on every attempt.
    return isinstance(cause, StatementError) and not isinstance(cause, DBAPIError)
