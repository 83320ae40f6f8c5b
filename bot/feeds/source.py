"""Fetch a feed like a good citizen and turn its entries (or WordPress posts) into items."""

from __future__ import annotations

import html
import json
import logging
import re
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp
import feedparser
from multidict import CIMultiDict

from bot.articles.extraction import extract_article_html
from bot.articles.pages import PageUnavailable, read_capped
from bot.articles.urls import canonicalize_url
from bot.config import Settings
from bot.feeds.intake import IncomingItem
from bot.feeds.poller import SourceError, SourceResult
from bot.feeds.registry import FeedRecord

log = logging.getLogger(__name__)

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
WORDPRESS_REL = "https://api.w.org/"
WORDPRESS_ID_IN_GUID = re.compile(r"[?&]p=(\d+)\b")
TAGS = re.compile(r"<[^>]+>")
MAX_REDIRECTS = 5
MAX_RETRY_AFTER = 6 * 3600.0
REST_PAGE_SIZE = 20
CONTENT_PAGE = (
    "<html><body><article><div class='entry-content'>{content}</div></article></body></html>"
)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Read Retry-After as seconds, from delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max((when - now).total_seconds(), 0.0), MAX_RETRY_AFTER)


def wordpress_api_root(link_header: str | None, base_url: str) -> str | None:
    """Find the WordPress REST API root in a `Link` header, if the site advertises one."""
    for part in (link_header or "").split(","):
        if f'rel="{WORDPRESS_REL}"' in part and "<" in part and ">" in part:
            return urljoin(base_url, part[part.index("<") + 1 : part.index(">")])
    return None


def plain(fragment: str | None) -> str:
    """Turn an HTML fragment (a title or excerpt) into plain text."""
    return " ".join(html.unescape(TAGS.sub(" ", fragment or "")).split())


def keys_for(
    *, host: str, post_id: int | None, guid: str | None, link: str | None
) -> tuple[str, ...]:
    """Name every key an item is known by: WordPress id, guid, canonical link."""
    keys = []
    if post_id is not None:
        keys.append(f"wp:{host}:{post_id}")
    if guid:
        keys.append(f"guid:{guid}")
    if link:
        keys.append(f"url:{canonicalize_url(link)}")
    return tuple(keys)


def _item(
    *,
    title: str,
    link: str,
    content_html: str,
    summary: str | None,
    author: str | None,
    published_at: datetime | None,
    category: str | None,
    image_url: str | None,
    site_name: str | None,
    keys: tuple[str, ...],
) -> IncomingItem:
    """Extract the structured parts from an item's content and attach the feed's metadata."""
    parts = extract_article_html(CONTENT_PAGE.format(content=content_html), link)
    article = replace(
        parts,
        title=title or parts.title,
        url=link,
        canonical_url=link,
        author=author or parts.author,
        published_at=published_at,
        image_url=image_url or parts.image_url,
        summary=summary or parts.summary,
        category=category,
        site_name=site_name,
    )
    return IncomingItem(keys=keys, article=article)


def items_from_feed(body: bytes, url: str, content_type: str | None) -> list[IncomingItem]:
    """Parse RSS or Atom with feedparser, refusing what is not a feed."""
    parsed = feedparser.parse(body, response_headers={"content-location": url})
    usable = [entry for entry in parsed.entries if entry.get("link")]
    if not usable:
        if content_type and "html" in content_type:
            raise SourceError("the address returned an HTML page, not a feed")
        if parsed.bozo:
            reason = getattr(parsed.get("bozo_exception"), "getMessage", lambda: "")()
            raise SourceError(f"the feed is not valid XML ({reason or 'unreadable'})")
        return []
    if parsed.bozo:
        log.info("Feed %s is malformed but readable: %s", url, parsed.get("bozo_exception"))
    site_name = plain(parsed.feed.get("title")) or None
    host = urlsplit(url).hostname or ""
    items = []
    for entry in usable:
        link = entry["link"]
        guid = entry.get("id")
        match = WORDPRESS_ID_IN_GUID.search(guid or "")
        content = (entry.get("content") or [{}])[0].get("value") or entry.get("summary", "")
        published = entry.get("published_parsed") or entry.get("updated_parsed")
        tags = entry.get("tags") or []
        media = (entry.get("media_content") or [{}])[0].get("url")
        items.append(
            _item(
                title=plain(entry.get("title")),
                link=link,
                content_html=content,
                summary=plain(entry.get("summary")) or None,
                author=entry.get("author"),
                published_at=datetime(*published[:6], tzinfo=UTC) if published else None,
                category=tags[0].get("term") if tags else None,
                image_url=media,
                site_name=site_name,
                keys=keys_for(
                    host=host,
                    post_id=int(match.group(1)) if match else None,
                    guid=guid,
                    link=link,
                ),
            )
        )
    return items


def items_from_wordpress(posts: list[dict[str, Any]], api_root: str) -> list[IncomingItem]:
    """Build items from `/wp/v2/posts?_embed` JSON: full content, categories, post ids."""
    host = urlsplit(api_root).hostname or ""
    items = []
    for post in posts:
        link = post.get("link")
        if not isinstance(link, str) or not isinstance(post.get("id"), int):
            continue
        embedded = post.get("_embedded") or {}
        terms = [t for group in embedded.get("wp:term") or [] for t in group or []]
        categories = [t.get("name") for t in terms if t.get("taxonomy") == "category"]
        authors = embedded.get("author") or [{}]
        media = embedded.get("wp:featuredmedia") or [{}]
        date = post.get("date_gmt")
        items.append(
            _item(
                title=plain((post.get("title") or {}).get("rendered")),
                link=link,
                content_html=(post.get("content") or {}).get("rendered") or "",
                summary=plain((post.get("excerpt") or {}).get("rendered")) or None,
                author=authors[0].get("name"),
                published_at=datetime.fromisoformat(date).replace(tzinfo=UTC) if date else None,
                category=plain(categories[0]) if categories else None,
                image_url=media[0].get("source_url"),
                site_name=None,
                keys=keys_for(
                    host=host,
                    post_id=post["id"],
                    guid=(post.get("guid") or {}).get("rendered"),
                    link=link,
                ),
            )
        )
    return items


class FeedSource:
    """Fetch feeds over the shared HTTP session, conditionally, with caps and timeouts."""

    def __init__(self, session: aiohttp.ClientSession, settings: Settings) -> None:
        self._session = session
        self._settings = settings

    async def fetch(self, feed: FeedRecord) -> SourceResult:
        """Fetch a feed; use the WordPress REST API for full posts when the site has one."""
        headers = {"Accept": FEED_ACCEPT}
        if feed.etag:
            headers["If-None-Match"] = feed.etag
        if feed.last_modified:
            headers["If-Modified-Since"] = feed.last_modified
        body, response_headers, content_type = await self._get(feed.url, headers)
        if body is None:
            return SourceResult(None)
        api_root = feed.wordpress_api_url or wordpress_api_root(
            response_headers.get("Link"), feed.url
        )
        use_rest = api_root is not None and self._settings.site_is_wordpress is not False
        if use_rest:
            assert api_root is not None
            items = await self._wordpress_items(api_root)
        else:
            items = items_from_feed(body, feed.url, content_type)
        return SourceResult(
            items,
            etag=response_headers.get("ETag"),
            last_modified=response_headers.get("Last-Modified"),
            wordpress_api_url=api_root,
        )

    async def _wordpress_items(self, api_root: str) -> list[IncomingItem]:
        """Fetch the newest posts from the WordPress REST API."""
        url = urljoin(api_root.rstrip("/") + "/", "wp/v2/posts")
        query = f"?_embed=1&per_page={REST_PAGE_SIZE}&orderby=date&order=desc"
        body, _, content_type = await self._get(url + query, {"Accept": "application/json"})
        if body is None or content_type != "application/json":
            raise SourceError("the WordPress REST API did not answer with JSON")
        try:
            posts = json.loads(body)
        except ValueError:
            raise SourceError("the WordPress REST API sent invalid JSON") from None
        if not isinstance(posts, list):
            raise SourceError("the WordPress REST API sent something other than posts")
        return items_from_wordpress(posts, api_root)

    async def _get(
        self, url: str, headers: dict[str, str]
    ) -> tuple[bytes | None, CIMultiDict[str], str | None]:
        """GET with caps; return (body or None for 304, headers, content type)."""
        timeout = aiohttp.ClientTimeout(total=self._settings.fetch_timeout_seconds)
        try:
            async with self._session.get(
                url, headers=headers, timeout=timeout, max_redirects=MAX_REDIRECTS
            ) as response:
                if response.status == 304:
                    return None, CIMultiDict(response.headers), None
                if response.status == 429 or response.status >= 500:
                    retry_after = parse_retry_after(
                        response.headers.get("Retry-After"), datetime.now(UTC)
                    )
                    raise SourceError(f"HTTP {response.status}", retry_after=retry_after)
                if response.status != 200:
                    raise SourceError(f"HTTP {response.status} {response.reason or ''}".strip())
                body = await read_capped(response, self._settings.fetch_max_bytes)
                return body, CIMultiDict(response.headers), response.content_type
        except PageUnavailable as exc:
            raise SourceError(str(exc).rstrip(".")) from None
        except aiohttp.TooManyRedirects:
            raise SourceError("too many redirects") from None
        except TimeoutError:
            timeout_s = self._settings.fetch_timeout_seconds
            raise SourceError(f"no answer within {timeout_s:g} s") from None
        except aiohttp.ClientError as exc:
            raise SourceError(f"could not connect ({type(exc).__name__})") from None
