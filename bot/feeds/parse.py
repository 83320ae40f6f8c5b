"""Turn a feed (RSS 2.0, Atom, RDF, via feedparser) or WordPress REST posts into FeedItems."""

from __future__ import annotations

import calendar
import logging
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser

from bot.feeds.links import parse_link_headers
from bot.feeds.text import html_to_text, summary_text

log = logging.getLogger(__name__)

WORDPRESS_API_REL = "https://api.w.org/"
_WORDPRESS_ID = re.compile(r"[?&]p=(\d+)(?:[&#]|$)")
_HTML_START = re.compile(
    rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S
)
_XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*\?>", re.S)


class FeedError(Exception):
    """The address did not give a usable feed; `reason` says why in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One story from a feed or the WordPress REST API, in plain, comparable form."""

    title: str
    link: str | None
    guid: str | None
    summary: str = ""
    content_html: str | None = None
    author: str | None = None
    categories: tuple[str, ...] = ()
    published_at: datetime | None = None
    updated_at: datetime | None = None
    wordpress_post_id: int | None = None
    image_url: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A parsed feed: what it says about itself, and its items in the order it lists them."""

    title: str
    link: str | None
    format: str
    items: tuple[FeedItem, ...]
    site_api_url: str | None = None
    is_wordpress: bool = False
    self_url: str | None = None
    warning: str | None = None  # set when the XML was broken but entries were recovered


def wordpress_id_from_guid(guid: str | None) -> int | None:
    """Return the post id in a WordPress guid such as `https://site/?p=123`."""
    if not guid or not guid.lower().startswith(("http://", "https://")):
        return None
    match = _WORDPRESS_ID.search(guid)
    return int(match.group(1)) if match else None


def looks_like_html(body: bytes) -> bool:
    """Tell whether a body is an HTML page rather than XML (checks its first bytes)."""
    head = body[:2048].lstrip(b"\xef\xbb\xbf")
    head = _XML_DECLARATION.sub(b"", head, count=1)
    return _HTML_START.match(head) is not None


def _when(parsed: time.struct_time | None) -> datetime | None:
    """Convert feedparser's UTC struct_time to an aware datetime."""
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    """Drop empty and repeated values, keeping the first order."""
    seen: dict[str, None] = {}
    for value in values:
        if value:
            seen.setdefault(value, None)
    return tuple(seen)


def _problem(exception: object) -> str:
    """Describe a feedparser bozo exception briefly (with its line when known)."""
    message = getattr(exception, "getMessage", None)
    text = message() if callable(message) else str(exception or "unreadable")
    line = getattr(exception, "getLineNumber", None)
    return f"{text}, line {line()}" if callable(line) else text


def _entry_image(entry: Mapping[str, Any]) -> str | None:
    """Find an item's image: media:content/thumbnail or an image enclosure."""
    for key in ("media_content", "media_thumbnail"):
        for media in entry.get(key) or []:
            url = media.get("url")
            if url and (media.get("medium") in (None, "image") or "image" in media.get("type", "")):
                return str(url)
    for link in entry.get("links") or []:
        if link.get("rel") == "enclosure" and str(link.get("type", "")).startswith("image/"):
            return str(link.get("href"))
    return None


def _entry_item(entry: Mapping[str, Any], base_url: str) -> FeedItem | None:
    """Build an item from a feedparser entry; None when it has neither link nor guid."""
    link = entry.get("link") or None
    guid = entry.get("id") or None
    if link is None and guid is None:
        return None
    contents = entry.get("content") or []
    html_content = next((c.get("value") for c in contents if "html" in c.get("type", "")), None)
    content_html = html_content or (contents[0].get("value") if contents else None)
    summary_html = entry.get("summary")
    author_detail = entry.get("author_detail") or {}
    return FeedItem(
        title=html_to_text(entry.get("title")),
        link=urljoin(base_url, link) if link else None,
        guid=guid,
        summary=summary_text(summary_html or content_html),
        content_html=content_html or summary_html or None,
        author=html_to_text(author_detail.get("name") or entry.get("author")) or None,
        categories=_unique(html_to_text(tag.get("term")) for tag in entry.get("tags") or []),
        published_at=_when(entry.get("published_parsed")) or _when(entry.get("updated_parsed")),
        updated_at=_when(dict.get(entry, "updated_parsed")),  # no fallback to published
        wordpress_post_id=wordpress_id_from_guid(guid),
        image_url=_entry_image(entry),
    )


def parse_feed(
    body: bytes,
    url: str,
    *,
    content_type: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> ParsedFeed:
    """Parse a feed's bytes; raise FeedError when they are not a usable feed.

    `url` is the address the body came from (relative links resolve against it); pass the
    response's headers to learn the WordPress REST API root from its `Link` header.
    """
    if not body.strip():
        raise FeedError("the feed is empty")
    if looks_like_html(body):
        raise FeedError("the URL returned an HTML page, not a feed")
    response_headers = {"content-location": url}
    if content_type:
        response_headers["content-type"] = content_type
    parsed = feedparser.parse(body, response_headers=response_headers)
    version = parsed.get("version") or ""
    items = [item for entry in parsed.entries if (item := _entry_item(entry, url)) is not None]
    warning = None
    if parsed.bozo:
        problem = _problem(parsed.get("bozo_exception"))
        if not items:
            if not version and content_type and "html" in content_type:
                raise FeedError("the URL returned an HTML page, not a feed")
            raise FeedError(f"the feed is not well-formed XML ({problem})")
        warning = f"the feed is not well-formed XML ({problem}); {len(items)} items recovered"
        log.info("Feed %s: %s", url, warning)
    elif not version and not items:
        raise FeedError("the URL did not return an RSS or Atom feed")
    feed = parsed.feed
    links = feed.get("links") or []
    self_url = next((lk.get("href") for lk in links if lk.get("rel") == "self"), None)
    api_url = next((lk.get("href") for lk in links if lk.get("rel") == WORDPRESS_API_REL), None)
    if headers is not None:
        values = headers.getall("Link", []) if hasattr(headers, "getall") else [headers.get("Link")]
        for link in parse_link_headers([v for v in values if v], base_url=url):
            if WORDPRESS_API_REL in link.rels:
                api_url = link.href
                break
    generator = str(feed.get("generator_detail", {}).get("href") or feed.get("generator") or "")
    is_wordpress = "wordpress.org" in generator.lower() or any(
        item.wordpress_post_id is not None for item in items
    )
    return ParsedFeed(
        title=html_to_text(feed.get("title")),
        link=feed.get("link") or None,
        format=version or "unknown",
        items=tuple(items),
        site_api_url=api_url,
        is_wordpress=is_wordpress,
        self_url=self_url,
        warning=warning,
    )


# WordPress REST API ----------------------------------------------------------------------


def _rendered(post: Mapping[str, Any], key: str) -> str | None:
    """Return `post[key]["rendered"]` when it is a string."""
    value = post.get(key)
    rendered = value.get("rendered") if isinstance(value, Mapping) else None
    return rendered if isinstance(rendered, str) else None


def _gmt(value: object) -> datetime | None:
    """Read a REST date (`2026-11-01T08:00:00`, UTC for the `_gmt` fields) as aware UTC."""
    if not isinstance(value, str) or not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _embedded_list(post: Mapping[str, Any], key: str) -> list[Any]:
    """Return `_embedded[key]` as a list (empty when missing or malformed)."""
    embedded = post.get("_embedded")
    value = embedded.get(key) if isinstance(embedded, Mapping) else None
    return value if isinstance(value, list) else []


def _post_categories(post: Mapping[str, Any], names: Mapping[int, str] | None) -> tuple[str, ...]:
    """Name a post's categories from `_embedded` terms, else from a given id → name map."""
    terms = [
        term
        for group in _embedded_list(post, "wp:term")
        if isinstance(group, list)
        for term in group
        if isinstance(term, Mapping) and term.get("taxonomy") == "category"
    ]
    if terms:
        return _unique(html_to_text(str(term.get("name") or "")) for term in terms)
    ids = post.get("categories")
    if names and isinstance(ids, list):
        return _unique(html_to_text(names.get(i, "")) for i in ids if isinstance(i, int))
    return ()


def _post_author(post: Mapping[str, Any]) -> str | None:
    """Return the embedded author's name (not an embedded error object)."""
    for author in _embedded_list(post, "author"):
        if isinstance(author, Mapping) and isinstance(author.get("name"), str):
            return html_to_text(author["name"]) or None
    return None


def _post_image(post: Mapping[str, Any]) -> str | None:
    """Return the embedded featured image's address."""
    for media in _embedded_list(post, "wp:featuredmedia"):
        if not isinstance(media, Mapping):
            continue
        if isinstance(media.get("source_url"), str):
            return media["source_url"]
        sizes = (media.get("media_details") or {}).get("sizes") or {}
        full = sizes.get("full") if isinstance(sizes, Mapping) else None
        if isinstance(full, Mapping) and isinstance(full.get("source_url"), str):
            return full["source_url"]
    return None


def parse_wordpress_posts(
    payload: Sequence[Any], site_url: str, *, category_names: Mapping[int, str] | None = None
) -> list[FeedItem]:
    """Build items from `/wp/v2/posts?_embed` JSON; skip what is not a published post."""
    items = []
    for post in payload:
        if not isinstance(post, Mapping):
            continue
        post_id = post.get("id")
        if not isinstance(post_id, int) or isinstance(post_id, bool):
            continue
        if post.get("status", "publish") != "publish":
            continue
        link = post.get("link") if isinstance(post.get("link"), str) else None
        content = post.get("content")
        protected = isinstance(content, Mapping) and content.get("protected") is True
        content_html = None if protected else _rendered(post, "content")
        items.append(
            FeedItem(
                title=html_to_text(_rendered(post, "title")),
                link=urljoin(site_url, link) if link else None,
                guid=_rendered(post, "guid"),
                summary=summary_text(_rendered(post, "excerpt") or content_html),
                content_html=content_html,
                author=_post_author(post),
                categories=_post_categories(post, category_names),
                published_at=_gmt(post.get("date_gmt")) or _gmt(post.get("date")),
                updated_at=_gmt(post.get("modified_gmt")) or _gmt(post.get("modified")),
                wordpress_post_id=post_id,
                image_url=_post_image(post),
            )
        )
    if len(items) < len(payload):
        log.info(
            "Skipped %d REST entries of %s that are not posts", len(payload) - len(items), site_url
        )
    return items
