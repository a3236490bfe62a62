"""The bot token and the webhook secret never reach a log line, at DEBUG, in either mode and either format:
python-telegram-bot logs setWebhook's parameters (secret_token included) and httpx logs request URLs."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import pytest

from bot.core.engine import Engine
from bot.logs import RedactTokens, redact, setup_logging
from tests.conftest import polling
from tests.fake_bot_api import FakeBotApi
from tests.tg.bots import serving
from tests.tg.webhooks import SECRET, USER, bot_for, command_update, webhook_bot, webhook_settings

#: Shaped like a real token (digits, a colon, 35 characters), unlike the suite's short test token.
TOKEN = "7012345678:AAHk3v9Xq2LmZpR8sT4uVwY6bC1dE5fG7hJ"


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi(token=TOKEN) as api:
        yield api


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in ("httpx", "apscheduler")}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, saved in levels.items():
        logging.getLogger(name).setLevel(saved)


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize("fmt", ["text", "json"])
async def test_webhook_mode_at_debug_logs_neither_token_nor_secret(
    fake_api: FakeBotApi, engine: Engine, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    setup_logging("DEBUG", fmt)
    logging.getLogger("httpx").setLevel(logging.DEBUG)  # the worst case: every library line
    async with webhook_bot(fake_api, engine) as bot:
        assert await bot.post(command_update("/start")) == 200
        await fake_api.next_reply(USER)
    logged = capsys.readouterr().err
    assert "setWebhook" in logged, "the DEBUG lines were not captured"
    assert SECRET not in logged
    assert fake_api.token not in logged
    assert fake_api.token.split(":")[1] not in logged


@pytest.mark.usefixtures("restore_logging")
async def test_polling_mode_at_debug_logs_no_token(
    fake_api: FakeBotApi, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    setup_logging("DEBUG", "text")
    logging.getLogger("httpx").setLevel(logging.DEBUG)
    settings = webhook_settings(fake_api, webhook_url=None, webhook_secret=None)
    application, services = bot_for(settings, engine)
    async with serving(application, settings, services):
        fake_api.send_text("/start", user_id=USER)
        await fake_api.next_reply(USER)
    async with polling(bot_for(settings, engine)[0]):
        pass
    logged = capsys.readouterr().err
    assert "getUpdates" in logged
    assert fake_api.token not in logged


def test_a_registered_secret_is_redacted_in_messages_arguments_and_tracebacks() -> None:
    redact("s3cret-webhook-value")
    record = logging.LogRecord(
        "x", logging.DEBUG, __file__, 1, "params %s", ({"secret_token": "s3cret-webhook-value"},), None
    )
    try:
        raise RuntimeError("failed with s3cret-webhook-value")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    RedactTokens().filter(record)
    assert "s3cret-webhook-value" not in record.getMessage()
    assert "<secret>" in record.getMessage()
    assert record.exc_text is not None
    assert "s3cret-webhook-value" not in record.exc_text
