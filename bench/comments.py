"""Benchmark: comments delivered per second from an outbox backlog, beside a plain aiohttp loop.

Run: python -m bench.comments [--comments 1000] [--articles 10] [--competing-articles 100]
[--postgres-url SERVER_URL]
(with --postgres-url a throwaway database is created on that server and dropped afterwards;
SQLite in a temporary folder otherwise).
Serves the WordPress-shaped loopback site (tests/site/wordpress.py), queues a backlog of
consented comments through CommentService (the outbox), then times the delivery worker draining
it (claim, POST, record, per-story order kept). In the same run, the same site takes the same
number of comment POSTs from a plain aiohttp loop: one at a time, and with the worker's
concurrency. The site is reset between runs so its duplicate check costs the same each time.
On PostgreSQL it then times 1 and 2 worker processes (as 1 and 2 bot processes would run them,
competing through SELECT ... FOR UPDATE SKIP LOCKED) draining a fresh backlog spread over
`--competing-articles` stories (a story's comments go one at a time, so workers can only share
the work when there are more stories than one claim takes: concurrency x 4).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
import asyncpg
from sqlalchemy.engine import make_url

from bot.articles.store import ArticleStore
from bot.comments.delivery import DeliveryWorker
from bot.comments.outbox import CommentOutbox
from bot.comments.records import CommentPolicy
from bot.comments.service import CommentService, Draft
from bot.comments.wordpress import WordPressCommentStore
from bot.database import Database
from tests.site.wordpress import WordPressSite, bare_article

MEMBERS = 50


def report(line: str) -> None:
    """Print one line of results."""
    sys.stdout.write(line + "\n")


async def queue_backlog(
    database: Database,
    site: WordPressSite,
    policy: CommentPolicy,
    comments: int,
    articles: int,
    *,
    first_message: int = 1_000_000,
) -> float:
    """Store `comments` consented comments over `articles` stories; return the seconds taken."""
    store = ArticleStore(database)
    post_ids = [site.add_post(f"Story {n}").id for n in range(articles)]
    article_ids = [
        (await store.save(bare_article(site, site.posts[pid]), [f"wp:127.0.0.1:{pid}"])).article.id
        for pid in post_ids
    ]
    service = CommentService(database, policy)
    for member in range(MEMBERS):
        await service.opt_in(1, 10_000 + member, display_name=f"Member {member}", username="m")
    started = time.perf_counter()
    for n in range(comments):
        text = f"Comment number {n}: a **considered** view on the story."
        await service.bridge(
            Draft(
                guild_id=1,
                article_id=article_ids[n % articles],
                thread_id=None,
                message_id=first_message + n,
                author_id=10_000 + n % MEMBERS,
                display_name="",
                username="",
                content_html=f"<p>{text}</p>",
                source_text=text,
            )
        )
    return time.perf_counter() - started


async def plain_loop(site: WordPressSite, comments: int, concurrency: int) -> float:
    """POST the same number of comments with a bare aiohttp session; return the seconds."""
    token = base64.b64encode(f"{site.comments.user}:{site.comments.app_password}".encode())
    headers = {"Authorization": f"Basic {token.decode()}"}
    post_ids = list(site.posts)
    semaphore = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession(headers=headers) as session:

        async def one(n: int) -> None:
            payload = {
                "post": post_ids[n % len(post_ids)],
                "content": f"Comment number {n}: a <strong>considered</strong> view.",
                "author_name": f"Member {n % MEMBERS} (via Discord)",
                "author_email": f"member-{n % MEMBERS}@discord-members.invalid",
                "status": "hold",
            }
            async with (
                semaphore,
                session.post(f"{site.url}/wp-json/wp/v2/comments", json=payload) as response,
            ):
                assert response.status == 201, response.status
                await response.read()

        started = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(comments)))
        return time.perf_counter() - started


CHILD_VARIABLES = ("BENCH_DATABASE_URL", "BENCH_API_ROOT", "BENCH_USER", "BENCH_PASSWORD")


async def child_worker(concurrency: int) -> None:
    """Be one bot process's delivery worker: connect, wait for "go", drain, report the count."""
    database_url, api_root, user, password = (os.environ[name] for name in CHILD_VARIABLES)
    policy = CommentPolicy(concurrency=concurrency, rate_limit=10**9)
    database = Database(database_url)
    try:
        async with aiohttp.ClientSession() as http:
            outbox = CommentOutbox(database, policy)
            worker = DeliveryWorker(outbox, WordPressCommentStore(http, api_root, user, password))
            await outbox.count()  # connected before the clock starts
            report("ready")
            sys.stdout.flush()
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
            worker.start()
            try:
                while True:  # until the workers together emptied it; checked when idle
                    idle = worker.last_idle_round
                    if not await outbox.count():
                        break
                    await worker.wait_for(lambda w, idle=idle: w.last_idle_round > idle)
            finally:
                await worker.stop()
            report(f"rounds {worker.rounds_started} delivered {worker.delivered}")
    finally:
        await database.dispose()


async def competing(
    database_url: str,
    site: WordPressSite,
    policy: CommentPolicy,
    comments: int,
    articles: int,
    workers: int,
) -> tuple[float, list[int], list[int]]:
    """Drain a fresh backlog with `workers` worker processes on the same database.

    Return the seconds from "go" until the site has every comment, what each process delivered
    and in how many rounds (claims, including those that found nothing to take).
    """
    database = Database(database_url)
    try:
        first_message = 2_000_000 + 1_000_000 * workers
        await queue_backlog(database, site, policy, comments, articles, first_message=first_message)
    finally:
        await database.dispose()
    site.comments.comments.clear()
    values = (database_url, f"{site.url}/wp-json", site.comments.user, site.comments.app_password)
    environment = os.environ | dict(zip(CHILD_VARIABLES, values, strict=True))
    children = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.comments",
            "--worker-child",
            "--concurrency",
            str(policy.concurrency),
            env=environment,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        for _ in range(workers)
    ]
    try:
        for child in children:
            assert child.stdout is not None
            assert (await child.stdout.readline()).strip() == b"ready"
        started = time.perf_counter()
        for child in children:
            assert child.stdin is not None
            child.stdin.write(b"go\n")
            await child.stdin.drain()
        stored = site.comments.stored
        async with asyncio.timeout(600):
            while len(site.comments.comments) < comments:
                stored.clear()
                await stored.wait()
        elapsed = time.perf_counter() - started
        outputs = [(await child.communicate())[0].decode().split() for child in children]
    finally:
        for child in children:
            if child.returncode is None:
                child.kill()
                await child.wait()
    split = [int(words[-1]) for words in outputs]
    rounds = [int(words[1]) for words in outputs]
    on_site = len(site.comments.comments)
    assert on_site == comments == sum(split), f"{on_site} of {comments} on the site: {split}"
    return elapsed, split, rounds


async def run(
    comments: int, articles: int, database_url: str, concurrency: int, competing_articles: int
) -> None:
    """Run the benchmark and print its figures."""
    site = await WordPressSite().start()
    policy = CommentPolicy(concurrency=concurrency, rate_limit=10**9)
    database = Database(database_url)
    await database.upgrade()
    try:
        queued = await queue_backlog(database, site, policy, comments, articles)
        outbox = CommentOutbox(database, policy)
        async with aiohttp.ClientSession() as http:
            store = WordPressCommentStore(
                http, f"{site.url}/wp-json", site.comments.user, site.comments.app_password
            )
            worker = DeliveryWorker(outbox, store)
            started = time.perf_counter()
            await worker.drain()
            delivered = time.perf_counter() - started
        on_site = len(site.comments.comments)
        assert on_site == comments, f"{on_site} of {comments} reached the site"
        assert await outbox.count() == 0
        site.comments.comments.clear()
        sequential = await plain_loop(site, comments, 1)
        site.comments.comments.clear()
        parallel = await plain_loop(site, comments, concurrency)
        shared: list[tuple[int, float, list[int], list[int]]] = []
        if database.backend == "postgresql":
            for workers in (1, 2):
                elapsed, split, rounds = await competing(
                    database_url, site, policy, comments, competing_articles, workers
                )
                shared.append((workers, elapsed, split, rounds))
    finally:
        await database.dispose()
        await site.close()
    backend = database.backend
    report(f"comments: {comments} over {articles} stories, {backend}, concurrency {concurrency}")
    report(f"  outbox writes (bridge decisions): {comments / queued:8.1f} comments/s")
    report(f"  worker delivery (claim+POST+record): {comments / delivered:8.1f} comments/s")
    report(f"  plain aiohttp loop, 1 at a time:     {comments / sequential:8.1f} comments/s")
    report(
        f"  plain aiohttp loop, {concurrency} at a time:     {comments / parallel:8.1f} comments/s"
    )
    report(f"  worker / plain sequential: {sequential / delivered:.2f}x")
    report(f"  worker / plain concurrent: {parallel / delivered:.2f}x")
    if shared:
        report(f"competing worker processes, over {competing_articles} stories:")
        for workers, elapsed, split, rounds in shared:
            each, claims = " + ".join(map(str, split)), " + ".join(map(str, rounds))
            rate = comments / elapsed
            report(
                f"  {workers} process(es): {rate:8.1f} comments/s"
                f" (delivered {each} in {claims} rounds)"
            )
        report(f"  2 processes / 1 process: {shared[0][1] / shared[1][1]:.2f}x")


async def on_throwaway_database(server_url: str, *arguments: int) -> None:
    """Run on a database created for this run on the PostgreSQL server, dropped afterwards."""
    name = f"newsroom_bench_{uuid.uuid4().hex[:12]}"
    admin_dsn = make_url(server_url).set(drivername="postgresql").render_as_string(False)
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
        comments, articles, concurrency, competing_articles = arguments
        await run(comments, articles, url, concurrency, competing_articles)
    finally:
        admin = await asyncpg.connect(admin_dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def main() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=1000)
    parser.add_argument("--articles", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--competing-articles", type=int, default=100)
    parser.add_argument("--postgres-url", default=None, help="a PostgreSQL server's admin URL")
    parser.add_argument("--worker-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker_child:
        asyncio.run(child_worker(args.concurrency))
        return
    if args.postgres_url:
        server = args.postgres_url.replace("postgresql://", "postgresql+asyncpg://", 1)
        asyncio.run(
            on_throwaway_database(
                server, args.comments, args.articles, args.concurrency, args.competing_articles
            )
        )
        return
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        asyncio.run(
            run(args.comments, args.articles, url, args.concurrency, args.competing_articles)
        )


if __name__ == "__main__":
    main()
