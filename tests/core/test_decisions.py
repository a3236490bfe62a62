"""How the matcher decides, and how eval reports it: a question whose answer differs by programme is
answered by the programme it names, or asks which one; each question gets one outcome."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from rapidfuzz import fuzz, process

from bot.core.conversation import reply_to_question
from bot.core.evaluation import LabelledQuestion, answered_id, describe, evaluate, outcome_table
from bot.core.evaluation import outcome as outcome_of
from bot.core.knowledge import Entry, EntryKind, Examples, KnowledgeBase, Programme
from bot.core.matching import Answer, Matcher, Suggestions
from bot.core.text import Text
from bot.core.views import ShowEntry


def _text(value: str) -> Text:
    return Text(en=value, fr=value, nl=value)


def _entry(
    entry_id: str, programme: str | None, questions: list[str], theme: str | None = None, kind: EntryKind = "answer"
) -> Entry:
    return Entry(
        id=entry_id,
        kind=kind,
        title=_text(entry_id),
        answer=_text(f"answer of {entry_id}"),
        questions=Examples(en=tuple(questions), fr=tuple(questions), nl=tuple(questions)),
        programme=programme,
        theme=theme,
    )


def _knowledge() -> KnowledgeBase:
    return KnowledgeBase(
        entries=(
            _entry("mirai.age", "mirai", ["what is the minimum age", "how old must i be", "age limit"], "age"),
            _entry("mirai.passport", "mirai", ["do i need a passport", "passport valid"]),
            _entry("jet.age", "jet", ["is there an age limit", "am i too old at 40", "maximum age"], "age"),
            _entry("jet.cir", "jet", ["what does a coordinator do", "cir job tasks"]),
            _entry("contact.embassy", None, ["how do i contact the embassy", "embassy email"]),
        ),
        programmes=(
            Programme(id="mirai", name=_text("MIRAI"), summary=_text("m"), keywords=("friendship ties",)),
            Programme(id="jet", name=_text("JET Programme"), summary=_text("j"), keywords=("cir", "alt")),
        ),
    )


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(_knowledge())


@pytest.mark.parametrize(
    "question", ["is there an age limit?", "how old must i be", "quelle est la limite d'age", "age limit"]
)
def test_a_theme_without_a_programme_asks_which_one(matcher: Matcher, question: str) -> None:
    """A question on a theme both programmes answer differently, naming neither, offers both entries."""
    result = matcher.match(question)

    assert isinstance(result, Suggestions), result
    assert result.theme == "age"
    assert [c.entry.id for c in result.candidates] == ["mirai.age", "jet.age"]
    assert describe(result)["kind"] == "choose_programme"
    assert describe(result)["id"] is None


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("what is the minimum age for mirai", "mirai.age"),
        ("is there an age limit for JET", "jet.age"),
        ("age limit to become a CIR", "jet.age"),
        ("age limit for the friendship ties programme", "mirai.age"),
        ("is there an age limit for CIRs", "jet.age"),
        ("maximum age of JETs", "jet.age"),
    ],
)
def test_a_named_programme_gets_its_own_entry(matcher: Matcher, question: str, expected: str) -> None:
    """The programme's name or one of its keywords ('cir'), or their plural ('JETs'), settles which entry
    answers."""
    result = matcher.match(question)

    assert isinstance(result, Answer), result
    assert result.entry.id == expected


def test_an_entry_without_a_counterpart_answers_directly(matcher: Matcher) -> None:
    """Only themes that more than one programme answers are asked about."""
    result = matcher.match("do i need a passport")

    assert isinstance(result, Answer)
    assert result.entry.id == "mirai.passport"


def test_the_choice_shows_one_button_per_programme(matcher: Matcher) -> None:
    """The reply names the programmes on its buttons, each opening that programme's entry."""
    reply = reply_to_question(_knowledge(), matcher.match("is there an age limit"), "en")

    labels = [(button.label, button.action) for row in reply.buttons for button in row]
    assert labels == [("MIRAI", ShowEntry("mirai.age")), ("JET Programme", ShowEntry("jet.age"))]
    assert "depends on the programme" in reply.text


def test_named_programmes_reads_names_keywords_and_phrases(matcher: Matcher) -> None:
    assert matcher.named_programmes("Can I apply as an ALT?") == {"jet"}
    assert matcher.named_programmes("MIRAI or JET, which is longer?") == {"mirai", "jet"}
    assert matcher.named_programmes("Japan's Friendship-Ties programme") == {"mirai"}
    assert matcher.named_programmes("alternative plans") == frozenset()


def test_batched_variant_lookup_matches_a_word_by_word_scan() -> None:
    """The one-call fuzzy lookup finds the same variants, in the same order, as process.extract per word
    (the five closest long enough to count)."""
    rng = random.Random(3)
    vocabulary = ["".join(rng.choices("abcdeilmnorst", k=rng.randint(2, 9))) for _ in range(3000)]
    entries = tuple(_entry(f"synthetic.e{n}", None, [" ".join(vocabulary[n * 10 : n * 10 + 10])]) for n in range(300))
    matcher = Matcher(KnowledgeBase(entries=entries, programmes=()))
    words = ["".join(rng.choices("abcdeilmnorst", k=rng.randint(4, 9))) for _ in range(200)]
    settings = matcher.settings

    found = matcher._lookup_all(words)

    known = matcher._words
    for word in words:
        expected = [
            index
            for _, _, index in process.extract(
                word, known, scorer=fuzz.ratio, score_cutoff=settings.fuzzy_cutoff, limit=None
            )
            if len(known[index]) >= settings.fuzzy_min_length
        ][:5]
        exact = [matcher._vocabulary[word]] if word in matcher._vocabulary else []
        assert [index for index, _ in found[word]] == list(dict.fromkeys(exact + expected)), word


@pytest.mark.parametrize(
    ("question", "expect", "outcome"),
    [
        ("what is the minimum age for mirai", "mirai.age", "answered_right"),
        ("what is the minimum age for mirai", "jet.age", "confident_wrong"),
        ("what is the minimum age for mirai", None, "confident_wrong"),
        ("is there an age limit", "jet.age", "suggested_right"),
        ("is there an age limit", "mirai.passport", "suggested_wrong"),
        ("zzqx vvlop", None, "fallback"),
        ("zzqx vvlop", "mirai.age", "fallback"),
    ],
)
def test_each_question_gets_one_outcome(matcher: Matcher, question: str, expect: str | None, outcome: str) -> None:
    """eval's outcomes: right, right among the buttons, wrong buttons, fallback, and the harmful confident wrong."""
    assert outcome_of(matcher.match(question), expect) == outcome


def test_the_report_counts_outcomes_overall_and_per_language(matcher: Matcher) -> None:
    """The outcome table adds up to the questions, overall and per language; JSON keeps the old fields."""
    questions = [
        LabelledQuestion("what is the minimum age for mirai", "en", "mirai.age"),
        LabelledQuestion("is there an age limit", "en", None),
        LabelledQuestion("quel age minimum pour mirai", "fr", "jet.age"),
    ]
    report = evaluate(matcher, questions)
    figures = report.as_dict()

    assert figures["outcomes"]["answered_right"] == 1
    assert figures["outcomes"]["confident_wrong"] == report.confident_wrong == 1
    assert figures["outcomes_by_lang"]["fr"]["confident_wrong"] == 1
    assert sum(figures["outcomes"].values()) == 3
    assert {"total", "accuracy", "accuracy_by_lang", "confident_wrong", "misses"} <= figures.keys()
    table = outcome_table(report).splitlines()
    assert table[0].split() == ["outcome", "all", "en", "fr"]
    assert table[-1].startswith("confident wrong answer")
    assert "1 (0.333)" in table[-1]


def test_a_question_naming_one_programme_is_not_answered_from_anothers_entry() -> None:
    """MIRAI's passport rule fits "passport" well enough to be an answer (here with other programmes' entries
    not scaled down, so that nothing else holds it back), but the question is about JET: the entry is offered,
    not given as the answer."""
    base = Matcher(_knowledge())
    matcher = Matcher(_knowledge(), replace(base.settings, other_programme_factor=1.0))
    question = "do i need a valid passport for JET"
    best = matcher.scores(question)[0]
    assert best.entry.id == "mirai.passport"
    assert best.score >= matcher.settings.answer_threshold * 100  # an answer, but for the rule below

    result = matcher.match(question)

    assert not isinstance(result, Answer), result
    assert isinstance(result, Suggestions)
    assert "mirai.passport" in [candidate.entry.id for candidate in result.candidates]
    assert isinstance(matcher.match("do i need a valid passport"), Answer)  # naming no programme, it answers


def test_words_only_the_other_programme_holds_suggest_the_named_programmes_entry_of_the_theme() -> None:
    """ "I have ADHD, can I join JET?": only MIRAI's health entry knows "adhd", JET's criteria cover health for
    JET (they share the theme). JET's entry is offered, on a score lent by MIRAI's, and never answered with
    confidence on it; the same words naming MIRAI get MIRAI's entry."""
    knowledge = KnowledgeBase(
        entries=(
            _entry("mirai.health", "mirai", ["i have adhd can i join", "is a chronic illness a problem"], "health"),
            _entry("jet.criteria", "jet", ["what are the general criteria", "who is eligible"], "health"),
            _entry("jet.application", "jet", ["how do i apply", "when is the interview"]),
        ),
        programmes=_knowledge().programmes,
    )
    matcher = Matcher(knowledge)

    ranked = matcher.scores("i have adhd, can i join jet")
    assert ranked[0].entry.id == "jet.criteria"
    assert ranked[0].lent
    result = matcher.match("i have adhd, can i join jet")
    assert isinstance(result, Suggestions), result
    assert result.candidates[0].entry.id == "jet.criteria"

    without = Matcher(knowledge, replace(matcher.settings, counterpart_factor=0.0))
    assert without.scores("i have adhd, can i join jet")[0].entry.id == "mirai.health"
    assert answered_id(matcher.match("i have adhd, can i join mirai")) == "mirai.health"


def test_an_example_of_function_words_only_is_matched_whole() -> None:
    """ "What can you do" holds no word to score (every one is a function word): it is matched as a whole
    message, and so are the same words with other case and punctuation; a longer message is scored as usual."""
    greeting = _entry("smalltalk.greeting", None, ["hello", "what can you do"], kind="smalltalk")
    knowledge = KnowledgeBase(entries=(*_knowledge().entries, greeting), programmes=_knowledge().programmes)
    matcher = Matcher(knowledge)

    result = matcher.match("What can you do?!")
    assert isinstance(result, Answer)
    assert result.entry.id == "smalltalk.greeting"
    longer = matcher.match("what can you do about my passport")
    assert not (isinstance(longer, Answer) and longer.entry.id == "smalltalk.greeting")
