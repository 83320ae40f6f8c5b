"""Real databases for tests: a SQLite file, or a throwaway database on a PostgreSQL server."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

POSTGRES_URL_VARIABLE = "NEWSROOM_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_VARIABLE = "NEWSROOM_REQUIRE_POSTGRES"
BACKENDS = ["sqlite", "postgresql"]


def postgres_server_url() -> str:
    """Return the admin URL of the test PostgreSQL server, or skip (fail in CI) without one."""
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if url:
        return url
    reason = (
        f"PostgreSQL tests need a server: set {POSTGRES_URL_VARIABLE} to "
        "postgresql+asyncpg://user@127.0.0.1:PORT/postgres (`.ci/run` starts one)"
    )
    if os.environ.get(REQUIRE_POSTGRES_VARIABLE):
        pytest.fail(reason)
    pytest.skip(reason)


def _asyncpg_dsn(url: str, database: str | None = None) -> str:
    """Turn a SQLAlchemy URL into a DSN asyncpg understands."""
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


@asynccontextmanager
async def fresh_database_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """Yield the URL of an empty database of the given backend, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'newsroom.db'}"
        return
    server_url = postgres_server_url()
    name = f"newsroom_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(_asyncpg_dsn(server_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        admin = await asyncpg.connect(_asyncpg_dsn(server_url))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
