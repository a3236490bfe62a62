"""Storage fixtures: a migrated database per backend, SQLite always and PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.storage import Database, Storage
from bot.storage.database import parse_url
from tests.clock import FakeClock

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
# Without TEST_DATABASE_URL the PostgreSQL cases are not generated; the run's summary says so, and under CI
# test_postgresql_is_tested_in_ci fails.
BACKENDS = ["sqlite", "postgresql"] if TEST_DATABASE_URL else ["sqlite"]


class Backend:
    """Opens Database objects (each its own engine) on one empty test database, and closes them all."""

    def __init__(self, name: str, make: Callable[[], Database]) -> None:
        self.name = name
        self._make = make
        self._opened: list[Database] = []

    def open(self) -> Database:
        database = self._make()
        self._opened.append(database)
        return database

    async def close(self) -> None:
        for database in self._opened:
            await database.close()


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    """An empty database: a SQLite file in a temporary directory, or a new schema on TEST_DATABASE_URL, then dropped."""
    if request.param == "sqlite":
        backend = Backend("sqlite", lambda: Database(None, data_dir=tmp_path / "data"))
        yield backend
        await backend.close()
        return
    schema = f"test_storage_{uuid.uuid4().hex[:16]}"
    admin = create_async_engine(parse_url(TEST_DATABASE_URL))
    try:
        async with admin.begin() as connection:
            await connection.execute(text(f"CREATE SCHEMA {schema}"))
        backend = Backend("postgresql", lambda: Database(TEST_DATABASE_URL, schema=schema))
        try:
            yield backend
        finally:
            await backend.close()
            async with admin.begin() as connection:
                await connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    finally:
        await admin.dispose()


@pytest.fixture
async def database(backend: Backend) -> Database:
    """The backend's database, migrated to the latest revision."""
    database = backend.open()
    await database.upgrade()
    return database


@pytest.fixture
def clock() -> FakeClock:
    """A frozen clock in Brussels time, which storage must turn into UTC."""
    return FakeClock(datetime(2026, 3, 29, 3, 30, tzinfo=UTC).astimezone(ZoneInfo("Europe/Brussels")))


@pytest.fixture
def storage(database: Database, clock: FakeClock) -> Storage:
    """A Storage on the migrated database, on the fake clock."""
    return Storage(database, clock=clock)
