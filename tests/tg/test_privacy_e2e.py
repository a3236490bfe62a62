"""End to end: a student's language choice, what the bot keeps about them, and erasing it; the anonymous question log.

/language keeps an explicit choice (or "follow my messages") across restarts; /privacy says what is kept and for
how long; /forget erases every row linked to the student, checked with SQL on every table of SQLite and PostgreSQL.
Questions are logged for staff with their outcome, anonymised, with nothing that leads back to who asked, and are
forgotten after the retention period.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Integer, String, func, inspect, or_, select

from bot.core import account_views
from bot.core.engine import Engine
from bot.core.i18n import t
from bot.core.languages import LANGUAGE_NAMES, Lang
from bot.core.markup import to_html
from bot.storage import Database, Storage
from bot.storage.models import Base
from bot.tg.jobs import PURGE
from bot.tg.sender import TelegramSender
from tests.clock import FakeClock
from tests.fake_bot_api import FakeBotApi, parse_html
from tests.tg.bots import bot
from tests.tg.chat import GROUP, USER, Seen, ask, next_seen, tap
from tests.tg.conftest import services_of
from tests.tg.staff import ADMIN, announcements, questions_logged

pytestmark = pytest.mark.usefixtures("bot_logs")

MATCHED = "what is the minimum age for MIRAI"
MATCHED_FR = "quel est l'âge minimum pour MIRAI ?"
STUDENT = 918_273_645  # a chat id that cannot be mistaken for a row id or a count


async def rows_linked_to(database: Database, chat_id: int) -> dict[str, int]:
    """For every table of the database: how many rows hold ``chat_id`` in any column (a number equal to it, or a
    text containing it). Fails if the database has a table this check does not know."""
    counts: dict[str, int] = {}
    async with database.engine.connect() as connection:
        tables = set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
        assert tables - {"alembic_version"} == set(Base.metadata.tables), "a table this check does not know"
        for table in Base.metadata.sorted_tables:
            conditions = []
            for column in table.columns:
                if isinstance(column.type, Integer):  # BigInteger too
                    conditions.append(column == chat_id)
                elif isinstance(column.type, String):  # Text too
                    conditions.append(column.contains(str(chat_id)))
            statement = select(func.count()).select_from(table).where(or_(*conditions))
            counts[table.name] = (await connection.execute(statement)).scalar_one()
    return counts


def entry_title(engine: Engine, entry_id: str, lang: Lang) -> str:
    return engine.snapshot.knowledge.entry(entry_id).title[lang]


def answered_in(seen: Seen, engine: Engine, lang: Lang) -> bool:
    """The reply is the MIRAI age entry, titled in ``lang``."""
    return seen.bold[:1] == [entry_title(engine, "mirai.age", lang)]


# --------------------------------------------------------------------------------------------------- language


async def test_language_offers_the_three_languages_and_following_my_messages(
    fake_api: FakeBotApi, engine: Engine
) -> None:
    """/language shows English, Français, Nederlands and "Follow my messages", the current choice ticked."""
    async with bot(fake_api, engine, alert_jobs=False):
        menu = await ask(fake_api, "/language")
        assert menu.text.startswith("Language\nChoose the language I answer in.")
        assert menu.labels == ["English", "Français", "Nederlands", "✅ Follow my messages"]
        assert [data for row in menu.buttons for _, data in row] == ["l|en", "l|fr", "l|nl", "l|auto"]


async def test_choosing_french_answers_in_french_until_following_my_messages_again(
    fake_api: FakeBotApi, engine: Engine
) -> None:
    """After choosing Français, an English question from an English Telegram app is answered in French; "Follow my
    messages" goes back to answering each question in its own language."""
    async with bot(fake_api, engine, alert_jobs=False) as app:
        storage = services_of(app).storage
        assert answered_in(await ask(fake_api, MATCHED), engine, "en")

        menu = await ask(fake_api, "/language")
        chosen = await tap(fake_api, menu, "Français")
        assert chosen.method == "editMessageText"  # the menu turns into the confirmation
        assert chosen.text == t("fr", "I will answer in {language}.", language=LANGUAGE_NAMES["fr"])
        assert chosen.labels == [t("fr", "◀ Main menu")]
        user = await storage.get_user(USER)
        assert user is not None
        assert user.language == "fr"

        assert answered_in(await ask(fake_api, MATCHED, lang="en"), engine, "fr")
        menu = await ask(fake_api, "/language", lang="en")
        assert menu.text == parse_html(to_html(account_views.language_menu("fr", "fr").text))[0]  # in French
        assert menu.labels == ["English", "✅ Français", "Nederlands", t("fr", "Follow my messages")]

        following = await tap(fake_api, menu, t("fr", "Follow my messages"))
        assert following.text == t("fr", "I will answer in the language of each of your messages.")
        user = await storage.get_user(USER)
        assert user is not None
        assert user.language is None
        assert answered_in(await ask(fake_api, MATCHED, lang="fr"), engine, "en")  # the question's language
        assert answered_in(await ask(fake_api, MATCHED_FR, lang="en"), engine, "fr")
        assert (await ask(fake_api, "/language")).labels[-1] == "✅ Follow my messages"


async def test_the_language_choice_survives_a_restart(fake_api: FakeBotApi, engine: Engine) -> None:
    """A student who chose Nederlands is answered in Dutch by a new Application on the same database."""
    async with bot(fake_api, engine, alert_jobs=False):
        menu = await ask(fake_api, "/language")
        await tap(fake_api, menu, "Nederlands")
    async with bot(fake_api, engine, alert_jobs=False):
        assert answered_in(await ask(fake_api, MATCHED, lang="en"), engine, "nl")
        assert (await ask(fake_api, "/language")).labels[2] == "✅ Nederlands"


async def test_following_my_messages_without_a_choice_stores_nothing(fake_api: FakeBotApi, engine: Engine) -> None:
    """Tapping "Follow my messages" when nothing was chosen keeps no row about the student."""
    async with bot(fake_api, engine, alert_jobs=False) as app:
        menu = await ask(fake_api, "/language")
        reply = await tap(fake_api, menu, "✅ Follow my messages")
        assert reply.text == "I will answer in the language of each of your messages."
        assert await services_of(app).storage.get_user(USER) is None


# ------------------------------------------------------------------------------------------ privacy, forget


@pytest.mark.parametrize("lang", ["en", "fr"])
async def test_privacy_says_what_is_kept_and_for_how_many_days(
    fake_api: FakeBotApi, engine: Engine, lang: Lang
) -> None:
    """/privacy says what is kept, by whom, and that questions are kept QUESTION_RETENTION_DAYS days; its button
    asks to confirm the erasure."""
    async with bot(fake_api, engine, alert_jobs=False, question_retention_days=45):
        seen = await ask(fake_api, "/privacy", lang=lang)
        reply = account_views.privacy(45, lang)
        assert seen.text == parse_html(to_html(reply.text))[0]
        assert "45" in seen.text
        assert "90" not in seen.text
        if lang == "en":
            for kept in ("chat id", "subscriptions", "45 days", "Embassy of Japan in Belgium", "/forget"):
                assert kept in seen.text, kept
        assert seen.labels == [t(lang, "🗑 Erase my data")]
        confirm = await tap(fake_api, seen, t(lang, "🗑 Erase my data"), lang=lang)
        assert confirm.labels == [t(lang, "Yes, erase everything"), t(lang, "Cancel")]


async def test_forget_asks_to_confirm_first(fake_api: FakeBotApi, engine: Engine) -> None:
    """/forget erases nothing until the student confirms; Cancel leaves everything as it was."""
    async with bot(fake_api, engine, alert_jobs=False) as app:
        await ask(fake_api, "/subscribe mirai")
        confirm = await ask(fake_api, "/forget")
        assert confirm.text.startswith("Erase your data?\n")
        assert confirm.labels == ["Yes, erase everything", "Cancel"]
        await tap(fake_api, confirm, "Cancel")
        assert await services_of(app).storage.subscriptions(USER) == ["mirai"]


async def test_forget_erases_every_row_linked_to_the_student_and_stops_their_alerts(
    fake_api: FakeBotApi, engine: Engine, databases: Callable[[], Database]
) -> None:
    """A student (here also staff) with a language choice, two subscriptions, a delivered and a pending announcement
    and a draft of their own confirms /forget: no row of any table holds their id any more, another student's rows
    stay, the pending announcement never reaches them and later ones are not sent to them."""
    other = 2001
    database = databases()
    async with bot(fake_api, engine, database, alert_jobs=False, admin_ids=frozenset({ADMIN, STUDENT})) as app:
        services = services_of(app)
        storage = services.storage
        await ask(fake_api, "/subscribe mirai", lang="fr", user=STUDENT)
        await ask(fake_api, "/subscribe jet", lang="fr", user=STUDENT)
        await ask(fake_api, "/subscribe mirai", user=other)
        await tap(fake_api, await ask(fake_api, "/language", user=STUDENT), "Nederlands", user=STUDENT)
        await ask(fake_api, "/broadcast jet A draft never sent", user=STUDENT)
        first = await ask(fake_api, "/broadcast mirai First announcement", user=ADMIN)
        await tap(fake_api, first, "Send to 2 subscribers", user=ADMIN)
        assert (await next_seen(fake_api, STUDENT)).text.startswith("📣")
        await next_seen(fake_api, other)
        # The run the confirmation woke is still looking for more to claim after its two sends; a delivery
        # queued now could be sent by it before /forget. Runs never overlap, so this one waits for it to end.
        assert (await services.dispatcher.run(TelegramSender(app.bot))).sent == 0
        pending = await storage.create_broadcast("mirai", "Second announcement", ADMIN)
        assert await storage.confirm_broadcast(pending.id) == 2  # queued, not sent yet
        await ask(fake_api, MATCHED, user=STUDENT)
        await questions_logged(storage, 1)

        before = await rows_linked_to(database, STUDENT)
        assert {table: before[table] for table in ("users", "subscriptions", "deliveries", "broadcasts")} == {
            "users": 1,
            "subscriptions": 2,
            "deliveries": 2,  # one sent, one pending
            "broadcasts": 1,  # the draft they signed as staff
        }
        others_before = await rows_linked_to(database, other)

        confirm = await ask(fake_api, "/forget", user=STUDENT)
        assert confirm.text == parse_html(to_html(account_views.forget_confirm("nl").text))[0]  # their language
        done = await tap(fake_api, confirm, t("nl", "Yes, erase everything"), user=STUDENT)
        assert done.text == t("nl", "Done: the bot no longer holds anything linked to you.")
        assert await rows_linked_to(database, STUDENT) == dict.fromkeys(before, 0)
        assert await rows_linked_to(database, other) == others_before

        report = await services.dispatcher.run(TelegramSender(app.bot))
        assert (report.sent, report.failed) == (1, 0)  # the pending announcement, to the other student only
        assert "Second announcement" in (await next_seen(fake_api, other)).text
        third = await ask(fake_api, "/broadcast mirai Third announcement", user=ADMIN)
        assert third.labels == ["Send to 1 subscriber"]
        await tap(fake_api, third, "Send to 1 subscriber", user=ADMIN)
        assert "Third announcement" in (await next_seen(fake_api, other)).text
        assert (await services.dispatcher.run(TelegramSender(app.bot))).sent == 0
        assert (await ask(fake_api, "/subscribe", lang="en", user=STUDENT)).labels[:2] == ["☐ JET Programme", "☐ MIRAI"]
        assert await rows_linked_to(database, STUDENT) == dict.fromkeys(before, 0)  # writing again stores nothing
    assert announcements(fake_api, [STUDENT, other]) == {STUDENT: 1, other: 3}


async def test_forgetting_a_student_the_bot_knows_nothing_about_says_so(fake_api: FakeBotApi, engine: Engine) -> None:
    """/forget from a student with nothing stored says the bot held nothing, and stores nothing either."""
    async with bot(fake_api, engine, alert_jobs=False) as app:
        confirm = await ask(fake_api, "/forget", user=STUDENT)
        done = await tap(fake_api, confirm, "Yes, erase everything", user=STUDENT)
        assert done.text == "The bot held nothing linked to you."
        assert await rows_linked_to(services_of(app).database, STUDENT) == dict.fromkeys(Base.metadata.tables, 0)


def in_group(api: FakeBotApi, text: str, *, user: int = USER) -> None:
    """A message addressed to the bot in a supergroup."""
    api.send_text(text, user_id=user, chat_id=GROUP, chat_type="supergroup")


async def test_forget_in_a_group_does_not_claim_to_erase_what_it_keeps(fake_api: FakeBotApi, engine: Engine) -> None:
    """A subscribed student who confirms /forget in a group is either erased for real or not told they were."""
    async with bot(fake_api, engine, alert_jobs=False) as app:
        storage = services_of(app).storage
        await ask(fake_api, "/subscribe mirai")
        in_group(fake_api, "/forget@EmbassyTestBot")
        seen = await next_seen(fake_api, GROUP)
        if "Yes, erase everything" in seen.labels:  # else refused in groups: fine too
            done = await tap(fake_api, seen, "Yes, erase everything")
            claims = {account_views.forgotten(erased, "en").text for erased in (True, False)}
            still_kept = await storage.get_user(USER) is not None or await storage.subscriptions(USER) != []
            assert not (still_kept and done.text in claims), f"said {done.text!r} while keeping the student's data"


async def test_a_language_chosen_in_a_group_is_honoured_or_not_offered(fake_api: FakeBotApi, engine: Engine) -> None:
    """When the bot confirms a language chosen in a group, its next answer in that group is in that language."""
    async with bot(fake_api, engine, alert_jobs=False):
        in_group(fake_api, "/language@EmbassyTestBot")
        menu = await next_seen(fake_api, GROUP)
        if "Français" in menu.labels:  # else refused in groups: fine too
            chosen = await tap(fake_api, menu, "Français")
            if chosen.text == t("fr", "I will answer in {language}.", language="Français"):
                in_group(fake_api, f"@EmbassyTestBot {MATCHED}")
                assert answered_in(await next_seen(fake_api, GROUP), engine, "fr")


# ------------------------------------------------------------------------------------------- question log

LOGGED = [
    (
        "what is the minimum age for MIRAI? call me on +32 470 12 34 56",
        ("what is the minimum age for MIRAI? call me on <number>", "en", "answered", "mirai.age"),
    ),
    (MATCHED_FR, (MATCHED_FR, "fr", "answered", "mirai.age")),
    (
        "Recipe for chocolate cake please, text me on 0470 12 34 56 or ana.peeters@gmail.com",
        ("Recipe for chocolate cake please, text me on <number> or <email>", "en", "fallback", None),
    ),
    (
        "minimum age for MIRAI? I am @ana_peeters",
        ("minimum age for MIRAI? I am <handle>", "en", "answered", "mirai.age"),
    ),
    (
        "where can I park my bicycle near the embassy",
        ("where can I park my bicycle near the embassy", "en", "suggested", None),
    ),
    ("can I bring my cat to Japan", ("can I bring my cat to Japan", "en", "redirect", "redirect.travel")),
]


async def test_questions_are_logged_anonymised_with_their_outcome_and_no_link_to_who_asked(
    fake_api: FakeBotApi, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """A matched question is logged as answered with its entry id, a fallback as fallback, a suggestion as
    suggested; small talk is not logged; e-mail addresses, phone numbers and handles are removed; no column or
    value leads back to the chat, no user row is created, and the bot's INFO log does not hold the question."""
    async with bot(fake_api, engine, alert_jobs=False) as app:
        services = services_of(app)
        for question, _ in LOGGED:
            await ask(fake_api, question, user=STUDENT)
        for small_talk in ("hello", "thanks"):
            await ask(fake_api, small_talk, user=STUDENT)
        await questions_logged(services.storage, len(LOGGED))
        logged = await services.storage.recent_questions(1)
        assert sorted((q.text, q.lang, q.outcome, q.entry_id) for q in logged) == sorted(
            expected for _, expected in LOGGED
        ), "small talk logged, or a question logged wrongly"

        columns = {column.name for column in Base.metadata.tables["question_log"].columns}
        assert columns == {"id", "asked_at", "text", "lang", "outcome", "entry_id"}
        assert await rows_linked_to(services.database, STUDENT) == dict.fromkeys(Base.metadata.tables, 0)
    for record in caplog.records:
        if record.name.startswith("bot") and record.levelno >= logging.INFO:
            for secret in ("chocolate", "ana.peeters", "ana_peeters", "470 12 34 56", "bicycle"):
                assert secret not in record.getMessage(), record.getMessage()


async def test_purge_removes_questions_older_than_the_retention(databases: Callable[[], Database]) -> None:
    """purge_questions_older_than(90) forgets what was asked more than 90 days ago and keeps the rest."""
    start = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    clock = FakeClock(start)
    storage = Storage(databases(), clock=clock)
    await storage.record_question("old one", "en", "fallback")
    await storage.record_question("old two", "fr", "answered", "mirai.age")
    clock.now = start + timedelta(days=60)
    await storage.record_question("recent", "nl", "suggested")
    clock.now = start + timedelta(days=90) - timedelta(seconds=1)
    assert await storage.purge_questions_older_than(90) == 0  # not quite 90 days yet
    clock.now = start + timedelta(days=91)
    assert await storage.purge_questions_older_than(90) == 2
    assert [q.text for q in await storage.recent_questions(365)] == ["recent"]
    assert await storage.purge_questions_older_than(90) == 0


async def test_the_daily_housekeeping_job_applies_the_retention_setting(
    fake_api: FakeBotApi, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """The bot's daily purge job forgets questions older than QUESTION_RETENTION_DAYS (here 30)."""
    async with bot(fake_api, engine, alert_jobs=False, question_retention_days=30) as app:
        services = services_of(app)
        now = datetime.now(UTC)
        for days, question in ((31, "asked 31 days ago"), (29, "asked 29 days ago")):
            await Storage(services.database, clock=lambda d=days: now - timedelta(days=d)).record_question(
                question, "en", "fallback"
            )
        assert app.job_queue is not None
        (job,) = app.job_queue.get_jobs_by_name(PURGE)
        await job.run(app)
        assert [q.text for q in await services.storage.recent_questions(365)] == ["asked 29 days ago"]
    assert "question log: forgot 1 questions older than 30 days" in [r.getMessage() for r in caplog.records]
