"""Measure the matcher on a labelled question file (the format of ``shared/eval/dev-questions.yaml``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, get_args

import yaml

from bot.core.errors import BotError
from bot.core.languages import Lang, is_lang
from bot.core.matching import Answer, Matcher, MatchResult, Suggestions, answer_language
from bot.core.questions import match_question


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


Outcome = Literal[
    "answered_right", "suggested_right", "suggested_wrong", "fallback", "redirect", "smalltalk", "confident_wrong"
]
OUTCOMES: Final[tuple[Outcome, ...]] = get_args(Outcome)
OUTCOME_LABELS: Final[dict[Outcome, str]] = {
    "answered_right": "answered right",
    "suggested_right": "right entry among the buttons",
    "suggested_wrong": "buttons without the right entry",
    "fallback": "honest fallback",
    "redirect": "redirect",
    "smalltalk": "small talk",
    "confident_wrong": "confident wrong answer",
}


def outcome(result: MatchResult, expect: str | None) -> Outcome:
    """How a student fares: what the bot did with the question, judged against the right entry.

    ``confident_wrong`` is the harmful case: an answer from the knowledge that is not the right one
    (including any answer to a question the knowledge cannot answer)."""
    if isinstance(result, Answer):
        if result.entry.kind == "redirect":
            return "redirect"
        if result.entry.kind == "smalltalk":
            return "smalltalk"
        return "answered_right" if result.entry.id == expect else "confident_wrong"
    if isinstance(result, Suggestions):
        offered = {candidate.entry.id for candidate in result.candidates}
        return "suggested_right" if expect in offered else "suggested_wrong"
    return "fallback"


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
    misses: list[Miss] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    outcomes_by_lang: dict[str, Counter[str]] = field(default_factory=dict)

    @property
    def confident_wrong(self) -> int:
        """In-scope or not, questions answered with an entry other than the expected one."""
        return self.outcomes["confident_wrong"]

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
            "outcomes": {name: self.outcomes[name] for name in OUTCOMES},
            "outcomes_by_lang": {
                lang: {name: counts[name] for name in OUTCOMES}
                for lang, counts in sorted(self.outcomes_by_lang.items())
            },
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


def outcome_table(report: Report) -> str:
    """How students fared, overall and per language: counts and shares, the harmful case last."""
    langs = sorted(report.outcomes_by_lang)
    columns = [("all", report.outcomes, report.total)] + [
        (lang, report.outcomes_by_lang[lang], report.by_lang[lang]) for lang in langs
    ]
    width = max(len(label) for label in OUTCOME_LABELS.values())
    lines = [f"{'outcome':<{width}}" + "".join(f"{name:>14}" for name, _, _ in columns)]
    for name in OUTCOMES:
        cells = "".join(
            f"{counts[name]:>6} ({counts[name] / total if total else 0:.3f})" for _, counts, total in columns
        )
        lines.append(f"{OUTCOME_LABELS[name]:<{width}}{cells}")
    return "\n".join(lines)


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
        kind = "choose_programme" if result.theme is not None else "suggestions"
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


def evaluate(
    matcher: Matcher, questions: list[LabelledQuestion], *, match: Callable[[str], MatchResult] | None = None
) -> Report:
    """Score every question. ``match``: how the bot matches a question (``python -m bot eval`` passes the
    question service's, so the figures are the bot's own); by default ``match_question`` on ``matcher``."""
    report = Report()
    for item in questions:
        result = match(item.question) if match is not None else match_question(matcher, item.question)
        got = answered_id(result)
        ok = got == item.expect
        lang = item.lang or "?"
        report.total += 1
        report.by_lang[lang] += 1
        fared = outcome(result, item.expect)
        report.outcomes[fared] += 1
        report.outcomes_by_lang.setdefault(lang, Counter())[fared] += 1
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
        suggestions = tuple(c.entry.id for c in result.candidates) if isinstance(result, Suggestions) else ()
        if isinstance(result, Answer) and not result.entry.is_answer:
            suggestions = (f"({result.entry.kind}: {result.entry.id})",)
        report.misses.append(Miss(item=item, got=got, score=result.score, suggestions=suggestions))
    return report
