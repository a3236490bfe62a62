"""Storage: users, subscriptions, the alert outbox and the question log, on SQLite or PostgreSQL."""

from bot.core.question_log import Outcome
from bot.storage.database import Database, StorageError, sqlite_url
from bot.storage.repository import (
    BROADCAST_PREFIX,
    BroadcastRecord,
    Claim,
    DeliveryState,
    LoggedQuestion,
    Stats,
    Storage,
    UserRecord,
)

__all__ = [
    "BROADCAST_PREFIX",
    "BroadcastRecord",
    "Claim",
    "Database",
    "DeliveryState",
    "LoggedQuestion",
    "Outcome",
    "Stats",
    "Storage",
    "StorageError",
    "UserRecord",
    "sqlite_url",
]
