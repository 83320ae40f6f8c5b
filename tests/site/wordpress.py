"""A loopback news site shaped like WordPress 6: RSS feed, REST API, article pages, faults."""

from __future__ import annotations

import asyncio
import hashlib
import html
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

from aiohttp import web

from bot.articles.extracted import ExtractedArticle
from tests.site.comments import CommentsAPI

START = datetime(2026, 11, 1, 8, tzinfo=UTC)


def example_body(facts: list[tuple[str, str]], outlook: list[str], questions: list[str]) -> str:
    """Write a post body in the example article's layout."""
    items = "".join(
        f"<li><strong>{html.escape(label)}:</strong> {html.escape(text)}</li>"
        for label, text in facts
    )
    next_paragraphs = "".join(f"<p>{html.escape(text)}</p>" for text in outlook)
    closing = " ".join(questions)
    return (
        "<p>An intro paragraph that sets the scene for readers.</p>"
        f"<h2>Key Facts:</h2><ul>{items}</ul>"
        "<p>Analysis that explains the background.</p>"
        f"<h2>What Happens Next?</h2>{next_paragraphs}"
        f"<p>Stay tuned as we cover this story. {html.escape(closing)} "
        "Drop your thoughts in the comments below.</p>"
    )


@dataclass
class Post:
    """One published post."""

    id: int
    slug: str
    title: str
    body_html: str
    category: str
    published: datetime
    modified: datetime
    guid: str
    author: str = "Daniel Reyes"


@dataclass
class Request:
    """One request the site answered."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    status: int


@dataclass
class WordPressSite:
    """The site; flip `fault` to make the feed misbehave."""

    name: str = "Example News"
    posts: dict[int, Post] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    fault: str | None = None  # "malformed", "html", "503", "429", "slow", "huge", "png"
    retry_after: str | None = None
    slow_seconds: float = 2.0
    feed_size: int = 10
    url: str = ""
    comments: CommentsAPI = field(default_factory=CommentsAPI)
    _runner: web.AppRunner | None = None
    _next_id: int = 100

    async def start(self) -> WordPressSite:
        """Serve on a random port of 127.0.0.1."""
        app = web.Application(middlewares=[self._log])
        app.router.add_get("/feed/", self._feed)
        app.router.add_get("/old-feed/", self._moved)
        app.router.add_get("/loop/", self._loop)
        app.router.add_get("/wp-json/", self._index)
        app.router.add_get("/wp-json/wp/v2/posts", self._rest_posts)
        self.comments.install(app, lambda: set(self.posts))
        app.router.add_get("/{slug}/", self._page)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def close(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()

    def add_post(
        self,
        title: str,
        *,
        facts: list[tuple[str, str]] | None = None,
        outlook: list[str] | None = None,
        questions: list[str] | None = None,
        category: str = "World News",
        published: datetime | None = None,
    ) -> Post:
        """Publish a post in the example's layout."""
        self._next_id += 1
        post_id = self._next_id
        when = published or START + timedelta(hours=post_id - 100)
        post = Post(
            id=post_id,
            slug=f"story-{post_id}",
            title=title,
            body_html=example_body(
                facts or [("Fact", f"A fact of {title}.")],
                outlook or [f"Expect more on {title}."],
                questions or ["What do you think?"],
            ),
            category=category,
            published=when,
            modified=when,
            guid=f"{self.url}/?p={post_id}",
        )
        self.posts[post_id] = post
        return post

    def update_post(self, post_id: int, *, title: str) -> None:
        """Change a post's title."""
        post = self.posts[post_id]
        post.title = title
        post.modified = post.modified + timedelta(minutes=5)

    def requests_to(self, path: str) -> list[Request]:
        """Return the requests made to a path."""
        return [request for request in self.requests if request.path == path]

    # Serving ------------------------------------------------------------------------------

    @web.middleware
    async def _log(self, request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            response = exc
        self.requests.append(
            Request(
                request.method,
                request.path,
                dict(request.query),
                dict(request.headers),
                response.status,
            )
        )
        if isinstance(response, web.HTTPException):
            raise response
        return response

    def _newest(self, count: int) -> list[Post]:
        return sorted(self.posts.values(), key=lambda p: p.published, reverse=True)[:count]

    def _link_header(self) -> dict[str, str]:
        return {"Link": f'<{self.url}/wp-json/>; rel="https://api.w.org/"'}

    async def _feed(self, request: web.Request) -> web.StreamResponse:
        if self.fault == "slow":
            await asyncio.sleep(self.slow_seconds)
        if self.fault in ("503", "429"):
            headers = {"Retry-After": self.retry_after} if self.retry_after else {}
            return web.Response(status=int(self.fault), text="busy", headers=headers)
        if self.fault == "html":
            return web.Response(
                text="<html><body>Error establishing a database connection</body></html>",
                content_type="text/html",
            )
        if self.fault == "png":
            return web.Response(body=b"\x89PNG\r\n", content_type="image/png")
        if self.fault == "huge":
            return web.Response(
                body=b"<rss>" + b" " * 20_000_000, content_type="application/rss+xml"
            )
        page = int(request.query.get("paged", "1"))
        posts = self._newest(self.feed_size * page)[self.feed_size * (page - 1) :]
        body = self._rss(posts) if self.fault != "malformed" else "<rss><channel><item><title>oops"
        etag = '"' + hashlib.sha1(body.encode()).hexdigest()[:16] + '"'
        modified = format_datetime(max((p.modified for p in posts), default=START), usegmt=True)
        headers = {"ETag": etag, "Last-Modified": modified, **self._link_header()}
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers=headers)
        return web.Response(
            text=body, content_type="application/rss+xml", charset="UTF-8", headers=headers
        )

    def _rss(self, posts: list[Post]) -> str:
        items = "".join(
            f"""<item><title>{html.escape(p.title)}</title>
<link>{self.url}/{p.slug}/</link><dc:creator><![CDATA[{p.author}]]></dc:creator>
<pubDate>{format_datetime(p.published, usegmt=True)}</pubDate>
<category><![CDATA[{p.category}]]></category>
<guid isPermaLink="false">{p.guid}</guid>
<description><![CDATA[{p.title}: a summary.]]></description>
<content:encoded><![CDATA[{p.body_html}]]></content:encoded></item>"""
            for p in posts
        )
        return f"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/"
xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>{self.name}</title>
<atom:link href="{self.url}/feed/" rel="self" type="application/rss+xml" />
<link>{self.url}</link><description>News</description><language>en-US</language>{items}</channel></rss>"""

    async def _moved(self, request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("/feed/")

    async def _loop(self, request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop/")

    async def _index(self, request: web.Request) -> web.Response:
        return web.json_response({"name": self.name, "url": self.url, "namespaces": ["wp/v2"]})

    async def _rest_posts(self, request: web.Request) -> web.Response:
        per_page = int(request.query.get("per_page", "10"))
        posts = self._newest(len(self.posts) if "slug" in request.query else per_page)
        if "slug" in request.query:
            posts = [p for p in posts if p.slug == request.query["slug"]][:per_page]
        payload = [
            {
                "id": p.id,
                "date_gmt": p.published.replace(tzinfo=None).isoformat(),
                "modified_gmt": p.modified.replace(tzinfo=None).isoformat(),
                "slug": p.slug,
                "status": "publish",
                "link": f"{self.url}/{p.slug}/",
                "guid": {"rendered": p.guid},
                "title": {"rendered": html.escape(p.title)},
                "content": {"rendered": p.body_html, "protected": False},
                "excerpt": {"rendered": f"<p>{html.escape(p.title)}: a summary.</p>"},
                "categories": [1],
                "_embedded": {
                    "author": [{"id": 1, "name": p.author}],
                    "wp:term": [[{"id": 1, "name": p.category, "taxonomy": "category"}], []],
                },
            }
            for p in posts
        ]
        headers = {"X-WP-Total": str(len(self.posts)), "X-WP-TotalPages": "1"}
        return web.Response(
            text=json.dumps(payload), content_type="application/json", headers=headers
        )

    async def _page(self, request: web.Request) -> web.Response:
        slug = request.match_info["slug"]
        post = next((p for p in self.posts.values() if p.slug == slug), None)
        if post is None:
            return web.Response(status=404, text="<h1>Not found</h1>", content_type="text/html")
        page = f"""<!doctype html><html><head><title>{html.escape(post.title)} – {self.name}</title>
<link rel="canonical" href="{self.url}/{post.slug}/">
<meta property="og:site_name" content="{self.name}">
<meta property="article:published_time" content="{post.published.isoformat()}">
<meta property="article:section" content="{html.escape(post.category)}">
<link rel="https://api.w.org/" href="{self.url}/wp-json/"></head><body>
<article class="post"><h1 class="wp-block-post-title">{html.escape(post.title)}</h1>
<div class="entry-content">{post.body_html}</div></article>
<div id="respond"><h3>Leave a Reply</h3><form></form></div></body></html>"""
        return web.Response(text=page, content_type="text/html", headers=self._link_header())


def bare_article(site: WordPressSite, post: Post) -> ExtractedArticle:
    """Describe a site post as an extracted article with only its title and links."""
    return titled_article(post.title, f"{site.url}/{post.slug}/")


def titled_article(title: str, url: str) -> ExtractedArticle:
    """Describe an article by its title and address alone (no facts, no body)."""
    return ExtractedArticle(
        title=title,
        url=url,
        canonical_url=url,
        author=None,
        published_at=None,
        image_url=None,
        summary=None,
        category=None,
        site_name=None,
        key_facts=(),
        outlook=(),
        reader_questions=(),
        body_text="",
    )
