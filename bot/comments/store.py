"""The site's comment store: what every implementation (WordPress, signed webhook) offers."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class RemoteStatus(enum.StrEnum):
    """Where a comment stands on the site."""

    PUBLISHED = "published"
    HELD = "held"
    TRASHED = "trashed"


@dataclass(frozen=True, slots=True)
class ArticleRef:
    """What the store needs to find an article's comment section."""

    article_id: int
    url: str
    canonical_url: str
    keys: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OutgoingComment:
    """A comment to create on the site."""

    key: str  # stable per comment: lets a store recognise a retry of the same comment
    post_ref: str
    parent_remote_id: str | None
    author_name: str
    author_email: str
    content_html: str
    hold: bool


@dataclass(frozen=True, slots=True)
class RemoteComment:
    """A comment as the site has it."""

    id: str
    status: RemoteStatus
    post_ref: str = ""
    parent_id: str | None = None
    author_name: str = ""
    author_email: str | None = None
    content_html: str = ""
    date: datetime | None = None
    link: str | None = None


class DeliveryError(Exception):
    """The site did not take the change; `str()` is safe to show to a member."""


class TransientError(DeliveryError):
    """Try again later: the network, a 5xx, a 429 or a flood check."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(DeliveryError):
    """Retrying cannot help: the post is closed or gone, or the data is invalid."""


class CommentStore(Protocol):
    """A site's comment store."""

    name: str
    can_list: bool

    async def resolve_post(self, article: ArticleRef) -> str:
        """Return the site's reference of the article's comment section."""
        ...

    async def create(self, comment: OutgoingComment) -> RemoteComment:
        """Create the comment; a retry of one the site already has returns that one."""
        ...

    async def update(self, remote_id: str, content_html: str) -> RemoteComment:
        """Replace a comment's text."""
        ...

    async def trash(self, remote_id: str) -> None:
        """Move a comment to the trash (already gone counts as done)."""
        ...

    async def fetch(self, remote_id: str) -> RemoteComment | None:
        """Return a comment as the site has it now (None: gone, or the store cannot tell)."""
        ...

    async def list_approved(
        self, post_ref: str, *, after: datetime | None, page_size: int = 100
    ) -> Sequence[RemoteComment]:
        """Return approved comments on a post newer than `after`, oldest first, every page."""
        ...

    async def check(self) -> str:
        """Verify the credentials against the site; return a one-line description."""
        ...
