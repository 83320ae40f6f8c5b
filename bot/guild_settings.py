"""Read and change a guild's Newsroom settings."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update

from bot.database import Database, insert_ignoring_conflicts
from bot.models import GuildSettings, utcnow


class Feature(enum.StrEnum):
    """A capability that can be switched on or off per guild."""

    ARTICLES = "articles"
    QUESTIONS = "questions"
    POLLS = "polls"
    COMMENTS = "comments"

    @property
    def column(self) -> str:
        """Name the column that stores this switch."""
        return f"{self.value}_enabled"


class Setting(enum.StrEnum):
    """A guild setting that points at a channel or role."""

    ANNOUNCEMENT_CHANNEL = "announcement_channel_id"
    EDITORS_ROLE = "editors_role_id"
    LOG_CHANNEL = "log_channel_id"


@dataclass(frozen=True, slots=True)
class GuildConfig:
    """A snapshot of one guild's settings."""

    guild_id: int
    announcement_channel_id: int | None = None
    editors_role_id: int | None = None
    log_channel_id: int | None = None
    features: frozenset[Feature] = frozenset(Feature)

    def enabled(self, feature: Feature) -> bool:
        """Tell whether a feature is switched on."""
        return feature in self.features

    def is_editor(self, *, role_ids: set[int] | frozenset[int], can_manage_guild: bool) -> bool:
        """Tell whether a member with these roles and permission counts as an editor."""
        if can_manage_guild:
            return True
        return self.editors_role_id is not None and self.editors_role_id in role_ids

    @classmethod
    def from_row(cls, row: GuildSettings) -> GuildConfig:
        """Build a snapshot from a database row."""
        return cls(
            guild_id=row.guild_id,
            announcement_channel_id=row.announcement_channel_id,
            editors_role_id=row.editors_role_id,
            log_channel_id=row.log_channel_id,
            features=frozenset(f for f in Feature if getattr(row, f.column)),
        )


class GuildSettingsService:
    """Store and fetch guild settings."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def get(self, guild_id: int) -> GuildConfig:
        """Return a guild's settings, or the defaults when it has none stored."""
        async with self._database.reads() as session:
            row = await session.get(GuildSettings, guild_id)
            return GuildConfig.from_row(row) if row is not None else GuildConfig(guild_id)

    async def set(self, guild_id: int, setting: Setting, value: int | None) -> GuildConfig:
        """Point a setting at a channel or role id, or clear it with None."""
        return await self._update(guild_id, {setting.value: value})

    async def set_feature(self, guild_id: int, feature: Feature, enabled: bool) -> GuildConfig:
        """Switch a feature on or off."""
        return await self._update(guild_id, {feature.column: enabled})

    async def _update(self, guild_id: int, values: dict[str, Any]) -> GuildConfig:
        """Create the guild's row if needed, apply `values` and return the result."""
        now = utcnow()
        async with self._database.sessions.begin() as session:
            await session.execute(
                insert_ignoring_conflicts(self._database, GuildSettings.__table__).values(
                    guild_id=guild_id, created_at=now, updated_at=now
                )
            )
            await session.execute(
                update(GuildSettings)
                .where(GuildSettings.guild_id == guild_id)
                .values(**values, updated_at=now)
            )
            row = await session.get(GuildSettings, guild_id, populate_existing=True)
            assert row is not None
            return GuildConfig.from_row(row)
