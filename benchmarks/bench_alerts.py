"""Alert broadcast: one alert to N subscribers through the fake Bot API server (in a process of its own)
enforcing a global rate.

    .venv/bin/python benchmarks/bench_alerts.py [--subscribers 10000] [--rate 30] [--per-chat-rate 1]
        [--database URL] [--max-runs 5] [--tick 0] [--tracemalloc] [--verbose]
        [--limiter MAX_RATE/PERIOD] [--request aiohttp|httpx] [--concurrency N] [--batch-size N]
        [--stray-429 N] [--profile FILE]

Builds what the bot runs in production, in this process, and starts the fake Telegram Bot API server of
``tests/fake_bot_api.py`` on 127.0.0.1 in a child process of its own (``benchmarks/fake_api_process.py``), so
that the server's work does not take the bot's CPU time or event loop and the rate measured is the bot's:

* a copy of ``knowledge/`` in a temporary directory whose ``mirai.yaml`` gets one application window
  (opened yesterday, closing in 10 days, Europe/Brussels), so that exactly one alert is due: its opening;
* the storage and the ``AlertDispatcher`` of ``bot.app.build_services`` (a temporary SQLite file, or
  ``--database``: a PostgreSQL URL gets a schema of its own, dropped at the end; the claim batch follows
  ``--rate``), migrated as at start-up;
  N chat ids subscribed to the programme through ``Storage`` (before the window opened; a quarter each with
  no language, English, French and Dutch);
* the Application of ``bot.app.build_application``, sending through ``AiohttpRequest`` (``bot/tg/request.py``),
  ``PacedRateLimiter(max_retries=3)`` included and given
  ``--rate`` as ``SEND_RATE_PER_SECOND`` (30 free, up to 1,000 with paid broadcasts), initialised but not
  started (its JobQueue would run the dispatcher on its own), and a ``TelegramSender`` over its bot; then
  what start-up built is frozen out of the garbage collector's passes, as the bot does once started.

The fake server answers 429 (``retry_after``) past ``--rate`` messages in any one second overall (a
sliding window) and past ``--per-chat-rate`` per chat (0: no per-chat limit). ``AlertDispatcher.run()`` is
then called as the bot's alert job calls it, again until no delivery is left pending (at most
``--max-runs`` runs, ``--tick`` seconds apart; the bot's own tick is ``ALERT_CHECK_SECONDS``, 60 s), and the
benchmark reports:

* the achieved rate, (messages - 1) / (last - first successful sendMessage), as a fraction of ``--rate``
  (goal: at least 0.95), the best span the server's rule allows for that many messages, and the spacing
  of accepted messages (bursts show as a tiny median gap, 429 pauses as gaps over 250 ms);
* lost (subscribers who did not get the whole alert) and duplicated messages (goal: 0 and 0), checked on
  the server's side (the child hands over its record of every sendMessage call at the end), and the
  outbox's own counts;
* the CPU time each process used during the broadcast, per message: a rate of R needs 1/R s a message from
  a core of its own, and this changes much less than the rate with what else the machine runs;
* the 429s the server answered and what the limiter and the sender logged about them;
* peak memory: the bot's process's peak RSS from the broadcast's start (Linux's peak is reset then: setting
  up the subscribers peaks higher) until it ended (the bot, the database driver and this benchmark's
  bookkeeping; read before the server's record of every call is handed over to this process), and how much
  above the RSS at the start that is,
  the server's separately (it keeps a record of every call, so it grows with the subscribers) and, with
  ``--tracemalloc``, tracemalloc's peak of the bot process's Python allocations during the broadcast (off
  by default: it about doubles the CPU time and adds to the RSS it would be compared with).

Experiments, all off by default (as shipped): ``--limiter`` replaces the bot's PacedRateLimiter by PTB's AIORateLimiter
another ``overall_max_rate/overall_time_period`` (e.g. ``1/0.03334``: one message every 1/30 s, no burst),
``--request httpx`` sends through python-telegram-bot's ``HTTPXRequest`` instead of the bot's
``AiohttpRequest`` (``bot/tg/request.py``),
``--concurrency`` and ``--batch-size`` change the dispatcher's, and ``--stray-429 N`` makes the server answer
429 to N sendMessage calls spread over the broadcast although under the limit, to see whether sending
recovers at once. ``--profile FILE`` writes cProfile's statistics of the bot's process during the broadcast
alone (``python -m pstats FILE``); it slows sending down, so its run's rate means nothing.

Progress is printed every 10 s. The exit status is 0 when all three goals are met, 1 otherwise.
10,000 subscribers at 30 messages per second take about 5.5 minutes at best; ``--subscribers 1000`` is a
quick run (about 35 s).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import cProfile
import itertools
import logging
import math
import os
import shutil
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the fake server lives in tests/, which is not installed
    sys.path.insert(0, str(ROOT))
# python-telegram-bot 22 warns on every RetryAfter unless told to use timedelta (this run meets many).
os.environ.setdefault("PTB_TIMEDELTA", "1")

from pydantic import SecretStr  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402
from telegram.ext import AIORateLimiter, Application  # noqa: E402
from telegram.request import HTTPXRequest  # noqa: E402

import bot.app  # noqa: E402
from benchmarks.fake_api_process import STRAY, ServerProcess, cpu_seconds, current_rss_mib, peak_rss_mib, reset_peak_rss  # noqa: E402
from bot.app import Services, build_application, build_services, freeze_long_lived  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core.alert_views import alert_message  # noqa: E402
from bot.core.alerts import due  # noqa: E402
from bot.core.engine import Engine  # noqa: E402
from bot.core.languages import Lang, resolve_lang  # noqa: E402
from bot.services.delivery import RunReport  # noqa: E402
from bot.storage import Database, Storage  # noqa: E402
from bot.storage.database import parse_url  # noqa: E402
from bot.tg.rate_limit import PacedRateLimiter  # noqa: E402
from bot.tg.render import html_chunks  # noqa: E402
from bot.tg.sender import TelegramSender  # noqa: E402

KNOWLEDGE_DIR = ROOT / "knowledge"
PROGRAMME = "mirai"
WINDOW_ID = "bench-window"
FIRST_CHAT_ID = 100_000_001
LANGUAGES: tuple[Lang | None, ...] = (None, "en", "fr", "nl")
PROGRESS_EVERY = 10.0  # seconds
SETUP_CONCURRENCY = 8  # subscriptions written at once (SQLite serialises them anyway)
RATE_GOAL = 0.95
TOKEN = "123456:TEST-token"
STALL = 0.25  # seconds without an accepted message that count as a stall

App = Application[Any, Any, Any, Any, Any, Any]


# ------------------------------------------------------------------------------------------------ set-up


def knowledge_with_window(directory: Path, zone: ZoneInfo) -> Path:
    """Copy the shipped knowledge base into ``directory`` and give MIRAI one open window."""
    target = directory / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, target)
    today = datetime.now(zone).date()
    window = (
        "\n# Added by benchmarks/bench_alerts.py: one window, open now.\n"
        "windows:\n"
        f"  - id: {WINDOW_ID}\n"
        f"    opens: {(today - timedelta(days=1)).isoformat()}\n"
        f"    closes: {(today + timedelta(days=10)).isoformat()}\n"
        "    title: {en: Benchmark round, fr: Session de test, nl: Testronde}\n"
    )
    path = target / f"{PROGRAMME}.yaml"
    source = path.read_text(encoding="utf-8")
    if "\nwindows:" in source:
        raise SystemExit(f"{path.relative_to(directory)} already has windows: the benchmark expects none")
    path.write_text(source.rstrip("\n") + "\n" + window, encoding="utf-8")
    return target


def lang_of(chat_id: int) -> Lang | None:
    return LANGUAGES[(chat_id - FIRST_CHAT_ID) % len(LANGUAGES)]


async def subscribe_all(storage: Storage, count: int) -> None:
    """Subscribe ``count`` chats, a quarter each with no language, English, French and Dutch."""
    semaphore = asyncio.Semaphore(SETUP_CONCURRENCY)

    async def one(chat_id: int) -> None:
        async with semaphore:
            language = lang_of(chat_id)
            if language is not None:
                await storage.set_language(chat_id, language)
            await storage.subscribe(chat_id, PROGRAMME)

    async with asyncio.TaskGroup() as group:
        for chat_id in range(FIRST_CHAT_ID, FIRST_CHAT_ID + count):
            group.create_task(one(chat_id))


async def postgresql_schema(url: str, stack: AsyncExitStack) -> str:
    """A fresh schema on the server of ``url``, dropped when ``stack`` closes."""
    schema = f"bench_alerts_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(parse_url(url))
    stack.push_async_callback(admin.dispose)
    async with admin.begin() as connection:
        await connection.execute(text(f"CREATE SCHEMA {schema}"))

    async def drop() -> None:
        async with admin.begin() as connection:
            await connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))

    stack.push_async_callback(drop)
    return schema


def services_for(settings: Settings, engine: Engine, schema: str | None) -> Services:
    """``build_services`` as the bot calls it; on PostgreSQL, pointed at the benchmark's own schema."""
    services = build_services(settings, engine)
    if schema is not None:
        services.database = Database(settings.database_url, schema=schema)
        services.storage = Storage(services.database)
        services.dispatcher.storage = services.storage
    return services


def build_with(
    settings: Settings,
    engine: Engine,
    services: Services,
    limiter: tuple[float, float] | None,
    request: str,
) -> App:
    """``build_application`` as shipped, or with python-telegram-bot's ``AIORateLimiter`` at another overall
    rate instead of the bot's ``PacedRateLimiter``, and/or its ``HTTPXRequest`` instead of the bot's
    ``AiohttpRequest`` (experiments, to compare them)."""
    with contextlib.ExitStack() as patches:
        if limiter is not None:
            max_rate, period = limiter

            def limiter_factory(**kwargs: Any) -> AIORateLimiter:
                return AIORateLimiter(overall_max_rate=max_rate, overall_time_period=period, **kwargs)

            patches.enter_context(mock.patch.object(bot.app, "PacedRateLimiter", limiter_factory))
        if request == "httpx":
            patches.enter_context(mock.patch.object(bot.app, "AiohttpRequest", HTTPXRequest))
        return build_application(settings, engine, services)


def parse_limiter(value: str) -> tuple[float, float]:
    """``MAX_RATE/PERIOD``, e.g. ``30/1`` (as shipped) or ``1/0.0345`` (one message every 34.5 ms)."""
    try:
        max_rate, period = (float(part) for part in value.split("/"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected MAX_RATE/PERIOD, e.g. 1/0.0345, got {value!r}") from exc
    if max_rate <= 0 or period <= 0:
        raise argparse.ArgumentTypeError("MAX_RATE and PERIOD must be positive")
    return max_rate, period


# ------------------------------------------------------------------------------------------- measuring


class LogCounter(logging.Handler):
    """Counts log records by (logger, level, message template); prints them too with ``--verbose``."""

    def __init__(self, verbose: bool) -> None:
        super().__init__(logging.INFO)
        self.verbose = verbose
        self.counts: collections.Counter[tuple[str, str, str]] = collections.Counter()

    def emit(self, record: logging.LogRecord) -> None:
        self.counts[(record.name, record.levelname, str(record.msg))] += 1
        if self.verbose:
            print(f"    log {record.levelname} {record.name}: {record.getMessage()}", flush=True)


def setup_logging(verbose: bool) -> LogCounter:
    counter = LogCounter(verbose)
    root = logging.getLogger()
    root.handlers[:] = [counter]
    root.setLevel(logging.WARNING)
    for name in ("telegram.ext.AIORateLimiter", "bot"):  # the limiter's retries and the dispatcher's summaries
        logging.getLogger(name).setLevel(logging.INFO)
    return counter


@dataclass(frozen=True, slots=True)
class Send:
    """One sendMessage call as the server recorded it."""

    chat_id: int | str | None
    status: int | None
    """The HTTP status answered (``None``: still unanswered when the record was taken)."""
    at: float
    """``time.monotonic()`` when it arrived at the server."""
    description: str | None

    @property
    def ok(self) -> bool:
        return self.status == HTTPStatus.OK


@dataclass(slots=True)
class Progress:
    """Prints every PROGRESS_EVERY seconds what the server has accepted and refused so far."""

    server: ServerProcess
    began: float

    async def run(self) -> None:
        previous_ok, previous_at = 0, self.began
        while True:
            await asyncio.sleep(PROGRESS_EVERY)
            seen = await self.server.progress()
            ok, refused = seen["ok"], seen["refused"]
            now = time.perf_counter()
            recent = (ok - previous_ok) / (now - previous_at)
            line = (
                f"  {now - self.began:6.0f} s: {ok:6d} sent, {refused:5d} answered 429, "
                f"{recent:5.1f} msg/s over the last {now - previous_at:.0f} s, RSS: bot {current_rss_mib():.0f} "
                f"MiB, server {seen['rss']:.0f} MiB"
            )
            print(line, flush=True)
            previous_ok, previous_at = ok, now


@dataclass(frozen=True, slots=True)
class RunRecord:
    report: RunReport
    seconds: float
    left: int
    """Deliveries still pending or claimed after this run."""


def best_span(messages: int, rate: float) -> float:
    """The shortest first-to-last span the fake server's sliding window allows for ``messages`` messages:
    bursts of ``round(rate)`` every ``round(rate) / rate`` seconds."""
    capacity = max(1, round(rate))
    return (math.ceil(messages / capacity) - 1) * capacity / rate


def describe_gaps(gaps: Sequence[float]) -> str:
    """The spacing of accepted messages: where a rate is lost, in bursts or in stalls."""
    ordered = sorted(gaps)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000

    stalls = [gap for gap in gaps if gap > STALL]
    return (
        f"gap between accepted messages median {at(0.5):.1f} ms, p90 {at(0.9):.1f} ms, p99 {at(0.99):.1f} ms, "
        f"max {ordered[-1] * 1000:.0f} ms; {len(stalls)} gaps over {STALL * 1000:.0f} ms add up to {sum(stalls):.1f} s"
    )


# ------------------------------------------------------------------------------------------------ main


async def main_async(args: argparse.Namespace) -> int:
    counter = setup_logging(args.verbose)
    zone = ZoneInfo(Settings(_env_file=None).timezone)
    async with AsyncExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-alerts-")))
        server = await stack.enter_async_context(ServerProcess(TOKEN))
        knowledge_dir = knowledge_with_window(workdir, zone)
        started = time.perf_counter()
        engine = Engine(knowledge_dir)
        print(
            f"knowledge: copied to a temporary directory with one {PROGRAMME} window, loaded in "
            f"{time.perf_counter() - started:.1f} s"
        )

        settings = Settings(
            _env_file=None,
            telegram_bot_token=SecretStr(TOKEN),
            telegram_api_base_url=server.base_url,
            knowledge_dir=knowledge_dir,
            data_dir=workdir / "data",
            database_url=args.database,
            send_rate_per_second=args.rate,  # SEND_RATE_PER_SECOND: the bot is told the rate the server enforces
        )
        schema = None
        if args.database and parse_url(args.database).get_backend_name() == "postgresql":
            schema = await postgresql_schema(args.database, stack)
        services = services_for(settings, engine, schema)
        stack.push_async_callback(services.database.close)
        dispatcher, storage = services.dispatcher, services.storage
        if args.concurrency is not None:
            dispatcher.concurrency = args.concurrency
        if args.batch_size is not None:
            dispatcher.batch_size = args.batch_size
        shown = services.database.display_url + (f" (schema {schema})" if schema else "")
        print(f"database: {shown}")
        await services.database.upgrade()

        alerts = dispatcher.alerts()
        now = dispatcher.clock()
        due_now = due(alerts, now)
        if len(due_now) != 1 or due_now[0].kind != "opens":
            raise SystemExit(f"expected exactly one due 'opens' alert, got {[a.key for a in due_now]}")
        alert = due_now[0]
        print(
            f"alert: {alert.key} (due {alert.due.isoformat()}); dispatcher: concurrency "
            f"{dispatcher.concurrency}, batch {dispatcher.batch_size}, max attempts {dispatcher.max_attempts}"
        )

        # Subscribed a day before the window opened, so that the opening alert is theirs.
        subscribed_at = alert.due - timedelta(days=1)
        started = time.perf_counter()
        await subscribe_all(Storage(services.database, clock=lambda: subscribed_at), args.subscribers)
        subscribers = await storage.subscribers(PROGRAMME)
        if len(subscribers) != args.subscribers:
            raise SystemExit(f"{len(subscribers)} subscribers stored, {args.subscribers} expected")
        print(f"subscribers: {args.subscribers} subscribed in {time.perf_counter() - started:.1f} s")

        chunks = {
            lang: len(html_chunks(alert_message(engine.snapshot.knowledge, alert, zone, now, lang)))
            for lang in {resolve_lang(lang) for lang in LANGUAGES}
        }
        expected = {chat_id: chunks[resolve_lang(lang_of(chat_id))] for chat_id in subscribers}

        application = build_with(settings, engine, services, args.limiter, args.request)
        await stack.enter_async_context(application)  # initialize (getMe) and, at the end, shutdown
        limiter = application.bot.rate_limiter
        if isinstance(limiter, PacedRateLimiter):
            limiter.set_rate(settings.send_rate_per_second)  # as bot.tg.serve.running does at start
        retries = getattr(limiter, "max_retries", getattr(limiter, "_max_retries", "?"))
        base = getattr(limiter, "_base_limiter", None)
        overall = f"overall {base.max_rate:g} per {base.time_period:g} s, " if base is not None else ""
        if isinstance(limiter, PacedRateLimiter):
            overall = f"SEND_RATE_PER_SECOND={limiter.per_second:g}, "
        changed = " (--limiter: not as shipped)" if args.limiter else ""
        request = application.bot.request
        if args.request != "aiohttp":
            changed += " (--request: not as shipped)"
        print(
            f"application: build_application's, with {type(limiter).__name__}({overall}max_retries={retries}) "
            f"sending through {type(request).__name__}{changed}"
        )
        sender = TelegramSender(application.bot)

        await server.rate_limit(args.rate, args.per_chat_rate)
        limits = f"{args.rate:g} messages/s overall" + (
            f", {args.per_chat_rate:g}/s per chat" if args.per_chat_rate else ""
        )
        print(
            f"fake server (its own process, pid {server.pid}): 429 past {limits}; sending "
            f"{sum(expected.values())} messages (at best {best_span(sum(expected.values()), args.rate) / 60:.1f} min)",
            flush=True,
        )

        # As the bot does once started (bot.app.freeze_long_lived): what start-up built is kept out of the
        # garbage collector's passes; here that also keeps this benchmark's record of the subscribers out of them.
        freeze_long_lived()
        await server.begin(args.stray_429, best_span(len(expected), args.rate))
        rss_before, cpu_began = current_rss_mib(), cpu_seconds()
        # Setting up 30,000 subscribers peaks higher than sending to them: without this, the peak read at the
        # end is the set-up's (it made RSS look as if it grew with the subscribers during the broadcast).
        peak_since = "the broadcast began" if reset_peak_rss() else "the benchmark started (set-up included)"
        if args.tracemalloc:
            tracemalloc.start()
        profiler = cProfile.Profile() if args.profile else None
        if profiler:
            profiler.enable()
        began, began_monotonic = time.perf_counter(), time.monotonic()  # Send.at is time.monotonic()
        helpers = [asyncio.create_task(Progress(server, began).run())]
        runs: list[RunRecord] = []
        timed_out = False
        try:
            async with asyncio.timeout(args.timeout):
                for number in range(1, args.max_runs + 1):
                    if number > 1 and args.tick:
                        await asyncio.sleep(args.tick)
                    run_began = time.perf_counter()
                    report = await dispatcher.run(sender)
                    counts = await storage.delivery_counts(alert.key)
                    left = counts["pending"] + counts["claimed"]
                    runs.append(RunRecord(report, time.perf_counter() - run_began, left))
                    print(
                        f"  run {number}: {report.queued} queued, {report.sent} sent, {report.retried} to retry, "
                        f"{report.blocked} blocked, {report.failed} failed in {runs[-1].seconds:.1f} s; "
                        f"{left} left pending",
                        flush=True,
                    )
                    if not left:
                        break
        except TimeoutError:
            timed_out = True
            print(f"  timed out after {args.timeout:.0f} s", flush=True)
        finally:
            for helper in helpers:
                helper.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
        ended, cpu_used = time.perf_counter(), cpu_seconds() - cpu_began
        if profiler:
            profiler.disable()
            profiler.dump_stats(args.profile)
        # Read before the server hands over its record of every call, which this process then holds: the
        # benchmark's memory, not the bot's.
        peak_rss = peak_rss_mib()
        traced_peak = tracemalloc.get_traced_memory()[1] / (1024 * 1024) if args.tracemalloc else None
        if args.tracemalloc:
            tracemalloc.stop()
        record = await server.end()
        await dispatcher.shutdown()

        # ---- what the server saw
        calls = [Send(*call) for call in record["calls"]]
        ok = [call for call in calls if call.ok]
        received = collections.Counter(call.chat_id for call in ok)
        statuses = collections.Counter(call.status for call in calls if not call.ok)
        lost = sum(1 for chat_id, wanted in expected.items() if received.get(chat_id, 0) < wanted)
        duplicated = sum(max(0, received.get(chat_id, 0) - wanted) for chat_id, wanted in expected.items())
        strangers = sum(count for chat_id, count in received.items() if chat_id not in expected)
        counts = await storage.delivery_counts(alert.key)

        print("results")
        if len(ok) >= 2:
            span = ok[-1].at - ok[0].at
            achieved = (len(ok) - 1) / span if span > 0 else float("inf")
            fraction = achieved / args.rate
            best = best_span(len(ok), args.rate)
            print(
                f"  rate: {achieved:.2f} messages/s over {span:.1f} s from the first to the last message = "
                f"{fraction:.3f} of the allowed {args.rate:g}/s (goal >= {RATE_GOAL}: "
                f"{'met' if fraction >= RATE_GOAL else 'NOT met'}); the server's rule allows {best:.1f} s at best"
            )
            print(f"  pacing: {describe_gaps([b.at - a.at for a, b in itertools.pairwise(ok)])}")
        else:
            fraction = 0.0
            print(f"  rate: {len(ok)} message(s) sent, no rate to measure")
        print(
            f"  broadcast wall time: {ended - began:.1f} s in {len(runs)} run(s) of AlertDispatcher.run() "
            f"(first message {ok[0].at - began_monotonic:.1f} s after the first run began)"
            if ok
            else f"  broadcast wall time: {ended - began:.1f} s"
        )
        per_message = f" ({cpu_used / len(ok) * 1000:.2f} ms a message)" if ok else ""
        server_per_message = f" ({record['cpu'] / len(ok) * 1000:.2f} ms)" if ok else ""
        print(
            f"  CPU time during the broadcast: the bot's process {cpu_used:.1f} s{per_message}, the server's "
            f"{record['cpu']:.1f} s{server_per_message} (a rate needs 1/rate s a message from a core it has alone)"
        )
        print(
            f"  lost: {lost} of {len(expected)} subscribers without the whole alert; duplicated messages: "
            f"{duplicated}; messages to chats not subscribed: {strangers} (goal 0 and 0: "
            f"{'met' if not lost and not duplicated and not strangers else 'NOT met'})"
        )
        print(f"  outbox: {', '.join(f'{n} {state}' for state, n in counts.items())}")
        refused = ", ".join(f"{n} x {status}" for status, n in sorted(statuses.items(), key=lambda i: str(i[0])))
        stray = sum(1 for call in calls if call.description == STRAY)
        injected = f" ({stray} of the 429s injected by --stray-429)" if args.stray_429 else ""
        print(f"  server: {len(calls)} sendMessage calls, {len(ok)} accepted, refused: {refused or 'none'}{injected}")
        if counter.counts:
            print("  logged:")
            for (name, level, message), n in counter.counts.most_common():
                print(f"    {n:6d} x {level} {name}: {message[:110]}")
        traced = f"; tracemalloc peak during the broadcast {traced_peak:.0f} MiB" if traced_peak is not None else ""
        print(
            f"  memory: the bot's process peak RSS {peak_rss:.0f} MiB from when {peak_since} until it ended "
            f"(RSS {rss_before:.0f} MiB before it, +{peak_rss - rss_before:.0f} MiB){traced}; the server's "
            f"process peak RSS {record['peak_rss']:.0f} MiB"
        )
        met = fraction >= RATE_GOAL and not lost and not duplicated and not strangers and not timed_out
        return 0 if met else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--subscribers", type=int, default=10_000, help="subscribers to alert (default 10000)")
    parser.add_argument("--rate", type=float, default=30, help="global messages/s the fake server allows (30)")
    parser.add_argument(
        "--per-chat-rate", type=float, default=1, help="messages/s per chat the server allows (1; 0: no limit)"
    )
    parser.add_argument("--database", default=None, help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--max-runs", type=int, default=5, help="AlertDispatcher.run() calls at most (default 5)")
    parser.add_argument("--tick", type=float, default=0, help="seconds between runs (default 0; the bot: 60)")
    parser.add_argument("--timeout", type=float, default=None, help="give up after this many seconds")
    parser.add_argument(
        "--tracemalloc", action="store_true", help="also trace Python allocations (about twice the CPU, more RSS)"
    )
    parser.add_argument("--verbose", action="store_true", help="print every log record as it comes")
    experiments = parser.add_argument_group("experiments (default: as shipped)")
    experiments.add_argument("--concurrency", type=int, default=None, help="the dispatcher's concurrency (30)")
    experiments.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="the dispatcher's claim batch (the bot's: 200, or half a second at --rate)",
    )
    experiments.add_argument(
        "--stray-429",
        type=int,
        default=0,
        metavar="N",
        help="also answer N sendMessage calls 429 (retry_after 1) spread over the broadcast, under the limit",
    )
    experiments.add_argument(
        "--limiter",
        type=parse_limiter,
        default=None,
        metavar="MAX_RATE/PERIOD",
        help="AIORateLimiter's overall_max_rate/overall_time_period (as shipped: 30/1)",
    )
    experiments.add_argument(
        "--profile",
        type=Path,
        default=None,
        metavar="FILE",
        help="write cProfile's statistics of the bot's process during the broadcast to FILE (slows it down)",
    )
    experiments.add_argument(
        "--request",
        choices=("aiohttp", "httpx"),
        default="aiohttp",
        help="send through the bot's AiohttpRequest (as shipped) or python-telegram-bot's HTTPXRequest",
    )
    args = parser.parse_args(argv)
    if (
        args.subscribers < 1
        or args.rate <= 0
        or args.max_runs < 1
        or min(args.concurrency or 1, args.batch_size or 1) < 1
    ):
        parser.error("--subscribers, --rate, --max-runs, --concurrency and --batch-size must be positive")
    if args.per_chat_rate < 0 or args.tick < 0 or args.stray_429 < 0:
        parser.error("--per-chat-rate, --tick and --stray-429 must be 0 or more")
    if args.timeout is None:
        args.timeout = 120 + 3 * args.subscribers / args.rate + args.max_runs * args.tick
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    raise SystemExit(main())
