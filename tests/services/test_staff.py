"""The staff service and its views, without the bot: one reload and one unanswered report for every channel."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import build_application
from bot.cli import main
from bot.core import markup, staff_views
from bot.core.engine import Engine
from bot.core.errors import KnowledgeError
from bot.services.staff import StaffService
from bot.storage import Database, Storage
from tests.conftest import KNOWLEDGE_DIR, polling, settings_for
from tests.fake_bot_api import FakeBotApi


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, target)
    return target


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    async with Database(None, data_dir=tmp_path / "db") as database:
        await database.upgrade()
        yield Storage(database)


class Queue:
    """Stands in for the batched question writer: counts the flushes a report asks for."""

    def __init__(self) -> None:
        self.flushes = 0
        self.dropped = 0
        self.refused = 0
        self.waiting = 0

    async def flush(self) -> bool:
        self.flushes += 1
        return True


async def test_a_reload_serves_the_new_files_and_then_reschedules(knowledge: Path) -> None:
    """A valid change is served, and what follows a reload (rescheduling the alert jobs) runs once."""
    engine = Engine(knowledge)
    calls: list[str] = []
    staff = StaffService(engine, on_reload=lambda: calls.append("rescheduled"))
    before = engine.snapshot

    outcome = await staff.reload()

    assert outcome.ok
    assert engine.snapshot is not before
    assert outcome.knowledge is engine.snapshot.knowledge
    assert calls == ["rescheduled"]
    assert markup.to_plain(staff_views.reloaded(outcome.knowledge, "en").text).startswith("Reloaded: ")


async def test_a_broken_file_is_refused_and_the_previous_knowledge_stays(knowledge: Path) -> None:
    """A file that does not load: nothing is swapped or rescheduled; the report names the file and is shown as
    text, never as markup."""
    engine = Engine(knowledge)
    calls: list[str] = []
    staff = StaffService(engine, on_reload=lambda: calls.append("rescheduled"))
    before = engine.snapshot
    (knowledge / "broken.yaml").write_text("entries:\n  - id: x\n    title: [unclosed **bold**\n", encoding="utf-8")

    outcome = await staff.reload()

    assert isinstance(outcome.refused, KnowledgeError)
    assert engine.snapshot is before
    assert outcome.knowledge is before.knowledge
    assert calls == []
    shown = staff_views.reload_refused(outcome.refused, outcome.knowledge, "en")
    assert shown.text.startswith("Reload refused; still serving the previous knowledge base.\n")
    assert "broken.yaml" in markup.to_html(shown.text)
    assert "<b>" not in markup.to_html(shown.text)


@pytest.mark.parametrize("lang", ["fr", "nl"])
async def test_the_reload_report_is_in_the_staff_members_language(knowledge: Path, lang: str) -> None:
    """Staff who chose French or Dutch read the reload's outcome in it."""
    outcome = await StaffService(Engine(knowledge)).reload()
    english = staff_views.reloaded(outcome.knowledge, "en").text

    assert staff_views.reloaded(outcome.knowledge, lang).text != english  # type: ignore[arg-type]
    assert outcome.knowledge.version in staff_views.reloaded(outcome.knowledge, lang).text  # type: ignore[arg-type]


async def test_the_unanswered_report_groups_what_had_no_answer(engine: Engine, storage: Storage) -> None:
    """Fallbacks and suggestions are grouped, most asked first; answered questions are not in the report; the
    question log is flushed first so every question asked so far counts."""
    for text in ("where can I park my bike", "where can i park my bike?", "recipe for chocolate cake"):
        await storage.record_question(text, "en", "fallback")
    await storage.record_question("what is the minimum age for MIRAI", "en", "answered", "mirai.age")
    queue = Queue()
    staff = StaffService(engine, storage, questions=queue)

    groups = await staff.unanswered(30, limit=10)

    assert queue.flushes == 1
    assert [group.count for group in groups] == [2, 1]
    assert "bike" in groups[0].example
    shown = markup.to_plain(staff_views.unanswered(groups, 30, "en").text).splitlines()
    assert shown[0] == "Unanswered, last 30 days (most asked first)"
    assert shown[1].startswith("2× [en] ")
    assert shown[-1] == "The full list: python -m bot unanswered --csv"


async def test_no_unanswered_question_says_so(engine: Engine, storage: Storage) -> None:
    """An empty log: one line saying there is nothing, in the staff member's language."""
    groups = await StaffService(engine, storage).unanswered(30, limit=10)

    assert groups == []
    assert staff_views.unanswered(groups, 30, "en").text == "No unanswered questions in the last 30 days."
    assert staff_views.unanswered(groups, 30, "nl").text == "Geen onbeantwoorde vragen in de laatste 30 dagen."


async def test_sighup_reloads_through_the_same_service(
    fake_api: FakeBotApi, knowledge: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """SIGHUP (what `python -m bot reload` sends) makes the running bot serve the files again, as /reload does."""
    engine = Engine(knowledge)
    before = engine.snapshot
    caplog.set_level(logging.INFO, logger="bot.app")
    async with polling(build_application(settings_for(fake_api), engine)):
        os.kill(os.getpid(), signal.SIGHUP)
        for _ in range(200):
            if engine.snapshot is not before:
                break
            await asyncio.sleep(0.05)
    assert engine.snapshot is not before
    assert f"reloaded: knowledge version {engine.snapshot.knowledge.version}" in caplog.text


def test_the_cli_report_is_the_bots_report(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`python -m bot unanswered` lists the groups the staff service finds in the bot's database."""
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "bot-data"))

    async def record() -> None:
        async with Database(None, data_dir=tmp_path / "bot-data") as database:
            await database.upgrade()
            for text in ("where can I park my bike", "where can i park my bike?"):
                await Storage(database).record_question(text, "en", "suggested")

    asyncio.run(record())
    assert main(["unanswered", "--days", "7"]) == 0

    (line,) = capsys.readouterr().out.splitlines()
    assert line.split()[:2] == ["2", "[en]"]
    assert "bike" in line


async def test_stats_count_users_questions_and_what_the_log_lost(engine: Engine, storage: Storage) -> None:
    """/stats, built without the bot: users and reachable users, subscribers, questions by outcome, the question
    log's losses after flushing it, and the page watch before its first check; in Dutch for staff who chose it."""
    await storage.subscribe(1, "mirai", "en")
    await storage.subscribe(2, "mirai", "nl")
    await storage.deactivate(2)
    await storage.record_question("what is the minimum age for MIRAI", "en", "answered", "mirai.age")
    queue = Queue()
    staff = StaffService(engine, storage, questions=queue, watch_url="https://example.invalid/page")

    lines = markup.to_plain((await staff.stats("en", dropped_replies=3)).text).splitlines()

    assert queue.flushes == 1
    assert lines[:4] == [
        "Statistics",
        "Users: 2 (1 reachable)",
        "Subscribers, mirai: 1",
        "Questions, last 7 days: 1 (answered 100%, fallback 0%, redirect 0%, suggested 0%)",
    ]
    assert "Replies dropped since start (Telegram kept answering 429): 3" in lines
    assert (
        "Questions not logged since start: 0 (log queue full), 0 (refused by the database); waiting to be written: 0"
        in lines
    )
    assert lines[-1] == "Page watch: https://example.invalid/page, not checked yet"
    dutch = markup.to_plain((await staff.stats("nl")).text).splitlines()
    assert dutch[:2] == ["Statistieken", "Gebruikers: 2 (1 bereikbaar)"]


async def test_a_broadcast_is_drafted_previewed_and_queued_once(engine: Engine, storage: Storage) -> None:
    """A draft shows the text and its recipients; the first confirmation queues it and wakes the dispatcher,
    the second says it was already sent; a draft that does not exist says so."""
    await storage.subscribe(1, "mirai", "en")
    await storage.subscribe(2, "mirai", "fr")
    woken: list[str] = []
    staff = StaffService(engine, storage, wake_up=lambda: woken.append("woken"))

    preview = await staff.draft_broadcast("MIRAI Applications open **today**", admin_id=9, lang="en")

    assert preview.text == "Preview of the announcement to 2 subscribers of mirai:\n\nApplications open **today**"
    ((button,),) = preview.buttons
    assert button.label == "Send to 2 subscribers"
    draft_id = button.action.broadcast_id  # type: ignore[union-attr]
    assert (await staff.confirm_broadcast(draft_id, 9, "en")).text == (
        "Sending to 2 subscribers now, within Telegram's limits."
    )
    assert woken == ["woken"]
    assert (await staff.confirm_broadcast(draft_id, 9, "nl")).text == (
        "Deze aankondiging is al verstuurd (of heeft geen ontvangers)."
    )
    assert (await staff.confirm_broadcast(draft_id + 100, 9, "en")).text == "This announcement no longer exists."
    assert woken == ["woken"]


@pytest.mark.parametrize("args", ["", "mirai", "erasmus Hello", "   "])
async def test_a_broadcast_without_programme_or_text_explains_the_command(
    engine: Engine, storage: Storage, args: str
) -> None:
    """Nothing is drafted; the reply shows how to write it, '**bold**' as text, and the programmes."""
    reply = await StaffService(engine, storage).draft_broadcast(args, admin_id=9, lang="en")

    assert reply.text.startswith("Usage: /broadcast PROGRAMME")
    assert "**bold**" in markup.to_plain(reply.text)
    assert "jet, mirai" in reply.text or "mirai, jet" in reply.text
