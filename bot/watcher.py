"""Fetching the watched page (the embassy's Exchange Programs page) and keeping what it says.

One ``check`` fetches the page with httpx (a total timeout, a size cap, a few redirects at most), reduces it
to text, asks ``bot.core.page_watch.judge`` what it means, and stores the outcome: a baseline, no change, a
change (kept with its diff, for staff to confirm), or a refusal (an error page, an empty page, a network
error...), kept as the watcher's last error and logged on one line. Nothing is retried at once: the next
check is the next interval.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Final, Literal

import httpx

from bot.core.engine import Engine
from bot.core.page_watch import (
    Baseline,
    Changed,
    PageText,
    Refused,
    Unchanged,
    Verdict,
    judge,
    page_text,
    shrink_only,
    word_count,
)
from bot.core.page_watch_views import programme_names
from bot.storage import PageChangeRecord, Storage, StorageError

log = logging.getLogger(__name__)

#: The whole fetch, redirects and body included; the embassy's page loads in well under a second.
TIMEOUT: Final = 30.0
#: The page is some 30 kB of HTML; anything this large is not it.
MAX_BYTES: Final = 2 * 1024 * 1024
MAX_REDIRECTS: Final = 5
USER_AGENT: Final = "embassy-exchange-bot page watch (Embassy of Japan in Belgium; checks once a day)"
HTML_TYPES: Final = ("text/html", "application/xhtml+xml")
_META_CHARSET: Final = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE)


class FetchError(Exception):
    """The page could not be fetched as an HTML page; the message says why, for staff and the log."""


Outcome = Literal["baseline", "unchanged", "changed", "refused", "failed"]


@dataclass(frozen=True, slots=True)
class WatchReport:
    outcome: Outcome
    detail: str = ""
    change: PageChangeRecord | None = None


class PageFetcher:
    """GET one HTML page within bounds; ``transport`` is a test seam (httpx's own)."""

    def __init__(
        self,
        *,
        timeout: float = TIMEOUT,
        max_bytes: int = MAX_BYTES,
        max_redirects: int = MAX_REDIRECTS,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.transport = transport

    async def fetch(self, url: str) -> str:
        """The page's HTML, decoded; ``FetchError`` for anything but a 200 HTML page of a sane size in time."""
        try:
            async with asyncio.timeout(self.timeout):
                return await self._fetch(url)
        except TimeoutError as exc:
            raise FetchError(f"no complete answer within {self.timeout:g} s") from exc
        except httpx.TooManyRedirects as exc:
            raise FetchError(f"more than {self.max_redirects} redirects (a redirect loop?)") from exc
        except httpx.TimeoutException as exc:
            raise FetchError(f"timed out ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:  # connection refused, DNS, TLS, broken transfer...
            raise FetchError(f"network error: {type(exc).__name__}: {exc}") from exc

    async def _fetch(self, url: str) -> str:
        async with (
            httpx.AsyncClient(
                timeout=self.timeout,
                follow_redirects=True,
                max_redirects=self.max_redirects,
                headers={"User-Agent": USER_AGENT, "Accept": "text/html"},
                transport=self.transport,
            ) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code != httpx.codes.OK:
                raise FetchError(f"HTTP {response.status_code} {response.reason_phrase}".strip())
            content_type = response.headers.get("content-type", "text/html").split(";")[0].strip().lower()
            if content_type not in HTML_TYPES:
                raise FetchError(f"not an HTML page (Content-Type {content_type})")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise FetchError(f"the page is too large ({int(declared)} bytes, at most {self.max_bytes})")
            body = bytearray()
            async for chunk in response.aiter_bytes():  # decompressed: the cap holds for gzip too
                body += chunk
                if len(body) > self.max_bytes:
                    raise FetchError(f"the page is too large (over {self.max_bytes} bytes)")
            return _decode(bytes(body), response.charset_encoding)


def _decode(body: bytes, charset: str | None) -> str:
    """The header's charset, else the page's own <meta charset>, else UTF-8; a bad byte never stops a check."""
    if charset is None and (meta := _META_CHARSET.search(body[:4096])) is not None:
        charset = meta.group(1).decode("ascii")
    try:
        return body.decode(charset or "utf-8", errors="replace")
    except LookupError:  # an unknown charset name
        return body.decode("utf-8", errors="replace")


def _read(
    html: str,
    previous: str | None,
    programmes: Mapping[str, Collection[str]],
    suspect_hash: str | None,
    suspect_count: int,
) -> tuple[PageText, Verdict]:
    page = page_text(html)
    return page, judge(page, previous, programmes, suspect_hash=suspect_hash, suspect_count=suspect_count)


class PageWatcher:
    """Checks one page and keeps the outcome in storage, for every bot process to see."""

    def __init__(self, storage: Storage, engine: Engine, url: str, fetcher: PageFetcher | None = None) -> None:
        self.storage = storage
        self.engine = engine
        self.url = url
        self.fetcher = fetcher or PageFetcher()
        self._lock = asyncio.Lock()  # one check at a time in a process: two would record one change twice

    async def check(self) -> WatchReport:
        """Fetch the page once and record what it means; never raises for a failed fetch or database."""
        async with self._lock:
            try:
                return await self._check()
            except StorageError as exc:
                log.error("page watch: %s: could not record the check: %s", self.url, exc)
                return WatchReport("failed", str(exc))

    async def _check(self) -> WatchReport:
        try:
            html = await self.fetcher.fetch(self.url)
        except FetchError as exc:
            await self.storage.record_page_error(self.url, str(exc))
            log.warning("page watch: %s: fetch failed, trying again at the next interval: %s", self.url, exc)
            return WatchReport("failed", str(exc))
        stored = await self.storage.watched_page(self.url)
        previous = stored.text if stored is not None else None
        # In a thread: a page at the size cap takes about a second to parse and compare, which would hold up
        # every student's answer meanwhile.
        page, verdict = await asyncio.to_thread(
            _read,
            html,
            previous,
            programme_names(self.engine.snapshot.knowledge),
            stored.suspect_hash if stored is not None else None,
            stored.suspect_count if stored is not None else 0,
        )
        if isinstance(verdict, Refused):
            suspect = page.digest if shrink_only(verdict.reason) else None
            seen = await self.storage.record_page_error(self.url, verdict.reason, suspect_hash=suspect)
            times = f" (seen {seen} times in a row)" if seen > 1 else ""
            log.warning(
                "page watch: %s: not compared, trying again at the next interval: %s%s", self.url, verdict.reason, times
            )
            return WatchReport("refused", verdict.reason)
        previous_hash = stored.text_hash if stored is not None else None
        if isinstance(verdict, Baseline):
            await self.storage.save_page(self.url, page.text, page.digest, previous_hash=None)
            log.info("page watch: %s: first fetch kept as the baseline (%d words)", self.url, word_count(page.text))
            return WatchReport("baseline")
        if isinstance(verdict, Unchanged):
            await self.storage.save_page(self.url, page.text, page.digest, previous_hash=previous_hash)
            log.info("page watch: %s: unchanged", self.url)
            return WatchReport("unchanged")
        assert isinstance(verdict, Changed)
        change = await self.storage.save_page(
            self.url,
            page.text,
            page.digest,
            previous_hash=previous_hash,
            diff=verdict.diff,
            programmes=verdict.programmes,
        )
        if change is None:  # another process recorded this change first
            log.info("page watch: %s: changed, already recorded by another process", self.url)
            return WatchReport("unchanged")
        log.info(
            "page watch: %s: changed (change %d: %d lines added, %d removed; concerns %s)",
            self.url, change.id, len(verdict.diff.added), len(verdict.diff.removed), ", ".join(verdict.programmes),
        )  # fmt: skip
        return WatchReport("changed", change=change)
