"""Errors of the core, each with a message a staff member can act on.

BotError
├── KnowledgeError      the knowledge base cannot be loaded; holds every Problem found
├── ReloadTimeout       a reload did not finish within its time limit; the previous knowledge base is kept
├── ReloadInProgress    a reload asked for while the previous one is still loading
└── QuizError           a quiz cannot go on from the state it was given
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One thing wrong in the knowledge base, where it is, and what to do about it."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class BotError(Exception):
    """Base class of the errors this package raises on purpose."""


class KnowledgeError(BotError):
    """The knowledge base is invalid; ``problems`` lists every problem found, not only the first."""

    def __init__(self, directory: Path, problems: list[Problem]) -> None:
        self.directory = directory
        self.problems = sorted(problems)
        super().__init__(self.report())

    def report(self) -> str:
        count = len(self.problems)
        header = f"The knowledge base in {self.directory} has {count} problem{'s' if count != 1 else ''}:"
        return "\n".join([header, *(f"  {problem}" for problem in self.problems)])


class ReloadTimeout(BotError):
    """Loading the knowledge base again took longer than ``seconds``; nothing of it is served."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(f"the reload took longer than {seconds:g} s; still serving the previous knowledge base")


class ReloadInProgress(BotError):
    """A reload was asked for while the previous one is still loading (perhaps after its timeout: a thread
    cannot be stopped), so no second load is started beside it."""

    def __init__(self) -> None:
        super().__init__("the previous reload is still loading; still serving the previous knowledge base")


class QuizError(BotError):
    """A quiz state or answer does not fit the quiz (stale button, edited quiz, forged data)."""
