"""Sweep the matcher's settings over labelled question files and print the best combinations.

    python benchmarks/tune_matcher.py FILE [FILE ...] [--max-wrong 0.02]

A setting must hold on every set (the development set, the team's hold-out set, the corpus of real
applicants' questions), not fit one. Combinations are ranked as the bot's promise orders them: first no
confident wrong answer (the share on the worst set, which must stay under ``--max-wrong``), then the mean
exact accuracy over the sets. Use it to recalibrate after large knowledge edits; then copy the chosen values
into ``MatcherSettings``.
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import replace
from pathlib import Path

from bot.core.evaluation import evaluate, load_questions
from bot.core.loading import load_knowledge
from bot.core.matching import Matcher, MatcherSettings

ROOT = Path(__file__).resolve().parent.parent

SCORING = {
    "unknown_weight": (0.6, 0.9),
    "keyword_boost": (0.06, 0.12),
}
"""Settings that change the index's scores: a new Matcher per combination."""
DECISION = {
    "answer_threshold": (0.40, 0.45, 0.50),
    "margin": (0.02, 0.03),
    "min_coverage": (0.0, 0.3, 0.35, 0.4),
    "min_example": (0.0, 0.37, 0.4, 0.45),
}
"""Settings that only change the decision: swapped on the same Matcher."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", type=Path, nargs="+")
    parser.add_argument("--max-wrong", type=float, default=0.02, help="share of confident wrong answers allowed")
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    question_sets = [load_questions(path) for path in args.files]
    knowledge = load_knowledge(ROOT / "knowledge")
    results = []
    for values in itertools.product(*SCORING.values()):
        scoring = replace(MatcherSettings(), **dict(zip(SCORING, values, strict=True)))
        matcher = Matcher(knowledge, scoring)
        for decision in itertools.product(*DECISION.values()):
            matcher.settings = replace(scoring, **dict(zip(DECISION, decision, strict=True)))
            reports = [evaluate(matcher, questions) for questions in question_sets]
            accuracies = [report.accuracy for report in reports]
            wrong = [report.confident_wrong / report.total for report in reports]
            results.append(
                (max(wrong) > args.max_wrong, -sum(accuracies) / len(accuracies), accuracies, wrong, matcher.settings)
            )
    results.sort(key=lambda item: (item[0], item[1]))
    print(f"sets: {', '.join(path.name for path in args.files)}")
    for over, mean, accuracies, wrong, settings in results[: args.top]:
        shown = {key: getattr(settings, key) for key in (*SCORING, *DECISION)}
        flag = "OVER" if over else "ok  "
        print(
            f"{flag} mean {-mean:.3f} accuracy {[round(a, 3) for a in accuracies]} "
            f"wrong {[round(w, 3) for w in wrong]} {shown}"
        )


if __name__ == "__main__":
    main()
