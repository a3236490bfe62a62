"""The bot as a process: load the knowledge, start in the right mode, keep a PID file, return an exit code.

Apart from ``bot.app`` (which only builds) so that the console chat, which builds the same application, and
the server in ``bot.tg.serve`` are imported by this module and neither imports the other back.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path

from telegram.error import TelegramError

from bot.app import build_application, build_services, health_of
from bot.config import Settings
from bot.console import chat
from bot.core.engine import Engine
from bot.core.errors import KnowledgeError
from bot.logs import setup_logging
from bot.tg.serve import serve, webhook_problem

log = logging.getLogger(__name__)

PID_FILE = "bot.pid"


def run(settings: Settings) -> int:
    """Run the bot (long polling, or a webhook when WEBHOOK_URL is set) until SIGTERM/SIGINT; without a token,
    offer the console chat."""
    setup_logging(settings.log_level, settings.log_format)
    try:
        engine = Engine(settings.knowledge_dir)
    except KnowledgeError as exc:
        print(exc.report(), file=sys.stderr)
        print("The bot did not start: fix the knowledge base (python -m bot check-knowledge).", file=sys.stderr)
        return 1
    if settings.telegram_bot_token is None:
        return chat(settings, engine=engine, reason="TELEGRAM_BOT_TOKEN is not set")
    if problem := webhook_problem(settings):
        print(f"The bot did not start: {problem}", file=sys.stderr)
        return 2
    services = build_services(settings, engine)
    application = build_application(settings, engine, services)
    pid_file = write_pid_file(settings.data_dir)
    snapshot = engine.snapshot
    log.info("starting: %d entries, knowledge version %s", len(snapshot.knowledge.entries), snapshot.knowledge.version)
    try:
        asyncio.run(
            serve(
                application,
                settings,
                health=health_of(application, services),
                on_stopping=services.dispatcher.stop,  # a broadcast in progress hands back what it has not started
            )
        )
    except TelegramError as exc:  # logged, not printed: the log filter hides a token in the message
        log.error(
            "The bot stopped on a Telegram error (%s: %s). Check TELEGRAM_BOT_TOKEN, TELEGRAM_API_BASE_URL,"
            " WEBHOOK_URL and the network.",
            type(exc).__name__,
            exc,
        )
        return 1
    finally:
        pid_file.unlink(missing_ok=True)
    return 0


def write_pid_file(data_dir: Path) -> Path:
    """Where `python -m bot reload` finds the running bot."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / PID_FILE
    path.write_text(f"{os.getpid()}\n", encoding="ascii")
    return path
