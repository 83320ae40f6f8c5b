"""WordPress's REST API as a comment store, authenticated with an Application Password."""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from yarl import URL

from bot.comments.store import (
    ArticleRef,
    OutgoingComment,
    PermanentError,
    RemoteComment,
    RemoteStatus,
    TransientError,
)

log = logging.getLogger(__name__)

STATUSES = {
    "approved": RemoteStatus.PUBLISHED,
    "approve": RemoteStatus.PUBLISHED,
    "1": RemoteStatus.PUBLISHED,
    "hold": RemoteStatus.HELD,
    "0": RemoteStatus.HELD,
    "spam": RemoteStatus.HELD,
    "trash": RemoteStatus.TRASHED,
}
TRANSIENT_CODES = {"comment_flood"}
FLOOD_RETRY_SECONDS = 15.0
TIMEOUT = aiohttp.ClientTimeout(total=30, connect=10)


def retry_after_seconds(value: str | None) -> float | None:
    """Read a Retry-After header: seconds, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _parse_date(value: Any) -> datetime | None:
    """Read WordPress's `date_gmt` (no zone: it is UTC)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_comment(data: dict[str, Any]) -> RemoteComment:
    """Turn a WordPress comment object into a RemoteComment."""
    content = data.get("content") or {}
    parent = data.get("parent") or 0
    return RemoteComment(
        id=str(data["id"]),
        status=STATUSES.get(str(data.get("status", "hold")), RemoteStatus.HELD),
        post_ref=str(data.get("post", "")),
        parent_id=str(parent) if parent else None,
        author_name=str(data.get("author_name") or ""),
        author_email=data.get("author_email"),
        content_html=str(content.get("raw") or content.get("rendered") or ""),
        date=_parse_date(data.get("date_gmt")),
        link=data.get("link"),
    )


def for_wordpress(fragment: str) -> str:
    """Write safe HTML the way WordPress stores comments: paragraphs as blank lines.

    WordPress adds <p> and <br> itself when showing a comment (wpautop), and strips <p> from
    edited comments, so paragraphs travel as blank lines and line breaks as newlines.
    """
    text = fragment.replace("<br>", "\n").replace("<p>", "").replace("</p>", "\n\n")
    text = text.replace("</blockquote>", "</blockquote>\n\n")
    text = re.sub(r"\n\n(</blockquote>)", r"\1", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _same_text(left: str, right: str) -> bool:
    """Compare comment bodies the way WordPress stores them (whitespace may differ)."""
    return " ".join(left.split()) == " ".join(right.split())


class WordPressCommentStore:
    """Create, edit, trash and list comments through /wp/v2/comments."""

    name = "wordpress"
    can_list = True

    def __init__(
        self, http: aiohttp.ClientSession, api_root: str, user: str, app_password: str
    ) -> None:
        self._http = http
        self._api_root = api_root.rstrip("/")
        token = base64.b64encode(f"{user}:{app_password}".encode()).decode()
        self._headers = {"Authorization": f"Basic {token}"}
        self._host = urlsplit(api_root).hostname or ""

    def _url(self, route: str, **query: Any) -> URL:
        """Build the address of a REST route (pretty /wp-json/ or ?rest_route= form)."""
        params = {key: str(value) for key, value in query.items() if value is not None}
        if "rest_route=" in self._api_root:
            base = URL(self._api_root.split("?", 1)[0])
            return base.with_query({"rest_route": route, **params})
        return URL(self._api_root + route).with_query(params)

    async def _call(
        self, method: str, route: str, *, json: Any = None, **query: Any
    ) -> tuple[int, Any, aiohttp.typedefs.LooseHeaders]:
        """Make one request; network trouble, 5xx and 429 raise TransientError."""
        try:
            async with self._http.request(
                method,
                self._url(route, **query),
                json=json,
                headers=self._headers,
                timeout=TIMEOUT,
            ) as response:
                try:
                    body = await response.json(content_type=None)
                except ValueError:
                    body = None
                status, headers = response.status, response.headers
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TransientError(f"the site could not be reached ({type(exc).__name__})") from exc
        if status == 429 or status >= 500:
            raise TransientError(
                f"the site answered {status}",
                retry_after=retry_after_seconds(headers.get("Retry-After")),
            )
        return status, body, headers

    @staticmethod
    def _error(status: int, body: Any) -> tuple[str, str]:
        """Return the WordPress error code and message of a failed answer."""
        if isinstance(body, dict):
            return str(body.get("code") or status), str(body.get("message") or "")
        return str(status), ""

    def _raise_for(self, status: int, body: Any, what: str) -> None:
        """Classify a 4xx answer."""
        code, message = self._error(status, body)
        if code in TRANSIENT_CODES:
            raise TransientError("the site asked to slow down", retry_after=FLOOD_RETRY_SECONDS)
        if status == 401:
            raise TransientError(
                "the site did not accept the bot's credentials (check "
                "COMMENTS_WORDPRESS_USER and COMMENTS_WORDPRESS_APP_PASSWORD)"
            )
        if code == "rest_comment_closed" or (status == 403 and "closed" in message.lower()):
            raise PermanentError("comments are closed on this story")
        if status == 403:
            raise PermanentError(f"the site refused to {what} ({code})")
        if status == 404 or code in ("rest_post_invalid_id", "rest_comment_invalid_id"):
            raise PermanentError("the story or comment is no longer on the site")
        raise PermanentError(f"the site could not {what} ({code})")

    async def resolve_post(self, article: ArticleRef) -> str:
        """Find the WordPress post id: from the feed's keys, else by the address's slug."""
        for key in article.keys:
            parts = key.split(":")
            wordpress_key = len(parts) == 3 and parts[0] == "wp" and parts[2].isdigit()
            if wordpress_key and (not self._host or parts[1] == self._host):
                return parts[2]
        for url in dict.fromkeys((article.canonical_url, article.url)):
            path = urlsplit(url).path.strip("/")
            query = urlsplit(url).query
            if query.startswith("p=") and query[2:].isdigit():
                return query[2:]
            if not path:
                continue
            slug = path.rsplit("/", 1)[-1]
            status, body, _ = await self._call(
                "GET", "/wp/v2/posts", slug=slug, _fields="id,link", per_page=5
            )
            if status == 200 and isinstance(body, list) and body:
                return str(body[0]["id"])
        raise PermanentError("this story was not found among the site's posts")

    async def create(self, comment: OutgoingComment) -> RemoteComment:
        """POST the comment; on 409 comment_duplicate return the one the site already has."""
        payload = {
            "post": int(comment.post_ref),
            "parent": int(comment.parent_remote_id or 0),
            "content": for_wordpress(comment.content_html),
            "author_name": comment.author_name,
            "author_email": comment.author_email,
            "status": "hold" if comment.hold else "approved",
        }
        status, body, _ = await self._call("POST", "/wp/v2/comments", json=payload)
        if status in (200, 201) and isinstance(body, dict):
            return parse_comment(body)
        code, _ = self._error(status, body)
        if status == 409 or code == "comment_duplicate":
            found = await self.find_existing(comment)
            if found is not None:
                log.info("Comment %s was already on the site as %s", comment.key, found.id)
                return found
            raise TransientError("the site reports a duplicate it does not list yet")
        self._raise_for(status, body, "take the comment")
        raise AssertionError("unreachable")

    async def find_existing(self, comment: OutgoingComment) -> RemoteComment | None:
        """Look up the site's copy of a comment a lost answer left unrecorded."""
        page = 1
        while True:
            status, body, headers = await self._call(
                "GET",
                "/wp/v2/comments",
                post=comment.post_ref,
                parent=comment.parent_remote_id or 0,
                author_email=comment.author_email,
                status="all",
                context="edit",
                per_page=100,
                page=page,
            )
            if status != 200 or not isinstance(body, list):
                self._raise_for(status, body, "list comments")
            for item in body:
                found = parse_comment(item)
                if _same_text(found.content_html, for_wordpress(comment.content_html)):
                    return found
            if page >= int(headers.get("X-WP-TotalPages", "1") or 1):
                return None
            page += 1

    async def update(self, remote_id: str, content_html: str) -> RemoteComment:
        """Replace the comment's content."""
        status, body, _ = await self._call(
            "POST", f"/wp/v2/comments/{remote_id}", json={"content": for_wordpress(content_html)}
        )
        if status == 200 and isinstance(body, dict):
            return parse_comment(body)
        self._raise_for(status, body, "update the comment")
        raise AssertionError("unreachable")

    async def fetch(self, remote_id: str) -> RemoteComment | None:
        """Read one comment (any status) as the site has it now."""
        status, body, _ = await self._call("GET", f"/wp/v2/comments/{remote_id}", context="edit")
        if status == 200 and isinstance(body, dict):
            return parse_comment(body)
        if status == 404:
            return None
        self._raise_for(status, body, "read the comment")
        raise AssertionError("unreachable")

    async def trash(self, remote_id: str) -> None:
        """Move the comment to WordPress's trash; already trashed or gone is fine."""
        status, body, _ = await self._call("DELETE", f"/wp/v2/comments/{remote_id}")
        code, _ = self._error(status, body)
        if status in (200, 410, 404) or code in ("rest_already_trashed", "rest_comment_invalid_id"):
            return
        self._raise_for(status, body, "trash the comment")

    async def list_approved(
        self, post_ref: str, *, after: datetime | None, page_size: int = 100
    ) -> Sequence[RemoteComment]:
        """Return approved comments newer than `after`, oldest first, following every page."""
        found: list[RemoteComment] = []
        page = 1
        while True:
            status, body, headers = await self._call(
                "GET",
                "/wp/v2/comments",
                post=post_ref,
                after=after.astimezone(UTC).replace(tzinfo=None).isoformat() if after else None,
                orderby="date_gmt",
                order="asc",
                context="edit",
                per_page=page_size,
                page=page,
            )
            if status != 200 or not isinstance(body, list):
                self._raise_for(status, body, "list comments")
            found.extend(parse_comment(item) for item in body)
            if page >= int(headers.get("X-WP-TotalPages", "1") or 1) or not body:
                return [c for c in found if c.status is RemoteStatus.PUBLISHED]
            page += 1

    async def check(self) -> str:
        """Check that the account exists and may moderate comments."""
        status, body, _ = await self._call("GET", "/wp/v2/users/me", context="edit")
        if status != 200 or not isinstance(body, dict):
            code, message = self._error(status, body)
            raise PermanentError(f"the site did not accept the credentials ({code}) {message}")
        capabilities = body.get("capabilities") or {}
        if not capabilities.get("moderate_comments"):
            raise PermanentError(
                f"the account {body.get('slug')!r} cannot moderate comments; give it the "
                "Editor or Administrator role"
            )
        return f"WordPress account {body.get('slug')!r} (id {body.get('id')}) can moderate comments"
