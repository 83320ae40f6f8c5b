"""Snapshots, states and the policy shared by the comments services."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bot.config import Settings
from bot.models import BridgedComment
from bot.models.base import snapshot

AUTHOR_NAME_LIMIT = 245  # WordPress's comment_author column


class CommentStatus(enum.StrEnum):
    """Where a bridged comment is."""

    AWAITING_CONSENT = "awaiting"  # the member has not answered the consent prompt yet
    PENDING = "pending"  # in the outbox
    PUBLISHED = "published"
    HELD = "held"  # on the site, waiting for a moderator
    FAILED = "failed"
    TRASHED = "trashed"
    FORGOTTEN = "forgotten"  # the member asked to be forgotten: trash, then delete the row


class Origin(enum.StrEnum):
    """Which side a comment was written on."""

    DISCORD = "discord"
    SITE = "site"


class Consent(enum.StrEnum):
    """A member's answer to the consent prompt."""

    ASKED = "asked"
    IN = "in"
    OUT = "out"


class Action(enum.StrEnum):
    """What an outbox entry does on the site."""

    CREATE = "create"
    UPDATE = "update"
    TRASH = "trash"


@dataclass(frozen=True, slots=True)
class CommentRecord:
    """A snapshot of one bridged comment."""

    id: int
    guild_id: int
    article_id: int
    thread_id: int | None
    message_id: int | None
    author_id: int | None
    origin: Origin
    parent_id: int | None
    author_name: str
    content_html: str
    remote_id: str | None
    status: CommentStatus
    error: str | None

    @classmethod
    def from_row(cls, row: BridgedComment) -> CommentRecord:
        """Snapshot a row."""
        return snapshot(cls, row, status=CommentStatus(row.status), origin=Origin(row.origin))


@dataclass(frozen=True, slots=True)
class CommentPolicy:
    """The settings that shape bridging and delivery."""

    name_format: str = "{display_name} (via Discord)"
    email_domain: str = "discord-members.invalid"
    hold: bool = True
    max_length: int = 4000
    blocklist: tuple[str, ...] = ()
    rate_limit: int = 5
    rate_window_seconds: float = 60.0
    retry_base_seconds: float = 5.0
    retry_max_seconds: float = 1800.0
    give_up_hours: float = 72.0
    concurrency: int = 4
    lease_seconds: float = 120.0

    @classmethod
    def from_settings(cls, settings: Settings) -> CommentPolicy:
        """Read the policy from the settings."""
        return cls(
            name_format=settings.comments_name_format,
            email_domain=settings.comments_email_domain,
            hold=settings.comments_hold,
            max_length=settings.comments_max_length,
            blocklist=settings.comments_blocklist,
            rate_limit=settings.comments_rate_limit,
            rate_window_seconds=settings.comments_rate_window_seconds,
            retry_base_seconds=settings.comments_retry_base_seconds,
            retry_max_seconds=settings.comments_retry_max_seconds,
            give_up_hours=settings.comments_give_up_hours,
            concurrency=settings.comments_concurrency,
            lease_seconds=settings.comments_lease_seconds,
        )

    def shown_name(self, display_name: str, username: str) -> str:
        """Format the name the site shows for a member."""
        name = self.name_format.format(display_name=display_name, username=username)
        return " ".join(name.split())[:AUTHOR_NAME_LIMIT] or username

    def placeholder_email(self, token: str) -> str:
        """Return the member's placeholder address (never their real one)."""
        return f"member-{token}@{self.email_domain}"

    def blocked_word(self, text: str) -> str | None:
        """Return the first blocked word or phrase the text contains, if any."""
        lowered = text.lower()
        return next((word for word in self.blocklist if word in lowered), None)
