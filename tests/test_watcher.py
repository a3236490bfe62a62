"""The page watcher against a local web site on 127.0.0.1: baseline, no change, a change, and every way a fetch
fails, none of which is ever taken for a change; plus its settings."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import EMBASSY_PAGE, Settings
from bot.core.engine import Engine
from bot.core.page_watch import CONFIRMATIONS
from bot.storage import Database, Storage
from bot.watcher import PageFetcher, PageWatcher, WatchReport
from tests.page_server import JET_TEXT, PageServer, exchange_page

NEWS = "MIRAI 2027: applications are accepted from 1 March to 31 March."


@pytest.fixture
async def site() -> AsyncIterator[PageServer]:
    async with PageServer() as server:
        yield server


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    async with Database(None, data_dir=tmp_path / "watch") as database:
        await database.upgrade()
        yield Storage(database)


def watcher_for(storage: Storage, engine: Engine, url: str, **fetcher: float) -> PageWatcher:
    return PageWatcher(storage, engine, url, PageFetcher(**fetcher))  # type: ignore[arg-type]


async def changes(storage: Storage) -> list[int]:
    return [change.id for change in await storage.page_changes_to_notify()]


def watch_log(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "bot.watcher"]


async def test_first_fetch_is_the_baseline_and_tells_nobody(site: PageServer, storage: Storage, engine: Engine) -> None:
    """The first fetch is kept as the baseline: its text and hash are stored, no change is recorded."""
    report = await watcher_for(storage, engine, site.url()).check()
    assert report == WatchReport("baseline")
    stored = await storage.watched_page(site.url())
    assert stored is not None
    assert stored.text is not None
    assert stored.text.startswith("Exchange Programs\nThe Embassy of Japan in Belgium accepts applications")
    assert "Home" not in stored.text  # the menu is not page text
    assert "Last updated" not in stored.text
    assert stored.succeeded_at is not None
    assert stored.error is None
    assert await changes(storage) == []


async def test_same_words_in_other_markup_is_no_change(site: PageServer, storage: Storage, engine: Engine) -> None:
    """A new footer date, a script, reindented HTML: the text a reader sees is the same, so nothing changed."""
    watcher = watcher_for(storage, engine, site.url())
    await watcher.check()
    site.page = exchange_page(footer="Last updated 2026-12-03 (visits: 12345)").replace("\n  ", "\n\t\t")
    assert await watcher.check() == WatchReport("unchanged")
    assert await changes(storage) == []


async def test_a_change_is_recorded_once_with_its_diff_and_programme(
    site: PageServer, storage: Storage, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """New text on the page is a change, kept with the added lines and the programmes it names; the next
    fetch of the same page is no change again."""
    caplog.set_level(logging.INFO)
    watcher = watcher_for(storage, engine, site.url())
    await watcher.check()
    site.page = exchange_page(extra=NEWS)
    report = await watcher.check()
    assert report.outcome == "changed"
    assert report.change is not None
    assert report.change.diff.added == (NEWS,)
    assert report.change.diff.removed == ()
    assert report.change.programmes == ("mirai",)
    assert await changes(storage) == [report.change.id]
    stored = await storage.watched_page(site.url())
    assert stored is not None
    assert stored.text is not None
    assert NEWS in stored.text
    assert await watcher.check() == WatchReport("unchanged")
    assert await changes(storage) == [report.change.id]
    assert f"changed (change {report.change.id}: 1 lines added, 0 removed; concerns mirai)" in caplog.text


async def test_a_change_naming_no_programme_concerns_both(site: PageServer, storage: Storage, engine: Engine) -> None:
    watcher = watcher_for(storage, engine, site.url())
    await watcher.check()
    site.page = exchange_page(extra="Applications are accepted from 1 March.")
    report = await watcher.check()
    assert report.change is not None
    assert report.change.programmes == ("jet", "mirai")


async def test_a_redirect_to_the_page_is_followed(site: PageServer, storage: Storage, engine: Engine) -> None:
    assert (await watcher_for(storage, engine, site.url("/moved")).check()).outcome == "baseline"


FAILURES = [
    pytest.param({"status": 404}, "HTTP 404 Not Found", id="404"),
    pytest.param({"status": 500}, "HTTP 500 Internal Server Error", id="500"),
    pytest.param({"status": 503}, "HTTP 503 Service Unavailable", id="503"),
    pytest.param({"delay": 2.0}, "no complete answer within 0.5 s", id="timeout"),
    pytest.param({"content_type": "application/pdf"}, "not an HTML page (Content-Type application/pdf)", id="pdf"),
    pytest.param({"page": "<html><body></body></html>"}, "the page is empty or nearly (0 words)", id="empty"),
    pytest.param({"page": exchange_page(title="404 Not Found")}, "looks like an error page", id="error-page-200"),
    pytest.param(
        {"page": "<html><title>Exchange Programs</title><p>Sorry, we are updating this site.</p></html>"},
        "the page is empty or nearly (6 words)",
        id="placeholder",
    ),
]


@pytest.mark.parametrize(("fault", "reason"), FAILURES)
async def test_a_failed_fetch_is_logged_on_one_line_kept_as_the_last_error_and_never_a_change(
    site: PageServer,
    storage: Storage,
    engine: Engine,
    caplog: pytest.LogCaptureFixture,
    fault: dict[str, object],
    reason: str,
) -> None:
    """A 404, a 5xx, a timeout, a PDF, an empty page or an error page served as 200: the check fails with the
    reason, logged once on one line; the accepted text stays; the page back to normal is no change."""
    watcher = watcher_for(storage, engine, site.url(), timeout=0.5)
    await watcher.check()
    baseline = await storage.watched_page(site.url())
    good = site.page
    for name, value in fault.items():
        setattr(site, name, value)
    caplog.clear()

    report = await watcher.check()

    assert report.outcome in ("failed", "refused")
    assert reason in report.detail
    logged = watch_log(caplog)
    assert len(logged) == 1
    assert logged[0].levelno == logging.WARNING
    assert "\n" not in logged[0].getMessage()
    assert reason in logged[0].getMessage()
    assert "trying again at the next interval" in logged[0].getMessage()
    stored = await storage.watched_page(site.url())
    assert stored is not None
    assert baseline is not None
    assert (stored.text, stored.text_hash, stored.succeeded_at) == (
        baseline.text,
        baseline.text_hash,
        baseline.succeeded_at,
    )
    assert stored.error is not None
    assert reason in stored.error
    assert stored.error_at is not None
    assert await changes(storage) == []

    site.page, site.status, site.delay, site.content_type = good, 200, 0.0, "text/html"
    assert await watcher.check() == WatchReport("unchanged")
    assert await changes(storage) == []


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/loop/1", "more than 5 redirects (a redirect loop?)"),
        ("/big", "the page is too large (3145735 bytes, at most 2097152)"),
        ("/big-chunked", "the page is too large (over 2097152 bytes)"),
        ("/hang", "no complete answer within 0.5 s"),
    ],
)
async def test_redirect_loops_huge_bodies_and_hanging_servers_fail_cleanly(
    site: PageServer, storage: Storage, engine: Engine, caplog: pytest.LogCaptureFixture, path: str, reason: str
) -> None:
    """The fetch gives up on a redirect loop, a body over the size cap (declared or not) and a server that never
    answers, without a baseline or a change."""
    report = await watcher_for(storage, engine, site.url(path), timeout=0.5).check()
    assert report == WatchReport("failed", reason)
    stored = await storage.watched_page(site.url(path))
    assert stored is not None
    assert (stored.text, stored.error) == (None, reason)
    assert [record.levelno for record in watch_log(caplog)] == [logging.WARNING]


async def test_a_refused_connection_is_a_network_error(storage: Storage, engine: Engine) -> None:
    async with PageServer() as closed:
        url = closed.url()
    report = await watcher_for(storage, engine, url).check()
    assert report.outcome == "failed"
    assert report.detail.startswith("network error: ConnectError")


async def test_a_first_fetch_that_fails_is_no_baseline(site: PageServer, storage: Storage, engine: Engine) -> None:
    """An error page at the very first fetch is not taken as the baseline; the first good fetch is."""
    watcher = watcher_for(storage, engine, site.url())
    site.page = "<html><title>Error</title><body>Internal error</body></html>"
    assert (await watcher.check()).outcome == "refused"
    site.page = exchange_page()
    assert await watcher.check() == WatchReport("baseline")
    assert await changes(storage) == []


async def test_a_page_much_shorter_is_refused_until_seen_several_times(
    site: PageServer, storage: Storage, engine: Engine
) -> None:
    """Half the page gone at once is refused; the same shorter page seen CONFIRMATIONS times in a row is a real
    edit, recorded as a change."""
    watcher = watcher_for(storage, engine, site.url())
    long_news = " ".join([NEWS] * 30)
    site.page = exchange_page(extra=long_news)
    await watcher.check()
    site.page = exchange_page()
    outcomes = [(await watcher.check()).outcome for _ in range(CONFIRMATIONS)]
    assert outcomes == ["refused"] * (CONFIRMATIONS - 1) + ["changed"]
    (change,) = await storage.page_changes_to_notify()
    assert change.diff.removed[0].startswith("MIRAI 2027")


async def test_a_page_in_latin_1_is_read_in_its_charset(site: PageServer, storage: Storage, engine: Engine) -> None:
    """The charset of the Content-Type header, else the page's <meta charset>, decodes the page."""
    site.charset = "iso-8859-1"
    site.page = exchange_page(extra="Candidatures: détails à venir.").replace('charset="utf-8"', "")
    await watcher_for(storage, engine, site.url()).check()
    stored = await storage.watched_page(site.url())
    assert stored is not None
    assert stored.text is not None
    assert "Candidatures: détails à venir." in stored.text
    assert JET_TEXT in stored.text


# Settings


def test_watch_settings_default_to_the_embassy_page_daily(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WATCH_URL")
    monkeypatch.delenv("WATCH_INTERVAL_SECONDS", raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.watch_url == EMBASSY_PAGE == "https://www.be.emb-japan.go.jp/itpr_en/study_exchange.html"
    assert settings.watch_interval_seconds == 86400


@pytest.mark.parametrize("blank", ["", "  "])
def test_an_empty_watch_url_turns_the_watch_off(monkeypatch: pytest.MonkeyPatch, blank: str) -> None:
    monkeypatch.setenv("WATCH_URL", blank)
    assert Settings(_env_file=None).watch_url is None  # type: ignore[call-arg]


def test_the_tests_never_watch_the_real_page() -> None:
    """tests/conftest.py empties WATCH_URL for every test: no test reaches the internet."""
    assert Settings(_env_file=None).watch_url is None  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("WATCH_URL", "www.example.org/page", "WATCH_URL must be the address of a web page"),
        ("WATCH_URL", "ftp://example.org/page", "WATCH_URL must be the address of a web page"),
        ("WATCH_INTERVAL_SECONDS", "10", "greater than or equal to 60"),
    ],
)
def test_bad_watch_settings_are_refused_with_a_message(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=message):
        Settings(_env_file=None)  # type: ignore[call-arg]
