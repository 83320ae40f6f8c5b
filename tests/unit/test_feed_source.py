"""Fetching feeds from a loopback WordPress-shaped site: conditional GETs, faults, REST."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime

import aiohttp
import pytest

from bot.config import load_settings
from bot.feeds.poller import SourceError
from bot.feeds.registry import FeedRecord
from bot.feeds.source import FeedSource, items_from_feed, parse_retry_after
from tests.site.wordpress import WordPressSite

FACTS = [("U.S. Military Action", "The United States struck Iranian nuclear sites.")]


@pytest.fixture
async def site() -> AsyncIterator[WordPressSite]:
    served = await WordPressSite().start()
    yield served
    await served.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


def feed_at(url: str, **changes: object) -> FeedRecord:
    """A feed record as the registry would hand it over."""
    record = FeedRecord(
        id=1,
        guild_id=1,
        url=url,
        channel_id=1,
        ping_role_id=None,
        wordpress_api_url=None,
        etag=None,
        last_modified=None,
        paused=False,
        paused_reason=None,
        primed=False,
        consecutive_failures=0,
        next_fetch_at=datetime.now(UTC),
        last_success_at=None,
        last_error_at=None,
        last_error=None,
    )
    return replace(record, **changes)


def source(session: aiohttp.ClientSession, **settings: object) -> FeedSource:
    values = {"SITE_IS_WORDPRESS": "false", "NEWSROOM_FETCH_TIMEOUT_SECONDS": 1, **settings}
    return FeedSource(session, load_settings(None, **values))


async def test_rss_items_carry_parts_identity_and_validators(site, session) -> None:
    post = site.add_post(
        "Iran’s “deal” with Putin & more", facts=FACTS, questions=["Will Russia act?"]
    )
    result = await source(session).fetch(feed_at(f"{site.url}/feed/"))
    [item] = result.items
    assert item.article.title == "Iran’s “deal” with Putin & more"
    assert item.article.key_facts[0].label == "U.S. Military Action"
    assert item.article.reader_questions == ("Will Russia act?",)
    assert item.article.category == "World News"
    assert item.article.published_at == post.published
    assert item.keys == (
        f"wp:127.0.0.1:{post.id}",
        f"guid:{post.guid}",
        f"url:{site.url}/story-{post.id}",
    )
    assert result.etag
    assert result.wordpress_api_url == f"{site.url}/wp-json/"


async def test_conditional_get_gives_not_modified_until_a_post_is_added(site, session) -> None:
    site.add_post("First")
    fetcher = source(session)
    first = await fetcher.fetch(feed_at(f"{site.url}/feed/"))
    again = await fetcher.fetch(feed_at(f"{site.url}/feed/", etag=first.etag))
    assert again.items is None
    assert site.requests_to("/feed/")[-1].headers["If-None-Match"] == first.etag
    assert site.requests_to("/feed/")[-1].status == 304
    site.add_post("Second")
    changed = await fetcher.fetch(feed_at(f"{site.url}/feed/", etag=first.etag))
    assert [item.article.title for item in changed.items] == ["Second", "First"]


async def test_wordpress_rest_api_gives_full_posts(site, session) -> None:
    post = site.add_post("Via REST", facts=FACTS, category="Politics")
    result = await source(session, SITE_IS_WORDPRESS="true").fetch(feed_at(f"{site.url}/feed/"))
    [item] = result.items
    assert item.article.title == "Via REST"
    assert item.article.category == "Politics"
    assert item.article.author == "Daniel Reyes"
    assert item.keys[0] == f"wp:127.0.0.1:{post.id}"
    assert site.requests_to("/wp-json/wp/v2/posts")


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("malformed", "the feed is not valid XML"),
        ("html", "the address returned an HTML page, not a feed"),
        ("503", "HTTP 503"),
        ("slow", "no answer within 1 s"),
        ("huge", "That page is too large"),
    ],
)
async def test_faults_are_clear_errors(site, session, fault: str, reason: str) -> None:
    site.add_post("Anything")
    site.fault = fault
    with pytest.raises(SourceError) as caught:
        await source(session).fetch(feed_at(f"{site.url}/feed/"))
    assert caught.value.reason.startswith(reason)


async def test_retry_after_is_passed_on(site, session) -> None:
    site.fault, site.retry_after = "429", "120"
    with pytest.raises(SourceError) as caught:
        await source(session).fetch(feed_at(f"{site.url}/feed/"))
    assert caught.value.reason == "HTTP 429"
    assert caught.value.retry_after == 120


async def test_unreachable_site(session) -> None:
    with pytest.raises(SourceError, match="could not connect"):
        await source(session).fetch(feed_at("http://127.0.0.1:9/feed/"))


def test_retry_after_dates_and_caps() -> None:
    now = datetime(2026, 11, 25, 12, tzinfo=UTC)
    assert parse_retry_after("Wed, 25 Nov 2026 12:02:00 GMT", now) == 120
    assert parse_retry_after("99999999", now) == 6 * 3600
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


async def test_a_moved_feed_is_followed_and_a_redirect_loop_is_an_error(site, session) -> None:
    site.add_post("Moved")
    result = await source(session).fetch(feed_at(f"{site.url}/old-feed/"))
    assert [item.article.title for item in result.items] == ["Moved"]
    with pytest.raises(SourceError, match="too many redirects"):
        await source(session).fetch(feed_at(f"{site.url}/loop/"))


async def test_a_fifty_item_feed_is_read_whole(site, session) -> None:
    site.feed_size = 50
    for n in range(50):
        site.add_post(f"Story {n}")
    result = await source(session).fetch(feed_at(f"{site.url}/feed/"))
    assert len(result.items) == 50


def test_atom_feeds_are_read() -> None:
    atom = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom News</title><id>urn:x</id>
<updated>2026-11-20T10:00:00Z</updated>
<entry><title type="html">Iran &amp;amp; Russia</title><id>urn:uuid:1</id>
<link href="https://atom.example/iran-russia/?utm_source=rss"/>
<updated>2026-11-20T10:00:00Z</updated><published>2026-11-20T09:00:00Z</published>
<category term="World"/><author><name>Ana</name></author>
<content type="html"><![CDATA[<h2>Key facts</h2>
<ul><li>Talks: They met.</li></ul>]]></content>
</entry></feed>"""
    [item] = items_from_feed(atom, "https://atom.example/feed/", "application/atom+xml")
    assert item.article.title == "Iran & Russia"
    assert item.article.category == "World"
    assert item.article.author == "Ana"
    assert item.article.published_at == datetime(2026, 11, 20, 9, tzinfo=UTC)
    assert [(f.label, f.text) for f in item.article.key_facts] == [("Talks", "They met.")]
    assert item.keys == ("guid:urn:uuid:1", "url:https://atom.example/iran-russia")
