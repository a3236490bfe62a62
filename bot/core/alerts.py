"""Alert planning: from application windows and the clock to the alerts that are due.

Pure functions of their inputs, so planning is tested with a frozen clock. Each alert has a stable
``key`` that names what it announces (the window, the kind, and the instant it is about): delivery
records one row per (key, subscriber), so an alert is sent once however often it is planned, and an
edited date is a new alert.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Literal

from bot.core.windows import Window

AlertKind = Literal["opens", "reminder"]


@dataclass(frozen=True, slots=True)
class Alert:
    window: Window
    kind: AlertKind
    due: datetime
    days_before: int = 0
    """For a reminder: how many days before the window closes it is meant to go out."""

    @property
    def key(self) -> str:
        about = self.window.opens if self.kind == "opens" else self.window.closes
        detail = "opens" if self.kind == "opens" else f"closes-{self.days_before}d"
        # In UTC, so that the same instant written another way is the same alert.
        return f"{self.window.programme}:{self.window.id}:{detail}:{about.astimezone(UTC).isoformat()}"

    @property
    def programme(self) -> str:
        return self.window.programme


def plan(windows: Iterable[Window], reminder_days: Sequence[int]) -> list[Alert]:
    """Every alert of every window, in due order: the opening, then one reminder per reminder day.

    A reminder that would fall before its window opens is not planned (a short window gets only the
    reminders that fit in it).
    """
    alerts: list[Alert] = []
    for window in windows:
        alerts.append(Alert(window, "opens", window.opens))
        for days in sorted(set(reminder_days), reverse=True):
            due = _local_days_before(window.closes, days, window.zone)
            if due > window.opens:
                alerts.append(Alert(window, "reminder", due, days))
    return sorted(alerts, key=lambda alert: (alert.due, alert.key))


def due(alerts: Iterable[Alert], now: datetime) -> list[Alert]:
    """The alerts to send now, catching up on any missed while the bot was down, as long as they still
    make sense: nothing once a window has closed, and of several reminders of one window that are all
    due, only the latest (a student needs "closes in 1 day", not also "in 7 days")."""
    latest: dict[tuple[str, str], Alert] = {}
    result: list[Alert] = []
    for alert in alerts:
        if alert.due > now or now >= alert.window.closes:
            continue
        if alert.kind == "opens":
            result.append(alert)
            continue
        slot = (alert.window.programme, alert.window.id)
        if slot not in latest or alert.due > latest[slot].due:
            latest[slot] = alert
    result.extend(latest.values())
    return sorted(result, key=lambda alert: (alert.due, alert.key))


def next_due(alerts: Iterable[Alert], now: datetime) -> datetime | None:
    """When the next alert falls due after ``now`` (to schedule a wake-up), if any."""
    return min((alert.due for alert in alerts if alert.due > now), default=None)


def days_left(window: Window, now: datetime) -> int:
    """Whole days until the window closes, rounding up (closing in 30 hours is "2 days"), counted in the
    embassy's local time so that a daylight-saving change does not add or remove a day."""
    closes = window.closes.astimezone(window.zone).replace(tzinfo=None)
    local_now = now.astimezone(window.zone).replace(tzinfo=None)
    seconds = (closes - local_now).total_seconds()
    return max(0, -int(-seconds // 86_400))


def _local_days_before(instant: datetime, days: int, zone: tzinfo) -> datetime:
    """The same wall-clock time ``days`` calendar days earlier in ``zone`` (not days x 24 hours)."""
    local = instant.astimezone(zone).replace(tzinfo=None) - timedelta(days=days)
    return local.replace(tzinfo=zone).astimezone(UTC)
