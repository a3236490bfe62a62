"""Application windows: when a programme accepts applications, as staff write them in its knowledge file.

A bare date means that day in the embassy's time zone: a window opens at the start of its first day
and closes at the end of its last. A date-time without an offset is in the embassy's time zone too;
one with an offset is taken as written. Resolving needs the time zone, so the knowledge base keeps
what staff wrote and ``resolve`` turns it into instants.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Annotated

from pydantic import StringConstraints, field_validator

from bot.core.text import FrozenModel, Text

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
WindowId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=40)]


class WindowSpec(FrozenModel):
    id: WindowId
    opens: datetime | date
    closes: datetime | date
    title: Text | None = None
    programme: str = ""
    """Set by the loader from the file's programme."""

    @field_validator("opens", "closes", mode="before")
    @classmethod
    def _bare_date_stays_a_date(cls, value: object) -> object:
        # A quoted '2026-10-15' is still a whole day (closing at its end), not midnight at its start.
        if isinstance(value, str) and _DATE.fullmatch(value.strip()):
            return date.fromisoformat(value.strip())
        return value


@dataclass(frozen=True, slots=True)
class Window:
    """A window resolved to instants (aware datetimes)."""

    programme: str
    id: str
    opens: datetime
    closes: datetime
    title: Text | None = None
    zone: tzinfo = UTC
    """The embassy's zone, in which "7 days before" and "days left" are counted (local calendar days)."""

    def is_open(self, now: datetime) -> bool:
        return self.opens <= now < self.closes


def resolve(spec: WindowSpec, zone: tzinfo) -> Window:
    opens, closes = _instant(spec.opens, zone, end=False), _instant(spec.closes, zone, end=True)
    return Window(spec.programme, spec.id, opens, closes, spec.title, zone)


def resolve_all(specs: Iterable[WindowSpec], zone: tzinfo) -> list[Window]:
    """Windows as staff wrote them (a knowledge base's ``windows``), resolved: what alerts are planned from and
    what students are shown, so the two agree."""
    return [resolve(spec, zone) for spec in specs]


def _instant(value: datetime | date, zone: tzinfo, *, end: bool) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    day = value + timedelta(days=1) if end else value
    # Midnight in the zone, computed per day, so that DST changes move the instant correctly.
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
