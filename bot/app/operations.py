"""The Discord side of operations: gateway health and latency, event counts, queue depths."""

from __future__ import annotations

import logging
import math

from discord.ext import commands

from bot.app.context import AppContext
from bot.operations.health import CheckResult
from bot.operations.metrics import Counter, Metrics
from bot.operations.server import OperationsServer, database_check

log = logging.getLogger(__name__)


def event_counter(metrics: Metrics) -> Counter:
    """Return the counter of gateway and custom events the bot dispatched."""
    return metrics.counter(
        "newsroom_events_total", "Events dispatched to the bot's listeners", ["event"]
    )


def gateway_check(bot: commands.AutoShardedBot) -> CheckResult:
    """Pass when the client is ready and every shard of this process is connected."""
    if bot.is_closed():
        return CheckResult(False, "closed")
    if not bot.is_ready():
        return CheckResult(False, "not ready yet")
    down = sorted(shard_id for shard_id, shard in bot.shards.items() if shard.is_closed())
    if down:
        return CheckResult(False, f"shards down: {', '.join(map(str, down))}")
    return CheckResult(True, f"shards {', '.join(map(str, sorted(bot.shards)))} connected")


def latencies(bot: commands.AutoShardedBot) -> dict[tuple[str, ...], float]:
    """Return each shard's heartbeat latency in seconds (finite values only)."""
    return {
        (str(shard_id),): latency
        for shard_id, latency in bot.latencies
        if not math.isnan(latency) and not math.isinf(latency)
    }


def register_bot_metrics(bot: commands.AutoShardedBot, context: AppContext) -> None:
    """Add the gateway, database and lease checks and gauges every process has."""
    metrics, health = context.metrics, context.health
    health.add("database", database_check(context.database))
    health.add("gateway", lambda: gateway_check(bot))
    metrics.gauge_callback(
        "newsroom_gateway_latency_seconds",
        "Heartbeat latency of each shard this process runs",
        lambda: latencies(bot),
        ["shard"],
    )
    metrics.gauge_callback(
        "newsroom_guilds", "Guilds on this process's shards", lambda: len(bot.guilds)
    )
    if context.leases is not None:
        leases = context.leases
        metrics.gauge_callback(
            "newsroom_lease_owned",
            "1 when this process owns the named background job",
            lambda: {(state.name,): float(state.owned) for state in leases.states()},
            ["job"],
        )
    metrics.gauge_callback(
        "newsroom_announcements_queued",
        "Announcements found in feeds and waiting for their turn (all processes)",
        context.announcements.count_all_queued,
    )


async def start_operations_server(context: AppContext) -> OperationsServer | None:
    """Serve /healthz and /metrics when NEWSROOM_OPS_PORT is set."""
    settings = context.settings
    if settings.ops_port is None:
        return None
    server = OperationsServer(
        context.metrics, context.health, host=settings.ops_host, port=settings.ops_port
    )
    try:
        await server.start()
    except OSError as exc:
        log.error(
            "Cannot serve the operations endpoint on %s:%s (%s); running without it",
            settings.ops_host,
            settings.ops_port,
            exc.strerror or exc,
        )
        await server.stop()
        return None
    return server
