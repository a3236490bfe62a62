"""The storage contract, run on every backend: SQLite always, PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, text

from bot.storage import Database, Storage, StorageError
from bot.storage.database import alembic_config
from bot.storage.models import Base, QuestionLog
from bot.storage.repository import BATCH
from tests.clock import FakeClock
from tests.storage.conftest import BACKENDS, TEST_DATABASE_URL, Backend

HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()

PROJECT_ROOT = Path(__file__).resolve().parents[2]
STALE = timedelta(minutes=5)
TABLES = {
    *("users", "subscriptions", "deliveries", "question_log", "broadcasts", "quiz_log"),
    *("watched_pages", "page_changes"),
}


async def rows_with_chat_id(database: Database, chat_id: int) -> dict[str, int]:
    """How many rows of each table that has a chat_id column hold this chat id."""
    counts = {}
    async with database.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            if "chat_id" in table.c:
                statement = select(func.count()).select_from(table).where(table.c.chat_id == chat_id)
                counts[table.name] = (await connection.execute(statement)).scalar_one()
    return counts


class TestStorageContract:
    """What the features rely on, identical on SQLite and PostgreSQL."""

    async def test_migrations_apply_from_empty(self, backend: Backend):
        """Upgrading an empty database creates every table at the head revision, and upgrading again changes nothing."""
        database = backend.open()
        await database.upgrade()
        await database.upgrade()
        async with database.engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
            version = (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
        assert tables == TABLES | {"alembic_version"}
        assert version == [HEAD]

    async def test_migrated_schema_matches_the_models(self, database: Database):
        """Alembic's autogenerate finds no difference between the migrated schema and the models."""
        async with database.engine.connect() as connection:
            differences = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
        assert differences == []

    async def test_user_language_is_upserted_and_read_back(self, storage: Storage, clock: FakeClock):
        """set_language creates the user once, then only changes the language; times come back as aware UTC."""
        assert await storage.get_user(42) is None
        await storage.set_language(42, "fr")
        created = clock.now
        clock.advance(days=1)
        await storage.set_language(42, "nl")
        user = await storage.get_user(42)
        assert user is not None
        assert (user.chat_id, user.language, user.active) == (42, "nl", True)
        assert user.created_at == created
        assert user.created_at.tzinfo is UTC
        await storage.set_language(42, None)
        assert (await storage.get_user(42)).language is None  # type: ignore[union-attr]

    async def test_subscribe_is_idempotent(self, storage: Storage):
        """Subscribing twice keeps one subscription and says the second time that nothing changed."""
        assert await storage.subscribe(7, "mirai") is True
        assert await storage.subscribe(7, "mirai") is False
        assert await storage.subscribe(7, "jet") is True
        assert await storage.subscriptions(7) == ["jet", "mirai"]
        assert await storage.subscribers("mirai") == [7]
        user = await storage.get_user(7)
        assert user is not None
        assert user.language is None

    async def test_unsubscribe_one_or_all(self, storage: Storage):
        """unsubscribe removes one programme, or every one when none is named, and counts what it removed."""
        for programme in ("mirai", "jet", "other"):
            await storage.subscribe(7, programme)
        assert await storage.unsubscribe(7, "jet") == 1
        assert await storage.unsubscribe(7, "jet") == 0
        assert await storage.subscriptions(7) == ["mirai", "other"]
        assert await storage.unsubscribe(7) == 2
        assert await storage.subscriptions(7) == []
        assert await storage.get_user(7) is not None

    async def test_subscribers_exclude_inactive_users(self, storage: Storage):
        """A user who blocked the bot is no subscriber until they come back; deactivating a stranger is a no-op."""
        for chat_id in (1, 2, 3):
            await storage.subscribe(chat_id, "mirai")
        assert await storage.deactivate(2) is True
        assert await storage.deactivate(99) is False
        assert await storage.subscribers("mirai") == [1, 3]
        assert await storage.enqueue_subscribers("mirai:w:opens", "mirai") == 2
        await storage.set_language(2, "en")  # they wrote to the bot again
        assert await storage.subscribers("mirai") == [1, 2, 3]

    async def test_deactivating_fails_pending_deliveries(self, storage: Storage):
        """Deliveries still pending for a user who blocked the bot are failed, not retried."""
        await storage.subscribe(1, "mirai")
        await storage.enqueue("mirai:w:opens", [1])
        await storage.deactivate(1)
        assert await storage.claim("worker", 10, STALE) == []
        assert await storage.delivery_counts("mirai:w:opens") == {"pending": 0, "claimed": 0, "sent": 0, "failed": 1}

    async def test_enqueue_is_idempotent(self, storage: Storage):
        """An alert is queued once per chat however often it is enqueued; unknown and inactive chats are skipped."""
        for chat_id in (1, 2, 3):
            await storage.subscribe(chat_id, "mirai")
        await storage.deactivate(3)
        assert await storage.enqueue("mirai:w:opens", [1, 2, 2, 3, 404]) == 2
        assert await storage.enqueue("mirai:w:opens", [1, 2, 3, 404]) == 0
        assert await storage.enqueue_subscribers("mirai:w:opens", "mirai") == 0
        assert await storage.enqueue("mirai:w:closes-in-7-days", range(1, 2000)) == 2
        assert await storage.delivery_counts() == {"pending": 4, "claimed": 0, "sent": 0, "failed": 0}

    async def test_enqueued_alert_keys_by_prefix(self, storage: Storage):
        """The alert keys already queued can be listed, filtered by a literal prefix."""
        await storage.subscribe(1, "mirai")
        for key in ("mirai:w_1:opens", "mirai:wx1:opens", "jet:w:opens"):
            await storage.enqueue(key, [1])
        assert await storage.enqueued_alert_keys() == {"mirai:w_1:opens", "mirai:wx1:opens", "jet:w:opens"}
        assert await storage.enqueued_alert_keys("mirai:w_") == {"mirai:w_1:opens"}

    @pytest.mark.parametrize("engines", [1, 2], ids=["one-engine", "two-engines"])
    async def test_concurrent_claimers_never_get_the_same_row(
        self, backend: Backend, database: Database, clock: FakeClock, engines: int
    ):
        """Four workers draining one queue at once, on one engine or two, claim every delivery exactly once."""
        storage = Storage(database, clock=clock)
        for chat_id in range(1, 121):
            await storage.subscribe(chat_id, "mirai")
        assert await storage.enqueue_subscribers("mirai:w:opens", "mirai") == 120
        other = database if engines == 1 else backend.open()
        workers = [Storage(db, clock=clock) for db in (database, other, database, other)]

        async def drain(worker: Storage, name: str) -> list[int]:
            claimed: list[int] = []
            while batch := await worker.claim(name, 5, STALE):
                await asyncio.sleep(0.002)  # sending
                for claim in batch:
                    assert await worker.mark_sent(claim.id)
                claimed += [claim.id for claim in batch]
            return claimed

        async with asyncio.TaskGroup() as group:  # like gather, but a failing worker stops the others
            tasks = [group.create_task(drain(worker, f"worker-{n}")) for n, worker in enumerate(workers)]
        results = [task.result() for task in tasks]
        every = [delivery_id for result in results for delivery_id in result]
        assert len(every) == len(set(every)) == 120
        assert sum(1 for result in results if result) >= 2  # they did compete
        assert await storage.delivery_counts() == {"pending": 0, "claimed": 0, "sent": 120, "failed": 0}

    async def test_claims_come_oldest_first_with_the_language(self, storage: Storage):
        """A claim returns at most the limit, oldest first, with each user's language and the attempt count."""
        await storage.subscribe(1, "mirai")
        await storage.set_language(2, "fr")
        await storage.subscribe(2, "mirai")
        await storage.enqueue("first", [2, 1])
        await storage.enqueue("second", [1])
        claims = await storage.claim("worker", 2, STALE)
        assert [(c.alert_key, c.chat_id, c.language, c.attempts) for c in claims] == [
            ("first", 1, None, 1),
            ("first", 2, "fr", 1),
        ]
        assert [c.alert_key for c in await storage.claim("worker", 2, STALE)] == ["second"]

    async def test_stale_claims_are_reclaimed(self, storage: Storage, clock: FakeClock):
        """A claim older than stale_after goes to another worker; the first then can no longer release it."""
        await storage.subscribe(1, "mirai")
        await storage.enqueue("mirai:w:opens", [1])
        [first] = await storage.claim("crashed", 10, STALE)
        clock.advance(minutes=4)
        assert await storage.claim("other", 10, STALE) == []
        clock.advance(minutes=2)
        [again] = await storage.claim("other", 10, STALE)
        assert (again.id, again.attempts) == (first.id, 2)
        assert await storage.release(first.id, "crashed") is False
        assert await storage.mark_sent(again.id) is True
        assert await storage.mark_sent(first.id) is False
        clock.advance(hours=1)
        assert await storage.claim("third", 10, STALE) == []

    async def test_mark_sent_and_failed(self, storage: Storage):
        """Sent and failed deliveries leave the queue; a failure keeps its reason and never overrides a sent one."""
        for chat_id in (1, 2):
            await storage.subscribe(chat_id, "mirai")
        await storage.enqueue("mirai:w:opens", [1, 2])
        sent, failed = await storage.claim("worker", 10, STALE)
        assert await storage.mark_sent(sent.id) is True
        assert await storage.mark_failed(failed.id, "Forbidden: bot was blocked by the user " * 50) is True
        assert await storage.mark_failed(sent.id, "late error") is False
        assert await storage.claim("worker", 10, STALE) == []
        assert await storage.delivery_counts("mirai:w:opens") == {"pending": 0, "claimed": 0, "sent": 1, "failed": 1}
        assert await storage.delivery_counts("other") == {"pending": 0, "claimed": 0, "sent": 0, "failed": 0}

    async def test_mark_sent_many(self, storage: Storage):
        """Many deliveries are recorded as sent at once, past one statement's worth; one already sent is not
        counted again, and none of them can be claimed again."""
        chats = range(1, BATCH + 3)
        for chat_id in chats:
            await storage.subscribe(chat_id, "mirai")
        await storage.enqueue("mirai:w:opens", list(chats))
        claims = await storage.claim("worker", BATCH + 2, STALE)
        assert await storage.mark_sent(claims[0].id) is True
        assert await storage.mark_sent_many([claim.id for claim in claims]) == BATCH + 1
        assert await storage.mark_sent_many([]) == 0
        assert await storage.delivery_counts("mirai:w:opens") == {
            "pending": 0,
            "claimed": 0,
            "sent": BATCH + 2,
            "failed": 0,
        }
        assert await storage.claim("worker", 10, timedelta(0)) == []  # not even as stale claims

    async def test_release_puts_deliveries_back(self, storage: Storage):
        """A released delivery, or all of a worker's at shutdown, can be claimed again at once."""
        for chat_id in (1, 2, 3):
            await storage.subscribe(chat_id, "mirai")
        await storage.enqueue("mirai:w:opens", [1, 2, 3])
        one, *_ = await storage.claim("worker", 10, STALE)
        assert await storage.release(one.id, "someone-else") is False
        assert await storage.release(one.id, "worker", error="timed out") is True
        assert await storage.release_claims("worker") == 2
        again = await storage.claim("next", 10, STALE)
        assert [claim.attempts for claim in again] == [2, 2, 2]

    async def test_forget_leaves_no_row_with_the_chat_id(self, storage: Storage, database: Database):
        """forget erases the user, their subscriptions and deliveries in every state, and touches no one else."""
        for chat_id in (7, 8):
            await storage.set_language(chat_id, "nl")
            await storage.subscribe(chat_id, "mirai")
            await storage.subscribe(chat_id, "jet")
        for key in ("a", "b", "c"):
            await storage.enqueue(key, [7, 8])
        claims = await storage.claim("worker", 4, STALE)
        await storage.mark_sent(claims[0].id)
        await storage.mark_failed(claims[1].id, "error")
        await storage.record_question("how old must I be?", "nl", "answered", "mirai.age")

        assert await storage.forget(7) is True
        assert await storage.forget(7) is False
        assert await rows_with_chat_id(database, 7) == {"users": 0, "subscriptions": 0, "deliveries": 0}
        assert await rows_with_chat_id(database, 8) == {"users": 1, "subscriptions": 2, "deliveries": 3}
        assert "chat_id" not in QuestionLog.__table__.c  # the question log is anonymous by construction

    async def test_question_log_recent_and_purge(self, storage: Storage, clock: FakeClock):
        """Recent questions come newest first, filtered by outcome; purging removes only those past retention."""
        await storage.record_question("very old", "en", "fallback")
        clock.advance(days=80)
        await storage.record_question("older", "fr", "suggested", "mirai.age")
        clock.advance(days=15)
        await storage.record_question("newest", "nl", "answered", "jet.what")
        texts = [question.text for question in await storage.recent_questions(days=30)]
        assert texts == ["newest", "older"]
        [suggested] = await storage.recent_questions(days=365, outcomes=["suggested", "fallback"], limit=1)
        assert (suggested.text, suggested.lang, suggested.outcome, suggested.entry_id) == (
            "older",
            "fr",
            "suggested",
            "mirai.age",
        )
        assert suggested.asked_at == clock.now - timedelta(days=15)
        assert await storage.purge_questions_older_than(90) == 1
        assert await storage.purge_questions_older_than(90) == 0
        assert [question.text for question in await storage.recent_questions(days=365)] == ["newest", "older"]

    async def test_stats(self, storage: Storage, clock: FakeClock):
        """stats counts users, active subscribers per programme, deliveries per state and recent questions."""
        for chat_id in (1, 2, 3):
            await storage.subscribe(chat_id, "mirai")
        await storage.subscribe(1, "jet")
        await storage.deactivate(3)
        await storage.enqueue("mirai:w:opens", [1, 2])
        [claim, _] = await storage.claim("worker", 10, STALE)
        await storage.mark_sent(claim.id)
        await storage.record_question("q1", "en", "answered")
        clock.advance(days=10)
        await storage.record_question("q2", "en", "fallback")
        await storage.record_question("q3", "fr", "answered")
        stats = await storage.stats()
        assert (stats.users, stats.active_users) == (3, 2)
        assert stats.subscribers == {"mirai": 2, "jet": 1}
        assert stats.deliveries == {"pending": 0, "claimed": 1, "sent": 1, "failed": 0}
        assert stats.questions_last_7_days == {"answered": 1, "suggested": 0, "fallback": 1, "redirect": 0}
        assert stats.questions_last_30_days == {"answered": 2, "suggested": 0, "fallback": 1, "redirect": 0}

    async def test_ping(self, database: Database):
        """A migrated, reachable database answers the health check."""
        assert await database.ping() is True


async def test_postgresql_is_tested_in_ci():
    """CI (.ci/run sets CI=1 and TEST_DATABASE_URL) runs the contract on PostgreSQL too, on a server that answers;
    a run without TEST_DATABASE_URL is SQLite only, which is refused under CI (the run's summary says so too)."""
    if not TEST_DATABASE_URL:
        assert not os.environ.get("CI"), "CI without TEST_DATABASE_URL: the storage contract would skip PostgreSQL"
        assert BACKENDS == ["sqlite"]
        return
    assert BACKENDS == ["sqlite", "postgresql"]
    database = Database(TEST_DATABASE_URL)
    try:
        assert await database.ping() is True
    finally:
        await database.close()


async def test_default_database_is_a_sqlite_file_created_in_the_data_dir(tmp_path: Path):
    """Without a URL the database is a SQLite file in the data directory, which is created on first start."""
    data_dir = tmp_path / "not" / "yet"
    async with Database(data_dir=data_dir) as database:
        assert database.dialect == "sqlite"
        await database.upgrade()
    assert (data_dir / "bot.sqlite3").is_file()


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgresql://bot:secret@db:5432/bot", "postgresql+asyncpg"),
        ("postgres://bot@db/bot", "postgresql+asyncpg"),
        ("postgresql+asyncpg://bot@db/bot", "postgresql+asyncpg"),
        ("sqlite:///data/bot.sqlite3", "sqlite+aiosqlite"),
    ],
)
async def test_urls_get_the_async_driver(url: str, driver: str):
    """A URL naming no driver, or the async one, gets the async driver, and its password is never shown."""
    database = Database(url)
    assert database.url.drivername == driver
    assert "secret" not in database.display_url
    assert "secret" not in repr(database)
    await database.close()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "is not a database address"),
        ("mysql://bot:secret@db/bot", "is not supported"),
        ("postgresql+psycopg2://bot:secret@db/bot", "is not supported"),
    ],
)
def test_unusable_urls_are_refused_with_the_fix(url: str, message: str):
    """A URL the bot cannot use is refused with what to write instead, and without its password."""
    with pytest.raises(StorageError, match=message) as caught:
        Database(url)
    assert "postgresql+asyncpg://" in str(caught.value)
    assert "secret" not in str(caught.value)


def test_schema_only_on_postgresql(tmp_path: Path):
    """A schema is PostgreSQL's search path: refused on SQLite, and refused when it is not a plain name."""
    with pytest.raises(StorageError, match="schema"):
        Database(data_dir=tmp_path, schema="bot")
    with pytest.raises(StorageError, match="schema"):
        Database("postgresql://db/bot", schema="bot; DROP TABLE users")


async def test_unmigrated_database_errors_say_what_to_check(tmp_path: Path):
    """Using a database that was never migrated raises a StorageError naming the operation and the remedy."""
    async with Database(data_dir=tmp_path) as database:
        with pytest.raises(StorageError, match=r"cannot subscribe: .*no such table.*migrated"):
            await Storage(database).subscribe(1, "mirai")


async def test_unreachable_server_fails_health_check_and_start_up():
    """A PostgreSQL server that does not answer fails the health check, and migrating says what to check."""
    async with Database("postgresql+asyncpg://postgres@127.0.0.1:9/test") as database:
        assert await database.ping() is False
        with pytest.raises(StorageError, match=r"127\.0\.0\.1:9.*reachable"):
            await database.upgrade()


async def test_naive_times_are_refused(tmp_path: Path):
    """A clock without a time zone is a bug: storing its time fails instead of guessing the zone."""
    async with Database(data_dir=tmp_path) as database:
        await database.upgrade()
        storage = Storage(database, clock=lambda: datetime(2026, 1, 1))
        with pytest.raises(StorageError, match="naive datetime"):
            await storage.record_question("q", "en", "fallback")


def test_alembic_by_hand(tmp_path: Path):
    """Staff can run Alembic by hand with the project's alembic.ini against any database URL."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'by-hand.sqlite3'}"
    for arguments in (["upgrade", "head"], ["check"], ["current"]):
        result = subprocess.run(
            [sys.executable, "-m", "alembic", "-x", f"url={url}", *arguments],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
    assert f"{HEAD} (head)" in result.stdout


async def test_quiz_verdicts_are_counted_without_answers(tmp_path: Path) -> None:
    """A finished quiz adds one count per programme and status to /stats, and nothing else is kept."""
    async with Database(None, data_dir=tmp_path) as database:
        await database.upgrade()
        storage = Storage(database)
        await storage.record_quiz_verdict("mirai", "eligible")
        await storage.record_quiz_verdict("mirai", "eligible")
        await storage.record_quiz_verdict("jet", "not_eligible")

        stats = await storage.stats()

    assert stats.quiz_verdicts_last_30_days == {"mirai: eligible": 2, "jet: not_eligible": 1}
