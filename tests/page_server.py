"""A local stand-in for the embassy's web site, on 127.0.0.1: serves a page a test changes at will, and the
ways a real site fails (404, 5xx, timeouts, empty and error pages, redirect loops, huge bodies).

Usage::

    async with PageServer() as site:
        site.page = exchange_page(extra="MIRAI 2027: applications open on 1 March.")
        url = site.url("/page")
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Self

from aiohttp import web

#: The embassy's page as the source has it (shortened), in the markup of a real site: menus and a footer
#: around the text, which the watcher must ignore.
MIRAI_TEXT = (
    'Japan\'s Friendship Ties programs "MIRAI" (Mutual-understanding, Intellectual Relations and Academic '
    "Exchange Initiative) invites groups of promising young leaders who are expected to play an active role in "
    "international society and provides opportunity to have intellectual exchanges with Japanese students."
)
JET_TEXT = (
    "The Japan Exchange and Teaching (JET) Program is operated by local authorities in conjunction with the "
    "Japanese Government and the Council of Local Authorities for International Relations (CLAIR)."
)


def exchange_page(*, extra: str = "", footer: str = "Last updated 2026-12-01", title: str = "Exchange Programs") -> str:
    """The page's HTML; ``extra`` is a paragraph added after the introduction (what the embassy will publish)."""
    added = f"<p>{extra}</p>" if extra else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<script>var visits = {len(footer)};</script></head>
<body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/visa">Visa</a></li></ul></nav></header>
<main>
  <h1>Exchange Programs</h1>
  <p>The Embassy of Japan in Belgium accepts applications for exchange programs offered in Japan.
     The programs for which applications are accepted during the course of a year are described below.
     Further details will appear on this page as the time for application approaches.</p>
  {added}
  <ul><li>{MIRAI_TEXT}</li></ul>
  <h2>Requirements for candidates</h2>
  <ol><li>Applicants have Belgian nationality and do not have Japanese nationality.</li>
      <li>Applicants must be aged 20 or over.</li></ol>
  <p>{JET_TEXT}</p>
</main>
<footer>{footer}</footer>
</body></html>"""


class PageServer:
    """An aiohttp server on 127.0.0.1 with a mutable page and fixed failure routes."""

    def __init__(self) -> None:
        self.page = exchange_page()
        self.status = 200
        self.content_type = "text/html"
        self.charset: str | None = "utf-8"
        self.delay = 0.0  # seconds before answering /page
        self.requests = 0
        app = web.Application()
        app.router.add_get("/page", self._page)
        app.router.add_get("/loop/{n}", self._loop)
        app.router.add_get("/moved", self._moved)
        app.router.add_get("/big", self._big)
        app.router.add_get("/big-chunked", self._big_chunked)
        app.router.add_get("/hang", self._hang)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)  # hanging handlers are cut off at the end
        self._closing = asyncio.Event()
        self.port = 0

    def url(self, path: str = "/page") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def __aenter__(self) -> Self:
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._closing.set()
        await self._runner.cleanup()

    async def _page(self, request: web.Request) -> web.Response:
        self.requests += 1
        if self.delay:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), self.delay)
        body = self.page.encode(self.charset or "utf-8")
        return web.Response(body=body, status=self.status, content_type=self.content_type, charset=self.charset)

    async def _loop(self, request: web.Request) -> web.Response:
        """/loop/1 -> /loop/2 -> /loop/1 -> …"""
        following = 2 if request.match_info["n"] == "1" else 1
        raise web.HTTPFound(f"/loop/{following}")

    async def _moved(self, request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("/page")

    async def _big(self, request: web.Request) -> web.Response:
        return web.Response(body=b"<p>" + b"x" * (3 * 1024 * 1024) + b"</p>", content_type="text/html")

    async def _big_chunked(self, request: web.Request) -> web.StreamResponse:
        """A huge body without a Content-Length: only counting the bytes stops it."""
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        try:
            for _ in range(64):
                await response.write(b"x" * 65536)
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        return response

    async def _hang(self, request: web.Request) -> web.Response:
        """Headers, then a body that never ends (until the server closes)."""
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        await response.write(b"<html><p>Exchange")
        await self._closing.wait()
        return response
