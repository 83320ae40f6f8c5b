"""Guild settings.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.models.base import UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the guild_settings table."""
    op.create_table(
        "guild_settings",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("announcement_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("editors_role_id", sa.BigInteger(), nullable=True),
        sa.Column("log_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("articles_enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("questions_enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("polls_enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("comments_enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_guild_settings")),
    )


def downgrade() -> None:
    """Drop the guild_settings table."""
    op.drop_table("guild_settings")
