"""Measure the matcher on a labelled question file (the format of ``shared/eval/dev-questions.yaml``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.core.errors import BotError
from bot.core.languages import Lang, is_lang
from bot.core.matching import Answer, Matcher, MatchResult, Suggestions, answer_language


@dataclass(frozen=True, slots=True)
class LabelledQuestion:
    question: str
    lang: Lang | None
    expect: str | None
    """The entry id that should answer, or None when the honest fallback is right."""


@dataclass(frozen=True, slots=True)
class Miss:
    item: LabelledQuestion
    got: str | None
    score: float
    suggestions: tuple[str, ...]


@dataclass(slots=True)
class Report:
    total: int = 0
    correct: int = 0
    by_lang: Counter[str] = field(default_factory=Counter)
    correct_by_lang: Counter[str] = field(default_factory=Counter)
    in_scope: int = 0
    in_scope_correct: int = 0
    out_of_scope: int = 0
    out_of_scope_rejected: int = 0
    confident_wrong: int = 0
    """In-scope or not, questions answered with an entry other than the expected one."""
    misses: list[Miss] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def lang_accuracy(self, lang: str) -> float:
        return self.correct_by_lang[lang] / self.by_lang[lang] if self.by_lang[lang] else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "correct": self.correct,
            "accuracy": round(self.accuracy, 4),
            "accuracy_by_lang": {lang: round(self.lang_accuracy(lang), 4) for lang in sorted(self.by_lang)},
            "in_scope": self.in_scope,
            "in_scope_accuracy": round(self.in_scope_correct / self.in_scope, 4) if self.in_scope else None,
            "out_of_scope": self.out_of_scope,
            "out_of_scope_rejection": round(self.out_of_scope_rejected / self.out_of_scope, 4)
            if self.out_of_scope
            else None,
            "confident_wrong": self.confident_wrong,
            "misses": [
                {
                    "q": miss.item.question,
                    "lang": miss.item.lang,
                    "expect": miss.item.expect,
                    "got": miss.got,
                    "score": miss.score,
                    "suggestions": list(miss.suggestions),
                }
                for miss in self.misses
            ],
        }


def answered_id(result: MatchResult) -> str | None:
    """The knowledge entry the bot answers with; None for fallback, suggestions, redirects and small talk."""
    if isinstance(result, Answer) and result.entry.is_answer:
        return result.entry.id
    return None


def describe(result: MatchResult) -> dict[str, Any]:
    """The public JSON shape of a match, as printed by ``python -m bot ask --json``."""
    suggestions: tuple[str, ...] = ()
    redirect: str | None = None
    kind = "fallback"
    if isinstance(result, Answer):
        kind = result.entry.kind
        if result.entry.kind == "redirect":
            redirect = result.entry.id
    elif isinstance(result, Suggestions):
        kind = "suggestions"
        suggestions = tuple(candidate.entry.id for candidate in result.candidates)
    described: dict[str, Any] = {
        "id": answered_id(result),
        "score": round(result.score, 1),
        "lang": answer_language(result),
        "suggestions": list(suggestions),
        "kind": kind,
    }
    if redirect is not None:
        described["redirect"] = redirect
    return described


def load_questions(path: Path) -> list[LabelledQuestion]:
    """Read a labelled question file; raise BotError naming the bad item."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise BotError(f"cannot read question file {path}: {exc}") from exc
    if not isinstance(raw, list):
        raise BotError(f"{path}: expected a list of {{q, lang, expect}} items")
    items: list[LabelledQuestion] = []
    for position, item in enumerate(raw, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("q"), str) or "expect" not in item:
            raise BotError(f"{path}: item {position} needs 'q' (text) and 'expect' (an entry id or none)")
        expect = item["expect"]
        lang = item.get("lang")
        items.append(
            LabelledQuestion(
                question=item["q"],
                lang=lang if is_lang(lang) else None,
                expect=None if expect in (None, "none") else str(expect),
            )
        )
    return items


def evaluate(matcher: Matcher, questions: list[LabelledQuestion]) -> Report:
    report = Report()
    for item in questions:
        result = matcher.match(item.question)
        got = answered_id(result)
        ok = got == item.expect
        lang = item.lang or "?"
        report.total += 1
        report.by_lang[lang] += 1
        if item.expect is None:
            report.out_of_scope += 1
            report.out_of_scope_rejected += ok
        else:
            report.in_scope += 1
            report.in_scope_correct += ok
        if ok:
            report.correct += 1
            report.correct_by_lang[lang] += 1
            continue
        if got is not None:
            report.confident_wrong += 1
        suggestions = tuple(c.entry.id for c in result.candidates) if isinstance(result, Suggestions) else ()
        if isinstance(result, Answer) and not result.entry.is_answer:
            suggestions = (f"({result.entry.kind}: {result.entry.id})",)
        report.misses.append(Miss(item=item, got=got, score=result.score, suggestions=suggestions))
    return report
