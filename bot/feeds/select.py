"""Choose which of a feed's items to post: only new ones, never a flood, oldest first."""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from bot.articles.urls import canonicalize_url
from bot.feeds.parse import FeedItem

log = logging.getLogger(__name__)

DEFAULT_FIRST_FETCH_ITEMS = 1
DEFAULT_MAX_PER_CYCLE = 5


@dataclass(frozen=True, slots=True)
class ItemIdentity:
    """Every name an item is known by: its WordPress post, its guid, its canonical link."""

    wordpress_post: str | None = None  # "host:id"
    guid: str | None = None
    link: str | None = None  # canonical: no tracking parameters, fragment or default port

    def keys(self) -> tuple[str, ...]:
        """Return the keys to store and to match on, the most reliable first."""
        keys = []
        if self.wordpress_post:
            keys.append(f"wp:{self.wordpress_post}")
        if self.guid:
            keys.append(f"guid:{self.guid}")
        if self.link:
            keys.append(f"url:{self.link}")
        return tuple(keys)

    def is_known(self, known_keys: Collection[str]) -> bool:
        """Tell whether any of this item's keys is already known."""
        return any(key in known_keys for key in self.keys())


def _host(url: str | None) -> str | None:
    """Return an http(s) address's lower-case host name."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return parts.hostname.lower() if parts.scheme in ("http", "https") and parts.hostname else None


def canonical_link(url: str | None) -> str | None:
    """Return the canonical form of an item's link; None for links that name no story.

    A link to a site's home page (some feeds give every item the same one) identifies nothing.
    """
    if not url or _host(url) is None:
        return None
    canonical = canonicalize_url(url)
    parts = urlsplit(canonical)
    return canonical if parts.path not in ("", "/") or parts.query else None


def identity_of(item: FeedItem, site_url: str | None = None) -> ItemIdentity:
    """Name an item: WordPress post id (on its host) when known, guid, canonical link."""
    wordpress_post = None
    if item.wordpress_post_id is not None:
        host = _host(item.guid) or _host(item.link) or _host(site_url)
        wordpress_post = f"{host}:{item.wordpress_post_id}" if host else None
    guid = item.guid.strip() if item.guid and item.guid.strip() else None
    return ItemIdentity(wordpress_post, guid, canonical_link(item.link))


@dataclass(frozen=True, slots=True)
class Pick:
    """An item with its identity."""

    item: FeedItem
    identity: ItemIdentity


@dataclass(frozen=True, slots=True)
class Selection:
    """What to do with a feed's items this cycle."""

    to_post: tuple[Pick, ...]  # post these now, in this order (oldest first)
    skipped: tuple[Pick, ...]  # first fetch: old items to remember as seen, never to post
    deferred: tuple[Pick, ...]  # new items over the cap: left for the next cycles
    already_known: int  # items the feed still lists that were seen before

    @property
    def items(self) -> tuple[FeedItem, ...]:
        """Return the items to post now, oldest first."""
        return tuple(pick.item for pick in self.to_post)

    @property
    def deferred_count(self) -> int:
        """Return how many new items wait for a later cycle."""
        return len(self.deferred)


def _oldest_first(picks: list[tuple[int, Pick]]) -> list[Pick]:
    """Order new items oldest first: by date when all have one, else reverse feed order."""
    dated: list[tuple[datetime, int, Pick]] = []
    for position, pick in picks:
        when = pick.item.published_at or pick.item.updated_at
        if when is None:
            return [pick for _, pick in sorted(picks, key=lambda pair: -pair[0])]
        dated.append((when, -position, pick))
    dated.sort(key=lambda entry: (entry[0], entry[1]))
    return [pick for _, _, pick in dated]


def select_items(
    items: Sequence[FeedItem],
    known_keys: Collection[str],
    *,
    first_fetch: bool,
    site_url: str | None = None,
    first_fetch_items: int = DEFAULT_FIRST_FETCH_ITEMS,
    max_per_cycle: int = DEFAULT_MAX_PER_CYCLE,
) -> Selection:
    """Pick the items to post from a feed's items (listed newest first, as feeds do).

    On a feed's first fetch nothing old is posted: at most the newest `first_fetch_items`
    (0 or 1), the rest are `skipped`. Later, only items with no known key are new; at most
    `max_per_cycle` of them are posted, oldest first, and the rest are `deferred`.
    """
    if first_fetch_items < 0 or max_per_cycle < 1:
        raise ValueError("first_fetch_items must be ≥ 0 and max_per_cycle ≥ 1")
    seen: set[str] = set()
    new: list[tuple[int, Pick]] = []
    known = 0
    for position, item in enumerate(items):
        identity = identity_of(item, site_url)
        keys = identity.keys()
        if not keys or seen.intersection(keys):
            continue  # nameless, or the same story listed twice
        seen.update(keys)
        if identity.is_known(known_keys):
            known += 1
        else:
            new.append((position, Pick(item, identity)))
    ordered = _oldest_first(new)
    if first_fetch:
        cut = max(len(ordered) - min(first_fetch_items, max_per_cycle), 0)
        selection = Selection(tuple(ordered[cut:]), tuple(ordered[:cut]), (), known)
    else:
        selection = Selection(
            tuple(ordered[:max_per_cycle]), (), tuple(ordered[max_per_cycle:]), known
        )
    log.debug(
        "Selected %d to post, %d skipped as old, %d deferred, %d known",
        len(selection.to_post),
        len(selection.skipped),
        len(selection.deferred),
        known,
    )
    return selection
