"""Per-guild settings chosen by the server's admins with /setup."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, true
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, UTCDateTime, utcnow


class GuildSettings(Base):
    """Where Newsroom posts in one guild, who its editors are and which features are on."""

    __tablename__ = "guild_settings"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    announcement_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    editors_role_id: Mapped[int | None] = mapped_column(BigInteger)
    log_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    articles_enabled: Mapped[bool] = mapped_column(Boolean, server_default=true())
    questions_enabled: Mapped[bool] = mapped_column(Boolean, server_default=true())
    polls_enabled: Mapped[bool] = mapped_column(Boolean, server_default=true())
    comments_enabled: Mapped[bool] = mapped_column(Boolean, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
