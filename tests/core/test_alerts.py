"""Alert planning with a frozen clock: openings, reminders, stable keys, catch-up, edits, removals and DST.

Every "now" is an explicit instant. The fixture window opens on 1 September 2026 and closes at the end of
15 October 2026 (Brussels, CEST): from 2026-08-31 22:00 UTC to 2026-10-15 22:00 UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.alerts import Alert, days_left, due, next_due, plan
from bot.core.windows import Window, WindowSpec, resolve

BRUSSELS = ZoneInfo("Europe/Brussels")
DEFAULT_DAYS = (7, 1)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """An instant in UTC."""
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An instant given as Brussels wall-clock time."""
    return datetime(year, month, day, hour, minute, tzinfo=BRUSSELS)


def window(
    opens: datetime | date = date(2026, 9, 1),
    closes: datetime | date = date(2026, 10, 15),
    *,
    programme: str = "mirai",
    window_id: str = "2026",
) -> Window:
    """A window as the bot sees it: written as staff would, resolved in Brussels."""
    return resolve(WindowSpec(id=window_id, opens=opens, closes=closes, programme=programme), BRUSSELS)


OPENS = utc(2026, 8, 31, 22)
CLOSES = utc(2026, 10, 15, 22)
SEVEN_DAYS = utc(2026, 10, 8, 22)
ONE_DAY = utc(2026, 10, 14, 22)


def summary(alerts: list[Alert]) -> list[tuple[str, int, datetime]]:
    """(kind, days before, due) of each alert, in order."""
    return [(a.kind, a.days_before, a.due) for a in alerts]


# --- plan ------------------------------------------------------------------------------------------------


def test_a_window_plans_an_opening_and_two_reminders():
    """By default: "open" at the opening instant, then reminders 7 days and 1 day before closing, in due order."""
    alerts = plan([window()], DEFAULT_DAYS)

    assert summary(alerts) == [("opens", 0, OPENS), ("reminder", 7, SEVEN_DAYS), ("reminder", 1, ONE_DAY)]
    assert {a.programme for a in alerts} == {"mirai"}


@pytest.mark.parametrize(
    ("days", "planned"),
    [
        ((7, 1), [7, 1]),
        ((1, 7), [7, 1]),  # order does not matter
        ((7, 7, 1, 1), [7, 1]),  # nor do duplicates
        ((14, 3), [14, 3]),  # the days are a setting
        ((2,), [2]),
        ((), []),  # no reminders at all: only the opening
    ],
)
def test_reminder_days_are_a_setting_whose_order_and_duplicates_do_not_matter(days, planned):
    """One reminder per distinct reminder day, each that many whole days before closing."""
    alerts = plan([window()], days)

    assert alerts[0].kind == "opens"
    reminders = alerts[1:]
    assert [a.days_before for a in reminders] == planned
    assert [a.due for a in reminders] == [CLOSES - timedelta(days=d) for d in planned]


@pytest.mark.parametrize(
    ("opens", "closes", "planned"),
    [
        (date(2026, 10, 12), date(2026, 10, 15), [1]),  # 4 days long: the 7-day reminder would fall before opening
        (date(2026, 10, 9), date(2026, 10, 15), [1]),  # exactly 7 days: the 7-day reminder would be the opening
        (date(2026, 10, 8), date(2026, 10, 15), [7, 1]),  # 8 days: both fit
        (date(2026, 10, 15), date(2026, 10, 15), []),  # one day: even the 1-day reminder would be the opening
        (datetime(2026, 10, 14, 12, 0), date(2026, 10, 15), [1]),  # opens at noon, 1-day reminder at midnight
    ],
)
def test_a_reminder_that_would_fall_before_or_at_the_opening_is_not_planned(opens, closes, planned):
    """A short window gets only the reminders that fall strictly after it opens; the opening alert always stays."""
    alerts = plan([window(opens, closes)], DEFAULT_DAYS)

    assert alerts[0].kind == "opens"
    assert [a.days_before for a in alerts[1:]] == planned
    assert all(a.due > alerts[0].window.opens for a in alerts[1:])


def test_alerts_of_several_windows_are_merged_in_due_order():
    """Alerts of all windows come as one list sorted by due time."""
    mirai = window(date(2026, 9, 1), date(2026, 10, 15), programme="mirai")
    jet = window(date(2026, 9, 20), date(2026, 11, 30), programme="jet")

    alerts = plan([jet, mirai], DEFAULT_DAYS)

    assert [(a.programme, a.kind, a.days_before) for a in alerts] == [
        ("mirai", "opens", 0),
        ("jet", "opens", 0),
        ("mirai", "reminder", 7),
        ("mirai", "reminder", 1),
        ("jet", "reminder", 7),
        ("jet", "reminder", 1),
    ]
    assert [a.due for a in alerts] == sorted(a.due for a in alerts)


def test_no_windows_plan_no_alerts():
    """A knowledge base without windows (the shipped one) plans nothing."""
    assert plan([], DEFAULT_DAYS) == []


# --- keys ------------------------------------------------------------------------------------------------


def keys(alerts: list[Alert]) -> dict[tuple[str, int], str]:
    return {(a.kind, a.days_before): a.key for a in alerts}


def test_keys_name_the_programme_window_kind_and_instant():
    """A key reads programme:window:what:instant, so a delivery row says what it was about."""
    assert list(keys(plan([window()], DEFAULT_DAYS)).values()) == [
        "mirai:2026:opens:2026-08-31T22:00:00+00:00",
        "mirai:2026:closes-7d:2026-10-15T22:00:00+00:00",
        "mirai:2026:closes-1d:2026-10-15T22:00:00+00:00",
    ]


def test_keys_are_stable_across_replanning():
    """Planning the same windows again (a restart, a reload without changes) gives the very same keys."""
    first = plan([window()], DEFAULT_DAYS)
    reloaded = WindowSpec(id="2026", opens=date(2026, 9, 1), closes=date(2026, 10, 15), programme="mirai")
    again = plan([resolve(reloaded, BRUSSELS)], (1, 7))

    assert [a.key for a in again] == [a.key for a in first]
    assert again == first


def test_every_alert_of_a_plan_has_its_own_key():
    """No two alerts of a plan share a key, even across programmes using the same window id."""
    alerts = plan([window(programme="mirai"), window(programme="jet")], (14, 7, 3, 1))

    assert len({a.key for a in alerts}) == len(alerts) == 10


@pytest.mark.parametrize(
    ("edited", "changed"),
    [
        (window(closes=date(2026, 10, 20)), {("reminder", 7), ("reminder", 1)}),  # closing moved: new reminders
        (window(opens=date(2026, 9, 5)), {("opens", 0)}),  # opening moved: a new opening alert only
        (window(opens=date(2026, 9, 5), closes=date(2026, 10, 20)), {("opens", 0), ("reminder", 7), ("reminder", 1)}),
        (window(closes=datetime(2026, 10, 15, 17, 0)), {("reminder", 7), ("reminder", 1)}),  # a time is added
        (window(), set()),  # unchanged
    ],
)
def test_a_key_changes_exactly_when_the_instant_it_is_about_changes(edited, changed):
    """Editing the closing date changes the reminders' keys but not the opening's, and the other way round."""
    before = keys(plan([window()], DEFAULT_DAYS))
    after = keys(plan([edited], DEFAULT_DAYS))

    assert {slot for slot in before if before[slot] != after[slot]} == changed


def test_changing_the_reminder_days_keeps_the_keys_of_the_remaining_reminders():
    """Adding a 3-day reminder leaves the 7- and 1-day reminders' keys (and deliveries) as they were."""
    before = keys(plan([window()], (7, 1)))
    after = keys(plan([window()], (7, 3, 1)))

    assert {slot: after[slot] for slot in before} == before
    assert ("reminder", 3) in after


def test_rewriting_the_same_instant_differently_keeps_the_keys():
    """Staff rewriting the same deadline in another notation is not an edit: no alert is sent twice."""
    as_date = plan([window(closes=date(2026, 10, 15))], DEFAULT_DAYS)
    as_local_time = plan([window(closes=datetime(2026, 10, 16, 0, 0))], DEFAULT_DAYS)

    assert [a.due for a in as_local_time] == [a.due for a in as_date]
    assert [a.key for a in as_local_time] == [a.key for a in as_date]


# --- due: what to send now -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (OPENS - timedelta(microseconds=1), []),
        (OPENS, [("opens", 0)]),  # exactly at the due time: included
        (utc(2026, 9, 15, 12), [("opens", 0)]),  # still open, so the opening still counts (catch-up)
        (SEVEN_DAYS - timedelta(microseconds=1), [("opens", 0)]),
        (SEVEN_DAYS, [("opens", 0), ("reminder", 7)]),
        (utc(2026, 10, 12), [("opens", 0), ("reminder", 7)]),
        (ONE_DAY, [("opens", 0), ("reminder", 1)]),  # of two overdue reminders only the latest
        (CLOSES - timedelta(microseconds=1), [("opens", 0), ("reminder", 1)]),
        (CLOSES, []),  # closed: nothing, not even a late reminder
        (utc(2027, 1, 1), []),
    ],
)
def test_due_alerts_at_each_moment_of_a_window(now, expected):
    """What ``due`` returns from before opening to after closing (delivery sends each key once)."""
    alerts = due(plan([window()], DEFAULT_DAYS), now)

    assert [(a.kind, a.days_before) for a in alerts] == expected


def test_due_accepts_a_clock_in_any_zone():
    """An aware "now" in Brussels time compares as the same instant as in UTC."""
    alerts = plan([window()], DEFAULT_DAYS)

    assert due(alerts, local(2026, 9, 1, 0, 0)) == due(alerts, OPENS)
    assert due(alerts, local(2026, 8, 31, 23, 59)) == []


@pytest.mark.parametrize(
    ("down_from", "back_at", "expected"),
    [
        (utc(2026, 8, 30), utc(2026, 9, 3), [("opens", 0)]),  # down through the opening
        (utc(2026, 8, 30), utc(2026, 10, 10), [("opens", 0), ("reminder", 7)]),  # ...and the 7-day reminder
        (utc(2026, 8, 30), utc(2026, 10, 15, 12), [("opens", 0), ("reminder", 1)]),  # ...and both reminders
        (utc(2026, 10, 1), utc(2026, 10, 15, 12), [("opens", 0), ("reminder", 1)]),  # both reminders only
        (utc(2026, 8, 30), utc(2026, 10, 16), []),  # back after the window closed: nothing makes sense any more
    ],
)
def test_catching_up_after_downtime(down_from, back_at, expected):
    """After downtime the bot sends what still makes sense: the opening while open, and only the latest reminder."""
    alerts = plan([window()], DEFAULT_DAYS)
    sent_before = {a.key for a in due(alerts, down_from)}  # delivered before going down

    caught_up = due(alerts, back_at)

    assert [(a.kind, a.days_before) for a in caught_up] == expected
    assert all(a.due <= back_at < a.window.closes for a in caught_up)
    assert not any(a.key in sent_before for a in caught_up if a.kind == "reminder")


def test_only_the_latest_reminder_is_kept_per_window_not_overall():
    """Two windows each with overdue reminders: each keeps its own latest one."""
    mirai = window(date(2026, 9, 1), date(2026, 10, 15), programme="mirai")
    jet = window(date(2026, 9, 1), date(2026, 10, 15), programme="jet")
    other_mirai = window(date(2026, 9, 1), date(2026, 10, 15), programme="mirai", window_id="2026-b")

    alerts = due(plan([mirai, jet, other_mirai], DEFAULT_DAYS), utc(2026, 10, 15, 12))

    assert sorted((a.programme, a.window.id, a.days_before) for a in alerts if a.kind == "reminder") == [
        ("jet", "2026", 1),
        ("mirai", "2026", 1),
        ("mirai", "2026-b", 1),
    ]


def test_due_alerts_come_in_due_order():
    """``due`` returns the opening before the reminders, and windows in the order their alerts fell due."""
    early = window(date(2026, 9, 1), date(2026, 10, 15), programme="jet")
    late = window(date(2026, 9, 10), date(2026, 10, 13), programme="mirai")

    alerts = due(plan([late, early], DEFAULT_DAYS), utc(2026, 10, 7))

    assert [a.due for a in alerts] == sorted(a.due for a in alerts)
    assert [(a.programme, a.kind) for a in alerts] == [
        ("jet", "opens"),
        ("mirai", "opens"),
        ("mirai", "reminder"),
    ]


def test_a_window_removed_from_the_knowledge_base_vanishes_from_the_plan():
    """After a reload without a window, none of its alerts is planned or due; the other windows are untouched."""
    kept = window(programme="jet")
    removed = window(programme="mirai")
    now = utc(2026, 10, 10)

    before = due(plan([kept, removed], DEFAULT_DAYS), now)
    after = due(plan([kept], DEFAULT_DAYS), now)

    assert {a.programme for a in before} == {"jet", "mirai"}
    assert {a.programme for a in after} == {"jet"}
    assert [a.key for a in after] == [a.key for a in before if a.programme == "jet"]


@pytest.mark.parametrize(
    ("edited", "expected"),
    [
        # Deadline extended by a week: the reminders move to the new date with new keys; nothing is due yet.
        (window(closes=date(2026, 10, 22)), [("opens", 0)]),
        # Deadline brought forward to before now: the window is closed, nothing more is sent.
        (window(closes=date(2026, 10, 9)), []),
        # Deadline brought forward to tonight: only the 1-day reminder, under its new key.
        (window(closes=date(2026, 10, 10)), [("opens", 0), ("reminder", 1)]),
    ],
)
def test_a_window_edited_after_reload_is_replanned(edited, expected):
    """Alerts follow the edited dates at once: reminders of the old closing date are no longer due."""
    now = utc(2026, 10, 10, 12)
    old_keys = {a.key for a in due(plan([window()], DEFAULT_DAYS), now)}

    alerts = due(plan([edited], DEFAULT_DAYS), now)

    assert [(a.kind, a.days_before) for a in alerts] == expected
    assert not {a.key for a in alerts if a.kind == "reminder"} & old_keys


# --- next_due: when to wake up ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 1, 1), OPENS),
        (OPENS - timedelta(microseconds=1), OPENS),
        (OPENS, SEVEN_DAYS),  # an alert due exactly now is due, not next
        (SEVEN_DAYS, ONE_DAY),
        (ONE_DAY, None),  # nothing left to wake up for
        (utc(2027, 1, 1), None),
    ],
)
def test_next_due_is_the_first_alert_strictly_after_now(now, expected):
    """``next_due`` gives the instant of the next alert after ``now``, or None when none is left."""
    assert next_due(plan([window()], DEFAULT_DAYS), now) == expected


def test_next_due_looks_across_windows_and_handles_no_alerts():
    """The earliest next alert of any window wins; an empty plan has no next alert."""
    mirai = window(date(2026, 9, 1), date(2026, 10, 15), programme="mirai")
    jet = window(date(2026, 9, 20), date(2026, 11, 30), programme="jet")

    assert next_due(plan([mirai, jet], DEFAULT_DAYS), utc(2026, 9, 2)) == utc(2026, 9, 19, 22)
    assert next_due([], utc(2026, 9, 2)) is None


# --- days_left ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before_closing", "expected"),
    [
        (timedelta(days=30), 30),
        (timedelta(hours=30), 2),  # rounding up: 30 hours is "2 days"
        (timedelta(days=1, microseconds=1), 2),
        (timedelta(days=1), 1),
        (timedelta(hours=1), 1),
        (timedelta(microseconds=1), 1),
        (timedelta(0), 0),  # closed
        (-timedelta(days=3), 0),  # long closed: never negative
    ],
)
def test_days_left_rounds_up_to_whole_days(before_closing, expected):
    """Days left count every started day, so a student is never told "0 days" while it is still open."""
    assert days_left(window(), CLOSES - before_closing) == expected


# --- daylight saving time in Brussels ----------------------------------------------------------------------

_CALENDAR_DAYS_BUG = ()  # was a strict xfail: reminders now keep the Brussels wall-clock time


@pytest.mark.parametrize(
    ("closes", "days", "expected_local"),
    [
        # No change in between: the same wall-clock time N days earlier.
        (date(2026, 12, 1), 7, local(2026, 11, 25, 0, 0)),
        (datetime(2026, 12, 1, 17, 0), 7, local(2026, 11, 24, 17, 0)),
        # A window closing just after the October change (25 October, CEST -> CET), written as a date-time.
        (datetime(2026, 10, 26, 17, 0), 7, local(2026, 10, 19, 17, 0)),
        (datetime(2026, 3, 30, 17, 0), 7, local(2026, 3, 23, 17, 0)),  # and after the March change
        # The same, written as bare dates.
        pytest.param(date(2026, 10, 26), 7, local(2026, 10, 20, 0, 0), marks=_CALENDAR_DAYS_BUG),
        pytest.param(date(2026, 10, 25), 1, local(2026, 10, 25, 0, 0), marks=_CALENDAR_DAYS_BUG),
        pytest.param(date(2026, 3, 30), 7, local(2026, 3, 24, 0, 0), marks=_CALENDAR_DAYS_BUG),
        pytest.param(date(2026, 3, 29), 1, local(2026, 3, 29, 0, 0), marks=_CALENDAR_DAYS_BUG),
    ],
)
def test_a_reminder_comes_at_the_same_brussels_time_n_days_before_closing(closes, days, expected_local):
    """A "7 days" reminder falls at the closing's wall-clock time 7 calendar days earlier, across a DST change too."""
    (reminder,) = (a for a in plan([window(date(2026, 1, 1), closes)], (days,)) if a.kind == "reminder")

    assert reminder.due == expected_local  # the same instant
    assert reminder.due.astimezone(BRUSSELS).replace(tzinfo=None) == expected_local.replace(tzinfo=None)


@pytest.mark.parametrize(
    ("closes", "days"),
    [
        (date(2026, 12, 1), 7),
        (date(2026, 12, 1), 1),
        (datetime(2026, 12, 1, 17, 0), 7),
        (date(2026, 10, 26), 7),
        pytest.param(
            datetime(2026, 10, 26, 17, 0),
            7,
        ),
        (datetime(2026, 3, 30, 17, 0), 7),
    ],
)
def test_a_reminder_says_as_many_days_left_as_it_is_days_before(closes, days):
    """At the moment the N-day reminder is due, ``days_left`` (what the message says) is N."""
    (reminder,) = (a for a in plan([window(date(2026, 1, 1), closes)], (days,)) if a.kind == "reminder")

    assert days_left(reminder.window, reminder.due.astimezone(UTC)) == days


@pytest.mark.parametrize(
    ("opens", "expected_utc"),
    [
        (date(2026, 3, 29), utc(2026, 3, 28, 23)),  # opening on the day DST starts: 00:00 CET
        (date(2026, 10, 25), utc(2026, 10, 24, 22)),  # opening on the day DST ends: 00:00 CEST
    ],
)
def test_an_opening_on_a_dst_day_is_announced_at_local_midnight(opens, expected_utc):
    """The opening alert of a window opening on a clock-change day is due at that day's Brussels midnight."""
    (opening, *_) = plan([window(opens, date(2026, 12, 31))], DEFAULT_DAYS)

    assert (opening.kind, opening.due) == ("opens", expected_utc)
    assert due([opening], expected_utc) == [opening]
    assert due([opening], expected_utc - timedelta(seconds=1)) == []
