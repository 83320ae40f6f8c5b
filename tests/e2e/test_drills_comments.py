"""Drill: the site is down while members comment through two shard processes, then comes back.

Two `newsroom run` processes, shard 0 and shard 1 of a 2-shard bot, share one PostgreSQL
database and so one comment outbox, drained by both processes' delivery workers competing for
its rows (SELECT ... FOR UPDATE SKIP LOCKED). Each shard has a guild with threads on two stories.
The whole site answers 503 while members post comments (one of them a reply) in those threads:
every comment is bridged and queued, the workers keep trying, nothing reaches the site. Then the
site comes back: every comment is on the site exactly once, in each story's order, the reply
under its parent, and every message shows the held-for-moderation status.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.articles.store import ArticleStore
from bot.comments.outbox import CommentOutbox
from bot.comments.records import CommentPolicy
from bot.database import Database
from bot.models import Announcement
from tests.e2e.conftest import served_standin
from tests.e2e.scale_harness import ShardProcess, start_shard_process
from tests.site.wordpress import Post, WordPressSite, bare_article
from tests.standin import Channel, DiscordStandIn, Guild, Member, Message

POSTGRES_ONLY = pytest.mark.parametrize("backend", ["postgresql"])
PENDING, HELD = "⏳", "🕓"
COMMENTS_PER_THREAD = 5  # 2 guilds x 2 stories x 5 = 20 comments
STORIES = ("Harbour bridge reopens", "Ferry strike ends")


@dataclass
class DownSite(WordPressSite):
    """The loopback WordPress site, which can be down as a whole (every route answers 503)."""

    down: bool = False
    _answered: asyncio.Condition = field(default_factory=asyncio.Condition)

    @web.middleware
    async def _log(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Answer 503 to everything while down; log every request and wake waiters."""
        try:
            return await super()._log(request, self._unavailable if self.down else handler)
        finally:
            async with self._answered:
                self._answered.notify_all()

    async def _unavailable(self, request: web.Request) -> web.Response:
        """What a site in maintenance answers."""
        return web.json_response(
            {"code": "maintenance", "message": "Briefly unavailable for scheduled maintenance."},
            status=503,
        )

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 30) -> None:  # noqa: ASYNC109
        """Wait until `condition()` holds, re-checked after every request the site answers."""
        async with asyncio.timeout(timeout), self._answered:
            await self._answered.wait_for(condition)

    def refused(self) -> int:
        """Count the requests answered 503."""
        return sum(1 for request in self.requests if request.status == 503)


@pytest.fixture
async def standin() -> AsyncIterator[DiscordStandIn]:
    """A stand-in whose channels take the status reactions of two processes quickly."""
    async with served_standin(message_bucket=(50, 1.0)) as server:
        yield server


@pytest.fixture
async def site() -> AsyncIterator[DownSite]:
    served = await DownSite().start()
    for title in STORIES:
        served.add_post(title)
    yield served
    await served.close()


@dataclass
class Shard:
    """One shard's guild: its members and one discussion thread per story."""

    guild: Guild
    members: tuple[Member, Member]
    threads: dict[int, Channel]  # post id -> thread


async def build_shard(standin: DiscordStandIn, site: DownSite, shard: int) -> Shard:
    """Create a guild on `shard` of 2 with two members and a thread per story."""
    guild = standin.add_guild(f"Planet {shard}", shard=(shard, 2))
    news = guild.add_text_channel("news", news=True)
    members = (guild.add_member(f"jimmy{shard}"), guild.add_member(f"lois{shard}"))
    threads = {
        post.id: await standin.start_thread(members[0], news, post.title)
        for post in site.posts.values()
    }
    return Shard(guild, members, threads)


async def seed_stories(database_url: str, site: DownSite, shards: list[Shard]) -> None:
    """Store the stories and their announcements, each with its thread in every guild."""
    database = Database(database_url)
    await database.upgrade()
    try:
        for post in site.posts.values():
            saved = await ArticleStore(database).save(
                bare_article(site, post), [f"url:{site.url}/{post.slug}/"]
            )
            async with database.sessions.begin() as session:
                for shard in shards:
                    session.add(
                        Announcement(
                            article_id=saved.article.id,
                            guild_id=shard.guild.id,
                            channel_id=shard.threads[post.id].parent_id,
                            nonce=f"drill-{shard.guild.id % 10**6}-{post.id}",
                            thread_id=shard.threads[post.id].id,
                            status="posted",
                        )
                    )
    finally:
        await database.dispose()


async def queued_deliveries(database_url: str) -> int:
    """Count what waits in the shared outbox."""
    database = Database(database_url)
    try:
        return await CommentOutbox(database, CommentPolicy()).count()
    finally:
        await database.dispose()


def reacted(standin: DiscordStandIn, message: Message, emoji: str) -> bool:
    """Tell whether the bot shows `emoji` on the message."""
    reaction = message.reactions.get(emoji)
    return reaction is not None and standin.bot_user.id in reaction.user_ids


def delivered_by(process: ShardProcess) -> list[int]:
    """Return the comment ids the process's worker says it delivered (from its JSON log)."""
    ids = []
    for line in process.log_text().splitlines():
        entry = json.loads(line)
        message = str(entry["message"])
        if message.startswith("Delivered comment ") and message.endswith("(create) to the site"):
            ids.append(int(message.split()[2]))
    return ids


DELIVERED_SERIES = 'newsroom_comment_deliveries_total{result="delivered"}'


def sample(metrics: str, series: str) -> float:
    """Return one series' value from a /metrics page (0 when it is absent)."""
    for line in metrics.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[-1])
    return 0.0


def text_of(shard: int, post: Post, n: int) -> str:
    return f"Comment {n} on {post.title} from guild {shard}"


@POSTGRES_ONLY
async def test_site_down_while_comments_queue_then_up_delivers_every_comment_once(
    standin: DiscordStandIn, database_url: str, site: DownSite, tmp_path: Path
) -> None:
    shards = [await build_shard(standin, site, shard) for shard in (0, 1)]
    await seed_stories(database_url, site, shards)
    settings = {
        "COMMENTS_STORE": "wordpress",
        "COMMENTS_WORDPRESS_API_URL": f"{site.url}/wp-json",
        "COMMENTS_WORDPRESS_USER": site.comments.user,
        "COMMENTS_WORDPRESS_APP_PASSWORD": site.comments.app_password,
        "COMMENTS_RETRY_BASE_SECONDS": 0.05,
        "COMMENTS_RETRY_MAX_SECONDS": 0.2,
        "COMMENTS_LEASE_SECONDS": 5,
        "COMMENTS_RATE_LIMIT": 100,
    }
    guild_ids = [shard.guild.id for shard in shards]
    site.down = True
    processes: list[ShardProcess] = []
    try:
        for shard in (0, 1):
            processes.append(
                await start_shard_process(
                    standin,
                    tmp_path / f"shard-{shard}",
                    database_url,
                    shard=shard,
                    guild_ids=guild_ids,
                    settings=settings,
                )
            )
        await standin.wait_until_ready(shard_count=2, timeout=30)
        await standin.wait_for_commands("comments", syncs=2, timeout=30)
        for shard in shards:
            for member in shard.members:
                thread = next(iter(shard.threads.values()))
                optin = await standin.slash(member, thread, "comments optin")
                assert "as **" in (await optin.response(timeout=15)).content

        # The site is down while members comment across both shards and both stories.
        sent: dict[str, Message] = {}
        reply_to: Message | None = None
        for n in range(COMMENTS_PER_THREAD):
            for index, shard in enumerate(shards):
                for post in site.posts.values():
                    author = shard.members[n % 2]
                    is_reply = index == 1 and n == 1 and post.title == STORIES[0]
                    message = await standin.post_message(
                        author,
                        shard.threads[post.id],
                        text_of(index, post, n),
                        reply_to=reply_to if is_reply else None,
                    )
                    if index == 1 and n == 0 and post.title == STORIES[0]:
                        reply_to = message
                    sent[message.content] = message
        assert len(sent) == 20
        await standin.wait_for(
            lambda: all(reacted(standin, m, PENDING) for m in sent.values()),
            what="every comment shown as pending",
            timeout=30,
        )
        refused_before = site.refused()
        await site.wait_for(lambda: site.refused() >= refused_before + 10)  # still trying
        assert site.comments.comments == {}, "nothing reaches a site that is down"
        assert site.comments.posts_created == 0
        assert await queued_deliveries(database_url) == 20, "every comment waits in the outbox"
        assert not any(reacted(standin, m, HELD) for m in sent.values())

        # The site comes back: every comment is delivered exactly once.
        site.down = False
        await standin.wait_for(
            lambda: all(
                reacted(standin, m, HELD) and not reacted(standin, m, PENDING)
                for m in sent.values()
            ),
            what="every comment shown as held for moderation",
            timeout=60,
        )
        assert await queued_deliveries(database_url) == 0, "nothing is stranded"
        async with aiohttp.ClientSession() as http:
            delivered = 0.0
            for process in processes:  # (the gateway check may still say "not ready yet")
                _, health = await process.healthz(http)
                assert health["checks"]["database"]["ok"], health
                metrics = await process.metrics(http)
                assert "newsroom_comments_queued 0\n" in metrics
                assert 'newsroom_comment_deliveries_total{result="retried"}' in metrics
                delivered += sample(metrics, DELIVERED_SERIES)
            assert delivered == 20, "the processes' metrics add up to every comment, once"
        for process in processes:
            assert await process.stop() == 0, process.log_text()
    finally:
        for process in processes:
            await process.kill()

    on_site = list(site.comments.comments.values())
    assert site.comments.posts_created == 20
    contents = Counter(comment.content for comment in on_site)
    assert contents == Counter(list(sent)), "each comment on the site exactly once"
    for post in site.posts.values():
        for index in (0, 1):
            in_order = [
                c.content
                for c in site.comments.on_post(post.id)
                if c.content.endswith(f"guild {index}")
            ]
            assert in_order == [text_of(index, post, n) for n in range(COMMENTS_PER_THREAD)]
    by_content = {comment.content: comment for comment in on_site}
    first_story = next(p for p in site.posts.values() if p.title == STORIES[0])
    parent = by_content[text_of(1, first_story, 0)]
    reply = by_content[text_of(1, first_story, 1)]
    assert (reply.parent, parent.parent) == (parent.id, 0), "the reply went under its parent"
    assert all(comment.status == "hold" for comment in on_site)
    delivered = [delivered_by(process) for process in processes]
    every = [comment_id for ids in delivered for comment_id in ids]
    assert len(every) == len(set(every)) == 20, f"each delivered by one worker once: {delivered}"
    for process in processes:
        assert "Traceback" not in process.log_text()
        assert site.comments.app_password not in process.log_text()
