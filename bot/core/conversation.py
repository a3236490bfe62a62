"""The bot's replies, built from the knowledge base and a match; shared by Telegram and the console.

Adapters call these with the user's language and render the ``Reply`` they get back; no adapter decides
what to say.
"""

from __future__ import annotations

import re
from typing import Final

from bot.core import quiz_views
from bot.core.i18n import t
from bot.core.knowledge import Entry, KnowledgeBase
from bot.core.languages import Lang
from bot.core.matching import Answer, MatchResult, Suggestions
from bot.core.views import (
    Action,
    Button,
    CancelQuiz,
    ChooseQuiz,
    QuizRequirements,
    QuizStep,
    Reply,
    ShowDetails,
    ShowEntry,
    ShowMenu,
    ShowProgramme,
    ShowSources,
)

CONTACT_ENTRY: Final = "contact.embassy"
QUIZ_ENTRY: Final = "bot.eligibility_quiz"
"""The entry that explains the quiz: it answers questions about it, but the menu offers the quiz itself
("Check my eligibility") rather than a second button that only describes it."""
MAX_RELATED: Final = 3
DEEP_LINK_MAX: Final = 64
"""Telegram's own limit on a start parameter; anything longer is not from a link of ours."""


def welcome(knowledge: KnowledgeBase, lang: Lang) -> Reply:
    text = t(
        lang,
        "**Welcome!** I am the exchange-programme assistant of the Embassy of Japan in Belgium.\n\n"
        "Ask me a question in your own words, in English, French or Dutch, or choose a topic below.",
    )
    return Reply(text, main_menu_buttons(knowledge, lang))


def main_menu_buttons(knowledge: KnowledgeBase, lang: Lang) -> tuple[tuple[Button, ...], ...]:
    rows: list[tuple[Button, ...]] = [
        tuple(Button(p.name[lang], ShowProgramme(p.id)) for p in knowledge.programmes),
    ]
    if knowledge.quizzes:
        rows.append((Button(t(lang, "✅ Check my eligibility"), ChooseQuiz()),))
    general = [e for e in knowledge.topics_of(None) if not (knowledge.quizzes and e.id == QUIZ_ENTRY)]
    rows.extend(_pairs([Button(entry.title[lang], ShowEntry(entry.id)) for entry in general]))
    return tuple(row for row in rows if row)


def deep_link(knowledge: KnowledgeBase, payload: str, lang: Lang) -> Reply:
    """``/start <payload>``: a programme or an entry id opens it; anything else opens the main menu."""
    payload = payload.strip().lower()
    if payload == "eligible" or payload.startswith("eligible-"):
        return quiz_views.start(knowledge, payload.removeprefix("eligible").removeprefix("-") or None, lang)
    if len(payload) <= DEEP_LINK_MAX:
        if knowledge.programme(payload) is not None:
            return programme_menu(knowledge, payload, lang)
        entry = knowledge.get(payload.replace("-", "."))
        if entry is not None and entry.is_answer:
            return entry_reply(knowledge, entry, lang)
    return welcome(knowledge, lang)


def programme_menu(knowledge: KnowledgeBase, programme_id: str, lang: Lang) -> Reply:
    programme = knowledge.programme(programme_id)
    if programme is None:
        return stale_button(knowledge, lang)
    text = f"**{programme.name[lang]}**\n{programme.summary[lang]}\n\n" + t(lang, "Choose a topic:")
    buttons = _pairs([Button(e.title[lang], ShowEntry(e.id)) for e in knowledge.topics_of(programme_id)])
    quiz = knowledge.quiz(programme_id)
    if quiz is not None:
        buttons.insert(0, (Button(t(lang, "✅ Check my eligibility"), QuizStep(quiz.programme, quiz.version)),))
    return Reply(text, (*buttons, (Button(t(lang, "◀ Main menu"), ShowMenu()),)))


def entry_reply(knowledge: KnowledgeBase, entry: Entry, lang: Lang) -> Reply:
    """An entry's answer, short enough for one phone screen, with its main source on one line; "More
    details" and "Sources" buttons when there is more, then up to three related topics."""
    parts = [entry.answer[lang].strip()]
    if entry.kind != "smalltalk":  # a greeting reads oddly under a bold "Hello" title
        parts.insert(0, f"**{entry.title[lang]}**")
    if (line := _main_source_line(entry, lang)) is not None:
        parts.append(line)
    related = [knowledge.by_id[r] for r in entry.related if r in knowledge.by_id][:MAX_RELATED]
    if entry.kind == "redirect" and CONTACT_ENTRY in knowledge.by_id and not related:
        related = [knowledge.entry(CONTACT_ENTRY)]
    buttons: tuple[tuple[Button, ...], ...] = tuple((Button(r.title[lang], ShowEntry(r.id)),) for r in related)
    if more := _more_buttons(entry, lang, details=True):
        buttons = (more, *buttons)
    if entry.kind != "smalltalk":
        buttons = (*buttons, (Button(t(lang, "◀ Main menu"), ShowMenu(below=True)),))
    return Reply("\n\n".join(parts), buttons)


def details_reply(knowledge: KnowledgeBase, entry: Entry, lang: Lang) -> Reply:
    """An entry's "More details": the detail text under the entry's title, with the same main source line."""
    if entry.details is None:
        return stale_button(knowledge, lang)
    parts = [t(lang, "**{title}** (more details)", title=entry.title[lang]), entry.details[lang].strip()]
    if (line := _main_source_line(entry, lang)) is not None:
        parts.append(line)
    more = _more_buttons(entry, lang, details=False)
    menu = (Button(t(lang, "◀ Main menu"), ShowMenu(below=True)),)
    return Reply("\n\n".join(parts), (more, menu) if more else (menu,))


def sources_reply(knowledge: KnowledgeBase, entry: Entry, lang: Lang) -> Reply:
    """An entry's "Sources": every source it rests on, main one first, each with its year and link."""
    if not entry.sources:
        return stale_button(knowledge, lang)
    heading = t(lang, "**{title}** (sources)", title=entry.title[lang])
    lines = [f"- {_source_link(s.title, s.url)} ({s.as_of_in(lang)})" for s in entry.sources]
    buttons: list[tuple[Button, ...]] = []
    if entry.details is not None:
        buttons.append((Button(t(lang, "More details"), ShowDetails(entry.id)),))
    buttons.append((Button(t(lang, "◀ Main menu"), ShowMenu(below=True)),))
    return Reply(heading + "\n" + "\n".join(lines), tuple(buttons))


def _main_source_line(entry: Entry, lang: Lang) -> str | None:
    source = entry.main_source
    if source is None:
        return None
    return t(
        lang, "Source: {source} ({as_of})", source=_source_link(source.title, source.url), as_of=source.as_of_in(lang)
    )


def _more_buttons(entry: Entry, lang: Lang, *, details: bool) -> tuple[Button, ...]:
    """'More details' (when asked for and the entry has them) and 'Sources' (when there is more than the one
    shown), side by side: one row, so the answer's own buttons stay in view."""
    row: list[Button] = []
    if details and entry.details is not None:
        row.append(Button(t(lang, "More details"), ShowDetails(entry.id)))
    if len(entry.sources) > 1:
        row.append(Button(t(lang, "Sources ({count})", count=len(entry.sources)), ShowSources(entry.id)))
    return tuple(row)


def reply_to_question(knowledge: KnowledgeBase, result: MatchResult, lang: Lang) -> Reply:
    if isinstance(result, Answer):
        return entry_reply(knowledge, result.entry, lang)
    if isinstance(result, Suggestions) and result.theme is not None:
        text = t(lang, "The answer depends on the programme. Which one do you mean?")
        buttons = tuple(
            (Button(_programme_label(knowledge, c.entry, lang), ShowEntry(c.entry.id)),) for c in result.candidates
        )
        return Reply(text, buttons)
    if isinstance(result, Suggestions):
        text = t(lang, "I am not sure I understood. Did you mean one of these?")
        buttons = tuple((Button(c.entry.title[lang], ShowEntry(c.entry.id)),) for c in result.candidates)
        return Reply(text, buttons)
    return fallback(knowledge, lang)


def fallback(knowledge: KnowledgeBase, lang: Lang) -> Reply:
    """The honest "I don't know": what the bot can help with, and who can answer instead."""
    names = ", ".join(p.name[lang] for p in knowledge.programmes)
    text = t(
        lang,
        "Sorry, I don't know the answer to that. I can help with questions about the exchange programmes "
        "offered through the Embassy of Japan in Belgium: {programmes}.\n\n"
        "For anything else, please contact the embassy.",
        programmes=names,
    )
    rows: list[tuple[Button, ...]] = [tuple(Button(p.name[lang], ShowProgramme(p.id)) for p in knowledge.programmes)]
    contact = knowledge.get(CONTACT_ENTRY)
    if contact is not None:
        rows.append((Button(contact.title[lang], ShowEntry(contact.id)),))
    return Reply(text, tuple(rows))


def help_reply(lang: Lang) -> Reply:
    text = t(
        lang,
        "**How to use this bot**\n"
        "Ask any question about MIRAI or the JET Programme in English, French or Dutch.\n\n"
        "- /start: the main menu\n"
        "- /eligible: check your eligibility, question by question\n"
        "- /cancel: stop the eligibility check\n"
        "- /help: this message",
    )
    return Reply(text, ((Button(t(lang, "◀ Main menu"), ShowMenu(below=True)),),))


def not_text(lang: Lang) -> Reply:
    return Reply(
        t(lang, "I can only read text messages. Ask me a question in words, or send /help."),
    )


def no_words(lang: Lang) -> Reply:
    return Reply(t(lang, "Please ask your question in words, in English, French or Dutch."))


def unknown_command(lang: Lang) -> Reply:
    return Reply(t(lang, "I don't know that command. Send /help to see what I can do."))


def respond_to(knowledge: KnowledgeBase, action: Action | None, lang: Lang) -> Reply:
    """What a tap on a button shows; an unknown or out-of-date button shows the menu and says so."""
    if isinstance(action, ShowEntry) and (entry := knowledge.get(action.entry_id)) is not None:
        return entry_reply(knowledge, entry, lang)
    if isinstance(action, ShowDetails) and (entry := knowledge.get(action.entry_id)) is not None:
        return details_reply(knowledge, entry, lang)
    if isinstance(action, ShowSources) and (entry := knowledge.get(action.entry_id)) is not None:
        return sources_reply(knowledge, entry, lang)
    if isinstance(action, ShowProgramme) and knowledge.programme(action.programme_id) is not None:
        return programme_menu(knowledge, action.programme_id, lang)
    if isinstance(action, ShowMenu):
        return welcome(knowledge, lang)
    if isinstance(action, ChooseQuiz):
        return quiz_views.choose_programme(knowledge, lang)
    if isinstance(action, QuizStep):
        return quiz_views.show(knowledge, action, lang)
    if isinstance(action, QuizRequirements):
        return quiz_views.show_requirements(knowledge, action, lang)
    if isinstance(action, CancelQuiz):
        return quiz_views.cancelled(lang)
    return stale_button(knowledge, lang)


def private_chat_only(lang: Lang) -> Reply:
    return Reply(t(lang, "Please send me this command in a private chat."))


def stale_button(knowledge: KnowledgeBase, lang: Lang) -> Reply:
    return Reply(
        t(lang, "This button is out of date. Here is the menu again."),
        main_menu_buttons(knowledge, lang),
    )


def _programme_label(knowledge: KnowledgeBase, entry: Entry, lang: Lang) -> str:
    programme = knowledge.programme(entry.programme) if entry.programme else None
    return programme.name[lang] if programme is not None else entry.title[lang]


def _source_link(title: str, url: str | None) -> str:
    clean = re.sub(r"[\[\]]", "", title)
    return f"[{clean}]({url})" if url else clean


def _pairs(buttons: list[Button]) -> list[tuple[Button, ...]]:
    return [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
