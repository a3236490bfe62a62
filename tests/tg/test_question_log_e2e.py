"""End to end: the batched question log in the real bot, polling the fake Bot API, on SQLite and PostgreSQL.

Questions asked are written by the writer, not on the reply's path: a clean shutdown writes what is still
queued, /stats counts every question asked so far, and a database that is stuck delays no reply; what a full
queue could not keep is counted in /stats.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Collection

import pytest
from sqlalchemy import func, select

from bot.core.engine import Engine
from bot.storage import Database, LoggedQuestion, Storage
from bot.storage.models import QuestionLog
from bot.storage.question_writer import QuestionWriter
from tests.fake_bot_api import FakeBotApi
from tests.tg.bots import bot
from tests.tg.chat import ask

pytestmark = pytest.mark.usefixtures("bot_logs")

ADMIN = 4242
STUDENT = 3001
NEVER = 3600.0  # a flush interval no test waits for
QUESTIONS = [
    ("what is the minimum age for MIRAI", "answered"),
    ("recipe for chocolate cake", "fallback"),
    ("quel est l'âge minimum pour MIRAI ?", "answered"),
]


class HeldStorage(Storage):
    """The writer's storage, whose writes wait for ``gate``: a database that is stuck until a test lets it go."""

    def __init__(self, database: Database) -> None:
        super().__init__(database)
        self.gate = asyncio.Event()

    async def record_questions(self, questions: Collection[LoggedQuestion]) -> int:
        await self.gate.wait()
        return await super().record_questions(questions)


async def logged(database: Database) -> int:
    async with database.engine.connect() as connection:
        return (await connection.execute(select(func.count()).select_from(QuestionLog))).scalar_one()


def log_line(lines: list[str]) -> str:
    [line] = [line for line in lines if line.startswith("Questions not logged since start")]
    return line


async def eventually(check: Callable[[], bool], what: str, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds}s waiting until {what}")
        await asyncio.sleep(0.01)


async def test_a_clean_shutdown_writes_every_question_still_queued(
    fake_api: FakeBotApi, engine: Engine, databases: Callable[[], Database]
) -> None:
    """Questions answered but not yet written (the interval has not come) are in the log after a clean stop,
    with their outcomes."""
    database = databases()
    writers: list[QuestionWriter] = []

    def writer(storage: Storage) -> QuestionWriter:
        writers.append(QuestionWriter(storage, flush_seconds=NEVER, retry_max_seconds=NEVER))
        return writers[0]

    async with bot(fake_api, engine, database, alert_jobs=False, question_writer=writer, admin_ids=frozenset({ADMIN})):
        for question, _ in QUESTIONS:
            await ask(fake_api, question, user=STUDENT)
        await eventually(lambda: writers[0].waiting == len(QUESTIONS), "every question is queued")
        assert await logged(database) == 0  # still queued: only the shutdown writes them
    recent = await Storage(database).recent_questions(1)
    assert sorted((q.text, q.outcome) for q in recent) == sorted(QUESTIONS)
    assert (writers[0].written, writers[0].dropped) == (len(QUESTIONS), 0)


async def test_stats_counts_questions_still_queued_and_shows_the_log_counters(
    fake_api: FakeBotApi, engine: Engine, databases: Callable[[], Database]
) -> None:
    """/stats flushes the queue first, so the questions just asked are counted; it says that none was lost."""
    database = databases()
    writers: list[QuestionWriter] = []

    def writer(storage: Storage) -> QuestionWriter:
        writers.append(QuestionWriter(storage, flush_seconds=NEVER, retry_max_seconds=NEVER))
        return writers[0]

    async with bot(fake_api, engine, database, alert_jobs=False, question_writer=writer, admin_ids=frozenset({ADMIN})):
        for question, _ in QUESTIONS:
            await ask(fake_api, question, user=STUDENT)
        await eventually(lambda: writers[0].waiting == len(QUESTIONS), "every question is queued")
        stats = await ask(fake_api, "/stats", user=ADMIN)
    lines = stats.text.splitlines()
    assert "Questions, last 7 days: 3 (answered 67%, fallback 33%, redirect 0%, suggested 0%)" in lines
    assert log_line(lines) == (
        "Questions not logged since start: 0 (log queue full), 0 (refused by the database); waiting to be written: 0"
    )


async def test_a_stuck_database_delays_no_answer_and_a_full_queue_is_counted_in_stats(
    fake_api: FakeBotApi, engine: Engine, databases: Callable[[], Database], bot_logs: list[str]
) -> None:
    """While the question log cannot be written every question is still answered; past the queue's capacity the
    questions are dropped, and /stats says how many, once the database is back."""
    bot_logs.append("a question was not logged")
    database = databases()
    held = HeldStorage(database)
    writers: list[QuestionWriter] = []

    def writer(storage: Storage) -> QuestionWriter:
        writers.append(QuestionWriter(held, flush_seconds=NEVER, batch_size=2, capacity=2, retry_max_seconds=NEVER))
        return writers[0]

    questions = [question for question, _ in QUESTIONS] + ["how old must I be for MIRAI"]
    async with bot(fake_api, engine, database, alert_jobs=False, question_writer=writer, admin_ids=frozenset({ADMIN})):
        for question in questions:
            reply = await ask(fake_api, question, user=STUDENT)
            assert reply.text, f"no answer to {question!r} while the log was stuck"
        await eventually(lambda: writers[0].dropped == 2, "two questions are dropped")
        held.gate.set()
        stats = await ask(fake_api, "/stats", user=ADMIN)
    assert log_line(stats.text.splitlines()) == (
        "Questions not logged since start: 2 (log queue full), 0 (refused by the database); waiting to be written: 0"
    )
    assert await logged(database) == 2
