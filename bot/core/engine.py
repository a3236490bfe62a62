"""The knowledge base and its matcher as one snapshot that a reload swaps atomically.

A handler takes ``engine.snapshot`` once and uses it to the end, so an answer in flight during a reload
finishes on the knowledge base it started with.

A reload from the running bot (``/reload``, SIGHUP) goes through ``reload_within``: the files are read,
checked and indexed in a thread, so students are answered meanwhile, and the new snapshot is served only if
it is ready within the time limit. The loader's own limits (file size, nesting, nodes, aliases) bound the
work already; the time limit is the last guard, so that staff always get an answer.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from bot.core.errors import ReloadInProgress, ReloadTimeout
from bot.core.knowledge import KnowledgeBase
from bot.core.loading import load_knowledge
from bot.core.matching import Matcher, MatcherSettings


@dataclass(frozen=True, slots=True)
class Snapshot:
    knowledge: KnowledgeBase
    matcher: Matcher


class Engine:
    def __init__(self, directory: Path, settings: MatcherSettings | None = None) -> None:
        self.directory = directory
        self._settings = settings
        self._snapshot = self.build()
        self._loading: asyncio.Task[Snapshot] | None = None
        """The reload's load in its thread; kept after a timeout until the thread ends."""

    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    def reload(self) -> Snapshot:
        """Load, validate and index the knowledge base again; on KnowledgeError the old one stays."""
        self._snapshot = self.build()
        return self._snapshot

    async def reload_within(self, seconds: float) -> Snapshot:
        """``reload`` in a thread, served only if ready within ``seconds``.

        Raises KnowledgeError (the report), ReloadTimeout or ReloadInProgress; in each case the previous
        snapshot stays. A load that timed out goes on in its thread (a thread cannot be stopped) and its
        result is thrown away; until it ends, another reload is refused at once rather than started beside it."""
        if self._loading is not None and not self._loading.done():
            raise ReloadInProgress()
        self._loading = loading = asyncio.create_task(asyncio.to_thread(self.build), name="knowledge-reload")
        try:
            # shield: on timeout, wait_for must not cancel the task (which would hide when the thread ends).
            snapshot = await asyncio.wait_for(asyncio.shield(loading), seconds)
        except TimeoutError:
            loading.add_done_callback(_discard)
            raise ReloadTimeout(seconds) from None
        self._snapshot = snapshot
        return snapshot

    def build(self) -> Snapshot:
        """Load, validate and index the knowledge base, without serving it (KnowledgeError on problems)."""
        knowledge = load_knowledge(self.directory)
        return Snapshot(knowledge, Matcher(knowledge, self._settings))


def _discard(task: asyncio.Task[Snapshot]) -> None:
    """A timed-out load's outcome is not wanted; retrieving it keeps asyncio from logging it as lost."""
    if not task.cancelled():
        task.exception()
