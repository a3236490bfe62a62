"""The eligibility quiz engine: replaying answers, verdicts, every path, progress and versions.

The fixture quizzes here (built as plain data and written into tmp_path, never the shipped knowledge) are
shared by test_quiz_checks.py, test_quiz_views.py and tests/tg/test_callback_data.py.
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core.errors import QuizError
from bot.core.knowledge import KnowledgeBase
from bot.core.quiz import MAX_DEPTH, Progress, Quiz, Verdict, joint_failures, paths, replay, verdict
from bot.core.quiz_review import review
from tests.core.fixtures import (
    ALT,
    CIR,
    JET_ENTRIES,
    LINEAR_QUESTIONS,
    MIRAI_ENTRIES,
    NO,
    SEA,
    UNSURE,
    YES,
    branching_quiz,
    knowledge_files,
    linear_quiz,
    load,
    programme_file,
    question,
    texts,
    yes_no_unsure,
)

# --- fixture quizzes, as the plain data a staff member would write ----------------------------------------


@pytest.fixture
def knowledge(tmp_path: Path) -> KnowledgeBase:
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


# --- independent oracles: what each verdict must be, worked out from the answers alone ---------------------


def linear_oracle(answers: tuple[int, ...]) -> tuple[list[str], list[str], str]:
    failures = [q for q, a in zip(LINEAR_QUESTIONS, answers, strict=True) if a == NO]
    checks = [q for q, a in zip(LINEAR_QUESTIONS, answers, strict=True) if a == UNSURE]
    return failures, checks, "not_eligible" if failures else "to_check" if checks else "eligible"


def branching_oracle(answers: tuple[int, ...]) -> tuple[list[str], list[str], str]:
    if answers[0] != CIR:
        return ["position"], [], "not_eligible"
    _, nationality, degree = answers
    failures = ["nationality"] * (nationality == NO) + ["degree"] * (degree == NO)
    checks = ["nationality"] * (nationality == UNSURE)
    return failures, checks, "not_eligible" if failures else "to_check" if checks else "eligible"


def summary(result: Verdict) -> tuple[list[str], list[str], str]:
    return [f.question.id for f in result.failures], [c.question.id for c in result.checks], result.status


# --- the fixtures themselves -----------------------------------------------------------------------------


def test_the_fixture_knowledge_loads_with_two_quizzes(knowledge):
    """The fixture folder loads; MIRAI and JET have a quiz, the third programme has none."""
    assert [q.programme for q in knowledge.quizzes] == ["jet", "mirai"]
    assert knowledge.quiz("other") is None
    assert knowledge.quiz("nowhere") is None


# --- replay: the state is the answers --------------------------------------------------------------------


def test_no_answers_is_the_first_question(linear):
    """Replaying no answers (Start again) stands at the first question with no steps taken."""
    progress = replay(linear, ())

    assert progress.steps == ()
    assert progress.current is not None
    assert progress.current.id == "nationality"
    assert not progress.finished


@pytest.mark.parametrize(
    ("answers", "taken", "current"),
    [
        ((YES,), ["nationality=yes"], "enrolment"),
        ((NO,), ["nationality=no"], "enrolment"),
        ((UNSURE, YES), ["nationality=unsure", "enrolment=yes"], "age"),
        ((NO, UNSURE, YES), ["nationality=no", "enrolment=unsure", "age=yes"], None),
    ],
)
def test_replay_walks_the_quiz_along_the_answers(linear, answers, taken, current):
    """Each answer is an option's position at the current question; replay takes it and moves on."""
    progress = replay(linear, answers)

    assert [f"{s.question.id}={s.option.answer}" for s in progress.steps] == taken
    assert (progress.current.id if progress.current else None) == current
    assert progress.finished == (current is None)
    assert progress.answers == answers


@pytest.mark.parametrize("answers", [(YES,), (NO, UNSURE), (NO, UNSURE, YES)])
def test_back_is_the_same_answers_without_the_last(linear, answers):
    """Back replays answers[:-1]: exactly the state one question earlier, whatever was answered last."""
    back = replay(linear, answers[:-1])

    assert back.answers == answers[:-1]
    assert back.current == replay(linear, answers).steps[-1].question
    assert back.number == len(answers)


def test_start_again_forgets_every_answer(linear):
    """Start again replays no answers: the same state as a quiz never begun."""
    finished = replay(linear, (NO, NO, NO))

    assert replay(finished.quiz, ()) == replay(linear, ())
    assert replay(finished.quiz, ()).number == 1


@pytest.mark.parametrize(
    ("quiz_name", "answers", "why"),
    [
        ("linear", (3,), "no fourth option"),
        ("linear", (YES, 9), "no tenth option"),
        ("linear", (-1,), "a negative position"),
        ("linear", (YES, YES, YES, YES), "more answers than questions"),
        ("branching", (0, 0, 2), "degree has only two options"),
        ("branching", (ALT, YES), "an answer after 'then: end'"),
        ("branching", (SEA, YES, YES), "answers after 'then: end'"),
        ("branching", (CIR, YES, YES, YES), "more answers than the path has questions"),
    ],
)
def test_replay_refuses_answers_that_do_not_fit(quiz_name, answers, why, request):
    """Out-of-range options, too many answers, and answers beyond an ended path raise QuizError."""
    quiz = request.getfixturevalue(quiz_name)

    with pytest.raises(QuizError):
        replay(quiz, answers)


def test_replay_refuses_a_path_deeper_than_a_button_can_carry():
    """Even a quiz that skipped check-knowledge cannot be walked deeper than MAX_DEPTH questions."""
    long_quiz = Quiz.model_validate(
        {
            "eligible": texts("Fine"),
            "questions": [question(f"q{i}", yes_no_unsure(f"q{i}")) for i in range(MAX_DEPTH + 1)],
        }
    )

    assert replay(long_quiz, (YES,) * MAX_DEPTH).current is not None
    with pytest.raises(QuizError):
        replay(long_quiz, (YES,) * (MAX_DEPTH + 1))


# --- branching -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("position", [ALT, SEA])
def test_then_end_ends_the_quiz_at_once(branching, position):
    """An option with 'then: end' finishes the quiz right after it, skipping the questions below."""
    progress = replay(branching, (position,))

    assert progress.finished
    assert [s.question.id for s in progress.steps] == ["position"]


def test_without_then_the_next_question_in_the_list_follows(branching):
    """CIR has no 'then', so nationality (the next in the list) follows, then degree, then the verdict."""
    assert replay(branching, (CIR,)).current.id == "nationality"
    assert replay(branching, (CIR, NO)).current.id == "degree"
    assert replay(branching, (CIR, NO, NO)).finished


def test_then_a_question_jumps_to_it():
    """'then: QUESTION' goes straight to that question, over the ones between."""
    quiz = Quiz.model_validate(
        {
            "eligible": texts("Fine"),
            "questions": [
                question("student", [{"answer": "yes", "then": "age"}, {"answer": "no"}]),
                question("work", yes_no_unsure("work")),
                question("age", yes_no_unsure("age")),
            ],
        }
    )

    assert replay(quiz, (YES,)).current.id == "age"
    assert replay(quiz, (NO,)).current.id == "work"
    assert [s.question.id for s in replay(quiz, (YES, YES)).steps] == ["student", "age"]


@pytest.mark.parametrize(("position", "name"), [(ALT, "alt"), (SEA, "sea")])
def test_an_instead_option_is_offered_as_an_alternative(branching, position, name):
    """ALT and SEA fail with 'instead: cir': the verdict offers to answer CIR at that question instead."""
    result = verdict(replay(branching, (position,)))

    ((step, alternative),) = result.alternatives
    assert (step.question.id, step.option.answer) == ("position", name)
    assert alternative.answer == "cir"
    assert [f.reason["en"] for f in result.failures] == [f"Not {name.upper()} (en)"]


def test_no_alternative_without_instead(branching):
    """Answers without 'instead' offer nothing to change, even when they fail."""
    assert verdict(replay(branching, (CIR, NO, NO))).alternatives == ()


# --- verdicts --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "failures", "checks", "status"),
    [
        ((YES, YES, YES), [], [], "eligible"),
        ((NO, YES, YES), ["nationality"], [], "not_eligible"),
        ((NO, NO, NO), ["nationality", "enrolment", "age"], [], "not_eligible"),
        ((UNSURE, YES, UNSURE), [], ["nationality", "age"], "to_check"),
        ((UNSURE, UNSURE, UNSURE), [], ["nationality", "enrolment", "age"], "to_check"),
        ((NO, UNSURE, NO), ["nationality", "age"], ["enrolment"], "not_eligible"),
    ],
)
def test_the_verdict_lists_every_failure_and_every_check(linear, answers, failures, checks, status):
    """Not just the first: every failed requirement and every point to check is listed, in question order."""
    result = verdict(replay(linear, answers))

    assert summary(result) == (failures, checks, status)
    assert [f.reason["fr"] for f in result.failures] == [f"Not {q} (fr)" for q in failures]
    assert [c.reason["nl"] for c in result.checks] == [f"Check {q} (nl)" for q in checks]
    assert {f.kind for f in result.failures} <= {"fail"}
    assert {c.kind for c in result.checks} <= {"check"}


def test_the_verdict_keeps_every_step(linear):
    """The verdict holds the whole path, for the 'Your answers' recap."""
    progress = replay(linear, (YES, NO, UNSURE))

    assert verdict(progress).steps == progress.steps


def test_an_unfinished_quiz_has_no_verdict(linear):
    """Asking for the verdict before the last question raises QuizError."""
    with pytest.raises(QuizError):
        verdict(replay(linear, (YES, YES)))


# --- answers that fail only together (fails_together) ------------------------------------------------------


def either_half_quiz() -> Quiz:
    """Two halves of one requirement: each 'yes' alone is to check; both 'yes' fail it; then an age question."""

    def half(question_id: str) -> dict[str, Any]:
        return question(
            question_id,
            [
                {"answer": "yes", "check": texts(f"Only {question_id}")},
                {"answer": "no"},
                {"answer": "unsure", "check": texts(f"Check {question_id}")},
            ],
        )

    return Quiz.model_validate(
        {
            "eligible": texts("Fine"),
            "questions": [half("lived"), half("exchange"), question("age", yes_no_unsure("age"))],
            "fails_together": [{"answers": {"lived": "yes", "exchange": "yes"}, "fails": texts("Both halves")}],
        }
    )


@pytest.mark.parametrize(
    ("answers", "failures", "checks", "status"),
    [
        pytest.param((NO, NO, YES), [], [], "eligible", id="both halves met"),
        pytest.param((YES, YES, YES), ["exchange"], [], "not_eligible", id="both halves not met"),
        pytest.param((YES, NO, YES), [], ["lived"], "to_check", id="only the first half not met"),
        pytest.param((NO, YES, YES), [], ["exchange"], "to_check", id="only the second half not met"),
        pytest.param((YES, UNSURE, YES), [], ["lived", "exchange"], "to_check", id="one not met, one unsure"),
        pytest.param((YES, YES, NO), ["exchange", "age"], [], "not_eligible", id="both not met and another fail"),
        pytest.param((YES, YES, UNSURE), ["exchange"], ["age"], "not_eligible", id="both not met, another check"),
    ],
)
def test_answers_that_fail_together_fail_only_together(answers, failures, checks, status):
    """A fails_together rule fails the requirement when all its answers are given, at the last of them, and
    replaces their checks; one of its answers alone stays a point to check."""
    result = verdict(replay(either_half_quiz(), answers))

    assert summary(result) == (failures, checks, status)
    if "exchange" in failures:
        assert result.failures[0].reason["en"] == "Both halves (en)"
        assert result.failures[0].kind == "fail"


def test_joint_failures_names_the_matched_rule_and_its_steps():
    """joint_failures gives each matching rule with the positions of its steps, and nothing when one differs."""
    quiz = either_half_quiz()

    ((rule, positions),) = joint_failures(quiz, replay(quiz, (YES, YES, YES)).steps)
    assert (rule.answers, positions) == ({"lived": "yes", "exchange": "yes"}, (0, 1))
    assert joint_failures(quiz, replay(quiz, (YES, UNSURE, YES)).steps) == ()
    assert joint_failures(quiz, replay(quiz, (YES,)).steps) == ()


def test_the_review_shows_answers_that_fail_together(tmp_path):
    """quiz-paths lists the fails_together rule with its reason, and the paths it fails."""
    quiz_data = either_half_quiz().model_dump(exclude={"programme", "version"}, exclude_none=True)
    quiz_data["requirements"] = "mirai.requirements"
    knowledge = load(tmp_path, knowledge_files(mirai=quiz_data))
    quiz = knowledge.quiz("mirai")
    assert quiz is not None

    lines = list(review(knowledge, quiz, "en"))

    assert "   Together, lived=yes and exchange=yes: FAILS: Both halves (en)" in lines
    assert "lived=yes, exchange=yes, age=yes -> NOT ELIGIBLE (exchange)" in lines
    assert "lived=yes, exchange=no, age=yes -> TO CHECK (lived?)" in lines


# --- every path ------------------------------------------------------------------------------------------


def test_the_linear_quiz_has_27_paths_each_with_the_expected_verdict(linear):
    """3 questions of 3 options: paths() yields all 27 answer combinations once, each judged as the oracle says."""
    every = list(paths(linear))

    assert [p.answers for p in every] == list(itertools.product(range(3), repeat=3))
    for progress in every:
        assert progress.finished
        assert summary(verdict(progress)) == linear_oracle(progress.answers), progress.answers


def test_the_branching_quiz_has_8_paths_each_with_the_expected_verdict(branching):
    """ALT and SEA end at once (2 paths); CIR goes on through 3 x 2 answers (6 paths): 8 in all."""
    every = list(paths(branching))

    expected = [(CIR, n, d) for n in range(3) for d in range(2)] + [(ALT,), (SEA,)]
    assert [p.answers for p in every] == expected
    for progress in every:
        assert progress.finished
        assert summary(verdict(progress)) == branching_oracle(progress.answers), progress.answers
        assert len(verdict(progress).alternatives) == (progress.answers[0] != CIR)


def test_the_review_counts_the_paths_by_verdict(knowledge, linear):
    """The staff review of a quiz (quiz-paths) sums up its 27 paths by verdict and lists each one."""
    lines = list(review(knowledge, linear, "en"))

    assert "27 paths: 1 eligible, 19 not eligible, 7 to check" in lines
    assert "nationality=no, enrolment=unsure, age=yes -> NOT ELIGIBLE (nationality, enrolment?)" in lines
    assert "nationality=yes, enrolment=yes, age=yes -> ELIGIBLE" in lines


# --- progress: "Question N of M" -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quiz_name", "answers", "number", "total"),
    [
        ("linear", (), 1, 3),
        ("linear", (NO,), 2, 3),
        ("linear", (UNSURE, NO), 3, 3),
        ("branching", (), 1, 3),
        ("branching", (CIR,), 2, 3),
        ("branching", (CIR, UNSURE), 3, 3),
    ],
)
def test_progress_counts_the_current_question_and_the_questions_on_the_path(quiz_name, answers, number, total, request):
    """number is the current question from 1; total is the questions on the path if the rest go the usual way."""
    progress = replay(request.getfixturevalue(quiz_name), answers)

    assert (progress.number, progress.total) == (number, total)


@pytest.mark.parametrize(("answers", "total"), [((ALT,), 1), ((SEA,), 1), ((CIR, NO, NO), 3)])
def test_a_finished_path_totals_the_questions_it_asked(branching, answers, total):
    """Once finished, total is the number of questions actually asked (1 when ALT ends the quiz)."""
    progress = replay(branching, answers)

    assert progress.finished
    assert progress.total == total


def test_the_total_follows_the_first_options_way():
    """When the first option jumps ahead, the total counts that shorter way; another answer updates it."""
    quiz = Quiz.model_validate(
        {
            "eligible": texts("Fine"),
            "questions": [
                question("student", [{"answer": "yes", "then": "age"}, {"answer": "no"}]),
                question("work", yes_no_unsure("work")),
                question("age", yes_no_unsure("age")),
            ],
        }
    )

    assert replay(quiz, ()).total == 2
    assert (replay(quiz, (NO,)).number, replay(quiz, (NO,)).total) == (2, 3)


def test_progress_is_a_plain_value(linear):
    """Progress is a frozen value: the same answers always give an equal Progress."""
    assert isinstance(replay(linear, (NO,)), Progress)
    assert replay(linear, (NO, YES)) == replay(linear, (NO, YES))


# --- versions --------------------------------------------------------------------------------------------

Edit = Callable[[dict[str, str]], None]


def _edit_quiz(change: Callable[[dict[str, Any]], None]) -> Edit:
    def edit(files: dict[str, str]) -> None:
        quiz = linear_quiz()
        change(quiz)
        files["mirai.yaml"] = programme_file("mirai", MIRAI_ENTRIES, quiz)

    return edit


def _set(path: tuple[str | int, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(quiz: dict[str, Any]) -> None:
        target = quiz
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _edited_unrelated_entry(files: dict[str, str]) -> None:
    document = yaml.safe_load(files["mirai.yaml"])
    document["entries"][3]["answer"] = texts("A corrected answer about age")
    files["mirai.yaml"] = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100_000)


def _edited_other_file(files: dict[str, str]) -> None:
    files["general.yaml"] += "# a comment\n"
    files["jet.yaml"] = programme_file("jet", JET_ENTRIES, {**branching_quiz(), "eligible": texts("Other")})


def _added_comment(files: dict[str, str]) -> None:
    files["mirai.yaml"] = "# MIRAI, reviewed in May\n" + files["mirai.yaml"]


def version_after(directory: Path, edit: Edit | None) -> str:
    files = knowledge_files()
    if edit is not None:
        edit(files)
    quiz = load(directory, files).quiz("mirai")
    assert quiz is not None
    return quiz.version


def test_a_loaded_quiz_has_a_six_hex_digit_version_and_its_programme(linear, branching):
    """The loader stamps each quiz with its programme and a 6-hex-digit digest of its content."""
    assert re.fullmatch(r"[0-9a-f]{6}", linear.version)
    assert re.fullmatch(r"[0-9a-f]{6}", branching.version)
    assert (linear.programme, branching.programme) == ("mirai", "jet")
    assert linear.version != branching.version


@pytest.mark.parametrize(
    ("edit", "why"),
    [
        (_edit_quiz(_set(("questions", 1, "ask", "en"), "Are you enrolled?")), "a question's text"),
        (_edit_quiz(_set(("questions", 1, "ask", "nl"), "Bent u ingeschreven?")), "one translation of a question"),
        (_edit_quiz(_set(("questions", 0, "options", 1, "fails", "en"), "Belgians only.")), "a failure's reason"),
        (_edit_quiz(_set(("questions", 0, "options", 2, "check", "fr"), "Vérifiez.")), "a check's text"),
        (_edit_quiz(_set(("questions", 2, "options", 2), {"answer": "unsure"})), "an option's outcome"),
        (_edit_quiz(_set(("questions", 0, "options", 0, "then"), "age")), "where an option leads"),
        (_edit_quiz(lambda q: q["questions"][2]["options"].pop()), "an option removed"),
        (_edit_quiz(lambda q: q["questions"][0]["options"].reverse()), "the options reordered"),
        (_edit_quiz(lambda q: q["questions"].pop()), "a question removed"),
        (_edit_quiz(_set(("eligible", "en"), "Prepare these documents")), "the eligible text"),
    ],
)
def test_editing_the_quiz_changes_its_version(tmp_path, edit, why):
    """Any change to what a quiz asks or concludes gives a new version, so buttons in progress go stale."""
    assert version_after(tmp_path / "after", edit) != version_after(tmp_path / "before", None), why


@pytest.mark.parametrize(
    ("edit", "why"),
    [
        (None, "nothing"),
        (_edited_unrelated_entry, "an entry's answer"),
        (_edited_other_file, "another file and another programme's quiz"),
        (_added_comment, "a comment in the quiz's own file"),
    ],
)
def test_edits_outside_the_quiz_keep_its_version(tmp_path, edit, why):
    """Editing an entry, another programme's quiz or a comment keeps the version: quizzes in progress go on."""
    assert version_after(tmp_path / "after", edit) == version_after(tmp_path / "before", None), why


def test_the_version_does_not_depend_on_where_the_data_came_from(linear):
    """Re-stamping a loaded quiz gives the same version: it is a digest of the quiz, not of the load."""
    assert linear.with_version("mirai").version == linear.version
    assert copy.deepcopy(linear).with_version("elsewhere").version == linear.version
