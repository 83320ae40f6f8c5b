"""The transactional outbox: claim due deliveries in order, record what the site answered."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.comments.records import (
    Action,
    CommentPolicy,
    CommentRecord,
    CommentStatus,
)
from bot.comments.store import ArticleRef, RemoteComment, RemoteStatus
from bot.database import Database, insert_ignoring_conflicts
from bot.models import (
    Article,
    ArticleKey,
    BridgedComment,
    CommentDelivery,
    CommentTarget,
    utcnow,
)

log = logging.getLogger(__name__)

QUEUED, DONE, FAILED = "queued", "done", "failed"
SCAN_LIMIT = 500
BUSY_POLL_SECONDS = 0.5  # how soon to look again while another worker holds the head of a queue
LOCKED_RETRY_SECONDS = 0.05  # how soon to look again after skipping rows a transaction locked
REMOTE_TO_STATUS = {
    RemoteStatus.PUBLISHED: CommentStatus.PUBLISHED,
    RemoteStatus.HELD: CommentStatus.HELD,
    RemoteStatus.TRASHED: CommentStatus.TRASHED,
}


def backoff_seconds(
    attempts: int,
    policy: CommentPolicy,
    *,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Exponential backoff with jitter (half to full), never sooner than Retry-After."""
    ceiling = min(
        policy.retry_max_seconds, policy.retry_base_seconds * 2.0 ** min(max(attempts - 1, 0), 40)
    )
    delay = (rng or random).uniform(ceiling / 2, ceiling)
    if retry_after is not None:
        delay = max(delay, min(retry_after, 6 * 3600.0))
    return delay


@dataclass(frozen=True, slots=True)
class Claim:
    """One delivery taken by the worker, with everything needed to carry it out."""

    delivery_id: int
    action: Action
    attempts: int
    comment: CommentRecord
    author_email: str | None
    parent_remote_id: str | None
    article: ArticleRef
    post_ref: str | None
    claimed_at: datetime


@dataclass(frozen=True, slots=True)
class Result:
    """What the site answered to one claimed delivery."""

    claim: Claim
    remote: RemoteComment | None = None
    error: str | None = None
    permanent: bool = False
    retry_after: float | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What recording a delivery's result changed, for the Discord side to show."""

    comment: CommentRecord | None
    changed: bool
    failed: bool = False
    error: str | None = None


@dataclass(slots=True)
class _Plan:
    """What one scan of the queue decided: deliveries to take, ones to close, when to look again."""

    now: datetime
    chosen: list[int] = field(default_factory=list)
    closing: list[tuple[int, int, Action]] = field(default_factory=list)
    look_at: datetime | None = None
    held_back: bool = False  # due rows were skipped: another transaction had them locked

    def look_by(self, when: datetime) -> None:
        """Look at the queue again no later than `when`."""
        self.look_at = when if self.look_at is None else min(self.look_at, when)

    def in_flight(self, until: datetime | None = None) -> None:
        """Note a delivery another worker holds: what waits behind it may be free any moment."""
        soon = self.now + timedelta(seconds=BUSY_POLL_SECONDS)
        self.look_by(soon if until is None else min(until, soon))


class CommentOutbox:
    """Deliveries waiting for the site, claimed with a lease so a crash hands them on.

    Any number of workers may drain one database at once. On PostgreSQL each claim locks the
    rows it takes with SELECT ... FOR UPDATE SKIP LOCKED, so competing workers (one per bot
    process) never wait for each other and never take the same row; the lease written in the
    same transaction then stands for the claim while the site is called, so a worker that dies
    after claiming hands its rows on when the lease ends. On SQLite (one process, writes
    serialised by BEGIN IMMEDIATE) the lease alone does it.
    """

    def __init__(self, database: Database, policy: CommentPolicy) -> None:
        self._database = database
        self.policy = policy
        self._competing = database.backend == "postgresql"
        self._articles: dict[int, ArticleRef] = {}  # an article's identity does not change
        self._post_refs: dict[int, str] = {}
        self.look_again_at: datetime | None = None  # from the latest scan that claimed nothing
        self.held_back = False  # the latest scan skipped due rows another transaction locked
        self.scanned = False

    async def claim_due(self, limit: int, *, now: datetime | None = None) -> list[Claim]:
        """Lease up to `limit` due deliveries whose turn it is.

        Per comment, deliveries go in order; per story, comments are created in the order
        written (one creation in flight per story, whichever worker has it), so parents go
        before their replies. A delivery leased by another worker, or locked by another
        worker's claim that has not committed yet, holds back what waits behind it.
        """
        now = now or utcnow()
        lease_until = now + timedelta(seconds=self.policy.lease_seconds)
        async with self._database.sessions.begin() as session:
            plan = await self._plan(session, limit, now)
            if self._competing:
                await self._lock(session, plan, limit)
            for delivery_id, comment_id, action in plan.closing:
                await self._nothing_to_do(session, delivery_id, comment_id, action)
            if plan.closing:
                plan.look_by(now)  # what waited behind them may go at once
            self.look_again_at, self.held_back, self.scanned = plan.look_at, plan.held_back, True
            if not plan.chosen:
                return []
            await session.execute(
                update(CommentDelivery)
                .where(
                    CommentDelivery.id.in_(plan.chosen),
                    CommentDelivery.state == QUEUED,
                    (CommentDelivery.lease_until.is_(None)) | (CommentDelivery.lease_until <= now),
                )
                .values(lease_until=lease_until, attempts=CommentDelivery.attempts + 1)
            )
            taken = list(
                await session.scalars(
                    select(CommentDelivery)
                    .where(
                        CommentDelivery.id.in_(plan.chosen),
                        CommentDelivery.lease_until == lease_until,
                    )
                    .order_by(CommentDelivery.id)
                    .execution_options(populate_existing=True)
                )
            )
            comment_ids = [delivery.comment_id for delivery in taken]
            await session.scalars(
                select(BridgedComment)
                .where(BridgedComment.id.in_(comment_ids))
                .execution_options(populate_existing=True)
            )
            return [await self._claim(session, delivery, now) for delivery in taken]

    async def _plan(self, session: AsyncSession, limit: int, now: datetime) -> _Plan:
        """Walk the queue in order and pick the deliveries whose turn it is."""
        rows = (
            await session.execute(
                select(
                    CommentDelivery.id,
                    CommentDelivery.action,
                    CommentDelivery.lease_until,
                    CommentDelivery.next_attempt_at,
                    BridgedComment.id,
                    BridgedComment.article_id,
                    BridgedComment.parent_id,
                    BridgedComment.remote_id,
                )
                .join(BridgedComment, BridgedComment.id == CommentDelivery.comment_id)
                .where(CommentDelivery.state == QUEUED)
                .order_by(CommentDelivery.id)
                .limit(SCAN_LIMIT)
            )
        ).all()
        plan = _Plan(now)
        blocked: set[int] = set()  # comments with an earlier delivery still to do
        creating: set[int] = set()  # stories with an earlier comment still to create
        for (
            delivery_id,
            action,
            leased_until,
            due_at,
            comment_id,
            article_id,
            parent_id,
            remote_id,
        ) in rows:
            if comment_id in blocked:
                continue
            blocked.add(comment_id)
            if action == Action.CREATE:
                if article_id in creating:
                    continue  # a story's comments reach the site in the order written
                creating.add(article_id)
            if leased_until is not None and leased_until > now:
                plan.in_flight(leased_until)
                continue
            if due_at > now:
                plan.look_by(due_at)
                continue
            if action == Action.CREATE:
                if parent_id is not None and not await self._parent_ready(session, parent_id):
                    plan.in_flight()
                    continue
            elif remote_id is None:
                plan.closing.append((delivery_id, comment_id, Action(action)))
                continue
            plan.chosen.append(delivery_id)
            if len(plan.chosen) >= limit and not self._competing:
                break  # competing workers pick every head: others may be holding the first ones
        return plan

    async def _lock(self, session: AsyncSession, plan: _Plan, limit: int) -> None:
        """Keep the first `limit` picked rows this claim could lock, and the closable ones.

        PostgreSQL: FOR UPDATE SKIP LOCKED. The comment is locked with its delivery, so an edit
        in progress (which writes the comment, then looks for a waiting update) and a claim never
        see each other half done. A row another worker is claiming right now is skipped, not
        waited for; one whose lease another worker committed since the scan no longer matches
        and is left too.
        """
        wanted = min(limit, len(plan.chosen))
        plan.chosen = await self._lock_rows(session, plan.chosen, plan.now, limit)
        closing = await self._lock_rows(session, [d for d, _, _ in plan.closing], plan.now)
        if len(plan.chosen) < wanted or len(closing) < len(plan.closing):
            plan.held_back = True  # another transaction has them: a short one, free any moment
            plan.look_by(plan.now + timedelta(seconds=LOCKED_RETRY_SECONDS))
        plan.closing = [entry for entry in plan.closing if entry[0] in closing]

    async def _lock_rows(
        self, session: AsyncSession, ids: list[int], now: datetime, limit: int | None = None
    ) -> list[int]:
        """Lock up to `limit` of these still-unclaimed rows and their comments, skipping locked."""
        if not ids:
            return []
        query = (
            select(CommentDelivery.id)
            .join(BridgedComment, BridgedComment.id == CommentDelivery.comment_id)
            .where(
                CommentDelivery.id.in_(ids),
                CommentDelivery.state == QUEUED,
                (CommentDelivery.lease_until.is_(None)) | (CommentDelivery.lease_until <= now),
            )
            .order_by(CommentDelivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=[CommentDelivery, BridgedComment])
        )
        return list(await session.scalars(query))

    async def _parent_ready(self, session: AsyncSession, parent_id: int) -> bool:
        """Tell whether a reply may go: its parent is on the site, or never will be."""
        parent = (
            await session.execute(
                select(BridgedComment.remote_id, BridgedComment.status).where(
                    BridgedComment.id == parent_id
                )
            )
        ).first()
        if parent is None or parent.remote_id is not None:
            return True
        # A parent that will never reach the site lets the reply go as a top-level comment.
        return parent.status in (CommentStatus.FAILED, CommentStatus.TRASHED)

    async def _nothing_to_do(
        self, session: AsyncSession, delivery_id: int, comment_id: int, action: Action
    ) -> None:
        """Close an update or trash of a comment that never reached the site."""
        await session.execute(
            update(CommentDelivery)
            .where(CommentDelivery.id == delivery_id)
            .values(state=DONE, last_error="the comment never reached the site")
        )
        if action is Action.TRASH:
            await session.execute(
                update(BridgedComment)
                .where(BridgedComment.id == comment_id)
                .values(status=CommentStatus.TRASHED)
            )

    async def _claim(
        self, session: AsyncSession, delivery: CommentDelivery, now: datetime
    ) -> Claim:
        """Gather what a claimed delivery needs (its comment is loaded already)."""
        comment = await session.get(BridgedComment, delivery.comment_id)
        assert comment is not None
        parent_remote = None
        if comment.parent_id is not None:
            parent_remote = await session.scalar(
                select(BridgedComment.remote_id).where(BridgedComment.id == comment.parent_id)
            )
        article = self._articles.get(comment.article_id)
        if article is None:
            row = await session.get(Article, comment.article_id)
            assert row is not None
            keys = tuple(
                await session.scalars(
                    select(ArticleKey.key).where(ArticleKey.article_id == comment.article_id)
                )
            )
            article = ArticleRef(row.id, row.url, row.canonical_url, keys)
            self._articles[comment.article_id] = article
        post_ref = self._post_refs.get(comment.article_id)
        if post_ref is None:
            target = await session.get(CommentTarget, comment.article_id)
            post_ref = target.post_ref if target is not None else None
        return Claim(
            delivery_id=delivery.id,
            action=Action(delivery.action),
            attempts=delivery.attempts,
            comment=CommentRecord.from_row(comment),
            author_email=comment.author_email,
            parent_remote_id=parent_remote,
            article=article,
            post_ref=post_ref,
            claimed_at=now,
        )

    async def save_post_ref(self, article_id: int, post_ref: str) -> None:
        """Remember the site's reference of an article's comment section."""
        self._post_refs[article_id] = post_ref
        async with self._database.sessions.begin() as session:
            await session.execute(
                insert_ignoring_conflicts(self._database, CommentTarget.__table__).values(
                    article_id=article_id, post_ref=post_ref
                )
            )

    async def post_ref(self, article_id: int) -> str | None:
        """Return the remembered site reference of an article, if resolved before."""
        async with self._database.reads() as session:
            target = await session.get(CommentTarget, article_id)
            return target.post_ref if target is not None else None

    async def next_due_at(self) -> datetime | None:
        """Return when the earliest queued delivery becomes due (or its lease ends)."""
        async with self._database.reads() as session:
            due = await session.scalar(
                select(func.min(CommentDelivery.next_attempt_at)).where(
                    CommentDelivery.state == QUEUED
                )
            )
            lease = await session.scalar(
                select(func.min(CommentDelivery.lease_until)).where(
                    CommentDelivery.state == QUEUED, CommentDelivery.lease_until.is_not(None)
                )
            )
            times = [t for t in (due, lease) if t is not None]
            return min(times) if times else None

    async def count(self, state: str = QUEUED) -> int:
        """Count deliveries in a state."""
        async with self._database.reads() as session:
            return int(
                await session.scalar(
                    select(func.count())
                    .select_from(CommentDelivery)
                    .where(CommentDelivery.state == state)
                )
                or 0
            )

    # Results ----------------------------------------------------------------------------------

    async def record(self, results: list[Result]) -> list[Outcome]:
        """Record what the site answered for a round of deliveries, in one transaction."""
        async with self._database.sessions.begin() as session:
            await session.scalars(
                select(CommentDelivery).where(
                    CommentDelivery.id.in_([r.claim.delivery_id for r in results])
                )
            )
            await session.scalars(
                select(BridgedComment).where(
                    BridgedComment.id.in_([r.claim.comment.id for r in results])
                )
            )
            outcomes = []
            for result in results:
                if result.error is None:
                    outcomes.append(await self._succeeded(session, result.claim, result.remote))
                elif result.permanent:
                    outcomes.append(await self._failed(session, result.claim, result.error))
                else:
                    outcomes.append(
                        await self._retry(session, result.claim, result.error, result.retry_after)
                    )
            return outcomes

    async def succeeded(self, claim: Claim, remote: RemoteComment | None) -> Outcome:
        """Record what the site now has."""
        [outcome] = await self.record([Result(claim, remote=remote)])
        return outcome

    async def retry_later(
        self, claim: Claim, error: str, *, retry_after: float | None = None
    ) -> Outcome:
        """Put a delivery back with backoff; past the give-up age it fails instead."""
        [outcome] = await self.record([Result(claim, error=error, retry_after=retry_after)])
        return outcome

    async def failed(self, claim: Claim, error: str) -> Outcome:
        """Mark a delivery failed for good (the comment too, when it was its creation)."""
        [outcome] = await self.record([Result(claim, error=error, permanent=True)])
        return outcome

    async def _succeeded(
        self, session: AsyncSession, claim: Claim, remote: RemoteComment | None
    ) -> Outcome:
        """Record success; a forgotten comment that just arrived gets trashed."""
        delivery = await session.get(CommentDelivery, claim.delivery_id)
        if delivery is not None:
            delivery.state = DONE
            delivery.lease_until = None
            delivery.last_error = None
        row = await session.get(BridgedComment, claim.comment.id)
        if row is None:
            return Outcome(None, changed=False)
        before = row.status
        if claim.action is Action.CREATE and remote is not None:
            row.remote_id = remote.id
            if row.status == CommentStatus.FORGOTTEN:
                row.author_name, row.author_email, row.content_html = "", None, ""
                session.add(CommentDelivery(comment_id=row.id, action=Action.TRASH))
            else:
                row.status = REMOTE_TO_STATUS[remote.status]
            row.error = None
        elif claim.action is Action.UPDATE and remote is not None:
            if row.status not in (CommentStatus.FORGOTTEN, CommentStatus.TRASHED):
                row.status = REMOTE_TO_STATUS[remote.status]
        elif claim.action is Action.TRASH:
            if row.status == CommentStatus.FORGOTTEN:
                await session.delete(row)
                return Outcome(None, changed=True)
            row.status = CommentStatus.TRASHED
        return Outcome(CommentRecord.from_row(row), changed=row.status != before)

    async def _retry(
        self, session: AsyncSession, claim: Claim, error: str, retry_after: float | None
    ) -> Outcome:
        """Schedule the next attempt with backoff, or give up past the give-up age."""
        now = max(claim.claimed_at, utcnow())
        delivery = await session.get(CommentDelivery, claim.delivery_id)
        if delivery is None:
            return Outcome(None, changed=False)
        if now - delivery.created_at > timedelta(hours=self.policy.give_up_hours):
            return await self._fail(session, delivery, f"gave up after retrying: {error}")
        delay = backoff_seconds(delivery.attempts, self.policy, retry_after=retry_after)
        delivery.next_attempt_at = now + timedelta(seconds=delay)
        delivery.lease_until = None
        delivery.last_error = error
        log.info(
            "Comment delivery %s (%s) will be retried in %.1f s: %s",
            delivery.id,
            delivery.action,
            delay,
            error,
        )
        return Outcome(None, changed=False)

    async def _failed(self, session: AsyncSession, claim: Claim, error: str) -> Outcome:
        """Record a permanent failure of a claimed delivery."""
        delivery = await session.get(CommentDelivery, claim.delivery_id)
        if delivery is None:
            return Outcome(None, changed=False)
        return await self._fail(session, delivery, error)

    async def _fail(self, session: AsyncSession, delivery: CommentDelivery, error: str) -> Outcome:
        """Record a permanent failure."""
        delivery.state = FAILED
        delivery.lease_until = None
        delivery.last_error = error
        row = await session.get(BridgedComment, delivery.comment_id)
        if row is None:
            return Outcome(None, changed=False)
        log.warning("Comment %s: %s failed for good: %s", row.id, delivery.action, error)
        if delivery.action == Action.CREATE and row.status == CommentStatus.FORGOTTEN:
            await session.delete(row)
            return Outcome(None, changed=True)
        if delivery.action == Action.CREATE:
            row.status = CommentStatus.FAILED
        row.error = error
        await session.flush()
        return Outcome(
            CommentRecord.from_row(row),
            changed=True,
            failed=delivery.action == Action.CREATE,
            error=error,
        )
