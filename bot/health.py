"""The bot's health as a dict for ``GET /healthz``: knowledge base, database and scheduler; Telegram-free.

``{"status": "ok", "knowledge": {"version": "...", "entries": 36}, "database": "ok", "scheduler": "running"}``;
when something is wrong ``status`` is ``"unhealthy"`` and the failing part says what (``"database":
"unreachable"``, ``"scheduler": "stopped"``). The web server answers 200 or 503 from ``status``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from bot.core.engine import Engine
    from bot.storage import Database

log = logging.getLogger(__name__)

OK: Final = "ok"
UNHEALTHY: Final = "unhealthy"
#: Longer than a healthy database ever needs, shorter than the Docker HEALTHCHECK's timeout.
PING_TIMEOUT: Final = 3.0


async def health_report(
    engine: Engine, database: Database, *, scheduler_running: bool, ping_timeout: float = PING_TIMEOUT
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
    return {
        "status": OK if healthy else UNHEALTHY,
        "knowledge": {"version": knowledge.version, "entries": len(knowledge.entries)},
        "database": database_status,
        "scheduler": scheduler_status,
    }


def is_healthy(report: dict[str, Any]) -> bool:
    """Whether a report from ``health_report`` says all is well."""
    return report.get("status") == OK
