"""A quiz as text for staff review (``python -m bot quiz-paths``): its questions and outcomes, and its paths."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from bot.core.knowledge import KnowledgeBase
from bot.core.languages import Lang
from bot.core.quiz import END, Quiz, paths, verdict
from bot.core.quiz_views import option_label

PATHS_SHOWN_BY_DEFAULT = 200


def review(knowledge: KnowledgeBase, quiz: Quiz, lang: Lang, *, all_paths: bool = False) -> Iterator[str]:
    programme = knowledge.programme(quiz.programme)
    yield f"Quiz: {programme.name[lang] if programme else quiz.programme} (version {quiz.version})"
    yield ""
    for number, question in enumerate(quiz.questions, start=1):
        about = f"  [{question.about}]" if question.about else ""
        yield f"{number}. {question.id}: {question.ask[lang]}{about}"
        for option in question.options:
            outcome = "passes"
            if option.fails is not None:
                outcome = f"FAILS: {option.fails[lang]}"
            elif option.check is not None:
                outcome = f"TO CHECK: {option.check[lang]}"
            following = quiz.next_after(question, option)
            then = "" if option.then is None else f" -> {following.id if following else END}"
            yield f"   - {option_label(option, lang)}: {outcome}{then}"
    for rule in quiz.fails_together:
        together = " and ".join(f"{question_id}={answer}" for question_id, answer in rule.answers.items())
        yield f"   Together, {together}: FAILS: {rule.fails[lang]}"
    every = list(paths(quiz))
    tally = Counter(verdict(p).status for p in every)
    yield ""
    summary = ", ".join(f"{count} {status.replace('_', ' ')}" for status, count in sorted(tally.items()))
    yield f"{len(every)} paths: {summary}"
    if len(every) > PATHS_SHOWN_BY_DEFAULT and not all_paths:
        yield f"(more than {PATHS_SHOWN_BY_DEFAULT} paths: add --all to list every one)"
        return
    yield ""
    for progress in every:
        result = verdict(progress)
        answers = ", ".join(f"{s.question.id}={s.option.answer}" for s in progress.steps)
        reasons = [f.question.id for f in result.failures] + [f"{c.question.id}?" for c in result.checks]
        detail = f" ({', '.join(reasons)})" if reasons else ""
        yield f"{answers} -> {result.status.replace('_', ' ').upper()}{detail}"
