"""Storage on both backends: migrations, SQLite pragmas, guild settings."""

import sqlite3
from datetime import UTC

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select

from bot.database import Database
from bot.guild_settings import Feature, GuildConfig, GuildSettingsService, Setting
from bot.models import Base, GuildSettings


async def test_upgrade_brings_an_empty_database_to_head(database_url: str) -> None:
    database = Database(database_url)
    try:
        assert await database.current_revision() is None
        await database.upgrade()
        assert await database.current_revision() == Database.head_revision()
        await database.upgrade()  # a second upgrade is a no-op
        assert await database.current_revision() == Database.head_revision()
    finally:
        await database.dispose()


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'sub' / 'newsroom.db'}")
    try:
        async with database.engine.connect() as connection:
            journal = await connection.exec_driver_sql("PRAGMA journal_mode")
            foreign_keys = await connection.exec_driver_sql("PRAGMA foreign_keys")
            assert journal.scalar() == "wal"
            assert foreign_keys.scalar() == 1
        assert (tmp_path / "sub" / "newsroom.db").exists()
    finally:
        await database.dispose()


async def test_sqlite_reads_do_not_wait_for_the_writer(tmp_path) -> None:
    path = tmp_path / "newsroom.db"
    database = Database(f"sqlite+aiosqlite:///{path}")
    try:
        await database.upgrade()
        writer = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            writer.execute("BEGIN IMMEDIATE")  # another process holds the write lock
            writer.execute(
                "INSERT INTO guild_settings (guild_id, created_at, updated_at) VALUES (1, 0, 0)"
            )
            async with database.reads() as reading:
                assert (await reading.execute(select(GuildSettings.guild_id))).all() == []
            writer.execute("COMMIT")  # the read took no lock the writer needs
        finally:
            writer.close()
        async with database.reads() as reading:
            assert len((await reading.execute(select(GuildSettings.guild_id))).all()) == 1
    finally:
        await database.dispose()


async def test_unset_guild_has_defaults(database: Database) -> None:
    config = await GuildSettingsService(database).get(42)
    assert config == GuildConfig(42)
    assert all(config.enabled(feature) for feature in Feature)


async def test_settings_are_stored_and_read_back(database: Database, backend: str) -> None:
    service = GuildSettingsService(database)
    await service.set(7, Setting.ANNOUNCEMENT_CHANNEL, 2**62 + 5)
    await service.set(7, Setting.EDITORS_ROLE, 99)
    await service.set_feature(7, Feature.POLLS, False)
    config = await service.set(7, Setting.LOG_CHANNEL, 100)
    assert config.announcement_channel_id == 2**62 + 5
    assert config.editors_role_id == 99
    assert config.log_channel_id == 100
    assert not config.enabled(Feature.POLLS)
    assert config.enabled(Feature.ARTICLES)
    assert await service.get(7) == config
    cleared = await service.set(7, Setting.EDITORS_ROLE, None)
    assert cleared.editors_role_id is None
    async with database.sessions() as session:
        row = (await session.scalars(select(GuildSettings))).one()
    assert row.updated_at.tzinfo is UTC
    assert row.created_at <= row.updated_at


@pytest.mark.parametrize(
    ("role_ids", "manage_guild", "expected"),
    [({5}, False, True), ({6}, False, False), (set(), True, True), (set(), False, False)],
)
def test_editors_are_the_editor_role_or_server_managers(
    role_ids: set[int], manage_guild: bool, expected: bool
) -> None:
    config = GuildConfig(1, editors_role_id=5)
    assert config.is_editor(role_ids=role_ids, can_manage_guild=manage_guild) is expected


async def test_migrations_match_the_models(database: Database) -> None:
    def differences(connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    async with database.engine.connect() as connection:
        assert await connection.run_sync(differences) == []
