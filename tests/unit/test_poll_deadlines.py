"""The deadline scheduler: due polls close once, under the poll-deadlines lease, and it wakes up."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.coordination import Leases
from bot.database import Database
from bot.models import utcnow
from bot.polls.deadlines import DeadlineOwnership, DeadlineScheduler
from bot.polls.drafts import build_draft
from bot.polls.service import PollRecord, PollService


async def test_only_the_lease_holder_closes_due_polls(database: Database) -> None:
    moments = [utcnow()]
    service = PollService(database, clock=lambda: moments[0])
    draft = build_draft("Q?", "Yes; No", "1h")
    poll = await service.create(draft, guild_id=1, channel_id=2, created_by=3)
    closed_by: list[str] = []

    def closer(name: str):  # type: ignore[no-untyped-def]
        async def close(record: PollRecord) -> None:
            if await service.close(record.id) is not None:
                closed_by.append(name)

        return close

    first = Leases(database, retry_seconds=0.5).lease("poll-deadlines")
    second = Leases(database, retry_seconds=0.5).lease("poll-deadlines")
    schedulers = [
        DeadlineScheduler(service, closer("first"), ownership=DeadlineOwnership(first)),
        DeadlineScheduler(service, closer("second"), ownership=DeadlineOwnership(second)),
    ]
    try:
        delays = [await scheduler.run_once() for scheduler in schedulers]
        # Polls created by another process do not wake this one: no sleep outlasts the retry.
        assert all(0 < delay <= 0.5 for delay in delays)
        assert closed_by == []
        moments[0] = poll.closes_at + timedelta(seconds=1)
        for scheduler in schedulers:
            await scheduler.run_once()
        # PostgreSQL: the standby does not even try; SQLite (one process): it finds it closed.
        assert closed_by == ["first"]
    finally:
        await first.release()
        await second.release()


async def test_the_scheduler_closes_a_poll_created_after_it_went_to_sleep(
    database: Database,
) -> None:
    service = PollService(database)
    closed = asyncio.Event()

    async def close(record: PollRecord) -> None:
        await service.close(record.id)
        closed.set()

    scheduler = DeadlineScheduler(service, close)
    scheduler.start()
    try:
        draft = build_draft("Q?", "Yes; No", timedelta(seconds=1), min_duration=timedelta(0))
        poll = await service.create(draft, guild_id=1, channel_id=2, created_by=3)
        scheduler.wake()
        await asyncio.wait_for(closed.wait(), timeout=10)
    finally:
        await scheduler.stop()
    record = await service.get(poll.id)
    assert record.closed_at is not None
    assert record.closed_at >= record.closes_at
