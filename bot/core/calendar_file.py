"""Application windows as an iCalendar file, for "Add to calendar"."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, tzinfo

from icalendar import Alarm, Calendar, Event

from bot.core.alert_views import when
from bot.core.i18n import t
from bot.core.knowledge import KnowledgeBase
from bot.core.languages import Lang
from bot.core.windows import Window

PRODUCT_ID = "-//Embassy of Japan in Belgium//Exchange programme assistant//EN"


def calendar_file(
    knowledge: KnowledgeBase, windows: Sequence[Window], zone: tzinfo, now: datetime, lang: Lang
) -> bytes:
    """One event per open or upcoming window, spanning it, with a reminder a day before it closes."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", t(lang, "Exchange programme deadlines"))
    for window in sorted((w for w in windows if w.closes > now), key=lambda w: w.opens):
        programme = knowledge.programme(window.programme)
        name = programme.name[lang] if programme is not None else window.programme
        summary = t(lang, "{programme}: applications", programme=name)
        if window.title is not None:
            summary = f"{summary} ({window.title[lang]})"
        event = Event()
        event.add("uid", f"{window.programme}-{window.id}@embassy-exchange-bot")
        event.add("dtstamp", now)
        # In UTC: a time zone named but not defined in the file is invalid iCalendar (RFC 5545 3.2.19).
        event.add("dtstart", window.opens.astimezone(UTC))
        event.add("dtend", window.closes.astimezone(UTC))
        event.add("summary", summary)
        event.add("description", t(lang, "Deadline: {closes}", closes=when(window.closes, zone, lang, closing=True)))
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", summary)
        alarm.add("trigger", timedelta(days=-1), parameters={"RELATED": "END"})  # a day before it closes
        event.add_component(alarm)
        calendar.add_component(event)
    content: bytes = calendar.to_ical()
    return content
