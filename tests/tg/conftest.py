"""Fixtures and helpers shared by the end-to-end suites that need a database or a clean log."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from telegram.ext import Application

from bot.app import Services
from bot.storage import Database
from bot.storage.database import parse_url
from bot.tg.jobs import NEXT, TICK
from tests.fake_bot_api import FakeBotApi

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=pytest.mark.skipif(
            not TEST_DATABASE_URL, reason="PostgreSQL runs only when TEST_DATABASE_URL names a server (.ci/run sets it)"
        ),
    ),
]


@pytest.fixture
def bot_logs(caplog: pytest.LogCaptureFixture, fake_api: FakeBotApi) -> Iterator[list[str]]:
    """The one log guard: the bot logs no warning or error but those a test expects (it appends their text), and
    no record at the production level (INFO) shows the token, traceback included.

    Suites use it with ``pytestmark = pytest.mark.usefixtures("bot_logs")``."""
    caplog.set_level(logging.WARNING, logger="httpx")  # as in production: httpx logs URLs, which hold the token
    caplog.set_level(logging.INFO)  # last: set_level also sets the level of caplog's one handler
    expected: list[str] = []
    yield expected
    # A probe proves the capture works at the level checked; otherwise an empty log would prove nothing.
    logging.getLogger("tests.bot_logs").info("probe")
    assert [r for r in caplog.records if r.name == "tests.bot_logs"], "nothing is captured: the guard proves nothing"
    records = [record for phase in ("setup", "call", "teardown") for record in caplog.get_records(phase)]
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    problems = [
        formatter.format(record)
        for record in records
        if record.name.startswith("bot")
        and record.levelno >= logging.WARNING
        and not any(expected_text in record.getMessage() for expected_text in expected)
    ]
    assert not problems, "the bot logged:\n" + "\n".join(problems)
    # At DEBUG python-telegram-bot logs its API URL, token included; in production bot.logs.RedactTokens removes
    # it (see test_debug_logs_are_redacted), so only what production logs by default is checked here.
    leaks = [r.name for r in records if r.levelno >= logging.INFO and fake_api.token in formatter.format(r)]
    assert not leaks, f"the bot token appears in log records of {sorted(set(leaks))}"


@pytest.fixture(params=BACKENDS)
async def databases(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Callable[[], Database]]:
    """Opens Database objects (each its own engine, like one bot process each) on one migrated, empty database:
    a SQLite file, or a fresh schema on TEST_DATABASE_URL dropped afterwards."""
    opened: list[Database] = []
    schema = f"test_e2e_{uuid.uuid4().hex[:16]}"
    admin = create_async_engine(parse_url(TEST_DATABASE_URL)) if request.param == "postgresql" else None

    def open_database() -> Database:
        if admin is None:
            database = Database(None, data_dir=tmp_path / "shared-db")
        else:
            database = Database(TEST_DATABASE_URL, schema=schema)
        opened.append(database)
        return database

    try:
        if admin is not None:
            async with admin.begin() as connection:
                await connection.execute(text(f"CREATE SCHEMA {schema}"))
        await open_database().upgrade()
        yield open_database
    finally:
        for database in opened:
            await database.close()
        if admin is not None:
            async with admin.begin() as connection:
                await connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            await admin.dispose()


def services_of(app: Application) -> Services:  # type: ignore[type-arg]
    services = app.bot_data["services"]
    assert isinstance(services, Services)
    return services


def without_alert_jobs(application: Application) -> None:  # type: ignore[type-arg]
    """After post_init, remove the jobs that run the dispatcher, so that a test drives it alone
    (a confirmed broadcast still wakes it)."""
    schedule = application.post_init
    assert schedule is not None

    async def post_init(app: Application) -> None:  # type: ignore[type-arg]
        await schedule(app)
        assert app.job_queue is not None
        for name in (TICK, NEXT):
            for job in app.job_queue.get_jobs_by_name(name):
                job.schedule_removal()

    application.post_init = post_init
