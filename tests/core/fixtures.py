"""Knowledge files written for a test, and the loader's problems read back: shared by the core suites."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core.errors import KnowledgeError, Problem
from bot.core.knowledge import KnowledgeBase
from bot.core.languages import LANGUAGES
from bot.core.loading import load_knowledge

SHIPPED_KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"


def texts(prefix: str, **changes: Any) -> dict[str, Any]:
    """One text per language, with ``changes`` replacing (or, with REMOVE, dropping) some languages."""
    return _apply({lang: f"{prefix} ({lang})" for lang in LANGUAGES}, changes)


def entry(entry_id: str = "general.contact", **changes: Any) -> dict[str, Any]:
    """A valid minimal entry as plain data; ``changes`` replace keys (REMOVE drops one)."""
    data = {
        "id": entry_id,
        "title": texts(f"Title of {entry_id}"),
        "answer": texts(f"Answer about {entry_id}"),
        "questions": {lang: [f"question {lang} about {entry_id}"] for lang in LANGUAGES},
    }
    return _apply(data, changes)


def programme(programme_id: str = "mirai") -> dict[str, Any]:
    """A valid ``programme:`` block."""
    return {"id": programme_id, "name": texts(programme_id.upper()), "summary": texts(f"About {programme_id}")}


def render(*entries: dict[str, Any], programme: dict[str, Any] | None = None) -> str:
    """A knowledge file's YAML text, laid out the same way every time (one key per line)."""
    document: dict[str, Any] = {"programme": programme} if programme else {}
    document["entries"] = list(entries)
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100_000)


def write(directory: Path, files: dict[str, str]) -> Path:
    """Write ``{file name: text}`` into ``directory`` and return it."""
    directory.mkdir(exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def line_of(text: str, needle: str, after: str | None = None) -> int:
    """The 1-based number of the first line holding ``needle`` (after the first line holding ``after``)."""
    lines = text.splitlines()
    start = 0 if after is None else next(i for i, line in enumerate(lines) if after in line) + 1
    return next(i + 1 for i, line in enumerate(lines[start:], start) if needle in line)


def problems_of(directory: Path) -> list[Problem]:
    """The problems ``load_knowledge`` reports for ``directory`` (the load must fail)."""
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(directory)
    return caught.value.problems


def only_problem(directory: Path) -> Problem:
    """The one problem reported for ``directory``."""
    problems = problems_of(directory)
    assert len(problems) == 1, problems
    return problems[0]


def _apply(data: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    for key, value in changes.items():
        if value is REMOVE:
            data.pop(key, None)
        else:
            data[key] = value
    return data


REMOVE = object()
"""Marks a key to leave out of an entry built by ``entry()``."""
MIRAI_ENTRIES = ("mirai.requirements", "mirai.nationality", "mirai.enrolment", "mirai.age")


YES, NO, UNSURE = 0, 1, 2


CIR, ALT, SEA = 0, 1, 2


def yes_no_unsure(question_id: str) -> list[dict[str, Any]]:
    """Options of a standard question: yes passes, no fails, unsure is to check."""
    return [
        {"answer": "yes"},
        {"answer": "no", "fails": texts(f"Not {question_id}")},
        {"answer": "unsure", "check": texts(f"Check {question_id}")},
    ]


def question(question_id: str, options: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"id": question_id, "ask": texts(f"Ask {question_id}?"), **extra, "options": options}


def linear_quiz() -> dict[str, Any]:
    """Three yes/no/unsure questions, one after the other: 27 paths."""
    return {
        "requirements": "mirai.requirements",
        "eligible": texts("Prepare your application"),
        "questions": [question(q, yes_no_unsure(q), about=f"mirai.{q}") for q in LINEAR_QUESTIONS],
    }


def programme_file(programme_id: str, entry_ids: tuple[str, ...], quiz: dict[str, Any] | None) -> str:
    """A programme's knowledge file: its programme block, its entries, then its quiz (if any)."""
    document: dict[str, Any] = {"programme": programme(programme_id), "entries": [entry(i) for i in entry_ids]}
    if quiz is not None:
        document["quiz"] = quiz
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100_000)


def knowledge_files(
    mirai: dict[str, Any] | None = None, jet: dict[str, Any] | None = None, *, default: bool = True
) -> dict[str, str]:
    """A knowledge folder: MIRAI with the linear quiz, JET with the branching one, and a programme without
    a quiz. ``default=False`` leaves out the quizzes not given."""
    if default:
        mirai = linear_quiz() if mirai is None else mirai
        jet = branching_quiz() if jet is None else jet
    return {
        "general.yaml": yaml.safe_dump(
            {"entries": [entry("programs.timing"), entry("general.contact")]}, sort_keys=False, width=100_000
        ),
        "jet.yaml": programme_file("jet", JET_ENTRIES, jet),
        "mirai.yaml": programme_file("mirai", MIRAI_ENTRIES, mirai),
        "other.yaml": programme_file("other", ("other.about",), None),
    }


def load(directory: Path, files: dict[str, str] | None = None) -> KnowledgeBase:
    return load_knowledge(write(directory, knowledge_files() if files is None else files))


LINEAR_QUESTIONS = ("nationality", "enrolment", "age")
JET_ENTRIES = ("jet.requirements", "jet.positions", "jet.nationality", "jet.degree")


def branching_quiz() -> dict[str, Any]:
    """A position first: CIR goes on to nationality and degree; ALT and SEA fail, end at once, offer CIR."""

    def position(answer: str, **extra: Any) -> dict[str, Any]:
        return {"answer": answer, "label": texts(answer.upper()), **extra}

    closed = {"then": "end", "instead": "cir"}
    return {
        "requirements": "jet.requirements",
        "eligible": texts("Apply for JET"),
        "questions": [
            question(
                "position",
                [
                    position("cir"),
                    position("alt", fails=texts("Not ALT"), **closed),
                    position("sea", fails=texts("Not SEA"), **closed),
                ],
                about="jet.positions",
            ),
            question("nationality", yes_no_unsure("nationality"), about="jet.nationality"),
            question("degree", yes_no_unsure("degree")[:2], about="jet.degree"),
        ],
    }
