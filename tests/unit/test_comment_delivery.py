"""The outbox and its worker against the loopback WordPress-shaped site, on both backends."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import timedelta

import aiohttp
import pytest

from bot.articles.store import ArticleStore
from bot.comments.delivery import DeliveryWorker
from bot.comments.outbox import CommentOutbox, Outcome, backoff_seconds
from bot.comments.records import CommentPolicy, CommentRecord, CommentStatus, Consent
from bot.comments.service import BridgeResult, CommentService, Draft
from bot.comments.wordpress import WordPressCommentStore
from bot.database import Database
from bot.models import utcnow
from tests.site.wordpress import Post, WordPressSite, bare_article

POLICY = CommentPolicy(retry_base_seconds=1.0, retry_max_seconds=60.0, rate_limit=50)
ALICE = 500000000000000001
BOB = 500000000000000002


@dataclass
class Bridge:
    """Everything a delivery test needs, wired like the bot wires it."""

    site: WordPressSite
    post: Post
    article_id: int
    service: CommentService
    outbox: CommentOutbox
    worker: DeliveryWorker
    seen: list[tuple[CommentRecord, Outcome]]
    next_message: int = 900000000000000000

    def draft(self, text: str, *, author: int = ALICE, reply_to: int | None = None) -> Draft:
        self.next_message += 1
        return Draft(
            guild_id=1,
            article_id=self.article_id,
            thread_id=77,
            message_id=self.next_message,
            author_id=author,
            display_name="Alice A." if author == ALICE else "Bob",
            username="alice" if author == ALICE else "bob",
            content_html=f"<p>{text}</p>",
            source_text=text,
            reply_to_message_id=reply_to,
        )

    async def consented(self, author: int = ALICE) -> None:
        await self.service.opt_in(
            1, author, display_name="Alice A." if author == ALICE else "Bob", username="x"
        )

    async def later(self, seconds: float) -> None:
        """Run the worker as if `seconds` had passed."""
        await self.worker.drain(now=utcnow() + timedelta(seconds=seconds))


@pytest.fixture
async def bridge(database: Database) -> AsyncIterator[Bridge]:
    site = await WordPressSite().start()
    post = site.add_post("Harbour bridge reopens")
    article = bare_article(site, post)
    saved = await ArticleStore(database).save(article, [f"url:{site.url}/{post.slug}/"])
    seen: list[tuple[CommentRecord, Outcome]] = []

    async def notify(comment: CommentRecord, outcome: Outcome) -> None:
        seen.append((comment, outcome))

    async with aiohttp.ClientSession() as http:
        store = WordPressCommentStore(
            http, f"{site.url}/wp-json", site.comments.user, site.comments.app_password
        )
        outbox = CommentOutbox(database, POLICY)
        yield Bridge(
            site=site,
            post=post,
            article_id=saved.article.id,
            service=CommentService(database, POLICY),
            outbox=outbox,
            worker=DeliveryWorker(outbox, store, notify=notify),
            seen=seen,
        )
    await site.close()


async def test_nothing_leaves_before_consent_then_everything_waiting_goes_once(
    bridge: Bridge,
) -> None:
    first = await bridge.service.bridge(bridge.draft("First thoughts"))
    assert first.result is BridgeResult.ASK
    assert first.shown_name == "Alice A. (via Discord)"
    second = await bridge.service.bridge(bridge.draft("Second thoughts"))
    assert second.result is BridgeResult.WAITING
    await bridge.worker.drain()
    assert bridge.site.comments.comments == {}

    shown, queued = await bridge.service.opt_in(1, ALICE, display_name="Alice A.", username="a")
    assert shown == "Alice A. (via Discord)"
    assert [c.id for c in queued] == [first.comment.id, second.comment.id]  # type: ignore[union-attr]
    await bridge.worker.drain()
    on_site = bridge.site.comments.on_post(bridge.post.id)
    assert [(c.content, c.author_name, c.status) for c in on_site] == [
        ("First thoughts", "Alice A. (via Discord)", "hold"),
        ("Second thoughts", "Alice A. (via Discord)", "hold"),
    ]
    assert all(c.author_email.endswith("@discord-members.invalid") for c in on_site)
    assert "alice" not in on_site[0].author_email
    assert [comment.status for comment, _ in bridge.seen] == [CommentStatus.HELD] * 2
    third = await bridge.service.bridge(bridge.draft("Third"))
    assert third.result is BridgeResult.QUEUED
    status = await bridge.service.status(1, ALICE)
    assert status.consent is Consent.IN
    assert status.counts == {CommentStatus.HELD: 2, CommentStatus.PENDING: 1}


async def test_declined_members_words_are_dropped_and_never_sent(bridge: Bridge) -> None:
    await bridge.service.bridge(bridge.draft("Maybe"))
    dropped = await bridge.service.opt_out(1, ALICE)
    assert len(dropped) == 1
    assert (await bridge.service.bridge(bridge.draft("Again"))).result is BridgeResult.DECLINED
    await bridge.worker.drain()
    assert bridge.site.comments.comments == {}


async def test_a_reply_goes_after_its_parent_with_the_parent_id(bridge: Bridge) -> None:
    await bridge.consented(ALICE)
    await bridge.consented(BOB)
    parent = await bridge.service.bridge(bridge.draft("Parent"))
    assert parent.comment is not None
    reply = await bridge.service.bridge(
        bridge.draft("Reply", author=BOB, reply_to=parent.comment.message_id)
    )
    assert reply.comment is not None
    assert reply.comment.parent_id == parent.comment.id
    first_round = await bridge.worker.run_once()  # both are due; only the parent may go
    assert first_round == 1
    await bridge.worker.drain()
    top, answer = bridge.site.comments.on_post(bridge.post.id)
    assert (top.content, top.parent) == ("Parent", 0)
    assert (answer.content, answer.parent) == ("Reply", top.id)


async def test_edits_update_and_deletes_trash_the_site_comment(bridge: Bridge) -> None:
    await bridge.consented()
    outcome = await bridge.service.bridge(bridge.draft("Frist"))
    assert outcome.comment is not None
    message_id = outcome.comment.message_id
    assert message_id is not None
    await bridge.worker.drain()
    await bridge.service.edit(message_id, "<p>First, corrected</p>")
    await bridge.worker.drain()
    [comment] = bridge.site.comments.on_post(bridge.post.id)
    assert comment.content == "First, corrected"
    await bridge.service.delete(message_id)
    await bridge.worker.drain()
    assert comment.status == "trash"
    assert (await bridge.outbox.count()) == 0


async def test_an_edit_before_delivery_is_sent_as_the_first_version(bridge: Bridge) -> None:
    await bridge.consented()
    outcome = await bridge.service.bridge(bridge.draft("Draft"))
    assert outcome.comment is not None
    assert outcome.comment.message_id is not None
    await bridge.service.edit(outcome.comment.message_id, "<p>Final</p>")
    await bridge.worker.drain()
    [comment] = bridge.site.comments.on_post(bridge.post.id)
    assert comment.content == "Final"
    assert bridge.site.comments.posts_created == 1


async def test_a_delete_before_delivery_sends_nothing(bridge: Bridge) -> None:
    await bridge.consented()
    outcome = await bridge.service.bridge(bridge.draft("Oops"))
    assert outcome.comment is not None
    assert outcome.comment.message_id is not None
    await bridge.service.delete(outcome.comment.message_id)
    await bridge.worker.drain()
    assert bridge.site.comments.comments == {}


async def test_outage_with_retry_after_is_retried_later_and_delivers_once(bridge: Bridge) -> None:
    await bridge.consented()
    bridge.site.comments.fault = "503"
    bridge.site.comments.retry_after = "120"
    await bridge.service.bridge(bridge.draft("During the outage"))
    await bridge.worker.drain()
    assert bridge.site.comments.comments == {}
    await bridge.later(60)  # before Retry-After: not tried again
    assert len(bridge.site.requests_to("/wp-json/wp/v2/comments")) == 1
    await bridge.later(3600)  # still down: tried again, backs off further
    assert len(bridge.site.requests_to("/wp-json/wp/v2/comments")) == 2
    bridge.site.comments.fault = None
    await bridge.later(4 * 3600)
    assert len(bridge.site.comments.on_post(bridge.post.id)) == 1
    assert (await bridge.outbox.count()) == 0


async def test_lost_answer_after_the_site_stored_it_is_not_posted_twice(bridge: Bridge) -> None:
    await bridge.consented()
    bridge.site.comments.fault = "drop"
    bridge.site.comments.fault_count = 1
    outcome = await bridge.service.bridge(bridge.draft("Said once"))
    await bridge.worker.drain()  # the site stores it, the connection drops before the answer
    assert len(bridge.site.comments.comments) == 1
    assert (await bridge.outbox.count()) == 1
    await bridge.later(3600)  # retry: 409 comment_duplicate, then the lookup finds it
    [comment] = bridge.site.comments.on_post(bridge.post.id)
    assert bridge.site.comments.posts_created == 1
    assert (await bridge.outbox.count()) == 0
    assert outcome.comment is not None
    stored = await bridge.service.by_message(outcome.comment.message_id)  # type: ignore[arg-type]
    assert stored is not None
    assert stored.remote_id == str(comment.id)
    assert stored.status is CommentStatus.HELD


async def test_a_closed_post_fails_the_comment_and_says_so(bridge: Bridge) -> None:
    await bridge.consented()
    bridge.site.comments.closed_posts.add(bridge.post.id)
    await bridge.service.bridge(bridge.draft("Too late"))
    await bridge.worker.drain()
    [(comment, outcome)] = bridge.seen
    assert comment.status is CommentStatus.FAILED
    assert outcome.failed
    assert outcome.error == "comments are closed on this story"
    assert (await bridge.outbox.count()) == 0


async def test_rejected_credentials_keep_the_comment_queued(bridge: Bridge) -> None:
    await bridge.consented()
    bridge.site.comments.app_password = "changed"
    await bridge.service.bridge(bridge.draft("Waiting for the fix"))
    await bridge.worker.drain()
    assert bridge.site.comments.comments == {}
    assert (await bridge.outbox.count()) == 1
    assert bridge.seen == []


async def test_429_and_flood_are_retried(bridge: Bridge) -> None:
    await bridge.consented()
    bridge.site.comments.fault = "429"
    bridge.site.comments.fault_count = 1
    await bridge.service.bridge(bridge.draft("one"))
    await bridge.worker.drain()
    bridge.site.comments.fault = "flood"
    bridge.site.comments.fault_count = 1
    await bridge.later(3600)
    await bridge.later(7200)
    assert len(bridge.site.comments.on_post(bridge.post.id)) == 1


async def test_forget_trashes_the_members_comments_and_deletes_what_is_stored(
    bridge: Bridge,
) -> None:
    await bridge.consented()
    await bridge.service.bridge(bridge.draft("Mine"))
    await bridge.worker.drain()
    await bridge.service.bridge(bridge.draft("Not sent yet"))
    forgotten = await bridge.service.forget(1, ALICE)
    assert len(forgotten) == 2
    await bridge.worker.drain()
    [comment] = bridge.site.comments.comments.values()
    assert comment.status == "trash"
    status = await bridge.service.status(1, ALICE)
    assert status.consent is None
    assert status.counts == {}


async def test_blocklist_and_rate_limit_apply_before_anything_is_stored(
    database: Database, bridge: Bridge
) -> None:
    strict = CommentService(database, replace(POLICY, blocklist=("spoiler",), rate_limit=2))
    await bridge.consented()
    blocked = await strict.bridge(bridge.draft("Huge SPOILER ahead"))
    assert (blocked.result, blocked.detail) == (BridgeResult.BLOCKED, "spoiler")
    assert (await strict.bridge(bridge.draft("one"))).result is BridgeResult.QUEUED
    assert (await strict.bridge(bridge.draft("two"))).result is BridgeResult.QUEUED
    assert (await strict.bridge(bridge.draft("three"))).result is BridgeResult.RATE_LIMITED
    long = bridge.draft("x" * 5000)
    assert (await strict.bridge(long)).result is BridgeResult.TOO_LONG
    assert (await strict.bridge(replace(long, content_html=" "))).result is BridgeResult.EMPTY


def test_backoff_grows_exponentially_with_jitter_and_honours_retry_after() -> None:
    rng = random.Random(4)
    policy = CommentPolicy(retry_base_seconds=2.0, retry_max_seconds=100.0)
    delays = [backoff_seconds(n, policy, rng=rng) for n in range(1, 9)]
    for attempt, delay in enumerate(delays, start=1):
        ceiling = min(100.0, 2.0 * 2 ** (attempt - 1))
        assert ceiling / 2 <= delay <= ceiling
    assert len({round(d, 6) for d in delays}) == len(delays)
    assert backoff_seconds(1, policy, retry_after=500.0, rng=rng) == 500.0
