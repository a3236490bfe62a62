"""The subscription service on a real SQLite database, without the bot: what /subscribe, /unsubscribe, the
toggles and /deadlines do, on a knowledge base with one MIRAI window and a clock that stands still."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from bot.core import alert_views
from bot.core.engine import Engine
from bot.core.windows import WindowSpec, resolve_all
from bot.services.subscriptions import SubscriptionService
from bot.storage import Database, Storage

BRUSSELS = ZoneInfo("Europe/Brussels")
CHAT = 4242
NOW = datetime(2031, 5, 10, 12, 0, tzinfo=UTC)  # inside the window below
WINDOW = WindowSpec(id="w2031", opens=date(2031, 5, 1), closes=date(2031, 5, 31), programme="mirai")


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    async with Database(None, data_dir=tmp_path / "db") as database:
        await database.upgrade()
        yield Storage(database)


@pytest.fixture
def with_window(engine: Engine) -> SimpleNamespace:
    """The shipped knowledge base plus one open MIRAI window, as the engine's snapshot."""
    knowledge = dataclasses.replace(engine.snapshot.knowledge, windows=(WINDOW,))
    return SimpleNamespace(snapshot=SimpleNamespace(knowledge=knowledge))


@pytest.fixture
def service(with_window: SimpleNamespace, storage: Storage) -> SubscriptionService:
    return SubscriptionService(with_window, storage, zone=BRUSSELS, clock=lambda: NOW)  # type: ignore[arg-type]


def note_of(reply_text: str) -> str:
    """The note above the menu (what just changed)."""
    return reply_text.split("\n\n")[0]


async def test_subscribe_by_name_stores_the_language_and_says_the_window_is_open(
    service: SubscriptionService, storage: Storage
) -> None:
    """/subscribe MIRAI (any case) subscribes in the user's language; the note says applications are open now."""
    reply = await service.subscribe(CHAT, "MIRAI", "fr")
    knowledge = service.engine.snapshot.knowledge

    assert await storage.subscriptions(CHAT) == ["mirai"]
    expected_note = alert_views.subscribed_note(
        knowledge, "mirai", resolve_all(knowledge.windows, BRUSSELS), BRUSSELS, NOW, "fr"
    )
    assert reply == alert_views.subscriptions_menu(knowledge, ["mirai"], "fr", expected_note)
    assert "2031" in expected_note


async def test_an_unknown_programme_is_named_back_shortened_and_nothing_is_stored(
    service: SubscriptionService, storage: Storage
) -> None:
    """An unknown name is repeated to at most 32 characters, for /subscribe and /unsubscribe alike."""
    name = "erasmus-" + "x" * 60
    knowledge = service.engine.snapshot.knowledge
    expected = alert_views.unknown_programme(knowledge, name[:32], "en")

    assert note_of((await service.subscribe(CHAT, name, "en")).text) == note_of(expected)
    assert note_of((await service.unsubscribe(CHAT, name, "en")).text) == note_of(expected)
    assert await storage.get_user(CHAT) is None


async def test_a_toggle_subscribes_then_unsubscribes(service: SubscriptionService, storage: Storage) -> None:
    """Tapping a programme's toggle twice leaves the chat as it was, with a note each time."""
    knowledge = service.engine.snapshot.knowledge
    await service.toggle(CHAT, "mirai", "nl")
    assert await storage.subscriptions(CHAT) == ["mirai"]

    reply = await service.toggle(CHAT, "mirai", "nl")
    assert await storage.subscriptions(CHAT) == []
    assert reply == alert_views.subscriptions_menu(
        knowledge, [], "nl", alert_views.unsubscribed_note(knowledge, "mirai", "nl")
    )


async def test_unsubscribe_all_stops_every_programme(service: SubscriptionService, storage: Storage) -> None:
    """/unsubscribe all ends every subscription of the chat, and says so."""
    await service.subscribe(CHAT, "mirai", "en")
    await service.subscribe(CHAT, "jet", "en")

    reply = await service.unsubscribe(CHAT, "ALL", "en")

    assert await storage.subscriptions(CHAT) == []
    assert note_of(reply.text) == alert_views.unsubscribed_all_note("en")


async def test_a_toggle_for_a_programme_gone_since_says_so(service: SubscriptionService, storage: Storage) -> None:
    """A toggle from before a reload that removed its programme stores nothing and names it."""
    reply = await service.toggle(CHAT, "gone", "en")

    assert await storage.get_user(CHAT) is None
    assert note_of(reply.text) == alert_views.unknown_programme(service.engine.snapshot.knowledge, "gone", "en")


def test_deadlines_and_the_calendar_show_the_open_window(service: SubscriptionService) -> None:
    """/deadlines lists the open window with its closing date; the calendar file holds it as one event."""
    knowledge = service.engine.snapshot.knowledge
    windows = resolve_all(knowledge.windows, BRUSSELS)

    assert service.deadlines("en") == alert_views.deadlines(knowledge, windows, BRUSSELS, NOW, "en")
    assert "open until" in service.deadlines("en").text
    calendar = service.calendar("en").decode()
    assert calendar.count("BEGIN:VEVENT") == 1
    assert "mirai-w2031@" in calendar
