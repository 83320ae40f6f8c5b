"""Alembic environment: runs on the connection Newsroom hands over, or on DATABASE_URL."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection

from bot.models import Base

target_metadata = Base.metadata


def _run_on(connection: Connection) -> None:
    """Run migrations on an open synchronous connection."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_from_settings() -> None:
    """Open the configured database (used by the plain `alembic` command) and migrate."""
    from bot.config import load_settings
    from bot.database import Database

    database = Database(load_settings().database_url)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(_run_on)
    finally:
        await database.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run_on(connection)
elif context.is_offline_mode():
    raise SystemExit("Offline migrations are not supported; run `newsroom db upgrade`.")
else:
    asyncio.run(_run_from_settings())
