"""Helpers for the staff suites: the admin's id, a question that matches, broadcasts and the question log as stored."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable

from bot.storage import Storage
from tests.fake_bot_api import FakeBotApi

ADMIN = 4242
MATCHED = "what is the minimum age for MIRAI"


async def questions_logged(storage: Storage, count: int) -> None:
    async def enough() -> bool:
        return len(await storage.recent_questions(1)) >= count

    await eventually(enough, f"{count} questions are logged")


def announcements(api: FakeBotApi, chat_ids: Iterable[int] | None = None) -> Counter[int | str | None]:
    """How many announcements each chat received (accepted by Telegram)."""
    wanted = set(chat_ids) if chat_ids is not None else None
    return Counter(
        call.chat_id
        for call in api.calls_to("sendMessage")
        if call.ok and call.params["text"].startswith("📣") and (wanted is None or call.chat_id in wanted)
    )


async def eventually(check: Callable[[], Awaitable[bool]], what: str, seconds: float = 5.0) -> None:
    """Wait until ``check`` holds (the bot logs a question just after answering it, so a reply comes first)."""
    deadline = time.monotonic() + seconds
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds}s waiting until {what}")
        await asyncio.sleep(0.02)
