"""Keeping within Telegram's sending limits while staying close to them, and fair between chats.

Telegram limits a bot three ways: about ``SEND_RATE_PER_SECOND`` messages a second overall (30 for free, up
to 1,000 with paid broadcasts), about one message a second in one chat, and about 20 a minute in one group.
python-telegram-bot's ``AIORateLimiter`` paces only the overall rate with a token bucket, and a 429 from any
chat pauses every sender: one student sending 500 messages made everybody else wait more than a minute.

This limiter plugs into the same ``BaseRateLimiter`` interface and keeps two paces:

* the overall pace: one message every 1/rate seconds, never a burst, and never more than the rate within
  any one second (a little under it, so that timing jitter on the way never makes two messages count as one
  second's 31st); after the event loop was held up, the pace catches up a little, at twice the rate; at
  paid rates, whose pace is finer than the event loop's millisecond timers, a message may leave up to a
  millisecond before its slot (twice the rate's worth at most within one);
* each chat's own pace: one message a second in a private chat, one every 3.4 s in a group (a negative chat
  id), after a burst of CHAT_BURST for a chat that has been quiet (an answer in several parts), so that no
  minute holds more than 20 messages to one group, burst included. A request
  first waits for its chat's turn, *then* takes an overall slot, so a chat with a long queue never holds
  the overall pace: the other chats' messages go out between its own.

A 429 pauses only the chat it was answered for, for the time Telegram asks. Only when 429s arrive for
several chats within a second, none of which has just had a burst of its own (so: the overall limit, or
another process sharing the token), does everybody pause. Requests without a ``chat_id`` (answering
callbacks, commands set-up) are not paced, as Telegram does not count them against these limits. After
``max_retries`` 429s in a row a request gives up with ``RetryAfter``: the alert outbox queues the alert again;
a reply given up is logged with its chat by the error handler and counted in ``dropped_replies`` (in /stats).

The timing rules live in ``Pacing``, which takes the time as an argument, so they are tested with an
injected clock; ``PacedRateLimiter`` only sleeps until the times ``Pacing`` gives.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

JSON = bool | dict[str, Any] | list[dict[str, Any]]

#: Telegram's free overall limit.
DEFAULT_RATE: Final = 30.0
#: The share of a limit actually used: jitter on the way must not push two messages into one window.
MARGIN: Final = 0.97
#: How far behind its pace the overall pace may catch up (at twice the rate) after the event loop was held up.
CATCH_UP: Final = 0.25
#: Seconds between two messages in one private chat (Telegram: "about one message per second").
PRIVATE_INTERVAL: Final = 1.0 / MARGIN
#: Messages a quiet chat may get at once before its pace applies (Telegram tolerates short bursts in a chat).
CHAT_BURST: Final = 3
#: Telegram: "no more than 20 messages per minute" in one group.
GROUP_PER_MINUTE: Final = 20
#: Seconds between two messages in one group. A quiet group's burst comes on top of its pace, so the pace is
#: slower than 3 s: the burst and the turns after it, within any 60 s, stay within GROUP_PER_MINUTE.
GROUP_INTERVAL: Final = 60.0 / (GROUP_PER_MINUTE - CHAT_BURST + 1) / MARGIN
#: 429s for this many different chats within GLOBAL_WINDOW seconds mean the overall limit: everybody pauses.
GLOBAL_CHATS: Final = 3
GLOBAL_WINDOW: Final = 1.0
#: How precisely the event loop wakes a sleeper: asyncio's selector waits whole milliseconds, rounded up.
TIMER_RESOLUTION: Final = 0.001
#: Chat states kept before the idle ones are swept, so memory stays flat in the number of chats (or twice the
#: chats still busy at the last sweep, if more).
SWEEP_ABOVE: Final = 512
#: A little added to every pause Telegram asks for, as its retry_after is rounded.
PAUSE_EXTRA: Final = 0.1


@dataclass(slots=True)
class _Chat:
    next_at: float = 0.0
    """When this chat's next message may leave (moved forward by every reservation)."""
    blocked_until: float = 0.0
    """Until when a 429 holds the chat back: a message already waiting for its slot must not leave before."""
    last_sent: float = -math.inf
    previous_sent: float = -math.inf
    """When the chat's last two messages left: two within its interval (a burst) explain a 429 for this chat."""


class Pacing:
    """When each message may leave; pure bookkeeping over the times it is given (no clock of its own).

    ``chat_turn`` and ``reserve_overall`` hand out times in order of asking, so a caller must wait until the
    time it gets and then ask ``chat_blocked_until`` (a 429 may have pushed the chat or everybody back
    meanwhile) before sending.
    """

    def __init__(self, per_second: float = DEFAULT_RATE) -> None:
        if per_second <= 0:
            raise ValueError("the sending rate must be positive")
        self.per_second = per_second
        self.interval = 1.0 / (per_second * MARGIN)
        self._next_slot = 0.0
        self._paused_until = 0.0
        # Where the pace is finer than the event loop can sleep (paid broadcasts, over ~250 messages a second),
        # a message may leave up to TIMER_RESOLUTION before its slot, no more than twice the rate's worth within
        # it: otherwise every wait, rounded up to a whole millisecond, loses time that the catching up (at
        # twice the rate: half a millisecond, rounded up too) never makes good, and 1,000/s fell to 0.85.
        self.early = TIMER_RESOLUTION if self.interval < 4 * TIMER_RESOLUTION else 0.0
        self._early_burst = max(1, math.ceil(2 * self.early / self.interval))
        self._sent: deque[float] = deque(maxlen=max(1, math.floor(per_second * MARGIN)))
        """When the last messages left, as many as the cap allows in one second."""
        self._chats: dict[int | str, _Chat] = {}
        self._sweep_above = SWEEP_ABOVE
        self._recent_429s: dict[int | str, float] = {}

    @staticmethod
    def chat_interval(chat_id: int | str) -> float:
        """Groups and channels have negative ids (or an @username); private chats positive ones."""
        return PRIVATE_INTERVAL if isinstance(chat_id, int) and chat_id > 0 else GROUP_INTERVAL

    def chat_turn(self, chat_id: int | str, now: float) -> float:
        """Reserve this chat's next turn: the time (>= now) its message may ask for an overall slot."""
        self._sweep(now)
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = _Chat()
        # The generic cell rate algorithm: ``next_at`` is when the chat's pace would next allow a message; a
        # chat that has been quiet may send CHAT_BURST at once (a long answer in parts), then one per interval.
        interval = self.chat_interval(chat_id)
        due = max(chat.next_at, now)
        at = max(now, due - (CHAT_BURST - 1) * interval, chat.blocked_until, self._paused_until)
        chat.next_at = max(due, at) + interval
        return at

    def overall_due(self, now: float) -> float:
        """When (>= now) the next message may leave overall; nothing is reserved (see ``reserve_overall``)."""
        due = max(now, self._next_slot - self.early, self._paused_until)
        if self.early and len(self._sent) >= self._early_burst:
            due = max(due, self._sent[-self._early_burst] + self.early)
        if len(self._sent) == self._sent.maxlen:  # never more than the cap within any one second
            due = max(due, self._sent[0] + 1.0)
        return due

    def take_overall(self, now: float) -> None:
        """A message leaves now. When the event loop held senders up, the pace makes up for at most CATCH_UP
        seconds, at twice the rate: a delay never turns into a burst, and the one-second cap holds."""
        self._sent.append(now)
        base = max(self._next_slot, now - CATCH_UP)
        self._next_slot = max(base + self.interval, now + self.interval / 2)

    def reserve_overall(self, now: float) -> float:
        """Reserve the next overall slot for a message asking at ``now``: the time (>= now) it may leave."""
        at = self.overall_due(now)
        self.take_overall(at)
        return at

    def chat_blocked_until(self, chat_id: int | str) -> float:
        """Until when a 429 holds this chat (or everybody) back."""
        chat = self._chats.get(chat_id)
        return max(self._paused_until, chat.blocked_until if chat is not None else 0.0)

    def retry_after(self, chat_id: int | str, seconds: float, now: float) -> bool:
        """Telegram answered 429 for ``chat_id``: hold that chat back; return whether everybody pauses."""
        until = now + seconds + PAUSE_EXTRA
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = _Chat()
        chat.next_at = max(chat.next_at, until)
        chat.blocked_until = max(chat.blocked_until, until)
        self._recent_429s = {key: at for key, at in self._recent_429s.items() if at > now - GLOBAL_WINDOW}
        if chat.last_sent - chat.previous_sent < self.chat_interval(chat_id):
            return False  # the chat's own burst explains it: no sign of the overall limit
        self._recent_429s[chat_id] = now
        if len(self._recent_429s) >= GLOBAL_CHATS and until > self._paused_until:
            self._paused_until = until
            self._recent_429s.clear()
            return True
        return False

    def chat_sent(self, chat_id: int | str, now: float) -> None:
        """A message to ``chat_id`` left now."""
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = _Chat()
        chat.previous_sent, chat.last_sent = chat.last_sent, now

    @property
    def chats_tracked(self) -> int:
        return len(self._chats)

    def _sweep(self, now: float) -> None:
        """Forget chats with nothing reserved and no pause: their state equals a new chat's.

        The next sweep waits until the chats have doubled: a broadcast at 1,000 messages a second keeps about
        a thousand chats busy (each waits a second for its next turn), and a sweep at every message, each
        walking them all, cost the bot more than sending did."""
        if len(self._chats) > self._sweep_above:
            busy = self._chats.items()
            self._chats = {key: chat for key, chat in busy if max(chat.next_at, chat.blocked_until) > now}
            self._sweep_above = max(SWEEP_ABOVE, 2 * len(self._chats))


class PacedRateLimiter(BaseRateLimiter[int]):
    def __init__(
        self,
        per_second: float = DEFAULT_RATE,
        max_retries: int = 3,
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.pacing = Pacing(per_second)
        self.max_retries = max_retries
        self._clock = clock
        self._sleep = sleep
        self.dropped_replies = 0
        """Replies given up after repeated 429s since start (counted by the error handler, shown in /stats)."""

    @property
    def per_second(self) -> float:
        return self.pacing.per_second

    def set_rate(self, per_second: float) -> None:
        """Use ``SEND_RATE_PER_SECOND``; called before the bot sends anything (chat paces start afresh)."""
        self.pacing = Pacing(per_second)

    def _now(self) -> float:
        return self._clock() if self._clock is not None else asyncio.get_running_loop().time()

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
        chat_id = data.get("chat_id")
        if chat_id is None:
            return await callback(*args, **kwargs)
        if not isinstance(chat_id, int | str):
            chat_id = str(chat_id)
        for attempt in range(self.max_retries + 1):
            await self._wait_turn(chat_id)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                seconds = _seconds(exc.retry_after)
                if self.pacing.retry_after(chat_id, seconds, self._now()):
                    log.warning("Telegram asks every chat to wait %.1f s (429s for several chats)", seconds)
                else:
                    log.info("Telegram asks to wait %.1f s before writing to chat %s again", seconds, chat_id)
                if attempt == self.max_retries:
                    raise
        raise AssertionError("unreachable")  # the loop returns or raises

    async def _wait_turn(self, chat_id: int | str) -> None:
        """Wait for this chat's turn, then for the overall slot it reserves; start again if a 429 came meanwhile.

        Overall slots are reserved in the order senders come, whose chats' turns have come: a chat with many
        messages waiting never holds the others. Each sender sleeps until its own slot, so senders whose slots
        have come all leave in the same turn of the event loop: passing the pace from one sender to the next
        (a lock) took a turn of the loop each, and a busy loop's turns were too slow for 1,000 a second."""
        while True:
            await self._wait_until(self.pacing.chat_turn(chat_id, self._now()))
            await self._wait_until(self.pacing.reserve_overall(self._now()))
            if self.pacing.chat_blocked_until(chat_id) > self._now():
                continue  # a 429 for this chat (or everybody) came meanwhile: its turn again, after the pause
            self.pacing.chat_sent(chat_id, self._now())
            return

    async def _wait_until(self, at: float) -> None:
        delay = at - self._now()
        if delay > 0:
            await self._sleep(delay)


def _seconds(retry_after: int | timedelta) -> float:
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else float(retry_after)
