"""What the articles cog reports to /metrics and /healthz."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.app.context import AppContext
from bot.feeds.poller import CycleReport
from bot.operations.health import task_check
from cogs.articles._publisher import CrosspostQueue

FEED_POLLING_JOB = "feed-polling"
HEALTH_CHECKS = ("feed-poller", "crossposts")


class FeedPollingMetrics:
    """Counters of the feed poller: fetches by result, posts, cycles."""

    def __init__(self, context: AppContext) -> None:
        metrics = context.metrics
        self.fetches = metrics.counter(
            "newsroom_feed_fetches_total", "Feed fetches by result", ["result"]
        )
        self.posted = metrics.counter(
            "newsroom_feed_announcements_posted_total", "Announcements the feed poller posted"
        )
        self.cycles = metrics.counter(
            "newsroom_feed_cycles_total", "Feed polling cycles this process ran as the owner"
        )

    def record(self, report: CycleReport) -> None:
        """Add one cycle's report."""
        self.cycles.inc()
        self.fetches.inc(report.fetched, result="fetched")
        self.fetches.inc(report.not_modified, result="not_modified")
        self.fetches.inc(report.failed, result="failed")
        self.posted.inc(report.posted)


def register_health(
    context: AppContext,
    polling: Callable[[], asyncio.Task[None] | None],
    crossposts: CrosspostQueue,
) -> None:
    """Report the poller and crosspost workers' liveness and the crosspost queue's depth."""
    context.health.add("feed-poller", task_check(polling))
    context.health.add("crossposts", task_check(crossposts.task))
    context.metrics.gauge_callback(
        "newsroom_crossposts_waiting",
        "Announcements this process waits to crosspost (hourly budget per channel)",
        lambda: len(crossposts),
    )


def unregister_health(context: AppContext) -> None:
    """Remove what register_health added."""
    for name in HEALTH_CHECKS:
        context.health.remove(name)
    context.metrics.remove("newsroom_crossposts_waiting")
