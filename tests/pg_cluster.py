"""A throwaway PostgreSQL cluster a test can stop and restart (initdb/pg_ctl, as .ci/run does)."""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import shutil
import socket
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest

from tests.databases import REQUIRE_POSTGRES_VARIABLE

USER = "newsroom"


def postgres_bin() -> Path | None:
    """Return the newest installed PostgreSQL's bin folder, if any."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=_version)
    return Path(found[-1]).parent if found else None


def _version(path: str) -> tuple[int, ...]:
    """Sort /usr/lib/postgresql/<version>/bin/pg_ctl by version."""
    version = Path(path).parent.parent.name
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def _free_port() -> int:
    """Return a loopback port that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresCluster:
    """One cluster in a temporary folder, on a free loopback port, trusted local logins."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.port = _free_port()
        self.root = Path(tempfile.mkdtemp(prefix="newsroom-drill-pg."))
        self.data = self.root / "data"
        self._as_postgres = os.geteuid() == 0  # PostgreSQL refuses to run as root

    @property
    def server_url(self) -> str:
        """Return the SQLAlchemy URL of the cluster's postgres database."""
        return f"postgresql+asyncpg://{USER}@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        """Return the SQLAlchemy URL of one database."""
        return f"postgresql+asyncpg://{USER}@127.0.0.1:{self.port}/{database}"

    async def _run(self, *args: str) -> None:
        """Run a PostgreSQL tool (as the postgres user when we are root)."""
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        output, _ = await process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed: {output.decode(errors='replace')}")

    async def init(self) -> None:
        """Create the cluster."""
        if self._as_postgres:
            shutil.chown(self.root, "postgres")
        await self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", USER, "-E", "UTF8")

    async def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off"
        log = str(self.root / "server.log")
        await self._run("pg_ctl", "-D", str(self.data), "-l", log, "-w", "-o", options, "start")

    async def stop(self) -> None:
        """Stop the server at once, cutting every connection (a crash for the clients)."""
        await self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    async def restart(self) -> None:
        """Stop and start again on the same port."""
        await self.stop()
        await self.start()

    async def create_database(self, name: str) -> str:
        """Create a database and return its URL."""
        connection = await asyncpg.connect(
            host="127.0.0.1", port=self.port, user=USER, database="postgres"
        )
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()
        return self.url(name)

    def remove(self) -> None:
        """Delete the cluster's files."""
        shutil.rmtree(self.root, ignore_errors=True)


@asynccontextmanager
async def own_cluster() -> AsyncIterator[PostgresCluster]:
    """Run a private cluster for one test; skip (fail in CI) when PostgreSQL is not installed."""
    bin_dir = postgres_bin()
    if bin_dir is None or (os.geteuid() == 0 and shutil.which("runuser") is None):
        reason = (
            "this drill starts its own PostgreSQL with initdb/pg_ctl from "
            "/usr/lib/postgresql/*/bin, which is not installed (`.ci/run` installs it)"
        )
        if os.environ.get(REQUIRE_POSTGRES_VARIABLE):
            pytest.fail(reason)
        pytest.skip(reason)
    cluster = PostgresCluster(bin_dir)
    try:
        await cluster.init()
        await cluster.start()
        yield cluster
    finally:
        with contextlib.suppress(RuntimeError):  # already stopped: nothing to clean up
            await cluster.stop()
        cluster.remove()
