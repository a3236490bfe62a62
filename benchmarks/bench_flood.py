"""One student floods the bot: how long do the others wait, with Telegram-like 429s?

    .venv/bin/python benchmarks/bench_flood.py [--flood 500] [--seconds 10] [--others 5] [--no-flood-control]

The real Application of ``bot.app.build_application`` (PacedRateLimiter and flood control included) polls the
fake Telegram Bot API server of ``tests/fake_bot_api.py`` on 127.0.0.1, which answers 429 (``retry_after``)
like Telegram past 30 messages a second overall and past 1 a second in one chat. One student sends
``--flood`` questions spread over ``--seconds``; meanwhile ``--others`` students each ask a question every
``--every`` seconds (3: the time to read an answer; at 1 s a student is at the per-chat limit themselves, and
the bot's short burst per chat then draws the fake server's strict 429s for their own chat).
The benchmark reports the others' waits (from sending to the answer accepted by the server: median, p95 and
the longest; goal: under 2 s), what the flooder got (answers, the one "slow down"), the 429s the server
answered, and the peak RSS. ``--no-flood-control`` raises the burst so high that every flood message is
answered: per-chat pacing alone then keeps the others' waits short, and the flooder's answers trickle out at
one a second.

The exit status is 0 when the longest wait is under 2 s and no other student's question went unanswered.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from http import HTTPStatus
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the fake server lives in tests/, which is not installed
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("PTB_TIMEDELTA", "1")

from pydantic import SecretStr  # noqa: E402

from bot.app import build_application  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core.engine import Engine  # noqa: E402
from bot.core.flood import Decision, FloodGuard, Verdict  # noqa: E402
from tests.conftest import polling  # noqa: E402
from tests.fake_bot_api import FakeBotApi  # noqa: E402

FLOODER = 1_000_001
FIRST_OTHER = 2_000_001
QUESTION = "what is the minimum age for MIRAI"
GOAL = 2.0


async def wait_for_answers(api: FakeBotApi, chat_id: int, count: int, timeout: float) -> list[float]:  # noqa: ASYNC109
    """When each of the next ``count`` accepted sendMessage calls to ``chat_id`` arrived (time.monotonic)."""
    stamps = []
    for _ in range(count):
        await api.next_reply(chat_id, timeout=timeout)
        stamps.append(time.monotonic())
    return stamps


async def main_async(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="bench-flood-") as workdir:
        async with FakeBotApi() as api:
            api.rate_limit(30, per_chat_per_second=1)
            settings = Settings(
                _env_file=None,
                telegram_bot_token=SecretStr(api.token),
                telegram_api_base_url=api.base_url,
                data_dir=Path(workdir) / "data",
                watch_url="",
            )
            if args.no_flood_control:
                # Every message answered, however fast: the guard the handlers share says so each time.
                FloodGuard.check = _always_answer  # type: ignore[method-assign]
            application = build_application(settings, Engine(settings.knowledge_dir))
            async with polling(application):
                await run(api, args)
                return await report(api, args)


def _always_answer(self: FloodGuard, user_id: int, now: float) -> Decision:
    return Decision(Verdict.ANSWER)


_waits: list[float] = []
_unanswered = 0


async def run(api: FakeBotApi, args: argparse.Namespace) -> None:
    began = time.monotonic()

    async def flood() -> None:
        for _ in range(args.flood):
            api.send_text(QUESTION, user_id=FLOODER)
            await asyncio.sleep(args.seconds / args.flood)

    async def other(index: int) -> None:
        global _unanswered
        chat = FIRST_OTHER + index
        await asyncio.sleep(index * args.every / args.others)  # spread out
        while time.monotonic() - began < args.seconds:
            asked = time.monotonic()
            api.send_text(QUESTION, user_id=chat)
            try:
                (answered,) = await wait_for_answers(api, chat, 1, timeout=30)
            except AssertionError:
                _unanswered += 1
                continue
            _waits.append(answered - asked)
            await asyncio.sleep(max(0.0, args.every - (time.monotonic() - asked)))

    await asyncio.gather(flood(), *(other(i) for i in range(args.others)))
    print(f"flood of {args.flood} messages in {args.seconds:g} s done; waiting for the flooder's answers to drain")
    drain_began = time.monotonic()
    previous = -1
    while True:  # until no new message to the flooder for 3 s
        count = len([c for c in api.calls if c.method == "sendMessage" and c.ok and c.chat_id == FLOODER])
        if count == previous:
            break
        previous = count
        await asyncio.sleep(3)
    print(f"  drained {time.monotonic() - drain_began - 3:.0f} s after the flood ended")


async def report(api: FakeBotApi, args: argparse.Namespace) -> int:
    sent = [c for c in api.calls if c.method == "sendMessage"]
    to_flooder = [c for c in sent if c.ok and c.chat_id == FLOODER]
    slow = [c for c in to_flooder if str(c.params.get("text", "")).startswith("You are sending messages faster")]
    refused = sum(1 for c in sent if c.status == HTTPStatus.TOO_MANY_REQUESTS)
    ordered = sorted(_waits)
    print("results")
    if ordered:
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        print(
            f"  other students: {len(ordered)} questions answered, wait median {statistics.median(ordered):.2f} s, "
            f"p95 {p95:.2f} s, longest {ordered[-1]:.2f} s (goal < {GOAL:g} s: "
            f"{'met' if ordered[-1] < GOAL else 'NOT met'}); unanswered {_unanswered}"
        )
    print(
        f"  flooder: {len(to_flooder)} messages sent to them for {args.flood} sent, {len(slow)} 'slow down' answer(s)"
    )
    print(f"  server: {len(sent)} sendMessage calls, {refused} answered 429")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  memory: peak RSS {peak:.0f} MiB")
    return 0 if ordered and ordered[-1] < GOAL and not _unanswered else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--flood", type=int, default=500, help="messages the flooder sends (500)")
    parser.add_argument("--seconds", type=float, default=10, help="over how many seconds (10)")
    parser.add_argument("--others", type=int, default=5, help="other students asking meanwhile (5)")
    parser.add_argument("--every", type=float, default=3, help="seconds between one student's questions (3)")
    parser.add_argument("--no-flood-control", action="store_true", help="answer every flood message")
    args = parser.parse_args(argv)
    if args.flood < 1 or args.seconds <= 0 or args.others < 1:
        parser.error("--flood, --seconds and --others must be positive")
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    raise SystemExit(main())
