"""Comments: consent, bridged comments and the delivery outbox.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.models.base import UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "comment_members",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("consent", sa.String(length=8), nullable=False),
        sa.Column("shown_name", sa.Text(), nullable=True),
        sa.Column("email_token", sa.String(length=32), nullable=False),
        sa.Column("asked_at", UTCDateTime(), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("guild_id", "user_id", name=op.f("pk_comment_members")),
    )
    op.create_table(
        "comment_guilds",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("sync_from_site", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_comment_guilds")),
    )
    op.create_table(
        "comment_targets",
        sa.Column("article_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("post_ref", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_comment_targets_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_comment_targets")),
    )
    op.create_table(
        "bridged_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("origin", sa.String(length=8), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("author_name", sa.Text(), nullable=False),
        sa.Column("author_email", sa.Text(), nullable=True),
        sa.Column("content_html", sa.Text(), nullable=False),
        sa.Column("remote_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_bridged_comments_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["bridged_comments.id"],
            name=op.f("fk_bridged_comments_parent_id_bridged_comments"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bridged_comments")),
        sa.UniqueConstraint("guild_id", "remote_id", name=op.f("uq_bridged_comments_guild_id")),
        sa.UniqueConstraint("message_id", name=op.f("uq_bridged_comments_message_id")),
    )
    op.create_index(
        op.f("ix_bridged_comments_guild_id"), "bridged_comments", ["guild_id"], unique=False
    )
    op.create_index(
        op.f("ix_bridged_comments_article_id"), "bridged_comments", ["article_id"], unique=False
    )
    op.create_index(
        op.f("ix_bridged_comments_author_id"), "bridged_comments", ["author_id"], unique=False
    )
    op.create_table(
        "comment_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["bridged_comments.id"],
            name=op.f("fk_comment_deliveries_comment_id_bridged_comments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment_deliveries")),
    )
    op.create_index(
        op.f("ix_comment_deliveries_comment_id"),
        "comment_deliveries",
        ["comment_id"],
        unique=False,
    )
    op.create_index(
        "ix_comment_deliveries_due",
        "comment_deliveries",
        ["state", "next_attempt_at"],
        unique=False,
    )
    op.create_table(
        "comment_sync_cursors",
        sa.Column("announcement_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("after", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["announcement_id"],
            ["announcements.id"],
            name=op.f("fk_comment_sync_cursors_announcement_id_announcements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("announcement_id", name=op.f("pk_comment_sync_cursors")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("comment_sync_cursors")
    op.drop_index("ix_comment_deliveries_due", table_name="comment_deliveries")
    op.drop_index(op.f("ix_comment_deliveries_comment_id"), table_name="comment_deliveries")
    op.drop_table("comment_deliveries")
    op.drop_index(op.f("ix_bridged_comments_author_id"), table_name="bridged_comments")
    op.drop_index(op.f("ix_bridged_comments_article_id"), table_name="bridged_comments")
    op.drop_index(op.f("ix_bridged_comments_guild_id"), table_name="bridged_comments")
    op.drop_table("bridged_comments")
    op.drop_table("comment_targets")
    op.drop_table("comment_guilds")
    op.drop_table("comment_members")
