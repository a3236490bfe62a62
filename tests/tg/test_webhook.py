"""Webhook mode end to end on 127.0.0.1: Telegram's side is played by HTTP posts, outgoing calls go to the fake API.

The real Application runs inside ``bot.tg.serve.running`` (or ``serve``, for the signal) with its own aiohttp
server on a free port; updates are posted to it as Telegram would, and the bot's answers are read on the fake
Bot API server.
"""

from __future__ import annotations

import asyncio
import signal
import socket
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr, ValidationError

from bot.app import health_of
from bot.cli import main as cli_main
from bot.config import Settings
from bot.core.engine import Engine
from bot.core.errors import BotError
from bot.health import health_report
from bot.storage import Database
from bot.tg.serve import MAX_BODY, SECRET_HEADER, RefusalLog, WebServer, serve, webhook_problem
from tests.conftest import settings_for
from tests.fake_bot_api import FakeBotApi
from tests.tg.bots import serving
from tests.tg.webhooks import (
    PUBLIC_URL,
    SECRET,
    USER,
    bot_for,
    command_update,
    free_port,
    refusing_port,
    webhook_bot,
    webhook_settings,
)

WELCOME = "Welcome!"


# ------------------------------------------------------------------------------------------------ helpers


@pytest.fixture(autouse=True)
def _no_web_settings_from_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """WEBHOOK_* and HEALTH_PORT come from each test, never from the environment running the tests."""
    for name in ("WEBHOOK_URL", "WEBHOOK_SECRET", "WEBHOOK_LISTEN", "WEBHOOK_PORT", "HEALTH_PORT"):
        monkeypatch.delenv(name, raising=False)


# ------------------------------------------------------------------------------------------------ webhook


async def test_an_update_with_the_right_secret_is_answered(fake_api: FakeBotApi, engine: Engine) -> None:
    """A /start posted with the right secret token gets the welcome, sent through the Bot API."""
    async with webhook_bot(fake_api, engine) as bot:
        assert await bot.post(command_update("/start")) == 200
        reply = await fake_api.next_reply(USER)
    assert WELCOME in reply["text"]


async def test_set_webhook_gives_telegram_the_address_and_the_secret(fake_api: FakeBotApi, engine: Engine) -> None:
    """At start the bot calls setWebhook with the public address, the secret token and every update type."""
    async with webhook_bot(fake_api, engine):
        call = await fake_api.wait_for_call("setWebhook", lambda c: c.ok)
        assert fake_api.webhook_url == PUBLIC_URL
    assert call.params["url"] == PUBLIC_URL
    assert call.params["secret_token"] == SECRET
    assert {"message", "edited_message", "callback_query", "my_chat_member"} <= set(call.params["allowed_updates"])
    assert not fake_api.calls_to("getUpdates"), "no polling in webhook mode"


async def test_a_url_without_a_path_is_served_on_slash_telegram(fake_api: FakeBotApi, engine: Engine) -> None:
    """WEBHOOK_URL without a path: Telegram is told .../telegram and updates are taken there."""
    async with webhook_bot(fake_api, engine, webhook_url="https://bot.example.test") as bot:
        assert fake_api.webhook_url == "https://bot.example.test/telegram"
        assert await bot.post(command_update("/start")) == 200
        assert WELCOME in (await fake_api.next_reply(USER))["text"]


async def test_updates_without_or_with_a_wrong_secret_are_refused(fake_api: FakeBotApi, engine: Engine) -> None:
    """Without the secret header the answer is 401, with a wrong one 403, and neither update is processed."""
    intruder, forger = 2001, 2002
    async with webhook_bot(fake_api, engine) as bot:
        assert await bot.post(command_update("/start", user_id=intruder), secret=None) == 401
        assert await bot.post(command_update("/start", user_id=forger), secret="not-the-secret") == 403
        assert await bot.post(command_update("/start", user_id=forger), secret="") == 403
        assert await bot.post(command_update("/start", user_id=forger), secret=SECRET + "x") == 403
        assert await bot.post(command_update("/start")) == 200
        await fake_api.next_reply(USER)
    # Leaving `running` waited for every queued update: what was refused never reached a handler.
    assert fake_api.sent_messages(intruder) == []
    assert fake_api.sent_messages(forger) == []


async def test_a_body_that_is_not_an_update_is_a_bad_request(fake_api: FakeBotApi, engine: Engine) -> None:
    """With the right secret, a body that is not JSON, or JSON that is not an update, is answered 400."""
    async with webhook_bot(fake_api, engine) as bot:
        assert await bot.post(b"{not json") == 400
        assert await bot.post(b"\xff\xfe") == 400
        assert await bot.post(b"[1, 2]") == 400
        assert await bot.post(b'"update"') == 400
        assert await bot.post({"message": "no update_id"}) == 400
        assert await bot.post(command_update("/start")) == 200, "the server still takes updates afterwards"
        await fake_api.next_reply(USER)


async def test_the_webhook_path_takes_only_posts(fake_api: FakeBotApi, engine: Engine) -> None:
    """A GET on the webhook path is 405, and another path is 404: only POST <path> takes updates."""
    async with webhook_bot(fake_api, engine) as bot:
        async with bot.http.get(bot.base + "/telegram") as response:
            assert response.status == 405
        assert await bot.post(command_update("/start"), path="/other") == 404
    assert fake_api.sent_messages(USER) == []


# ------------------------------------------------------------------------------------------------ health


async def test_healthz_reports_knowledge_database_and_scheduler(fake_api: FakeBotApi, engine: Engine) -> None:
    """GET /healthz answers 200 with the knowledge version and entry count, the database and the scheduler."""
    knowledge = engine.snapshot.knowledge
    async with webhook_bot(fake_api, engine) as bot:
        status, report = await bot.health()
    assert status == 200
    assert report == {
        "status": "ok",
        "knowledge": {"version": knowledge.version, "entries": len(knowledge.entries)},
        "database": "ok",
        "scheduler": "running",
    }
    assert knowledge.version


async def test_healthz_is_503_when_the_database_is_unreachable(fake_api: FakeBotApi, engine: Engine) -> None:
    """When the database refuses connections /healthz answers 503 and says so; it recovers with the database."""
    async with webhook_bot(fake_api, engine) as bot:
        working = bot.services.database
        with refusing_port() as port:
            unreachable = Database(f"postgresql+asyncpg://bot@127.0.0.1:{port}/bot")
            bot.services.database = unreachable
            try:
                status, report = await bot.health()
            finally:
                bot.services.database = working
                await unreachable.close()
        assert status == 503
        assert report["status"] == "unhealthy"
        assert report["database"] == "unreachable"
        assert report["scheduler"] == "running"
        assert report["knowledge"]["version"] == engine.snapshot.knowledge.version
        assert (await bot.health())[0] == 200


async def test_healthz_is_503_when_the_scheduler_is_stopped(fake_api: FakeBotApi, engine: Engine) -> None:
    """When the job queue that wakes the alerts has stopped, /healthz answers 503 with "scheduler": "stopped"."""
    async with webhook_bot(fake_api, engine) as bot:
        assert bot.application.job_queue is not None
        await bot.application.job_queue.stop()
        status, report = await bot.health()
    assert status == 503
    assert report["scheduler"] == "stopped"
    assert report["database"] == "ok"


async def test_health_report_times_out_a_database_that_does_not_answer(engine: Engine) -> None:
    """A database that never answers is reported as "timeout" within the ping timeout, not waited for."""

    class Hanging:
        async def ping(self) -> bool:
            await asyncio.Event().wait()
            return True

    report = await health_report(engine, Hanging(), scheduler_running=True, ping_timeout=0.05)  # type: ignore[arg-type]
    assert report["status"] == "unhealthy"
    assert report["database"] == "timeout"


async def test_polling_mode_serves_healthz_on_health_port(fake_api: FakeBotApi, engine: Engine) -> None:
    """Without WEBHOOK_URL the bot polls, and HEALTH_PORT serves /healthz (and no webhook)."""
    port = free_port()
    settings = settings_for(fake_api, webhook_listen="127.0.0.1", health_port=port)
    application, services = bot_for(settings, engine)
    async with serving(application, settings, services) as server, aiohttp.ClientSession() as http:
        assert server is not None
        assert server.addresses == [("127.0.0.1", port)]
        fake_api.send_text("/start", user_id=USER)
        assert WELCOME in (await fake_api.next_reply(USER))["text"]
        async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
            assert response.status == 200
            assert (await response.json())["status"] == "ok"
        async with http.post(f"http://127.0.0.1:{port}/telegram", json=command_update("/start")) as response:
            assert response.status in (404, 405)
    assert not fake_api.calls_to("setWebhook")


async def test_polling_mode_without_health_port_has_no_server(fake_api: FakeBotApi, engine: Engine) -> None:
    """By default (no HEALTH_PORT) polling mode opens no port."""
    settings = settings_for(fake_api)
    application, services = bot_for(settings, engine)
    async with serving(application, settings, services) as server:
        assert server is None
        fake_api.send_text("/start", user_id=USER)
        await fake_api.next_reply(USER)


async def test_health_port_also_serves_healthz_in_webhook_mode(fake_api: FakeBotApi, engine: Engine) -> None:
    """In webhook mode a different HEALTH_PORT serves /healthz too, so one Docker HEALTHCHECK fits both modes."""
    health_port = free_port()
    async with webhook_bot(fake_api, engine, health_port=health_port) as bot:
        assert ("127.0.0.1", health_port) in bot.server.addresses
        async with bot.http.get(f"http://127.0.0.1:{health_port}/healthz") as response:
            assert response.status == 200


# ------------------------------------------------------------------------------------------------ shutdown


async def test_shutdown_finishes_the_update_in_flight_and_closes_everything(
    fake_api: FakeBotApi, engine: Engine
) -> None:
    """Leaving `running` right after Telegram got its 200 still answers that update, then stops cleanly."""
    closed: list[str] = []
    async with webhook_bot(fake_api, engine) as bot:
        database = bot.services.database
        original_close = database.close

        async def close() -> None:
            closed.append("database")
            await original_close()

        database.close = close  # type: ignore[method-assign]
        assert await bot.post(command_update("/start")) == 200
        base = bot.base
    assert WELCOME in fake_api.sent_messages(USER)[0]["text"], "the update taken before the stop was answered"
    assert not bot.application.running
    assert bot.application.job_queue is not None
    assert not bot.application.job_queue.scheduler.running
    assert closed == ["database"], "post_shutdown closed the database"
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.ClientConnectionError):
            await http.get(base + "/healthz")


async def test_sigterm_stops_the_bot_cleanly(fake_api: FakeBotApi, engine: Engine) -> None:
    """serve() runs until SIGTERM, then stops taking updates, finishes, and returns; the handler is removed."""
    settings = webhook_settings(fake_api)
    application, services = bot_for(settings, engine)
    started: asyncio.Future[WebServer | None] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(
        serve(
            application,
            settings,
            health=health_of(application, services),
            on_stopping=services.dispatcher.stop,
            ready=started.set_result,
        )
    )
    either: set[asyncio.Future[Any]] = {started, task}
    await asyncio.wait(either, timeout=10, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()  # serve() failed to start: show why
    server = started.result()
    assert server is not None
    host, port = server.addresses[0]
    async with aiohttp.ClientSession() as http:
        headers = {SECRET_HEADER: SECRET}
        async with http.post(f"http://{host}:{port}/telegram", json=command_update("/start"), headers=headers) as r:
            assert r.status == 200
        await fake_api.next_reply(USER)
    # serve() put asyncio's handler in place of the default (which would kill the test run).
    assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, signal.SIG_IGN, None)
    signal.raise_signal(signal.SIGTERM)
    await asyncio.wait_for(task, 20)
    assert not application.running
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL, "serve() gave the signal back"


async def test_a_port_in_use_is_reported_and_everything_is_released(fake_api: FakeBotApi, engine: Engine) -> None:
    """When the webhook port is taken the bot stops with a message naming it, after a clean stop."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        settings = webhook_settings(fake_api, webhook_port=port)
        application, services = bot_for(settings, engine)
        with pytest.raises(BotError, match=f"cannot listen on 127.0.0.1:{port}"):
            async with serving(application, settings, services):
                pass
    assert not application.running
    assert not fake_api.calls_to("setWebhook")


# ------------------------------------------------------------------------------------------------ settings


def test_webhook_mode_requires_a_secret(fake_api: FakeBotApi) -> None:
    """WEBHOOK_URL without WEBHOOK_SECRET is refused with a message that says how to make one."""
    problem = webhook_problem(settings_for(fake_api, webhook_url=PUBLIC_URL))
    assert problem is not None
    assert "WEBHOOK_SECRET is required" in problem
    assert "secrets.token_urlsafe" in problem
    assert webhook_problem(settings_for(fake_api)) is None
    assert webhook_problem(webhook_settings(fake_api)) is None


@pytest.mark.parametrize("secret", ["has spaces", "x" * 257, "non-ascii-é"])
def test_a_secret_telegram_would_refuse_is_refused_without_showing_it(fake_api: FakeBotApi, secret: str) -> None:
    """A WEBHOOK_SECRET outside Telegram's 1-256 of A-Z a-z 0-9 _ - is refused, and the message hides it."""
    problem = webhook_problem(webhook_settings(fake_api, webhook_secret=SecretStr(secret)))
    assert problem is not None
    assert "WEBHOOK_SECRET must be 1 to 256 characters" in problem
    assert secret not in problem


async def test_running_refuses_a_webhook_without_a_secret(fake_api: FakeBotApi, engine: Engine) -> None:
    """running() itself refuses webhook mode without a secret, before anything starts."""
    settings = settings_for(fake_api, webhook_url=PUBLIC_URL)
    application, services = bot_for(settings, engine)
    with pytest.raises(ValueError, match="WEBHOOK_SECRET is required"):
        async with serving(application, settings, services):
            pass
    assert not fake_api.calls


@pytest.mark.parametrize(
    ("url", "path", "address"),
    [
        ("https://bot.example.org/telegram", "/telegram", "https://bot.example.org/telegram"),
        ("https://bot.example.org", "/telegram", "https://bot.example.org/telegram"),
        ("https://bot.example.org/", "/telegram", "https://bot.example.org/telegram"),
        ("https://bot.example.org:8443/embassy/hook/", "/embassy/hook", "https://bot.example.org:8443/embassy/hook"),
    ],
)
def test_the_webhook_path_comes_from_webhook_url(url: str, path: str, address: str) -> None:
    """The server's path is WEBHOOK_URL's path (default /telegram), and Telegram is given the same address."""
    settings = Settings(_env_file=None, webhook_url=url)
    assert settings.webhook_path == path
    assert settings.webhook_address == address


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"webhook_url": "bot.example.org/telegram"}, "WEBHOOK_URL must be the bot's public address"),
        ({"webhook_url": "https://bot.example.org/healthz"}, "cannot end in /healthz"),
        ({"health_port": "0"}, "greater than or equal to 1"),
    ],
)
def test_bad_webhook_settings_are_refused(values: dict[str, str], message: str) -> None:
    """Malformed webhook settings fail with a message naming the setting."""
    with pytest.raises(ValidationError, match=message):
        Settings(_env_file=None, **values)  # type: ignore[arg-type]


def test_a_blank_health_port_means_no_health_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """HEALTH_PORT= (empty, as in .env.example) is unset."""
    monkeypatch.setenv("HEALTH_PORT", "")
    assert Settings(_env_file=None).health_port is None
    monkeypatch.setenv("HEALTH_PORT", "8080")
    assert Settings(_env_file=None).health_port == 8080


# ------------------------------------------------------------------------------------- hostile webhook posts


async def test_deeply_nested_json_is_a_bad_request_not_a_500(
    fake_api: FakeBotApi, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    deep = b"[" * 200_000 + b"]" * 200_000  # deeper than Python's stack: json.loads raises RecursionError
    deep_update = b'{"update_id": 1, "message": ' + b'{"a": ' * 100_000 + b"1" + b"}" * 100_000 + b"}"
    async with webhook_bot(fake_api, engine) as bot:
        assert await bot.post(deep) == 400
        assert await bot.post(deep_update) == 400
        assert await bot.post(command_update("/start")) == 200
        await fake_api.next_reply(USER)
    assert not [record for record in caplog.records if record.exc_info], "a traceback was logged"


async def test_a_body_over_the_limit_is_too_large_not_a_500(
    fake_api: FakeBotApi, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """A body past MAX_BODY (1 MB; Telegram's updates are far smaller) is answered 413 without a traceback."""
    huge = b'{"update_id": 1, "message": {"text": "' + b"x" * (MAX_BODY + 1) + b'"}}'
    async with webhook_bot(fake_api, engine) as bot:
        assert await bot.post(huge) == 413
        assert await bot.post(command_update("/start")) == 200
        await fake_api.next_reply(USER)
    assert not [record for record in caplog.records if record.exc_info], "a traceback was logged"


async def test_refused_posts_are_logged_once_then_counted(
    fake_api: FakeBotApi, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    async with webhook_bot(fake_api, engine) as bot:
        for _ in range(50):
            assert await bot.post(command_update("/start"), secret="wrong") == 403
    refused = [record for record in caplog.records if "refused" in record.getMessage()]
    assert [record.getMessage() for record in refused] == [
        "webhook: request with a wrong secret token refused (from 127.0.0.1)"
    ]


def test_the_refusal_log_writes_one_line_a_minute_with_the_count(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    refusals = RefusalLog(every=60, clock=lambda: now[0])
    for second in range(150):
        now[0] = float(second)
        for _ in range(10):
            refusals.note("without the secret token", "203.0.113.7")
    lines = [record.getMessage() for record in caplog.records]
    assert lines == [
        "webhook: request without the secret token refused (from 203.0.113.7)",
        "webhook: 600 requests without the secret token refused in the last 60 s (from 203.0.113.7)",
        "webhook: 600 requests without the secret token refused in the last 60 s (from 203.0.113.7)",
    ]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"WEBHOOK_URL": "ftp://bot.example.org/telegram"}, "WEBHOOK_URL must be the bot's public address"),
        ({"WEBHOOK_URL": "https://bot.example.org/telegram?x=1"}, "WEBHOOK_URL must be the bot's public address"),
        ({"WEBHOOK_URL": "https://bot.example.org/healthz"}, "WEBHOOK_URL cannot end in /healthz"),
        ({"SEND_RATE_PER_SECOND": "0"}, "SEND_RATE_PER_SECOND: Input should be greater than 0"),
        ({"SEND_RATE_PER_SECOND": "5000"}, "SEND_RATE_PER_SECOND: Input should be less than or equal to 1000"),
        ({"RELOAD_TIMEOUT_SECONDS": "0"}, "RELOAD_TIMEOUT_SECONDS: Input should be greater than 0"),
        ({"RELOAD_TIMEOUT_SECONDS": "soon"}, "RELOAD_TIMEOUT_SECONDS: Input should be a valid number"),
    ],
)
def test_a_bad_setting_is_one_line_and_exit_code_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], env: dict[str, str], expected: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert cli_main(["run"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("error: ")
    assert expected in err
    assert "Traceback" not in err
