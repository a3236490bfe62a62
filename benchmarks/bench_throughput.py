"""Update throughput: the bot's full question path against a trivial reply handler, the same updates.

    .venv/bin/python benchmarks/bench_throughput.py [--transport in-process|http|both] [--updates 2000]
        [--rounds 3] [--users 500] [--concurrency N] [--database-url URL] [--as-shipped]

Two Applications of the real python-telegram-bot, fed the same updates in alternating rounds:

* **trivial**: a ``MessageHandler`` that answers every text with ``reply_text("ok")``: what PTB and the
  transport cost on their own;
* **full**: the bot's own question path with its database work: read the user's language choice, clean
  the text, match it, render HTML and the keyboard, send, and log the question anonymised (SQLite in a
  temporary folder, or PostgreSQL with ``--database-url``).

Transports (``--transport``, default ``in-process``):

* **in-process** measures the bot: both Applications talk to ``bot.tg.inprocess.InProcessBotApi`` through
  python-telegram-bot's own ``BaseRequest`` seam, long polling on an in-memory queue, with no HTTP. The full
  Application is ``bot.app.build_application(..., in_process=api)`` itself: every handler, the services and
  the job queue, started as in production (the in-process API has no sending limits to keep, so no limiter).
  The harness does the same minimal work for both: the API keeps texts as sent (turning HTML into a reader's
  text is Telegram's work, and the console's), each round gets a new one, and the trivial Application runs
  with what is alive at its start left out of garbage collection, as the bot's start-up does for itself, so
  that it does not walk the full Application's knowledge base at each collection.
* **http** is an end-to-end figure: the fake Telegram Bot API server of ``tests/fake_bot_api.py`` on
  127.0.0.1, over real HTTP; the server's own cost caps both rates, so the ratio says little about the bot.
  The full Application there is the bot's question and menu handlers (``bot.tg.questions``, ``bot.tg.menu``)
  without the rate limiter (which keeps Telegram's one message a second per chat and would measure the
  limiter; ``--as-shipped`` adds a short run of ``build_application`` itself, limiter included, to show that
  ceiling).

Each round queues N text updates at once (the questions of ``benchmarks/data/holdout-questions.yaml`` in
turn, en/fr/nl, each from a user whose Telegram language is the question's, spread over ``--users``
private chats) and measures the wall time until N ``sendMessage`` calls were answered. Rounds alternate
trivial and full; the median round of each is reported (all rounds listed), with the ratio full/trivial of
the medians and the peak resident memory of the process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
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

from bot.app import build_application  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core.engine import Engine  # noqa: E402
from bot.services.account import AccountService  # noqa: E402
from bot.services.questions import QuestionService  # noqa: E402
from bot.storage import Database, Storage  # noqa: E402
from bot.tg import common, menu, questions  # noqa: E402
from bot.tg.inprocess import TOKEN as INPROCESS_TOKEN  # noqa: E402
from bot.tg.inprocess import ApiCall, InProcessBotApi  # noqa: E402
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


def defaults() -> Defaults:
    """``build_application``'s defaults: HTML, no link previews."""
    return Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True))


async def reply_ok(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The trivial handler: one reply, no work."""
    if update.effective_message is not None:
        await update.effective_message.reply_text("ok")


def with_trivial_handler(application: App) -> App:
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT, reply_ok))
    return application


def settings_for(database_url: str | None, data_dir: Path, **overrides: Any) -> Settings:
    return Settings(
        _env_file=None,
        knowledge_dir=KNOWLEDGE_DIR,
        data_dir=data_dir,
        database_url=database_url,
        watch_url=None,  # no page fetching during a benchmark
        **overrides,
    )


# ------------------------------------------------------------------------------------------ in-process


class InProcess:
    """The in-process Bot API, counting the sendMessage calls it answers.

    It keeps each text as sent (``parse_html=False``): turning HTML into a reader's text is Telegram's work,
    which the console shows, and would cost the full application's formatted answers more than the trivial
    "ok". A new one per round, so neither application pays for the messages an earlier round left behind."""

    def __init__(self) -> None:
        self.api = InProcessBotApi(parse_html=False)
        self.api.listeners.append(self._on_call)
        self.sent = 0
        self._target = 0
        self._reached: asyncio.Event | None = None
        self.reached_at = 0.0

    def _on_call(self, call: ApiCall) -> None:
        if call.method == "sendMessage":
            self.sent += 1
            if self._reached is not None and self.sent >= self._target:
                self.reached_at = time.perf_counter()
                self._reached.set()

    def queue(self, questions: Sequence[Question], count: int, users: int, first_user: int) -> None:
        for index in range(count):
            question = questions[index % len(questions)]
            update = self.api.text_update(
                question.text, user_id=first_user + index % users, language_code=question.lang, first_name="Ana"
            )
            self.api.put(update)

    async def replies(self, count: int, timeout: float) -> float:  # noqa: ASYNC109
        """Wait until ``count`` more sendMessage calls were answered; when the last one was (perf_counter)."""
        self._target = self.sent + count
        self._reached = asyncio.Event()
        try:
            async with asyncio.timeout(timeout):
                await self._reached.wait()
        except TimeoutError:
            got = count - (self._target - self.sent)
            raise TimeoutError(f"only {got} of {count} replies after {timeout:.0f} s") from None
        finally:
            self._reached = None
        return self.reached_at


@contextlib.contextmanager
def frozen_start_up() -> Iterator[None]:
    """What is alive now left out of the garbage collector's passes, as the bot's start-up does for itself
    (``bot.app``): the trivial application must not walk the full one's knowledge base and index at each
    collection, which would charge it for the bot's memory (some 50 us an update in a round with a full pass)."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def inprocess_trivial(transport: InProcess, concurrency: int | bool) -> App:
    application = (
        ApplicationBuilder()
        .token(INPROCESS_TOKEN)
        .request(transport.api.request())
        .get_updates_request(transport.api.request())
        .defaults(defaults())
        .concurrent_updates(concurrency)
        .build()
    )
    return with_trivial_handler(application)


def inprocess_full(transport: InProcess, engine: Engine, settings: Settings) -> App:
    """The Application as the bot builds it, on the in-process Bot API."""
    return build_application(settings, engine, in_process=transport.api)


async def measure_inprocess(
    transport: InProcess, application: App, questions: Sequence[Question], count: int, users: int
) -> Run:
    """Run ``application`` as run_polling does (post_init, start, long polling), warm it up, then time
    ``count`` updates queued at once."""
    async with application:
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=10)
        try:
            transport.queue(questions, WARM_UP, users, first_user=10_000)
            await transport.replies(WARM_UP, timeout=30 + WARM_UP * TIMEOUT_PER_UPDATE)
            transport.queue(questions, count, users, first_user=10_000)
            began = time.perf_counter()  # queueing is synchronous: the bot could not start before this
            ended = await transport.replies(count, timeout=30 + count * TIMEOUT_PER_UPDATE)
        finally:
            await application.updater.stop()
            services = application.bot_data.get("services")
            if services is not None:
                services.dispatcher.stop()
            await application.stop()
            if application.post_shutdown is not None:
                await application.post_shutdown(application)
    return Run(count, ended - began, failed=0)


# ------------------------------------------------------------------------------------------------ HTTP


def http_builder(api: FakeBotApi, concurrency: int | bool) -> ApplicationBuilder:  # type: ignore[type-arg]
    """``build_application``'s builder settings (concurrent updates: True, i.e. 256), without the rate limiter
    and the start-up hook."""
    return (
        ApplicationBuilder()
        .token(api.token)
        .base_url(api.base_url)
        .base_file_url(api.base_file_url)
        .defaults(defaults())
        .concurrent_updates(concurrency)
    )


def http_trivial(api: FakeBotApi, concurrency: int | bool) -> App:
    return with_trivial_handler(http_builder(api, concurrency).build())


def http_full(api: FakeBotApi, engine: Engine, storage: Storage, concurrency: int | bool) -> App:
    """The production handlers with their database work: the language choice is read and every
    question is logged."""
    application = http_builder(api, concurrency).build()
    users = common.Users(AccountService(storage, retention_days=90))
    # No question writer: each question is written on the reply's path, the slower way.
    for handler in questions.handlers(QuestionService(engine, storage=storage), users) + menu.handlers(engine, users):
        application.add_handler(handler)
    return application


def shipped_app(api: FakeBotApi, engine: Engine, settings: Settings) -> App:
    settings = settings.model_copy(
        update={"telegram_bot_token": SecretStr(api.token), "telegram_api_base_url": api.base_url}
    )
    return build_application(settings, engine)


def http_queue(api: FakeBotApi, questions: Sequence[Question], count: int, users: int, first_user: int) -> None:
    """Queue ``count`` questions as private messages from ``users`` different users."""
    for index in range(count):
        question = questions[index % len(questions)]
        api.send_text(question.text, user_id=first_user + index % users, language_code=question.lang)


async def http_replies(api: FakeBotApi, start: int, count: int, timeout: float) -> tuple[float, int]:  # noqa: ASYNC109
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


async def measure_http(
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
            http_queue(api, questions, WARM_UP, users, first_user=10_000)
            await http_replies(api, start, WARM_UP, timeout=30 + WARM_UP * TIMEOUT_PER_UPDATE)

            start = len(api.calls)
            http_queue(api, questions, count, users, first_user=10_000)
            began = time.perf_counter()
            ended, failed = await http_replies(api, start, count, timeout=30 + count * TIMEOUT_PER_UPDATE)
        finally:
            await application.updater.stop()
            await application.stop()
    api.calls.clear()  # keep the server's memory flat between rounds
    return Run(count, ended - began, failed)


# ------------------------------------------------------------------------------------------- reporting


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def median_rate(runs: Sequence[Run]) -> float:
    return statistics.median(run.per_second for run in runs)


def describe(label: str, runs: Sequence[Run]) -> str:
    rate = median_rate(runs)
    rates = ", ".join(f"{run.per_second:.0f}" for run in runs)
    failed = sum(run.failed for run in runs)
    refused = f"; refused sends: {failed}" if failed else ""
    return (
        f"    {label:<8} {rate:8.0f} updates/s (median of {len(runs)}: {rates}; {1000 / rate:.2f} ms/update{refused})"
    )


def report(title: str, trivial: Sequence[Run], full: Sequence[Run]) -> None:
    print(title)
    print(describe("trivial", trivial))
    print(describe("full", full))
    print(f"    ratio full/trivial: {median_rate(full) / median_rate(trivial):.3f}")


async def run_inprocess(
    args: argparse.Namespace, engine: Engine, questions: Sequence[Question], data_dir: Path, concurrency: int | bool
) -> None:
    settings = settings_for(args.database_url, data_dir)
    trivial: list[Run] = []
    full: list[Run] = []
    for _ in range(args.rounds):
        transport = InProcess()
        with frozen_start_up():
            trivial.append(
                await measure_inprocess(
                    transport, inprocess_trivial(transport, concurrency), questions, args.updates, args.users
                )
            )
        transport = InProcess()
        full.append(
            await measure_inprocess(
                transport, inprocess_full(transport, engine, settings), questions, args.updates, args.users
            )
        )
    report("in-process (python-telegram-bot's BaseRequest seam, no HTTP): the bot's own cost", trivial, full)


async def run_http(
    args: argparse.Namespace, engine: Engine, questions: Sequence[Question], data_dir: Path, concurrency: int | bool
) -> int:
    database = Database(args.database_url, data_dir=data_dir)
    await database.upgrade()
    storage = Storage(database)
    trivial: list[Run] = []
    full: list[Run] = []
    try:
        async with FakeBotApi() as api:
            for _ in range(args.rounds):
                trivial.append(
                    await measure_http(api, lambda a: http_trivial(a, concurrency), questions, args.updates, args.users)
                )
                full.append(
                    await measure_http(
                        api, lambda a: http_full(a, engine, storage, concurrency), questions, args.updates, args.users
                    )
                )
            report("end to end over HTTP (fake Bot API server on 127.0.0.1; the server caps both)", trivial, full)
            if args.as_shipped:
                count = min(args.updates, 300)
                settings = settings_for(args.database_url, data_dir)
                shipped = await measure_http(
                    api, lambda a: shipped_app(a, engine, settings), questions, count, args.users
                )
                print(describe("shipped", [shipped]) + f"  <- build_application with its rate limiter, {count} updates")
    finally:
        await database.close()
    return sum(run.failed for run in trivial + full)


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
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"{args.updates} updates per round over {args.users} private chats, {args.rounds} rounds each, "
        f"concurrent_updates={concurrency}, database: {backend}"
    )
    print(f"peak RSS after loading: {peak_rss_mib():.0f} MiB")
    failures = 0
    with tempfile.TemporaryDirectory(prefix="bench-throughput-") as data:
        if args.transport in ("in-process", "both"):
            await run_inprocess(args, engine, questions, Path(data) / "in-process", concurrency)
        if args.transport in ("http", "both"):
            failures = await run_http(args, engine, questions, Path(data) / "http", concurrency)
    print(f"peak RSS: {peak_rss_mib():.0f} MiB")
    return 1 if failures else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--transport",
        choices=("in-process", "http", "both"),
        default="in-process",
        help="in-process (the bot's cost, default), http (end to end through the fake server), or both",
    )
    parser.add_argument("--updates", type=int, default=2000, help="updates per round (default 2000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per variant, alternating (default 3)")
    parser.add_argument("--users", type=int, default=500, help="distinct private chats (default 500)")
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS, help="YAML list of {q, lang}")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL") or None,
        help="PostgreSQL for the full path, e.g. postgresql://user:pass@127.0.0.1/bench (default: SQLite in a"
        " temporary folder; a throwaway database: the benchmark writes to it)",
    )
    parser.add_argument(
        "--as-shipped", action="store_true", help="with http: also time build_application as shipped (rate-limited)"
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
