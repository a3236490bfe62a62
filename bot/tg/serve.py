"""Serving the bot: long polling or Telegram's webhook, a small aiohttp server for both, and a clean stop.

Webhook mode (``WEBHOOK_URL`` set): our own aiohttp server, not python-telegram-bot's tornado one, so that the
same server also answers ``GET /healthz``. ``POST <path of WEBHOOK_URL>`` takes an update only with the right
``X-Telegram-Bot-Api-Secret-Token`` header (401 without it, 403 with a wrong one, 400 for a body that is not an
update) and puts it on ``application.update_queue``; at start ``setWebhook`` gives Telegram the address, the
secret and the update types. Polling mode: python-telegram-bot's updater, and ``/healthz`` only when
``HEALTH_PORT`` is set. In webhook mode ``HEALTH_PORT``, when set and different, serves the same endpoints too.

Stopping (SIGTERM, SIGINT, or leaving ``running``): the server stops taking requests and lets the ones in
progress finish, polling stops, ``application.stop()`` lets the queued updates, in-flight handlers and jobs
finish, then post_shutdown releases delivery claims and closes the database.

The server is handed what it uses as callables (``health`` for ``/healthz``, ``on_stopping`` before the
application stops), not the composition root's services, so that it imports nothing from ``bot.app``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from http import HTTPStatus
from typing import Any, Final

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.config import HEALTH_PATH, WEBHOOK_SECRET_PATTERN, Settings
from bot.core.errors import BotError
from bot.health import is_healthy
from bot.logs import redact
from bot.tg.rate_limit import PacedRateLimiter

log = logging.getLogger(__name__)

SECRET_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"
#: Telegram's updates are small; anything bigger is not from Telegram.
MAX_BODY: Final = 1024 * 1024
#: Refused posts of one kind are logged at most once in this many seconds, with their count.
REFUSALS_EVERY: Final = 60.0
#: How long requests in progress get to finish when the server stops.
SHUTDOWN_TIMEOUT: Final = 10.0

App = Application[Any, Any, Any, Any, Any, Any]
Health = Callable[[], Awaitable[dict[str, Any]]]
"""Makes the ``/healthz`` report (``bot.health.health_report``'s shape)."""


class RefusalLog:
    """Refused webhook posts, logged without flooding the log: the first of a kind at once, then at most one
    line a minute with how many were refused meanwhile (a scanner posting 1,000 times writes 2 lines, not 1,000)."""

    def __init__(self, every: float = REFUSALS_EVERY, clock: Callable[[], float] = time.monotonic) -> None:
        self.every = every
        self._clock = clock
        self._last: dict[str, float] = {}
        self._since: dict[str, int] = {}
        self._senders: dict[str, set[str]] = {}

    def note(self, kind: str, remote: str | None) -> None:
        now = self._clock()
        self._since[kind] = self._since.get(kind, 0) + 1
        senders = self._senders.setdefault(kind, set())
        if len(senders) < 5:
            senders.add(remote or "?")
        last = self._last.get(kind)
        if last is not None and now - last < self.every:
            return
        count = self._since.pop(kind)
        sources = ", ".join(sorted(self._senders.pop(kind)))
        if last is None:
            log.warning("webhook: request %s refused (from %s)", kind, sources)
        else:
            log.warning(
                "webhook: %d requests %s refused in the last %.0f s (from %s)", count, kind, now - last, sources
            )
        self._last[kind] = now


class WebServer:
    """``GET /healthz`` and, with a webhook path and secret, ``POST <path>`` for Telegram's updates."""

    def __init__(
        self, application: App, health: Health, *, webhook_path: str | None = None, secret: str | None = None
    ) -> None:
        if (webhook_path is None) != (secret is None):
            raise ValueError("a webhook needs both its path and its secret")
        self.application = application
        self._report = health
        self._secret = secret.encode() if secret is not None else None
        self._healthy: bool | None = None
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_get(HEALTH_PATH, self._health)
        if webhook_path is not None:
            app.router.add_post(webhook_path, self._webhook)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT)
        self.addresses: list[tuple[str, int]] = []
        """Where the server listens, once started."""
        self.refusals = RefusalLog()

    async def start(self, host: str, ports: Iterable[int]) -> None:
        """Listen on ``host`` at each port."""
        await self._runner.setup()
        for port in dict.fromkeys(ports):
            try:
                await web.TCPSite(self._runner, host, port).start()
            except OSError as exc:
                raise BotError(
                    f"cannot listen on {host}:{port} ({exc.strerror or exc}); check WEBHOOK_LISTEN, WEBHOOK_PORT and"
                    " HEALTH_PORT, and that no other program uses the port"
                ) from exc
        self.addresses = [(str(address[0]), int(address[1])) for address in self._runner.addresses]

    async def stop(self) -> None:
        """Stop listening, let the requests in progress finish, and close."""
        await self._runner.cleanup()

    async def _health(self, request: web.Request) -> web.Response:
        report = await self._report()
        healthy = is_healthy(report)
        if healthy != self._healthy:
            if healthy:
                log.info("health: ok")
            else:
                log.warning("health: unhealthy: database %s, scheduler %s", report["database"], report["scheduler"])
            self._healthy = healthy
        status = HTTPStatus.OK if healthy else HTTPStatus.SERVICE_UNAVAILABLE
        return web.json_response(report, status=status, headers={"Cache-Control": "no-store"})

    async def _webhook(self, request: web.Request) -> web.Response:
        assert self._secret is not None
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            self.refusals.note("without the secret token", request.remote)
            return web.Response(status=HTTPStatus.UNAUTHORIZED, text="secret token required")
        if not hmac.compare_digest(given.encode("utf-8", "replace"), self._secret):
            self.refusals.note("with a wrong secret token", request.remote)
            return web.Response(status=HTTPStatus.FORBIDDEN, text="wrong secret token")
        if not self.application.running:  # stopping: Telegram keeps the update and sends it again later
            return web.Response(status=HTTPStatus.SERVICE_UNAVAILABLE, text="stopping")
        try:
            data = await request.json()
        except (ValueError, RecursionError):  # JSONDecodeError, UnicodeDecodeError; nesting deeper than Python's stack
            self.refusals.note("whose body is not JSON", request.remote)
            return web.Response(status=HTTPStatus.BAD_REQUEST, text="the body is not JSON")
        try:
            if not isinstance(data, dict):
                raise TypeError(f"a JSON object was expected, not {type(data).__name__}")
            update = Update.de_json(data, self.application.bot)
        except Exception as exc:  # RecursionError included: whatever the body, never a 500
            self.refusals.note(f"whose body is not a Telegram update ({type(exc).__name__})", request.remote)
            return web.Response(status=HTTPStatus.BAD_REQUEST, text="the body is not a Telegram update")
        log.debug("webhook: update %d received", update.update_id)
        await self.application.update_queue.put(update)
        return web.Response(status=HTTPStatus.OK)


def webhook_problem(settings: Settings) -> str | None:
    """Why the webhook settings cannot work, or None (also None in polling mode); never shows the secret."""
    if settings.webhook_url is None:
        return None
    how = 'Make one with: python -c "import secrets; print(secrets.token_urlsafe(32))" and put it in .env.'
    if settings.webhook_secret is None:
        return f"WEBHOOK_SECRET is required when WEBHOOK_URL is set, so that only Telegram can post updates. {how}"
    if not WEBHOOK_SECRET_PATTERN.fullmatch(settings.webhook_secret.get_secret_value()):
        return f"WEBHOOK_SECRET must be 1 to 256 characters among A-Z, a-z, 0-9, _ and - (Telegram's rule). {how}"
    return None


def scheduler_running(application: App) -> bool:
    """Whether the application runs and its job queue's scheduler (which wakes the alerts) is running."""
    queue = application.job_queue
    return application.running and queue is not None and bool(queue.scheduler.running)


@contextlib.asynccontextmanager
async def running(
    application: App, settings: Settings, *, health: Health, on_stopping: Callable[[], object]
) -> AsyncIterator[WebServer | None]:
    """Start the bot in webhook or polling mode with its server, yield the server (None: none), and stop cleanly.

    ``on_stopping`` runs once updates stop coming, before the application stops (the alert dispatcher's stop:
    a broadcast in progress hands back what it has not started)."""
    address = settings.webhook_address
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret is not None else None
    if problem := webhook_problem(settings):
        raise ValueError(problem)
    token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token is not None else None
    redact(secret, token)  # python-telegram-bot logs setWebhook's secret_token at DEBUG
    ports = [port for port in (settings.webhook_port if address else None, settings.health_port) if port is not None]
    server = None
    if ports:
        path = settings.webhook_path if address else None
        server = WebServer(application, health, webhook_path=path, secret=secret if address else None)
    if isinstance(limiter := application.bot.rate_limiter, PacedRateLimiter):
        limiter.set_rate(settings.send_rate_per_second)  # SEND_RATE_PER_SECOND: 30 free, up to 1,000 paid
    await application.initialize()
    failing = False
    try:
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        try:
            if server is not None:
                await server.start(settings.webhook_listen, ports)
                log.info("web server listening on %s", ", ".join(f"{host}:{port}" for host, port in server.addresses))
            if address is not None:
                await application.bot.set_webhook(
                    address, secret_token=secret, allowed_updates=Update.ALL_TYPES, drop_pending_updates=False
                )
                log.info("webhook mode: Telegram posts updates to %s", address)
            else:
                assert application.updater is not None
                await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
                log.info("polling mode: asking Telegram for updates")
            yield server
        finally:
            log.info("stopping: no new updates; finishing the ones in progress")
            if server is not None:
                await server.stop()
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            on_stopping()
            await application.stop()
            if application.post_stop is not None:
                await application.post_stop(application)
    except BaseException:
        failing = True
        raise
    finally:
        await _shut_down(application, failing=failing)


async def _shut_down(application: App, *, failing: bool) -> None:
    """Release what initialize and post_init took; after a failure, a second one is logged, not raised over it."""
    try:
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
    except Exception as exc:
        if not failing:
            raise
        log.warning("while stopping after a failure: %s", exc)
    else:
        log.info("stopped")


async def serve(
    application: App,
    settings: Settings,
    *,
    health: Health,
    on_stopping: Callable[[], object],
    ready: Callable[[WebServer | None], object] | None = None,
) -> None:
    """Run the bot until SIGTERM or SIGINT, then stop cleanly; ``ready`` is called once it is running."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal(signum: signal.Signals) -> None:
        if stop.is_set():
            log.info("%s: already stopping", signum.name)
        else:
            log.info("%s: stopping", signum.name)
        stop.set()

    installed: list[signal.Signals] = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # no signals on this platform or thread
            loop.add_signal_handler(signum, on_signal, signum)
            installed.append(signum)
    try:
        async with running(application, settings, health=health, on_stopping=on_stopping) as server:
            if ready is not None:
                ready(server)
            await stop.wait()
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)
