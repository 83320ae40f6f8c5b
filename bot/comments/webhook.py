"""A generic comment store: JSON POSTs signed with HMAC-SHA256 over a timestamp and the body.

Each request carries `X-Newsroom-Timestamp` (Unix seconds) and `X-Newsroom-Signature`
(`sha256=` + hex HMAC of `"{timestamp}.{body}"` with the shared secret). Events:
`comment.create` (answer `{"id": ..., "status": "approved"|"hold"}`, 409 with the same body for a
key already seen), `comment.update`, `comment.trash` and `ping`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import aiohttp

from bot.comments.store import (
    ArticleRef,
    OutgoingComment,
    PermanentError,
    RemoteComment,
    RemoteStatus,
    TransientError,
)
from bot.comments.wordpress import TIMEOUT, retry_after_seconds

SIGNATURE_HEADER = "X-Newsroom-Signature"
TIMESTAMP_HEADER = "X-Newsroom-Timestamp"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Return the signature header value for a body sent at `timestamp`."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify(
    secret: str, timestamp: str, body: bytes, signature: str, *, max_age: float = 300.0
) -> bool:
    """Check a signature and that the timestamp is recent (for receivers and tests)."""
    try:
        age = abs(time.time() - float(timestamp))
    except ValueError:
        return False
    return age <= max_age and hmac.compare_digest(sign(secret, timestamp, body), signature)


class WebhookCommentStore:
    """Send comment events to a site's endpoint."""

    name = "webhook"
    can_list = False

    def __init__(self, http: aiohttp.ClientSession, url: str, secret: str) -> None:
        self._http = http
        self._url = url
        self._secret = secret

    async def _send(self, payload: dict[str, Any]) -> tuple[int, Any]:
        """POST one signed event; network trouble, 5xx and 429 raise TransientError."""
        body = json.dumps(payload, separators=(",", ":")).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self._secret, timestamp, body),
        }
        try:
            async with self._http.post(
                self._url, data=body, headers=headers, timeout=TIMEOUT
            ) as response:
                try:
                    answer = await response.json(content_type=None)
                except ValueError:
                    answer = None
                status = response.status
                retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TransientError(f"the site could not be reached ({type(exc).__name__})") from exc
        if status in (408, 429) or status >= 500:
            raise TransientError(f"the site answered {status}", retry_after=retry_after)
        if status >= 400 and status != 409:
            detail = answer.get("error") if isinstance(answer, dict) else None
            raise PermanentError(f"the site refused the comment ({detail or status})")
        return status, answer

    @staticmethod
    def _comment(answer: Any) -> RemoteComment:
        """Read the site's answer to a create or update."""
        if not isinstance(answer, dict) or "id" not in answer:
            raise TransientError("the site's answer did not include the comment's id")
        status = RemoteStatus.PUBLISHED if answer.get("status") == "approved" else RemoteStatus.HELD
        return RemoteComment(id=str(answer["id"]), status=status, link=answer.get("link"))

    async def resolve_post(self, article: ArticleRef) -> str:
        """Name the story by its canonical address."""
        return article.canonical_url

    async def create(self, comment: OutgoingComment) -> RemoteComment:
        """Send comment.create; the key makes a retry return the first copy (409)."""
        _, answer = await self._send(
            {
                "event": "comment.create",
                "key": comment.key,
                "post_url": comment.post_ref,
                "parent_id": comment.parent_remote_id,
                "author_name": comment.author_name,
                "author_email": comment.author_email,
                "content_html": comment.content_html,
                "status": "hold" if comment.hold else "approved",
            }
        )
        return self._comment(answer)

    async def update(self, remote_id: str, content_html: str) -> RemoteComment:
        """Send comment.update."""
        _, answer = await self._send(
            {"event": "comment.update", "id": remote_id, "content_html": content_html}
        )
        return self._comment(answer)

    async def trash(self, remote_id: str) -> None:
        """Send comment.trash."""
        await self._send({"event": "comment.trash", "id": remote_id})

    async def fetch(self, remote_id: str) -> RemoteComment | None:
        """A webhook cannot be read from: the status stays as the site last answered."""
        return None

    async def list_approved(
        self, post_ref: str, *, after: datetime | None, page_size: int = 100
    ) -> Sequence[RemoteComment]:
        """A webhook cannot be read from: nothing comes back."""
        return []

    async def check(self) -> str:
        """Send a signed ping."""
        status, _ = await self._send({"event": "ping"})
        return f"webhook answered the signed ping with {status}"
