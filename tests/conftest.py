"""Shared pytest fixtures."""

from collections.abc import AsyncIterator

import pytest

from tests.fake_bot_api import FakeBotApi


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotApi]:
    """A started fake Telegram Bot API server, stopped after the test."""
    async with FakeBotApi(token="123456:TEST-token") as api:
        yield api
