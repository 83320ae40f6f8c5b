"""Metrics in the Prometheus text format, health checks, the HTTP endpoint, and JSON logs."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import socket

import aiohttp
import pytest

from bot.database import Database
from bot.logs import JsonFormatter, TextFormatter, bind_log_context, log_context
from bot.operations.health import CheckResult, HealthChecks, task_check
from bot.operations.metrics import CONTENT_TYPE, Metrics, format_value
from bot.operations.server import OperationsServer, database_check

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.secret-token-value-for-tests"


async def test_metrics_render_the_prometheus_text_format() -> None:
    metrics = Metrics()
    events = metrics.counter("newsroom_events_total", "Events handled", ["event"])
    events.inc(event="message")
    events.inc(2, event="interaction")
    depth = metrics.gauge("newsroom_queue_depth", "Queue depth")
    depth.set(3)
    metrics.gauge_callback(
        "newsroom_latency_seconds", "Latency", lambda: {("0",): 0.25, ("1",): 0.5}, ["shard"]
    )

    async def queued() -> int:
        return 7

    metrics.gauge_callback("newsroom_queued", 'Queued "items"\nwaiting', queued)
    text = await metrics.render()
    assert text.endswith("\n")
    assert text.splitlines() == [
        "# HELP newsroom_events_total Events handled",
        "# TYPE newsroom_events_total counter",
        'newsroom_events_total{event="interaction"} 2',
        'newsroom_events_total{event="message"} 1',
        "# HELP newsroom_latency_seconds Latency",
        "# TYPE newsroom_latency_seconds gauge",
        'newsroom_latency_seconds{shard="0"} 0.25',
        'newsroom_latency_seconds{shard="1"} 0.5',
        "# HELP newsroom_queue_depth Queue depth",
        "# TYPE newsroom_queue_depth gauge",
        "newsroom_queue_depth 3",
        '# HELP newsroom_queued Queued "items"\\nwaiting',
        "# TYPE newsroom_queued gauge",
        "newsroom_queued 7",
    ]
    assert events.value(event="interaction") == 2


async def test_label_values_are_escaped_and_bad_names_refused() -> None:
    metrics = Metrics()
    counter = metrics.counter("newsroom_things_total", "Things", ["kind"])
    counter.inc(kind='a "quoted"\\back\nslash')
    assert 'kind="a \\"quoted\\"\\\\back\\nslash"' in await metrics.render()
    with pytest.raises(ValueError, match="takes labels"):
        counter.inc(other="x")
    with pytest.raises(ValueError, match="cannot go down"):
        counter.inc(-1, kind="x")
    with pytest.raises(ValueError, match="not a valid metric name"):
        metrics.counter("newsroom-bad", "Bad")
    with pytest.raises(ValueError, match="already a counter"):
        metrics.gauge("newsroom_things_total", "Again")
    assert metrics.counter("newsroom_things_total", "Things", ["kind"]).value(kind="x") == 0
    assert [format_value(v) for v in (1.0, 0.1, float("inf"), float("nan"))] == [
        "1",
        "0.1",
        "+Inf",
        "NaN",
    ]


async def test_a_failing_gauge_is_left_out_and_the_rest_still_render() -> None:
    metrics = Metrics()

    def broken() -> float:
        raise RuntimeError("database gone")

    metrics.gauge_callback("newsroom_broken", "Broken", broken)
    metrics.counter("newsroom_ok_total", "Fine").inc()
    text = await metrics.render()
    assert "newsroom_broken" not in text
    assert "newsroom_ok_total 1" in text
    metrics.remove("newsroom_ok_total")
    assert "newsroom_ok_total" not in await metrics.render()


async def test_health_checks_report_each_verdict_and_time_out() -> None:
    health = HealthChecks(timeout=0.2)
    never = asyncio.Event()

    async def hangs() -> CheckResult:
        await never.wait()
        return CheckResult(True)

    worker = asyncio.create_task(never.wait())
    health.add("worker", task_check(lambda: worker))
    health.add("hangs", hangs)
    health.add("fine", lambda: CheckResult(True, "ok"))
    report = await health.run()
    assert not report.healthy
    assert report.as_json() == {
        "status": "unhealthy",
        "checks": {
            "fine": {"ok": True, "detail": "ok"},
            "hangs": {"ok": False, "detail": "no answer within 0.2 s"},
            "worker": {"ok": True, "detail": "running"},
        },
    }
    health.remove("hangs")
    assert (await health.run()).healthy
    worker.cancel()
    await asyncio.gather(worker, return_exceptions=True)
    assert (await health.run()).checks["worker"] == CheckResult(False, "stopped")


def closed_port() -> int:
    """Return a loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_the_endpoint_serves_healthz_and_metrics_and_503_when_the_database_is_down(
    database: Database,
) -> None:
    metrics = Metrics()
    metrics.counter("newsroom_events_total", "Events", ["event"]).inc(event="ready")
    health = HealthChecks(timeout=2)
    health.add("database", database_check(database))
    server = OperationsServer(metrics, health, host="127.0.0.1", port=0)
    await server.start()
    unreachable = Database(f"postgresql+asyncpg://newsroom:pw@127.0.0.1:{closed_port()}/x")
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{server.url}/healthz") as response:
                assert response.status == 200
                body = await response.json()
            assert body == {
                "status": "ok",
                "checks": {"database": {"ok": True, "detail": database.backend}},
            }
            async with http.get(f"{server.url}/metrics") as response:
                assert response.status == 200
                assert response.headers["Content-Type"] == CONTENT_TYPE
                assert 'newsroom_events_total{event="ready"} 1' in await response.text()
            health.add("database", database_check(unreachable))
            async with http.get(f"{server.url}/healthz") as response:
                assert response.status == 503
                body = await response.json()
            assert body["status"] == "unhealthy"
            assert body["checks"]["database"]["ok"] is False
            assert "pw" not in json.dumps(body), "no password in the health report"
    finally:
        await server.stop()
        await unreachable.dispose()


def format_record(
    formatter: logging.Formatter, message: str, *args: object, **extra: object
) -> str:
    """Log one record through a formatter and return the line."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger("tests.operations.formatting")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        logger.warning(message, *args, extra=extra)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_json_logs_are_one_object_per_line_with_ids_and_never_the_token() -> None:
    formatter = JsonFormatter(secrets=(TOKEN,))
    with log_context(guild_id=42, command="feed add"):
        line = format_record(formatter, "Posting with %s failed", TOKEN, article_id=7)
    assert line.count("\n") == 1
    entry = json.loads(line)
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "tests.operations.formatting"
    assert entry["message"] == "Posting with [redacted] failed"
    assert (entry["guild_id"], entry["command"], entry["article_id"]) == (42, "feed add", 7)
    assert entry["time"].endswith("+00:00")
    assert TOKEN not in line
    outside = json.loads(format_record(formatter, "no context"))
    assert "guild_id" not in outside


def test_exceptions_are_kept_in_the_json_line_and_redacted() -> None:
    formatter = JsonFormatter(secrets=(TOKEN,))
    try:
        raise RuntimeError(f"login with {TOKEN} refused")
    except RuntimeError as exc:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "failed", (), (type(exc), exc, exc.__traceback__)
        )
    line = formatter.format(record)
    entry = json.loads(line)
    assert "RuntimeError: login with [redacted] refused" in entry["exception"]
    assert TOKEN not in line


def test_text_logs_redact_the_token_too() -> None:
    line = format_record(TextFormatter("%(message)s", secrets=(TOKEN,)), "token=%s", TOKEN)
    assert line == "token=[redacted]\n"


async def test_ids_bound_in_a_task_stay_in_that_task() -> None:
    seen: dict[str, object] = {}

    async def handle() -> None:
        bind_log_context(guild_id=1, command="about")
        await asyncio.sleep(0)
        seen["inside"] = json.loads(format_record(JsonFormatter(), "x")).get("guild_id")

    await asyncio.create_task(handle())
    assert seen["inside"] == 1
    assert "guild_id" not in json.loads(format_record(JsonFormatter(), "y"))
