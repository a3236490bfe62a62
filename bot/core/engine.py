"""The knowledge base and its matcher as one snapshot that a reload swaps atomically.

A handler takes ``engine.snapshot`` once and uses it to the end, so an answer in flight during a reload
finishes on the knowledge base it started with.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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
        self._snapshot = self._build()

    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    def reload(self) -> Snapshot:
        """Load, validate and index the knowledge base again; on KnowledgeError the old one stays."""
        self._snapshot = self._build()
        return self._snapshot

    def _build(self) -> Snapshot:
        knowledge = load_knowledge(self.directory)
        return Snapshot(knowledge, Matcher(knowledge, self._settings))
