"""Shared pytest fixtures."""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from pydantic import SecretStr
from telegram.ext import Application

from bot.app import build_application
from bot.config import Settings
from bot.core.engine import Engine
from tests.fake_bot_api import FakeBotApi

# python-telegram-bot 22 warns on every RetryAfter unless told to use timedelta; tests turn warnings into errors.
os.environ.setdefault("PTB_TIMEDELTA", "1")

KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "knowledge"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say when the storage tests ran on SQLite only (under CI that also fails test_postgresql_is_tested_in_ci)."""
    if not os.environ.get("TEST_DATABASE_URL", "").strip():
        terminalreporter.write_line(
            "storage: SQLite only; set TEST_DATABASE_URL to run the storage tests on PostgreSQL"
        )


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotApi]:
    """A started fake Telegram Bot API server, stopped after the test."""
    async with FakeBotApi(token="123456:TEST-token") as api:
        yield api


@pytest.fixture(scope="session")
def engine() -> Engine:
    """The shipped knowledge base, loaded and indexed once for the session."""
    return Engine(KNOWLEDGE_DIR)


def settings_for(api: FakeBotApi, **overrides: object) -> Settings:
    values: dict[str, object] = {"knowledge_dir": KNOWLEDGE_DIR, **overrides}
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=SecretStr(api.token),
        telegram_api_base_url=api.base_url,
        **values,
    )


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test's bot keeps its SQLite database in the test's own folder."""
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))


@pytest.fixture(autouse=True)
def _no_page_watch(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test's bot fetches the embassy's page (no test reaches the internet); a test that watches a page
    sets WATCH_URL to its own server on 127.0.0.1."""
    monkeypatch.setenv("WATCH_URL", "")


@asynccontextmanager
async def polling(application: Application) -> AsyncIterator[Application]:
    """Run an Application against the fake server as run_polling would: post_init, start, poll; and stop."""
    async with application:
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=1)
        try:
            yield application
        finally:
            await application.updater.stop()
            services = application.bot_data.get("services")
            if services is not None:
                services.dispatcher.stop()  # as bot.tg.serve.running does before stopping
            await application.stop()
            if application.post_shutdown is not None:
                await application.post_shutdown(application)


@pytest.fixture
async def running_bot(fake_api: FakeBotApi, engine: Engine) -> AsyncIterator[Application]:
    """The real Application, polling the fake Bot API over HTTP, with the shipped knowledge base."""
    async with polling(build_application(settings_for(fake_api), engine)) as application:
        yield application
