"""Matching latency and start-up time, on the shipped knowledge base and on one grown to N entries.

    python benchmarks/bench_matching.py [--entries 10000] [--questions FILE] [--rounds 5]

Prints start-up time (load + validate + index), and p50/p99/max latency of ``Matcher.match`` over the
questions of FILE (default: benchmarks/data/holdout-questions.yaml), repeated ROUNDS times. The grown
knowledge base keeps the shipped entries and adds synthetic ones made from them: each copy keeps the
sentence shapes but swaps about half of the content words for words from a large synthetic vocabulary, so
the index has the size and the long tail of a real large knowledge base rather than 400 exact copies.
"""

from __future__ import annotations

import argparse
import random
import statistics
import string
import time
from pathlib import Path

import yaml

from bot.core.knowledge import Entry, KnowledgeBase
from bot.core.loading import load_knowledge
from bot.core.matching import Matcher
from bot.core.normalize import ALL_STOP_WORDS

ROOT = Path(__file__).resolve().parent.parent

LATENCY = "  {label}: p50 {p50_ms:.3f} ms, p99 {p99_ms:.3f} ms, max {max_ms:.3f} ms over {n} questions"


def grow(knowledge: KnowledgeBase, target: int, seed: int = 7) -> KnowledgeBase:
    rng = random.Random(seed)
    vocabulary = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(4, 11))) for _ in range(60_000)]
    base = [entry for entry in knowledge.entries if entry.is_answer]
    entries: list[Entry] = list(knowledge.entries)
    counter = 0
    while len(entries) < target:
        source = base[counter % len(base)]
        counter += 1

        def mutate(question: str) -> str:
            return " ".join(
                word if word.lower() in ALL_STOP_WORDS or rng.random() < 0.5 else rng.choice(vocabulary)
                for word in question.split()
            )

        questions = {lang: [mutate(q) for q in source.questions[lang]][:8] for lang in ("en", "fr", "nl")}
        entries.append(
            source.model_copy(
                update={
                    "id": f"synthetic.e{counter}",
                    "questions": source.questions.model_validate(questions),
                    "keywords": tuple(rng.choice(vocabulary) for _ in range(3)),
                    "related": (),
                }
            )
        )
    return KnowledgeBase(entries=tuple(entries), programmes=knowledge.programmes, version="grown")


def measure(matcher: Matcher, questions: list[str], rounds: int) -> dict[str, float]:
    for question in questions:  # warm caches as a running bot would be
        matcher.match(question)
    timings: list[float] = []
    for _ in range(rounds):
        for question in questions:
            started = time.perf_counter()
            matcher.match(question)
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "p50_ms": statistics.median(timings),
        "p99_ms": timings[int(len(timings) * 0.99) - 1],
        "max_ms": timings[-1],
        "n": len(timings),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--questions", type=Path, default=ROOT / "benchmarks" / "data" / "holdout-questions.yaml")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    questions = [item["q"] for item in yaml.safe_load(args.questions.read_text(encoding="utf-8"))]

    started = time.perf_counter()
    knowledge = load_knowledge(ROOT / "knowledge")
    matcher = Matcher(knowledge)
    startup = time.perf_counter() - started
    shipped = measure(matcher, questions, args.rounds)
    print(f"shipped knowledge base: {len(knowledge.entries)} entries, start-up {startup * 1000:.0f} ms")
    print(LATENCY.format(label="latency", **shipped))

    grown = grow(knowledge, args.entries)
    started = time.perf_counter()
    big = Matcher(grown)
    index_time = time.perf_counter() - started
    # Cold: the first pass, with no fuzzy-lookup cache.
    cold_timings = []
    for question in questions:
        t0 = time.perf_counter()
        big.match(question)
        cold_timings.append((time.perf_counter() - t0) * 1000)
    cold_timings.sort()
    result = measure(big, questions, args.rounds)
    examples = sum(len(e.questions[lang]) for e in grown.entries for lang in ("en", "fr", "nl"))
    print(f"grown knowledge base: {len(grown.entries)} entries, {examples} examples, index {index_time * 1000:.0f} ms")
    print(
        f"  cold latency: p50 {statistics.median(cold_timings):.3f} ms, "
        f"p99 {cold_timings[int(len(cold_timings) * 0.99) - 1]:.3f} ms"
    )
    print(LATENCY.format(label="warm latency", **result))


if __name__ == "__main__":
    main()
