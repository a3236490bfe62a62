"""The watched page and its changes in storage, identical on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import select

from bot.core.page_watch import PageDiff, text_hash
from bot.storage import Database, Storage
from bot.storage.models import PageChange
from tests.clock import FakeClock

URL = "http://127.0.0.1:1/page"
DIFF = PageDiff(removed=("old line",), added=("MIRAI 2027: applications open", "second line"), omitted=3)


async def baseline(storage: Storage, text: str = "first text") -> str:
    await storage.save_page(URL, text, text_hash(text), previous_hash=None)
    return text_hash(text)


async def test_nothing_is_stored_before_the_first_fetch(storage: Storage) -> None:
    assert await storage.watched_page(URL) is None
    assert await storage.page_changes_to_notify() == []


async def test_the_baseline_is_kept_with_its_hash_and_time(storage: Storage, clock: FakeClock) -> None:
    digest = await baseline(storage)
    page = await storage.watched_page(URL)
    assert page is not None
    assert (page.text, page.text_hash) == ("first text", digest)
    assert page.succeeded_at == page.checked_at == clock.now.astimezone(UTC)
    assert page.changed_at is None
    assert await storage.page_changes_to_notify() == []


async def test_a_change_is_kept_with_its_diff_and_shown_to_staff_once(storage: Storage, clock: FakeClock) -> None:
    old = await baseline(storage)
    clock.advance(days=1)
    change = await storage.save_page(URL, "new text", text_hash("new text"), previous_hash=old, diff=DIFF,
                                     programmes=("mirai",))  # fmt: skip
    assert change is not None
    assert (change.diff, change.programmes, change.url) == (DIFF, ("mirai",), URL)
    assert await storage.page_changes_to_notify() == [change]
    assert await storage.get_page_change(change.id) == change
    page = await storage.watched_page(URL)
    assert page is not None
    assert (page.text, page.changed_at) == ("new text", clock.now.astimezone(UTC))

    assert await storage.mark_staff_notified(change.id)
    assert not await storage.mark_staff_notified(change.id)
    assert await storage.page_changes_to_notify() == []


async def test_a_change_already_recorded_by_another_process_is_not_recorded_twice(storage: Storage) -> None:
    """Two processes that saw the same change: only the first, whose stored hash was still the old one, records it."""
    old = await baseline(storage)
    first = await storage.save_page(URL, "new", text_hash("new"), previous_hash=old, diff=DIFF, programmes=("jet",))
    second = await storage.save_page(URL, "new", text_hash("new"), previous_hash=old, diff=DIFF, programmes=("jet",))
    assert first is not None
    assert second is None
    assert [c.id for c in await storage.page_changes_to_notify()] == [first.id]


async def test_a_failed_fetch_keeps_the_text_and_records_the_error(storage: Storage, clock: FakeClock) -> None:
    digest = await baseline(storage)
    clock.advance(hours=1)
    assert await storage.record_page_error(URL, "HTTP 503 Service Unavailable") == 0
    page = await storage.watched_page(URL)
    assert page is not None
    assert (page.text, page.text_hash, page.error) == ("first text", digest, "HTTP 503 Service Unavailable")
    assert page.error_at == page.checked_at == clock.now.astimezone(UTC)
    assert page.succeeded_at is not None
    assert page.succeeded_at < page.error_at


async def test_an_error_before_any_baseline_then_the_baseline(storage: Storage) -> None:
    await storage.record_page_error(URL, "timed out")
    page = await storage.watched_page(URL)
    assert page is not None
    assert (page.text, page.error) == (None, "timed out")
    digest = await baseline(storage)
    page = await storage.watched_page(URL)
    assert page is not None
    assert page.text_hash == digest


async def test_a_suspect_text_is_counted_while_it_comes_back(storage: Storage) -> None:
    await baseline(storage)
    assert [await storage.record_page_error(URL, "shorter", suspect_hash="a" * 64) for _ in range(3)] == [1, 2, 3]
    assert await storage.record_page_error(URL, "shorter", suspect_hash="b" * 64) == 1
    assert await storage.record_page_error(URL, "HTTP 404") == 0


async def test_confirming_a_change_queues_each_subscriber_of_its_programmes_once(storage: Storage) -> None:
    """The notice goes to every active subscriber of the programmes it concerns, once even when subscribed to
    both; a second confirmation queues nothing."""
    await storage.subscribe(1, "mirai")
    await storage.subscribe(2, "jet")
    await storage.subscribe(3, "mirai")
    await storage.subscribe(3, "jet")
    await storage.subscribe(4, "mirai")
    await storage.deactivate(4)
    old = await baseline(storage)
    both = await storage.save_page(URL, "new", text_hash("new"), previous_hash=old, diff=DIFF,
                                   programmes=("jet", "mirai"))  # fmt: skip
    assert both is not None
    assert await storage.page_change_recipients(("jet", "mirai")) == 3
    assert await storage.page_change_recipients(("mirai",)) == 2
    assert await storage.confirm_page_change(both.id, confirmed_by=42) == 3
    assert await storage.confirm_page_change(both.id, confirmed_by=42) == 0
    assert await storage.confirm_page_change(999, confirmed_by=42) is None
    assert await storage.delivery_counts(both.alert_key) == {"pending": 3, "claimed": 0, "sent": 0, "failed": 0}
    confirmed = await storage.get_page_change(both.id)
    assert confirmed is not None
    assert confirmed.confirmed_at is not None


async def test_forget_unsigns_a_confirmation(storage: Storage, database: Database) -> None:
    """An admin who erases their data leaves the confirmed changes, no longer signed."""
    old = await baseline(storage)
    change = await storage.save_page(URL, "new", text_hash("new"), previous_hash=old, diff=DIFF, programmes=("jet",))
    assert change is not None
    await storage.set_language(42, "en")
    await storage.confirm_page_change(change.id, confirmed_by=42)
    await storage.forget(42)
    async with database.engine.connect() as connection:
        signed = (await connection.execute(select(PageChange.confirmed_by))).scalars().all()
    assert signed == [0]
