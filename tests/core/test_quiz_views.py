"""The quiz screens: a question with its buttons, the verdict with its reasons, and "expired" for stale states."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.i18n import t
from bot.core.knowledge import KnowledgeBase
from bot.core.languages import LANGUAGES
from bot.core.quiz import Quiz, replay
from bot.core.quiz_views import (
    STANDARD_LABELS,
    cancelled,
    choose_programme,
    expired,
    option_label,
    show,
    show_requirements,
    start,
)
from bot.core.views import Button, CancelQuiz, ChooseQuiz, QuizRequirements, QuizStep, Reply, ShowEntry, ShowMenu
from tests.core.fixtures import (
    ALT,
    CIR,
    MIRAI_ENTRIES,
    NO,
    SEA,
    UNSURE,
    YES,
    knowledge_files,
    linear_quiz,
    load,
    programme_file,
)


@pytest.fixture
def knowledge(tmp_path: Path) -> KnowledgeBase:
    """MIRAI with the linear quiz, JET with the branching one, and a programme without a quiz."""
    return load(tmp_path)


@pytest.fixture
def linear(knowledge: KnowledgeBase) -> Quiz:
    quiz = knowledge.quiz("mirai")
    assert quiz is not None
    return quiz


@pytest.fixture
def branching(knowledge: KnowledgeBase) -> Quiz:
    quiz = knowledge.quiz("jet")
    assert quiz is not None
    return quiz


def actions(reply: Reply) -> list[object]:
    return [button.action for row in reply.buttons for button in row]


def labels(reply: Reply) -> list[str]:
    return [button.label for row in reply.buttons for button in row]


def step(quiz: Quiz, *answers: int) -> QuizStep:
    return QuizStep(quiz.programme, quiz.version, answers)


# --- a question ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_first_question_shows_its_number_and_text(knowledge, linear, lang):
    """The first screen names the programme, says "Question 1 of 3" and asks the first question."""
    reply = show(knowledge, step(linear), lang)

    assert t(lang, "Question {number} of {total}", number=1, total=3) in reply.text
    assert f"Ask nationality? ({lang})" in reply.text
    assert f"MIRAI ({lang})" in reply.text


def test_question_counter_in_english(knowledge, linear):
    """In English the counter reads exactly "Question 2 of 3" on the second question."""
    assert "Question 2 of 3" in show(knowledge, step(linear, NO), "en").text


@pytest.mark.parametrize("answers", [(), (YES,), (NO, UNSURE)])
def test_one_button_per_option_carrying_the_answers_so_far_plus_its_own(knowledge, linear, answers):
    """Each option is a button on its own row whose state is the answers so far plus that option's position."""
    reply = show(knowledge, step(linear, *answers), "en")

    option_rows = reply.buttons[:-1]
    assert [len(row) for row in option_rows] == [1, 1, 1]
    assert [row[0].action for row in option_rows] == [step(linear, *answers, i) for i in range(3)]
    assert [row[0].label for row in option_rows] == ["Yes", "No", "I'm not sure"]


def test_the_first_question_offers_only_cancel(knowledge, linear):
    """With nothing answered yet, there is no Back nor Start again: the last row is Cancel alone."""
    reply = show(knowledge, step(linear), "en")

    assert reply.buttons[-1] == (Button("Cancel", CancelQuiz()),)


@pytest.mark.parametrize(("answers", "back"), [((NO,), ()), ((NO, UNSURE), (NO,))])
def test_later_questions_offer_back_start_again_and_cancel(knowledge, linear, answers, back):
    """After an answer: Back (the answers without the last), Start again (no answers) and Cancel, in one row."""
    reply = show(knowledge, step(linear, *answers), "en")

    assert [b.action for b in reply.buttons[-1]] == [step(linear, *back), step(linear), CancelQuiz()]
    assert [b.label for b in reply.buttons[-1]] == ["◀ Back", "Start again", "Cancel"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_own_options_show_their_own_labels(knowledge, branching, lang):
    """Options with an own id (CIR, ALT, SEA) are labelled with their 'label' in the student's language."""
    reply = show(knowledge, step(branching), lang)

    assert [row[0].label for row in reply.buttons[:-1]] == [f"{name} ({lang})" for name in ("CIR", "ALT", "SEA")]
    assert t(lang, "Question {number} of {total}", number=1, total=3) in reply.text


@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_yes_no_unsure_have_labels_in_every_language(knowledge, linear, lang):
    """yes, no and unsure are labelled through the catalogue: three distinct, non-empty labels per language."""
    reply = show(knowledge, step(linear), lang)

    option_labels = [row[0].label for row in reply.buttons[:-1]]
    assert option_labels == [t(lang, STANDARD_LABELS[a]) for a in ("yes", "no", "unsure")]
    assert all(option_labels)
    assert len(set(option_labels)) == 3
    assert [option_label(o, lang) for o in linear.questions[0].options] == option_labels


# --- the verdict -----------------------------------------------------------------------------------------


def test_the_verdict_lists_every_reason_and_counts_what_is_met(knowledge, linear):
    """Not eligible: every failure and every point to check with its reason; what is met is one count."""
    text = show(knowledge, step(linear, NO, UNSURE, YES), "en").text

    assert "❌" in text
    assert "**Title of mirai.nationality (en)**: Not nationality (en)" in text
    assert "**Title of mirai.enrolment (en)**: Check enrolment (en)" in text
    assert "✅ Met: 1 of 3 points." in text
    assert "Ask" not in text, "the questions themselves are under All requirements"
    assert "Prepare your application (en)" not in text
    assert text.index("Not met:") < text.index("To check:") < text.index("✅ Met:")


def test_all_requirements_lists_every_question_with_its_answer_mark_and_reason(knowledge, linear):
    """The full list behind the verdict: each question with the answer given, marked, and its reason if any."""
    text = show_requirements(
        knowledge, QuizRequirements(linear.programme, linear.version, (NO, UNSURE, YES)), "en"
    ).text

    assert "❌ Ask nationality? (en) **No**\nNot nationality (en)" in text
    assert "❔ Ask enrolment? (en) **I'm not sure**\nCheck enrolment (en)" in text
    assert "✅ Ask age? (en) **Yes**" in text
    assert text.index("nationality") < text.index("enrolment") < text.index("age")
    assert text.endswith("not a decision on your application.")


@pytest.mark.parametrize("answers", [(), (NO,), (NO, UNSURE, YES, YES), (NO, 7, YES)])
def test_all_requirements_of_an_unfinished_or_impossible_state_is_expired(knowledge, linear, answers):
    """Only a finished path has a full list: any other state in the button is answered "expired"."""
    reply = show_requirements(knowledge, QuizRequirements(linear.programme, linear.version, answers), "en")

    assert reply == expired(knowledge, "mirai", "en")


def test_all_requirements_from_another_quiz_version_is_expired(knowledge, linear):
    """A full list asked for with an old version of the quiz is refused, never reinterpreted."""
    reply = show_requirements(knowledge, QuizRequirements(linear.programme, "000000", (YES, YES, YES)), "en")

    assert reply == expired(knowledge, "mirai", "en")


def test_the_verdict_says_it_is_only_an_indication(knowledge, linear):
    """Every verdict ends by saying it is an indication, not a decision on the application."""
    for answers in [(YES, YES, YES), (NO, NO, NO), (UNSURE, YES, YES)]:
        text = show(knowledge, step(linear, *answers), "en").text
        assert text.endswith(
            "only an indication based on the published requirements, not a decision on your application."
        )


@pytest.mark.parametrize(
    ("answers", "mark", "sections", "absent"),
    [
        ((YES, YES, YES), "✅", ["Prepare your application (en)"], ["Not met:", "To check:"]),
        ((UNSURE, YES, YES), "❔", ["To check:"], ["Not met:", "Prepare your application (en)"]),
        ((YES, NO, YES), "❌", ["Not met:"], ["To check:", "Prepare your application (en)"]),
    ],
)
def test_the_verdict_headline_follows_the_status(knowledge, linear, answers, mark, sections, absent):
    """Eligible shows the next steps; to check and not eligible show their lists and not the next steps."""
    text = show(knowledge, step(linear, *answers), "en").text

    assert mark in text
    assert all(section in text for section in sections)
    assert not any(section in text for section in absent)


def test_the_verdict_links_the_entries_about_each_reason_then_the_requirements(knowledge, linear):
    """Buttons open the entry about each failed or unsure requirement, the full requirements, then Start again."""
    reply = show(knowledge, step(linear, NO, UNSURE, YES), "en")

    assert actions(reply) == [
        ShowEntry("mirai.nationality"),
        ShowEntry("mirai.enrolment"),
        ShowEntry("mirai.requirements"),
        QuizRequirements(linear.programme, linear.version, (NO, UNSURE, YES)),
        step(linear),
        ShowMenu(below=True),
    ]
    assert labels(reply)[0] == "Title of mirai.nationality (en)"
    assert labels(reply)[3] == "All requirements"


def test_an_eligible_verdict_links_the_timing_and_the_requirements(knowledge, linear):
    """When every answer passes, the buttons point to when to apply and the full requirements."""
    reply = show(knowledge, step(linear, YES, YES, YES), "en")

    assert actions(reply) == [
        ShowEntry("programs.timing"),
        ShowEntry("mirai.requirements"),
        QuizRequirements(linear.programme, linear.version, (YES, YES, YES)),
        step(linear),
        ShowMenu(below=True),
    ]


@pytest.mark.parametrize("position", [ALT, SEA])
def test_the_verdict_offers_to_answer_instead(knowledge, branching, position):
    """After ALT or SEA, a button answers CIR at that question instead, with the answers before it kept."""
    reply = show(knowledge, step(branching, position), "en")

    assert reply.buttons[0] == (Button("Answer “CIR (en)” instead", step(branching, CIR)),)
    assert "**Title of jet.positions (en)**" in reply.text


def test_answering_instead_leads_to_the_next_question(knowledge, branching):
    """The 'instead' button's state is a valid state: it shows the question after CIR."""
    (button,) = show(knowledge, step(branching, ALT), "en").buttons[0]

    assert "Ask nationality? (en)" in show(knowledge, button.action, "en").text


# --- stale or forged states ------------------------------------------------------------------------------


def _stale_version(quiz: Quiz) -> QuizStep:
    other = "000000" if quiz.version != "000000" else "ffffff"
    return QuizStep(quiz.programme, other, ())


@pytest.mark.parametrize(
    ("make_step", "why"),
    [
        (_stale_version, "a version from before an edit"),
        (lambda quiz: step(quiz, 3), "an option the question does not have"),
        (lambda quiz: step(quiz, 8, 8), "an option the question does not have"),
        (lambda quiz: step(quiz, -1), "a negative option"),
        (lambda quiz: step(quiz, YES, YES, YES, YES), "more answers than questions"),
        (lambda quiz: step(quiz, *(YES,) * 24), "as many answers as a button can carry"),
    ],
)
def test_a_stale_or_forged_state_gives_the_expired_screen(knowledge, linear, make_step, why):
    """A state that does not fit the current quiz is not reinterpreted: the student is asked to start again."""
    reply = show(knowledge, make_step(linear), "en")

    assert reply == expired(knowledge, "mirai", "en"), why
    assert "changed or expired" in reply.text
    assert actions(reply) == [step(linear), ShowMenu()]


def test_answers_beyond_an_ended_path_give_the_expired_screen(knowledge, branching):
    """An answer after ALT (which ends the quiz) cannot have come from a button: expired."""
    assert show(knowledge, step(branching, ALT, YES), "en") == expired(knowledge, "jet", "en")


@pytest.mark.parametrize("programme_id", ["other", "nowhere"])
def test_a_state_for_a_programme_without_quiz_offers_the_choice(knowledge, programme_id):
    """A state for a programme with no quiz (removed, or never had one) offers to choose a quiz again."""
    reply = show(knowledge, QuizStep(programme_id, "abcdef", ()), "en")

    assert "changed or expired" in reply.text
    assert actions(reply) == [ChooseQuiz(), ShowMenu()]


def test_a_state_from_before_an_edit_is_expired_after_reload(tmp_path, linear):
    """Buttons of a quiz in progress go stale once its quiz is edited and the knowledge reloaded."""
    edited = linear_quiz()
    edited["questions"][1]["ask"]["en"] = "Are you enrolled at a Belgian university?"
    files = knowledge_files()
    files["mirai.yaml"] = programme_file("mirai", MIRAI_ENTRIES, edited)
    reloaded = load(tmp_path / "reloaded", files)

    reply = show(reloaded, step(linear, NO), "en")

    assert "changed or expired" in reply.text
    assert actions(reply)[0] == step(reloaded.quiz("mirai"))


# --- choosing, starting, cancelling ----------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_choose_programme_lists_the_programmes_with_a_quiz(knowledge, linear, branching, lang):
    """One button per programme with a quiz (not the others), each starting its quiz, then Cancel."""
    reply = choose_programme(knowledge, lang)

    assert actions(reply) == [step(branching), step(linear), CancelQuiz()]
    assert labels(reply)[:2] == [f"JET ({lang})", f"MIRAI ({lang})"]
    assert f"OTHER ({lang})" not in labels(reply)


@pytest.mark.parametrize("programme_id", ["mirai", "jet"])
def test_start_with_a_programme_shows_its_first_question(knowledge, programme_id):
    """/eligible mirai opens that quiz's first question directly."""
    quiz = knowledge.quiz(programme_id)

    assert start(knowledge, programme_id, "en") == show(knowledge, step(quiz), "en")
    assert "Question 1 of 3" in start(knowledge, programme_id, "en").text


@pytest.mark.parametrize("programme_id", [None, "other", "nowhere"])
def test_start_without_a_known_quiz_asks_which_programme(knowledge, programme_id):
    """/eligible alone, or with a programme that has no quiz, asks which programme to check."""
    assert start(knowledge, programme_id, "en") == choose_programme(knowledge, "en")


def test_cancelled_offers_the_main_menu(knowledge):
    """Cancelling says how to start again and offers the main menu."""
    reply = cancelled("en")

    assert "/eligible" in reply.text
    assert actions(reply) == [ShowMenu()]


# --- every screen of every path --------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("quiz_name", ["linear", "branching"])
def test_every_button_on_every_screen_leads_somewhere_valid(knowledge, quiz_name, lang, request):
    """Walking every button from the first screen never reaches the expired screen, and finds every verdict."""
    quiz: Quiz = request.getfixturevalue(quiz_name)
    seen: set[tuple[int, ...]] = set()
    pending = [step(quiz)]
    verdicts = 0
    while pending:
        current = pending.pop()
        if current.answers in seen:
            continue
        seen.add(current.answers)
        reply = show(knowledge, current, lang)
        assert reply != expired(knowledge, quiz.programme, lang), current
        if replay(quiz, current.answers).finished:
            verdicts += 1
        pending.extend(a for a in actions(reply) if isinstance(a, QuizStep))

    assert verdicts == {"linear": 27, "branching": 8}[quiz_name]
