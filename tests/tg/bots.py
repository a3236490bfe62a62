"""Starting the real bot in tests: the one way each test module uses (not a test module itself)."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

from telegram.ext import Application

from bot.app import Services, health_of
from bot.config import Settings
from bot.tg.serve import WebServer, running

App = Application[Any, Any, Any, Any, Any, Any]


def running_bot(
    application: App, settings: Settings, services: Services
) -> AbstractAsyncContextManager[WebServer | None]:
    """``bot.tg.serve.running`` with the hooks ``bot.process.run`` hands it: its /healthz and the dispatcher's stop."""
    return running(application, settings, health=health_of(application, services), on_stopping=services.dispatcher.stop)
