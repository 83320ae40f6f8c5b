"""Build the comments services from the settings (the store is None when none is configured)."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp

from bot.comments.outbox import CommentOutbox
from bot.comments.records import CommentPolicy
from bot.comments.service import CommentService
from bot.comments.store import CommentStore
from bot.comments.webhook import WebhookCommentStore
from bot.comments.wordpress import WordPressCommentStore
from bot.config import Settings
from bot.database import Database


@dataclass(frozen=True, slots=True)
class Comments:
    """The comments services the cog and the CLI share."""

    policy: CommentPolicy
    service: CommentService
    outbox: CommentOutbox
    store: CommentStore | None


def build_store(settings: Settings, http: aiohttp.ClientSession) -> CommentStore | None:
    """Make the configured comment store, or None (COMMENTS_STORE=none)."""
    if settings.comments_store == "wordpress":
        assert settings.comments_api_root
        assert settings.comments_wordpress_user
        assert settings.comments_wordpress_app_password is not None
        return WordPressCommentStore(
            http,
            settings.comments_api_root,
            settings.comments_wordpress_user,
            settings.comments_wordpress_app_password.get_secret_value(),
        )
    if settings.comments_store == "webhook":
        assert settings.comments_webhook_url
        assert settings.comments_webhook_secret is not None
        return WebhookCommentStore(
            http, settings.comments_webhook_url, settings.comments_webhook_secret.get_secret_value()
        )
    return None


def build_comments(settings: Settings, database: Database, http: aiohttp.ClientSession) -> Comments:
    """Wire the comments services."""
    policy = CommentPolicy.from_settings(settings)
    return Comments(
        policy=policy,
        service=CommentService(database, policy),
        outbox=CommentOutbox(database, policy),
        store=build_store(settings, http),
    )
