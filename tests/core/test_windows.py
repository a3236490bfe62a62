"""Application windows: dates, local date-times and offsets resolved to instants, and the loader's checks.

Every instant here is explicit; Europe/Brussels changes to summer time on 2026-03-29 (02:00 CET -> 03:00 CEST)
and back on 2026-10-25 (03:00 CEST -> 02:00 CET).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from bot.core.loading import load_knowledge
from bot.core.text import Text
from bot.core.windows import Window, WindowSpec, resolve
from tests.core.fixtures import entry, line_of, problems_of, programme, render, texts, write

BRUSSELS = ZoneInfo("Europe/Brussels")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """An instant in UTC."""
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def spec(opens: datetime | date, closes: datetime | date, **extra: Any) -> WindowSpec:
    """A window as staff wrote it, in the MIRAI programme."""
    return WindowSpec(id="w", opens=opens, closes=closes, programme="mirai", **extra)


# --- resolving: bare dates, local date-times, offsets -----------------------------------------------------


@pytest.mark.parametrize(
    ("written", "opens_utc", "why"),
    [
        (date(2026, 12, 1), utc(2026, 11, 30, 23), "winter (CET, UTC+1): local midnight is 23:00 UTC the day before"),
        (date(2026, 7, 1), utc(2026, 6, 30, 22), "summer (CEST, UTC+2): local midnight is 22:00 UTC the day before"),
        (date(2026, 3, 29), utc(2026, 3, 28, 23), "the day DST starts: its midnight is still CET"),
        (date(2026, 3, 30), utc(2026, 3, 29, 22), "the day after DST starts: midnight is CEST"),
        (date(2026, 10, 25), utc(2026, 10, 24, 22), "the day DST ends: its midnight is still CEST"),
        (date(2026, 10, 26), utc(2026, 10, 25, 23), "the day after DST ends: midnight is CET"),
    ],
)
def test_a_bare_opening_date_opens_at_local_midnight(written, opens_utc, why):
    """A bare opening date opens at 00:00 Brussels time of that day, whatever the offset that day."""
    window = resolve(spec(written, date(2027, 1, 31)), BRUSSELS)

    assert window.opens == opens_utc, why
    assert window.opens.astimezone(BRUSSELS).replace(tzinfo=None) == datetime.combine(written, datetime.min.time())


@pytest.mark.parametrize(
    ("written", "closes_utc", "why"),
    [
        (date(2026, 12, 1), utc(2026, 12, 1, 23), "winter: the end of 1 December is 23:00 UTC"),
        (date(2026, 7, 1), utc(2026, 7, 1, 22), "summer: the end of 1 July is 22:00 UTC"),
        (date(2026, 3, 28), utc(2026, 3, 28, 23), "the day before DST starts ends at CET midnight"),
        (date(2026, 3, 29), utc(2026, 3, 29, 22), "the day DST starts ends at CEST midnight"),
        (date(2026, 10, 24), utc(2026, 10, 24, 22), "the day before DST ends ends at CEST midnight"),
        (date(2026, 10, 25), utc(2026, 10, 25, 23), "the day DST ends ends at CET midnight"),
    ],
)
def test_a_bare_closing_date_closes_at_the_end_of_that_local_day(written, closes_utc, why):
    """A bare closing date closes at 24:00 Brussels time of that day (00:00 of the next), so the whole day counts."""
    window = resolve(spec(date(2026, 1, 1), written), BRUSSELS)

    assert window.closes == closes_utc, why
    assert window.closes.astimezone(BRUSSELS).replace(tzinfo=None) == datetime.combine(
        written + timedelta(days=1), datetime.min.time()
    )


@pytest.mark.parametrize(
    ("day", "hours"),
    [
        (date(2026, 3, 29), 23),  # the clocks go forward: a 23-hour day
        (date(2026, 10, 25), 25),  # the clocks go back: a 25-hour day
        (date(2026, 12, 1), 24),
    ],
)
def test_a_one_day_window_lasts_that_local_day_even_when_the_clocks_change(day, hours):
    """A window opening and closing on the same date lasts exactly that local day: 23, 24 or 25 hours."""
    window = resolve(spec(day, day), BRUSSELS)

    assert window.closes - window.opens == timedelta(hours=hours)


@pytest.mark.parametrize(
    ("written", "expected_utc"),
    [
        (datetime(2026, 12, 1, 17, 0), utc(2026, 12, 1, 16)),  # CET
        (datetime(2026, 7, 1, 9, 30), utc(2026, 7, 1, 7, 30)),  # CEST
        (datetime(2026, 3, 29, 12, 0), utc(2026, 3, 29, 10)),  # after the spring change, same day
        (datetime(2026, 10, 25, 12, 0), utc(2026, 10, 25, 11)),  # after the autumn change, same day
    ],
)
def test_a_date_time_without_offset_is_brussels_time(written, expected_utc):
    """A date-time without an offset is read as Brussels wall-clock time, with that day's offset."""
    window = resolve(spec(written, datetime(2027, 1, 1)), BRUSSELS)

    assert window.opens == expected_utc
    assert window.opens.astimezone(BRUSSELS).replace(tzinfo=None) == written


@pytest.mark.parametrize(
    ("written", "expected_utc"),
    [
        (datetime(2026, 12, 1, 17, 0, tzinfo=timezone(timedelta(hours=9))), utc(2026, 12, 1, 8)),  # Tokyo
        (datetime(2026, 12, 1, 17, 0, tzinfo=UTC), utc(2026, 12, 1, 17)),
        (datetime(2026, 7, 1, 17, 0, tzinfo=timezone(timedelta(hours=1))), utc(2026, 7, 1, 16)),  # not CEST
    ],
)
def test_a_date_time_with_an_offset_is_taken_as_written(written, expected_utc):
    """A date-time with an offset keeps that offset, even one that is not Brussels' offset that day."""
    window = resolve(spec(datetime(2026, 1, 1), written), BRUSSELS)

    assert window.closes == expected_utc
    assert window.closes.utcoffset() == written.utcoffset()


def test_resolving_uses_the_zone_it_is_given():
    """The zone is the bot's setting: the same bare date in Tokyo opens at Tokyo's midnight."""
    window = resolve(spec(date(2026, 12, 1), date(2026, 12, 1)), ZoneInfo("Asia/Tokyo"))

    assert (window.opens, window.closes) == (utc(2026, 11, 30, 15), utc(2026, 12, 1, 15))


def test_resolving_keeps_the_programme_id_and_title():
    """The resolved window keeps who it belongs to and its optional title."""
    title = Text(en="Group 1", fr="Groupe 1", nl="Groep 1")
    window = resolve(spec(date(2026, 9, 1), date(2026, 10, 15), title=title), BRUSSELS)

    assert (window.programme, window.id, window.title) == ("mirai", "w", title)


@pytest.mark.parametrize(
    ("now", "is_open"),
    [
        (utc(2026, 8, 31, 21, 59, 59), False),
        (utc(2026, 8, 31, 22), True),  # 1 September, 00:00 CEST: opening included
        (utc(2026, 10, 15, 21, 59, 59), True),
        (utc(2026, 10, 15, 22), False),  # 16 October, 00:00 CEST: closing excluded
        (datetime(2026, 10, 15, 23, 59, tzinfo=BRUSSELS), True),  # an aware time in another zone compares right
    ],
)
def test_a_window_is_open_from_its_opening_included_to_its_closing_excluded(now, is_open):
    """``is_open`` is the half-open interval [opens, closes)."""
    window = resolve(spec(date(2026, 9, 1), date(2026, 10, 15)), BRUSSELS)

    assert window.is_open(now) is is_open


@pytest.mark.parametrize("bad_id", ["Group-1", "-group", "group 1", "", "x" * 41, "groupe-é"])
def test_a_window_id_is_lowercase_letters_digits_dash_and_underscore(bad_id):
    """Window ids are short and URL-safe: anything else is refused."""
    with pytest.raises(ValidationError):
        WindowSpec(id=bad_id, opens=date(2026, 9, 1), closes=date(2026, 10, 15))


def test_a_resolved_window_is_immutable():
    """A Window is a frozen value, so a plan can hold it safely."""
    window = resolve(spec(date(2026, 9, 1), date(2026, 10, 15)), BRUSSELS)

    with pytest.raises(AttributeError):
        window.id = "other"  # type: ignore[misc]


# --- the loader: `windows:` in a programme's file ---------------------------------------------------------


def programme_text(windows: str, programme_id: str = "mirai") -> str:
    """A programme's file (one entry) followed by the given ``windows:`` block, written by hand as staff would."""
    return render(entry(f"{programme_id}.about"), programme=programme(programme_id)) + windows


VALID_WINDOWS = """\
windows:
  - id: 2026-group-1
    opens: 2026-09-01
    closes: 2026-10-15
    title:
      en: Group 1 (Politics and Security)
      fr: Groupe 1 (politique et sécurité)
      nl: Groep 1 (politiek en veiligheid)
  - id: 2026-group-2
    opens: 2026-10-01T09:00
    closes: 2026-11-20T17:00+01:00
"""


def test_the_loader_reads_windows_with_an_optional_title(tmp_path):
    """A programme file's ``windows:`` load as specs of that programme, titled or not, in file order."""
    directory = write(tmp_path, {"mirai.yaml": programme_text(VALID_WINDOWS)})

    first, second = load_knowledge(directory).windows

    assert (first.programme, first.id, first.opens, first.closes) == (
        "mirai",
        "2026-group-1",
        date(2026, 9, 1),
        date(2026, 10, 15),
    )
    assert first.title is not None
    assert first.title["fr"] == "Groupe 1 (politique et sécurité)"
    assert (second.programme, second.id, second.title) == ("mirai", "2026-group-2", None)


@pytest.mark.parametrize(
    ("opens", "closes", "opens_utc", "closes_utc"),
    [
        ("2026-09-01", "2026-10-15", utc(2026, 8, 31, 22), utc(2026, 10, 15, 22)),
        ("2026-10-01T09:00", "2026-11-20T17:00", utc(2026, 10, 1, 7), utc(2026, 11, 20, 16)),
        ("2026-10-01 09:00:00", "2026-11-20 17:00:00", utc(2026, 10, 1, 7), utc(2026, 11, 20, 16)),  # YAML timestamps
        ("2026-10-01T09:00+09:00", "2026-11-20T17:00:00Z", utc(2026, 10, 1, 0), utc(2026, 11, 20, 17)),
        ("2026-10-01T09:00:00+09:00", "2026-11-20T17:00:00+01:00", utc(2026, 10, 1, 0), utc(2026, 11, 20, 16)),
        ("2026-03-29", "2026-10-25", utc(2026, 3, 28, 23), utc(2026, 10, 25, 23)),  # both DST days
        ("'2026-09-01'", "2026-10-15", utc(2026, 8, 31, 22), utc(2026, 10, 15, 22)),  # a quoted opening date
        pytest.param(
            "2026-09-01",
            "'2026-10-15'",
            utc(2026, 8, 31, 22),
            utc(2026, 10, 15, 22),
        ),
    ],
)
def test_what_staff_write_in_yaml_resolves_to_brussels_instants(tmp_path, opens, closes, opens_utc, closes_utc):
    """Each way of writing a date or date-time in YAML resolves to the instant the README promises."""
    windows = f"windows:\n  - id: w\n    opens: {opens}\n    closes: {closes}\n"
    directory = write(tmp_path, {"mirai.yaml": programme_text(windows)})

    (written,) = load_knowledge(directory).windows
    window = resolve(written, BRUSSELS)

    assert (window.opens, window.closes) == (opens_utc, closes_utc)


def test_the_same_window_id_in_two_programmes_is_fine(tmp_path):
    """Window ids are unique per programme: MIRAI and JET may both have a '2026' window."""
    windows = "windows:\n  - id: '2026'\n    opens: 2026-09-01\n    closes: 2026-10-15\n"
    directory = write(
        tmp_path, {"mirai.yaml": programme_text(windows), "jet.yaml": programme_text(windows, programme_id="jet")}
    )

    assert sorted((w.programme, w.id) for w in load_knowledge(directory).windows) == [
        ("jet", "2026"),
        ("mirai", "2026"),
    ]


def test_a_knowledge_base_without_windows_has_none(tmp_path):
    """Windows are optional: a programme file without ``windows:`` loads with no windows."""
    directory = write(tmp_path, {"mirai.yaml": programme_text("")})

    assert load_knowledge(directory).windows == ()


# (windows block, the text of the line the problem is reported at, the message)
WINDOW_PROBLEMS = [
    pytest.param(
        "windows:\n  - id: w\n    opens: 2026-10-15\n    closes: 2026-09-01\n",
        "closes: 2026-09-01",
        "window 'w' closes before it opens",
        id="closes-before-opens",
    ),
    pytest.param(
        "windows:\n  - id: w\n    opens: 2026-10-15T12:00\n    closes: 2026-10-15T12:00\n",
        "closes: 2026-10-15T12:00",
        "window 'w' closes before it opens",
        id="closes-when-it-opens",
    ),
    pytest.param(
        "windows:\n  - id: w\n    opens: 2026-10-15T12:00+02:00\n    closes: 2026-10-15T10:30+01:00\n",
        "closes: 2026-10-15T10:30+01:00",
        "window 'w' closes before it opens",
        id="closes-before-opens-with-offsets",
    ),
    pytest.param(
        "windows:\n  - id: w\n    opens: 2026-09-01\n    closes: 2026-10-15\n"
        "  - id: w\n    opens: 2027-09-01\n    closes: 2027-10-15\n",
        "- id: w\n    opens: 2027",
        "window id 'w' is used twice",
        id="duplicate-id",
    ),
    pytest.param(
        "windows:\n  - id: Group 1\n    opens: 2026-09-01\n    closes: 2026-10-15\n",
        "- id: Group 1",
        "windows.0.id: 'Group 1' is not a valid value here",
        id="bad-id",
    ),
    pytest.param(
        "windows:\n  - id: w\n    opens: 2026-09-01\n    closes: 2026-10-15\n    deadline: 2026-10-15\n",
        "deadline: 2026-10-15",
        "windows.0.deadline: unknown key 'deadline' (a typo?); see knowledge/README.md for the keys",
        id="unknown-key",
    ),
    pytest.param(
        "windows:\n  - id: w\n    opens: 2026-09-01\n    closes: 2026-10-15\n    title:\n      en: Group 1\n"
        "      fr: Groupe 1\n",
        "title:\n      en: Group 1",
        "windows.0.title.nl: missing translation 'nl'",
        id="missing-translation",
    ),
    pytest.param(
        "windows:\n  - id: w\n    opens: 2026-09-01\n",
        "- id: w",
        "windows.0.closes: 'closes' is required",
        id="missing-closes",
    ),
    pytest.param(
        "windows:\n  - id: w\n    opens: next autumn\n    closes: 2026-10-15\n",
        "opens: next autumn",
        "windows.0.opens",
        id="not-a-date",
    ),
    pytest.param(
        "windows:\n  id: w\n  opens: 2026-09-01\n  closes: 2026-10-15\n",
        "windows:",
        "'windows' must be a list of windows",
        id="not-a-list",
    ),
]


def _multiline_line_of(text: str, needle: str) -> int:
    """``line_of`` for a needle that may span lines: the line where it starts."""
    return text[: text.index(needle)].count("\n") + 1


@pytest.mark.parametrize(("windows", "at", "message"), WINDOW_PROBLEMS)
def test_a_bad_window_is_reported_with_file_and_line(tmp_path, windows, at, message):
    """Each mistake in a window is reported in its file, at the line to fix, with what is wrong."""
    text = programme_text(windows)
    directory = write(tmp_path, {"general.yaml": render(entry("general.contact")), "mirai.yaml": text})

    problems = problems_of(directory)

    assert len(problems) == 1, problems
    (problem,) = problems
    assert (problem.file, problem.line) == ("mirai.yaml", _multiline_line_of(text, at))
    assert message in problem.message


def test_windows_in_a_file_without_a_programme_are_reported(tmp_path):
    """``windows:`` in a general file (no ``programme:``) is reported at its line: windows belong to a programme."""
    text = render(entry("general.contact")) + "windows:\n  - id: w\n    opens: 2026-09-01\n    closes: 2026-10-15\n"
    directory = write(tmp_path, {"general.yaml": text})

    problems = problems_of(directory)

    assert [(p.file, p.line, p.message) for p in problems] == [
        ("general.yaml", line_of(text, "windows:"), "windows belong in a programme's file")
    ]


def test_every_bad_window_of_a_file_is_reported_not_only_the_first(tmp_path):
    """Two broken windows and a good one: both problems are reported, each at its own line."""
    windows = (
        "windows:\n"
        "  - id: good\n    opens: 2026-09-01\n    closes: 2026-10-15\n"
        "  - id: Bad\n    opens: 2026-09-01\n    closes: 2026-10-15\n"
        "  - id: late\n    opens: 2026-10-15\n    closes: 2026-09-01\n"
    )
    text = programme_text(windows)
    directory = write(tmp_path, {"mirai.yaml": text})

    problems = problems_of(directory)

    assert [p.line for p in problems] == [line_of(text, "- id: Bad"), line_of(text, "closes: 2026-09-01")]


def test_a_spec_model_refuses_unknown_keys():
    """WindowSpec forbids extra keys, so a typo is never silently ignored."""
    data: dict[str, Any] = {"id": "w", "opens": "2026-09-01", "closes": "2026-10-15", "deadline": "2026-10-15"}

    with pytest.raises(ValidationError, match="deadline"):
        WindowSpec.model_validate(data)


def test_window_is_a_plain_value():
    """Two windows with the same fields are equal, so a reloaded unchanged window plans the same alerts."""
    a = Window("mirai", "w", utc(2026, 9, 1), utc(2026, 10, 1), None)
    b = Window("mirai", "w", utc(2026, 9, 1), utc(2026, 10, 1), None)

    assert a == b
    assert hash(a) == hash(b)


def test_the_helpers_here_write_a_loadable_titled_window(tmp_path: Path):
    """The YAML written by these tests loads, so every failure above is the one change it makes."""
    title = texts("Group 1")
    windows = "windows:\n  - id: w\n    opens: 2026-09-01\n    closes: 2026-10-15\n    title:\n" + "".join(
        f"      {lang}: {text}\n" for lang, text in title.items()
    )
    (loaded,) = load_knowledge(write(tmp_path, {"mirai.yaml": programme_text(windows)})).windows

    assert loaded.title == Text(**title)


def test_a_value_that_is_not_a_date_is_reported_at_its_line(tmp_path):
    """'opens: next autumn' is reported at its line, naming windows.0.opens (however many times)."""
    text = programme_text("windows:\n  - id: w\n    opens: next autumn\n    closes: 2026-10-15\n")
    directory = write(tmp_path, {"mirai.yaml": text})

    problems = problems_of(directory)

    assert problems
    assert {(p.file, p.line) for p in problems} == {("mirai.yaml", line_of(text, "opens: next autumn"))}
    assert all(p.message.startswith("windows.0.opens") for p in problems)


@pytest.mark.parametrize("impossible", ["2026-09-31", "2026-13-01", "2026-02-29"])
def test_an_impossible_date_is_reported_not_crashed_on(tmp_path, impossible):
    """A date that does not exist ('closes: 2026-09-31') is a problem at its line, not a crash of the loader."""
    text = programme_text(f"windows:\n  - id: w\n    opens: 2026-09-01\n    closes: {impossible}\n")
    directory = write(tmp_path, {"mirai.yaml": text})

    problems = problems_of(directory)

    assert [(p.file, p.line) for p in problems] == [("mirai.yaml", line_of(text, f"closes: {impossible}"))]
