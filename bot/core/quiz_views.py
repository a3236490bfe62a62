"""The quiz as the student sees it: one question per screen, then the verdict with its reasons.

The verdict's first message fits one phone screen: what is not met and what to check, each with its reason
as long as they fit, the met requirements as one count, and the reminder that it is only an indication.
Every question with the answer given sits behind "All requirements", rebuilt from the answers in the
button alone (``QuizRequirements``), like every other quiz state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from bot.core.errors import QuizError
from bot.core.i18n import N_, t
from bot.core.knowledge import KnowledgeBase
from bot.core.languages import Lang
from bot.core.markup import shown
from bot.core.quiz import Finding, Option, Progress, Quiz, Step, Verdict, replay, verdict
from bot.core.views import (
    Button,
    CancelQuiz,
    ChooseQuiz,
    OpenLink,
    QuizRequirements,
    QuizStep,
    Reply,
    ShowEntry,
    ShowMenu,
)

TIMING_ENTRY: Final = "programs.timing"
CONTACT_ENTRY: Final = "contact.embassy"
STANDARD_LABELS: Final = {"yes": N_("Yes"), "no": N_("No"), "unsure": N_("I'm not sure")}
VERDICT_SCREEN_CHARS: Final = 700
"""The verdict's first message as a reader sees it (``markup.shown``): one phone screen. Reasons that would
not fit are counted instead, and read under "All requirements"."""
INDICATION: Final = N_(
    "This is only an indication based on the published requirements, not a decision on your application."
)
MARKS: Final = {"pass": "✅", "fail": "❌", "check": "❔"}


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


def show_requirements(knowledge: KnowledgeBase, action: QuizRequirements, lang: Lang) -> Reply:
    """The "All requirements" list under a verdict; "expired" for a stale or unfinished state."""
    quiz = knowledge.quiz(action.programme_id)
    if quiz is None or quiz.version != action.version:
        return expired(knowledge, action.programme_id, lang)
    try:
        progress = replay(quiz, action.answers)
    except QuizError:
        return expired(knowledge, action.programme_id, lang)
    if not progress.finished:  # only a verdict has this button: anything else is not from us
        return expired(knowledge, action.programme_id, lang)
    return requirements_screen(knowledge, quiz, progress, lang)


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
    counter = t(lang, "Question {number} of {total}", number=progress.number, total=progress.total)
    text = f"**{_title(knowledge, quiz, lang)}**\n{counter}\n\n{question.ask[lang]}"
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
    """The verdict's first message: within one phone screen, whatever the path (see the module's docstring)."""
    result = verdict(progress)
    layout = _VerdictLayout.of(knowledge, quiz, result, lang)
    kept = set(range(len(layout.findings)))
    if len(shown(layout.text(kept))) > VERDICT_SCREEN_CHARS:
        # Failures first, then points to check, each in the quiz's order: a reason that does not fit is skipped
        # (a shorter one after it may still fit) and counted as "more under All requirements".
        kept = set()
        for index in range(len(layout.findings)):
            if len(shown(layout.text({*kept, index}))) <= VERDICT_SCREEN_CHARS:
                kept.add(index)
    return Reply(layout.text(kept), _verdict_buttons(knowledge, quiz, result, lang, summary=True))


def requirements_screen(knowledge: KnowledgeBase, quiz: Quiz, progress: Progress, lang: Lang) -> Reply:
    """The "All requirements" list: each question on the path with the answer given, its mark and reasons."""
    result = verdict(progress)
    reasons: dict[str, list[Finding]] = {}
    for finding in (*result.failures, *result.checks):
        reasons.setdefault(finding.question.id, []).append(finding)
    lines = [_requirement_block(step, reasons.get(step.question.id, []), lang) for step in result.steps]
    parts = [f"**{_title(knowledge, quiz, lang)}**", t(lang, "All requirements, with your answers:"), *lines]
    parts.append(t(lang, INDICATION))
    return Reply("\n\n".join(parts), _verdict_buttons(knowledge, quiz, result, lang, summary=False))


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


@dataclass(frozen=True, slots=True)
class _VerdictLayout:
    """The pieces of a verdict's first message, translated once, so that fitting it to the screen only joins."""

    head: tuple[str, ...]
    sections: tuple[tuple[str, tuple[str, ...]], ...]
    """Each heading ("Not met:", "To check:") with its finding lines; positions run on across the sections."""
    tail: tuple[str, ...]
    lang: Lang

    @classmethod
    def of(cls, knowledge: KnowledgeBase, quiz: Quiz, result: Verdict, lang: Lang) -> _VerdictLayout:
        sections = tuple(
            (t(lang, heading), tuple(_finding_line(knowledge, finding, lang) for finding in findings))
            for heading, findings in ((N_("Not met:"), result.failures), (N_("To check:"), result.checks))
        )
        tail: list[str] = []
        if result.status == "eligible":
            tail.append(quiz.eligible[lang].strip())
        elif met := sum(1 for step in result.steps if step.option.outcome == "pass"):
            tail.append(t(lang, "✅ Met: {count} of {total} points.", count=met, total=len(result.steps)))
        tail.append(t(lang, INDICATION))
        head = (f"**{_title(knowledge, quiz, lang)}**", _headline(result, lang))
        return cls(head, sections, tuple(tail), lang)

    @property
    def findings(self) -> tuple[str, ...]:
        return tuple(line for _, lines in self.sections for line in lines)

    def text(self, kept: set[int]) -> str:
        """The message with the reasons of the findings at positions ``kept``, the others counted."""
        parts = list(self.head)
        offset = 0
        for heading, lines in self.sections:
            shown_lines = [line for i, line in enumerate(lines, start=offset) if i in kept]
            if hidden := len(lines) - len(shown_lines):
                shown_lines.append("- " + t(self.lang, "{count} more under “All requirements”", count=hidden))
            if shown_lines:
                parts.append(heading + "\n" + "\n".join(shown_lines))
            offset += len(lines)
        return "\n\n".join((*parts, *self.tail))


def _requirement_block(step: Step, findings: list[Finding], lang: Lang) -> str:
    """One question: its mark, the question and the answer in bold, then its reasons on their own lines."""
    if findings:
        mark = MARKS["fail"] if any(f.kind == "fail" for f in findings) else MARKS["check"]
    else:
        # A passing answer, or one half of a joint failure (its reason is told at the other half).
        mark = MARKS["pass"] if step.option.outcome == "pass" else MARKS["fail"]
    head = f"{mark} {step.question.ask[lang]} **{option_label(step.option, lang)}**"
    return "\n".join((head, *(finding.reason[lang].strip() for finding in findings)))


def _verdict_buttons(
    knowledge: KnowledgeBase, quiz: Quiz, result: Verdict, lang: Lang, *, summary: bool
) -> tuple[tuple[Button, ...], ...]:
    """``summary``: the first message's buttons (answers to change instead, and "All requirements" last
    before Start again); otherwise the full list's, which keeps only the links onward."""
    rows: list[tuple[Button, ...]] = []
    answers_given = tuple(s.question.options.index(s.option) for s in result.steps)
    for step, alternative in result.alternatives if summary else ():
        position = next(i for i, s in enumerate(result.steps) if s is step)
        label = t(lang, "Answer “{answer}” instead", answer=option_label(alternative, lang))
        index = step.question.options.index(alternative)
        rows.append((Button(label, QuizStep(quiz.programme, quiz.version, (*answers_given[:position], index))),))
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
    if summary:
        rows.append(
            (Button(t(lang, "All requirements"), QuizRequirements(quiz.programme, quiz.version, answers_given)),)
        )
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


def _title(knowledge: KnowledgeBase, quiz: Quiz, lang: Lang) -> str:
    return t(lang, "Eligibility check: {programme}", programme=_programme_name(knowledge, quiz, lang))


def _programme_name(knowledge: KnowledgeBase, quiz: Quiz, lang: Lang) -> str:
    programme = knowledge.programme(quiz.programme)
    return programme.name[lang] if programme is not None else quiz.programme


def _topic(knowledge: KnowledgeBase, about: str | None, fallback: str, lang: Lang) -> str:
    entry = knowledge.get(about) if about else None
    return entry.title[lang] if entry is not None else fallback
