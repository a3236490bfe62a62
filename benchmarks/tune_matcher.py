"""Sweep the matcher's settings over labelled question files and print the best combinations.

    python benchmarks/tune_matcher.py FILE [FILE ...]

Scores each combination by its mean accuracy over the files, so that a setting must hold on every set
(the development set and the team's independent hold-out set) rather than fit one. Use it to recalibrate
after large knowledge edits; then copy the chosen values into ``MatcherSettings``.
"""

from __future__ import annotations

import itertools
import sys
from dataclasses import replace
from pathlib import Path

from bot.core.evaluation import evaluate, load_questions
from bot.core.loading import load_knowledge
from bot.core.matching import Matcher, MatcherSettings

ROOT = Path(__file__).resolve().parent.parent

GRID = {
    "example_weight": (0.4, 0.5, 0.6),
    "recall_weight": (0.3, 0.5, 0.7),
    "unknown_weight": (0.3, 0.6, 0.9),
    "keyword_boost": (0.0, 0.06, 0.12),
}
DECISION = {
    "answer_threshold": (0.35, 0.40, 0.45, 0.50, 0.55),
    "margin": (0.0, 0.02, 0.04, 0.06),
    "suggest_threshold": (0.25, 0.30),
}


def main() -> None:
    files = [Path(arg) for arg in sys.argv[1:]]
    question_sets = [load_questions(path) for path in files]
    knowledge = load_knowledge(ROOT / "knowledge")
    results = []
    for values in itertools.product(*GRID.values()):
        scoring = replace(MatcherSettings(), **dict(zip(GRID, values, strict=True)))
        matcher = Matcher(knowledge, scoring)
        for decision in itertools.product(*DECISION.values()):
            settings = replace(scoring, **dict(zip(DECISION, decision, strict=True)))
            matcher.settings = settings
            accuracies = [evaluate(matcher, questions).accuracy for questions in question_sets]
            results.append((sum(accuracies) / len(accuracies), accuracies, settings))
    results.sort(key=lambda item: item[0], reverse=True)
    for mean, accuracies, settings in results[:15]:
        shown = {key: getattr(settings, key) for key in (*GRID, *DECISION)}
        print(f"{mean:.3f} {[round(a, 3) for a in accuracies]} {shown}")


if __name__ == "__main__":
    main()
