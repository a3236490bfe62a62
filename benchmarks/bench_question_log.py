"""The database work of one question, without Telegram: the language read and the question log, before and after.

    .venv/bin/python benchmarks/bench_question_log.py [--questions 2000] [--concurrency 1,256] [--rounds 3]
        [--database sqlite|postgresql|both] [--postgres-url URL]

Each question does what the text handler asks of storage: read the user's language choice
(``Storage.get_user``, as ``AccountHandlers.chosen_language`` does), then log the question. Three ways:

* **before**: the log written on the path, one transaction per question (``Storage.record_question``);
* **queued**: the log queued (``QuestionWriter.submit``) and written in batches by one task;
* **queued+cache**: the same, with the bot's per-process cache of the language read
  (``Storage(cache_users_seconds=USER_CACHE_SECONDS)``): each chat is read once, then answered from memory
  (the hit rate is the run's: ``--users`` chats share the questions, each first seen cold).

``--concurrency`` questions run at once (python-telegram-bot runs up to 256 updates concurrently), spread
over ``--users`` chats, one in ten of which has chosen a language. Figures are the median of ``--rounds``
rounds, alternating the ways; each round is on a fresh database (SQLite in a temporary folder, or a new
schema on PostgreSQL, at 127.0.0.1:5432 db ``test`` by default). Printed per way: the questions per second
until every call has returned (the reply's path), the same until every question is in the database (for
``queued``: including the last flush), and the p50/p99 of one question's storage time.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import event, func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.storage import Database, Storage  # noqa: E402
from bot.storage.database import parse_url  # noqa: E402
from bot.storage.models import QuestionLog  # noqa: E402
from bot.storage.question_writer import QuestionWriter  # noqa: E402
from bot.storage.repository import USER_CACHE_SECONDS  # noqa: E402

DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
WAYS = ("before", "queued", "queued+cache")
QUESTION = "can i still apply for mirai if i am 19 years old"


@dataclass(frozen=True, slots=True)
class Result:
    path_per_second: float
    drained_per_second: float
    p50_ms: float
    p99_ms: float
    user_reads: int  # SELECTs of the users table the round sent to the database


@asynccontextmanager
async def fresh_database(backend: str, postgres_url: str) -> AsyncIterator[Database]:
    """An empty, migrated database: a SQLite file in a temporary folder, or a new schema, dropped after."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            database = Database(None, data_dir=Path(folder))
            await database.upgrade()
            try:
                yield database
            finally:
                await database.close()
        return
    schema = f"bench_qlog_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(parse_url(postgres_url))
    try:
        async with admin.begin() as connection:
            await connection.execute(text(f"CREATE SCHEMA {schema}"))
        database = Database(postgres_url, schema=schema)
        try:
            await database.upgrade()
            yield database
        finally:
            await database.close()
            async with admin.begin() as connection:
                await connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    finally:
        await admin.dispose()


async def one_round(backend: str, postgres_url: str, way: str, questions: int, concurrency: int, users: int) -> Result:
    async with fresh_database(backend, postgres_url) as database:
        storage = Storage(database, cache_users_seconds=USER_CACHE_SECONDS if way == "queued+cache" else 0)
        for chat_id in range(0, users, 10):  # one chat in ten has chosen a language
            await Storage(database).set_language(chat_id, "fr")
        writer = QuestionWriter(storage)
        user_reads = 0

        def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
            nonlocal user_reads
            user_reads += statement.lstrip().startswith("SELECT") and "FROM users" in statement

        event.listen(database.engine.sync_engine, "before_cursor_execute", count)

        async def language(chat_id: int) -> object:
            return await storage.get_user(chat_id)

        async def log(number: int) -> None:
            if way == "before":
                await storage.record_question(f"{QUESTION} {number}", "en", "fallback")
            else:
                writer.submit(f"{QUESTION} {number}", "en", "fallback")

        timings: list[float] = []
        next_question = iter(range(questions))

        async def worker() -> None:
            for number in next_question:
                started = time.perf_counter()
                await language(number % users)
                await log(number)
                timings.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        path = time.perf_counter() - started
        await writer.close()
        drained = time.perf_counter() - started
        async with database.engine.connect() as connection:
            logged = (await connection.execute(select(func.count()).select_from(QuestionLog))).scalar_one()
        if logged != questions:
            raise SystemExit(f"{way}: {logged} of {questions} questions were logged")
        timings.sort()
        return Result(
            questions / path,
            questions / drained,
            1000 * timings[len(timings) // 2],
            1000 * timings[min(len(timings) - 1, int(len(timings) * 0.99))],
            user_reads,
        )


def median(results: list[Result], pick: Callable[[Result], float]) -> float:
    return statistics.median(pick(result) for result in results)


async def bench(args: argparse.Namespace) -> None:
    backends = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    for backend in backends:
        for concurrency in args.concurrency:
            results: dict[str, list[Result]] = {way: [] for way in WAYS}
            for _ in range(args.rounds):
                for way in WAYS:
                    run: Awaitable[Result] = one_round(
                        backend, args.postgres_url, way, args.questions, concurrency, args.users
                    )
                    results[way].append(await run)
            print(f"\n{backend}, {args.questions} questions, concurrency {concurrency}, median of {args.rounds}:")
            print(f"  {'way':<13} {'path q/s':>10} {'drained q/s':>12} {'p50 ms':>8} {'p99 ms':>8} {'user reads':>11}")
            for way, runs in results.items():
                print(
                    f"  {way:<13} {median(runs, lambda r: r.path_per_second):>10.0f}"
                    f" {median(runs, lambda r: r.drained_per_second):>12.0f}"
                    f" {median(runs, lambda r: r.p50_ms):>8.2f} {median(runs, lambda r: r.p99_ms):>8.2f}"
                    f" {median(runs, lambda r: r.user_reads):>11.0f}"
                )
            before = median(results["before"], lambda r: r.path_per_second)
            for way in WAYS[1:]:
                print(f"  {way} / before, path: {median(results[way], lambda r: r.path_per_second) / before:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=2000)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--concurrency",
        type=lambda s: [int(n) for n in s.split(",")],
        default=[1, 256],
        help="e.g. 1,256 (python-telegram-bot's concurrent_updates=True is 256)",
    )
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    asyncio.run(bench(parser.parse_args()))


if __name__ == "__main__":
    main()
