"""Fetch an article page from a configured site and extract it, refusing anything else."""

from __future__ import annotations

import logging
from urllib.parse import urljoin

import aiohttp

from bot.articles.extracted import ExtractedArticle
from bot.articles.extraction import extract_article_html
from bot.articles.sites import SiteAllowlist
from bot.errors import InvalidInput, NewsroomError

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
HTML_TYPES = ("text/html", "application/xhtml+xml")
CHUNK = 64 * 1024


class PageUnavailable(NewsroomError):
    """The site did not give us the page: down, slow, missing, too big or not HTML."""


async def read_capped(response: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    """Read a body, stopping with PageUnavailable as soon as it passes `max_bytes`."""
    if response.content_length is not None and response.content_length > max_bytes:
        raise PageUnavailable(f"That page is too large (over {max_bytes // 1_000_000} MB).")
    body = bytearray()
    async for chunk in response.content.iter_chunked(CHUNK):
        body.extend(chunk)
        if len(body) > max_bytes:
            raise PageUnavailable(f"That page is too large (over {max_bytes // 1_000_000} MB).")
    return bytes(body)


async def fetch_article_page(
    session: aiohttp.ClientSession,
    url: str,
    allowlist: SiteAllowlist,
    *,
    timeout_seconds: float,
    max_bytes: int,
) -> ExtractedArticle:
    """Fetch `url` (and each redirect) only from allowed sites, then extract the article."""
    url = allowlist.check(url)
    client_timeout = aiohttp.ClientTimeout(total=timeout_seconds)
    try:
        for _ in range(MAX_REDIRECTS + 1):
            async with session.get(
                url, allow_redirects=False, timeout=client_timeout, headers={"Accept": "text/html"}
            ) as response:
                if response.status in (301, 302, 303, 307, 308) and "Location" in response.headers:
                    url = allowlist.check(urljoin(url, response.headers["Location"]))
                    continue
                if response.status != 200:
                    raise PageUnavailable(
                        f"The site answered {response.status} {response.reason or ''} "
                        "for that page.".replace("  ", " ")
                    )
                if response.content_type not in HTML_TYPES:
                    raise PageUnavailable(
                        f"That link is not an article page (it is {response.content_type})."
                    )
                body = await read_capped(response, max_bytes)
                charset = response.charset or "utf-8"
                break
        else:
            raise PageUnavailable("That link redirects too many times.")
    except TimeoutError:
        raise PageUnavailable(
            f"The site took longer than {timeout_seconds:g} s to answer."
        ) from None
    except aiohttp.ClientError as exc:
        log.info("Fetching %s failed: %r", url, exc)
        raise PageUnavailable("I couldn't reach the site; it may be down.") from None
    try:
        html = body.decode(charset, errors="replace")
    except LookupError:
        html = body.decode("utf-8", errors="replace")
    article = extract_article_html(html, url)
    if not article.title:
        raise InvalidInput("I couldn't find an article on that page.")
    return article
