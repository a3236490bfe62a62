"""The bot's health as a dict for ``GET /healthz``: knowledge base, database and scheduler; Telegram-free.

``{"status": "ok", "knowledge": {"version": "...", "entries": 36}, "database": "ok", "scheduler": "running"}``;
when something is wrong ``status`` is ``"unhealthy"`` and the failing part says what (``"database":
"unreachable"``, ``"scheduler": "stopped"``). The web server answers 200 or 503 from ``status``.

When a page is watched (``WATCH_URL``), ``"watcher"`` gives its last check, success and error. It never makes
the bot unhealthy: the embassy's site being away is no reason to restart the bot.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Final

from bot.storage import StorageError

if TYPE_CHECKING:
    from datetime import datetime

    from bot.core.engine import Engine
    from bot.storage import Database, Storage

log = logging.getLogger(__name__)

OK: Final = "ok"
UNHEALTHY: Final = "unhealthy"
#: Longer than a healthy database ever needs, shorter than the Docker HEALTHCHECK's timeout.
PING_TIMEOUT: Final = 3.0


async def health_report(
    engine: Engine,
    database: Database,
    *,
    scheduler_running: bool,
    ping_timeout: float = PING_TIMEOUT,
    storage: Storage | None = None,
    watch_url: str | None = None,
) -> dict[str, Any]:
    """What is served and whether the database answers and the scheduler runs, with an overall ``status``."""
    knowledge = engine.snapshot.knowledge
    try:
        async with asyncio.timeout(ping_timeout):
            reachable = await database.ping()
        database_status = OK if reachable else "unreachable"
    except TimeoutError:
        database_status = "timeout"
    scheduler_status = "running" if scheduler_running else "stopped"
    healthy = database_status == OK and scheduler_running
    report: dict[str, Any] = {
        "status": OK if healthy else UNHEALTHY,
        "knowledge": {"version": knowledge.version, "entries": len(knowledge.entries)},
        "database": database_status,
        "scheduler": scheduler_status,
    }
    if watch_url is not None and storage is not None and database_status == OK:
        report["watcher"] = await _watcher(storage, watch_url, ping_timeout)
    return report


async def _watcher(storage: Storage, url: str, seconds: float) -> dict[str, Any]:
    """The watched page's last check, success and error, as stored (shared by every bot process)."""
    try:
        async with asyncio.timeout(seconds):
            page = await storage.watched_page(url)
    except (TimeoutError, StorageError):
        return {"url": url, "status": "unknown (database)"}

    def iso(instant: datetime | None) -> str | None:
        return instant.isoformat() if instant is not None else None

    if page is None:
        return {"url": url, "last_check": None, "last_success": None, "last_error": None}
    return {
        "url": url,
        "last_check": iso(page.checked_at),
        "last_success": iso(page.succeeded_at),
        "last_error": {"at": iso(page.error_at), "reason": page.error} if page.error_at is not None else None,
    }


def is_healthy(report: dict[str, Any]) -> bool:
    """Whether a report from ``health_report`` says all is well."""
    return report.get("status") == OK
