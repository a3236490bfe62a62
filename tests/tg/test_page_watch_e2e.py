"""End to end: the embassy's page watched, through the fake Bot API and a local web site on 127.0.0.1.

The bot's named job fetches the page; a change reaches staff (ADMIN_IDS) with the diff and "Tell subscribers";
once pressed, the subscribers of the programmes the change names get a notice in their language, once each,
through the outbox (also across a crash mid-way); errors never reach anyone but the log, /stats and /healthz.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.app import Services, build_application
from bot.core.alert_views import page_watch_promise
from bot.core.engine import Engine
from bot.core.i18n import t
from bot.core.languages import Lang
from bot.core.page_watch import Changed, judge, page_text
from bot.core.page_watch_views import programme_names
from bot.core.views import ConfirmPageChange
from bot.services.delivery import AlertDispatcher
from bot.storage import Database, Storage
from bot.tg.callback_data import pack, unpack
from bot.tg.page_watch import STAFF, WATCH, StaffNotifier, _tell_staff
from bot.tg.sender import TelegramSender
from bot.watcher import PageWatcher
from tests.clock import FakeClock
from tests.conftest import polling, settings_for
from tests.fake_bot_api import FakeBotApi, parse_html
from tests.page_server import PageServer, exchange_page
from tests.tg.alerts import CrashingSender, until
from tests.tg.chat import UNKNOWN_COMMAND, USER, App, ask, next_seen, tap
from tests.tg.conftest import services_of
from tests.tg.webhooks import refusing_port, webhook_bot

pytestmark = pytest.mark.usefixtures("bot_logs")

ADMIN = 4242
NEWS = "MIRAI 2027: applications are accepted from 1 March to 31 March."
HEADLINE = "🔎 **The embassy's Exchange Programs page has changed**"
LANGS: dict[int, Lang] = {2001: "fr", 2002: "en", 2003: "nl", 2004: "en"}
PAGE = "http://127.0.0.1:1/page"  # never fetched: the change is recorded directly


@pytest.fixture
async def site() -> AsyncIterator[PageServer]:
    async with PageServer() as server:
        yield server


@asynccontextmanager
async def watching(api: FakeBotApi, engine: Engine, site: PageServer, **overrides: Any) -> AsyncIterator[App]:
    """The real Application polling the fake server, watching the local site's page, with one admin."""
    settings = settings_for(api, watch_url=site.url(), admin_ids=frozenset({ADMIN}), **overrides)
    async with polling(build_application(settings, engine)) as application:
        yield application


async def run_job(app: App, name: str = WATCH) -> None:
    """Run the named job now, as its schedule would."""
    assert app.job_queue is not None
    (job,) = app.job_queue.get_jobs_by_name(name)
    await job.run(app)


async def subscribe_students(storage: Storage) -> None:
    """2001 (fr) follows MIRAI, 2002 (en) JET, 2003 (nl) both, 2004 nothing."""
    for chat_id, programmes in ((2001, ["mirai"]), (2002, ["jet"]), (2003, ["mirai", "jet"]), (2004, [])):
        await storage.set_language(chat_id, LANGS[chat_id])
        for programme in programmes:
            await storage.subscribe(chat_id, programme)


def headline(lang: Lang) -> str:
    return t(lang, HEADLINE).replace("**", "")


def notices(api: FakeBotApi, chat_ids: Iterable[int] | None = None) -> Counter[int | str | None]:
    """How many page-change notices each chat received (accepted by Telegram)."""
    wanted = set(chat_ids) if chat_ids is not None else None
    return Counter(
        call.chat_id
        for call in api.calls_to("sendMessage")
        if call.ok and call.params["text"].startswith("🔎") and (wanted is None or call.chat_id in wanted)
        and call.chat_id != ADMIN
    )  # fmt: skip


def staff_messages(api: FakeBotApi) -> list[str]:
    return [parse_html(m["text"])[0] for m in api.sent_messages(ADMIN) if m["text"].startswith("🔎")]


def test_the_confirm_button_packs_and_unpacks() -> None:
    assert pack(ConfirmPageChange(7)) == "w|7"
    assert unpack("w|7") == ConfirmPageChange(7)
    assert unpack("w|7|en") == ConfirmPageChange(7)
    for forged in ("w|0", "w|-1", "w|x", "w|", "w|1|2"):
        assert unpack(forged) is None, forged


async def test_a_change_reaches_staff_and_once_confirmed_each_subscriber_once_in_their_language(
    fake_api: FakeBotApi, engine: Engine, site: PageServer
) -> None:
    """First fetch: the baseline, nobody told. The page gains a MIRAI paragraph: staff get the diff and "Tell
    subscribers"; a non-admin's forged tap does nothing; the admin's tap sends the notice to MIRAI's
    subscribers (2001 in French, 2003 in Dutch), once each, with Unsubscribe; JET's only subscriber and a
    non-subscriber get nothing; a second tap, another run of the outbox and further checks send nothing more."""
    async with watching(fake_api, engine, site) as app:
        storage = services_of(app).storage
        await subscribe_students(storage)
        await run_job(app)
        assert await storage.watched_page(site.url()) is not None
        assert staff_messages(fake_api) == []

        site.page = exchange_page(extra=NEWS)
        await run_job(app)
        staff = await next_seen(fake_api, ADMIN)
        assert staff.text.splitlines()[:6] == [
            "🔎 The embassy's page has changed",
            site.url(),
            "",
            "Added:",
            f"“{NEWS}”",
            "",
        ]
        assert staff.text.splitlines()[-1] == (
            "Concerns: mirai (2 subscribers now). Nobody is told until you press “Tell subscribers”."
        )
        assert staff.labels == ["Tell subscribers"]
        await run_job(app)  # unchanged since: no second message to staff
        assert len(staff_messages(fake_api)) == 1
        stats = await ask(fake_api, "/stats", user=ADMIN)
        assert stats.text.splitlines()[-1] == "Page changes not passed on to subscribers: 1"

        data = staff.data("Tell subscribers")
        message = {"message_id": 999, "chat": {"id": USER, "type": "private", "first_name": "Eve"}, "text": "…"}
        fake_api.send_callback(data, message, user_id=USER)
        assert (await ask(fake_api, "/stats", user=USER)).text.startswith(UNKNOWN_COMMAND)
        assert notices(fake_api) == Counter()

        confirmed = await tap(fake_api, staff, "Tell subscribers", user=ADMIN)
        assert confirmed.text == "Telling 2 subscribers now, within Telegram's limits."
        for chat_id in (2001, 2003):
            notice = await next_seen(fake_api, chat_id)
            lang = LANGS[chat_id]
            assert notice.text.startswith(headline(lang) + "\n")
            assert site.url() in notice.text
            assert f"“{NEWS}”" in notice.text.splitlines()
            assert t(lang, "What changed, quoted from the page:") in notice.text
            assert notice.labels[-1] == t(lang, "◀ Main menu")
        (first,) = [call for call in fake_api.calls_to("sendMessage") if call.chat_id == 2001]
        assert first.params["text"].startswith("🔎 <b>La page « Exchange Programs » de l'ambassade a changé</b>")

        again = await tap(fake_api, staff, "Tell subscribers", user=ADMIN)
        assert again.text == "Subscribers were already told about this change (or there are none)."
        stats = await ask(fake_api, "/stats", user=ADMIN)
        assert stats.text.splitlines()[-1].startswith("Page watch: last success 20")
        assert (await services_of(app).dispatcher.run(TelegramSender(app.bot))).sent == 0
        await run_job(app)
    assert notices(fake_api) == Counter({2001: 1, 2003: 1})
    assert len(staff_messages(fake_api)) == 1


async def test_the_unsubscribe_button_of_a_notice_works(fake_api: FakeBotApi, engine: Engine, site: PageServer) -> None:
    """A notice about both programmes offers to unsubscribe from each; a tap ends that subscription only."""
    async with watching(fake_api, engine, site) as app:
        storage = services_of(app).storage
        await subscribe_students(storage)
        await run_job(app)
        site.page = exchange_page(extra="Applications are accepted from 1 March.")  # names no programme: both
        await run_job(app)
        staff = await next_seen(fake_api, ADMIN)
        assert "Concerns: jet, mirai (3 subscribers now)." in staff.text
        await tap(fake_api, staff, "Tell subscribers", user=ADMIN)
        notice = await next_seen(fake_api, 2003)
        assert notice.labels == ["🔕 Uitschrijven: JET-programma", "🔕 Uitschrijven: MIRAI", "◀ Hoofdmenu"]
        await tap(fake_api, notice, "🔕 Uitschrijven: JET-programma", user=2003, lang="nl")
        assert await storage.subscriptions(2003) == ["mirai"]
    assert notices(fake_api) == Counter({2001: 1, 2002: 1, 2003: 1})


ERRORS = [
    pytest.param({"status": 404}, "HTTP 404 Not Found", id="404"),
    pytest.param({"status": 502}, "HTTP 502 Bad Gateway", id="502"),
    pytest.param({"page": "<html><body><p>Maintenance</p></body></html>"}, "empty or nearly", id="empty"),
    pytest.param({"page": exchange_page(title="Error 500")}, "looks like an error page", id="error-page"),
]


@pytest.mark.parametrize(("fault", "reason"), ERRORS)
async def test_an_error_page_tells_nobody_and_shows_in_stats(
    fake_api: FakeBotApi,
    engine: Engine,
    site: PageServer,
    bot_logs: list[str],
    fault: dict[str, object],
    reason: str,
) -> None:
    """A 404, a 5xx, an empty page or an error page after the baseline: no message to staff or students; /stats
    shows the last success and the error; the page back as before is no change either."""
    bot_logs.append(reason)
    async with watching(fake_api, engine, site) as app:
        await subscribe_students(services_of(app).storage)
        await run_job(app)
        good = site.page
        for name, value in fault.items():
            setattr(site, name, value)
        await run_job(app)
        stats = await ask(fake_api, "/stats", user=ADMIN)
        (line,) = [line for line in stats.text.splitlines() if line.startswith("Page watch:")]
        assert line.startswith("Page watch: last success 20")
        assert "; last error 20" in line
        assert reason in line
        site.page, site.status = good, 200
        await run_job(app)
    assert staff_messages(fake_api) == []
    assert notices(fake_api) == Counter()


async def test_students_are_promised_the_page_watch_only_when_it_runs(
    fake_api: FakeBotApi, engine: Engine, site: PageServer
) -> None:
    """With WATCH_URL set, /deadlines (no dates) and the /subscribe menu say that staff-confirmed changes of the
    embassy's page reach subscribers; with it empty, the same replies promise nothing of the kind."""
    promise = page_watch_promise("en")
    async with watching(fake_api, engine, site) as app:
        assert app.job_queue is not None
        assert app.job_queue.get_jobs_by_name(WATCH) != ()
        assert promise in (await ask(fake_api, "/deadlines", user=USER)).text
        assert promise in (await ask(fake_api, "/subscribe", user=USER)).text
    settings = settings_for(fake_api, admin_ids=frozenset({ADMIN}))
    async with polling(build_application(settings, engine)):
        assert promise not in (await ask(fake_api, "/deadlines", user=USER + 1)).text
        assert promise not in (await ask(fake_api, "/subscribe", user=USER + 1)).text


async def test_stats_says_when_the_watch_is_off(fake_api: FakeBotApi, engine: Engine) -> None:
    settings = settings_for(fake_api, admin_ids=frozenset({ADMIN}))
    assert settings.watch_url is None
    async with polling(build_application(settings, engine)) as app:
        assert app.job_queue is not None
        assert app.job_queue.get_jobs_by_name(WATCH) == ()
        stats = await ask(fake_api, "/stats", user=ADMIN)
    assert stats.text.splitlines()[-1] == "Page watch: off (WATCH_URL is empty)"


async def test_healthz_shows_the_watchers_last_success_and_error(
    fake_api: FakeBotApi, engine: Engine, site: PageServer, bot_logs: list[str]
) -> None:
    """/healthz has the watcher's last check, success and error; a failing watcher leaves the bot healthy."""
    bot_logs.append("HTTP 503")
    async with webhook_bot(fake_api, engine, watch_url=site.url()) as bot:
        _, before = await bot.health()
        assert before["watcher"] == {"url": site.url(), "last_check": None, "last_success": None, "last_error": None}
        await run_job(bot.application)
        site.status = 503
        await run_job(bot.application)
        status, report = await bot.health()
    assert status == 200
    assert report["status"] == "ok"
    watcher = report["watcher"]
    assert watcher["url"] == site.url()
    assert datetime.fromisoformat(watcher["last_success"]) < datetime.fromisoformat(watcher["last_check"])
    assert watcher["last_error"]["reason"] == "HTTP 503 Service Unavailable"
    assert watcher["last_error"]["at"] == watcher["last_check"]


async def test_a_restart_does_not_fetch_before_the_interval_and_still_tells_staff(
    fake_api: FakeBotApi, engine: Engine, site: PageServer
) -> None:
    """A change found just before a stop, not yet shown to staff, is shown after the restart (the start-up job),
    and the restart does not fetch the page again before its interval is up."""
    async with watching(fake_api, engine, site) as app:
        watcher = services_of(app).watcher
        assert watcher is not None
        await watcher.check()
        site.page = exchange_page(extra=NEWS)
        assert (await watcher.check()).outcome == "changed"  # the process stops before telling staff
    requests = site.requests
    async with watching(fake_api, engine, site) as app:
        assert app.job_queue is not None
        (job,) = app.job_queue.get_jobs_by_name(WATCH)
        assert job.next_t is not None
        assert job.next_t - datetime.now(UTC) > timedelta(hours=23)
        await run_job(app, STAFF)
        staff = await next_seen(fake_api, ADMIN)
        assert staff.labels == ["Tell subscribers"]
        assert f"“{NEWS}”" in staff.text
        assert await services_of(app).storage.page_changes_to_notify() == []
    assert site.requests == requests


async def test_staff_are_told_again_after_a_failed_send(
    fake_api: FakeBotApi, engine: Engine, site: PageServer, bot_logs: list[str]
) -> None:
    """When Telegram cannot take the staff message (a network error), the change is offered again at the next
    run rather than lost."""
    bot_logs.append("could not reach every admin")
    async with watching(fake_api, engine, site) as app:
        await run_job(app)
        site.page = exchange_page(extra=NEWS)
        fake_api.fail("sendMessage", status=500, chat_id=ADMIN, times=4)
        await run_job(app)
        assert len(await services_of(app).storage.page_changes_to_notify()) == 1
        fake_api.clear_faults()
        await run_job(app)
        staff = await next_seen(fake_api, ADMIN)
        assert staff.labels == ["Tell subscribers"]
        assert await services_of(app).storage.page_changes_to_notify() == []


async def test_two_bot_processes_tell_staff_once(fake_api: FakeBotApi, engine: Engine, site: PageServer) -> None:
    """Two processes sharing the database (webhook replicas) both look for changes to tell staff: each change is
    shown to staff once."""
    async with watching(fake_api, engine, site) as app:
        services = services_of(app)
        assert services.watcher is not None
        await services.watcher.check()
        site.page = exchange_page(extra=NEWS)
        await services.watcher.check()
        one, two = (StaffNotifier(Storage(services.database), frozenset({ADMIN})) for _ in range(2))
        told = await asyncio.gather(one.notify(app.bot), two.notify(app.bot))
        assert sorted(told) == [0, 1]
        await next_seen(fake_api, ADMIN)
    assert len(staff_messages(fake_api)) == 1


async def test_a_notice_crashed_mid_way_resumes_on_restart_sending_to_everyone_once(
    fake_api: FakeBotApi, running_bot: App, engine: Engine, databases: Callable[[], Database]
) -> None:
    """A process that dies after a dozen notices of a confirmed change to 40 subscribers leaves the rest to a
    restarted one: everyone gets it, in their language, and only the messages in flight at the crash twice."""
    subscribers = list(range(7001, 7041))
    crashed_db = databases()
    storage = Storage(crashed_db)
    languages: dict[int, Lang] = {}
    for index, chat_id in enumerate(subscribers):
        languages[chat_id] = ("en", "fr", "nl")[index % 3]
        await storage.set_language(chat_id, languages[chat_id])
        await storage.subscribe(chat_id, "mirai")
    old, new = page_text(exchange_page()), page_text(exchange_page(extra=NEWS))
    await storage.save_page(PAGE, old.text, old.digest, previous_hash=None)
    verdict = judge(new, old.text, programme_names(engine.snapshot.knowledge))
    assert isinstance(verdict, Changed)
    change = await storage.save_page(
        PAGE, new.text, new.digest, previous_hash=old.digest, diff=verdict.diff, programmes=verdict.programmes
    )
    assert change is not None
    assert await storage.confirm_page_change(change.id, ADMIN) == 40
    zone = ZoneInfo("Europe/Brussels")

    def dispatcher(storage: Storage, worker: str, **options: Any) -> AlertDispatcher:
        return AlertDispatcher(engine, storage, zone=zone, reminder_days=(7, 1), worker_id=worker, **options)

    crashed = dispatcher(storage, "crashed-process", batch_size=20, concurrency=10)
    sender = CrashingSender(TelegramSender(running_bot.bot), healthy=12, in_flight=3, stall_at=8)
    run = asyncio.create_task(crashed.run(sender))
    await until(sender.stalled, "the first dispatcher stalls")
    run.cancel()  # the process dies: no shutdown, its claims stay in the database
    with pytest.raises(asyncio.CancelledError):
        await run
    await crashed_db.close()

    later = FakeClock(datetime.now(UTC) + timedelta(minutes=6))  # the dead process's claims are stale
    restarted_storage = Storage(databases(), clock=later)
    restarted = dispatcher(restarted_storage, f"restarted-{uuid.uuid4().hex[:6]}")
    resumed = await restarted.run(TelegramSender(running_bot.bot))
    assert (resumed.sent, resumed.failed) == (28, 0)
    assert (await restarted.run(TelegramSender(running_bot.bot))).sent == 0
    counts = await restarted_storage.delivery_counts(change.alert_key)
    assert counts == {"pending": 0, "claimed": 0, "sent": 40, "failed": 0}

    received = notices(fake_api, subscribers)
    assert set(received) == set(subscribers), "someone missed the notice"
    assert {chat_id for chat_id, n in received.items() if n > 1} == set(sender.unrecorded)
    for call in fake_api.calls_to("sendMessage"):
        if call.ok and call.chat_id in languages:
            assert parse_html(call.params["text"])[0].startswith(headline(languages[call.chat_id]))


async def test_services_built_by_hand_can_watch_too(fake_api: FakeBotApi, engine: Engine, site: PageServer) -> None:
    """A Services built at another composition root (tests, several processes) passes its own watcher."""
    settings = settings_for(fake_api, admin_ids=frozenset({ADMIN}))
    async with Database(None, data_dir=settings.data_dir) as database:
        storage = Storage(database)
        dispatcher = AlertDispatcher(
            engine, storage, zone=ZoneInfo(settings.timezone), reminder_days=(7, 1), worker_id="by-hand"
        )
        watcher = PageWatcher(storage, engine, site.url())
        services = Services(settings, engine, database, storage, dispatcher, watcher)
        async with polling(build_application(settings, engine, services)) as app:
            await run_job(app)
            assert (await storage.watched_page(site.url())) is not None


async def test_a_database_away_is_logged_on_one_line_and_tells_nobody(
    fake_api: FakeBotApi, running_bot: App, engine: Engine, site: PageServer, bot_logs: list[str]
) -> None:
    """With the database unreachable, a check and the telling of staff each log one line and raise nothing;
    nothing is sent."""
    bot_logs.extend(["could not record the check", "could not tell staff of page changes"])
    with refusing_port() as port:
        away = Database(f"postgresql+asyncpg://bot@127.0.0.1:{port}/bot")
        try:
            storage = Storage(away)
            report = await PageWatcher(storage, engine, site.url()).check()
            await _tell_staff(StaffNotifier(storage, frozenset({ADMIN})), running_bot.bot)
        finally:
            await away.close()
    assert report.outcome == "failed"
    assert report.detail.startswith("cannot read the watched page")
    assert staff_messages(fake_api) == []
