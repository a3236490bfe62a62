"""Composition root: builds the services and the python-telegram-bot Application (``bot.process`` runs it)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import secrets
import signal
import socket
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from telegram import BotCommand, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, Defaults

from bot.config import Settings
from bot.core.engine import Engine
from bot.core.errors import KnowledgeError
from bot.core.i18n import N_, t
from bot.core.languages import LANGUAGES, Lang
from bot.health import health_report
from bot.services.account import AccountService
from bot.services.delivery import AlertDispatcher, batch_for_rate
from bot.services.questions import QuestionService
from bot.services.staff import StaffService
from bot.services.subscriptions import SubscriptionService
from bot.storage import Database, Storage
from bot.storage.question_writer import QuestionWriter
from bot.storage.repository import USER_CACHE_SECONDS
from bot.tg import account, alerts, common, menu, questions, quiz, staff
from bot.tg.inprocess import TOKEN as INPROCESS_TOKEN
from bot.tg.inprocess import InProcessBotApi
from bot.tg.jobs import schedule_alerts, schedule_housekeeping, wake_dispatcher
from bot.tg.page_watch import StaffNotifier, schedule_page_watch
from bot.tg.rate_limit import PacedRateLimiter
from bot.tg.request import AiohttpRequest
from bot.tg.serve import Health, scheduler_running
from bot.watcher import PageWatcher

log = logging.getLogger(__name__)

COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", N_("Main menu")),
    ("eligible", N_("Check your eligibility")),
    ("subscribe", N_("Deadline alerts")),
    ("deadlines", N_("Application deadlines")),
    ("language", N_("Choose the language")),
    ("privacy", N_("What the bot keeps about you")),
    ("help", N_("How to use this bot")),
)


@dataclass(slots=True)
class Services:
    """What the handlers and jobs share, built once at the composition root."""

    settings: Settings
    engine: Engine
    database: Database
    storage: Storage
    dispatcher: AlertDispatcher
    watcher: PageWatcher | None = None  # None when WATCH_URL is empty
    questions: QuestionWriter = field(init=False)  # the question log, written in batches off the reply's path

    def __post_init__(self) -> None:
        self.questions = QuestionWriter(self.storage)


def build_services(settings: Settings, engine: Engine) -> Services:
    database = Database(settings.database_url, data_dir=settings.data_dir)
    storage = Storage(database, cache_users_seconds=USER_CACHE_SECONDS)
    dispatcher = AlertDispatcher(
        engine,
        storage,
        zone=ZoneInfo(settings.timezone),
        reminder_days=settings.alert_reminder_days,
        worker_id=f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}",
        batch_size=batch_for_rate(settings.send_rate_per_second),
    )
    watcher = PageWatcher(storage, engine, settings.watch_url) if settings.watch_url is not None else None
    return Services(settings, engine, database, storage, dispatcher, watcher)


def health_of(application: Application, services: Services) -> Health:  # type: ignore[type-arg]
    """What ``/healthz`` reports; the services are read at each request, not when the server starts."""

    async def report() -> dict[str, Any]:
        return await health_report(
            services.engine,
            services.database,
            scheduler_running=scheduler_running(application),
            storage=services.storage,
            watch_url=services.watcher.url if services.watcher is not None else None,
        )

    return report


def build_application(
    settings: Settings,
    engine: Engine,
    services: Services | None = None,
    *,
    in_process: InProcessBotApi | None = None,
) -> Application:  # type: ignore[type-arg]
    """The Application with every handler registered; nothing is started (storage opens in post_init).

    With ``in_process`` the Application talks to that in-process Bot API instead of Telegram (the console
    chat, tests, the throughput benchmark): no network, so no token is needed and no sending limits are kept.
    """
    if in_process is not None:
        token = INPROCESS_TOKEN
    elif settings.telegram_bot_token is not None:
        token = settings.telegram_bot_token.get_secret_value()
    else:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    services = services or build_services(settings, engine)
    builder = ApplicationBuilder().token(token)
    if in_process is not None:
        builder = builder.request(in_process.request()).get_updates_request(in_process.request())
    else:
        # Sending goes through aiohttp (bot/tg/request.py: httpx was most of a broadcast's CPU time); the one
        # long poll at a time stays on PTB's own HTTPXRequest.
        builder = builder.request(AiohttpRequest())
        builder = builder.rate_limiter(PacedRateLimiter(max_retries=3))  # type: ignore[arg-type]  # PTB's generics

    def after_reload() -> None:
        # The alert jobs follow the new windows, and the new knowledge base is as long-lived as the old one.
        schedule_alerts(application, services.dispatcher, timedelta(seconds=settings.alert_check_seconds))
        freeze_long_lived()

    # One reload for /reload and SIGHUP (`python -m bot reload`), and one unanswered report.
    staff_service = StaffService(
        services.engine,
        services.storage,
        questions=services.questions,
        watch_url=services.watcher.url if services.watcher is not None else None,
        reload_timeout=settings.reload_timeout_seconds,
        on_reload=after_reload,
        wake_up=lambda: wake_dispatcher(application, services.dispatcher),
    )
    application = (
        builder.base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_base_file_url)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                # A group question deleted before the answer goes out still gets its answer.
                allow_sending_without_reply=True,
            )
        )
        .concurrent_updates(True)
        .post_init(partial(_post_init, services=services, staff=staff_service))
        .post_shutdown(partial(_post_shutdown, services=services))
        .build()
    )

    subscriptions = SubscriptionService(
        engine,
        services.storage,
        zone=services.dispatcher.zone,
        clock=services.dispatcher.clock,  # the dispatcher's, so what students read agrees with their alerts
        page_watched=services.watcher is not None,
    )
    register_handlers(application, engine, services, subscriptions, staff_service)
    application.bot_data["services"] = services
    return application


def register_handlers(
    application: Application,  # type: ignore[type-arg]
    engine: Engine,
    services: Services,
    subscriptions: SubscriptionService,
    staff_service: StaffService,
) -> None:
    """Each feature's handlers, in the order python-telegram-bot tries them (the first that matches wins)."""
    settings, storage = services.settings, services.storage
    account_service = AccountService(storage, settings.question_retention_days)
    users = common.Users(account_service)
    answers = QuestionService(engine, writer=services.questions, storage=storage)
    # Questions first: almost every update is one, and a question then does not pay for the command checks.
    # The menu's buttons come first among the buttons (see menu.handlers); unknown commands and stale buttons
    # come last, after every feature has had its chance.
    for handler in (
        questions.handlers(answers, users)
        + menu.handlers(engine, users)
        + quiz.handlers(engine, storage, users)
        + alerts.handlers(subscriptions, users)
        + account.handlers(account_service, users)
        + staff.handlers(staff_service, staff.Admins(settings.admin_ids), users)
        + common.unknown_commands(users)
        + menu.stale_buttons(engine, users)
    ):
        application.add_handler(handler)
    application.add_error_handler(common.error)


async def _post_init(application: Application, *, services: Services, staff: StaffService) -> None:  # type: ignore[type-arg]
    """Migrate the database, schedule the alerts and the page watch, and register the command list in each
    language."""
    await services.database.upgrade()
    services.questions.start()
    interval = timedelta(seconds=services.settings.alert_check_seconds)
    schedule_alerts(application, services.dispatcher, interval)
    _reload_on_sighup(staff, services.settings.reload_timeout_seconds)
    schedule_housekeeping(application, services.storage, services.settings.question_retention_days)
    if services.watcher is not None:
        notifier = StaffNotifier(services.storage, services.settings.admin_ids)
        watch_interval = timedelta(seconds=services.settings.watch_interval_seconds)
        await schedule_page_watch(application, services.watcher, notifier, watch_interval)
    await application.bot.set_my_commands(_commands("en"))
    for lang in LANGUAGES:
        if lang != "en":
            await application.bot.set_my_commands(_commands(lang), language_code=lang)
    freeze_long_lived()


def freeze_long_lived() -> None:
    """Keep what start-up built (the knowledge base and its index, the handlers, the services) out of the
    garbage collector's passes from now on.

    They live as long as the process, yet every full pass walked all of them again (some 150,000 objects
    with the shipped knowledge base: about 0.1 s with the event loop stopped, and a steady share of each
    update's time). What was frozen before (the previous knowledge base, after a reload) is let go and the
    garbage there is now collected first, so none of it is kept for good: one full pass, once per start or
    reload, instead of one every few thousand updates."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def _reload_on_sighup(staff: StaffService, timeout: float) -> None:
    """`python -m bot reload` (or `kill -HUP`) reloads the knowledge base without a restart, as /reload does."""
    reloads: set[asyncio.Task[None]] = set()  # a running task must be referenced, or it may be collected

    async def reload() -> None:
        outcome = await staff.reload()  # off the event loop, like /reload
        if isinstance(outcome.refused, KnowledgeError):
            log.error("reload refused, still serving the previous knowledge base:\n%s", outcome.refused.report())
        elif outcome.refused is not None:
            log.error("reload refused: %s (RELOAD_TIMEOUT_SECONDS is %g)", outcome.refused, timeout)
        else:
            log.info("reloaded: knowledge version %s, alerts rescheduled", outcome.knowledge.version)

    def on_sighup() -> None:
        task = asyncio.get_running_loop().create_task(reload(), name="sighup-reload")
        reloads.add(task)
        task.add_done_callback(reloads.discard)

    with contextlib.suppress(NotImplementedError, RuntimeError):  # no signals on this platform or loop
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, on_sighup)


async def _post_shutdown(application: Application, *, services: Services) -> None:  # type: ignore[type-arg]
    await services.questions.close()  # every question asked so far reaches the log
    await services.dispatcher.shutdown()
    await services.database.close()
    gc.unfreeze()  # a process that goes on (the console, tests) can collect this Application once it is dropped


def _commands(lang: Lang) -> list[BotCommand]:
    return [BotCommand(name, t(lang, description)) for name, description in COMMANDS]
