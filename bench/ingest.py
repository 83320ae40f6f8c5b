"""Benchmark: articles per second through fetch, parse, extract and store, beside feedparser.

Run: python -m bench.ingest [--articles 1000] [--database-url URL]
Serves a WordPress-shaped site on 127.0.0.1 with 1,000 articles in the example's layout, in
feeds of 50 items; times the whole pipeline (HTTP fetch, feedparser, key-fact extraction,
storage with identities and queued announcements), then feedparser alone on the same feed
bodies, in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import feedparser

from bot.articles.announcements import AnnouncementService
from bot.articles.routing import CategoryRoutes
from bot.articles.store import ArticleStore
from bot.config import load_settings
from bot.database import Database
from bot.feeds.intake import FeedIntake
from bot.feeds.registry import FeedRegistry
from bot.feeds.source import FeedSource
from tests.site.wordpress import WordPressSite

FEED_SIZE = 50
FACTS = [
    ("U.S. Military Action", "On June 20, 2025, the United States launched airstrikes."),
    ("Iran’s Retaliation", "Iran responded with missile strikes targeting Israeli sites."),
    ("Iran Turns to Russia", "Iran’s Foreign Minister was sent to Moscow to meet Putin."),
    ("Russia’s Position", "Putin condemned the strikes but offered no military aid."),
]
OUTLOOK = ["Araqchi’s meetings in Moscow will likely set the stage.", "Expect more sanctions."]
QUESTIONS = ["Do you think Russia will take a more active role?", "How will the U.S. respond?"]


def report(line: str) -> None:
    """Print one line of results."""
    sys.stdout.write(line + "\n")


async def run(articles: int, database_url: str) -> None:
    """Run the benchmark and print its figures."""
    site = await WordPressSite(feed_size=FEED_SIZE).start()
    for n in range(articles):
        site.add_post(f"Story {n}", facts=FACTS, outlook=OUTLOOK, questions=QUESTIONS)
    pages = (articles + FEED_SIZE - 1) // FEED_SIZE
    settings = load_settings(None, SITE_IS_WORDPRESS="false", NEWSROOM_FETCH_MAX_BYTES=50_000_000)
    database = Database(database_url)
    await database.upgrade()
    registry = FeedRegistry(database)
    feeds = [
        await registry.add(1, f"{site.url}/feed/?paged={page}", 100) for page in range(1, pages + 1)
    ]
    announcements = AnnouncementService(database)
    intake = FeedIntake(ArticleStore(database), announcements, CategoryRoutes(database))
    bodies: list[bytes] = []
    try:
        async with aiohttp.ClientSession() as session:
            source = FeedSource(session, settings)
            started = time.perf_counter()
            stored = 0
            storing = 0.0
            for feed in feeds:
                result = await source.fetch(feed)
                assert result.items is not None
                before_store = time.perf_counter()
                await intake.take(feed, result.items, first_fetch_items=1)
                storing += time.perf_counter() - before_store
                stored += len(result.items)
            pipeline = time.perf_counter() - started
            for feed in feeds:
                async with session.get(feed.url) as response:
                    bodies.append(await response.read())
        started = time.perf_counter()
        parsed = sum(len(feedparser.parse(body).entries) for body in bodies)
        baseline = time.perf_counter() - started
    finally:
        await database.dispose()
        await site.close()
    assert stored == parsed == articles, (stored, parsed, articles)
    report(f"articles: {articles} in {pages} feeds of {FEED_SIZE}, database {database.backend}")
    report(f"pipeline, fetch+parse+extract+store: {pipeline:.2f} s, {articles / pipeline:.0f}/s")
    report(f"  of which storing:                  {storing:.2f} s")
    report(f"feedparser alone on the same feeds:  {baseline:.2f} s, {articles / baseline:.0f}/s")
    report(f"pipeline / feedparser time: {pipeline / baseline:.1f}x")


def main() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        asyncio.run(run(args.articles, url))


if __name__ == "__main__":
    main()
