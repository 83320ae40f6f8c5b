"""Articles from the site, their structured parts, feeds and announcements in Discord."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.models.base import Base, UTCDateTime, utcnow


class Article(Base):
    """One story on the site, as last extracted."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    canonical_url: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(Text)
    site_name: Mapped[str | None] = mapped_column(Text)
    image_url: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Indexed: the question index polls max(updated_at) before every answer.
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, index=True
    )

    keys: Mapped[list[ArticleKey]] = relationship(
        back_populates="article", cascade="all, delete-orphan"
    )
    facts: Mapped[list[KeyFact]] = relationship(
        back_populates="article", cascade="all, delete-orphan", order_by="KeyFact.position"
    )
    outlook: Mapped[list[OutlookItem]] = relationship(
        back_populates="article", cascade="all, delete-orphan", order_by="OutlookItem.position"
    )
    questions: Mapped[list[ReaderQuestion]] = relationship(
        back_populates="article", cascade="all, delete-orphan", order_by="ReaderQuestion.position"
    )


class ArticleKey(Base):
    """One identity of an article: its WordPress post id, a feed guid, or its canonical URL."""

    __tablename__ = "article_keys"

    key: Mapped[str] = mapped_column(String(512), primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    article: Mapped[Article] = relationship(back_populates="keys")


class KeyFact(Base):
    """A "Label: sentence" key fact of an article, in the editors' order."""

    __tablename__ = "key_facts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    edited_by: Mapped[int | None] = mapped_column(BigInteger)
    article: Mapped[Article] = relationship(back_populates="facts")


class OutlookItem(Base):
    """A paragraph of the article's "What happens next" outlook: the site's expectation."""

    __tablename__ = "outlook_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    section: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    article: Mapped[Article] = relationship(back_populates="outlook")


class ReaderQuestion(Base):
    """A question the article asks its readers, a poll waiting to happen."""

    __tablename__ = "reader_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    article: Mapped[Article] = relationship(back_populates="questions")


class Feed(Base):
    """A site feed a guild follows, with its fetch state."""

    __tablename__ = "feeds"
    __table_args__ = (UniqueConstraint("guild_id", "url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger, index=True)
    url: Mapped[str] = mapped_column(Text)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    ping_role_id: Mapped[int | None] = mapped_column(BigInteger)
    wordpress_api_url: Mapped[str | None] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    paused: Mapped[bool] = mapped_column(Boolean, server_default=false())
    paused_reason: Mapped[str | None] = mapped_column(Text)
    primed: Mapped[bool] = mapped_column(Boolean, server_default=false())
    consecutive_failures: Mapped[int] = mapped_column(Integer, server_default="0")
    next_fetch_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    added_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Announcement(Base):
    """An article posted to one Discord channel: at most one per article and channel."""

    __tablename__ = "announcements"
    __table_args__ = (UniqueConstraint("article_id", "channel_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    guild_id: Mapped[int] = mapped_column(BigInteger, index=True)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feeds.id", ondelete="SET NULL"))
    nonce: Mapped[str] = mapped_column(String(25), unique=True)
    message_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    thread_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    posted_hash: Mapped[str | None] = mapped_column(String(64))
    crossposted: Mapped[bool] = mapped_column(Boolean, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CategoryRoute(Base):
    """Articles of a category go to this channel instead of their feed's channel."""

    __tablename__ = "category_routes"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    category: Mapped[str] = mapped_column(String(200), primary_key=True)
    channel_id: Mapped[int] = mapped_column(BigInteger)
