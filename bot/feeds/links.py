"""Read `Link` headers (RFC 8288) and HTML `<link>` tags, as sites use them for discovery."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin

_TARGET = re.compile(r"\s*<([^>]*)>(.*)", re.S)
_PARAM = re.compile(r';\s*([^;=,"\s]+)\s*(?:=\s*(?:"([^"]*)"|([^;,"\s]*)))?')


@dataclass(frozen=True, slots=True)
class Link:
    """One link: where it points and its relation types (lower-cased)."""

    href: str
    rels: frozenset[str]
    type: str | None = None


def parse_link_headers(values: Iterable[str], base_url: str | None = None) -> list[Link]:
    """Parse every `Link` header value (several headers or comma-joined) into links."""
    links = []
    for value in values:
        for part in _split_values(value):
            match = _TARGET.match(part)
            if match is None:
                continue
            params: dict[str, str] = {}
            for name, quoted, bare in _PARAM.findall(match.group(2)):
                params.setdefault(name.lower(), quoted or bare)
            href = match.group(1).strip()
            rels = frozenset(params.get("rel", "").lower().split())
            links.append(
                Link(urljoin(base_url, href) if base_url else href, rels, params.get("type"))
            )
    return links


def _split_values(value: str) -> list[str]:
    """Split a Link header on the commas between link-values (not those inside <> or "")."""
    parts, start, in_target, in_quote = [], 0, False, False
    for position, char in enumerate(value):
        if char == "<" and not in_quote:
            in_target = True
        elif char == ">" and not in_quote:
            in_target = False
        elif char == '"' and not in_target:
            in_quote = not in_quote
        elif char == "," and not in_target and not in_quote:
            parts.append(value[start:position])
            start = position + 1
    parts.append(value[start:])
    return parts


class _LinkTags(HTMLParser):
    """Collect the `<link>` tags of an HTML page (they belong in its head)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[dict[str, str]] = []
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "link":
            self.links.append({name.lower(): value or "" for name, value in attrs})
        elif tag == "body":
            self.done = True

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def parse_link_tags(html: str, base_url: str | None = None) -> list[Link]:
    """Return the `<link href rel type>` tags of an HTML page's head."""
    collector = _LinkTags()
    for start in range(0, len(html), 16_384):  # stop once the body starts
        collector.feed(html[start : start + 16_384])
        if collector.done:
            break
    links = []
    for attrs in collector.links:
        href = attrs.get("href", "").strip()
        if not href:
            continue
        links.append(
            Link(
                urljoin(base_url, href) if base_url else href,
                frozenset(attrs.get("rel", "").lower().split()),
                attrs.get("type"),
            )
        )
    return links
