"""Button actions packed into Telegram's ``callback_data`` (64 bytes at most) and unpacked again.

Callback data comes back from the client and is never trusted: anything that is not exactly what
``pack`` produces unpacks to ``None``, and the handler answers "out of date" rather than guessing.
"""

from __future__ import annotations

import re
from typing import Final, assert_never

from bot.core.languages import Lang, is_lang
from bot.core.views import (
    Action,
    CancelQuiz,
    ChooseLanguage,
    ChooseQuiz,
    ConfirmBroadcast,
    ConfirmPageChange,
    ForgetMe,
    QuizRequirements,
    QuizStep,
    ShowDeadlines,
    ShowDetails,
    ShowEntry,
    ShowMenu,
    ShowProgramme,
    ShowSources,
    ShowSubscriptions,
    ToggleSubscription,
    Unsubscribe,
)

MAX_BYTES: Final = 64
_SEPARATOR: Final = "|"
_ID: Final = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)*")
_LANGUAGE_CHOICE: Final = re.compile(r"l\|(en|fr|nl|auto)")
_BROADCAST: Final = re.compile(r"b\|([1-9][0-9]{0,17})")
_PAGE_CHANGE: Final = re.compile(r"w\|([1-9][0-9]{0,17})")
_PROGRAMME: Final = re.compile(r"[a-z][a-z0-9_]{0,15}")
# Options are numbered 0-8 (a quiz question has at most 9), one digit per answer.
_QUIZ_STEP: Final = re.compile(
    r"(?P<kind>[qa])\|(?P<programme>[a-z][a-z0-9_]{0,15})\|(?P<version>[0-9a-f]{6})\|(?P<answers>[0-8]{0,24})"
)
"""``q``: a quiz state (its question, or its verdict); ``a``: "All requirements" of a finished state."""


class CallbackDataTooLong(ValueError):
    """An action does not fit Telegram's 64 bytes (an entry id far too long?)."""


def pack(action: Action, lang: Lang | None = None) -> str:
    """``lang`` is the language of the message the button is under, so a tap answers in it too."""
    if isinstance(action, ShowEntry):
        data = f"e{_SEPARATOR}{action.entry_id}"
    elif isinstance(action, ShowDetails):
        data = f"i{_SEPARATOR}{action.entry_id}"
    elif isinstance(action, ShowSources):
        data = f"r{_SEPARATOR}{action.entry_id}"
    elif isinstance(action, ShowProgramme):
        data = f"p{_SEPARATOR}{action.programme_id}"
    elif isinstance(action, ShowMenu):
        data = "M" if action.below else "m"
    elif isinstance(action, (QuizStep, QuizRequirements)):
        if any(not 0 <= a <= 8 for a in action.answers):
            raise ValueError(f"quiz answers are option positions 0-8, got {action.answers}")
        answers = "".join(str(a) for a in action.answers)
        kind = "q" if isinstance(action, QuizStep) else "a"
        data = _SEPARATOR.join((kind, action.programme_id, action.version, answers))
    elif isinstance(action, ChooseQuiz):
        data = "Q"
    elif isinstance(action, CancelQuiz):
        data = "x"
    elif isinstance(action, ToggleSubscription):
        data = f"s{_SEPARATOR}{action.programme_id}"
    elif isinstance(action, Unsubscribe):
        data = f"u{_SEPARATOR}{action.programme_id}"
    elif isinstance(action, ShowDeadlines):
        data = "D" if action.calendar else "d"
    elif isinstance(action, ShowSubscriptions):
        data = "S"
    elif isinstance(action, ChooseLanguage):
        data = f"l{_SEPARATOR}{action.language}"
    elif isinstance(action, ForgetMe):
        data = "F" if action.confirmed else "f"
    elif isinstance(action, ConfirmBroadcast):
        data = f"b{_SEPARATOR}{action.broadcast_id}"
    elif isinstance(action, ConfirmPageChange):
        data = f"w{_SEPARATOR}{action.change_id}"
    else:
        assert_never(action)
    if lang is not None:
        data = f"{data}{_SEPARATOR}{lang}"
    if len(data.encode()) > MAX_BYTES:
        raise CallbackDataTooLong(f"callback data {data!r} is over {MAX_BYTES} bytes")
    return data


def unpack(data: object) -> Action | None:
    return unpack_with_lang(data)[0]


def unpack_with_lang(data: object) -> tuple[Action | None, Lang | None]:
    """The action and the language of the button's message (None for buttons packed without one)."""
    if not isinstance(data, str) or not data or len(data.encode()) > MAX_BYTES:
        return None, None
    head, separator, tail = data.rpartition(_SEPARATOR)
    if separator and is_lang(tail) and (action := _unpack_action(head)) is not None:
        return action, tail
    # No language suffix, or one that is part of the action itself ("l|fr": choose French).
    return _unpack_action(data), None


def _unpack_action(data: str) -> Action | None:
    if data in {"m", "M"}:
        return ShowMenu(below=data == "M")
    if data == "Q":
        return ChooseQuiz()
    if data == "x":
        return CancelQuiz()
    if data in {"d", "D"}:
        return ShowDeadlines(calendar=data == "D")
    if data == "S":
        return ShowSubscriptions()
    if data in {"f", "F"}:
        return ForgetMe(confirmed=data == "F")
    if language := _LANGUAGE_CHOICE.fullmatch(data):
        return ChooseLanguage(language[1])
    if broadcast := _BROADCAST.fullmatch(data):
        return ConfirmBroadcast(int(broadcast[1]))
    if page_change := _PAGE_CHANGE.fullmatch(data):
        return ConfirmPageChange(int(page_change[1]))
    if quiz := _QUIZ_STEP.fullmatch(data):
        answers = tuple(int(a) for a in quiz["answers"])
        if quiz["kind"] == "q":
            return QuizStep(quiz["programme"], quiz["version"], answers)
        return QuizRequirements(quiz["programme"], quiz["version"], answers) if answers else None
    kind, _, value = data.partition(_SEPARATOR)
    if not _ID.fullmatch(value):
        return None
    if kind == "e":
        return ShowEntry(value)
    if kind == "i":
        return ShowDetails(value)
    if kind == "r":
        return ShowSources(value)
    if kind == "p":
        return ShowProgramme(value)
    if kind in {"s", "u"} and _PROGRAMME.fullmatch(value):
        return ToggleSubscription(value) if kind == "s" else Unsubscribe(value)
    return None
