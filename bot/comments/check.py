"""`newsroom check`'s line about the comment store: are its credentials accepted by the site?"""

from __future__ import annotations

import aiohttp

from bot.comments.setup import build_store
from bot.comments.store import DeliveryError
from bot.config import Settings


async def check_comment_store(settings: Settings) -> tuple[bool, str]:
    """Verify the configured store against the site; say what was found."""
    if settings.comments_store == "none":
        return True, "not configured (COMMENTS_STORE=none): comments stay in Discord"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as http:
        store = build_store(settings, http)
        assert store is not None
        try:
            return True, await store.check()
        except DeliveryError as exc:
            return False, f"{settings.comments_store}: {exc}"
