"""The delivery worker: takes due outbox entries and carries them out against the comment store."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.comments.outbox import Claim, CommentOutbox, Outcome, Result
from bot.comments.records import Action, CommentRecord
from bot.comments.store import (
    CommentStore,
    DeliveryError,
    OutgoingComment,
    PermanentError,
    RemoteComment,
    TransientError,
)
from bot.models import utcnow
from bot.operations.metrics import Counter
from bot.waiting import wait_for_wakeup

log = logging.getLogger(__name__)

IDLE_SECONDS = 300.0
BATCH_PER_SLOT = 4  # entries claimed per round for each concurrent slot

Notify = Callable[[CommentRecord, Outcome], Awaitable[None]]


async def _ignore(comment: CommentRecord, outcome: Outcome) -> None:
    """Default listener: nothing to show."""


class DeliveryWorker:
    """Deliver the outbox with bounded concurrency; sleep until woken or the next entry is due.

    Every bot process runs one; on PostgreSQL they compete for the same outbox (see
    CommentOutbox), each taking different rows.
    """

    def __init__(
        self,
        outbox: CommentOutbox,
        store: CommentStore,
        *,
        notify: Notify = _ignore,
        counter: Counter | None = None,
    ) -> None:
        self._outbox = outbox
        self._counter = counter  # deliveries by result, for /metrics
        self._store = store
        self._notify = notify
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._progress = asyncio.Condition()
        self._recording = asyncio.Lock()  # one write at a time from this worker
        self.delivered = 0
        self.retried = 0
        self.failed = 0
        self.rounds_started = 0
        self.last_idle_round = 0  # the latest round that found nothing due, nothing held back

    def start(self) -> None:
        """Start the background task."""
        self._task = asyncio.create_task(self._run(), name="newsroom-comment-delivery")

    async def stop(self) -> None:
        """Stop it; leased entries return to the queue when their lease ends."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def wake(self) -> None:
        """Look for work now (called after something is added to the outbox)."""
        self._wakeup.set()

    async def _run(self) -> None:
        """Deliver until cancelled."""
        while True:
            self._wakeup.clear()
            self.rounds_started += 1
            this_round = self.rounds_started
            try:
                worked = await self.run_once()
            except Exception:  # the worker must outlive a bad round; logged with its traceback
                log.exception("A comment delivery round failed; trying again shortly")
                worked = 0
                await wait_for_wakeup(self._wakeup, 5.0)
                continue
            if worked:
                continue
            if not self._outbox.held_back:  # due work another transaction held is not done
                async with self._progress:
                    self.last_idle_round = this_round
                    self._progress.notify_all()
            await self._sleep_until_due()

    async def _sleep_until_due(self) -> None:
        """Wait for a wake-up, or until something in the outbox may be due.

        The round's own scan says when (the next retry, a lease ending, or shortly when another
        worker holds a story's next comment); entries held back behind those are not counted.
        """
        outbox = self._outbox
        due = outbox.look_again_at if outbox.scanned else await outbox.next_due_at()
        delay = IDLE_SECONDS if due is None else (due - utcnow()).total_seconds()
        delay = min(max(delay, 0.01), IDLE_SECONDS)
        await wait_for_wakeup(self._wakeup, delay)

    async def _count(self, counter: str) -> None:
        """Advance a progress counter and wake whoever waits on it."""
        if self._counter is not None:
            self._counter.inc(result=counter)
        async with self._progress:
            setattr(self, counter, getattr(self, counter) + 1)
            self._progress.notify_all()

    async def wait_for(self, predicate: Callable[[DeliveryWorker], bool]) -> None:
        """Wait until the worker's counters satisfy `predicate` (for tests and benchmarks)."""
        async with self._progress:
            await self._progress.wait_for(lambda: predicate(self))

    async def settled(self) -> None:
        """Wait until a round started after this call finds nothing due (all due work done)."""
        started = self.rounds_started
        self.wake()
        await self.wait_for(lambda worker: worker.last_idle_round > started)

    async def run_once(self, *, now: datetime | None = None) -> int:
        """Claim one batch, carry it out, record it in one go; return how many were handled."""
        concurrency = self._outbox.policy.concurrency
        claims = await self._outbox.claim_due(concurrency * BATCH_PER_SLOT, now=now)
        if not claims:
            return 0
        slots = asyncio.Semaphore(concurrency)
        results = await asyncio.gather(*(self._attempt(claim, slots) for claim in claims))
        async with self._recording:
            outcomes = await self._outbox.record(list(results))
        for result, outcome in zip(results, outcomes, strict=True):
            if result.error is None:
                log.info(
                    "Delivered comment %s (%s) to the site",
                    result.claim.comment.id,
                    result.claim.action.value,
                    extra={
                        "guild_id": result.claim.comment.guild_id,
                        "article_id": result.claim.article.article_id,
                    },
                )
                await self._count("delivered")
            elif result.permanent:
                await self._count("failed")
            else:
                await self._count("retried")
            if outcome.comment is not None and (outcome.changed or outcome.failed):
                try:
                    await self._notify(outcome.comment, outcome)
                except Exception:  # showing a status must never stop deliveries; logged
                    log.exception("Could not show the status of comment %s", outcome.comment.id)
        return len(claims)

    async def drain(self, *, now: datetime | None = None) -> None:
        """Deliver everything due (now, or at `now`), for scripts and tests."""
        while await self.run_once(now=now):
            pass

    async def _attempt(self, claim: Claim, slots: asyncio.Semaphore) -> Result:
        """Carry out one entry (up to `slots` at once) and say what the site answered."""
        try:
            async with slots:
                remote = await self._perform(claim)
        except TransientError as exc:
            return Result(claim, error=str(exc), retry_after=exc.retry_after)
        except PermanentError as exc:
            return Result(claim, error=str(exc), permanent=True)
        except DeliveryError as exc:
            return Result(claim, error=str(exc))
        return Result(claim, remote=remote)

    async def _perform(self, claim: Claim) -> RemoteComment | None:
        """Make the call the entry stands for."""
        comment = claim.comment
        if claim.action is Action.CREATE:
            post_ref = claim.post_ref or await self._resolve(claim)
            return await self._store.create(
                OutgoingComment(
                    key=f"newsroom-{comment.guild_id}-{comment.id}",
                    post_ref=post_ref,
                    parent_remote_id=claim.parent_remote_id,
                    author_name=comment.author_name,
                    author_email=claim.author_email or "",
                    content_html=comment.content_html,
                    hold=self._outbox.policy.hold,
                )
            )
        assert comment.remote_id is not None
        if claim.action is Action.UPDATE:
            return await self._store.update(comment.remote_id, comment.content_html)
        await self._store.trash(comment.remote_id)
        return None

    async def _resolve(self, claim: Claim) -> str:
        """Find and remember the article's comment section on the site."""
        post_ref = await self._store.resolve_post(claim.article)
        async with self._recording:
            await self._outbox.save_post_ref(claim.article.article_id, post_ref)
        return post_ref
