"""The batched question log, on every backend: batches, flushes on demand and at shutdown, a bounded queue that
drops with a count and never blocks, failed writes logged and retried, refused rows dropped alone."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import fields

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from bot.storage import Database, LoggedQuestion, Storage, StorageError
from bot.storage.models import QuestionLog
from bot.storage.question_writer import QuestionWriter
from tests.clock import FakeClock

NEVER = 3600.0  # a flush interval no test waits for: what is written then was written for another reason


class RecordingStorage(Storage):
    """The real storage, recording each batch it is given; it can be told to fail, or to hold writes back."""

    def __init__(self, database: Database, clock: FakeClock) -> None:
        super().__init__(database, clock=clock)
        self.batches: list[list[str]] = []
        self.failures = 0  # the next this many writes fail as if the database were away
        self.gate: asyncio.Event | None = None  # when set to a cleared event, writes wait for it

    async def record_questions(self, questions: Collection[LoggedQuestion]) -> int:
        if self.gate is not None:
            await self.gate.wait()
        if self.failures > 0:
            self.failures -= 1
            try:
                raise OperationalError("INSERT INTO question_log", {}, ConnectionRefusedError("connection refused"))
            except OperationalError as exc:
                raise StorageError("cannot log questions: the database is away (test)") from exc
        written = await super().record_questions(questions)
        self.batches.append([q.text for q in questions])
        return written


@pytest.fixture
def recording(database: Database, clock: FakeClock) -> RecordingStorage:
    return RecordingStorage(database, clock)


async def logged(database: Database) -> int:
    async with database.engine.connect() as connection:
        return (await connection.execute(select(func.count()).select_from(QuestionLog))).scalar_one()


async def eventually(check: Callable[[], Awaitable[bool]], what: str, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds}s waiting until {what}")
        await asyncio.sleep(0.01)


def submit(writer: QuestionWriter, *texts: str) -> list[bool]:
    return [writer.submit(text, "en", "fallback") for text in texts]


async def test_a_full_batch_is_written_at_once_in_one_transaction(recording: RecordingStorage, database: Database):
    """As soon as batch_size questions wait they are written together, without waiting for the interval; fewer
    wait for it (or a flush)."""
    writer = QuestionWriter(recording, flush_seconds=NEVER, batch_size=3, retry_max_seconds=NEVER)
    assert submit(writer, "q1", "q2", "q3") == [True] * 3

    async def written() -> bool:
        return recording.batches == [["q1", "q2", "q3"]]

    await eventually(written, "the full batch is written")
    submit(writer, "q4")
    await asyncio.sleep(0.1)
    assert (writer.waiting, await logged(database)) == (1, 3), "a partial batch was written before the interval"
    await writer.close()
    assert recording.batches == [["q1", "q2", "q3"], ["q4"]]
    assert (writer.written, writer.waiting, writer.dropped) == (4, 0, 0)


async def test_the_interval_writes_what_waits_as_one_batch(recording: RecordingStorage, database: Database):
    """Questions fewer than a batch are written together once the flush interval has passed."""
    writer = QuestionWriter(recording, flush_seconds=0.05, batch_size=100)
    submit(writer, "a", "b", "c", "d", "e")

    async def written() -> bool:
        return await logged(database) == 5

    await eventually(written, "the interval's flush")
    assert recording.batches == [["a", "b", "c", "d", "e"]]
    await writer.close()


async def test_a_big_queue_is_written_in_batches(recording: RecordingStorage, database: Database):
    """A flush writes everything queued, batch_size per transaction, in the order asked."""
    writer = QuestionWriter(recording, flush_seconds=NEVER, batch_size=4, retry_max_seconds=NEVER)
    texts = [f"q{n}" for n in range(10)]
    submit(writer, *texts)
    assert await writer.flush() is True
    assert [len(batch) for batch in recording.batches] == [4, 4, 2]
    assert [text for batch in recording.batches for text in batch] == texts
    assert await logged(database) == 10
    await writer.close()


async def test_flush_on_demand_writes_everything_asked_so_far(
    recording: RecordingStorage, storage: Storage, clock: FakeClock
):
    """flush() (what /stats calls) leaves nothing waiting: the counts include the questions just asked, with
    their outcome, language, entry and the time they were asked, not written."""
    writer = QuestionWriter(recording, flush_seconds=NEVER, retry_max_seconds=NEVER, clock=clock)
    writer.submit("how old for mirai", "nl", "answered", "mirai.age")
    writer.submit("cake", "fr", "fallback")
    assert writer.waiting == 2
    assert await writer.flush() is True
    assert writer.waiting == 0
    stats = await storage.stats()
    assert stats.questions_last_7_days == {"answered": 1, "suggested": 0, "fallback": 1, "redirect": 0}
    newest, oldest = await storage.recent_questions(1)
    assert (oldest.text, oldest.lang, oldest.outcome, oldest.entry_id) == (
        "how old for mirai",
        "nl",
        "answered",
        "mirai.age",
    )
    assert (newest.text, newest.lang, newest.outcome, newest.entry_id) == ("cake", "fr", "fallback", None)
    await writer.close()


async def test_close_writes_what_is_left_and_refuses_later_questions(
    recording: RecordingStorage, database: Database, caplog: pytest.LogCaptureFixture
):
    """Shutdown loses nothing that was queued; a question after it is counted as dropped and logged."""
    writer = QuestionWriter(recording, flush_seconds=NEVER, retry_max_seconds=NEVER)
    writer.start()
    submit(writer, "one", "two", "three")
    await writer.close()
    assert await logged(database) == 3
    assert submit(writer, "too late") == [False]
    assert writer.dropped == 1
    assert "the writer is closed" in caplog.text


async def test_the_queue_is_bounded_drops_with_a_count_and_never_blocks(
    recording: RecordingStorage, database: Database, caplog: pytest.LogCaptureFixture
):
    """While the database is stuck, submit returns at once; past the capacity new questions are dropped and
    counted (logged once, not per question); what was queued is written when the database comes back."""
    assert not inspect.iscoroutinefunction(QuestionWriter.submit)  # nothing for a handler to await on
    recording.gate = asyncio.Event()
    writer = QuestionWriter(recording, flush_seconds=0.01, batch_size=2, capacity=4)
    assert submit(writer, "q1", "q2") == [True, True]
    await asyncio.sleep(0.05)  # the writer is now waiting on the stuck database, holding q1 and q2
    assert submit(writer, "q3", "q4", "q5", "q6", "q7") == [True, True, False, False, False]
    assert (writer.dropped, writer.waiting) == (3, 4)
    assert caplog.text.count("a question was not logged") == 1
    recording.gate.set()
    await writer.close()
    assert await logged(database) == 4
    assert [text for batch in recording.batches for text in batch] == ["q1", "q2", "q3", "q4"]


async def test_a_failing_write_is_logged_once_kept_and_retried(
    recording: RecordingStorage, database: Database, caplog: pytest.LogCaptureFixture
):
    """A database away: the questions stay queued, the first failure is a warning (not one per attempt), the
    writer retries by itself, and says when it writes again; nothing is lost."""
    recording.failures = 3
    writer = QuestionWriter(recording, flush_seconds=0.01, batch_size=10, retry_max_seconds=0.04)
    with caplog.at_level(logging.INFO, logger="bot.storage.question_writer"):
        submit(writer, "a", "b")

        async def written() -> bool:
            return await logged(database) == 2

        await eventually(written, "the retried write")
        await writer.close()
    messages = [record.getMessage() for record in caplog.records if record.name == "bot.storage.question_writer"]
    warnings = [m for m in messages if "could not be written and stay queued" in m]
    assert len(warnings) == 1
    assert "the database is away (test)" in warnings[0]
    assert any("writing again" in m for m in messages)
    assert recording.failures == 0
    assert (writer.written, writer.dropped, writer.refused) == (2, 0, 0)


async def test_flush_reports_a_failure_and_keeps_the_questions(recording: RecordingStorage, database: Database):
    """flush() with the database away answers False and keeps every question for the next attempt."""
    recording.failures = 1
    writer = QuestionWriter(recording, flush_seconds=NEVER, retry_max_seconds=NEVER)
    submit(writer, "kept")
    assert await writer.flush() is False
    assert writer.waiting == 1
    assert await writer.flush() is True
    assert await logged(database) == 1
    await writer.close()


async def test_questions_that_cannot_be_written_at_shutdown_are_logged_as_lost(
    recording: RecordingStorage, caplog: pytest.LogCaptureFixture
):
    """If the database is still away at shutdown, the loss is an error in the log with its size, not silence."""
    recording.failures = 1
    writer = QuestionWriter(recording, flush_seconds=NEVER, retry_max_seconds=NEVER)
    submit(writer, "x", "y")
    await writer.close()
    assert "2 questions could not be written before shutdown and are lost" in caplog.text


async def test_a_row_the_database_refuses_is_dropped_alone_and_counted(
    recording: RecordingStorage, database: Database, caplog: pytest.LogCaptureFixture
):
    """A row breaking a constraint does not block the log: the rest of its batch is written, it is counted as
    refused, and the error names it without quoting the question."""
    writer = QuestionWriter(recording, flush_seconds=NEVER, retry_max_seconds=NEVER)
    writer.submit("good one", "en", "fallback")
    writer.submit("secret bad one", "xx", "fallback")  # type: ignore[arg-type]  # no such language: CHECK fails
    writer.submit("good two", "fr", "answered", "mirai.age")
    assert await writer.flush() is True
    assert await logged(database) == 2
    assert (writer.refused, writer.written, writer.waiting) == (1, 2, 0)
    assert "refused a question (xx, fallback" in caplog.text
    assert "secret" not in caplog.text
    await writer.close()


async def test_a_queued_question_holds_nothing_that_leads_to_who_asked():
    """What waits in memory is what the log keeps: /forget has nothing to erase in the queue."""
    assert {f.name for f in fields(LoggedQuestion)} == {"asked_at", "text", "lang", "outcome", "entry_id"}


async def test_settings_that_cannot_work_are_refused(storage: Storage):
    """A capacity below a batch, or a zero interval, is a configuration error, said at construction."""
    with pytest.raises(ValueError, match="capacity 5 >= batch_size"):
        QuestionWriter(storage, batch_size=10, capacity=5)
    with pytest.raises(ValueError, match="flush_seconds 0"):
        QuestionWriter(storage, flush_seconds=0)
