"""The paced rate limiter: an overall pace and a pace per chat, a 429 holding back only its chat (everybody only
when several chats get one), and requests without a chat passing freely.

``Pacing`` is tested with plain times; ``PacedRateLimiter`` with an injected clock whose sleeps advance a
virtual time, so no test depends on the machine's speed.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.tg.rate_limit import (
    CATCH_UP,
    CHAT_BURST,
    GROUP_INTERVAL,
    MARGIN,
    PRIVATE_INTERVAL,
    SWEEP_ABOVE,
    TIMER_RESOLUTION,
    PacedRateLimiter,
    Pacing,
)


class VirtualTime:
    """A clock and a sleep for the limiter: sleeping tasks wake in time order, as the clock jumps."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + seconds, next(self._order), future))
        await future

    async def run(self, *awaitables: Awaitable[Any]) -> list[Any]:
        tasks = [asyncio.ensure_future(awaitable) for awaitable in awaitables]
        while not all(task.done() for task in tasks):
            for _ in range(10):  # let every task run until it sleeps or ends
                await asyncio.sleep(0)
            if self._sleepers:
                at, _, future = heapq.heappop(self._sleepers)
                self.now = max(self.now, at)
                future.set_result(None)
            elif not all(task.done() for task in tasks):
                raise AssertionError("tasks wait for something other than the clock")
        return [task.result() for task in tasks]


def limiter_in(time: VirtualTime, per_second: float = 30, max_retries: int = 3) -> PacedRateLimiter:
    return PacedRateLimiter(per_second, max_retries, clock=time.clock, sleep=time.sleep)


def request(limiter: PacedRateLimiter, chat_id: int | None, callback: Callable[[], Awaitable[Any]]) -> Awaitable[Any]:
    data = {"chat_id": chat_id} if chat_id is not None else {}
    return limiter.process_request(callback, (), {}, "sendMessage", data, None)


# ------------------------------------------------------------------------------------------ Pacing


def send_all(pacing: Pacing, count: int, now: float = 0.0) -> list[float]:
    """Send ``count`` messages as soon as the overall pace allows; the times they leave."""
    times = []
    for _ in range(count):
        now = pacing.overall_due(now)
        pacing.take_overall(now)
        times.append(now)
    return times


def test_overall_slots_are_spaced_by_the_rate_without_a_burst() -> None:
    pacing = Pacing(30)
    slots = send_all(pacing, 31)
    gaps = [b - a for a, b in itertools.pairwise(slots)]
    assert min(gaps) == pytest.approx(pacing.interval)  # spaced, never two at once
    assert 1 / 30 < pacing.interval < 1 / 29  # a little under the limit, never over
    assert slots[30] > 1.0  # the 31st message never falls in the first second


def test_a_late_sender_catches_up_a_little_never_in_a_burst() -> None:
    pacing = Pacing(30)
    send_all(pacing, 5)
    late = send_all(pacing, 40, now=10.0)  # the event loop was held up for seconds
    gaps = [b - a for a, b in itertools.pairwise(late)]
    assert min(gaps) == pytest.approx(pacing.interval / 2)  # twice the rate at most...
    assert sum(1 for gap in gaps if gap < pacing.interval * 0.99) <= CATCH_UP / (pacing.interval / 2) + 1  # briefly
    assert gaps[-1] == pytest.approx(pacing.interval)  # ...then the pace again


@pytest.mark.parametrize("rate", [30, 100, 1000])
def test_no_second_ever_holds_more_than_the_rate(rate: float) -> None:
    pacing = Pacing(rate)
    times: list[float] = []
    now = 0.0
    for step in range(3 * rate):
        if step % 7 == 0:
            now += 0.3  # the event loop held up again and again: catching up must not add up
        now = pacing.overall_due(now)
        pacing.take_overall(now)
        times.append(now)
    most = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
    assert most <= rate * MARGIN


def test_at_a_paid_rate_sleeps_rounded_up_to_the_millisecond_still_keep_the_pace() -> None:
    """asyncio wakes a sleeper after whole milliseconds (rounded up), longer than 1,000/s's pace: messages may
    leave a little before their slots, never more than twice the rate's worth within a millisecond, and the
    rate reached is the pace's without any second holding more than the rate."""
    rate = 1000
    pacing = Pacing(rate)
    times: list[float] = []
    now = 0.0
    for _ in range(3 * rate):
        due = pacing.overall_due(now)
        if due > now:  # the event loop's sleep: whole milliseconds, plus the time it takes to wake
            now += math.ceil((due - now) / TIMER_RESOLUTION) * TIMER_RESOLUTION + 0.00005
        pacing.take_overall(now)
        times.append(now)
        now += 0.0001  # the time a message takes to send
    assert (len(times) - 1) / (times[-1] - times[0]) >= 0.95 * rate
    assert max(sum(1 for t in times if start <= t < start + 1.0) for start in times) <= rate * MARGIN
    assert max(sum(1 for t in times if start <= t < start + TIMER_RESOLUTION) for start in times) <= 2


def test_at_the_free_rate_no_message_leaves_before_its_slot() -> None:
    assert Pacing(30).early == Pacing(100).early == 0.0


def test_each_chat_has_its_own_pace_and_groups_a_slower_one() -> None:
    pacing = Pacing(30)
    private = [pacing.chat_turn(7, now=0.0) for _ in range(CHAT_BURST + 2)]
    group = [pacing.chat_turn(-100, now=0.0) for _ in range(CHAT_BURST + 2)]
    other = pacing.chat_turn(8, now=0.0)
    burst = [0.0] * CHAT_BURST  # an answer in a few parts leaves at once
    assert private == pytest.approx([*burst, PRIVATE_INTERVAL, 2 * PRIVATE_INTERVAL])
    assert group == pytest.approx([*burst, GROUP_INTERVAL, 2 * GROUP_INTERVAL])
    assert PRIVATE_INTERVAL >= 1.0  # Telegram: about one message a second in a chat
    assert GROUP_INTERVAL >= 3.0  # and 20 a minute in a group
    assert other == 0.0  # another chat is not behind the first one's queue


@pytest.mark.parametrize("gap", [0.0, 0.5, 2.9, 10.0])
def test_no_minute_ever_holds_more_than_twenty_messages_to_one_group(gap: float) -> None:
    """Telegram allows about 20 messages a minute in a group: however the requests come (all at once, or one
    every ``gap`` seconds, bursts included), no 60 s window holds more than 20 of the group's turns."""
    pacing = Pacing(30)
    times = [pacing.chat_turn(-100, now=index * gap) for index in range(120)]
    most = max(sum(1 for t in times if start <= t < start + 60.0) for start in times)
    assert most <= 20


def test_a_429_holds_back_only_its_chat() -> None:
    pacing = Pacing(30)
    everybody = pacing.retry_after(7, 5, now=10.0)
    assert not everybody
    assert pacing.chat_blocked_until(7) > 15.0
    assert pacing.chat_turn(7, now=10.0) > 15.0
    assert pacing.chat_blocked_until(8) == 0.0
    assert pacing.chat_turn(8, now=10.0) == 10.0
    assert pacing.overall_due(now=10.0) == 10.0


def test_429s_for_several_chats_at_once_pause_everybody() -> None:
    pacing = Pacing(30)
    assert not pacing.retry_after(1, 2, now=0.0)
    assert not pacing.retry_after(2, 2, now=0.3)
    assert pacing.retry_after(3, 2, now=0.6)
    assert pacing.overall_due(now=0.7) > 2.6
    assert pacing.chat_turn(99, now=0.7) > 2.6


def test_429s_for_several_chats_far_apart_pause_only_those_chats() -> None:
    pacing = Pacing(30)
    assert not any(pacing.retry_after(chat, 1, now=2.0 * chat) for chat in range(1, 6))
    assert pacing.overall_due(now=11.0) == 11.0


def test_idle_chats_are_forgotten_so_memory_stays_flat() -> None:
    pacing = Pacing(1000)
    for chat in range(1, 20 * SWEEP_ABOVE):
        pacing.chat_turn(chat, now=chat * 0.01)  # each chat's turn is long over 1,000 chats later
    assert pacing.chats_tracked <= SWEEP_ABOVE + 200


def test_memory_stays_within_twice_the_chats_busy_when_more_than_the_sweep_threshold_are() -> None:
    pacing = Pacing(1000)
    for chat in range(1, 20 * SWEEP_ABOVE):  # 1,000 chats a second, each busy for a second: ~1,000 at a time
        pacing.chat_turn(chat, now=chat * 0.001)
    assert SWEEP_ABOVE < pacing.chats_tracked <= 2 * (1000 + 10) + 1


def test_a_chat_still_held_back_is_not_forgotten() -> None:
    pacing = Pacing(1000)
    pacing.retry_after(1, 100, now=0.0)
    for chat in range(2, 3 * SWEEP_ABOVE):
        pacing.chat_turn(chat, now=1.0 + chat * 0.01)
    assert pacing.chat_blocked_until(1) > 100.0


def test_the_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        Pacing(0)


# ------------------------------------------------------------------------------- PacedRateLimiter


async def test_a_flooding_chat_does_not_delay_another_chat() -> None:
    """50 messages queued for one chat go out one a second; another chat's message leaves at once."""
    time = VirtualTime()
    limiter = limiter_in(time)
    sent: dict[int, list[float]] = {1: [], 2: []}

    def send_to(chat: int) -> Callable[[], Awaitable[bool]]:
        async def send() -> bool:
            sent[chat].append(time.now)
            return True

        return send

    await time.run(*(request(limiter, 1, send_to(1)) for _ in range(50)), request(limiter, 2, send_to(2)))
    assert len(sent[1]) == 50
    assert min(b - a for a, b in itertools.pairwise(sent[1][CHAT_BURST:])) >= 1.0
    assert sent[1][-1] >= 50 - CHAT_BURST
    assert len(sent[2]) == 1
    assert sent[2][0] <= (CHAT_BURST + 1) * limiter.pacing.interval  # behind the first chat's burst only


async def test_a_429_for_one_chat_delays_only_that_chat() -> None:
    time = VirtualTime()
    limiter = limiter_in(time)
    sent: list[tuple[int, float]] = []
    refused = False

    async def to_one() -> bool:
        nonlocal refused
        if not refused:
            refused = True
            raise RetryAfter(timedelta(seconds=5))
        sent.append((1, time.now))
        return True

    async def to_other(chat: int) -> bool:
        sent.append((chat, time.now))
        return True

    async def later(chat: int) -> bool:
        await time.sleep(0.5)  # asked after the 429
        return bool(await request(limiter, chat, lambda: to_other(chat)))

    await time.run(request(limiter, 1, to_one), *(later(chat) for chat in range(2, 6)))
    at = dict(sent)
    assert at[1] >= 5.0  # waited what Telegram asked, and was sent once
    assert [chat for chat, _ in sent].count(1) == 1
    assert all(at[chat] < 1.0 for chat in range(2, 6))


async def test_429s_for_several_chats_hold_back_the_slots_already_reserved() -> None:
    """Senders reserve their overall slots as they come; a pause for everybody that comes meanwhile still holds
    back those whose slots fall within it: none leaves before the pause ends."""
    time = VirtualTime()
    limiter = limiter_in(time)
    sent: list[tuple[int, float]] = []
    refused: set[int] = set()

    async def to(chat: int) -> bool:
        if chat < 10 and chat not in refused:
            refused.add(chat)
            raise RetryAfter(timedelta(seconds=2))
        sent.append((chat, time.now))
        return True

    chats = [1, 2, 3, *range(10, 20)]
    await time.run(*(request(limiter, chat, lambda chat=chat: to(chat)) for chat in chats))  # type: ignore[misc]
    third_429 = 2 * limiter.pacing.interval
    assert sorted(chat for chat, _ in sent) == chats  # every message once, in the end
    assert all(at >= third_429 + 2.0 for _, at in sent)


async def test_retries_are_bounded() -> None:
    """After max_retries 429s the RetryAfter reaches the caller (the outbox retries later)."""
    time = VirtualTime()
    limiter = limiter_in(time, max_retries=2)
    attempts = 0

    async def send() -> bool:
        nonlocal attempts
        attempts += 1
        raise RetryAfter(timedelta(seconds=1))

    with pytest.raises(RetryAfter):
        await time.run(request(limiter, 1, send))
    assert attempts == 3


async def test_the_rate_is_the_setting() -> None:
    time = VirtualTime()
    limiter = limiter_in(time, per_second=1000)
    stamps: list[float] = []

    async def send() -> bool:
        stamps.append(time.now)
        return True

    await time.run(*(request(limiter, chat, send) for chat in range(1, 2001)))
    assert 1.9 < stamps[-1] - stamps[0] < 2.1  # 2,000 messages at 1,000/s: about 2 s, no burst


async def test_requests_without_a_chat_are_not_paced() -> None:
    """answerCallbackQuery and the like go straight through, whatever the pace."""
    limiter = PacedRateLimiter(per_second=0.001)  # one message per 1,000 s: a paced request would hang
    calls = 0

    async def answer() -> bool:
        nonlocal calls
        calls += 1
        return True

    await asyncio.wait_for(asyncio.gather(*(request(limiter, None, answer) for _ in range(5))), timeout=5)
    assert calls == 5


def test_a_quiet_chat_gets_its_burst_again() -> None:
    pacing = Pacing(30)
    first = [pacing.chat_turn(7, now=0.0) for _ in range(CHAT_BURST)]
    later = [pacing.chat_turn(7, now=100.0) for _ in range(CHAT_BURST)]
    assert first == [0.0] * CHAT_BURST
    assert later == [100.0] * CHAT_BURST


def test_429s_explained_by_each_chat_s_own_burst_pause_only_those_chats() -> None:
    pacing = Pacing(30)
    for chat in (1, 2, 3):
        pacing.chat_sent(chat, now=0.0)
        pacing.chat_sent(chat, now=0.5)  # two within a second: Telegram's per-chat limit
    assert not any(pacing.retry_after(chat, 1, now=0.6) for chat in (1, 2, 3))
    assert pacing.overall_due(now=0.7) == 0.7
