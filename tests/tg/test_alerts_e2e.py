"""End to end: deadline alerts through the fake Bot API, with the real Application, JobQueue and storage.

A student subscribes, reads the deadlines and adds them to a calendar, receives an alert on time in their
language and unsubscribes; staff reload the knowledge base. The delivery guarantees (each subscriber once,
blocked users dropped, 429s and network errors retried, a crash mid-broadcast resumed, two dispatchers on one
database) are checked against what the fake Telegram server received. Windows come from a copy of the shipped
knowledge base with a ``windows:`` list appended to mirai.yaml (the shipped one has none on purpose).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import event
from telegram import Bot

from bot.app import build_application
from bot.core.alert_views import when
from bot.core.engine import Engine
from bot.core.i18n import t
from bot.core.languages import Lang
from bot.core.views import Reply
from bot.services.delivery import AlertDispatcher, SendOutcome
from bot.storage import Claim, Database, Storage
from bot.tg.sender import TelegramSender
from tests.clock import FakeClock
from tests.fake_bot_api import Call, FakeBotApi, parse_html
from tests.tg.alerts import CrashingSender, Win, add_subscribers, until, write_knowledge
from tests.tg.bots import bot
from tests.tg.chat import GROUP, UNKNOWN_COMMAND, USER, App, Seen, ask, next_seen, tap
from tests.tg.conftest import services_of

pytestmark = pytest.mark.usefixtures("bot_logs")

BRUSSELS = ZoneInfo("Europe/Brussels")
ADMIN = 4242
OPENS_HEADLINE = "📢 **Applications are open: {programme}**"
SOON_HEADLINE = "⏰ **Deadline soon: {programme}**"
MIRAI = "MIRAI"  # the programme's name, the same in every language


# ------------------------------------------------------------------------------------------------ helpers


def in_seconds(seconds: float) -> datetime:
    """A whole-second UTC instant at least ``seconds`` from now."""
    return (datetime.now(UTC) + timedelta(seconds=seconds + 1)).replace(microsecond=0)


def monotonic_at(instant: datetime) -> float:
    """The ``time.monotonic()`` reading (the fake server's ``Call.at``) when the wall clock shows ``instant``."""
    return time.monotonic() + (instant - datetime.now(UTC)).total_seconds()


def dispatcher(engine: Engine, storage: Storage, clock: FakeClock, worker: str, **options: Any) -> AlertDispatcher:
    """A dispatcher as build_services makes one, on a fake clock."""
    return AlertDispatcher(
        engine, storage, zone=BRUSSELS, reminder_days=(7, 1), worker_id=worker, clock=clock, **options
    )


def headline(template: str, lang: Lang) -> str:
    """An alert's first line as Telegram shows it (no markup)."""
    return t(lang, template, programme=MIRAI).replace("**", "")


def alerts_to(api: FakeBotApi, chat_id: int) -> list[Call]:
    """Every alert Telegram accepted for a chat ("applications are open" or "deadline soon")."""
    return [
        call
        for call in api.calls_to("sendMessage")
        if call.ok and call.chat_id == chat_id and call.params["text"].startswith(("📢", "⏰"))
    ]


def shown(call: Call) -> str:
    return parse_html(call.params["text"])[0]


def call_of(api: FakeBotApi, seen: Seen) -> Call:
    return next(call for call in api.calls if call.result is seen.message)


def assert_on_time(api: FakeBotApi, seen: Seen, due: float) -> None:
    """The message arrived at the fake server no sooner than ``due`` (a monotonic reading) and soon after."""
    lateness = call_of(api, seen).at - due
    assert -0.05 <= lateness <= 2.0, f"the alert came {lateness:+.2f}s from its due time"


def press(api: FakeBotApi, seen: Seen, label: str, *, user: int = USER) -> str:
    """Tap the button ``label`` under ``seen`` without waiting for a message; the callback query's id."""
    data = next(
        button["callback_data"]
        for row in seen.message["reply_markup"]["inline_keyboard"]
        for button in row
        if button["text"] == label
    )
    return str(api.send_callback(data, seen.message, user_id=user)["id"])


def answering(query_id: str) -> Callable[[Call], bool]:
    """Matches the answerCallbackQuery call of one callback query."""
    return lambda call: call.params.get("callback_query_id") == query_id


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    return tmp_path / "knowledge"


@asynccontextmanager
async def another_bot(app: App) -> AsyncIterator[Bot]:
    """The bot of a second process: its own Application (its own AIORateLimiter), initialised, not polling."""
    services = services_of(app)
    async with build_application(services.settings, services.engine) as other:
        yield other.bot


# ------------------------------------------------------------------------------- subscribing, deadlines


async def test_subscribe_shows_toggles_and_tapping_mirai_subscribes(fake_api: FakeBotApi, knowledge: Path) -> None:
    """/subscribe shows a toggle per programme; tapping MIRAI ticks it and says when applications open."""
    opens, closes = in_seconds(10 * 86_400), in_seconds(40 * 86_400)
    async with bot(fake_api, Engine(write_knowledge(knowledge, Win("next", opens, closes)))) as app:
        menu = await ask(fake_api, "/subscribe")
        assert "Deadline alerts" in menu.text
        assert menu.labels == ["☐ JET Programme", "☐ MIRAI", "📅 Deadlines"]

        subscribed = await tap(fake_api, menu, "☐ MIRAI")
        assert subscribed.method == "editMessageText"
        assert subscribed.labels == ["☐ JET Programme", "✅ MIRAI", "📅 Deadlines"]
        assert f"✅ Subscribed to MIRAI. Applications open on {when(opens, BRUSSELS, 'en')}" in subscribed.text
        assert "open now" not in subscribed.text
        assert await services_of(app).storage.subscriptions(USER) == ["mirai"]

        unsubscribed = await tap(fake_api, subscribed, "✅ MIRAI")
        assert unsubscribed.labels == ["☐ JET Programme", "☐ MIRAI", "📅 Deadlines"]
        assert "You will no longer get alerts about MIRAI." in unsubscribed.text
        assert await services_of(app).storage.subscriptions(USER) == []


@pytest.mark.parametrize(
    ("lang", "says"),
    [
        ("en", "✅ Subscribed to MIRAI. Applications are open now, until {closes}."),
        ("fr", "✅ Abonné à MIRAI. Les candidatures sont ouvertes en ce moment, jusqu'au {closes}."),
    ],
)
async def test_subscribe_mirai_while_a_window_is_open_says_until_when(
    fake_api: FakeBotApi, knowledge: Path, lang: Lang, says: str
) -> None:
    """/subscribe mirai subscribes at once and, with a window open, says until when, in the user's language."""
    today = datetime.now(BRUSSELS).date()
    window = Win("current", today - timedelta(days=3), today + timedelta(days=10))
    async with bot(fake_api, Engine(write_knowledge(knowledge, window))) as app:
        reply = await ask(fake_api, "/subscribe mirai", lang=lang)
        closes = datetime.combine(today + timedelta(days=11), datetime.min.time(), BRUSSELS)
        assert says.format(closes=when(closes, BRUSSELS, lang, closing=True)) in reply.text
        assert "✅ MIRAI" in reply.labels
        assert await services_of(app).storage.subscriptions(USER) == ["mirai"]


async def test_deadlines_lists_windows_with_days_left_and_a_calendar_file(
    fake_api: FakeBotApi, knowledge: Path
) -> None:
    """/deadlines lists open and upcoming windows with the days left; "Add to calendar" sends a valid .ics."""
    today = datetime.now(BRUSSELS).date()
    current = Win(
        "current",
        today - timedelta(days=3),
        today + timedelta(days=10),
        {"en": "Autumn", "fr": "Automne", "nl": "Herfst"},
    )
    upcoming_opens = in_seconds(20 * 86_400)
    upcoming = Win("upcoming", upcoming_opens, in_seconds(50 * 86_400))
    past = Win("past", today - timedelta(days=60), today - timedelta(days=30))
    async with bot(fake_api, Engine(write_knowledge(knowledge, past, current, upcoming))) as app:
        before = datetime.now(UTC)
        seen = await ask(fake_api, "/deadlines")
        closes = datetime.combine(today + timedelta(days=11), datetime.min.time(), BRUSSELS)
        days = {math.ceil((closes - moment).total_seconds() / 86_400) for moment in (before, datetime.now(UTC))}
        lines = [line.lstrip("-• ") for line in seen.text.splitlines()]  # list items shown with a bullet
        assert lines[0] == "Application deadlines"
        assert len(lines) == 3, seen.text  # the past window is not listed
        assert lines[1].startswith("MIRAI: Autumn: open until " + when(closes, BRUSSELS, "en", closing=True))
        assert any(lines[1].endswith(f"({n} days left)") for n in days), lines[1]
        assert lines[2].startswith(f"MIRAI: opens {when(upcoming_opens, BRUSSELS, 'en')}"), lines[2]
        assert seen.labels == ["📅 Add to calendar", "🔔 Deadline alerts"]

        query_id = press(fake_api, seen, "📅 Add to calendar")
        call = await fake_api.wait_for_call("sendDocument", lambda c: c.ok and c.chat_id == USER)
        assert call.result["document"]["file_name"] == "deadlines.ics"
        (upload,) = call.files.values()
        calendar = Calendar.from_ical(upload.data)
        events = {str(event["UID"]): event for event in calendar.walk("VEVENT")}
        windows = {w.id: w for w in services_of(app).dispatcher.windows()}
        assert set(events) == {"mirai-current@embassy-exchange-bot", "mirai-upcoming@embassy-exchange-bot"}
        for window_id in ("current", "upcoming"):
            event = events[f"mirai-{window_id}@embassy-exchange-bot"]
            assert event.decoded("DTSTART") == windows[window_id].opens
            assert event.decoded("DTEND") == windows[window_id].closes
            assert str(event["SUMMARY"]).startswith("MIRAI: applications")
        assert any(map(answering(query_id), fake_api.calls_to("answerCallbackQuery")))


def _ics_problems(ics: str) -> list[str]:
    """Date-times RFC 5545 rejects: a TZID without its VTIMEZONE, an absolute TRIGGER not in UTC or untyped."""
    lines = ics.replace("\r\n ", "").splitlines()
    zones = {line.split(":", 1)[1] for line in lines if line.startswith("TZID:")}
    problems = []
    for line in lines:
        name, _, value = line.partition(":")
        prop, *params = name.split(";")
        tzid = next((p.split("=", 1)[1].strip('"') for p in params if p.startswith("TZID=")), None)
        if prop in ("DTSTART", "DTEND") and tzid is not None and tzid not in zones:
            problems.append(f"{line} (no VTIMEZONE for {tzid})")
        absolute = prop == "TRIGGER" and not value.startswith(("-P", "P", "+P"))
        if absolute and ("VALUE=DATE-TIME" not in params or not value.endswith("Z")):
            problems.append(f"{line} (an absolute trigger needs VALUE=DATE-TIME and UTC)")
    return problems


async def test_calendar_file_is_valid_icalendar(fake_api: FakeBotApi, knowledge: Path) -> None:
    """The calendar file is valid iCalendar for every way staff may write a window (date, local time, offset)."""
    year = datetime.now(BRUSSELS).year + 1
    windows = (
        Win("dates", date(year, 9, 1), date(year, 10, 15)),
        Win("local", datetime(year, 10, 1, 9, 0), datetime(year, 11, 20, 17, 0)),
        Win("offset", datetime(year, 10, 2, 9, 0), datetime.fromisoformat(f"{year}-11-21T17:00:00+01:00")),
    )
    async with bot(fake_api, Engine(write_knowledge(knowledge, *windows)), alert_jobs=False):
        seen = await ask(fake_api, "/deadlines")
        press(fake_api, seen, "📅 Add to calendar")
        call = await fake_api.wait_for_call("sendDocument", lambda c: c.ok)
        (upload,) = call.files.values()
        assert len(Calendar.from_ical(upload.data).walk("VEVENT")) == 3
        assert _ics_problems(upload.data.decode()) == []


async def test_a_group_cannot_be_subscribed_through_the_deadlines_buttons(
    fake_api: FakeBotApi, knowledge: Path
) -> None:
    """In a group, the buttons under /deadlines do not subscribe the group, as /subscribe does not."""
    async with bot(fake_api, Engine(write_knowledge(knowledge)), alert_jobs=False) as app:
        fake_api.send_text("/deadlines@EmbassyTestBot", user_id=USER, chat_id=GROUP, chat_type="supergroup")
        seen = await next_seen(fake_api, GROUP)
        for label in ("🔔 Deadline alerts", "☐ MIRAI"):
            if label not in seen.labels:
                break  # the way to subscribe the group is gone
            query_id = press(fake_api, seen, label)
            answer = await fake_api.wait_for_call("answerCallbackQuery", answering(query_id))
            if answer.params.get("text"):
                break  # refused with a notice
            seen = await next_seen(fake_api, GROUP)
        assert await services_of(app).storage.subscriptions(GROUP) == []


# ------------------------------------------------------------------------------------ scheduled alerts


async def test_opens_alert_arrives_on_time_once_in_each_language_and_unsubscribe_works(
    fake_api: FakeBotApi, knowledge: Path
) -> None:
    """An "applications are open" alert from a window opening in a few seconds reaches each subscriber once, on
    time, in their language, with requirements, quiz and Unsubscribe buttons; tapping Unsubscribe unsubscribes."""
    opens = in_seconds(4)
    window = Win("soon", opens, opens + timedelta(days=20), {"en": "Group 1", "fr": "Groupe 1", "nl": "Groep 1"})
    subscribers: dict[int, Lang] = {2001: "en", 2002: "fr", 2003: "nl"}
    jet_only = 2004
    async with bot(fake_api, Engine(write_knowledge(knowledge, window))) as app:
        for chat_id, lang in subscribers.items():
            reply = await ask(fake_api, "/subscribe mirai", lang=lang, user=chat_id)
            assert "✅ MIRAI" in reply.labels
        await ask(fake_api, "/subscribe jet", user=jet_only)
        assert datetime.now(UTC) < opens, "the set-up took longer than the window's lead time"

        due = monotonic_at(opens)
        alerts: dict[int, Seen] = {}
        for chat_id, lang in subscribers.items():
            alert = alerts[chat_id] = await next_seen(fake_api, chat_id, timeout=15)
            assert_on_time(fake_api, alert, due)
            assert alert.text.startswith(headline(OPENS_HEADLINE, lang) + "\n"), alert.text
            assert window.title is not None
            assert window.title[lang] in alert.text
            assert alert.labels == [
                services_of(app).engine.snapshot.knowledge.entry("mirai.requirements").title[lang],
                t(lang, "✅ Check my eligibility"),
                t(lang, "🔕 Unsubscribe"),
                t(lang, "◀ Main menu"),
            ]

        # Once: a further run finds nothing to send, and nobody else got anything.
        services = services_of(app)
        report = await services.dispatcher.run(TelegramSender(app.bot))
        assert (report.queued, report.sent) == (0, 0)
        received = {chat_id: len(alerts_to(fake_api, chat_id)) for chat_id in (*subscribers, jet_only)}
        assert received == {2001: 1, 2002: 1, 2003: 1, jet_only: 0}

        confirmation = await tap(fake_api, alerts[2002], t("fr", "🔕 Unsubscribe"), lang="fr", user=2002)
        assert confirmation.method == "sendMessage"  # the alert stays; the confirmation comes below it
        assert t("fr", "You will no longer get alerts about {programme}.", programme="MIRAI") in confirmation.text
        assert "☐ MIRAI" in confirmation.labels
        assert await services.storage.subscriptions(2002) == []
        assert await services.storage.subscriptions(2001) == ["mirai"]


async def test_reload_by_an_admin_reschedules_and_a_broken_knowledge_base_is_refused(
    fake_api: FakeBotApi, knowledge: Path, bot_logs: list[str]
) -> None:
    """/reload: a non-admin gets the unknown-command reply; an admin's reload of an added window schedules its
    alert at once; a broken knowledge base is refused, reported, and the previous one kept."""
    bot_logs.append("reload refused")
    async with bot(fake_api, Engine(write_knowledge(knowledge)), admin_ids=frozenset({ADMIN})) as app:
        refused = await ask(fake_api, "/reload", user=USER)
        assert UNKNOWN_COMMAND in refused.text
        subscribed = await ask(fake_api, "/subscribe mirai", user=ADMIN)
        assert "This bot has no current application dates" in subscribed.text

        opens = in_seconds(3)
        write_knowledge(knowledge, Win("added", opens, opens + timedelta(days=30)))
        reloaded = await ask(fake_api, "/reload", user=ADMIN)
        assert reloaded.text.startswith("Reloaded:"), reloaded.text
        assert "application windows: 1" in reloaded.text
        assert len(services_of(app).dispatcher.windows()) == 1
        # The regular check runs every ALERT_CHECK_SECONDS (60): only a rescheduled wake-up is this punctual.
        alert = await next_seen(fake_api, ADMIN, timeout=10)
        assert alert.text.startswith(headline(OPENS_HEADLINE, "en")), alert.text
        assert_on_time(fake_api, alert, monotonic_at(opens))

        write_knowledge(knowledge, Win("added", opens, opens + timedelta(days=30)), broken=True)
        broken = await ask(fake_api, "/reload", user=ADMIN)
        assert broken.text.startswith("Reload refused; still serving the previous knowledge base."), broken.text
        assert "mirai.yaml" in broken.text
        assert "backwards" in broken.text
        assert [window.id for window in services_of(app).dispatcher.windows()] == ["added"]
        deadlines = await ask(fake_api, "/deadlines", user=ADMIN)
        assert "MIRAI: open until" in deadlines.text
    assert len(alerts_to(fake_api, ADMIN)) == 1


async def test_alerts_due_while_the_bot_was_down_are_caught_up_at_start(
    fake_api: FakeBotApi, knowledge: Path, tmp_path: Path
) -> None:
    """At start-up the bot sends an "open" alert that fell due while it was down, to those subscribed before, and
    nothing about a window that has closed meanwhile."""
    now = datetime.now(UTC).replace(microsecond=0)
    still_open = Win("still-open", now - timedelta(hours=1), now + timedelta(days=10))
    closed = Win("closed", now - timedelta(days=20), now - timedelta(hours=2))
    early, late = 3001, 3002
    async with Database(None, data_dir=tmp_path / "data") as database:  # the bot's database, as the autouse DATA_DIR
        await database.upgrade()
        await add_subscribers(Storage(database, clock=lambda: now - timedelta(days=30)), [early])
        await add_subscribers(Storage(database), [late])  # subscribed after the window opened: told at once instead
    started = time.monotonic()
    async with bot(fake_api, Engine(write_knowledge(knowledge, closed, still_open))) as app:
        alert = await next_seen(fake_api, early, timeout=10)
        assert alert.text.startswith(headline(OPENS_HEADLINE, "en")), alert.text
        assert call_of(fake_api, alert).at - started < 5
        services = services_of(app)
        report = await services.dispatcher.run(TelegramSender(app.bot))  # waits for the start-up run to finish
        assert (report.queued, report.sent) == (0, 0)
        assert await services.storage.enqueued_alert_keys("mirai:closed:") == set()
    assert len(alerts_to(fake_api, early)) == 1
    assert alerts_to(fake_api, late) == []


# ----------------------------------------------------------------------------------- delivery guarantees


@pytest.fixture
def far_window() -> Win:
    """A window opening in an hour: dispatchers on a fake clock make it due; the real clock never does here."""
    opens = in_seconds(3600)
    return Win("far", opens, opens + timedelta(days=30))


def after_opening(window: Win) -> FakeClock:
    assert isinstance(window.opens, datetime)
    return FakeClock(window.opens + timedelta(minutes=1))


async def test_blocked_user_is_deactivated_and_never_retried_while_others_get_it(
    fake_api: FakeBotApi, knowledge: Path, far_window: Win
) -> None:
    """A subscriber who blocked the bot (403) is deactivated and not retried on later runs; the others get the
    alert, and later the reminder, in their language."""
    async with bot(fake_api, Engine(write_knowledge(knowledge, far_window)), alert_jobs=False) as app:
        services = services_of(app)
        languages = await add_subscribers(services.storage, [4001, 4002, 4003])
        blocked = 4002
        fake_api.fail("sendMessage", status=403, chat_id=blocked, times=None)
        clock = after_opening(far_window)
        alerts = dispatcher(services.engine, services.storage, clock, "worker-1")
        sender = TelegramSender(app.bot)

        report = await alerts.run(sender)
        assert (report.queued, report.sent, report.blocked, report.retried) == (3, 2, 1, 0)
        user = await services.storage.get_user(blocked)
        assert user is not None
        assert not user.active
        again = await alerts.run(sender)
        assert (again.queued, again.sent, again.blocked) == (0, 0, 0)

        assert isinstance(far_window.closes, datetime)
        clock.now = far_window.closes - timedelta(days=7) + timedelta(minutes=1)
        reminder = await alerts.run(sender)
        assert (reminder.queued, reminder.sent, reminder.blocked) == (2, 2, 0)

    assert len([c for c in fake_api.calls_to("sendMessage") if c.chat_id == blocked]) == 1  # the one 403
    for chat_id in (4001, 4003):
        lang = languages[chat_id]
        opened, soon = (shown(call) for call in alerts_to(fake_api, chat_id))
        assert opened.startswith(headline(OPENS_HEADLINE, lang))
        assert soon.startswith(headline(SOON_HEADLINE, lang))
        assert t(lang, "{days} days left", days=7) in soon


async def test_a_user_who_unblocks_the_bot_and_sees_subscribed_gets_the_next_alert(
    fake_api: FakeBotApi, knowledge: Path, far_window: Win
) -> None:
    """A user who blocked the bot, then comes back and is shown ✅ MIRAI, does get the next alert."""
    async with bot(fake_api, Engine(write_knowledge(knowledge, far_window)), alert_jobs=False) as app:
        services = services_of(app)
        await add_subscribers(services.storage, [USER])
        fake_api.fail("sendMessage", status=403, chat_id=USER)
        clock = after_opening(far_window)
        alerts = dispatcher(services.engine, services.storage, clock, "worker-1")
        assert (await alerts.run(TelegramSender(app.bot))).blocked == 1

        menu = await ask(fake_api, "/subscribe")  # unblocked: the bot works again, and shows the subscription
        assert "✅ MIRAI" in menu.labels
        assert isinstance(far_window.closes, datetime)
        clock.now = far_window.closes - timedelta(days=1) + timedelta(minutes=1)
        report = await alerts.run(TelegramSender(app.bot))
        assert report.sent == 1
        assert len(alerts_to(fake_api, USER)) == 1


async def test_429_retry_after_is_honoured_and_the_alert_arrives_once(
    fake_api: FakeBotApi, knowledge: Path, far_window: Win, bot_logs: list[str]
) -> None:
    """A 429 with retry_after is waited out by the bot's rate limiter and retried: the alert arrives once, no
    sooner than Telegram asked (and the pause is logged as a warning)."""
    bot_logs.append("Telegram asks to wait")
    async with bot(fake_api, Engine(write_knowledge(knowledge, far_window)), alert_jobs=False) as app:
        services = services_of(app)
        await add_subscribers(services.storage, [5001, 5002])
        fake_api.fail("sendMessage", status=429, retry_after=1, chat_id=5001)
        alerts = dispatcher(services.engine, services.storage, after_opening(far_window), "worker-1")
        report = await alerts.run(TelegramSender(app.bot))
        assert (report.sent, report.retried, report.failed) == (2, 0, 0)
    first, second = (c for c in fake_api.calls_to("sendMessage") if c.chat_id == 5001)
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 1.0
    assert len(alerts_to(fake_api, 5001)) == len(alerts_to(fake_api, 5002)) == 1


async def test_network_error_is_retried_on_the_next_run(fake_api: FakeBotApi, knowledge: Path, far_window: Win) -> None:
    """A passing network failure (502) leaves the delivery for the next run, which sends it once."""
    async with bot(fake_api, Engine(write_knowledge(knowledge, far_window)), alert_jobs=False) as app:
        services = services_of(app)
        await add_subscribers(services.storage, [6001, 6002])
        fake_api.fail("sendMessage", status=502, chat_id=6001)
        alerts = dispatcher(services.engine, services.storage, after_opening(far_window), "worker-1")
        first = await alerts.run(TelegramSender(app.bot))
        assert (first.sent, first.retried, first.failed) == (1, 1, 0)
        second = await alerts.run(TelegramSender(app.bot))
        assert (second.sent, second.retried) == (1, 0)
        assert (await services.storage.delivery_counts())["sent"] == 2
    assert len(alerts_to(fake_api, 6001)) == len(alerts_to(fake_api, 6002)) == 1


async def test_crash_mid_broadcast_resumes_without_missing_or_resending(
    fake_api: FakeBotApi, knowledge: Path, far_window: Win, databases: Callable[[], Database]
) -> None:
    """A dispatcher killed mid-broadcast to 50 subscribers leaves the rest to a restarted one: everyone gets the
    alert, in their language, and only the messages in flight at the crash are sent twice."""
    subscribers = list(range(7001, 7051))
    async with bot(fake_api, Engine(write_knowledge(knowledge, far_window)), alert_jobs=False) as app:
        engine = services_of(app).engine
        crashed_db = databases()
        languages = await add_subscribers(Storage(crashed_db), subscribers)
        crashed = dispatcher(
            engine, Storage(crashed_db), after_opening(far_window), "crashed-process", batch_size=25, concurrency=10
        )
        # 12 sent and recorded, 3 sent but not recorded, 10 hanging in all: the rest of the batch waits its turn.
        sender = CrashingSender(TelegramSender(app.bot), healthy=12, in_flight=3, stall_at=10)
        run = asyncio.create_task(crashed.run(sender))
        await until(sender.stalled, "the first dispatcher stalls")
        run.cancel()  # the process dies: no shutdown, its claims stay in the database
        with pytest.raises(asyncio.CancelledError):
            await run
        await crashed_db.close()

        storage = Storage(databases())
        counts = await storage.delivery_counts()
        assert (counts["sent"], counts["claimed"], counts["pending"]) == (12, 13, 25)  # one batch of 25 was claimed
        restarted = dispatcher(engine, storage, after_opening(far_window), "restarted-process")
        fresh = await restarted.run(TelegramSender(app.bot))
        assert (fresh.queued, fresh.sent) == (0, 25)  # claims not yet stale are left alone: their owner may live
        restarted.stale_after = timedelta(0)  # as when the dead process's claims have gone stale
        resumed = await restarted.run(TelegramSender(app.bot))
        assert (resumed.queued, resumed.sent, resumed.retried, resumed.failed) == (0, 13, 0, 0)
        assert (await storage.delivery_counts())["sent"] == 50

    received = Counter(call.chat_id for chat_id in subscribers for call in alerts_to(fake_api, chat_id))
    assert set(received) == set(subscribers), "someone missed the alert"
    twice = {chat_id for chat_id, count in received.items() if count > 1}
    assert twice == set(sender.unrecorded), "sent twice to others than those in flight at the crash"
    assert max(received.values()) == 2
    assert len(twice) <= crashed.concurrency
    for chat_id in subscribers:
        for call in alerts_to(fake_api, chat_id):
            assert shown(call).startswith(headline(OPENS_HEADLINE, languages[chat_id]))


class FirstSendWaits:
    """Holds its first send until ``wait()`` returns (at most 10 s): both dispatchers meeting at a barrier,
    or an event being set."""

    def __init__(self, inner: TelegramSender, wait: Callable[[], Awaitable[object]]) -> None:
        self.inner = inner
        self.wait = wait
        self.waited = False

    async def send(self, chat_id: int, reply: Reply, lang: Lang) -> SendOutcome:
        if not self.waited:
            self.waited = True
            async with asyncio.timeout(10):
                await self.wait()
        return await self.inner.send(chat_id, reply, lang)


async def test_two_dispatchers_on_one_database_never_send_twice(
    fake_api: FakeBotApi, knowledge: Path, far_window: Win, databases: Callable[[], Database]
) -> None:
    """Two dispatchers (two processes: own engine, own bot) broadcasting one alert to 100 subscribers at once
    send exactly one message to each."""
    subscribers = list(range(8001, 8101))
    async with bot(fake_api, Engine(write_knowledge(knowledge, far_window)), alert_jobs=False) as app:
        engine = services_of(app).engine
        first_db, second_db = databases(), databases()
        await add_subscribers(Storage(first_db), subscribers)
        barrier = asyncio.Barrier(2)
        async with another_bot(app) as second_bot:
            reports = await asyncio.gather(
                dispatcher(
                    engine, Storage(first_db), after_opening(far_window), "process-1", batch_size=10, concurrency=5
                ).run(FirstSendWaits(TelegramSender(app.bot), barrier.wait)),
                dispatcher(
                    engine, Storage(second_db), after_opening(far_window), "process-2", batch_size=10, concurrency=5
                ).run(FirstSendWaits(TelegramSender(second_bot), barrier.wait)),
            )
        assert sum(report.queued for report in reports) == 100  # queued once, whoever queued it
        assert sum(report.sent for report in reports) == 100
        assert all(report.sent > 0 for report in reports), reports
        assert (await Storage(first_db).delivery_counts())["sent"] == 100

    sent = Counter(call.chat_id for call in fake_api.calls_to("sendMessage"))
    assert sent == Counter(subscribers)  # one sendMessage per chat: none missed, none twice, none failed


async def test_the_next_batch_is_claimed_while_the_last_is_still_being_sent(
    fake_api: FakeBotApi, knowledge: Path, far_window: Win, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sending never waits for a batch to end before the next is claimed (at 1,000 messages a second that
    wait was a sixth of the time): one message held back does not hold back the next batch."""
    subscribers = list(range(9101, 9131))
    async with bot(fake_api, Engine(write_knowledge(knowledge, far_window)), alert_jobs=False) as app:
        services = services_of(app)
        await add_subscribers(services.storage, subscribers)
        second_claim = asyncio.Event()
        claim = services.storage.claim
        claims = 0

        async def counted_claim(*args: Any, **kwargs: Any) -> list[Claim]:
            nonlocal claims
            claims += 1
            if claims == 2:
                second_claim.set()
            return await claim(*args, **kwargs)

        monkeypatch.setattr(services.storage, "claim", counted_claim)
        alerts = dispatcher(services.engine, services.storage, after_opening(far_window), "w", batch_size=10)
        report = await alerts.run(FirstSendWaits(TelegramSender(app.bot), second_claim.wait))
        assert (report.queued, report.sent) == (30, 30)
    assert Counter(call.chat_id for chat_id in subscribers for call in alerts_to(fake_api, chat_id)) == dict.fromkeys(
        subscribers, 1
    )


async def test_a_broadcast_records_its_sent_messages_a_batch_at_a_time(
    fake_api: FakeBotApi, knowledge: Path, far_window: Win
) -> None:
    """Sent deliveries are recorded about one write per claimed batch (not one write transaction per message,
    which held a paid broadcast far below its rate): a write when a batch's worth waits, and one before each
    claim; each subscriber gets one message and every delivery ends up recorded as sent."""
    subscribers = list(range(9001, 9061))
    writes = 0

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        nonlocal writes
        writes += statement.lstrip().startswith("UPDATE deliveries") and "sent_at" in statement

    async with bot(fake_api, Engine(write_knowledge(knowledge, far_window)), alert_jobs=False) as app:
        services = services_of(app)
        await add_subscribers(services.storage, subscribers)
        # No timed write during the run: only the batches' own writes are counted.
        alerts = dispatcher(
            services.engine, services.storage, after_opening(far_window), "w", batch_size=25, mark_interval=3600
        )
        event.listen(services.database.engine.sync_engine, "before_cursor_execute", count)
        try:
            report = await alerts.run(TelegramSender(app.bot))
        finally:
            event.remove(services.database.engine.sync_engine, "before_cursor_execute", count)
        assert (report.queued, report.sent) == (60, 60)
        assert (await services.storage.delivery_counts())["sent"] == 60
    claims = 4  # batches of 25, 25 and 10, then none left
    assert 3 <= writes <= 60 // 25 + claims
    assert Counter(call.chat_id for chat_id in subscribers for call in alerts_to(fake_api, chat_id)) == dict.fromkeys(
        subscribers, 1
    )
