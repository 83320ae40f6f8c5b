"""The optional operations endpoint: GET /healthz (JSON, 200 or 503) and GET /metrics."""

from __future__ import annotations

import logging

from aiohttp import web

from bot.database import Database
from bot.operations.health import CheckFunction, CheckResult, HealthChecks
from bot.operations.metrics import CONTENT_TYPE, Metrics

log = logging.getLogger(__name__)


def database_check(database: Database) -> CheckFunction:
    """Build a check that pings the database."""

    async def check() -> CheckResult:
        try:
            await database.ping()
        except Exception as exc:  # noqa: BLE001 - any failure to reach the database is unhealthy
            return CheckResult(False, f"{database.backend}: {type(exc).__name__}")
        return CheckResult(True, database.backend)

    return check


class OperationsServer:
    """Serve /healthz and /metrics on one address (loopback by default)."""

    def __init__(self, metrics: Metrics, health: HealthChecks, *, host: str, port: int) -> None:
        self._metrics = metrics
        self._health = health
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None

    @property
    def port(self) -> int:
        """Return the port actually bound (useful when 0 asked for a free one)."""
        if self._runner is None or not self._runner.addresses:
            return self._port
        return int(self._runner.addresses[0][1])

    @property
    def url(self) -> str:
        """Return the base URL."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        """Start listening."""
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics_page)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()
        log.info("Operations endpoint listening on %s (/healthz, /metrics)", self.url)

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, _request: web.Request) -> web.Response:
        """Answer 200 when every check passes, 503 otherwise, with each check's verdict."""
        report = await self._health.run()
        return web.json_response(report.as_json(), status=200 if report.healthy else 503)

    async def _metrics_page(self, _request: web.Request) -> web.Response:
        """Answer with every metric in the Prometheus text format."""
        body = await self._metrics.render()
        return web.Response(body=body.encode(), headers={"Content-Type": CONTENT_TYPE})
