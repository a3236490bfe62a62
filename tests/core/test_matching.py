"""The matcher on the shipped knowledge base: right answers, honest uncertainty, honest refusals."""

from dataclasses import replace
from pathlib import Path

import pytest

from bot.core.engine import Engine
from bot.core.evaluation import answered_id, describe, evaluate, load_questions
from bot.core.matching import Answer, Matcher, NoMatch, Suggestions

HOLDOUT = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "holdout-questions.yaml"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("how old must i be to join mirai", "mirai.age"),
        ("MIRAI leeftijd minimum?", "mirai.age"),
        ("faut-il avoir la nationalite belge pour mirai", "mirai.nationality"),
        ("wat doet een CIR precies", "jet.cir"),
        ("qu est ce que le programme JET", "jet.about"),
        ("do i need to post about mirai on fb", "mirai.sns"),
        ("Ik heb een half jaar in Osaka gewoond, mag ik nog meedoen aan MIRAI?", "mirai.japan_stay"),
        ("i want the complete list of mirai conditions", "mirai.requirements"),
    ],
)
def test_clear_questions_get_their_entry(engine: Engine, question: str, expected: str) -> None:
    """A clear question, in any language and with typos, is answered with its entry."""
    result = engine.snapshot.matcher.match(question)

    assert isinstance(result, Answer), result
    assert result.entry.id == expected


@pytest.mark.parametrize("question", ["asdkjh qwpoeiru zmxnbv", "what is the capital of peru", "🙂🙂🙂"])
def test_unrelated_text_gets_no_match(engine: Engine, question: str) -> None:
    """Gibberish and unrelated questions are refused, not answered with the nearest entry."""
    assert answered_id(engine.snapshot.matcher.match(question)) is None


@pytest.mark.parametrize(
    ("question", "redirect"),
    [
        ("do I need a visa to go to japan on holiday", "redirect.visa"),
        ("ou renouveler mon passeport belge a la commune", "redirect.passport"),
    ],
)
def test_out_of_scope_subjects_get_their_redirect(engine: Engine, question: str, redirect: str) -> None:
    """Frequent out-of-scope subjects get a pointer, never counted as an answer from the knowledge."""
    described = describe(engine.snapshot.matcher.match(question))

    assert described["id"] is None
    assert described["redirect"] == redirect


@pytest.mark.parametrize(
    ("question", "entry"), [("hello!", "smalltalk.greeting"), ("merci beaucoup", "smalltalk.thanks")]
)
def test_greetings_and_thanks_are_small_talk(engine: Engine, question: str, entry: str) -> None:
    """Greetings and thanks get a friendly reply whose id is not a knowledge entry."""
    result = engine.snapshot.matcher.match(question)

    assert isinstance(result, Answer)
    assert result.entry.id == entry
    assert describe(result)["id"] is None


def test_a_vague_question_gets_suggestions_not_an_answer(engine: Engine) -> None:
    """A question that fits several entries about equally gets up to three suggestions."""
    result = engine.snapshot.matcher.match("japan")

    assert isinstance(result, Suggestions), result
    assert 1 <= len(result.candidates) <= 3
    assert describe(result)["id"] is None


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("what is the minimum age for mirai", "en"),
        ("quel est l'âge minimum pour mirai", "fr"),
        ("wat is de minimumleeftijd voor mirai", "nl"),
    ],
)
def test_the_answer_language_follows_the_question(engine: Engine, question: str, lang: str) -> None:
    """The language of the answer is the language the student wrote in."""
    assert engine.snapshot.matcher.match(question).lang == lang


def test_a_question_naming_mirai_is_not_answered_with_a_jet_entry(engine: Engine) -> None:
    """Naming one programme keeps another programme's entries from answering with confidence."""
    result = engine.snapshot.matcher.match("je suis francaise, je peux faire mirai depuis la belgique ?")

    assert not (answered_id(result) or "").startswith("jet.")


def test_empty_text_is_no_match(engine: Engine) -> None:
    """A question with no words matches nothing."""
    assert isinstance(engine.snapshot.matcher.match("?!"), NoMatch)


def test_accuracy_on_the_hold_out_set_does_not_regress(engine: Engine) -> None:
    """The independent hold-out set stays above 0.88 accuracy and rarely answers with a wrong entry."""
    report = evaluate(engine.snapshot.matcher, load_questions(HOLDOUT))

    assert report.accuracy >= 0.88, report.as_dict()["misses"]
    assert report.confident_wrong <= 0.06 * report.total


def test_a_question_word_and_a_common_word_are_no_subject(engine: Engine) -> None:
    """'Pourquoi le Japon ?' shares a rare question word with one entry's example ("pourquoi Kanazawa ?"),
    but names no subject the knowledge holds: it gets suggestions, not that entry."""
    assert answered_id(engine.snapshot.matcher.match("Pourquoi le Japon ?")) is None


def test_words_spread_over_an_entrys_examples_are_not_an_answer(engine: Engine) -> None:
    """An entry whose examples together hold every word of the question, while none of them asks it,
    does not answer with confidence; without the best-example floor the same question would be answered."""
    matcher = engine.snapshot.matcher
    question = "Pourquoi partir au Japon"
    best = matcher.scores(question)[0]

    assert best.example < matcher.settings.min_example <= best.coverage
    assert answered_id(matcher.match(question)) is None
    without_floor = Matcher(matcher.knowledge, replace(matcher.settings, min_example=0.0))
    assert answered_id(without_floor.match(question)) == best.entry.id


def test_a_close_race_is_an_answer_when_the_best_entry_explains_far_more_of_the_question(engine: Engine) -> None:
    """Two entries a hair apart, one of them holding nearly every word of the question: the subscription
    answers a reminder "before the deadline", where the dates' entry explains two thirds of it."""
    matcher = engine.snapshot.matcher
    question = "Est-ce que le bot peut m'envoyer un rapel avant la date limite ?"
    best, runner_up = matcher.scores(question)[:2]
    assert best.score - runner_up.score < matcher.settings.margin * 100
    assert best.coverage - runner_up.coverage >= matcher.settings.coverage_lead

    assert answered_id(matcher.match(question)) == best.entry.id == "bot.subscribe"
    without_lead = Matcher(matcher.knowledge, replace(matcher.settings, coverage_lead=1.0))
    assert answered_id(without_lead.match(question)) is None


@pytest.mark.parametrize("question", ["how do I apply?", "comment postuler ?", "hoe kan ik kandideren?"])
def test_how_to_apply_naming_no_programme_asks_which_one(engine: Engine, question: str) -> None:
    """MIRAI and JET applications go differently: a question naming neither asks which programme."""
    result = engine.snapshot.matcher.match(question)

    assert isinstance(result, Suggestions), result
    assert result.theme == "application"
    assert {candidate.entry.id for candidate in result.candidates} == {"mirai.application", "jet.application"}


@pytest.mark.parametrize(
    "question", ["how do I apply for MIRAI?", "comment postuler à MIRAI", "hoe schrijf ik me in voor mirai"]
)
def test_how_to_apply_for_mirai_is_answered(engine: Engine, question: str) -> None:
    assert answered_id(engine.snapshot.matcher.match(question)) == "mirai.application"


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("salut, c'est quoi les conditions pour mirai", "mirai.requirements"),
        ("slt c koi les conditions pr mirai", "mirai.requirements"),
    ],
)
def test_a_greeting_followed_by_a_question_gets_the_answer(engine: Engine, message: str, expected: str) -> None:
    """Small talk explains only the greeting of such a message; the question is what is answered."""
    matcher = engine.snapshot.matcher
    assert matcher.scores(message)[0].entry.kind == "smalltalk"  # the greeting's words alone score highest

    assert answered_id(matcher.match(message)) == expected


@pytest.mark.parametrize(
    "message", ["salut tout le monde", "hoi allemaal", "bonjour, j'ai une question", "are you a bot?"]
)
def test_small_talk_alone_gets_the_small_talk_reply(engine: Engine, message: str) -> None:
    result = engine.snapshot.matcher.match(message)

    assert isinstance(result, Answer)
    assert result.entry.kind == "smalltalk"


@pytest.mark.parametrize(
    "message", ["thanks so much, that was useful", "merci beaucoup pour les infos", "dank je, dat was duidelijk"]
)
def test_thanks_with_more_words_is_still_small_talk(engine: Engine, message: str) -> None:
    """Thanks explained only in part by the small-talk entry stay thanks when the rest answers nothing."""
    result = engine.snapshot.matcher.match(message)

    assert isinstance(result, Answer)
    assert result.entry.kind == "smalltalk"


def test_an_entry_answering_on_its_own_words_is_answered_even_when_its_counterpart_lends_more(engine: Engine) -> None:
    """JET's application entry answers "where do I find the JET application form?" on its own words; MIRAI's
    application entry, of the same theme, fits "application form" better, and lends it a higher score: that
    does not turn the answer into a suggestion."""
    matcher = engine.snapshot.matcher
    question = "where do I find the JET application form?"

    assert answered_id(matcher.match(question)) == "jet.application"
