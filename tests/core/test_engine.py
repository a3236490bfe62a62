"""The engine's reload with a time limit: the new knowledge is served only when it is ready in time, and a reload
that timed out is never served late nor doubled by another."""

from __future__ import annotations

import asyncio
import shutil
import threading
from pathlib import Path

import pytest

from bot.core.engine import Engine, Snapshot
from bot.core.errors import KnowledgeError, ReloadInProgress, ReloadTimeout
from tests.conftest import KNOWLEDGE_DIR


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    directory = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, directory)
    return Engine(directory)


async def test_a_reload_in_time_is_served(engine: Engine) -> None:
    """Within the limit, the new snapshot replaces the old one."""
    before = engine.snapshot
    snapshot = await engine.reload_within(30)
    assert engine.snapshot is snapshot is not before


async def test_a_broken_file_keeps_the_old_snapshot(engine: Engine) -> None:
    """A knowledge error comes back whole, and the snapshot served stays."""
    before = engine.snapshot
    (engine.directory / "broken.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(KnowledgeError):
        await engine.reload_within(30)
    assert engine.snapshot is before


async def test_a_slow_load_times_out_is_never_served_and_blocks_a_second_one(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the limit: ReloadTimeout; while the thread still runs, another reload is refused at once; when it
    ends, its snapshot is thrown away and a reload works again."""
    before = engine.snapshot
    release, finished = threading.Event(), threading.Event()
    build = engine.build
    late: list[Snapshot] = []

    def slow_build() -> Snapshot:
        assert release.wait(timeout=10)
        late.append(build())
        finished.set()
        return late[-1]

    monkeypatch.setattr(engine, "build", slow_build)
    with pytest.raises(ReloadTimeout) as timeout:
        await engine.reload_within(0.05)
    assert timeout.value.seconds == 0.05
    with pytest.raises(ReloadInProgress):
        await engine.reload_within(30)
    release.set()
    assert await asyncio.to_thread(finished.wait, 10)
    assert engine.snapshot is before  # the late result is not served
    for _ in range(100):  # the thread has returned; its task ends at a later turn of the event loop
        try:
            snapshot = await engine.reload_within(30)
            break
        except ReloadInProgress:
            await asyncio.sleep(0.01)
    assert engine.snapshot is snapshot is not before
    assert snapshot is not late[0]
