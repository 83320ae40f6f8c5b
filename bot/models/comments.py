"""Comments: members' consent, comments bridged to and from the site, and the delivery outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, UTCDateTime, utcnow


class CommentMember(Base):
    """A member's answer to "may your words appear on the site?" in one guild."""

    __tablename__ = "comment_members"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    consent: Mapped[str] = mapped_column(String(8))  # asked | in | out
    shown_name: Mapped[str | None] = mapped_column(Text)
    email_token: Mapped[str] = mapped_column(String(32))
    asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CommentGuild(Base):
    """A guild's comment options beyond the feature switch."""

    __tablename__ = "comment_guilds"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    sync_from_site: Mapped[bool] = mapped_column(Boolean, server_default=false())


class CommentTarget(Base):
    """The site's identity of an article's comment section (a WordPress post id, or a URL)."""

    __tablename__ = "comment_targets"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    post_ref: Mapped[str] = mapped_column(Text)


class BridgedComment(Base):
    """A comment that went from Discord to the site, or came from the site into a thread."""

    __tablename__ = "bridged_comments"
    __table_args__ = (UniqueConstraint("guild_id", "remote_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger, index=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    thread_id: Mapped[int | None] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    author_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    origin: Mapped[str] = mapped_column(String(8))  # discord | site
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("bridged_comments.id", ondelete="SET NULL")
    )
    author_name: Mapped[str] = mapped_column(Text)
    author_email: Mapped[str | None] = mapped_column(Text)
    content_html: Mapped[str] = mapped_column(Text)
    remote_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CommentDelivery(Base):
    """One outbox entry: create, update or trash a comment on the site, retried until done."""

    __tablename__ = "comment_deliveries"
    __table_args__ = (Index("ix_comment_deliveries_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    comment_id: Mapped[int] = mapped_column(
        ForeignKey("bridged_comments.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(8))  # create | update | trash
    state: Mapped[str] = mapped_column(String(8), default="queued")  # queued | done | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CommentSyncCursor(Base):
    """How far the site's comments on one announced article have been brought into Discord."""

    __tablename__ = "comment_sync_cursors"

    announcement_id: Mapped[int] = mapped_column(
        ForeignKey("announcements.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    after: Mapped[datetime | None] = mapped_column(UTCDateTime)
