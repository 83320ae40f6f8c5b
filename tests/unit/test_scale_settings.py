"""Sharding, lease, operations and log-format settings, and `newsroom run --shards`."""

from __future__ import annotations

import pytest

from bot.app.client import NewsroomBot
from bot.config import SettingsError, load_settings
from bot.database import Database
from tests.unit.test_cli import newsroom

PG_URL = "postgresql://newsroom@127.0.0.1:5432/newsroom"  # never connected to here


def test_by_default_one_process_runs_every_shard_discord_recommends() -> None:
    settings = load_settings(None)
    assert settings.shard_count is None
    assert settings.process_shard_ids is None
    assert settings.ops_port is None, "the operations endpoint is off by default"
    assert settings.ops_host == "127.0.0.1"
    assert settings.log_format == "text"
    assert settings.lease_retry_seconds == 5.0


def test_shard_ids_are_read_as_a_list_and_default_to_all_shards() -> None:
    chosen = load_settings(
        None, NEWSROOM_SHARD_COUNT="4", NEWSROOM_SHARD_IDS="1, 3", DATABASE_URL=PG_URL
    )
    assert (chosen.shard_count, chosen.process_shard_ids) == (4, [1, 3])
    every = load_settings(None, NEWSROOM_SHARD_COUNT="3", NEWSROOM_SHARD_IDS="")
    assert every.process_shard_ids == [0, 1, 2]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            {"NEWSROOM_SHARD_COUNT": "2", "NEWSROOM_SHARD_IDS": "0,2"},
            "NEWSROOM_SHARD_IDS: shard ids must be 0 to 1 for 2 shards; got 2",
        ),
        (
            {"NEWSROOM_SHARD_IDS": "0"},
            "NEWSROOM_SHARD_IDS needs NEWSROOM_SHARD_COUNT (the total number of shards)",
        ),
        (
            {"NEWSROOM_SHARD_COUNT": "2", "NEWSROOM_SHARD_IDS": "1"},
            "NEWSROOM_SHARD_IDS: other processes run the other shards, so every process must "
            "share one PostgreSQL database",
        ),
        (
            {"NEWSROOM_SHARD_COUNT": "2", "NEWSROOM_SHARD_IDS": "1,1"},
            "NEWSROOM_SHARD_IDS: each shard id may appear once",
        ),
        (
            {"NEWSROOM_SHARD_COUNT": "2", "NEWSROOM_SHARD_IDS": "one"},
            "NEWSROOM_SHARD_IDS: 'one' is not a shard id (a number from 0)",
        ),
        ({"NEWSROOM_SHARD_COUNT": "0"}, "NEWSROOM_SHARD_COUNT: Input should be greater"),
        ({"NEWSROOM_LOG_FORMAT": "yaml"}, "NEWSROOM_LOG_FORMAT: Input should be 'text' or 'json'"),
        ({"NEWSROOM_OPS_PORT": "70000"}, "NEWSROOM_OPS_PORT: Input should be less than"),
        ({"NEWSROOM_LEASE_RETRY_SECONDS": "0"}, "NEWSROOM_LEASE_RETRY_SECONDS: Input should be"),
    ],
)
def test_bad_sharding_and_operations_settings_are_named(
    values: dict[str, str], expected: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(None, **values)
    [problem] = caught.value.problems
    assert problem.startswith(expected), problem


def test_log_format_and_ops_port_are_read() -> None:
    settings = load_settings(None, NEWSROOM_LOG_FORMAT="JSON", NEWSROOM_OPS_PORT="9109")
    assert (settings.log_format, settings.ops_port) == ("json", 9109)
    assert load_settings(None, NEWSROOM_OPS_PORT="").ops_port is None


async def test_the_bot_runs_the_shards_its_settings_choose(tmp_path) -> None:
    settings = load_settings(
        None, NEWSROOM_SHARD_COUNT="4", NEWSROOM_SHARD_IDS="2,3", DATABASE_URL=PG_URL
    )
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'n.db'}")
    try:
        bot = NewsroomBot(settings, database)
        assert (bot.shard_count, bot.shard_ids) == (4, [2, 3])
        explicit = NewsroomBot(settings, database, shard_count=1, shard_ids=[0])
        assert (explicit.shard_count, explicit.shard_ids) == (1, [0])
    finally:
        await database.dispose()


def test_run_rejects_shard_ids_outside_the_shard_count_before_connecting(tmp_path) -> None:
    result = newsroom(
        tmp_path, "run", "--shards", "2", "--shard-ids", "0,5", DISCORD_TOKEN="x" * 60
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "shard ids must be 0 to 1 for 2 shards; got 5" in result.stderr
    assert not (tmp_path / "newsroom.db").exists()


def test_run_help_documents_the_sharding_options(tmp_path) -> None:
    result = newsroom(tmp_path, "run", "--help")
    assert result.returncode == 0
    assert "--shards N" in result.stdout
    assert "--shard-ids A,B" in result.stdout
