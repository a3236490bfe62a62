"""What students ask that the bot cannot answer, grouped so that staff see each need once.

Questions are grouped greedily by their content words with rapidfuzz's ``token_set_ratio``: phrasings of
the same question share most words whatever their order or extra words. Each group shows how often it
was asked, one example, and the nearest entry (a hint of where an answer could go).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from bot.core.matching import Matcher
from bot.core.normalize import content_words

SIMILAR: float = 75.0


@dataclass(slots=True)
class Group:
    example: str
    count: int = 0
    langs: set[str] = field(default_factory=set)
    words: str = ""
    nearest: str | None = None
    nearest_score: float = 0.0


def group_questions(questions: Iterable[tuple[str, str]], matcher: Matcher, limit: int = 20) -> list[Group]:
    """(text, lang) pairs -> the most frequent groups first."""
    groups: list[Group] = []
    for text, lang in questions:
        words = " ".join(sorted(content_words(text))) or text.lower()
        home = next((g for g in groups if fuzz.token_set_ratio(words, g.words) >= SIMILAR), None)
        if home is None:
            home = Group(example=text, words=words)
            groups.append(home)
        home.count += 1
        home.langs.add(lang)
    groups.sort(key=lambda g: g.count, reverse=True)
    for group in groups[:limit]:
        nearest = next((s for s in matcher.scores(group.example) if s.entry.is_answer), None)
        if nearest is not None:  # where an answer could go: a knowledge entry, not a redirect or small talk
            group.nearest, group.nearest_score = nearest.entry.id, nearest.score
    return groups[:limit]
