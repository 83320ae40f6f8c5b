"""Find a WordPress site's REST API and read its posts from it, page by page."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import aiohttp

from bot.feeds.fetch import JSON_ACCEPT, FailureKind, FetchError, fetch
from bot.feeds.links import parse_link_headers, parse_link_tags
from bot.feeds.parse import WORDPRESS_API_REL, FeedItem, parse_wordpress_posts

log = logging.getLogger(__name__)

# WordPress's `after` compares with the post's local date, and the site's time zone is unknown
# to us: ask from this much earlier (the widest UTC offset) and let identities drop repeats.
AFTER_MARGIN = timedelta(hours=14)
POST_FIELDS = (
    "id,date,date_gmt,modified,modified_gmt,status,link,guid,title,content,excerpt,"
    "author,categories,featured_media,_links,_embedded"
)


class WordPressApiError(Exception):
    """The REST API did not give posts; `reason` says why, `error` has the fetch's details."""

    def __init__(self, reason: str, error: FetchError | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.error = error

    @property
    def retryable(self) -> bool:
        """Tell whether trying again later may help."""
        return self.error.retryable if self.error is not None else False


@dataclass(frozen=True, slots=True)
class WordPressPosts:
    """Posts read from the REST API, newest first."""

    items: tuple[FeedItem, ...]
    total: int | None  # X-WP-Total: how many posts matched
    pages_fetched: int
    complete: bool  # False when max_pages stopped the paging early


def discover_wordpress_api(
    headers: Mapping[str, str] | None, html_or_none: str | None, *, base_url: str | None = None
) -> str | None:
    """Return the REST API root a page advertises: its `Link` header, else its <link> tag."""
    if headers is not None:
        getall = getattr(headers, "getall", None)
        values = getall("Link", []) if callable(getall) else [headers.get("Link") or ""]
        for link in parse_link_headers(values, base_url):
            if WORDPRESS_API_REL in link.rels:
                return link.href
    if html_or_none:
        for link in parse_link_tags(html_or_none, base_url):
            if WORDPRESS_API_REL in link.rels:
                return link.href
    return None


def rest_url(api_root: str, route: str, query: Mapping[str, str] | None = None) -> str:
    """Build a route's address from the API root, also for `?rest_route=/` roots."""
    parts = urlsplit(api_root)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    extra = list((query or {}).items())
    if any(name == "rest_route" for name, _ in pairs):  # a site without pretty permalinks
        kept = [(name, value) for name, value in pairs if name != "rest_route"]
        full = [*kept, ("rest_route", "/" + route.strip("/")), *extra]
        return urlunsplit((*parts[:3], urlencode(full, safe="/"), ""))
    base = urlunsplit((*parts[:3], "", "")).rstrip("/")
    return f"{base}/{route.strip('/')}" + (f"?{urlencode(extra)}" if extra else "")


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    """Read an integer header such as X-WP-TotalPages."""
    try:
        return int(headers.get(name, "").strip())
    except ValueError:
        return None


def _decode(body: bytes) -> list[object]:
    """Decode a posts page, tolerating the BOM some plugins print before the JSON."""
    try:
        payload = json.loads(body.lstrip(b"\xef\xbb\xbf \t\r\n") or b"null")
    except ValueError:
        raise WordPressApiError("the WordPress REST API sent invalid JSON") from None
    if isinstance(payload, dict) and "code" in payload:
        raise WordPressApiError(
            f"the WordPress REST API refused: {payload.get('code')} ({payload.get('message')})"
        )
    if not isinstance(payload, list):
        raise WordPressApiError("the WordPress REST API sent something other than a post list")
    return payload


async def fetch_wordpress_posts(
    session: aiohttp.ClientSession,
    api_root: str,
    *,
    after: datetime | None,
    per_page: int = 20,
    max_pages: int = 5,
    timeout: float = 20.0,  # noqa: ASYNC109 - passed on to fetch(), one deadline per page
    max_bytes: int = 5_000_000,
    after_margin: timedelta = AFTER_MARGIN,
    category_names: Mapping[int, str] | None = None,
) -> WordPressPosts:
    """Read posts with `_embed`: the newest page when `after` is None, else every post since.

    With `after`, posts come oldest first (so a capped read never skips any) for up to
    `max_pages` pages of `per_page`; `complete` tells whether more remain.
    """
    query = {"per_page": str(per_page), "orderby": "date", "_embed": "1", "_fields": POST_FIELDS}
    if after is None:
        query["order"] = "desc"
        max_pages = 1
    else:
        since = (after - after_margin).astimezone(UTC)
        query.update(order="asc", after=since.strftime("%Y-%m-%dT%H:%M:%S"))
    items: dict[int, FeedItem] = {}
    total: int | None = None
    pages = 0
    complete = True
    for page in range(1, max_pages + 1):
        result = await fetch(
            session,
            rest_url(api_root, "wp/v2/posts", {**query, "page": str(page)}),
            etag=None,
            last_modified=None,
            max_bytes=max_bytes,
            timeout=timeout,
            accept=JSON_ACCEPT,
            allowed_types=("application/json",),
        )
        if result.error is not None:
            if page > 1 and result.error.http_status == 400:
                break  # rest_post_invalid_page_number: posts vanished while we paged
            raise _api_error(result.error)
        pages += 1
        payload = _decode(result.body)
        for item in parse_wordpress_posts(payload, api_root, category_names=category_names):
            items.setdefault(item.wordpress_post_id or 0, item)
        if total is None:
            total = _header_int(result.headers, "X-WP-Total")
        total_pages = _header_int(result.headers, "X-WP-TotalPages")
        if not payload or (
            page >= total_pages if total_pages is not None else len(payload) < per_page
        ):
            break
    else:
        complete = False
    ordered = sorted(
        items.values(),
        key=lambda item: item.published_at or datetime.min.replace(tzinfo=UTC),
        reverse=True,
    )
    log.debug("Read %d posts from %s in %d pages", len(ordered), api_root, pages)
    return WordPressPosts(tuple(ordered), total, pages, complete)


def _api_error(error: FetchError) -> WordPressApiError:
    """Explain a failed REST API request."""
    if error.kind is FailureKind.WRONG_CONTENT_TYPE:
        return WordPressApiError(
            f"the WordPress REST API did not answer with JSON ({error.reason})", error
        )
    return WordPressApiError(f"the WordPress REST API failed: {error.reason}", error)
