"""Eligibility quizzes: declared as data in a programme's knowledge file, run by a pure state machine.

Following GOV.UK Smart Answers, the state is just the answers given so far, replayed from the start on
every step: Back is "drop the last answer", Start again is "no answers", and a state can travel whole in
a button's callback data, so a quiz survives restarts and several bot processes. Each quiz has a
``version`` digest of its questions; a state from another version is refused, never reinterpreted.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated, Final, Literal

from pydantic import Field, StringConstraints

from bot.core.errors import QuizError
from bot.core.text import EntryId, FrozenModel, Text

QuizToken = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=32)]
END: Final = "end"
STANDARD_ANSWERS: Final = ("yes", "no", "unsure")
"""Answers with ready-made labels in every language (``bot.core.quiz_views``)."""
MAX_OPTIONS: Final = 9
MAX_DEPTH: Final = 24
"""The most questions on one path: each answer takes one character of Telegram's 64-byte callback data."""


class Option(FrozenModel):
    answer: QuizToken
    label: Text | None = None
    fails: Text | None = None
    """This answer does not meet the requirement; the reason, for the verdict."""
    check: Text | None = None
    """This answer ("not sure") leaves the requirement to check; what to check and where."""
    then: QuizToken | None = None
    """The next question's id, or ``end``; default: the next question in the list."""
    instead: QuizToken | None = None
    """Another option of the same question that the verdict offers to answer instead."""

    @property
    def outcome(self) -> Literal["pass", "fail", "check"]:
        if self.fails is not None:
            return "fail"
        return "check" if self.check is not None else "pass"


class Question(FrozenModel):
    id: QuizToken
    ask: Text
    about: EntryId | None = None
    options: tuple[Option, ...] = Field(min_length=2, max_length=MAX_OPTIONS)

    def option(self, answer: str) -> Option | None:
        return next((o for o in self.options if o.answer == answer), None)


class JointFailure(FrozenModel):
    """Answers that fail a requirement only when they are all given; each one alone is a point to check.

    For a requirement whose halves the source joins ambiguously (MIRAI 4: "... more than six months. Or had
    never been accepted ..."): missing one half leaves it to the embassy, missing both fails it on any reading.
    """

    answers: dict[QuizToken, QuizToken] = Field(min_length=2)
    """Question id: answer. The rule applies when the path gives every one of these answers."""
    fails: Text
    """The reason, for the verdict; it replaces the "to check" points of the answers it names."""


class Quiz(FrozenModel):
    """One programme's quiz. ``programme`` and ``version`` are set by the loader."""

    requirements: EntryId | None = None
    eligible: Text
    questions: tuple[Question, ...] = Field(min_length=1)
    fails_together: tuple[JointFailure, ...] = ()
    programme: str = ""
    version: str = ""

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def next_after(self, question: Question, option: Option) -> Question | None:
        """The question that follows this answer, or None when the quiz ends."""
        if option.then == END:
            return None
        if option.then is not None:
            return self.question(option.then)
        position = self.questions.index(question)
        return self.questions[position + 1] if position + 1 < len(self.questions) else None

    def with_version(self, programme: str) -> Quiz:
        """A digest of what decides paths and verdicts, so that any change makes old buttons stale."""
        digest = hashlib.sha256(
            json.dumps(self.model_dump(exclude={"programme", "version"}), sort_keys=True).encode()
        ).hexdigest()[:6]
        return self.model_copy(update={"programme": programme, "version": digest})


@dataclass(frozen=True, slots=True)
class Step:
    """One answered question on a path."""

    question: Question
    option: Option


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a state stands: the steps taken, and the current question (None when finished)."""

    quiz: Quiz
    steps: tuple[Step, ...]
    current: Question | None

    @property
    def finished(self) -> bool:
        return self.current is None

    @property
    def number(self) -> int:
        """The current question's number, from 1."""
        return len(self.steps) + 1

    @property
    def total(self) -> int:
        """Questions on this path if every further answer takes the usual way (the first option's)."""
        count, question = len(self.steps), self.current
        seen: set[str] = set()
        while question is not None and question.id not in seen:
            seen.add(question.id)
            count += 1
            question = self.quiz.next_after(question, question.options[0])
        return count

    @property
    def answers(self) -> tuple[int, ...]:
        return tuple(step.question.options.index(step.option) for step in self.steps)


@dataclass(frozen=True, slots=True)
class Finding:
    """A requirement not met ("fail") or left to check ("check"), with its reason."""

    question: Question
    option: Option
    kind: Literal["fail", "check"]
    reason: Text


@dataclass(frozen=True, slots=True)
class Verdict:
    status: Literal["eligible", "not_eligible", "to_check"]
    failures: tuple[Finding, ...]
    checks: tuple[Finding, ...]
    steps: tuple[Step, ...]
    alternatives: tuple[tuple[Step, Option], ...] = field(default=())
    """Answers the verdict offers to change (``instead``): the step, and the option to take instead."""


def replay(quiz: Quiz, answers: tuple[int, ...]) -> Progress:
    """Walk the quiz along ``answers`` (option positions); QuizError if they do not fit it."""
    steps: list[Step] = []
    current: Question | None = quiz.questions[0]
    for position in answers:
        if current is None:
            raise QuizError("more answers than the quiz has questions on this path")
        if not 0 <= position < len(current.options):
            raise QuizError(f"question {current.id!r} has no option {position}")
        option = current.options[position]
        steps.append(Step(current, option))
        current = quiz.next_after(current, option)
        if len(steps) > MAX_DEPTH:
            raise QuizError("path longer than a quiz may be")
    return Progress(quiz, tuple(steps), current)


def joint_failures(quiz: Quiz, steps: tuple[Step, ...]) -> tuple[tuple[JointFailure, tuple[int, ...]], ...]:
    """The ``fails_together`` rules whose answers this path gives, each with the positions of those steps."""
    given = {step.question.id: (position, step.option.answer) for position, step in enumerate(steps)}
    matched: list[tuple[JointFailure, tuple[int, ...]]] = []
    for rule in quiz.fails_together:
        positions = [
            hit[0]
            for question_id, answer in rule.answers.items()
            if (hit := given.get(question_id)) and hit[1] == answer
        ]
        if len(positions) == len(rule.answers):
            matched.append((rule, tuple(sorted(positions))))
    return tuple(matched)


def verdict(progress: Progress) -> Verdict:
    """The outcome of a finished path: every failure, every point to check, not only the first."""
    if not progress.finished:
        raise QuizError("the quiz is not finished")
    steps = progress.steps
    joint = joint_failures(progress.quiz, steps)
    # A joint failure is reported at the last of its steps, and replaces the checks of all its steps.
    covered = {position for _, positions in joint for position in positions}
    failures: list[Finding] = []
    for position, s in enumerate(steps):
        if s.option.fails is not None:
            failures.append(Finding(s.question, s.option, "fail", s.option.fails))
        failures.extend(
            Finding(s.question, s.option, "fail", rule.fails) for rule, positions in joint if positions[-1] == position
        )
    checks = tuple(
        Finding(s.question, s.option, "check", s.option.check)
        for position, s in enumerate(steps)
        if s.option.check is not None and position not in covered
    )
    alternatives = tuple(
        (step, alternative)
        for step in steps
        if step.option.instead is not None and (alternative := step.question.option(step.option.instead)) is not None
    )
    status: Literal["eligible", "not_eligible", "to_check"] = (
        "not_eligible" if failures else "to_check" if checks else "eligible"
    )
    return Verdict(status, tuple(failures), checks, steps, alternatives)


def paths(quiz: Quiz) -> Iterator[Progress]:
    """Every finished path through the quiz, depth first in option order."""

    def walk(answers: tuple[int, ...]) -> Iterator[Progress]:
        progress = replay(quiz, answers)
        if progress.current is None:
            yield progress
            return
        for position in range(len(progress.current.options)):
            yield from walk((*answers, position))

    yield from walk(())
