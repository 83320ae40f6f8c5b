"""WordPress-shaped comment routes for the loopback site, behaving like WordPress 6.1.

401 without (valid) Application Password auth, 403 on a closed post, 400 for missing author data,
empty content or (optionally validated) invalid parents, 409 `comment_duplicate` for the same post,
parent, author and content, 400 `comment_flood`, and faults: 5xx/429 with Retry-After, slow
answers, a dropped connection after the comment was stored, an answer that never comes after
the comment was stored, and a reset connection.
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

COMMENTS = "/wp-json/wp/v2/comments"
PUBLIC_STATUSES = {"approved"}


@dataclass
class SiteComment:
    """One comment as the site stores it."""

    id: int
    post: int
    parent: int
    author: int
    author_name: str
    author_email: str
    content: str
    status: str  # approved | hold | trash
    date: datetime


@dataclass
class CommentsAPI:
    """The comment store of the loopback site; flip `fault` to make it misbehave."""

    user: str = "newsroom-bot"
    app_password: str = "abcd efgh ijkl mnop qrst uvwx"
    user_id: int = 7
    can_moderate: bool = True
    comments: dict[int, SiteComment] = field(default_factory=dict)
    closed_posts: set[int] = field(default_factory=set)
    validate_parent: bool = True
    fault: str | None = None  # "503", "429", "slow", "drop", "hang", "flood", "reset"
    fault_count: int | None = None  # how many requests the fault hits (None: until cleared)
    retry_after: str | None = None
    slow_seconds: float = 5.0
    posts_created: int = 0
    stored: asyncio.Event = field(default_factory=asyncio.Event)  # set when a comment is stored
    release: asyncio.Event = field(default_factory=asyncio.Event)  # ends "hang" answers
    _next_id: int = 1000
    _clock: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))
    _post_ids: Any = None

    def install(self, app: web.Application, post_ids: Any) -> None:
        """Add the routes to the site's application; `post_ids()` lists the site's posts."""
        self._post_ids = post_ids
        app.router.add_get(COMMENTS, self._list)
        app.router.add_get(COMMENTS + "/{id}", self._get)
        app.router.add_post(COMMENTS, self._create)
        app.router.add_post(COMMENTS + "/{id}", self._update)
        app.router.add_delete(COMMENTS + "/{id}", self._trash)
        app.router.add_get("/wp-json/wp/v2/users/me", self._me)

    # Test helpers -------------------------------------------------------------------------

    def on_post(self, post_id: int, *, status: str | None = None) -> list[SiteComment]:
        """Return a post's comments in id order (optionally of one status)."""
        return [
            c
            for c in sorted(self.comments.values(), key=lambda c: c.id)
            if c.post == post_id and (status is None or c.status == status)
        ]

    def add_reader_comment(
        self, post_id: int, author_name: str, content: str, *, parent: int = 0
    ) -> SiteComment:
        """Add an approved comment a reader wrote on the site."""
        return self._store(
            post_id, parent, 0, author_name, "reader@example.org", content, "approved"
        )

    def _store(
        self,
        post: int,
        parent: int,
        author: int,
        author_name: str,
        author_email: str,
        content: str,
        status: str,
    ) -> SiteComment:
        self._next_id += 1
        self._clock += timedelta(seconds=1)
        comment = SiteComment(
            self._next_id,
            post,
            parent,
            author,
            author_name,
            author_email,
            content,
            status,
            self._clock,
        )
        self.comments[comment.id] = comment
        return comment

    # Serving ------------------------------------------------------------------------------

    def _authenticated(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return user == self.user and password == self.app_password

    async def _faulty(self, request: web.Request) -> web.Response | None:
        """Apply the current fault, if any; None lets the request through."""
        if self.fault in (None, "drop", "hang"):
            return None
        if self.fault_count is not None:
            if self.fault_count <= 0:
                return None
            self.fault_count -= 1
        if self.fault == "slow":
            await asyncio.sleep(self.slow_seconds)
            return None
        if self.fault == "reset":
            assert request.transport is not None
            request.transport.abort()
            return web.Response(status=500)
        if self.fault in ("503", "500", "429"):
            headers = {"Retry-After": self.retry_after} if self.retry_after else {}
            return _error(int(self.fault), "busy", "The site is busy.", headers)
        if self.fault == "flood":
            return _error(400, "comment_flood", "You are posting comments too quickly.")
        return None

    def _payload(self, comment: SiteComment, *, edit: bool) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": comment.id,
            "post": comment.post,
            "parent": comment.parent,
            "author": comment.author,
            "author_name": comment.author_name,
            "date_gmt": comment.date.replace(tzinfo=None).isoformat(),
            "content": {"rendered": f"<p>{comment.content}</p>\n"},
            "link": f"/?p={comment.post}#comment-{comment.id}",
            "status": comment.status,
        }
        if edit:
            data["content"]["raw"] = comment.content
            data["author_email"] = comment.author_email
        return data

    async def _create(self, request: web.Request) -> web.StreamResponse:
        faulty = await self._faulty(request)
        if faulty is not None:
            return faulty
        if not self._authenticated(request):
            return _error(401, "rest_comment_login_required", "Sorry, you must be logged in.")
        body = await request.json()
        post = int(body.get("post") or 0)
        if post not in self._post_ids():
            return _error(403, "rest_comment_invalid_post_id", "Sorry, no such post.")
        if post in self.closed_posts:
            return _error(403, "rest_comment_closed", "Sorry, comments are closed for this item.")
        parent = int(body.get("parent") or 0)
        if (
            parent
            and self.validate_parent
            and (parent not in self.comments or self.comments[parent].post != post)
        ):
            return _error(400, "rest_comment_invalid_parent", "Invalid parent comment ID.")
        name, email = body.get("author_name"), body.get("author_email")
        if name and not email:
            return _error(
                400,
                "rest_comment_author_data_required",
                "Creating a comment requires valid author name and email values.",
            )
        content = str(body.get("content") or "")
        if not content.strip():
            return _error(400, "rest_comment_content_invalid", "Invalid comment content.")
        for existing in self.comments.values():
            if (existing.post, existing.parent, existing.author_email, existing.content) == (
                post,
                parent,
                email,
                content,
            ):
                return _error(
                    409,
                    "comment_duplicate",
                    "Duplicate comment detected; it looks as though you’ve already said that!",
                )
        status = {"approved": "approved", "approve": "approved", "hold": "hold"}.get(
            str(body.get("status", "hold")), "hold"
        )
        comment = self._store(post, parent, 0, name, email, content, status)
        self.posts_created += 1
        self.stored.set()
        if self.fault == "hang":  # stored, but no answer comes until `release` is set
            await self.release.wait()
        if self.fault == "drop":
            if self.fault_count is not None:
                self.fault_count -= 1
                if self.fault_count <= 0:
                    self.fault = None
            assert request.transport is not None
            request.transport.abort()  # the comment is stored but the answer never arrives
        return web.json_response(self._payload(comment, edit=True), status=201)

    async def _list(self, request: web.Request) -> web.Response:
        faulty = await self._faulty(request)
        if faulty is not None:
            return faulty
        query = request.query
        edit = query.get("context") == "edit"
        status = query.get("status", "approve")
        if (edit or status != "approve") and not self._authenticated(request):
            return _error(401, "rest_forbidden_context", "Sorry, you are not allowed to do that.")
        wanted = {"approve": {"approved"}, "hold": {"hold"}, "all": {"approved", "hold"}}.get(
            status, {"approved"}
        )
        found = [c for c in self.comments.values() if c.status in wanted]
        if "post" in query:
            found = [c for c in found if c.post == int(query["post"])]
        if "parent" in query:
            found = [c for c in found if c.parent == int(query["parent"])]
        if "author_email" in query:
            found = [c for c in found if c.author_email == query["author_email"]]
        if "after" in query:
            after = datetime.fromisoformat(query["after"]).replace(tzinfo=UTC)
            found = [c for c in found if c.date > after]
        found.sort(key=lambda c: (c.date, c.id), reverse=query.get("order", "desc") == "desc")
        per_page = int(query.get("per_page", "10"))
        page = int(query.get("page", "1"))
        pages = max(1, -(-len(found) // per_page))
        chunk = found[per_page * (page - 1) : per_page * page]
        headers = {"X-WP-Total": str(len(found)), "X-WP-TotalPages": str(pages)}
        return web.json_response([self._payload(c, edit=edit) for c in chunk], headers=headers)

    async def _get(self, request: web.Request) -> web.Response:
        faulty = await self._faulty(request)
        if faulty is not None:
            return faulty
        edit = request.query.get("context") == "edit"
        if edit and not self._authenticated(request):
            return _error(401, "rest_forbidden_context", "Sorry, you are not allowed to do that.")
        comment = self.comments.get(int(request.match_info["id"]))
        if comment is None or (comment.status != "approved" and not edit):
            return _error(404, "rest_comment_invalid_id", "Invalid comment ID.")
        return web.json_response(self._payload(comment, edit=edit))

    async def _update(self, request: web.Request) -> web.Response:
        faulty = await self._faulty(request)
        if faulty is not None:
            return faulty
        if not self._authenticated(request):
            return _error(
                401, "rest_cannot_edit", "Sorry, you are not allowed to edit this comment."
            )
        comment = self.comments.get(int(request.match_info["id"]))
        if comment is None:
            return _error(404, "rest_comment_invalid_id", "Invalid comment ID.")
        body = await request.json()
        if "content" in body:
            comment.content = str(body["content"])
        return web.json_response(self._payload(comment, edit=True))

    async def _trash(self, request: web.Request) -> web.Response:
        faulty = await self._faulty(request)
        if faulty is not None:
            return faulty
        if not self._authenticated(request):
            return _error(
                401, "rest_cannot_delete", "Sorry, you are not allowed to delete this comment."
            )
        comment = self.comments.get(int(request.match_info["id"]))
        if comment is None:
            return _error(404, "rest_comment_invalid_id", "Invalid comment ID.")
        if comment.status == "trash":
            return _error(410, "rest_already_trashed", "The comment has already been trashed.")
        comment.status = "trash"
        return web.json_response(self._payload(comment, edit=True))

    async def _me(self, request: web.Request) -> web.Response:
        if not self._authenticated(request):
            return _error(401, "rest_not_logged_in", "You are not currently logged in.")
        return web.json_response(
            {
                "id": self.user_id,
                "slug": self.user,
                "capabilities": {"moderate_comments": self.can_moderate},
            }
        )


def _error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    """Answer like WordPress's REST errors."""
    return web.json_response(
        {"code": code, "message": message, "data": {"status": status}},
        status=status,
        headers=headers,
    )
