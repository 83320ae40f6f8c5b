"""Reader polls: the poll, its options and one row per vote."""

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


class Poll(Base):
    """A poll in one channel, open until `closes_at` (absolute UTC)."""

    __tablename__ = "polls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger, index=True)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    results_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    results_message_id: Mapped[int | None] = mapped_column(BigInteger)
    article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )
    source: Mapped[str | None] = mapped_column(String(64), unique=True)
    question: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16), default="buttons")
    anonymous: Mapped[bool] = mapped_column(Boolean, server_default=false())
    multiple: Mapped[bool] = mapped_column(Boolean, server_default=false())
    hide_results: Mapped[bool] = mapped_column(Boolean, server_default=false())
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    options: Mapped[list[PollOption]] = relationship(
        back_populates="poll", cascade="all, delete-orphan", order_by="PollOption.position"
    )


class PollOption(Base):
    """One answer of a poll; `final_count` is recorded when the poll closes."""

    __tablename__ = "poll_options"
    __table_args__ = (UniqueConstraint("poll_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(Text)
    final_count: Mapped[int | None] = mapped_column(Integer)

    poll: Mapped[Poll] = relationship(back_populates="options")


class PollVote(Base):
    """A member's vote: the unique key makes one vote per member (per option when multiple).

    `slot` is 0 in a single-choice poll, so the key (poll, voter, slot) allows one row per member;
    in a multiple-choice poll it is the option's position, allowing one row per member and option.
    """

    __tablename__ = "poll_votes"
    __table_args__ = (UniqueConstraint("poll_id", "voter_id", "slot"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"))
    voter_id: Mapped[int] = mapped_column(BigInteger)
    slot: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    voted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
