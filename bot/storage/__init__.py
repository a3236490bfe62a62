"""Storage: users, subscriptions, the alert outbox and the question log, on SQLite or PostgreSQL."""

from bot.core.question_log import Outcome
from bot.storage.database import Database, StorageError, sqlite_url
from bot.storage.repository import (
    BROADCAST_PREFIX,
    PAGE_CHANGE_PREFIX,
    BroadcastRecord,
    Claim,
    DeliveryState,
    LoggedQuestion,
    PageChangeRecord,
    Stats,
    Storage,
    UserRecord,
    WatchedPageRecord,
)

__all__ = [
    "BROADCAST_PREFIX",
    "PAGE_CHANGE_PREFIX",
    "BroadcastRecord",
    "Claim",
    "Database",
    "DeliveryState",
    "LoggedQuestion",
    "Outcome",
    "PageChangeRecord",
    "Stats",
    "Storage",
    "StorageError",
    "UserRecord",
    "WatchedPageRecord",
    "sqlite_url",
]
