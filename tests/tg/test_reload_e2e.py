"""/reload end to end: a hostile knowledge file is refused with its one-line problem and the admin always gets an
answer, also when the reload takes longer than its time limit; the checks run off the event loop, so students are
answered while a reload is in progress."""

from __future__ import annotations

import asyncio
import gc
import shutil
import threading
from pathlib import Path

import pytest

from bot.core.engine import Engine
from tests.conftest import KNOWLEDGE_DIR
from tests.fake_bot_api import FakeBotApi
from tests.tg.bots import bot
from tests.tg.chat import ask, next_seen
from tests.tg.staff import ADMIN, MATCHED

pytestmark = pytest.mark.usefixtures("bot_logs")

STUDENT = 3003
BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(9)
)


def knowledge_copy(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, target)
    return target


async def test_reload_of_an_alias_bomb_is_refused_with_its_line(
    fake_api: FakeBotApi, tmp_path: Path, bot_logs: list[str]
) -> None:
    bot_logs.append("reload refused")
    directory = knowledge_copy(tmp_path)
    engine = Engine(directory)
    before = engine.snapshot
    async with bot(fake_api, engine, alert_jobs=False, admin_ids=frozenset({ADMIN})):
        (directory / "bomb.yaml").write_text(BOMB, encoding="utf-8")
        seen = await ask(fake_api, "/reload", user=ADMIN)
        assert seen.text.startswith("Reload refused; still serving the previous knowledge base.")
        assert "bomb.yaml:2: alias '*a': anchors and aliases are not allowed" in seen.text
        assert engine.snapshot is before


async def test_students_are_answered_while_a_reload_runs(
    fake_api: FakeBotApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = knowledge_copy(tmp_path)
    engine = Engine(directory)
    release, started = threading.Event(), threading.Event()
    build = engine.build

    def slow_build() -> object:
        started.set()
        assert release.wait(timeout=10), "the test did not release the reload"
        return build()

    monkeypatch.setattr(engine, "build", slow_build)
    async with bot(fake_api, engine, alert_jobs=False, admin_ids=frozenset({ADMIN})):
        fake_api.send_text("/reload", user_id=ADMIN)
        for _ in range(200):
            if started.is_set():
                break
            await asyncio.sleep(0.05)
        assert started.is_set()
        answer = await ask(fake_api, MATCHED, user=STUDENT)  # the event loop is free during the reload
        assert "MIRAI" in answer.text
        release.set()
        done = await next_seen(fake_api, ADMIN, timeout=10)
        assert done.text.startswith("Reloaded:")


async def test_a_reload_past_its_time_limit_keeps_the_old_knowledge_and_says_so(
    fake_api: FakeBotApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bot_logs: list[str]
) -> None:
    """A reload still reading the files after RELOAD_TIMEOUT_SECONDS is answered with what happened and the version
    still served; another /reload meanwhile is refused at once; the late result is never served, and once the slow
    load has ended a reload works again."""
    bot_logs.append("reload refused")
    directory = knowledge_copy(tmp_path)
    engine = Engine(directory)
    before = engine.snapshot
    release, finished = threading.Event(), threading.Event()
    build = engine.build

    def stuck_build() -> object:
        try:
            assert release.wait(timeout=10), "the test did not release the reload"
            return build()
        finally:
            finished.set()

    monkeypatch.setattr(engine, "build", stuck_build)
    async with bot(fake_api, engine, alert_jobs=False, admin_ids=frozenset({ADMIN}), reload_timeout_seconds=0.5):
        stopped = await ask(fake_api, "/reload", user=ADMIN)
        assert stopped.text == (
            "Reload stopped: reading the knowledge base took longer than 0.5 s (RELOAD_TIMEOUT_SECONDS). Check the"
            f" files with python -m bot check-knowledge. Still serving the previous knowledge base (version"
            f" {before.knowledge.version})."
        )
        busy = await ask(fake_api, "/reload", user=ADMIN)
        assert busy.text.startswith("Reload refused: the previous reload is still reading the knowledge base.")
        assert "MIRAI" in (await ask(fake_api, MATCHED, user=STUDENT)).text
        release.set()
        assert await asyncio.to_thread(finished.wait, 10)
        for _ in range(50):  # the thread has returned; its task ends at the event loop's next turn
            reply = await ask(fake_api, "/reload", user=ADMIN)
            if not reply.text.startswith("Reload refused: the previous reload"):
                break
        assert reply.text.startswith("Reloaded:")
        assert engine.snapshot is not before


def tracked(thing: object) -> bool:
    """Whether the garbage collector's passes walk ``thing`` (a frozen object is in none of its generations)."""
    return any(candidate is thing for candidate in gc.get_objects())


async def test_the_served_knowledge_base_is_left_out_of_garbage_collection(
    fake_api: FakeBotApi, tmp_path: Path
) -> None:
    """From start-up the knowledge base and its index are not walked by each collection, and after a reload
    neither is the new one; once the bot has stopped, everything it held can be collected again."""
    engine = Engine(knowledge_copy(tmp_path))
    first = engine.snapshot
    assert tracked(first.matcher)
    async with bot(fake_api, engine, alert_jobs=False, admin_ids=frozenset({ADMIN})):
        assert not tracked(first.matcher)
        assert not tracked(first.knowledge)
        assert (await ask(fake_api, "/reload", user=ADMIN)).text.startswith("Reloaded:")
        assert engine.snapshot is not first
        assert not tracked(engine.snapshot.matcher)
    assert tracked(engine.snapshot.matcher)
