"""What the bot shows, independent of where: Telegram renders it as HTML and inline keyboards, the
console as text and numbered choices."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ShowEntry:
    entry_id: str


@dataclass(frozen=True, slots=True)
class ShowDetails:
    """An entry's "More details": what did not fit the first screen."""

    entry_id: str


@dataclass(frozen=True, slots=True)
class ShowSources:
    """An entry's "Sources": every source, with its year and link."""

    entry_id: str


@dataclass(frozen=True, slots=True)
class ShowProgramme:
    programme_id: str


@dataclass(frozen=True, slots=True)
class ShowMenu:
    below: bool = False
    """Send the menu as a new message below, keeping the one tapped (an answer worth keeping);
    otherwise the tapped menu is replaced in place."""


@dataclass(frozen=True, slots=True)
class ChooseQuiz:
    """Ask which programme's eligibility quiz to take."""


@dataclass(frozen=True, slots=True)
class QuizStep:
    """A quiz state: the programme, its quiz version, and the option chosen at each question so far."""

    programme_id: str
    version: str
    answers: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class QuizRequirements:
    """Under a verdict, "All requirements": every question of that finished state with the answer given."""

    programme_id: str
    version: str
    answers: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class CancelQuiz:
    pass


@dataclass(frozen=True, slots=True)
class OpenLink:
    """A button that opens an address (for example a deep link into the private chat)."""

    url: str


@dataclass(frozen=True, slots=True)
class ToggleSubscription:
    programme_id: str


@dataclass(frozen=True, slots=True)
class ShowSubscriptions:
    """The subscription toggles."""


@dataclass(frozen=True, slots=True)
class Unsubscribe:
    """From an alert's button: stop that programme's alerts."""

    programme_id: str


@dataclass(frozen=True, slots=True)
class ShowDeadlines:
    calendar: bool = False
    """Also send the windows as an .ics calendar file."""


@dataclass(frozen=True, slots=True)
class ChooseLanguage:
    language: str
    """en, fr, nl, or "auto" to follow the language of each message."""


@dataclass(frozen=True, slots=True)
class ForgetMe:
    confirmed: bool = False


@dataclass(frozen=True, slots=True)
class ConfirmBroadcast:
    broadcast_id: int


@dataclass(frozen=True, slots=True)
class ConfirmPageChange:
    """Staff's "Tell subscribers" under a change of the embassy's page."""

    change_id: int


Action = (
    ShowEntry
    | ShowDetails
    | ShowSources
    | ShowProgramme
    | ShowMenu
    | ChooseQuiz
    | QuizStep
    | QuizRequirements
    | CancelQuiz
    | ToggleSubscription
    | ShowSubscriptions
    | Unsubscribe
    | ShowDeadlines
    | ChooseLanguage
    | ForgetMe
    | ConfirmBroadcast
    | ConfirmPageChange
)
QUIZ_ACTIONS = (ChooseQuiz, QuizStep, QuizRequirements, CancelQuiz)


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    action: Action | OpenLink


@dataclass(frozen=True, slots=True)
class Reply:
    """A message: ``text`` in the staff markup of ``bot.core.markup`` (so it renders to HTML or plain
    text), and rows of buttons."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
