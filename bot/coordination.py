"""One owner at a time for a named background job, across every process on the database.

On PostgreSQL a lease is a session-level advisory lock (`pg_try_advisory_lock`) held on a
connection kept open for as long as this process owns the job. When the process dies, even by
SIGKILL, its connection drops and PostgreSQL releases the lock at once; a standby that calls
`ensure()` every `retry_seconds` then takes the job over, so takeover is bounded by
`retry_seconds` plus the time the server needs to notice the dropped connection: at once for a
dead process (its socket is closed), about 25 s for a dead host or a network split (the lease's
session sets TCP keepalives, see KEEPALIVE_SETTINGS). When the
database restarts, every owner's connection is gone: `ensure()` notices, reports the loss and
competes again once the server is back.

On SQLite there is one process by design, so it always owns every job.

How a job adopts it (the feed poller in cogs/articles/_cog.py does this)::

    lease = context.leases.lease("feed-polling")
    while True:
        if await lease.ensure():      # keep it, or take it if free; False: someone else has it
            ...one cycle of work...   # check `await lease.ensure()` again before the next cycle
        await sleep_or_wake(...)      # a standby waits at most `lease.retry_seconds`
    # on unload: await lease.release()

Poll deadlines take `lease("poll-deadlines")` the same way. The comment outbox does not need
an owner: competing workers claim rows with `SELECT ... FOR UPDATE SKIP LOCKED`; a lease may
still gate a periodic sweeper there. Work done under a lease must stay idempotent at the row
level (claims, nonces): an owner that loses its connection mid-cycle may finish that cycle
while a standby starts the next one.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.database import Database

log = logging.getLogger(__name__)

DEFAULT_RETRY_SECONDS = 5.0
# Server-side TCP keepalives on the lease's session: if the owner's host dies or the network
# splits (no FIN arrives), PostgreSQL drops the session, and with it the lock, within ~25 s.
KEEPALIVE_SETTINGS = {
    "tcp_keepalives_idle": 10,
    "tcp_keepalives_interval": 5,
    "tcp_keepalives_count": 3,
    "tcp_user_timeout": 25_000,  # milliseconds: unacknowledged data also ends the session
}
LEASE_ERRORS = (SQLAlchemyError, OSError)  # OSError covers TimeoutError and dropped sockets


def lock_key(name: str) -> int:
    """Map a job name to a stable signed 64-bit advisory lock key."""
    digest = hashlib.sha256(f"newsroom:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@dataclass(frozen=True, slots=True)
class LeaseState:
    """What one lease looks like from this process, for health checks and metrics."""

    name: str
    owned: bool
    acquisitions: int


class Lease:
    """The right to run one named job; at most one process holds it at a time."""

    def __init__(self, database: Database, name: str, *, retry_seconds: float) -> None:
        self.name = name
        self.retry_seconds = retry_seconds
        self.acquisitions = 0
        self._database = database
        self._key = lock_key(name)
        self._connection: AsyncConnection | None = None
        self._owned = database.backend == "sqlite"
        self._lock = asyncio.Lock()

    @property
    def owned(self) -> bool:
        """Return whether this process held the lease when it last looked."""
        return self._owned

    def state(self) -> LeaseState:
        """Snapshot the lease."""
        return LeaseState(self.name, self._owned, self.acquisitions)

    async def ensure(self) -> bool:
        """Keep the lease if it is still held, take it if it is free; return whether owned."""
        if self._database.backend == "sqlite":
            return True
        async with self._lock:
            if self._connection is not None:
                if await self._alive(self._connection):
                    return True
                log.warning("Lost the lease on %r (database connection dropped)", self.name)
                await self._drop()
            return await self._try_acquire()

    async def release(self) -> None:
        """Give the lease up so a standby can take it at once."""
        if self._database.backend == "sqlite":
            return
        async with self._lock:
            connection = self._connection
            if connection is None:
                return
            try:
                await connection.exec_driver_sql(f"SELECT pg_advisory_unlock({self._key})")
                await connection.commit()
                log.info("Released the lease on %r", self.name)
            except LEASE_ERRORS as exc:
                # E.g. a query of a cancelled ensure() left the connection unusable: closing the
                # connection ends the session, and PostgreSQL releases the lock with it.
                log.info("Releasing the lease on %r by closing its connection (%s)", self.name, exc)
            await self._drop()

    async def _try_acquire(self) -> bool:
        """Open a connection and try the advisory lock without waiting."""
        try:
            async with asyncio.timeout(max(self.retry_seconds, 5.0)):
                connection = await self._database.engine.connect()
        except LEASE_ERRORS as exc:
            log.warning("Cannot compete for the lease on %r: %s", self.name, exc)
            return False
        try:
            for setting, value in KEEPALIVE_SETTINGS.items():
                await connection.exec_driver_sql(f"SET {setting} = {value}")
            result = await connection.exec_driver_sql(f"SELECT pg_try_advisory_lock({self._key})")
            acquired = bool(result.scalar())
            await connection.commit()  # the lock is session level; end the read transaction
        except LEASE_ERRORS as exc:
            log.warning("Cannot compete for the lease on %r: %s", self.name, exc)
            await self._discard(connection)
            return False
        if not acquired:
            await connection.close()
            return False
        self._connection = connection
        self._owned = True
        self.acquisitions += 1
        log.info("Took the lease on %r: this process runs it now", self.name)
        return True

    async def _alive(self, connection: AsyncConnection) -> bool:
        """Return whether the session holding the lock is still connected."""
        try:
            async with asyncio.timeout(max(self.retry_seconds, 5.0)):
                await connection.exec_driver_sql("SELECT 1")
                await connection.commit()
        except LEASE_ERRORS:
            return False
        return True

    async def _drop(self) -> None:
        """Forget the held connection (the lock goes with it)."""
        connection, self._connection = self._connection, None
        self._owned = False
        if connection is not None:
            await self._discard(connection)

    @staticmethod
    async def _discard(connection: AsyncConnection) -> None:
        """Close a connection for good, never returning a broken one to the pool."""
        try:
            await connection.invalidate()
            await connection.close()
        except LEASE_ERRORS:
            log.debug("Closing a dropped lease connection failed", exc_info=True)


class Leases:
    """Hand out named leases on one database; one Lease object per name per process."""

    def __init__(self, database: Database, *, retry_seconds: float = DEFAULT_RETRY_SECONDS) -> None:
        self._database = database
        self._retry_seconds = retry_seconds
        self._leases: dict[str, Lease] = {}

    def lease(self, name: str) -> Lease:
        """Return the lease for a job name (the same object on every call)."""
        if name not in self._leases:
            self._leases[name] = Lease(self._database, name, retry_seconds=self._retry_seconds)
        return self._leases[name]

    def states(self) -> list[LeaseState]:
        """Snapshot every lease this process has asked for."""
        return [lease.state() for lease in self._leases.values()]

    async def release_all(self) -> None:
        """Release every lease (on shutdown)."""
        for lease in self._leases.values():
            await lease.release()
