"""The per-process cache of the language read (Storage.get_user with cache_users_seconds), on every backend:
changes made through the same Storage are seen at once, another process's within the cache time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage import Database, Storage, StorageError
from bot.storage.repository import BATCH
from tests.clock import FakeClock

SHORT = 0.05  # seconds a cached read is kept in these tests


@pytest.fixture
def cached(database: Database, clock: FakeClock) -> Storage:
    """The bot's Storage: reads of a user are kept in memory."""
    return Storage(database, clock=clock, cache_users_seconds=3600)


@pytest.fixture
def elsewhere(database: Database, clock: FakeClock) -> Storage:
    """Another process on the same database (a webhook replica): its changes bypass the first one's cache."""
    return Storage(database, clock=clock)


async def test_a_read_is_kept_including_that_there_is_no_user(cached: Storage, elsewhere: Storage):
    """Once read, a user (or the absence of one, the usual case) is answered from memory: a change made by
    another process is not seen while it is kept."""
    assert await cached.get_user(1) is None
    await elsewhere.set_language(1, "fr")
    assert await cached.get_user(1) is None
    await elsewhere.set_language(2, "nl")
    assert (await cached.get_user(2)).language == "nl"  # type: ignore[union-attr]
    await elsewhere.set_language(2, "fr")
    assert (await cached.get_user(2)).language == "nl"  # type: ignore[union-attr]


async def test_changes_through_the_same_storage_are_seen_at_once(cached: Storage):
    """/language, /forget, a block (403), a reactivation and a subscription each drop the cached read."""
    assert await cached.get_user(7) is None
    await cached.set_language(7, "fr")
    assert (await cached.get_user(7)).language == "fr"  # type: ignore[union-attr]
    await cached.set_language(7, None)
    assert (await cached.get_user(7)).language is None  # type: ignore[union-attr]
    await cached.deactivate(7)
    assert (await cached.get_user(7)).active is False  # type: ignore[union-attr]
    await cached.reactivate(7)
    assert (await cached.get_user(7)).active is True  # type: ignore[union-attr]
    assert await cached.forget(7) is True
    assert await cached.get_user(7) is None
    await cached.subscribe(7, "mirai", "nl")
    assert await cached.get_user(7) is not None


async def test_a_kept_read_expires(database: Database, clock: FakeClock, elsewhere: Storage):
    """After cache_users_seconds the user is read again, so another process's change reaches this one."""
    cached = Storage(database, clock=clock, cache_users_seconds=SHORT)
    assert await cached.get_user(3) is None
    await elsewhere.set_language(3, "nl")
    await asyncio.sleep(SHORT * 2)
    assert (await cached.get_user(3)).language == "nl"  # type: ignore[union-attr]


async def test_without_a_cache_time_every_read_goes_to_the_database(elsewhere: Storage, database: Database):
    """The default (tools, tests, the CLI): no cache, every read sees the latest row."""
    plain = Storage(database)
    assert await plain.get_user(5) is None
    await elsewhere.set_language(5, "fr")
    assert (await plain.get_user(5)).language == "fr"  # type: ignore[union-attr]


class HeldReads(Storage):
    """A Storage whose reads, once they have read, wait for ``gate`` before returning: a slow read, made certain."""

    def __init__(self, database: Database, clock: FakeClock) -> None:
        super().__init__(database, clock=clock, cache_users_seconds=3600)
        self.gate = asyncio.Event()
        self.held = asyncio.Event()

    @asynccontextmanager
    async def _transaction(self, operation: str, *, write: bool = True) -> AsyncIterator[AsyncConnection]:
        async with super()._transaction(operation, write=write) as connection:
            yield connection
        if not write:
            self.held.set()
            await self.gate.wait()


async def test_a_read_overlapping_a_change_is_not_kept(database: Database, clock: FakeClock, elsewhere: Storage):
    """A read that saw the row before a change through this Storage, and ends after it, is answered but not
    kept, so the next read sees the change."""
    storage = HeldReads(database, clock)
    await elsewhere.set_language(9, "en")
    read = asyncio.create_task(storage.get_user(9))
    await storage.held.wait()  # it has read "en"
    await storage.set_language(9, "nl")
    storage.gate.set()
    assert (await read).language == "en"  # type: ignore[union-attr]
    assert (await storage.get_user(9)).language == "nl"  # type: ignore[union-attr]


class ReadCounter:
    """Counts the SELECTs of the users table that reach the database."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.reads = 0

    def _count(self, _conn: object, _cursor: object, statement: str, *_: object) -> None:
        self.reads += statement.lstrip().startswith("SELECT") and "FROM users" in statement

    def __enter__(self) -> ReadCounter:
        event.listen(self.database.engine.sync_engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(self.database.engine.sync_engine, "before_cursor_execute", self._count)


async def test_concurrent_reads_of_new_chats_go_to_the_database_once(database: Database, cached: Storage):
    """A burst of messages from chats not yet read (each handler asking in the same turn of the event loop)
    waits for one read of all of them, not one read each."""
    await cached.set_language(12, "fr")
    with ReadCounter(database) as counter:
        users = await asyncio.gather(*(cached.get_user(chat_id) for chat_id in (11, 12, 11, 11, 12, 13, 11)))
    assert [user.language if user else None for user in users] == [None, "fr", None, None, "fr", None, None]
    assert counter.reads == 1
    with ReadCounter(database) as counter:
        assert (await cached.get_user(12)).language == "fr"  # type: ignore[union-attr]
    assert counter.reads == 0


async def test_a_burst_larger_than_a_statement_is_read_in_one_transaction(database: Database, cached: Storage):
    """More chats than one statement's bound parameters hold are read in statements of BATCH, all answered."""
    chats = range(1, BATCH + 2)
    for chat_id in (1, BATCH + 1):
        await cached.set_language(chat_id, "nl")
    with ReadCounter(database) as counter:
        users = await asyncio.gather(*(cached.get_user(chat_id) for chat_id in chats))
    assert [chat_id for chat_id, user in zip(chats, users, strict=True) if user is not None] == [1, BATCH + 1]
    assert counter.reads == 2


class FailingReads(Storage):
    """A Storage whose database is away for reads."""

    @asynccontextmanager
    async def _transaction(self, operation: str, *, write: bool = True) -> AsyncIterator[AsyncConnection]:
        if not write:
            raise StorageError(f"cannot {operation}: the database is away")
        async with super()._transaction(operation, write=write) as connection:
            yield connection


async def test_a_failed_read_reaches_every_waiter_and_is_not_kept(database: Database, clock: FakeClock):
    """When the shared read fails, each waiting handler gets the StorageError (and answers without the choice);
    nothing is kept, so the next message reads again."""
    storage = FailingReads(database, clock=clock, cache_users_seconds=3600)
    results = await asyncio.gather(*(storage.get_user(chat_id) for chat_id in (1, 2, 1)), return_exceptions=True)
    assert [type(result) for result in results] == [StorageError] * 3
    with pytest.raises(StorageError):
        await storage.get_user(1)
