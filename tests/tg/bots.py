"""Starting the real bot in tests: the one way each test module uses (not a test module itself)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any
from zoneinfo import ZoneInfo

from telegram.ext import Application

from bot.app import Services, build_application, health_of
from bot.config import Settings
from bot.core.engine import Engine
from bot.services.delivery import AlertDispatcher
from bot.storage import Database, Storage
from bot.storage.question_writer import QuestionWriter
from bot.tg.serve import WebServer, running
from tests.conftest import polling, settings_for
from tests.fake_bot_api import FakeBotApi
from tests.tg.conftest import without_alert_jobs

App = Application[Any, Any, Any, Any, Any, Any]


def serving(application: App, settings: Settings, services: Services) -> AbstractAsyncContextManager[WebServer | None]:
    """``bot.tg.serve.running`` with the hooks ``bot.process.run`` hands it: its /healthz and the dispatcher's stop."""
    return running(application, settings, health=health_of(application, services), on_stopping=services.dispatcher.stop)


@asynccontextmanager
async def bot(
    api: FakeBotApi,
    engine: Engine,
    database: Database | None = None,
    *,
    alert_jobs: bool = True,
    question_writer: Callable[[Storage], QuestionWriter] | None = None,
    **overrides: Any,
) -> AsyncIterator[App]:
    """The one way the suites start the bot: the real Application polling the fake server, on ``engine``'s
    knowledge (the settings' KNOWLEDGE_DIR too, for reloads), on ``database`` if given (else the SQLite file in
    DATA_DIR); without ``alert_jobs`` no regular job runs the dispatcher (a confirmed broadcast still wakes it)."""
    settings = settings_for(api, **({"knowledge_dir": engine.directory} | overrides))
    services = None
    if database is not None:
        storage = Storage(database)
        dispatcher = AlertDispatcher(
            engine,
            storage,
            zone=ZoneInfo(settings.timezone),
            reminder_days=settings.alert_reminder_days,
            worker_id=f"test-{uuid.uuid4().hex[:6]}",
        )
        services = Services(settings, engine, database, storage, dispatcher)
        if question_writer is not None:  # the question log under test, with its own batch and flush settings
            services.questions = question_writer(storage)
    application = build_application(settings, engine, services)
    if not alert_jobs:
        without_alert_jobs(application)
    async with polling(application) as running:
        yield running
