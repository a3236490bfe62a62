"""group_questions(): unanswered questions grouped so that staff see each need once, most asked first."""

from __future__ import annotations

import pytest

from bot.core.engine import Engine
from bot.core.matching import Matcher
from bot.core.unanswered import group_questions

PARKING = [
    "where can I park my bicycle near the embassy",
    "near the embassy, where can I park my bicycle?",
    "my bicycle: where can I park it near the embassy",
]
CAKE = ["recipe for chocolate cake", "chocolate cake recipe please"]
LAPTOP = ["where can I buy a cheap laptop", "the laptop, cheap, where can I buy it"]
ANIME = "which anime should I watch"
FOOTBALL = "which football team is the best"


@pytest.fixture
def matcher(engine: Engine) -> Matcher:
    return engine.snapshot.matcher


def english(*questions: str) -> list[tuple[str, str]]:
    return [(question, "en") for question in questions]


def test_word_order_variants_of_one_question_group_together(matcher: Matcher) -> None:
    """Phrasings of one question in different word orders, with extra words, make one group counted once each."""
    (group,) = group_questions(english(*PARKING), matcher)
    assert group.count == 3
    assert group.example == PARKING[0]
    assert group.langs == {"en"}


def test_unrelated_questions_stay_apart_even_when_they_share_a_question_word(matcher: Matcher) -> None:
    """Questions about different things are not merged, though they share "where" or "which"."""
    groups = group_questions(english(PARKING[0], LAPTOP[0], ANIME, FOOTBALL, CAKE[0]), matcher)
    assert sorted(group.example for group in groups) == sorted([PARKING[0], LAPTOP[0], ANIME, FOOTBALL, CAKE[0]])
    assert all(group.count == 1 for group in groups)


def test_most_frequent_first_then_in_the_order_asked(matcher: Matcher) -> None:
    """Groups come most asked first; groups asked equally often keep the order of their first question."""
    questions = english(ANIME, CAKE[0], PARKING[0], CAKE[1], PARKING[1], FOOTBALL, PARKING[2])
    groups = group_questions(questions, matcher)
    assert [(group.example, group.count) for group in groups] == [
        (PARKING[0], 3),
        (CAKE[0], 2),
        (ANIME, 1),
        (FOOTBALL, 1),
    ]


def test_limit_keeps_the_most_frequent_groups(matcher: Matcher) -> None:
    """With a limit, the most asked groups are the ones kept."""
    groups = group_questions(english(ANIME, *CAKE, *PARKING), matcher, limit=2)
    assert [group.count for group in groups] == [3, 2]


def test_each_group_names_its_nearest_entry(matcher: Matcher) -> None:
    """A group's nearest entry is the best-scoring entry for its example; none when no entry scores at all."""
    groups = {group.example: group for group in group_questions(english(*PARKING, *CAKE), matcher)}
    parking = groups[PARKING[0]]
    best = matcher.scores(PARKING[0])[0]
    assert (parking.nearest, parking.nearest_score) == (best.entry.id, best.score)
    assert parking.nearest == "contact.embassy"
    assert parking.nearest_score > 0
    cake = groups[CAKE[0]]
    assert matcher.scores(CAKE[0]) == []
    assert (cake.nearest, cake.nearest_score) == (None, 0.0)


def test_languages_of_a_group_are_collected(matcher: Matcher) -> None:
    """A group lists every language it was asked in."""
    (group,) = group_questions([(PARKING[0], "en"), (PARKING[1], "fr"), (PARKING[2], "en")], matcher)
    assert group.langs == {"en", "fr"}


def test_no_questions_no_groups(matcher: Matcher) -> None:
    """Nothing asked, nothing to show."""
    assert group_questions([], matcher) == []


def test_questions_without_content_words_do_not_crash_or_merge_with_others(matcher: Matcher) -> None:
    """A question of only stop words or punctuation gets a group of its own."""
    groups = group_questions(english("???", "?!", PARKING[0]), matcher)
    assert PARKING[0] in {group.example for group in groups}
    assert sum(group.count for group in groups) == 3
