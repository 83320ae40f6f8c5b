"""Leases: one owner at a time per job across processes on PostgreSQL; SQLite always owns."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest

from bot.coordination import KEEPALIVE_SETTINGS, Lease, Leases, lock_key
from bot.database import Database

PG_ONLY = pytest.mark.parametrize("backend", ["postgresql"])


@pytest.fixture
async def other_process(database_url: str) -> AsyncIterator[Database]:
    """A second engine on the same database: what another bot process would have."""
    other = Database(database_url)
    yield other
    await other.dispose()


async def terminate_lock_holders(database: Database) -> int:
    """Kill the server sessions holding advisory locks, as when their process is SIGKILLed."""
    async with database.engine.connect() as connection:
        result = await connection.exec_driver_sql(
            "SELECT pg_terminate_backend(pid) FROM pg_locks "
            "WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid() "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        return len(result.fetchall())


def test_lock_keys_are_stable_signed_64_bit_and_distinct() -> None:
    assert lock_key("feed-polling") == lock_key("feed-polling")
    assert lock_key("feed-polling") != lock_key("poll-deadlines")
    assert -(2**63) <= lock_key("feed-polling") < 2**63


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_on_sqlite_the_single_process_always_owns(database: Database) -> None:
    lease = Leases(database).lease("feed-polling")
    assert lease.owned
    assert await lease.ensure()
    await lease.release()
    assert await lease.ensure()


@PG_ONLY
async def test_only_one_process_owns_a_job_until_it_releases_it(
    database: Database, other_process: Database
) -> None:
    mine = Leases(database, retry_seconds=0.5)
    theirs = Leases(other_process, retry_seconds=0.5)
    assert await mine.lease("feed-polling").ensure()
    assert not await theirs.lease("feed-polling").ensure()
    assert await mine.lease("feed-polling").ensure(), "the owner keeps it"
    assert not await theirs.lease("feed-polling").ensure()
    assert await theirs.lease("poll-deadlines").ensure(), "another job has its own owner"
    await mine.lease("feed-polling").release()
    assert not mine.lease("feed-polling").owned
    assert await theirs.lease("feed-polling").ensure()
    assert not await mine.lease("feed-polling").ensure()
    assert [(s.name, s.owned) for s in theirs.states()] == [
        ("feed-polling", True),
        ("poll-deadlines", True),
    ]
    await theirs.release_all()
    assert await mine.lease("poll-deadlines").ensure()
    await mine.release_all()


@PG_ONLY
async def test_a_dead_owners_lease_is_taken_over_and_the_old_owner_notices(
    database: Database, other_process: Database
) -> None:
    owner = Lease(database, "feed-polling", retry_seconds=0.2)
    standby = Lease(other_process, "feed-polling", retry_seconds=0.2)
    assert await owner.ensure()
    assert not await standby.ensure()
    assert await terminate_lock_holders(other_process) == 1
    assert await standby.ensure(), "the lock went with the dead session"
    assert standby.acquisitions == 1
    assert not await owner.ensure(), "the old owner sees its session gone and someone else in"
    assert not owner.owned
    await standby.release()
    assert await owner.ensure(), "and can own it again later"
    assert owner.acquisitions == 2
    await owner.release()


@PG_ONLY
async def test_competing_for_one_job_at_once_gives_exactly_one_owner(
    database: Database, database_url: str
) -> None:
    engines = [Database(database_url) for _ in range(5)]
    try:
        leases = [Lease(engine, "feed-polling", retry_seconds=0.2) for engine in engines]
        results = await asyncio.gather(*(lease.ensure() for lease in leases))
        assert sum(results) == 1
        for lease in leases:
            await lease.release()
    finally:
        for engine in engines:
            await engine.dispose()


def closed_port() -> int:
    """Return a loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_an_unreachable_database_means_not_owner_rather_than_a_crash() -> None:
    database = Database(f"postgresql+asyncpg://newsroom@127.0.0.1:{closed_port()}/nothing")
    try:
        lease = Lease(database, "feed-polling", retry_seconds=0.2)
        assert not await lease.ensure()
        assert not lease.owned
        await lease.release()
    finally:
        await database.dispose()


@PG_ONLY
async def test_processes_starting_together_migrate_one_at_a_time(database_url: str) -> None:
    engines = [Database(database_url) for _ in range(3)]
    try:
        await asyncio.gather(*(engine.upgrade() for engine in engines))
        revisions = {await engine.current_revision() for engine in engines}
        assert revisions == {Database.head_revision()}
    finally:
        for engine in engines:
            await engine.dispose()


@PG_ONLY
async def test_the_lease_session_uses_tcp_keepalives_so_a_dead_host_loses_it(
    database: Database,
) -> None:
    lease = Lease(database, "feed-polling", retry_seconds=0.2)
    assert await lease.ensure()
    connection = lease._connection  # the session that holds the lock
    assert connection is not None
    for setting, value in KEEPALIVE_SETTINGS.items():
        shown = (await connection.exec_driver_sql(f"SHOW {setting}")).scalar()
        assert shown in {f"{value}", f"{value}s", f"{value}ms", f"{value // 1000}s"}, (
            setting,
            shown,
        )
    await connection.commit()
    await lease.release()


@PG_ONLY
async def test_release_after_a_cancelled_check_still_frees_the_job(
    database: Database, other_process: Database
) -> None:
    owner = Lease(database, "feed-polling", retry_seconds=0.2)
    standby = Lease(other_process, "feed-polling", retry_seconds=0.2)
    assert await owner.ensure()
    checking = asyncio.create_task(owner.ensure())  # as at shutdown: the poll loop is cancelled
    await asyncio.sleep(0)  # let it start its query on the lease's connection
    checking.cancel()
    await asyncio.gather(checking, return_exceptions=True)
    await owner.release()
    assert not owner.owned
    assert await standby.ensure(), "closing the connection released the lock"
    await standby.release()
