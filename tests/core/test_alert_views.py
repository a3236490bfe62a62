"""What subscribers read: alert messages, the subscription toggles, the deadlines list and the .ics calendar file.

The knowledge base is the quiz fixture of test_quiz.py (MIRAI and JET with quizzes and requirements entries, a
third programme without a quiz, and a ``programs.timing`` entry); windows are built here and every "now" is an
explicit instant.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from bot.core import markup
from bot.core.alert_views import (
    alert_message,
    days_left_text,
    deadlines,
    page_watch_promise,
    subscribed_note,
    subscriptions_menu,
    unknown_programme,
    unsubscribed_all_note,
    unsubscribed_note,
    when,
)
from bot.core.alerts import Alert, plan
from bot.core.calendar_file import PRODUCT_ID, calendar_file
from bot.core.i18n import t
from bot.core.knowledge import KnowledgeBase
from bot.core.languages import LANGUAGES
from bot.core.text import Text
from bot.core.views import (
    QuizStep,
    Reply,
    ShowDeadlines,
    ShowEntry,
    ShowMenu,
    ShowSubscriptions,
    ToggleSubscription,
    Unsubscribe,
)
from bot.core.windows import Window, WindowSpec, resolve
from tests.core.fixtures import load

BRUSSELS = ZoneInfo("Europe/Brussels")
GROUP_1 = Text(en="Group 1 (Politics)", fr="Groupe 1 (politique)", nl="Groep 1 (politiek)")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """An instant in UTC."""
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def window(
    programme: str = "mirai",
    opens: datetime | date = date(2026, 11, 1),
    closes: datetime | date = date(2026, 12, 1),
    *,
    window_id: str = "2026",
    title: Text | None = None,
) -> Window:
    """A window written as staff would, resolved in Brussels (default: 1 November to the end of 1 December 2026)."""
    spec = WindowSpec(id=window_id, opens=opens, closes=closes, title=title, programme=programme)
    return resolve(spec, BRUSSELS)


OPENS = utc(2026, 10, 31, 23)  # 1 November 2026, 00:00 CET
CLOSES = utc(2026, 12, 1, 23)  # the end of 1 December 2026, CET


@pytest.fixture
def knowledge(tmp_path: Path) -> KnowledgeBase:
    """MIRAI and JET with quizzes, "other" without one, and the programs.timing entry."""
    return load(tmp_path)


def alert(kind: str, days_before: int = 0, the_window: Window | None = None) -> Alert:
    """The planned alert of that kind (and days) for the window."""
    alerts = plan([the_window or window()], (7, 1))
    return next(a for a in alerts if a.kind == kind and a.days_before == days_before)


def actions(reply: Reply) -> list[object]:
    return [button.action for row in reply.buttons for button in row]


def labels(reply: Reply) -> list[str]:
    return [button.label for row in reply.buttons for button in row]


# --- dates in the reader's language ----------------------------------------------------------------------

# (language, the closing date as shown, the opening date as shown, "1 day left", "7 days left")
LOCALISED = [
    ("en", "Tuesday, December 1, 2026 (end of day)", "Sunday, November 1, 2026", "1 day left", "7 days left"),
    ("fr", "mardi 1 décembre 2026 (fin de journée)", "dimanche 1 novembre 2026", "encore 1 jour", "encore 7 jours"),
    ("nl", "dinsdag 1 december 2026 (einde van de dag)", "zondag 1 november 2026", "nog 1 dag", "nog 7 dagen"),
]


@pytest.mark.parametrize(("lang", "closing", "opening", "one_day", "seven_days"), LOCALISED)
def test_dates_and_days_left_are_written_in_the_readers_language(lang, closing, opening, one_day, seven_days):
    """A closing at midnight shows as the day before "(end of day)", an opening as its day, days with a plural."""
    assert when(CLOSES, BRUSSELS, lang, closing=True) == closing
    assert when(OPENS, BRUSSELS, lang) == opening
    assert days_left_text(1, lang) == one_day
    assert days_left_text(7, lang) == seven_days


@pytest.mark.parametrize(
    ("instant", "closing", "expected"),
    [
        (utc(2026, 10, 25, 23), True, "Sunday, October 25, 2026 (end of day)"),  # the DST day's end is CET midnight
        (utc(2026, 3, 29, 22), True, "Sunday, March 29, 2026 (end of day)"),  # ...and CEST midnight in March
        (utc(2026, 10, 1, 7), False, "Thursday 1 October 2026, 09:00"),  # a time of day is shown with its time
        (utc(2026, 11, 20, 16), True, "Friday 20 November 2026, 17:00"),  # a closing at 17:00 is not "end of day"
    ],
)
def test_when_shows_brussels_time_and_whole_days(instant, closing, expected):
    """``when`` turns an instant into Brussels time: a whole day by its date, otherwise with the time."""
    assert when(instant, BRUSSELS, "en", closing=closing) == expected


# --- alert messages ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "closing", "_opening", "_one", "_seven"), LOCALISED)
def test_the_opening_alert_names_the_programme_the_deadline_and_the_days_left(
    knowledge, lang, closing, _opening, _one, _seven
):
    """The opening alert names the programme, the closing date in the reader's language and the days left."""
    reply = alert_message(knowledge, alert("opens"), BRUSSELS, OPENS, lang)

    assert t(lang, "📢 **Applications are open: {programme}**", programme=f"MIRAI ({lang})") in reply.text
    assert closing in reply.text
    assert days_left_text(31, lang) in reply.text  # from 1 November 00:00 to the end of 1 December


@pytest.mark.parametrize(("lang", "closing", "_opening", "one_day", "seven_days"), LOCALISED)
@pytest.mark.parametrize("days_before", [7, 1])
def test_a_reminder_names_the_programme_the_deadline_and_singular_or_plural_days_left(
    knowledge, lang, closing, _opening, one_day, seven_days, days_before
):
    """A reminder names the programme and the closing date, with "7 days left" or the singular "1 day left"."""
    reminder = alert("reminder", days_before)

    reply = alert_message(knowledge, reminder, BRUSSELS, reminder.due, lang)

    assert t(lang, "⏰ **Deadline soon: {programme}**", programme=f"MIRAI ({lang})") in reply.text
    assert closing in reply.text
    assert (one_day if days_before == 1 else seven_days) in reply.text
    if days_before == 1:
        assert seven_days not in reply.text


def test_a_late_alert_counts_the_days_left_from_when_it_is_sent(knowledge):
    """An alert caught up after downtime says how many days are left now, not when it fell due."""
    reminder = alert("reminder", 7)
    sent_at = reminder.due + timedelta(days=4)

    reply = alert_message(knowledge, reminder, BRUSSELS, sent_at, "en")

    assert "3 days left" in reply.text


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(("kind", "days_before"), [("opens", 0), ("reminder", 7), ("reminder", 1)])
def test_an_alert_carries_requirements_quiz_unsubscribe_and_main_menu(knowledge, lang, kind, days_before):
    """Every alert offers the requirements entry, the eligibility quiz, "Unsubscribe" and the main menu, in order."""
    mirai_quiz = knowledge.quiz("mirai")
    assert mirai_quiz is not None
    the_alert = alert(kind, days_before)

    reply = alert_message(knowledge, the_alert, BRUSSELS, the_alert.due, lang)

    assert actions(reply) == [
        ShowEntry("mirai.requirements"),
        QuizStep("mirai", mirai_quiz.version),
        Unsubscribe("mirai"),
        ShowMenu(below=True),
    ]
    assert labels(reply) == [
        knowledge.entry("mirai.requirements").title[lang],
        t(lang, "✅ Check my eligibility"),
        t(lang, "🔕 Unsubscribe"),
        t(lang, "◀ Main menu"),
    ]
    assert all(len(row) == 1 for row in reply.buttons)


def test_an_alert_of_a_programme_without_a_quiz_still_offers_unsubscribe_and_the_menu(knowledge):
    """A programme without a quiz has no requirements or quiz button, but "Unsubscribe" is always there."""
    the_alert = alert("opens", the_window=window("other"))

    reply = alert_message(knowledge, the_alert, BRUSSELS, the_alert.due, "en")

    assert actions(reply) == [Unsubscribe("other"), ShowMenu(below=True)]
    assert "OTHER (en)" in reply.text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_alert_shows_the_windows_title_in_the_readers_language(knowledge, lang):
    """A titled window (one of several groups) says which one the alert is about."""
    the_alert = alert("opens", the_window=window(title=GROUP_1))

    reply = alert_message(knowledge, the_alert, BRUSSELS, the_alert.due, lang)

    assert GROUP_1[lang] in reply.text
    assert not any(GROUP_1[other] in reply.text for other in LANGUAGES if GROUP_1[other] != GROUP_1[lang])


def test_an_alert_of_a_window_closing_at_a_time_shows_that_time(knowledge):
    """A window closing at 17:00 says 17:00, not "end of day"."""
    the_alert = alert("reminder", 1, window(closes=datetime(2026, 12, 1, 17, 0)))

    reply = alert_message(knowledge, the_alert, BRUSSELS, the_alert.due, "en")

    assert "Tuesday 1 December 2026, 17:00" in reply.text
    assert "end of day" not in reply.text


# --- the subscription toggles ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subscribed", "marks"),
    [
        ((), ["☐ JET (en)", "☐ MIRAI (en)", "☐ OTHER (en)"]),
        (("mirai",), ["☐ JET (en)", "✅ MIRAI (en)", "☐ OTHER (en)"]),
        (("jet", "other", "mirai"), ["✅ JET (en)", "✅ MIRAI (en)", "✅ OTHER (en)"]),
        (("mirai", "gone"), ["☐ JET (en)", "✅ MIRAI (en)", "☐ OTHER (en)"]),  # a removed programme is not shown
    ],
)
def test_the_toggles_show_which_programmes_are_subscribed(knowledge, subscribed, marks):
    """One toggle per programme, ✅ when subscribed and ☐ when not, then a button to the deadlines."""
    reply = subscriptions_menu(knowledge, subscribed, "en")

    assert labels(reply) == [*marks, t("en", "📅 Deadlines")]
    assert actions(reply) == [
        ToggleSubscription("jet"),
        ToggleSubscription("mirai"),
        ToggleSubscription("other"),
        ShowDeadlines(),
    ]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_toggles_speak_the_readers_language_and_show_a_note_first(knowledge, lang):
    """The menu's text and programme names are in the reader's language; a note (what just happened) comes first."""
    note = unsubscribed_note(knowledge, "mirai", lang)

    reply = subscriptions_menu(knowledge, ["mirai"], lang, note)

    assert reply.text.startswith(note + "\n\n")
    assert f"✅ MIRAI ({lang})" in labels(reply)
    assert f"MIRAI ({lang})" in note


@pytest.mark.parametrize("lang", LANGUAGES)
def test_unsubscribe_notes_are_translated(knowledge, lang):
    """The notes after unsubscribing from one programme or from all are in the reader's language."""
    assert unsubscribed_note(knowledge, "jet", lang) == t(
        lang, "You will no longer get alerts about {programme}.", programme=f"JET ({lang})"
    )
    assert unsubscribed_all_note(lang) == t(lang, "You will no longer get any deadline alerts.")


def test_an_unknown_programme_lists_the_known_ones(knowledge):
    """``/subscribe nowhere`` is told the programme does not exist and which ones do (the typed name is marked
    as the user's text, shown as is)."""
    assert markup.to_plain(unknown_programme(knowledge, "nowhere", "en")) == (
        "There is no programme called “nowhere”. Choose one below (jet, mirai, other)."
    )


# --- what a new subscriber is told at once -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("windows", "now", "expected"),
    [
        pytest.param(
            [window()],
            utc(2026, 11, 10),
            "✅ Subscribed to MIRAI (en). Applications are open now, until Tuesday, December 1, 2026 (end of day).",
            id="open",
        ),
        pytest.param(
            [window()],
            utc(2026, 10, 1),
            "✅ Subscribed to MIRAI (en). Applications open on Sunday, November 1, 2026; you will be told.",
            id="upcoming",
        ),
        pytest.param(
            [window(opens=date(2027, 3, 1), closes=date(2027, 3, 31), window_id="b"), window()],
            utc(2026, 10, 1),
            "✅ Subscribed to MIRAI (en). Applications open on Sunday, November 1, 2026; you will be told.",
            id="the-next-of-two-upcoming",
        ),
        pytest.param(
            [window(), window(opens=date(2027, 3, 1), closes=date(2027, 3, 31), window_id="b")],
            utc(2026, 12, 15),
            "✅ Subscribed to MIRAI (en). Applications open on Monday, March 1, 2027; you will be told.",
            id="after-one-closed-the-next",
        ),
        pytest.param(
            [],
            utc(2026, 10, 1),
            "✅ Subscribed to MIRAI (en). This bot has no current application dates; once staff enter them, you "
            "will be told when applications open.",
            id="none",
        ),
        pytest.param(
            [window()],
            CLOSES,
            "✅ Subscribed to MIRAI (en). This bot has no current application dates; once staff enter them, you "
            "will be told when applications open.",
            id="only-a-closed-one",
        ),
        pytest.param(
            [window("jet")],
            utc(2026, 11, 10),
            "✅ Subscribed to MIRAI (en). This bot has no current application dates; once staff enter them, you "
            "will be told when applications open.",
            id="only-another-programmes",
        ),
    ],
)
def test_subscribing_says_at_once_whether_applications_are_open(knowledge, windows, now, expected):
    """A new subscriber is told the window open now, else the next one, else honestly that no dates are known."""
    assert subscribed_note(knowledge, "mirai", windows, BRUSSELS, now, "en") == expected


@pytest.mark.parametrize(("lang", "closing", "_opening", "_one", "_seven"), LOCALISED)
def test_the_subscribed_note_is_in_the_readers_language(knowledge, lang, closing, _opening, _one, _seven):
    """The note for an open window names the programme and the closing date in the reader's language."""
    note = subscribed_note(knowledge, "mirai", [window()], BRUSSELS, utc(2026, 11, 10), lang)

    assert f"MIRAI ({lang})" in note
    assert closing in note


# --- /deadlines --------------------------------------------------------------------------------------------


def test_deadlines_list_open_and_upcoming_windows_with_days_left(knowledge):
    """Open windows say until when and how many days are left, upcoming ones when they open and close; past ones
    are left out, and the list is in opening order with an "Add to calendar" button."""
    windows = [
        window("jet", date(2027, 1, 10), date(2027, 2, 10), title=GROUP_1),
        window("mirai"),
        window("other", date(2026, 1, 1), date(2026, 2, 1)),  # closed long ago
    ]

    reply = deadlines(knowledge, windows, BRUSSELS, utc(2026, 11, 30, 12), "en")

    assert reply.text.splitlines() == [
        "**Application deadlines**",
        "- **MIRAI (en)**: open until Tuesday, December 1, 2026 (end of day) (2 days left)",
        "- **JET (en): Group 1 (Politics)**: opens Sunday, January 10, 2027, "
        "closes Wednesday, February 10, 2027 (end of day)",
    ]
    assert actions(reply) == [ShowDeadlines(calendar=True), ShowSubscriptions()]
    assert labels(reply) == [t("en", "📅 Add to calendar"), t("en", "🔔 Deadline alerts")]


@pytest.mark.parametrize(
    ("now", "left"),
    [
        (utc(2026, 11, 30, 23), "1 day left"),  # exactly 24 hours before closing
        (utc(2026, 11, 30, 22, 59), "2 days left"),
        (utc(2026, 12, 1, 22, 59), "1 day left"),  # an hour before closing: still "1 day", never "0 days"
    ],
)
def test_deadlines_round_the_days_left_up(knowledge, now, left):
    """The days left shown in /deadlines count every started day."""
    reply = deadlines(knowledge, [window()], BRUSSELS, now, "en")

    assert f"({left})" in reply.text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_deadlines_are_in_the_readers_language(knowledge, lang):
    """Header, status words, dates and days left of /deadlines are translated."""
    reply = deadlines(knowledge, [window()], BRUSSELS, utc(2026, 11, 24, 23), lang)

    closing = when(CLOSES, BRUSSELS, lang, closing=True)
    assert reply.text.startswith(t(lang, "**Application deadlines**"))
    assert t(lang, "open until {closes} ({left})", closes=closing, left=days_left_text(7, lang)) in reply.text
    assert t(lang, "📅 Add to calendar") in labels(reply)


@pytest.mark.parametrize(
    ("windows", "now"),
    [
        pytest.param([], utc(2026, 10, 1), id="no-windows"),
        pytest.param([window()], CLOSES, id="only-closed-ones"),
    ],
)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_deadlines_say_honestly_when_no_dates_are_announced(knowledge, windows, now, lang):
    """Without an open or upcoming window, /deadlines says no dates are announced, points to the timing entry
    and the alerts, and offers no empty calendar."""
    reply = deadlines(knowledge, windows, BRUSSELS, now, lang)

    assert reply.text == t(
        lang,
        "**Application deadlines**\nThis bot has no application dates at the moment. The embassy's Exchange "
        "Programs page says further details will appear there as the time for application approaches.",
    )
    assert actions(reply) == [ShowEntry("programs.timing"), ShowSubscriptions()]
    assert ShowDeadlines(calendar=True) not in actions(reply)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("watched", [True, False])
def test_the_page_watch_is_promised_only_where_it_runs(knowledge, lang, watched):
    """Where the embassy's page is watched, the alert menu and an empty /deadlines say that a change reaches
    subscribers once staff confirm it; with WATCH_URL empty, neither promises it."""
    promise = page_watch_promise(lang)
    menu = subscriptions_menu(knowledge, [], lang, page_watched=watched)
    empty = deadlines(knowledge, [], BRUSSELS, utc(2026, 10, 1), lang, page_watched=watched)
    upcoming = deadlines(knowledge, [window()], BRUSSELS, utc(2026, 10, 1), lang, page_watched=watched)

    assert (promise in menu.text) is watched
    assert (promise in empty.text) is watched
    assert promise not in upcoming.text  # with dates to list, the list is the answer
    assert "staff confirm" in page_watch_promise("en")


# --- the .ics calendar file --------------------------------------------------------------------------------


def parse(content: bytes) -> Calendar:
    """The calendar file read back with icalendar, as a calendar application would."""
    assert isinstance(content, bytes)
    return Calendar.from_ical(content)


def events(content: bytes) -> list[Any]:
    return list(parse(content).walk("VEVENT"))


CALENDAR_WINDOWS = [
    window("mirai", title=GROUP_1),  # open at NOW
    window("jet", datetime(2027, 1, 10, 9, 0), datetime(2027, 2, 10, 17, 0)),  # upcoming, local times
    window("mirai", date(2027, 3, 1), date(2027, 3, 31), window_id="2027"),  # upcoming
    window("other", date(2026, 1, 1), date(2026, 2, 1)),  # closed: no event
]
NOW = utc(2026, 11, 10, 8)


def test_the_calendar_has_one_event_per_open_or_upcoming_window_spanning_it(knowledge):
    """Each open or upcoming window is one VEVENT whose DTSTART and DTEND are the window's instants."""
    found = events(calendar_file(knowledge, CALENDAR_WINDOWS, BRUSSELS, NOW, "en"))

    spans = [(e.decoded("dtstart"), e.decoded("dtend")) for e in found]
    assert spans == [(w.opens, w.closes) for w in CALENDAR_WINDOWS[:3]]  # in opening order, the closed one left out
    assert [e.decoded("dtstamp") for e in found] == [NOW] * 3


def test_every_event_has_its_own_stable_uid(knowledge):
    """A UID per window, the same in every file, so importing an updated file updates the events."""
    first = [str(e["uid"]) for e in events(calendar_file(knowledge, CALENDAR_WINDOWS, BRUSSELS, NOW, "en"))]
    later = [str(e["uid"]) for e in events(calendar_file(knowledge, CALENDAR_WINDOWS, BRUSSELS, NOW, "fr"))]

    assert first == [
        "mirai-2026@embassy-exchange-bot",
        "jet-2026@embassy-exchange-bot",
        "mirai-2027@embassy-exchange-bot",
    ]
    assert later == first


def test_every_event_has_a_display_alarm_a_day_before_it_closes(knowledge):
    """Each event carries one DISPLAY alarm triggered a day before the window closes."""
    whole_days = [CALENDAR_WINDOWS[0], CALENDAR_WINDOWS[2]]

    found = events(calendar_file(knowledge, whole_days, BRUSSELS, NOW, "en"))

    assert len(found) == len(whole_days)
    for event in found:
        (alarm,) = event.walk("VALARM")
        assert str(alarm["action"]) == "DISPLAY"
        assert alarm.decoded("trigger") == timedelta(days=-1)
        assert alarm["trigger"].params["RELATED"] == "END"  # a day before the event (the window) ends


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_calendar_speaks_the_readers_language(knowledge, lang):
    """The calendar name, event summaries (with the window's title) and the deadline are in the reader's language."""
    content = calendar_file(knowledge, CALENDAR_WINDOWS[:1], BRUSSELS, NOW, lang)
    calendar = parse(content)
    (event,) = calendar.walk("VEVENT")

    assert str(calendar["x-wr-calname"]) == t(lang, "Exchange programme deadlines")
    assert str(calendar["prodid"]) == PRODUCT_ID
    assert str(calendar["version"]) == "2.0"
    assert str(event["summary"]) == (
        t(lang, "{programme}: applications", programme=f"MIRAI ({lang})") + f" ({GROUP_1[lang]})"
    )
    assert str(event["description"]) == t(lang, "Deadline: {closes}", closes=when(CLOSES, BRUSSELS, lang, closing=True))


def test_a_calendar_without_current_windows_is_valid_and_empty(knowledge):
    """With nothing open or upcoming the file is still a valid calendar, with no events."""
    calendar = parse(calendar_file(knowledge, [window(closes=date(2026, 11, 5))], BRUSSELS, NOW, "en"))

    assert list(calendar.walk("VEVENT")) == []
    assert str(calendar["prodid"]) == PRODUCT_ID


_LOCAL_TIME_WINDOW = [window("jet", datetime(2027, 1, 10, 9, 0), datetime(2027, 2, 10, 17, 0))]


def test_times_are_written_in_utc_so_no_time_zone_definition_is_needed(knowledge):
    """A window written as a Brussels date-time is written in UTC: no TZID that would need a VTIMEZONE."""
    content = calendar_file(knowledge, _LOCAL_TIME_WINDOW, BRUSSELS, NOW, "en")
    (event,) = events(content)

    assert b"TZID=" not in content
    assert event.decoded("dtend") == _LOCAL_TIME_WINDOW[0].closes


def test_the_alarm_is_relative_to_the_end_of_the_window(knowledge):
    """The alarm is 'a day before the end', which RFC 5545 allows without any absolute time."""
    content = calendar_file(knowledge, _LOCAL_TIME_WINDOW, BRUSSELS, NOW, "en")

    assert "TRIGGER;RELATED=END:-P1D" in content.decode().splitlines()
