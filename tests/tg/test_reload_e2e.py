"""/reload end to end: a hostile knowledge file is refused with its one-line problem and the admin always gets an
answer; the checks run off the event loop, so students are answered while a reload is in progress."""

from __future__ import annotations

import asyncio
import shutil
import threading
from pathlib import Path

import pytest

from bot.core.engine import Engine
from tests.conftest import KNOWLEDGE_DIR
from tests.fake_bot_api import FakeBotApi
from tests.tg.test_conversation_e2e import ask, next_seen
from tests.tg.test_staff_e2e import ADMIN, MATCHED, bot

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
    reload = engine.reload

    def slow_reload() -> object:
        started.set()
        assert release.wait(timeout=10), "the test did not release the reload"
        return reload()

    monkeypatch.setattr(engine, "reload", slow_reload)
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
