"""End to end: the staff commands (/stats, /unanswered, /broadcast, /reload) through the fake Bot API.

Only ADMIN_IDS may use them: anyone else gets the normal unknown-command answer and nothing happens. An
announcement goes through the same crash-safe outbox as the alerts: each subscriber gets it once, also when the
dispatcher dies mid-way or the bot is stopped mid-broadcast.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.cli import main
from bot.core.engine import Engine
from bot.core.i18n import t
from bot.core.languages import Lang
from bot.services.delivery import AlertDispatcher
from bot.storage import BROADCAST_PREFIX, Database, Storage
from bot.tg.sender import TelegramSender
from tests.clock import FakeClock
from tests.conftest import KNOWLEDGE_DIR, settings_for
from tests.fake_bot_api import Call, FakeBotApi, parse_html
from tests.tg.alerts import CrashingSender, add_subscribers, until
from tests.tg.bots import bot
from tests.tg.chat import UNKNOWN_COMMAND, USER, App, Seen, ask, next_seen, tap
from tests.tg.conftest import services_of
from tests.tg.staff import ADMIN, MATCHED, announcements, eventually, questions_logged

pytestmark = pytest.mark.usefixtures("bot_logs")

MIRAI = "MIRAI"
ANNOUNCEMENT = "Applications for **MIRAI 2027** open on 1 March.\nQ&A: bring 1 < 2 documents, see https://example.com"
SHOWN = "Applications for MIRAI 2027 open on 1 March.\nQ&A: bring 1 < 2 documents, see https://example.com"
PARKING = [
    "where can I park my bicycle near the embassy",
    "near the embassy, where can I park my bicycle?",
    "my bicycle: where can I park it near the embassy",
]
CAKE = ["recipe for chocolate cake", "chocolate cake recipe please"]
MATCHED_FR = "quel est l'âge minimum pour MIRAI ?"


# ------------------------------------------------------------------------------------------------ helpers


def bot_log(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name.startswith("bot")]


def headline(lang: Lang) -> str:
    return t(lang, "📣 **Announcement: {programme}**", programme=MIRAI).replace("**", "")


def press_as(api: FakeBotApi, data: str, user: int) -> None:
    """A callback query with ``data`` from ``user``, on a message in their own chat (a forged button)."""
    message = {"message_id": 999, "chat": {"id": user, "type": "private", "first_name": "Eve"}, "text": "…"}
    api.send_callback(data, message, user_id=user)


# --------------------------------------------------------------------------------------------- admin gate

STAFF_COMMANDS = ["/stats", "/unanswered", "/broadcast mirai Hello everyone", "/reload"]


async def test_staff_commands_from_a_non_admin_get_the_unknown_command_answer_and_do_nothing(
    fake_api: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    """/stats, /unanswered, /broadcast and /reload from a non-admin get "I don't know that command": no draft is
    kept, the knowledge base is not reloaded, and nothing is logged as an admin's use."""
    engine = Engine(KNOWLEDGE_DIR)  # its own: a reload must not touch the session's engine
    async with bot(fake_api, engine, admin_ids=frozenset({ADMIN})) as app:
        storage = services_of(app).storage
        await storage.subscribe(2001, "mirai")
        snapshot = engine.snapshot
        for command in STAFF_COMMANDS:
            refused = await ask(fake_api, command, user=USER)
            assert refused.text.startswith(UNKNOWN_COMMAND), (command, refused.text)
            assert refused.buttons == [], command
        fake_api.send_text("/stats@EmbassyTestBot", user_id=USER, chat_id=-100555, chat_type="supergroup")
        assert (await next_seen(fake_api, -100555)).text.startswith(UNKNOWN_COMMAND)
        assert engine.snapshot is snapshot
        assert await storage.get_broadcast(1) is None
        assert sum((await storage.delivery_counts()).values()) == 0
    assert announcements(fake_api) == Counter()
    assert not [line for line in bot_log(caplog) if line.startswith("admin ")], bot_log(caplog)
    assert f"user {USER} tried the staff command /stats" in bot_log(caplog)


async def test_staff_commands_from_an_admin_work_and_are_logged_with_the_admin_id(
    fake_api: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    """The same commands from an admin work (statistics, the unanswered list, a preview to confirm, a reload),
    and each use is logged with the admin's id."""
    engine = Engine(KNOWLEDGE_DIR)
    async with bot(fake_api, engine, admin_ids=frozenset({ADMIN, 4343})) as app:
        await services_of(app).storage.subscribe(2001, "mirai")
        snapshot = engine.snapshot
        replies = {command: await ask(fake_api, command, user=ADMIN) for command in STAFF_COMMANDS}
        assert engine.snapshot is not snapshot  # reloaded
    assert replies["/stats"].text.startswith("Statistics\n")
    assert replies["/unanswered"].text == "No unanswered questions in the last 30 days."
    preview = replies["/broadcast mirai Hello everyone"]
    assert preview.text == "Preview of the announcement to 1 subscriber of mirai:\n\nHello everyone"
    assert preview.labels == ["Send to 1 subscriber"]
    assert replies["/reload"].text.startswith("Reloaded:")
    assert all(UNKNOWN_COMMAND not in reply.text for reply in replies.values())
    logged = bot_log(caplog)
    for command in ("/stats", "/unanswered", "/broadcast"):
        assert f"admin {ADMIN} used {command}" in logged, logged
    assert f"admin {ADMIN} asked for a knowledge reload" in logged
    assert f"admin {ADMIN} drafted broadcast 1 to mirai (1 recipients)" in logged
    assert not [line for line in logged if "4343" in line]


async def test_a_forged_broadcast_confirmation_from_a_non_admin_sends_nothing(
    fake_api: FakeBotApi, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """A non-admin who sends the confirm button's callback data ("b|<id>") of a real draft gets no answer and
    nothing is queued or sent; the admin's own tap then sends it."""
    subscribers = [2001, 2002]
    async with bot(fake_api, engine, admin_ids=frozenset({ADMIN})) as app:
        storage = services_of(app).storage
        for chat_id in subscribers:
            await storage.subscribe(chat_id, "mirai")
        preview = await ask(fake_api, "/broadcast mirai Hello everyone", user=ADMIN)
        draft_id = int(preview.data("Send to 2 subscribers").removeprefix("b|"))
        assert preview.data("Send to 2 subscribers") == f"b|{draft_id}"

        for data in (f"b|{draft_id}", f"b|{draft_id}|en"):
            press_as(fake_api, data, USER)
        refusal = f"user {USER} tried the staff command broadcast confirmation"

        async def both_refused() -> bool:  # the last thing the handler does for a non-admin
            return bot_log(caplog).count(refusal) == 2

        await eventually(both_refused, "both forged taps are refused")
        to_user = [c for c in fake_api.calls if c.chat_id == USER and c.method in ("sendMessage", "editMessageText")]
        assert to_user == [], "the non-admin got an answer"
        draft = await storage.get_broadcast(draft_id)
        assert draft is not None
        assert draft.confirmed_at is None
        assert sum((await storage.delivery_counts()).values()) == 0

        confirmed = await tap(fake_api, preview, "Send to 2 subscribers", user=ADMIN)
        assert confirmed.text == "Sending to 2 subscribers now, within Telegram's limits."
        for chat_id in subscribers:
            assert (await next_seen(fake_api, chat_id)).text.startswith(headline("en"))
    assert announcements(fake_api) == Counter(subscribers)


# -------------------------------------------------------------------------------------------------- stats


async def test_stats_shows_users_subscribers_question_outcomes_and_deliveries(
    fake_api: FakeBotApi, engine: Engine
) -> None:
    """/stats: users (and how many are reachable), subscribers per programme, questions of the last 7 and 30 days
    with the share answered / fallback / redirect / suggested, and deliveries per state."""
    async with bot(fake_api, engine, alert_jobs=False, admin_ids=frozenset({ADMIN})) as app:
        services = services_of(app)
        storage = services.storage
        for chat_id in (2001, 2002, 2003):
            await storage.subscribe(chat_id, "mirai")
        await storage.subscribe(2004, "jet")
        # Today, through the bot: 2 answered, 1 suggested, 1 fallback; small talk is not counted.
        for question in (MATCHED, MATCHED_FR, PARKING[0], CAKE[0], "hello"):
            await ask(fake_api, question, user=3001)
        await questions_logged(storage, 4)
        # Earlier: two fallbacks 10 days ago (in the 30 days only), one answered 40 days ago (in neither).
        now = datetime.now(UTC)
        ten_days_ago = Storage(services.database, clock=lambda: now - timedelta(days=10))
        for question in CAKE:
            await ten_days_ago.record_question(question, "en", "fallback")
        await Storage(services.database, clock=lambda: now - timedelta(days=40)).record_question(
            MATCHED, "en", "answered"
        )
        # An announcement: two subscribers get it, one has blocked the bot.
        draft = await storage.create_broadcast("mirai", "Hello", ADMIN)
        assert await storage.confirm_broadcast(draft.id) == 3
        fake_api.fail("sendMessage", status=403, chat_id=2003)
        report = await services.dispatcher.run(TelegramSender(app.bot))
        assert (report.sent, report.blocked) == (2, 1)

        stats = await ask(fake_api, "/stats", user=ADMIN)
    assert stats.text.splitlines()[:7] == [
        "Statistics",
        "Users: 4 (3 reachable)",
        "Subscribers, jet: 1",
        "Subscribers, mirai: 2",
        "Questions, last 7 days: 4 (answered 50%, fallback 25%, redirect 0%, suggested 25%)",
        "Questions, last 30 days: 6 (answered 33%, fallback 50%, redirect 0%, suggested 17%)",
        "Alerts and announcements delivered: claimed 0, failed 1, pending 0, sent 2",
    ]
    assert stats.bold == ["Statistics"]


async def test_stats_with_nothing_yet(fake_api: FakeBotApi, engine: Engine) -> None:
    """/stats on a new bot shows zeros, not errors or empty shares."""
    async with bot(fake_api, engine, alert_jobs=False, admin_ids=frozenset({ADMIN})):
        stats = await ask(fake_api, "/stats", user=ADMIN)
    assert stats.text.splitlines()[1:5] == [
        "Users: 0 (0 reachable)",
        "Questions, last 7 days: 0",
        "Questions, last 30 days: 0",
        "Alerts and announcements delivered: claimed 0, failed 0, pending 0, sent 0",
    ]


# --------------------------------------------------------------------------------------------- unanswered

GROUP_LINE = re.compile(r"(?P<count>\d+)× \[(?P<langs>[a-z/]+)\] (?P<example>.+?)(?: — nearest: (?P<nearest>\S+))?")


async def test_unanswered_groups_similar_questions_and_the_cli_prints_the_same_as_csv(
    fake_api: FakeBotApi, engine: Engine, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Students ask three phrasings of an out-of-scope question and two of another: /unanswered lists each need
    once, most asked first, with its count and nearest entry, and leaves out what was answered, small talk and
    what is older than 30 days; `python -m bot unanswered --csv` gives the same groups."""
    async with bot(fake_api, engine, alert_jobs=False, admin_ids=frozenset({ADMIN})) as app:
        storage = services_of(app).storage
        now = datetime.now(UTC)
        await Storage(services_of(app).database, clock=lambda: now - timedelta(days=31)).record_question(
            "where do I park my bicycle", "en", "fallback"
        )
        asked = [*CAKE, *PARKING, MATCHED, "hello", "thanks"]
        for index, question in enumerate(asked):
            await ask(fake_api, question, user=3001 + index)
        await questions_logged(storage, 6)
        seen = await ask(fake_api, "/unanswered", user=ADMIN)

        monkeypatch.delenv("DATABASE_URL", raising=False)
        capsys.readouterr()
        assert await asyncio.to_thread(main, ["unanswered", "--csv"]) == 0  # the bot is still running
        printed = capsys.readouterr().out

    lines = seen.text.splitlines()
    assert lines[0] == "Unanswered, last 30 days (most asked first)"
    assert lines[-1] == "The full list: python -m bot unanswered --csv"
    groups = [GROUP_LINE.fullmatch(line) for line in lines[1:-1]]
    assert all(groups), lines
    shown = [(int(m["count"]), m["langs"], m["example"], m["nearest"] or "") for m in groups if m is not None]
    assert [(count, langs) for count, langs, _, _ in shown] == [(3, "en"), (2, "en")]
    assert shown[0][2] in PARKING
    assert shown[0][3] == "contact.embassy"
    assert shown[1][2] in CAKE
    assert shown[1][3] == ""  # no entry scores at all for a cake recipe

    rows = list(csv.reader(io.StringIO(printed)))
    assert rows[0] == ["count", "languages", "example", "nearest_entry", "nearest_score"]
    assert [(int(count), langs, example, nearest) for count, langs, example, nearest, _ in rows[1:]] == shown
    assert float(rows[1][4]) > 0


# ---------------------------------------------------------------------------------------------- broadcast


async def test_broadcast_preview_then_confirm_sends_once_to_every_mirai_subscriber(
    fake_api: FakeBotApi, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """/broadcast mirai <text> shows a preview with the recipient count and a confirm button; confirming sends the
    announcement once to each MIRAI subscriber in their language with an Unsubscribe button, and nobody else; a
    second tap sends nothing more."""
    subscribers: dict[int, Lang] = {2001: "en", 2002: "fr", 2003: "nl"}
    jet_only, left = 2004, 2005
    async with bot(fake_api, engine, admin_ids=frozenset({ADMIN})) as app:
        for chat_id, lang in subscribers.items():
            await ask(fake_api, "/subscribe mirai", lang=lang, user=chat_id)
        await ask(fake_api, "/subscribe jet", user=jet_only)
        await ask(fake_api, "/subscribe mirai", user=left)
        await ask(fake_api, "/unsubscribe mirai", user=left)

        preview = await ask(fake_api, f"/broadcast MIRAI {ANNOUNCEMENT}", user=ADMIN)
        assert preview.text == f"Preview of the announcement to 3 subscribers of mirai:\n\n{SHOWN}"
        assert "MIRAI 2027" in preview.bold
        assert preview.labels == ["Send to 3 subscribers"]
        assert announcements(fake_api) == Counter()  # nothing goes out before the confirmation

        confirmed = await tap(fake_api, preview, "Send to 3 subscribers", user=ADMIN)
        assert confirmed.method == "sendMessage"
        assert confirmed.text == "Sending to 3 subscribers now, within Telegram's limits."
        received: dict[int, Seen] = {}
        for chat_id, lang in subscribers.items():
            seen = received[chat_id] = await next_seen(fake_api, chat_id)
            assert seen.text == f"{headline(lang)}\n\n{SHOWN}"
            assert t(lang, "🔕 Unsubscribe") in seen.labels

        again = await tap(fake_api, preview, "Send to 3 subscribers", user=ADMIN)
        assert again.text == "This announcement was already sent (or has no recipients)."
        services = services_of(app)
        report = await services.dispatcher.run(TelegramSender(app.bot))  # waits for any run in progress
        assert (report.queued, report.sent) == (0, 0)
        assert await services.storage.delivery_counts(f"{BROADCAST_PREFIX}1") == {
            "pending": 0,
            "claimed": 0,
            "sent": 3,
            "failed": 0,
        }

        unsubscribed = await tap(fake_api, received[2002], t("fr", "🔕 Unsubscribe"), lang="fr", user=2002)
        assert t("fr", "You will no longer get alerts about {programme}.", programme=MIRAI) in unsubscribed.text
        assert await services.storage.subscriptions(2002) == []

    assert announcements(fake_api) == Counter(list(subscribers))
    logged = bot_log(caplog)
    assert f"admin {ADMIN} used /broadcast" in logged
    assert f"admin {ADMIN} drafted broadcast 1 to mirai (3 recipients)" in logged
    assert f"admin {ADMIN} confirmed broadcast 1: 3 queued" in logged


async def test_broadcast_usage_for_a_missing_text_or_an_unknown_programme(fake_api: FakeBotApi, engine: Engine) -> None:
    """/broadcast without a text, or to a programme that does not exist, explains the usage and keeps no draft."""
    async with bot(fake_api, engine, alert_jobs=False, admin_ids=frozenset({ADMIN})) as app:
        for command in ("/broadcast", "/broadcast mirai", "/broadcast erasmus Hello"):
            seen = await ask(fake_api, command, user=ADMIN)
            assert seen.text.startswith("Usage: /broadcast PROGRAMME"), (command, seen.text)
            assert "Programmes: jet, mirai." in seen.text or "Programmes: mirai, jet." in seen.text
            assert seen.buttons == []
        assert await services_of(app).storage.get_broadcast(1) is None


async def test_a_broadcast_crashed_mid_way_resumes_on_restart_sending_to_everyone_once(
    fake_api: FakeBotApi, running_bot: App, engine: Engine, databases: Callable[[], Database]
) -> None:
    """A dispatcher that dies after a dozen sends of a confirmed announcement to 50 subscribers leaves the rest to
    a restarted one, which takes over the dead one's claims once stale: everyone gets it, in their language, and
    only the messages in flight at the crash go out twice."""
    subscribers = list(range(7001, 7051))
    crashed_db = databases()
    languages = await add_subscribers(Storage(crashed_db), subscribers)
    draft = await Storage(crashed_db).create_broadcast("mirai", ANNOUNCEMENT, ADMIN)
    assert await Storage(crashed_db).confirm_broadcast(draft.id) == 50
    zone = ZoneInfo("Europe/Brussels")

    def dispatcher(storage: Storage, worker: str, **options: Any) -> AlertDispatcher:
        return AlertDispatcher(engine, storage, zone=zone, reminder_days=(7, 1), worker_id=worker, **options)

    crashed = dispatcher(Storage(crashed_db), "crashed-process", batch_size=25, concurrency=10)
    sender = CrashingSender(TelegramSender(running_bot.bot), healthy=12, in_flight=3, stall_at=10)
    run = asyncio.create_task(crashed.run(sender))
    await until(sender.stalled, "the first dispatcher stalls")
    run.cancel()  # the process dies: no shutdown, its claims stay in the database
    with pytest.raises(asyncio.CancelledError):
        await run
    await crashed_db.close()

    later = FakeClock(datetime.now(UTC) + timedelta(minutes=6))  # the dead process's claims (5 minutes) are stale
    storage = Storage(databases(), clock=later)
    assert await storage.delivery_counts() == {"pending": 25, "claimed": 13, "sent": 12, "failed": 0}
    restarted = dispatcher(storage, "restarted-process")
    resumed = await restarted.run(TelegramSender(running_bot.bot))
    assert (resumed.queued, resumed.sent, resumed.retried, resumed.failed) == (0, 38, 0, 0)
    assert (await restarted.run(TelegramSender(running_bot.bot))).sent == 0
    assert await storage.delivery_counts() == {"pending": 0, "claimed": 0, "sent": 50, "failed": 0}

    received = announcements(fake_api, subscribers)
    assert set(received) == set(subscribers), "someone missed the announcement"
    twice = {chat_id for chat_id, count in received.items() if count > 1}
    assert twice == set(sender.unrecorded), "sent twice to others than those in flight at the crash"
    assert max(received.values()) == 2
    for call in fake_api.calls_to("sendMessage"):
        if call.ok and call.chat_id in languages:
            assert parse_html(call.params["text"])[0].startswith(headline(languages[call.chat_id]))


def broadcast_calls(api: FakeBotApi, subscribers: Iterable[int]) -> Callable[[Call], bool]:
    wanted = set(subscribers)
    return lambda call: call.chat_id in wanted and call.params["text"].startswith("📣")


async def broadcast_then_stop(
    api: FakeBotApi, engine: Engine, subscribers: list[int], *, sent_before_stop: int
) -> dict[str, int]:
    """Confirm an announcement to ``subscribers`` with Telegram answering slowly, and stop the bot as
    `serve` does on SIGTERM (updater, application.stop, post_shutdown) once ``sent_before_stop`` sends have
    reached Telegram; the delivery states after the stop."""
    async with bot(api, engine, admin_ids=frozenset({ADMIN})) as app:
        await add_subscribers(services_of(app).storage, subscribers)
        preview = await ask(api, "/broadcast mirai Interviews are on 12 May.", user=ADMIN)
        api.fail("sendMessage", delay=0.2, times=None)  # each message takes Telegram 0.2 s
        (((button,),),) = [preview.message["reply_markup"]["inline_keyboard"]]
        api.send_callback(button["callback_data"], preview.message, user_id=ADMIN)
        await api.wait_for_call("sendMessage", broadcast_calls(api, subscribers), count=sent_before_stop, timeout=10)
        assert len(announcements(api, subscribers)) < len(subscribers), "the broadcast was over before the stop"
    api.clear_faults()
    async with Database(None, data_dir=settings_for(api).data_dir) as database:
        return await Storage(database).delivery_counts()


async def restart_and_finish(api: FakeBotApi, engine: Engine) -> None:
    """A new Application on the same database sends what is left."""
    async with bot(api, engine, admin_ids=frozenset({ADMIN})) as app:
        await services_of(app).dispatcher.run(TelegramSender(app.bot))
        assert (await services_of(app).storage.delivery_counts())["sent"] == 50


async def test_stopping_the_bot_mid_broadcast_loses_no_message(fake_api: FakeBotApi, engine: Engine) -> None:
    """A SIGTERM-like stop while an announcement to 50 subscribers is going out, then a start on the same database,
    leaves every subscriber with exactly one message."""
    subscribers = list(range(9001, 9051))
    counts = await broadcast_then_stop(fake_api, engine, subscribers, sent_before_stop=10)
    assert counts["claimed"] == 0, "claims were not handed back at shutdown"
    assert counts["failed"] == 0
    await restart_and_finish(fake_api, engine)
    assert announcements(fake_api, subscribers) == Counter(subscribers)


async def test_claims_held_when_the_bot_stops_are_handed_back_to_the_next_start(
    fake_api: FakeBotApi, engine: Engine
) -> None:
    """A delivery run interrupted by the stop leaves claims that post_shutdown hands back, so the next start sends
    the rest at once (without waiting for the claims to go stale), and each subscriber gets exactly one message."""
    subscribers = list(range(9201, 9221))
    async with bot(fake_api, engine, alert_jobs=False, admin_ids=frozenset({ADMIN})) as app:
        services = services_of(app)
        await add_subscribers(services.storage, subscribers)
        draft = await services.storage.create_broadcast("mirai", "Interviews are on 12 May.", ADMIN)
        assert await services.storage.confirm_broadcast(draft.id) == 20
        services.dispatcher.concurrency = 5  # 5 sent; then 5 sends hang, the 10 other claims wait their turn
        sender = CrashingSender(TelegramSender(app.bot), healthy=5, in_flight=0, stall_at=5)
        run = asyncio.create_task(services.dispatcher.run(sender))
        await until(sender.stalled, "the run has sent 5 and holds 15 claims")
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run
        assert await services.storage.delivery_counts() == {"pending": 0, "claimed": 15, "sent": 5, "failed": 0}
    async with bot(fake_api, engine, alert_jobs=False) as app:
        storage = services_of(app).storage
        assert await storage.delivery_counts() == {"pending": 15, "claimed": 0, "sent": 5, "failed": 0}
        report = await services_of(app).dispatcher.run(TelegramSender(app.bot))
        assert report.sent == 15
    assert announcements(fake_api, subscribers) == Counter(subscribers)


async def test_stopping_mid_broadcast_hands_the_unsent_rest_to_the_next_start(
    fake_api: FakeBotApi, engine: Engine
) -> None:
    """A stop mid-broadcast finishes only the messages in flight and leaves the rest pending for the next start,
    so that a large broadcast cannot outlast the stop grace period (then SIGKILL, stale claims, repeats)."""
    subscribers = list(range(9101, 9151))
    counts = await broadcast_then_stop(fake_api, engine, subscribers, sent_before_stop=10)
    assert counts["pending"] > 0, f"the stop waited for the whole broadcast: {counts}"
    await restart_and_finish(fake_api, engine)
    assert announcements(fake_api, subscribers) == Counter(subscribers)
