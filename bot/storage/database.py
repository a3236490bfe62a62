"""The database connection: an async engine for SQLite (default) or PostgreSQL, and its migrations.

SQLite runs with foreign keys on, WAL journaling and transactions begun by us, so that a write
transaction can be ``BEGIN IMMEDIATE`` (see ``WRITE``) and migrations are transactional.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self

from alembic import command
from alembic.config import Config
from alembic.util.exc import CommandError
from sqlalchemy import Connection, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from bot.core.errors import BotError

log = logging.getLogger(__name__)

MIGRATIONS_DIR: Final = Path(__file__).resolve().parent / "migrations"
SQLITE_FILE_NAME: Final = "bot.sqlite3"
# Execution option read when a transaction begins: "IMMEDIATE" takes SQLite's write lock at BEGIN.
SQLITE_BEGIN: Final = "sqlite_begin"
WRITE: Final[dict[str, Any]] = {SQLITE_BEGIN: "IMMEDIATE"}
# pg_advisory_xact_lock key that serialises migrations of processes starting together ("emb-bot").
_MIGRATION_LOCK: Final = 0x656D622D626F74
_SCHEMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_DRIVERS: Final = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg", "postgres": "postgresql+asyncpg"}
_EXAMPLES: Final = "e.g. sqlite+aiosqlite:///data/bot.sqlite3 or postgresql+asyncpg://user:password@host:5432/dbname"


class StorageError(BotError):
    """The database cannot be reached, migrated or used; the message says what to check."""


def sqlite_url(data_dir: Path) -> str:
    """The default database: a SQLite file in the data directory."""
    return f"sqlite+aiosqlite:///{data_dir / SQLITE_FILE_NAME}"


def parse_url(url: str) -> URL:
    """Parse a database URL, choosing the async driver when it names none (``postgresql://`` -> asyncpg)."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StorageError(f"DATABASE_URL {url!r} is not a database address; expected {_EXAMPLES}") from exc
    backend, _, driver = parsed.drivername.partition("+")
    wanted = _DRIVERS.get(backend)
    if wanted is None or (driver and f"{backend}+{driver}" != wanted):
        shown = parsed.render_as_string(hide_password=True)
        raise StorageError(f"DATABASE_URL {shown!r} is not supported: use SQLite or PostgreSQL, {_EXAMPLES}")
    return parsed.set(drivername=wanted)


class Database:
    """An async engine and session factory for one database, with its Alembic migrations."""

    def __init__(
        self, url: str | None = None, *, data_dir: Path = Path("data"), schema: str | None = None, echo: bool = False
    ) -> None:
        """Connect lazily to ``url``, or to a SQLite file in ``data_dir``; ``schema`` is PostgreSQL's search_path."""
        self.url = parse_url(url if url is not None else sqlite_url(data_dir))
        self.dialect: Final = self.url.get_backend_name()
        connect_args: dict[str, Any] = {}
        if schema is not None:
            if self.dialect != "postgresql" or not _SCHEMA_NAME.fullmatch(schema):
                raise StorageError(f"schema {schema!r}: only a plain identifier, and only on PostgreSQL")
            connect_args["server_settings"] = {"search_path": schema}
        if self.dialect == "sqlite":
            connect_args["timeout"] = 30  # seconds a writer waits for another's lock before giving up
        self.engine: Final[AsyncEngine] = create_async_engine(
            self.url, echo=echo, connect_args=connect_args, pool_pre_ping=self.dialect == "postgresql"
        )
        self.sessions: Final[async_sessionmaker[AsyncSession]] = async_sessionmaker(self.engine, expire_on_commit=False)
        if self.dialect == "sqlite":
            _configure_sqlite(self.engine, self.url.database)

    def __repr__(self) -> str:
        return f"Database({self.display_url!r})"

    @property
    def display_url(self) -> str:
        """The URL with any password hidden, for logs and error messages."""
        return self.url.render_as_string(hide_password=True)

    async def upgrade(self, revision: str = "head") -> None:
        """Create or migrate the schema to ``revision``, in one transaction; safe when processes start together."""
        try:
            async with self.engine.connect() as connection:
                connection = await connection.execution_options(**WRITE)
                async with connection.begin():
                    if self.dialect == "postgresql":
                        await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
                    await connection.run_sync(_run_upgrade, revision)
        except CommandError as exc:
            raise StorageError(
                f"cannot migrate the database at {self.display_url}: {exc}. If it was migrated by a newer version"
                " of the bot, run that version or restore a backup."
            ) from exc
        except (SQLAlchemyError, OSError) as exc:
            raise StorageError(
                f"cannot migrate the database at {self.display_url}: {exc}. Check DATABASE_URL and that the"
                " server is running and reachable, or DATA_DIR is writable."
            ) from exc

    async def ping(self) -> bool:
        """Whether the database answers a trivial query now (for health checks)."""
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError):
            return False
        return True

    async def checkpoint(self) -> None:
        """SQLite: copy the write-ahead log into the database file and empty it, so that rows just erased leave
        no copy in the log (it keeps every page written until a checkpoint). Nothing to do on PostgreSQL."""
        if self.dialect != "sqlite":
            return
        try:
            async with self.engine.connect() as connection:
                # Outside any transaction (our BEGIN would make the checkpoint wait for itself).
                busy = await connection.run_sync(_wal_checkpoint)
        except (SQLAlchemyError, OSError) as exc:
            log.warning("database: the WAL checkpoint after an erasure failed: %s", exc)
            return
        if busy:
            log.warning("database: the WAL checkpoint after an erasure was partial (another connection was reading)")

    async def close(self) -> None:
        """Close every pooled connection; the object can still reconnect if used again."""
        await self.engine.dispose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


def alembic_config() -> Config:
    """Alembic's configuration built in code: no alembic.ini is needed at run time."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def _run_upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _wal_checkpoint(connection: Connection) -> bool:
    """Run ``PRAGMA wal_checkpoint(TRUNCATE)`` on the raw connection; whether SQLite reported it busy."""
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        row = cursor.fetchone()
    finally:
        cursor.close()
    return bool(row and row[0])


def _configure_sqlite(engine: AsyncEngine, database: str | None) -> None:
    """Create the file's directory on first connection; foreign keys, WAL, and our own BEGIN on each connection."""

    @event.listens_for(engine.sync_engine, "do_connect")
    def _make_directory(*_: object) -> None:
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: object) -> None:
        dbapi_connection.isolation_level = None  # the driver's implicit BEGIN off: _begin emits ours
        cursor = dbapi_connection.cursor()
        # secure_delete: an erased row's bytes are overwritten with zeros, not left in a free page (/forget).
        for pragma in ("foreign_keys = ON", "journal_mode = WAL", "synchronous = NORMAL", "secure_delete = ON"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")
