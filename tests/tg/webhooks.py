"""Helpers for the webhook suites: webhook settings, the bot running in webhook mode, updates to post."""

from __future__ import annotations

import io
import json
import socket
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import aiohttp
from pydantic import SecretStr
from telegram.ext import Application

from bot.app import Services, build_application, build_services
from bot.config import Settings
from bot.core.engine import Engine
from bot.tg.serve import SECRET_HEADER, WebServer
from tests.conftest import settings_for
from tests.fake_bot_api import FakeBotApi
from tests.tg.bots import serving

JSON = dict[str, Any]
App = Application[Any, Any, Any, Any, Any, Any]

SECRET = "s3cret_Token-for-tests"
USER = 1001


@contextmanager
def refusing_port() -> Iterator[int]:
    """A port on 127.0.0.1 held bound but not listening, so connections to it are refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


def webhook_settings(api: FakeBotApi, **overrides: object) -> Settings:
    """Settings for webhook mode on a free port of 127.0.0.1, talking to the fake Bot API."""
    values: dict[str, object] = {
        "webhook_url": PUBLIC_URL,
        "webhook_secret": SecretStr(SECRET),
        "webhook_listen": "127.0.0.1",
        "webhook_port": free_port(),
    }
    values.update(overrides)
    return settings_for(api, **values)


def bot_for(settings: Settings, engine: Engine) -> tuple[App, Services]:
    """The real Application and its services, built as run() builds them."""
    services = build_services(settings, engine)
    return build_application(settings, engine, services), services


@asynccontextmanager
async def webhook_bot(api: FakeBotApi, engine: Engine, **overrides: object) -> AsyncIterator[WebhookBot]:
    """The bot running in webhook mode, with an HTTP client to post to it; stopped cleanly on exit."""
    settings = webhook_settings(api, **overrides)
    application, services = bot_for(settings, engine)
    async with serving(application, settings, services) as server, aiohttp.ClientSession() as http:
        assert server is not None
        yield WebhookBot(application, services, server, http)


def command_update(text: str, *, user_id: int = USER) -> JSON:
    """A Telegram update carrying a private message that starts with a bot command."""
    command = text.split()[0]
    return {
        "update_id": next(_update_ids),
        "message": {
            "message_id": next(_update_ids),
            "from": {"id": user_id, "is_bot": False, "first_name": "Ana", "language_code": "en"},
            "chat": {"id": user_id, "type": "private", "first_name": "Ana"},
            "date": int(time.time()),
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(command)}],
        },
    }


PUBLIC_URL = "https://bot.example.test/telegram"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class WebhookBot:
    """A running bot as a test sees it: its Application, services, server address and an HTTP client."""

    def __init__(self, application: App, services: Services, server: WebServer, http: aiohttp.ClientSession) -> None:
        self.application = application
        self.services = services
        self.server = server
        self.http = http
        host, port = server.addresses[0]
        self.base = f"http://{host}:{port}"

    async def post(self, body: bytes | JSON, *, secret: str | None = SECRET, path: str = "/telegram") -> int:
        """POST a body to the webhook as Telegram would, with ``secret`` in the header; the HTTP status."""
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        # A file-like body: aiohttp warns that large raw bytes might block its event loop.
        async with self.http.post(self.base + path, data=io.BytesIO(data), headers=headers) as response:
            await response.read()
            return response.status

    async def health(self) -> tuple[int, JSON]:
        """GET /healthz: the status and the JSON report."""
        async with self.http.get(self.base + "/healthz") as response:
            return response.status, await response.json()


_update_ids = iter(range(1, 1_000_000))
