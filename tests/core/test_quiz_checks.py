"""check-knowledge on quizzes: each mistake in a quiz is reported with its file, its line and what is wrong."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml

from bot.core.loading import load_knowledge
from bot.core.quiz import MAX_DEPTH
from tests.core.fixtures import (
    MIRAI_ENTRIES,
    entry,
    knowledge_files,
    linear_quiz,
    only_problem,
    problems_of,
    programme_file,
    question,
    texts,
    write,
    yes_no_unsure,
)

Change = Callable[[dict[str, Any]], None]


def line_after(text: str, *needles: str) -> int:
    """The 1-based line of the last needle, each needle searched for below the line of the one before."""
    lines = text.splitlines()
    start = 0
    for needle in needles:
        start = next(i for i in range(start, len(lines)) if needle in lines[i]) + 1
    return start


def broken_mirai(change: Change) -> dict[str, str]:
    """The fixture folder with ``change`` applied to the MIRAI (linear) quiz."""
    quiz = linear_quiz()
    change(quiz)
    files = knowledge_files()
    files["mirai.yaml"] = programme_file("mirai", MIRAI_ENTRIES, quiz)
    return files


def option(question_index: int, option_index: int, **changes: Any) -> Change:
    def change(quiz: dict[str, Any]) -> None:
        quiz["questions"][question_index]["options"][option_index].update(changes)

    return change


def in_question(question_index: int, **changes: Any) -> Change:
    def change(quiz: dict[str, Any]) -> None:
        quiz["questions"][question_index].update(changes)

    return change


def add_option(question_index: int, new: dict[str, Any]) -> Change:
    def change(quiz: dict[str, Any]) -> None:
        quiz["questions"][question_index]["options"].append(new)

    return change


def every_option(question_index: int, **changes: Any) -> Change:
    def change(quiz: dict[str, Any]) -> None:
        for each in quiz["questions"][question_index]["options"]:
            each.update(changes)

    return change


def drop_translation(question_index: int, lang: str) -> Change:
    def change(quiz: dict[str, Any]) -> None:
        del quiz["questions"][question_index]["ask"][lang]

    return change


def test_the_fixture_quizzes_pass_every_check(tmp_path):
    """The linear and branching fixture quizzes load without a problem, so each failure below is the change."""
    knowledge = load_knowledge(write(tmp_path, knowledge_files()))

    assert len(knowledge.quizzes) == 2


@pytest.mark.parametrize(
    ("change", "where", "message"),
    [
        pytest.param(
            lambda quiz: quiz.update(requirements="mirai.nowhere"),
            ("requirements: mirai.nowhere",),
            "quiz: unknown entry id 'mirai.nowhere' in 'requirements'",
            id="unknown requirements entry",
        ),
        pytest.param(
            in_question(1, about="mirai.nowhere"),
            ("about: mirai.nowhere",),
            "quiz: question 'enrolment': unknown entry id 'mirai.nowhere' in 'about'",
            id="unknown about entry",
        ),
        pytest.param(
            option(0, 0, then="nowhere"),
            ("then: nowhere",),
            "quiz: question 'nationality', answer 'yes': 'then: nowhere' leads nowhere (no such question)",
            id="then to an unknown question",
        ),
        pytest.param(
            option(1, 1, instead="no"),
            ("id: enrolment", "instead:"),
            "quiz: question 'enrolment', answer 'no': 'instead: no' is not another answer here",
            id="instead to itself",
        ),
        pytest.param(
            option(1, 1, instead="cir"),
            ("id: enrolment", "instead: cir"),
            "quiz: question 'enrolment', answer 'no': 'instead: cir' is not another answer here",
            id="instead to an unknown answer",
        ),
        pytest.param(
            add_option(2, {"answer": "maybe"}),
            ("answer: maybe",),
            "quiz: question 'age', answer 'maybe': needs a 'label' (only yes, no, unsure have ready-made ones)",
            id="own answer without label",
        ),
        pytest.param(
            option(1, 1, check=texts("Check it")),
            ("id: enrolment", "answer: 'no'"),
            "quiz: question 'enrolment', answer 'no': has both 'fails' and 'check'; an answer either fails or is "
            "to check",
            id="fails and check together",
        ),
        pytest.param(
            in_question(2, id="nationality"),
            ("id: enrolment", "id: nationality"),
            "quiz: question id 'nationality' is used twice",
            id="duplicate question id",
        ),
        pytest.param(
            add_option(2, {"answer": "yes"}),
            ("id: age", "answer: unsure", "answer: 'yes'"),
            "quiz: question 'age', answer 'yes': the answer is listed twice",
            id="duplicate answer",
        ),
        pytest.param(
            every_option(0, then="age"),
            ("id: enrolment",),
            "quiz: question 'enrolment' can never be reached",
            id="unreachable question",
        ),
        pytest.param(
            option(2, 0, then="nationality"),
            ("id: nationality",),
            "quiz: a loop leads back to 'nationality'",
            id="then pointing back to the first question",
        ),
        pytest.param(
            option(2, 2, then="enrolment"),
            ("id: enrolment",),
            "quiz: a loop leads back to 'enrolment'",
            id="then pointing back to an earlier question",
        ),
        pytest.param(
            option(2, 2, then="age"),
            ("id: age",),
            "quiz: a loop leads back to 'age'",
            id="then pointing to its own question",
        ),
        pytest.param(
            drop_translation(1, "nl"),
            ("id: enrolment", "ask:"),
            "quiz.questions.1.ask.nl: missing translation 'nl'",
            id="missing translation in ask",
        ),
        pytest.param(
            option(0, 1, fail=texts("typo")),
            ("id: nationality", "fail:"),
            "quiz.questions.0.options.1.fail: unknown key 'fail' (a typo?); see knowledge/README.md for the keys",
            id="unknown key in an option",
        ),
        pytest.param(
            in_question(1, id="Enrolment"),
            ("id: Enrolment",),
            "quiz.questions.1.id: 'Enrolment' is not a valid value here (string should match pattern "
            "'^[a-z][a-z0-9_]*$')",
            id="question id not lowercase",
        ),
    ],
)
def test_a_quiz_mistake_is_reported_at_its_line(tmp_path, change, where, message):
    """Each mistake is the only problem reported, in mirai.yaml, at the line of the key at fault, said plainly."""
    files = broken_mirai(change)

    problem = only_problem(write(tmp_path, files))

    assert (problem.file, problem.line, problem.message) == (
        "mirai.yaml",
        line_after(files["mirai.yaml"], "quiz:", *where),
        message,
    )


def joint(answers: dict[str, str]) -> Change:
    def change(quiz: dict[str, Any]) -> None:
        quiz["fails_together"] = [{"answers": answers, "fails": texts("Both")}]

    return change


def test_a_sound_fails_together_rule_loads(tmp_path):
    """A rule naming two 'to check' answers of existing questions loads, and reaches the quiz."""
    knowledge = load_knowledge(write(tmp_path, broken_mirai(joint({"nationality": "unsure", "age": "unsure"}))))

    (rule,) = knowledge.quiz("mirai").fails_together
    assert rule.answers == {"nationality": "unsure", "age": "unsure"}


@pytest.mark.parametrize(
    ("answers", "where", "message"),
    [
        pytest.param(
            {"nationality": "unsure", "nowhere": "yes"},
            ("fails_together:", "nowhere:"),
            "quiz: fails_together 1: no question 'nowhere'",
            id="unknown question",
        ),
        pytest.param(
            {"nationality": "unsure", "age": "maybe"},
            ("fails_together:", "age:"),
            "quiz: fails_together 1: question 'age' has no answer 'maybe'",
            id="unknown answer",
        ),
        pytest.param(
            {"nationality": "unsure", "age": "no"},
            ("fails_together:", "age:"),
            "quiz: fails_together 1: question 'age', answer 'no' needs a 'check' (what it means alone)",
            id="an answer that already fails",
        ),
        pytest.param(
            {"nationality": "yes", "age": "unsure"},
            ("fails_together:", "nationality:"),
            "quiz: fails_together 1: question 'nationality', answer 'yes' needs a 'check' (what it means alone)",
            id="an answer that passes",
        ),
        pytest.param(
            {"nationality": "unsure"},
            ("fails_together:", "answers:"),
            "quiz.fails_together.0.answers: needs at least 2 items",
            id="a single answer",
        ),
    ],
)
def test_a_fails_together_mistake_is_reported_at_its_line(tmp_path, answers, where, message):
    """Each mistake in a fails_together rule is the only problem, at the line of the answer at fault."""
    files = broken_mirai(joint(answers))

    problem = only_problem(write(tmp_path, files))

    assert (problem.file, problem.line, problem.message) == (
        "mirai.yaml",
        line_after(files["mirai.yaml"], "quiz:", *where),
        message,
    )


def test_every_quiz_mistake_is_reported_not_only_the_first(tmp_path):
    """Several mistakes in one quiz are all reported, each at its own line."""

    def change(quiz: dict[str, Any]) -> None:
        in_question(0, about="mirai.nowhere")(quiz)
        option(1, 0, then="nowhere")(quiz)
        add_option(2, {"answer": "maybe"})(quiz)

    files = broken_mirai(change)
    text = files["mirai.yaml"]

    problems = problems_of(write(tmp_path, files))

    assert [(p.file, p.line) for p in problems] == [
        ("mirai.yaml", line_after(text, "about: mirai.nowhere")),
        ("mirai.yaml", line_after(text, "then: nowhere")),
        ("mirai.yaml", line_after(text, "answer: maybe")),
    ]


def test_a_quiz_in_a_file_without_programme_is_reported(tmp_path):
    """A quiz belongs to a programme: one in a file with no programme block is reported at its 'quiz:' line."""
    files = knowledge_files()
    general = yaml.safe_load(files["general.yaml"])
    general["quiz"] = linear_quiz()
    files["general.yaml"] = yaml.safe_dump(general, sort_keys=False, allow_unicode=True, width=100_000)
    files["mirai.yaml"] = programme_file("mirai", MIRAI_ENTRIES, None)

    problem = only_problem(write(tmp_path, files))

    assert (problem.file, problem.line, problem.message) == (
        "general.yaml",
        line_after(files["general.yaml"], "quiz:"),
        "a quiz belongs in a programme's file",
    )


def test_a_question_with_one_option_is_reported_at_its_options(tmp_path):
    """A question needs at least two options; one alone is reported at the question's 'options:' line."""
    files = broken_mirai(in_question(2, options=[{"answer": "yes"}]))

    problem = only_problem(write(tmp_path, files))

    assert (problem.file, problem.line) == ("mirai.yaml", line_after(files["mirai.yaml"], "id: age", "options:"))
    assert problem.message.startswith("quiz.questions.2.options: ")


def test_a_question_with_one_option_is_told_it_needs_two(tmp_path):
    """The message for a lone option says two are needed, not that the list 'must not be empty' (it is not)."""
    files = broken_mirai(in_question(2, options=[{"answer": "yes"}]))

    problem = only_problem(write(tmp_path, files))

    assert "must not be empty" not in problem.message
    assert "2" in problem.message.removeprefix("quiz.questions.2.options: ")


def test_a_question_with_too_many_options_is_reported(tmp_path):
    """More than nine options (one digit each in a button) is reported at the question's 'options:' line."""
    many = [{"answer": f"choice_{i}", "label": texts(f"Choice {i}")} for i in range(10)]
    files = broken_mirai(in_question(2, options=many))

    problem = only_problem(write(tmp_path, files))

    assert (problem.file, problem.line) == ("mirai.yaml", line_after(files["mirai.yaml"], "id: age", "options:"))
    assert "9" in problem.message


def test_an_invalid_sole_question_is_not_also_reported_as_an_empty_list(tmp_path):
    """A quiz whose only question lacks a translation gets that one problem, not also 'questions must not be empty'."""
    files = broken_mirai(lambda quiz: quiz.update(questions=quiz["questions"][:1]))
    quiz = yaml.safe_load(files["mirai.yaml"])
    del quiz["quiz"]["questions"][0]["ask"]["fr"]
    files["mirai.yaml"] = yaml.safe_dump(quiz, sort_keys=False, allow_unicode=True, width=100_000)

    problem = only_problem(write(tmp_path, files))

    assert problem.message == "quiz.questions.0.ask.fr: missing translation 'fr'"


def test_a_quiz_with_no_questions_is_reported(tmp_path):
    """An empty 'questions:' list is reported at its line."""
    files = broken_mirai(lambda quiz: quiz.update(questions=[]))

    problem = only_problem(write(tmp_path, files))

    assert (problem.line, problem.message) == (
        line_after(files["mirai.yaml"], "quiz:", "questions:"),
        "quiz.questions: must not be empty",
    )


def _chain(count: int) -> Change:
    def change(quiz: dict[str, Any]) -> None:
        quiz["questions"] = [question(f"q{i}", yes_no_unsure(f"q{i}")) for i in range(count)]

    return change


def test_a_path_as_deep_as_a_button_can_carry_loads(tmp_path):
    """A quiz of MAX_DEPTH questions in a row is fine: its deepest state still fits in callback data."""
    knowledge = load_knowledge(write(tmp_path, broken_mirai(_chain(MAX_DEPTH))))

    assert len(knowledge.quiz("mirai").questions) == MAX_DEPTH


def test_a_path_deeper_than_a_button_can_carry_is_reported(tmp_path):
    """A path of more than MAX_DEPTH questions is reported at the 'questions:' line with both numbers."""
    files = broken_mirai(_chain(MAX_DEPTH + 1))

    problem = only_problem(write(tmp_path, files))

    assert (problem.line, problem.message) == (
        line_after(files["mirai.yaml"], "quiz:", "questions:"),
        f"quiz: a path has {MAX_DEPTH + 1} questions; the most a quiz may ask is {MAX_DEPTH}",
    )


def test_an_unreachable_loop_is_reported_as_unreachable(tmp_path):
    """Questions only reachable from each other (a loop off the quiz's paths) are reported as never reached."""

    def change(quiz: dict[str, Any]) -> None:
        every_option(0, then="end")(quiz)
        option(2, 0, then="enrolment")(quiz)

    files = broken_mirai(change)
    text = files["mirai.yaml"]

    problems = problems_of(write(tmp_path, files))

    assert [(p.line, p.message) for p in problems] == [
        (line_after(text, "id: enrolment"), "quiz: question 'enrolment' can never be reached"),
        (line_after(text, "id: age"), "quiz: question 'age' can never be reached"),
    ]


def test_unquoted_yes_and_no_are_read_as_the_words(tmp_path):
    """Staff who forget to quote yes and no still get the answers 'yes' and 'no', not booleans."""
    files = knowledge_files()
    files["mirai.yaml"] = (
        files["mirai.yaml"].replace("answer: 'yes'", "answer: yes").replace("answer: 'no'", "answer: no")
    )
    assert "answer: yes\n" in files["mirai.yaml"]

    quiz = load_knowledge(write(tmp_path, files)).quiz("mirai")

    assert [o.answer for o in quiz.questions[0].options] == ["yes", "no", "unsure"]


def test_a_general_entry_can_be_a_quiz_question_about(tmp_path):
    """'about' may name any entry of the knowledge base, not only one of the programme's own file."""
    files = broken_mirai(in_question(1, about="general.passport"))
    files["general.yaml"] = yaml.safe_dump(
        {"entries": [entry("programs.timing"), entry("general.contact"), entry("general.passport")]},
        sort_keys=False,
        width=100_000,
    )

    knowledge = load_knowledge(write(tmp_path, files))

    assert knowledge.quiz("mirai").questions[1].about == "general.passport"


def test_instead_on_an_answer_that_does_not_fail_is_reported(tmp_path):
    """'instead' belongs with 'fails' (README); on a passing answer the verdict would offer a pointless change."""
    files = broken_mirai(option(0, 0, instead="no"))

    problem = only_problem(write(tmp_path, files))

    assert (problem.file, problem.line) == ("mirai.yaml", line_after(files["mirai.yaml"], "quiz:", "instead: 'no'"))
