"""The tables: users, their subscriptions, the alert outbox and the anonymous question log.

Every timestamp is a timezone-aware UTC ``datetime`` on the Python side, whatever the backend stores.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, Final

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.core.question_log import OUTCOMES

# Constraint names fixed by convention, so migrations name them alike on every backend.
NAMING_CONVENTION: Final[dict[str, str]] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

LANGUAGE_CODES: Final = ("en", "fr", "nl")
DELIVERY_STATES: Final = ("pending", "claimed", "sent", "failed")
QUESTION_OUTCOMES: Final = OUTCOMES

# BIGINT on PostgreSQL; INTEGER on SQLite, the only type SQLite auto-increments as a rowid alias.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utc_now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite keeps no time zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the storage keeps timezone-aware UTC times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with the naming convention and UTC timestamps."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime()}


class User(Base):
    """A chat the bot knows: its language choice and whether Telegram still lets us write to it."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_one_of("language", LANGUAGE_CODES), name="language"),
        CheckConstraint(_one_of("recent_language", LANGUAGE_CODES), name="recent_language"),
    )

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    language: Mapped[str | None] = mapped_column(String(2))  # the user's explicit choice (/language)
    # The language the user last subscribed in: alerts use it when there is no explicit choice.
    recent_language: Mapped[str | None] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # False once Telegram answered 403


class Subscription(Base):
    """One user's subscription to one programme's alerts."""

    __tablename__ = "subscriptions"
    __table_args__ = (Index(None, "programme_id"),)

    # The primary key (chat_id, programme_id) is the uniqueness: one subscription per user and programme.
    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.chat_id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    programme_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class Delivery(Base):
    """The outbox: one alert for one subscriber, queued once, claimed by one worker, then sent or failed."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("alert_key", "chat_id"),
        CheckConstraint(_one_of("state", DELIVERY_STATES), name="state"),
        Index(None, "state", "id"),
        Index(None, "chat_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    alert_key: Mapped[str] = mapped_column(String(200))  # e.g. "mirai:2026-window-1:opens"
    chat_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.chat_id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(8), default="pending")
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class QuestionLog(Base):
    """A question the bot was asked and how it fared; anonymous: nothing links it to who asked."""

    __tablename__ = "question_log"
    __table_args__ = (
        CheckConstraint(_one_of("lang", LANGUAGE_CODES), name="lang"),
        CheckConstraint(_one_of("outcome", QUESTION_OUTCOMES), name="outcome"),
        Index(None, "asked_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    asked_at: Mapped[datetime] = mapped_column(default=utc_now)
    text: Mapped[str] = mapped_column(Text)
    lang: Mapped[str] = mapped_column(String(2))
    outcome: Mapped[str] = mapped_column(String(10))
    entry_id: Mapped[str | None] = mapped_column(String(100))


class Broadcast(Base):
    """An announcement to a programme's subscribers: kept so that a crash mid-delivery can resume it.

    Its deliveries are outbox rows keyed ``broadcast:<id>``.
    """

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    programme_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int] = mapped_column(BigInteger)  # the admin's Telegram user id, for the record
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    confirmed_at: Mapped[datetime | None] = mapped_column(default=None)


class QuizLog(Base):
    """A verdict shown at the end of an eligibility quiz: the programme and its status, nothing else."""

    __tablename__ = "quiz_log"
    __table_args__ = (Index(None, "finished_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    finished_at: Mapped[datetime] = mapped_column(default=utc_now)
    programme_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))


class WatchedPage(Base):
    """A page the bot watches (the embassy's Exchange Programs page): its last accepted text and how the
    last fetches went, shared by every bot process."""

    __tablename__ = "watched_pages"

    url: Mapped[str] = mapped_column(String(2000), primary_key=True)
    text: Mapped[str | None] = mapped_column(Text)  # normalised; None until a first plausible fetch
    text_hash: Mapped[str | None] = mapped_column(String(64))  # SHA-256 of text, hex
    checked_at: Mapped[datetime | None]  # the last fetch, whatever its outcome
    succeeded_at: Mapped[datetime | None]  # the last fetch accepted (baseline, unchanged or changed)
    changed_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)  # why the last failed fetch failed
    error_at: Mapped[datetime | None]
    # A much shorter text is accepted only once seen several times in a row: which one, how many times.
    suspect_hash: Mapped[str | None] = mapped_column(String(64))
    suspect_count: Mapped[int] = mapped_column(Integer, default=0)


class PageChange(Base):
    """A change of a watched page: its trimmed diff, shown to staff, and sent to subscribers once confirmed.

    Its deliveries are outbox rows keyed ``page-change:<id>``.
    """

    __tablename__ = "page_changes"
    __table_args__ = (Index(None, "staff_notified_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    old_hash: Mapped[str] = mapped_column(String(64))
    new_hash: Mapped[str] = mapped_column(String(64))
    removed: Mapped[str] = mapped_column(Text)  # the diff's removed lines, one per line
    added: Mapped[str] = mapped_column(Text)
    omitted: Mapped[int] = mapped_column(Integer, default=0)  # changed lines left out of the trimmed diff
    programmes: Mapped[str] = mapped_column(String(200))  # programme ids it concerns, comma-separated
    detected_at: Mapped[datetime] = mapped_column(default=utc_now)
    staff_notified_at: Mapped[datetime | None] = mapped_column(default=None)
    confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    confirmed_by: Mapped[int | None] = mapped_column(BigInteger, default=None)  # the admin's user id
