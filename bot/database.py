"""Async engine, session factory and schema migrations for SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

log = logging.getLogger(__name__)

DATABASE_ERRORS = (OSError, OperationalError, DBAPIError)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000
MIGRATION_LOCK = 0x4E657773726F6F6D  # "Newsroom": the advisory lock held while migrating
READ_ONLY_OPTION = "newsroom_read_only"


def _configure_sqlite(engine: AsyncEngine) -> None:
    """Turn on WAL, foreign keys and a busy timeout; begin transactions IMMEDIATE."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling breaks SAVEPOINT and BEGIN; SQLAlchemy emits BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # IMMEDIATE takes the write lock up front, waiting up to busy_timeout for it; a deferred
        # transaction that reads and then writes can instead fail at once with "database is
        # locked" when another connection wrote in between. Read-only sessions (`reads`) begin
        # deferred: under WAL they neither wait for nor block the writer.
        if connection.get_execution_options().get(READ_ONLY_OPTION):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """One engine and its session factory, created once at start-up and passed around."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = make_url(url)
        self.backend = "sqlite" if self.url.get_backend_name() == "sqlite" else "postgresql"
        options: dict[str, Any] = {"echo": echo}
        if self.backend == "postgresql":
            options.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
        else:
            self._ensure_sqlite_directory()
        self.engine: AsyncEngine = create_async_engine(self.url, **options)
        if self.backend == "sqlite":
            _configure_sqlite(self.engine)
        self.sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(
            self.engine, expire_on_commit=False
        )
        # For work that only reads: on SQLite it does not take the write lock.
        self.reads: async_sessionmaker[AsyncSession] = async_sessionmaker(
            self.engine.execution_options(**{READ_ONLY_OPTION: True}), expire_on_commit=False
        )

    def _ensure_sqlite_directory(self) -> None:
        """Create the folder of a SQLite file so a fresh checkout just works."""
        database = self.url.database
        if database and database != ":memory:":
            Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)

    @property
    def display_url(self) -> str:
        """Return the URL with its password hidden, for logs and reports."""
        return self.url.render_as_string(hide_password=True)

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()

    async def ping(self) -> None:
        """Run a trivial query, raising if the database cannot be reached."""
        async with self.engine.connect() as connection:
            await connection.exec_driver_sql("SELECT 1")

    async def upgrade(self, revision: str = "head") -> None:
        """Bring the schema up to `revision` with Alembic (one process at a time on PostgreSQL)."""
        async with self.engine.begin() as connection:
            if self.backend == "postgresql":
                # Processes starting together queue here; the later ones find the schema current.
                await connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
            await connection.run_sync(_run_alembic, command.upgrade, revision)

    async def current_revision(self) -> str | None:
        """Return the schema revision the database is at, or None when empty."""
        async with self.engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )

    @staticmethod
    def head_revision() -> str | None:
        """Return the newest revision shipped with this version of Newsroom."""
        return ScriptDirectory.from_config(alembic_config()).get_current_head()


def alembic_config() -> Config:
    """Build an Alembic config pointing at the migrations shipped inside the package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def _run_alembic(connection: Connection, operation: Callable[..., None], revision: str) -> None:
    """Run an Alembic command on an open connection."""
    config = alembic_config()
    config.attributes["connection"] = connection
    operation(config, revision)


def insert_ignoring_conflicts(database: Database, table: Table) -> Any:
    """Return an INSERT that does nothing when the row's key already exists."""
    dialect = postgresql if database.backend == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


def describe_database_error(database: Database, error: BaseException) -> str:
    """Explain in one line why the database could not be used."""
    reason = getattr(error, "orig", None) or error
    return (
        f"Cannot use the database at {database.display_url}: {reason}. "
        "Check DATABASE_URL and that the database server is running."
    )
