"""The quiz as the student sees it: one question per screen, then the verdict with its reasons."""

from __future__ import annotations

from typing import Final

from bot.core.errors import QuizError
from bot.core.i18n import N_, t
from bot.core.knowledge import KnowledgeBase
from bot.core.languages import Lang
from bot.core.quiz import Finding, Option, Progress, Quiz, Verdict, replay, verdict
from bot.core.views import Button, CancelQuiz, ChooseQuiz, OpenLink, QuizStep, Reply, ShowEntry, ShowMenu

TIMING_ENTRY: Final = "programs.timing"
CONTACT_ENTRY: Final = "contact.embassy"
STANDARD_LABELS: Final = {"yes": N_("Yes"), "no": N_("No"), "unsure": N_("I'm not sure")}


def choose_programme(knowledge: KnowledgeBase, lang: Lang) -> Reply:
    buttons = tuple(
        (Button(programme.name[lang], QuizStep(programme.id, quiz.version)),)
        for programme in knowledge.programmes
        if (quiz := knowledge.quiz(programme.id)) is not None
    )
    text = t(lang, "**Eligibility check**\nWhich programme would you like to check?")
    return Reply(text, (*buttons, (Button(t(lang, "Cancel"), CancelQuiz()),)))


def start(knowledge: KnowledgeBase, programme_id: str | None, lang: Lang) -> Reply:
    """``/eligible [programme]``: that programme's first question, or the choice of programme."""
    quiz = knowledge.quiz(programme_id) if programme_id else None
    if quiz is None:
        return choose_programme(knowledge, lang)
    return show(knowledge, QuizStep(quiz.programme, quiz.version), lang)


def show(knowledge: KnowledgeBase, step: QuizStep, lang: Lang) -> Reply:
    """The screen for a quiz state: its current question, or the verdict; "expired" for a stale state."""
    quiz = knowledge.quiz(step.programme_id)
    if quiz is None or quiz.version != step.version:
        return expired(knowledge, step.programme_id, lang)
    try:
        progress = replay(quiz, step.answers)
    except QuizError:
        return expired(knowledge, step.programme_id, lang)
    if progress.current is None:
        return verdict_screen(knowledge, quiz, progress, lang)
    return question_screen(knowledge, quiz, progress, lang)


def finished_status(knowledge: KnowledgeBase, step: QuizStep) -> str | None:
    """The verdict status if this state ends the quiz (for the anonymous count in /stats), else None."""
    quiz = knowledge.quiz(step.programme_id)
    if quiz is None or quiz.version != step.version:
        return None
    try:
        progress = replay(quiz, step.answers)
    except QuizError:
        return None
    return verdict(progress).status if progress.finished else None


def question_screen(knowledge: KnowledgeBase, quiz: Quiz, progress: Progress, lang: Lang) -> Reply:
    question = progress.current
    assert question is not None
    name = _programme_name(knowledge, quiz, lang)
    counter = t(lang, "Question {number} of {total}", number=progress.number, total=progress.total)
    title = t(lang, "Eligibility check: {programme}", programme=name)
    text = f"**{title}**\n{counter}\n\n{question.ask[lang]}"
    answers = progress.answers
    options = tuple(
        (Button(option_label(option, lang), QuizStep(quiz.programme, quiz.version, (*answers, position))),)
        for position, option in enumerate(question.options)
    )
    navigation: list[Button] = []
    if answers:
        navigation.append(Button(t(lang, "◀ Back"), QuizStep(quiz.programme, quiz.version, answers[:-1])))
        navigation.append(Button(t(lang, "Start again"), QuizStep(quiz.programme, quiz.version)))
    navigation.append(Button(t(lang, "Cancel"), CancelQuiz()))
    return Reply(text, (*options, tuple(navigation)))


def verdict_screen(knowledge: KnowledgeBase, quiz: Quiz, progress: Progress, lang: Lang) -> Reply:
    result = verdict(progress)
    name = _programme_name(knowledge, quiz, lang)
    title = t(lang, "Eligibility check: {programme}", programme=name)
    parts = [f"**{title}**"]
    parts.append(_headline(result, lang))
    for heading, findings in ((N_("Not met:"), result.failures), (N_("To check:"), result.checks)):
        if findings:
            lines = [_finding_line(knowledge, finding, lang) for finding in findings]
            parts.append(t(lang, heading) + "\n" + "\n".join(lines))
    if result.status == "eligible":
        parts.append(quiz.eligible[lang].strip())
    answers = [f"- {step.question.ask[lang]} **{option_label(step.option, lang)}**" for step in result.steps]
    parts.append(t(lang, "Your answers:") + "\n" + "\n".join(answers))
    parts.append(
        t(
            lang,
            "This is only an indication based on the published requirements, not a decision on your application.",
        )
    )
    return Reply("\n\n".join(parts), _verdict_buttons(knowledge, quiz, result, lang))


def expired(knowledge: KnowledgeBase, programme_id: str, lang: Lang) -> Reply:
    text = t(lang, "This quiz has changed or expired since this message. Please start again.")
    quiz = knowledge.quiz(programme_id)
    restart: Button = (
        Button(t(lang, "Start again"), QuizStep(quiz.programme, quiz.version))
        if quiz is not None
        else Button(t(lang, "Check my eligibility"), ChooseQuiz())
    )
    return Reply(text, ((restart,), (Button(t(lang, "◀ Main menu"), ShowMenu()),)))


def private_only(lang: Lang, link: str | None) -> Reply:
    """In a group the answers (health, nationality…) would be public, and anyone could tap them."""
    text = t(lang, "For your privacy, the eligibility check runs in a private chat with me.")
    buttons = ((Button(t(lang, "Open a private chat"), OpenLink(link)),),) if link else ()
    return Reply(text, buttons)


def cancelled(lang: Lang) -> Reply:
    text = t(lang, "Eligibility check cancelled. Send /eligible to start again at any time.")
    return Reply(text, ((Button(t(lang, "◀ Main menu"), ShowMenu()),),))


def option_label(option: Option, lang: Lang) -> str:
    if option.label is not None:
        return option.label[lang]
    return t(lang, STANDARD_LABELS[option.answer])


def _headline(result: Verdict, lang: Lang) -> str:
    if result.status == "eligible":
        return t(lang, "✅ You appear to meet every requirement.")
    if result.status == "to_check":
        return t(lang, "❔ You may be eligible, but some points need checking first.")
    return t(lang, "❌ You do not appear to meet every requirement.")


def _verdict_buttons(
    knowledge: KnowledgeBase, quiz: Quiz, result: Verdict, lang: Lang
) -> tuple[tuple[Button, ...], ...]:
    rows: list[tuple[Button, ...]] = []
    for step, alternative in result.alternatives:
        position = next(i for i, s in enumerate(result.steps) if s is step)
        answers = (*(s.question.options.index(s.option) for s in result.steps[:position]),)
        label = t(lang, "Answer “{answer}” instead", answer=option_label(alternative, lang))
        index = step.question.options.index(alternative)
        rows.append((Button(label, QuizStep(quiz.programme, quiz.version, (*answers, index))),))
    linked: list[str] = []
    for finding in (*result.failures, *result.checks):
        about = finding.question.about
        if about is not None and about not in linked and about in knowledge.by_id:
            linked.append(about)
    rows.extend((Button(knowledge.entry(entry_id).title[lang], ShowEntry(entry_id)),) for entry_id in linked[:4])
    if result.status != "eligible" and CONTACT_ENTRY in knowledge.by_id:
        rows.append((Button(knowledge.entry(CONTACT_ENTRY).title[lang], ShowEntry(CONTACT_ENTRY)),))
    if result.status == "eligible" and TIMING_ENTRY in knowledge.by_id:
        rows.append((Button(knowledge.entry(TIMING_ENTRY).title[lang], ShowEntry(TIMING_ENTRY)),))
    if quiz.requirements is not None and quiz.requirements in knowledge.by_id and quiz.requirements not in linked:
        rows.append((Button(knowledge.entry(quiz.requirements).title[lang], ShowEntry(quiz.requirements)),))
    rows.append(
        (
            Button(t(lang, "Start again"), QuizStep(quiz.programme, quiz.version)),
            Button(t(lang, "◀ Main menu"), ShowMenu(below=True)),
        )
    )
    return tuple(rows)


def _finding_line(knowledge: KnowledgeBase, finding: Finding, lang: Lang) -> str:
    topic = _topic(knowledge, finding.question.about, finding.question.id, lang)
    return "- " + t(lang, "**{topic}**: {reason}", topic=topic, reason=finding.reason[lang])


def _programme_name(knowledge: KnowledgeBase, quiz: Quiz, lang: Lang) -> str:
    programme = knowledge.programme(quiz.programme)
    return programme.name[lang] if programme is not None else quiz.programme


def _topic(knowledge: KnowledgeBase, about: str | None, fallback: str, lang: Lang) -> str:
    entry = knowledge.get(about) if about else None
    return entry.title[lang] if entry is not None else fallback
