"""Which sites the bot fetches pages from on a member's behalf: configured ones only."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.errors import InvalidInput

DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, int] | None:
    """Return (host without www., port) of an http(s) URL, or None if it is not one."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower().removeprefix("www.")
    return host, port or DEFAULT_PORTS[parts.scheme]


@dataclass(frozen=True, slots=True)
class SiteAllowlist:
    """The hosts (and ports) of the configured site and of the guild's feeds."""

    origins: frozenset[tuple[str, int]]

    @classmethod
    def from_urls(cls, urls: Iterable[str | None]) -> SiteAllowlist:
        """Allow the origins of these site or feed URLs."""
        found = (_origin(url) for url in urls if url)
        return cls(frozenset(origin for origin in found if origin is not None))

    def check(self, url: str) -> str:
        """Return the URL if the bot may fetch it, else raise InvalidInput saying why."""
        url = url.strip()
        parts = urlsplit(url)
        origin = _origin(url)
        if origin is None:
            raise InvalidInput("That doesn't look like a link to an article (http or https).")
        if parts.username or parts.password:
            raise InvalidInput("Links with a user name or password in them aren't accepted.")
        if not self.origins:
            raise InvalidInput(
                "No news site is configured yet: set SITE_URL or add a feed with /feed add."
            )
        if origin not in self.origins:
            hosts = ", ".join(sorted(host for host, _ in self.origins))
            raise InvalidInput(f"I only fetch articles from this server's news site ({hosts}).")
        return url
