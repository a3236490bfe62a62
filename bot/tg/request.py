"""The bot's HTTP client for sending: python-telegram-bot's ``BaseRequest`` on aiohttp instead of httpx.

python-telegram-bot sends through ``HTTPXRequest`` unless given another ``BaseRequest`` (its documented seam
for a networking backend). At a paid broadcast rate of 1,000 messages a second, httpx was the bot's largest
cost: measured with ``benchmarks/bench_alerts.py`` (the fake Bot API server in a process of its own, 2
cores, busy with other runs), the bot's process spent about 3.5 ms of CPU a message through ``HTTPXRequest``
and 1.3-1.65 ms through this class (1.05 ms on a quiet machine), so it could not send more than about 300
a second. A profile puts it in httpcore's connection pool, which asks every pooled connection whether it has
expired (a ``poll`` and a ``getpeername`` system call each) before and after every request; no setting of
httpx's avoids that (with a pool of 4 connections, httpx alone still cost 0.9-1.3 ms a request). aiohttp,
already the bot's webhook server, takes about 0.2 ms.

It keeps ``HTTPXRequest``'s interface and behaviour where the bot can tell the difference:

* the same defaults (a pool of 256 connections; 5 s to connect, write and read; 1 s to wait for a pooled
  connection; 20 s to write an upload), overridden per call as python-telegram-bot passes them;
* form-encoded parameters, and ``multipart/form-data`` when a call uploads files (``sendDocument``);
* ``TimedOut`` for every timeout (in python-telegram-bot's words when no connection came free in time: the
  request was not sent),
  ``NetworkError`` naming aiohttp's exception for any other failure to get an answer; the HTTP status and
  body are handed to python-telegram-bot, which maps them to ``BadRequest``, ``Forbidden``, ``RetryAfter``...
  as it does for httpx;
* a proxy from the environment (``HTTPS_PROXY``, ``ALL_PROXY``, ``NO_PROXY``...), as httpx honours it, read
  once at ``initialize`` (aiohttp's ``trust_env`` reads it, and ``~/.netrc``, again for every request: a
  third of the cost of a message).

One difference: aiohttp has no timeout for writing a request. Once it has a connection, the whole call is
bounded instead by the sum of its timeouts (connecting, writing, reading), so a stalled upload still ends.
"""

from __future__ import annotations

import asyncio
import urllib.parse
import urllib.request
from functools import lru_cache
from typing import Final

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

#: python-telegram-bot's own defaults for ``HTTPXRequest``.
POOL_SIZE: Final = 256
TIMEOUT: Final = 5.0
POOL_TIMEOUT: Final = 1.0
MEDIA_WRITE_TIMEOUT: Final = 20.0

_FORM: Final = "application/x-www-form-urlencoded"
#: Long values (a message's text, its keyboard) are kept quoted: an alert sends the same ones to every
#: subscriber, and quoting them character by character was a tenth of the bot's cost of each message.
_QUOTED_FROM: Final = 64
_QUOTED_KEPT: Final = 256
#: The schemes of the environment's proxies that apply to Bot API calls (``getproxies`` also gives ftp, no...).
_PROXIED: Final = frozenset(("http", "https", "all"))
#: python-telegram-bot's wording for httpx's pool timeout.
_POOL_EXHAUSTED: Final = (
    "Pool timeout: All connections in the connection pool are occupied. Request was *not* sent to Telegram. "
    "Consider adjusting the connection pool size or the pool timeout."
)


class AiohttpRequest(BaseRequest):
    """A ``BaseRequest`` over one ``aiohttp.ClientSession``, opened by ``initialize`` and closed by
    ``shutdown`` (python-telegram-bot calls both, and may initialise again after a shutdown)."""

    __slots__ = (
        "_connect",
        "_connections",
        "_media_write",
        "_pool",
        "_pool_size",
        "_proxies",
        "_read",
        "_session",
        "_write",
    )

    def __init__(
        self,
        connection_pool_size: int = POOL_SIZE,
        read_timeout: float | None = TIMEOUT,
        write_timeout: float | None = TIMEOUT,
        connect_timeout: float | None = TIMEOUT,
        pool_timeout: float | None = POOL_TIMEOUT,
        media_write_timeout: float | None = MEDIA_WRITE_TIMEOUT,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._read = read_timeout
        self._write = write_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._media_write = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._connections = asyncio.Semaphore(connection_pool_size)
        self._proxies: dict[str, str] = {}
        """Proxy URLs by the scheme they serve ("all" for any), from the environment."""

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            # Made here, not in __init__: a session (and a semaphore that was waited on) belongs to the event
            # loop running when it is made.
            self._connections = asyncio.Semaphore(self._pool_size)
            self._proxies = {scheme: url for scheme, url in urllib.request.getproxies().items() if scheme in _PROXIED}
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        uploads = request_data.contains_files if request_data is not None else False
        read = self._read if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = self._connect if isinstance(connect_timeout, DefaultValue) else connect_timeout
        pool = self._pool if isinstance(pool_timeout, DefaultValue) else pool_timeout
        if isinstance(write_timeout, DefaultValue):
            write = self._media_write if uploads else self._write
        else:
            write = write_timeout
        parts = (connect, write, read)
        timeout = aiohttp.ClientTimeout(
            connect=connect,
            sock_connect=connect,
            sock_read=read,
            total=None if None in parts else sum(part for part in parts if part is not None),
        )
        body = _body(request_data) if request_data is not None else None
        await self._take_connection(pool)
        try:
            proxy = self._proxy_for(url) if self._proxies else None
            async with session.request(method, url, data=body, timeout=timeout, proxy=proxy) as response:
                return response.status, await response.read()
        except TimeoutError as exc:  # connecting, reading and the total: aiohttp's timeouts are TimeoutErrors
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            # The class name helps when aiohttp's message is empty (as httpx's often is; PTB does the same).
            raise NetworkError(f"aiohttp.{exc.__class__.__name__}: {exc}") from exc
        finally:
            self._connections.release()

    def _proxy_for(self, url: str) -> str | None:
        parts = urllib.parse.urlsplit(url)
        if urllib.request.proxy_bypass(parts.hostname or ""):  # NO_PROXY
            return None
        return self._proxies.get(parts.scheme) or self._proxies.get("all")

    async def _take_connection(self, pool_timeout: float | None) -> None:
        """Wait for one of the pool's connections, at most ``pool_timeout`` seconds.

        Counted here rather than left to aiohttp's connector (which has the same limit, so never waits): its
        wait for a free connection and its connecting share one timeout, where python-telegram-bot has two.
        """
        if not self._connections.locked():
            await self._connections.acquire()  # at once: no timer to set up on the common path
            return
        try:
            async with asyncio.timeout(pool_timeout):
                await self._connections.acquire()
        except TimeoutError as exc:
            raise TimedOut(_POOL_EXHAUSTED) from exc


def _quoted(value: str) -> str:
    """``urllib.parse.urlencode``'s quoting of one name or value."""
    return urllib.parse.quote_plus(value) if len(value) < _QUOTED_FROM else _quoted_long(value)


@lru_cache(maxsize=_QUOTED_KEPT)
def _quoted_long(value: str) -> str:
    return urllib.parse.quote_plus(value)


def _body(request_data: RequestData) -> aiohttp.BytesPayload | aiohttp.FormData:
    """Form-encoded parameters, or multipart with the files to upload (PTB JSON-encodes non-string values)."""
    fields = request_data.json_parameters
    if not request_data.contains_files:
        # Encoded here: aiohttp's FormData would build a multipart writer for every message it then drops.
        encoded = "&".join(f"{_quoted(name)}={_quoted(value)}" for name, value in fields.items())
        return aiohttp.BytesPayload(encoded.encode(), content_type=_FORM)
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, content, mime_type) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form
