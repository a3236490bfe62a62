"""Keeping within Telegram's sending limits while staying close to them.

python-telegram-bot's ``AIORateLimiter`` is a token bucket: it lets a burst of 30 messages out at once,
then 30 per second, so a broadcast sends up to about 60 in its first second; Telegram answers 429, and
requests that took their token during the pause all leave together when it ends, causing the next 429.
Measured with ``benchmarks/bench_alerts.py`` on 10,000 subscribers, that held 0.59 of the allowed rate.

This limiter plugs into the same ``BaseRateLimiter`` interface and paces instead: one message every
1/rate seconds, never a burst; a 429 pauses every sender for the time Telegram asks, and a sender takes
its slot only once the pause is over. Requests without a ``chat_id`` (answering callbacks, commands
set-up) are not paced, as Telegram does not count them against the broadcast limit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

JSON = bool | dict[str, Any] | list[dict[str, Any]]


class PacedRateLimiter(BaseRateLimiter[int]):
    def __init__(self, per_second: float = 29.5, max_retries: int = 3) -> None:
        # Slightly under Telegram's 30/s: timing jitter on the way must not make two messages count as one
        # second's 31st.
        self.interval = 1.0 / per_second
        self.max_retries = max_retries
        self._lock = asyncio.Lock()
        self._next_slot = 0.0
        self._resume = asyncio.Event()
        self._resume.set()

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSON]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSON:
        if data.get("chat_id") is None:
            return await callback(*args, **kwargs)
        for attempt in range(self.max_retries + 1):
            await self._slot()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == self.max_retries:
                    raise
                await self._pause(exc.retry_after)
        raise AssertionError("unreachable")  # the loop returns or raises

    async def _slot(self) -> None:
        """Wait for any 429 pause to end, then for this request's turn in the pace."""
        while True:
            await self._resume.wait()
            async with self._lock:
                if not self._resume.is_set():
                    continue  # a pause began while waiting for the lock: wait for it first
                loop = asyncio.get_running_loop()
                wait = self._next_slot - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                self._next_slot = max(loop.time(), self._next_slot) + self.interval
                return

    async def _pause(self, retry_after: int | timedelta) -> None:
        seconds = retry_after.total_seconds() if isinstance(retry_after, timedelta) else float(retry_after)
        if self._resume.is_set():
            log.warning("Telegram asks to wait %.1f s before sending again", seconds)
            self._resume.clear()
            try:
                await asyncio.sleep(seconds + 0.1)
            finally:
                self._resume.set()
        else:
            await self._resume.wait()
