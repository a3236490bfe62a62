"""Per-user flood control: past a burst, one "slow down" answer, then silence for a while.

One student sending hundreds of messages must not cost the bot its sending budget (Telegram allows about one
message a second per chat and 30 a second overall) nor fill a group. Past ``burst`` messages within ``window``
seconds, the user gets one answer saying when the bot will answer again, and their messages are ignored until
then; after the pause everything is as before. Telegram-free, with the time passed in, so it is tested with plain
numbers; memory stays flat: users quiet for a window are forgotten.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from enum import Enum
from typing import Final

from bot.core.i18n import t
from bot.core.languages import Lang
from bot.core.views import Reply

#: Messages a user may send within WINDOW seconds before the pause (a quick conversation stays well under).
BURST: Final = 10
WINDOW: Final = 10.0
#: How long a flooding user's messages are ignored after the "slow down" answer.
PAUSE: Final = 30.0
#: Users tracked before the quiet ones are swept (or twice the users still active at the last sweep, if more).
SWEEP_ABOVE: Final = 1024


class Verdict(Enum):
    ANSWER = "answer"
    SLOW_DOWN = "slow down"  # answer once that the bot will answer again in ``seconds_left``
    IGNORE = "ignore"


@dataclass(slots=True)
class _User:
    times: deque[float] = field(default_factory=lambda: deque(maxlen=BURST + 1))
    paused_until: float = 0.0


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    seconds_left: int = 0


class FloodGuard:
    def __init__(self, burst: int = BURST, window: float = WINDOW, pause: float = PAUSE) -> None:
        if burst < 1 or window <= 0 or pause <= 0:
            raise ValueError("burst, window and pause must be positive")
        self.burst, self.window, self.pause = burst, window, pause
        self._users: dict[int, _User] = {}
        self._sweep_above = SWEEP_ABOVE
        self.paused_total = 0
        """How many times a user was paused since start."""

    def check(self, user_id: int, now: float) -> Decision:
        """What to do with a message from ``user_id`` arriving at ``now``."""
        self._sweep(now)
        user = self._users.get(user_id)
        if user is None:
            user = self._users[user_id] = _User(deque(maxlen=self.burst + 1))
        if now < user.paused_until:
            return Decision(Verdict.IGNORE)
        user.times.append(now)
        while user.times and user.times[0] <= now - self.window:
            user.times.popleft()
        if len(user.times) > self.burst:
            user.paused_until = now + self.pause
            user.times.clear()
            self.paused_total += 1
            return Decision(Verdict.SLOW_DOWN, math.ceil(self.pause))
        return Decision(Verdict.ANSWER)

    @property
    def users_tracked(self) -> int:
        return len(self._users)

    def _sweep(self, now: float) -> None:
        # The next sweep waits until the users have doubled: with more than SWEEP_ABOVE users writing within
        # one window (a window opens), a sweep at every message would walk them all each time.
        if len(self._users) > self._sweep_above:
            self._users = {
                key: user
                for key, user in self._users.items()
                if user.paused_until > now or (user.times and user.times[-1] > now - self.window)
            }
            self._sweep_above = max(SWEEP_ABOVE, 2 * len(self._users))


def slow_down(seconds: int, lang: Lang) -> Reply:
    """The one answer a flooding user gets; the promise is the guard's: the next message after the pause."""
    return Reply(
        t(
            lang,
            "You are sending messages faster than I can answer. I will answer again in {seconds} s: please send"
            " your question then.",
            seconds=seconds,
        )
    )
