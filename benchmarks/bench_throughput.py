"""Update throughput: the bot's full question path against a trivial reply handler, over the same transport.

    .venv/bin/python benchmarks/bench_throughput.py [--updates 2000] [--rounds 3] [--users 500]
        [--concurrency N] [--as-shipped]

Starts the fake Telegram Bot API server of ``tests/fake_bot_api.py`` on 127.0.0.1 and, in the same process,
runs the real python-telegram-bot ``Application`` against it over HTTP, long polling as in production:

* **trivial**: a ``MessageHandler`` that answers every text with ``reply_text("ok")``: what PTB, HTTP and
  the fake server cost on their own;
* **full**: the bot's own handlers (``bot.app.register_handlers`` with the shipped knowledge base and a
  SQLite database): read the user's language choice, clean the text, match it, render HTML and the
  keyboard, send, and log the question anonymised.

Both are built with the same ``ApplicationBuilder`` settings as ``bot.app.build_application`` (HTML
defaults, no link previews, concurrent updates) except the ``AIORateLimiter``: it holds sending to
Telegram's 30 messages per second, which would measure the limiter rather than the bot. ``--as-shipped``
adds a short run of ``build_application`` itself, limiter included, to show that ceiling.

Each round queues N text updates at once (the questions of ``benchmarks/data/holdout-questions.yaml``
in turn, en/fr/nl, each from a user whose Telegram language is the question's, spread over ``--users``
private chats) and measures the wall time until the server has received N ``sendMessage`` calls. Rounds
alternate trivial and full; the best round of each is reported, with the ratio full/trivial (the goal
is 0.5 or more) and the peak resident memory of the process (bot, both Applications and the server).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the fake server lives in tests/, which is not installed
    sys.path.insert(0, str(ROOT))
# python-telegram-bot 22 warns on every RetryAfter unless told to use timedelta (the limiter run meets some).
os.environ.setdefault("PTB_TIMEDELTA", "1")

from pydantic import SecretStr  # noqa: E402
from telegram import LinkPreviewOptions, Update  # noqa: E402
from telegram.constants import ParseMode  # noqa: E402
from telegram.ext import (  # noqa: E402
    Application,
    ApplicationBuilder,
    ContextTypes,
    Defaults,
    MessageHandler,
    filters,
)

from bot.app import build_application, register_handlers  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core.engine import Engine  # noqa: E402
from bot.storage import Database, Storage  # noqa: E402
from bot.tg.account_handlers import AccountHandlers  # noqa: E402
from bot.tg.handlers import Handlers  # noqa: E402
from tests.fake_bot_api import FakeBotApi  # noqa: E402

KNOWLEDGE_DIR = ROOT / "knowledge"
DEFAULT_QUESTIONS = ROOT / "benchmarks" / "data" / "holdout-questions.yaml"
WARM_UP = 50
TIMEOUT_PER_UPDATE = 0.25  # seconds; a run that slow has hung, not merely been slow

App = Application[Any, Any, Any, Any, Any, Any]


@dataclass(frozen=True, slots=True)
class Question:
    text: str
    lang: str


@dataclass(frozen=True, slots=True)
class Run:
    updates: int
    seconds: float
    failed: int
    """sendMessage calls the server refused (e.g. HTML it could not parse): should be 0."""

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds


def load_questions(path: Path) -> list[Question]:
    rows = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [Question(str(row["q"]), str(row["lang"])) for row in rows]


def builder(api: FakeBotApi, concurrency: int | bool) -> ApplicationBuilder:  # type: ignore[type-arg]
    """``build_application``'s builder settings (concurrent updates: True, i.e. 256), without the rate limiter
    and the start-up hook."""
    return (
        ApplicationBuilder()
        .token(api.token)
        .base_url(api.base_url)
        .base_file_url(api.base_file_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .concurrent_updates(concurrency)
    )


async def reply_ok(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The trivial handler: one reply, no work."""
    if update.effective_message is not None:
        await update.effective_message.reply_text("ok")


def trivial_app(api: FakeBotApi, concurrency: int | bool) -> App:
    application = builder(api, concurrency).build()
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT, reply_ok))
    return application


def full_app(api: FakeBotApi, engine: Engine, storage: Storage, concurrency: int | bool) -> App:
    """The production handlers with their database work: the language choice is read and every
    question is logged (SQLite in a temporary folder, as by default)."""
    application = builder(api, concurrency).build()
    account = AccountHandlers(storage, retention_days=90)
    register_handlers(application, Handlers(engine, account=account, storage=storage))
    return application


def shipped_app(api: FakeBotApi, engine: Engine) -> App:
    settings = Settings(
        _env_file=None,
        telegram_bot_token=SecretStr(api.token),
        telegram_api_base_url=api.base_url,
        knowledge_dir=KNOWLEDGE_DIR,
    )
    return build_application(settings, engine)


def queue(api: FakeBotApi, questions: Sequence[Question], count: int, users: int, first_user: int) -> None:
    """Queue ``count`` questions as private messages from ``users`` different users."""
    for index in range(count):
        question = questions[index % len(questions)]
        api.send_text(question.text, user_id=first_user + index % users, language_code=question.lang)


async def replies(api: FakeBotApi, start: int, count: int, timeout: float) -> tuple[float, int]:  # noqa: ASYNC109
    """Wait until ``count`` sendMessage calls arrived after ``api.calls[start]``; return when the last one
    arrived (``time.perf_counter``) and how many of them the server refused.

    Scans only the calls that are new since the last look, so waiting costs the same whatever N is."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    index, received, last = start, 0, 0.0
    while received < count:
        calls = api.calls
        while index < len(calls) and received < count:
            if calls[index].method == "sendMessage":
                received += 1
                last = time.perf_counter()
            index += 1
        if received < count:
            if loop.time() > deadline:
                raise TimeoutError(f"only {received} of {count} replies after {timeout:.0f} s")
            await asyncio.sleep(0.002)
    sent = [c for c in api.calls[start:] if c.method == "sendMessage"][:count]
    pending = {id(c) for c in sent if c.status is None}  # answered an instant later; only for the refusal count
    if pending:
        await api.wait_for_call("sendMessage", lambda c: id(c) in pending and c.status is not None, count=len(pending))
    return last, sum(1 for c in sent if not c.ok)


async def measure(
    api: FakeBotApi, make: Callable[[FakeBotApi], App], questions: Sequence[Question], count: int, users: int
) -> Run:
    """Start an Application polling ``api``, warm it up, then time ``count`` updates queued at once."""
    application = make(api)
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=10)
        try:
            start = len(api.calls)
            queue(api, questions, WARM_UP, users, first_user=10_000)
            await replies(api, start, WARM_UP, timeout=30 + WARM_UP * TIMEOUT_PER_UPDATE)

            start = len(api.calls)
            queue(api, questions, count, users, first_user=10_000)
            began = time.perf_counter()  # queueing is synchronous: the bot could not start before this
            ended, failed = await replies(api, start, count, timeout=30 + count * TIMEOUT_PER_UPDATE)
        finally:
            await application.updater.stop()
            await application.stop()
    api.calls.clear()  # keep the server's memory flat between rounds
    return Run(count, ended - began, failed)


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def describe(label: str, runs: Sequence[Run]) -> str:
    best = max(runs, key=lambda run: run.per_second)
    rates = ", ".join(f"{run.per_second:.0f}" for run in runs)
    failed = sum(run.failed for run in runs)
    return (
        f"  {label:<8} {best.per_second:8.0f} updates/s (best of {len(runs)}: {rates}; "
        f"{best.seconds * 1000 / best.updates:.2f} ms/update; refused sends: {failed})"
    )


async def main_async(args: argparse.Namespace) -> int:
    questions = load_questions(args.questions)
    langs = {lang: sum(q.lang == lang for q in questions) for lang in ("en", "fr", "nl")}
    started = time.perf_counter()
    engine = Engine(KNOWLEDGE_DIR)
    knowledge = engine.snapshot.knowledge
    print(
        f"knowledge: {len(knowledge.entries)} entries, loaded and indexed in {time.perf_counter() - started:.2f} s; "
        f"questions: {len(questions)} ({', '.join(f'{n} {lang}' for lang, n in langs.items())}) from "
        f"{args.questions.relative_to(ROOT) if args.questions.is_relative_to(ROOT) else args.questions}"
    )
    concurrency: int | bool = True if args.concurrency is None else args.concurrency
    print(
        f"{args.updates} updates per round over {args.users} private chats, {args.rounds} rounds each, "
        f"concurrent_updates={concurrency}"
    )
    print(f"peak RSS after loading: {peak_rss_mib():.0f} MiB")
    trivial: list[Run] = []
    full: list[Run] = []
    data = tempfile.TemporaryDirectory(prefix="bench-throughput-")
    database = Database(None, data_dir=Path(data.name))
    await database.upgrade()
    storage = Storage(database)
    async with FakeBotApi() as api:
        for _ in range(args.rounds):
            trivial.append(
                await measure(api, lambda a: trivial_app(a, concurrency), questions, args.updates, args.users)
            )
            full.append(
                await measure(
                    api, lambda a: full_app(a, engine, storage, concurrency), questions, args.updates, args.users
                )
            )
        print(describe("trivial", trivial))
        print(describe("full", full))
        ratio = max(r.per_second for r in full) / max(r.per_second for r in trivial)
        print(f"  ratio full/trivial: {ratio:.2f} (goal >= 0.5: {'met' if ratio >= 0.5 else 'NOT met'})")
        if args.as_shipped:
            count = min(args.updates, 300)
            shipped = await measure(api, lambda a: shipped_app(a, engine), questions, count, args.users)
            print(describe("shipped", [shipped]) + f"  <- build_application with AIORateLimiter, {count} updates")
    await database.close()
    data.cleanup()
    print(f"peak RSS: {peak_rss_mib():.0f} MiB")
    failures = sum(run.failed for run in trivial + full)
    return 1 if failures else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--updates", type=int, default=2000, help="updates per round (default 2000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per variant, alternating (default 3)")
    parser.add_argument("--users", type=int, default=500, help="distinct private chats (default 500)")
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS, help="YAML list of {q, lang}")
    parser.add_argument(
        "--as-shipped", action="store_true", help="also time build_application as shipped (rate-limited)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=None, help="concurrent_updates for both (default: True, i.e. 256)"
    )
    args = parser.parse_args(argv)
    if args.updates < 1 or args.rounds < 1 or args.users < 1 or (args.concurrency or 1) < 1:
        parser.error("--updates, --rounds, --users and --concurrency must be at least 1")
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    raise SystemExit(main())
