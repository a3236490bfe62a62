"""The paced rate limiter: no bursts, a 429 pauses every sender, and requests without a chat pass freely."""

import asyncio
import itertools
from datetime import timedelta

import pytest
from telegram.error import RetryAfter

from bot.tg.rate_limit import PacedRateLimiter


async def test_messages_leave_one_at_a_time_in_order() -> None:
    """Concurrent sends are spaced by the pace, never sent as a burst."""
    limiter = PacedRateLimiter(per_second=200)
    loop = asyncio.get_running_loop()
    sent_at: list[float] = []

    async def send() -> bool:
        sent_at.append(loop.time())
        return True

    await asyncio.gather(
        *(limiter.process_request(send, (), {}, "sendMessage", {"chat_id": i}, None) for i in range(10))
    )

    gaps = [later - earlier for earlier, later in itertools.pairwise(sent_at)]
    assert len(sent_at) == 10
    assert min(gaps) >= limiter.interval * 0.9  # a lower bound: a slow machine only widens the gaps


async def test_a_429_is_waited_out_and_the_message_sent_once() -> None:
    """A RetryAfter pauses sending for the time asked, then the request is retried and succeeds."""
    limiter = PacedRateLimiter(per_second=1000)
    attempts = 0

    async def send() -> bool:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise RetryAfter(timedelta(seconds=0))
        return True

    assert await limiter.process_request(send, (), {}, "sendMessage", {"chat_id": 1}, None) is True
    assert attempts == 2


async def test_retries_are_bounded() -> None:
    """After max_retries 429s the RetryAfter reaches the caller (the outbox retries later)."""
    limiter = PacedRateLimiter(per_second=1000, max_retries=2)

    async def send() -> bool:
        raise RetryAfter(timedelta(seconds=0))

    with pytest.raises(RetryAfter):
        await limiter.process_request(send, (), {}, "sendMessage", {"chat_id": 1}, None)


async def test_requests_without_a_chat_are_not_paced() -> None:
    """answerCallbackQuery and the like go straight through, whatever the pace."""
    limiter = PacedRateLimiter(per_second=0.001)  # one message per 1,000 s: a paced request would hang
    calls = 0

    async def answer() -> bool:
        nonlocal calls
        calls += 1
        return True

    await asyncio.wait_for(
        asyncio.gather(*(limiter.process_request(answer, (), {}, "answerCallbackQuery", {}, None) for _ in range(5))),
        timeout=5,
    )
    assert calls == 5
