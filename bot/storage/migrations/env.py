"""Alembic environment, for the async engine.

At start-up ``Database.upgrade`` hands Alembic an open connection (``config.attributes["connection"]``).
Run by hand (``alembic upgrade head`` at the project root), it connects to ``-x url=…``, else
``sqlalchemy.url`` from alembic.ini, else the bot's own setting (``DATABASE_URL``, or SQLite in ``DATA_DIR``).
"""

from __future__ import annotations

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

from bot.storage.database import WRITE, Database
from bot.storage.models import Base

config = context.config


def run_migrations(connection: Connection) -> None:
    """Run the pending migrations on an open connection, batch mode on SQLite (it cannot ALTER much)."""
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        transactional_ddl=True,  # SQLite too: Database begins its transactions itself (see database.py)
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def database_from_command_line() -> Database:
    """The database named on the command line or in alembic.ini, else the one the bot itself would use."""
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if url:
        return Database(url)
    from bot.config import Settings  # only when run by hand: the bot passes its connection in

    settings = Settings()
    return Database(settings.database_url, data_dir=settings.data_dir)


async def run_from_command_line() -> None:
    """Connect, migrate in one transaction, disconnect."""
    async with database_from_command_line() as database, database.engine.connect() as connection:
        connection = await connection.execution_options(**WRITE)
        async with connection.begin():
            await connection.run_sync(run_migrations)


if context.is_offline_mode():
    raise SystemExit("Offline (--sql) migrations are not supported: run them against a database.")
given = config.attributes.get("connection")
if given is not None:
    run_migrations(given)
else:
    if config.config_file_name is not None:
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    asyncio.run(run_from_command_line())
