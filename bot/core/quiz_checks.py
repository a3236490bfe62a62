"""What ``check-knowledge`` verifies in a quiz beyond its shape: links, reachability, loops, wording."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from bot.core.errors import Problem
from bot.core.quiz import END, MAX_DEPTH, STANDARD_ANSWERS, Quiz

LineOf = Callable[[Iterable[str | int]], int]


def check_quiz(quiz: Quiz, entry_ids: set[str], file: str, line_of: LineOf) -> list[Problem]:
    problems: list[Problem] = []

    def report(path: tuple[str | int, ...], message: str) -> None:
        problems.append(Problem(file, line_of(("quiz", *path)), f"quiz: {message}"))

    if quiz.requirements is not None and quiz.requirements not in entry_ids:
        report(("requirements",), f"unknown entry id '{quiz.requirements}' in 'requirements'")
    question_ids = [q.id for q in quiz.questions]
    for index, question in enumerate(quiz.questions):
        at: tuple[str | int, ...] = ("questions", index)
        if question.id == END:
            report((*at, "id"), f"'{END}' is reserved for 'then: {END}'; choose another question id")
        if question_ids.index(question.id) != index:
            report((*at, "id"), f"question id '{question.id}' is used twice")
        if question.about is not None and question.about not in entry_ids:
            report((*at, "about"), f"question '{question.id}': unknown entry id '{question.about}' in 'about'")
        answers = [o.answer for o in question.options]
        for position, option in enumerate(question.options):
            here = (*at, "options", position)
            name = f"question '{question.id}', answer '{option.answer}'"
            if answers.index(option.answer) != position:
                report(here, f"{name}: the answer is listed twice")
            if option.label is None and option.answer not in STANDARD_ANSWERS:
                report(here, f"{name}: needs a 'label' (only {', '.join(STANDARD_ANSWERS)} have ready-made ones)")
            if option.fails is not None and option.check is not None:
                report(here, f"{name}: has both 'fails' and 'check'; an answer either fails or is to check")
            if option.then is not None and option.then != END and option.then not in question_ids:
                report((*here, "then"), f"{name}: 'then: {option.then}' leads nowhere (no such question)")
            if option.instead is not None and (option.instead == option.answer or option.instead not in answers):
                report((*here, "instead"), f"{name}: 'instead: {option.instead}' is not another answer here")
            if option.instead is not None and option.fails is None:
                report((*here, "instead"), f"{name}: 'instead' goes with 'fails' (it offers another answer)")
    for index, rule in enumerate(quiz.fails_together):
        for path, message in _joint_failure_issues(quiz, index, rule.answers):
            report(path, message)
    if problems:
        return problems  # reachability needs sound links

    # The questions form a graph (an edge per distinct "what comes next"); it must be acyclic, every
    # question reachable from the first, and no path deeper than a button can carry.
    edges: dict[str, set[str]] = {}
    for question in quiz.questions:
        edges[question.id] = {n.id for o in question.options if (n := quiz.next_after(question, o)) is not None}
    depth: dict[str, int] = {}
    visiting: set[str] = set()

    def longest_from(question_id: str) -> int | None:
        """Questions on the longest path from here; None after reporting a loop."""
        if question_id in depth:
            return depth[question_id]
        if question_id in visiting:
            report(("questions", question_ids.index(question_id)), f"a loop leads back to '{question_id}'")
            return None
        visiting.add(question_id)
        longest = 0
        for following in sorted(edges[question_id]):
            below = longest_from(following)
            if below is None:
                return None
            longest = max(longest, below)
        visiting.discard(question_id)
        depth[question_id] = longest + 1
        return depth[question_id]

    longest = longest_from(quiz.questions[0].id)
    if longest is None:
        return problems
    if longest > MAX_DEPTH:
        report(("questions",), f"a path has {longest} questions; the most a quiz may ask is {MAX_DEPTH}")
    for index, question in enumerate(quiz.questions):
        if question.id not in depth:
            report(("questions", index), f"question '{question.id}' can never be reached")
    return problems


def _joint_failure_issues(
    quiz: Quiz, index: int, answers: dict[str, str]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Each answer a ``fails_together`` rule names exists and is a point to check on its own (not a pass or a fail)."""
    name = f"fails_together {index + 1}"
    for question_id, answer in answers.items():
        at: tuple[str | int, ...] = ("fails_together", index, "answers", question_id)
        question = quiz.question(question_id)
        option = question.option(answer) if question is not None else None
        if question is None:
            yield at, f"{name}: no question '{question_id}'"
        elif option is None:
            yield at, f"{name}: question '{question_id}' has no answer '{answer}'"
        elif option.check is None:
            # Alone, the answer must leave the requirement to check; a pass or a fail would make the rule moot.
            yield at, f"{name}: question '{question_id}', answer '{answer}' needs a 'check' (what it means alone)"
