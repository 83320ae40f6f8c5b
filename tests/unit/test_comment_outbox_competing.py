"""Competing outbox workers: two processes' outboxes on one database take disjoint rows in order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.articles.extracted import ExtractedArticle
from bot.articles.store import ArticleStore
from bot.comments.outbox import Claim, CommentOutbox, Result, _Plan
from bot.comments.records import CommentPolicy
from bot.comments.service import CommentService, Draft
from bot.comments.store import RemoteComment, RemoteStatus
from bot.database import Database
from bot.models import BridgedComment, CommentDelivery, utcnow
from tests.site.wordpress import titled_article

POSTGRES_ONLY = pytest.mark.parametrize("backend", ["postgresql"])
POLICY = CommentPolicy(retry_base_seconds=1.0, retry_max_seconds=60.0, rate_limit=1000)
MEMBER = 500000000000000001


def story(n: int) -> ExtractedArticle:
    """A bare article (no site is called: claims only read the database)."""
    return titled_article(f"Story {n}", f"https://news.example.org/story-{n}/")


@dataclass
class Queue:
    """Comments queued on several stories, and the order they were written in per story."""

    database_url: str
    written: dict[int, list[int]] = field(default_factory=dict)  # article id -> comment ids
    next_message: int = 900000000000000000

    @property
    def comment_count(self) -> int:
        return sum(len(ids) for ids in self.written.values())


async def queue_comments(database: Database, stories: int, per_story: int) -> Queue:
    """Store `stories` articles and queue `per_story` consented comments on each."""
    queue = Queue(database.url.render_as_string(hide_password=False))
    service = CommentService(database, POLICY)
    await service.opt_in(1, MEMBER, display_name="Alice", username="alice")
    articles = ArticleStore(database)
    for n in range(stories):
        saved = await articles.save(story(n), [f"url:story-{n}"])
        queue.written[saved.article.id] = []
    for _ in range(per_story):
        for article_id, ids in queue.written.items():
            queue.next_message += 1
            outcome = await service.bridge(
                Draft(
                    guild_id=1,
                    article_id=article_id,
                    thread_id=77,
                    message_id=queue.next_message,
                    author_id=MEMBER,
                    display_name="Alice",
                    username="alice",
                    content_html=f"<p>Comment {queue.next_message}</p>",
                    source_text=f"Comment {queue.next_message}",
                )
            )
            assert outcome.comment is not None
            ids.append(outcome.comment.id)
    return queue


@pytest.fixture
async def queue(database: Database) -> Queue:
    """Six stories with three comments each, all due."""
    return await queue_comments(database, stories=6, per_story=3)


@pytest.fixture
async def other(database_url: str, database: Database) -> AsyncIterator[Database]:
    """A second engine on the same database, as a second bot process has."""
    second = Database(database_url)
    try:
        yield second
    finally:
        await second.dispose()


def delivered(claim: Claim) -> RemoteComment:
    """What the site would answer for a created comment."""
    return RemoteComment(id=str(10_000 + claim.comment.id), status=RemoteStatus.HELD)


async def record_success(outbox: CommentOutbox, claims: list[Claim]) -> None:
    """Record that the site took every claimed comment."""
    if claims:
        await outbox.record([Result(claim, remote=delivered(claim)) for claim in claims])


class PausedOutbox(CommentOutbox):
    """An outbox whose claim stops inside its transaction, right after locking its rows."""

    def __init__(self, database: Database, policy: CommentPolicy) -> None:
        super().__init__(database, policy)
        self.locked = asyncio.Event()
        self.resume = asyncio.Event()

    async def _lock(self, session: AsyncSession, plan: _Plan, limit: int) -> None:
        await super()._lock(session, plan, limit)
        self.locked.set()
        await self.resume.wait()


@POSTGRES_ONLY
async def test_two_outboxes_claiming_at_once_take_disjoint_rows_and_cover_every_due_one(
    database: Database, other: Database, queue: Queue
) -> None:
    first, second = CommentOutbox(database, POLICY), CommentOutbox(other, POLICY)
    order: dict[int, list[int]] = {article_id: [] for article_id in queue.written}
    taken: list[int] = []
    by_worker = [0, 0]
    for _ in range(100):
        mine, theirs = await asyncio.gather(first.claim_due(4), second.claim_due(4))
        if not mine and not theirs:
            break
        round_ids = [c.delivery_id for c in mine + theirs]
        assert len(set(round_ids)) == len(round_ids), "a row was claimed by both workers"
        stories = [c.article.article_id for c in mine + theirs]
        assert len(set(stories)) == len(stories), "one creation in flight per story"
        taken += round_ids
        by_worker[0] += len(mine)
        by_worker[1] += len(theirs)
        for claim in mine + theirs:
            order[claim.article.article_id].append(claim.comment.id)
        await asyncio.gather(record_success(first, mine), record_success(second, theirs))
    assert await first.count() == 0, "nothing is stranded"
    assert len(taken) == len(set(taken)) == queue.comment_count, "every row, each once"
    assert order == queue.written, "each story's comments in the order written"
    assert all(by_worker), f"both workers took rows: {by_worker}"


def paused_rows(queue: Queue, theirs: list[Claim]) -> list[int]:
    """Return the heads the other claim did not get: those the paused claim holds."""
    return sorted({ids[0] for ids in queue.written.values()} - {c.comment.id for c in theirs})


@POSTGRES_ONLY
async def test_a_row_locked_by_an_open_claim_is_skipped_not_waited_for(
    database: Database, other: Database
) -> None:
    queue = await queue_comments(database, stories=4, per_story=2)
    heads = {ids[0] for ids in queue.written.values()}
    paused, second = PausedOutbox(database, POLICY), CommentOutbox(other, POLICY)
    held = asyncio.create_task(paused.claim_due(2))
    try:
        await asyncio.wait_for(paused.locked.wait(), timeout=10)
        started = utcnow()
        theirs = await asyncio.wait_for(second.claim_due(10), timeout=10)
        assert not held.done(), "the other claim returned while the first still held its locks"
        assert len(theirs) == 2, "the two stories the open claim does not hold"
        assert {c.comment.id for c in theirs} < heads, "only heads: second comments wait"
        assert second.held_back, "the worker does not take this round as all done"
        assert second.look_again_at is not None
        assert second.look_again_at <= started + timedelta(seconds=5), "looks again soon"
        # The open claim holds its comments' rows too: an edit (which writes the comment, then
        # looks for a waiting update) waits for the claim instead of slipping in beside it.
        held_comment = paused_rows(queue, theirs)[0]
        with pytest.raises(DBAPIError, match="could not obtain lock"):
            async with other.sessions.begin() as session:
                await session.execute(
                    select(BridgedComment.id)
                    .where(BridgedComment.id == held_comment)
                    .with_for_update(nowait=True)
                )
    finally:
        paused.resume.set()
    mine = await asyncio.wait_for(held, timeout=10)
    assert len(mine) == 2
    assert {c.comment.id for c in mine} | {c.comment.id for c in theirs} == heads
    assert not {c.delivery_id for c in mine} & {c.delivery_id for c in theirs}
    assert await second.claim_due(10) == [], "leased heads hold their stories back"


async def test_a_claim_whose_worker_died_goes_to_another_when_its_lease_ends(
    database: Database, other: Database
) -> None:
    queue = await queue_comments(database, stories=1, per_story=2)
    [(article_id, (head, reply))] = queue.written.items()
    now = utcnow()
    dead = CommentOutbox(database, POLICY)
    [claimed] = await dead.claim_due(4, now=now)  # and the process dies before recording
    assert claimed.comment.id == head
    survivor = CommentOutbox(other, POLICY)
    assert await survivor.claim_due(4, now=now + timedelta(seconds=1)) == []
    lease_end = now + timedelta(seconds=POLICY.lease_seconds)
    assert survivor.look_again_at is not None
    assert survivor.look_again_at <= lease_end
    later = lease_end + timedelta(seconds=1)
    [again] = await survivor.claim_due(4, now=later)
    assert (again.delivery_id, again.attempts) == (claimed.delivery_id, 2)
    await survivor.succeeded(again, delivered(again))
    [next_one] = await survivor.claim_due(4, now=later)
    assert next_one.comment.id == reply
    assert next_one.article.article_id == article_id


async def test_a_story_waiting_for_a_retry_is_looked_at_again_when_the_retry_is_due(
    database: Database, queue: Queue
) -> None:
    outbox = CommentOutbox(database, POLICY)
    now = utcnow()
    claims = await outbox.claim_due(10, now=now)
    assert len(claims) == len(queue.written), "one head per story"
    for claim in claims:
        await outbox.retry_later(claim, "the site is down")
    assert await outbox.claim_due(10, now=now) == []
    async with database.reads() as session:
        retries: list[datetime] = list(
            await session.scalars(
                select(CommentDelivery.next_attempt_at).where(
                    CommentDelivery.id.in_([c.delivery_id for c in claims])
                )
            )
        )
    # The comments behind each head are due by their own time, but wait for their head: the
    # worker sleeps until the first retry, instead of looking again at once.
    assert outbox.look_again_at == min(retries)
    assert outbox.look_again_at > now
