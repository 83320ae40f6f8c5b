"""Read an article page's metadata: meta tags, JSON-LD and WordPress markup."""

from __future__ import annotations

import html
import json
import re
from collections import deque
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser

from bot.articles.html_body import node_text
from bot.articles.prose import normalize_space

_ARTICLE_TYPES = frozenset(
    {
        "Article",
        "NewsArticle",
        "BlogPosting",
        "ReportageNewsArticle",
        "AnalysisNewsArticle",
        "OpinionNewsArticle",
        "BackgroundNewsArticle",
        "ScholarlyArticle",
        "TechArticle",
        "LiveBlogPosting",
    }
)
_TITLE_SEPARATORS = (" – ", " — ", " - ", " | ", " · ", " » ", " :: ")
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]{1,31});")


def clean_text(value: str | None) -> str | None:
    """Turn a metadata value into plain text: drop any markup, decode entities, trim."""
    if value is None:
        return None
    if "<" in value:
        fragment = LexborHTMLParser(f"<body>{value}</body>").body
        value = node_text(fragment) if fragment is not None else ""
    if _ENTITY.search(value):
        value = html.unescape(value)  # double-encoded by some SEO plugins: "&amp;#8217;"
    return normalize_space(value) or None


def web_address(value: str | None, base: str) -> str | None:
    """Resolve an address against the page's and keep it only if it is http(s)."""
    if not value or not value.strip():
        return None
    try:
        resolved = urljoin(base, value.strip())
        scheme = urlsplit(resolved).scheme.lower()
    except ValueError:
        return None
    return resolved if scheme in {"http", "https"} else None


def parse_datetime(value: str | None) -> datetime | None:
    """Parse an ISO 8601 or RFC 2822 date as an aware datetime (UTC when no zone is given)."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def meta_content(tree: LexborHTMLParser, *names: str) -> str | None:
    """Give the first non-empty <meta property|name=...> content among `names`, as text."""
    for name in names:
        for attribute in ("property", "name", "itemprop"):
            node = tree.css_first(f'meta[{attribute}="{name}"]')
            if node is not None and (text := clean_text(node.attributes.get("content"))):
                return text
    return None


def link_href(tree: LexborHTMLParser, rel: str) -> str | None:
    """Give the href of the first <link> with this rel."""
    node = tree.css_first(f'link[rel~="{rel}"]')
    return node.attributes.get("href") if node is not None else None


def first_text(tree: LexborHTMLParser, *selectors: str) -> str | None:
    """Give the visible text of the first element matching one of the selectors."""
    for selector in selectors:
        node = tree.css_first(selector)
        if node is not None and (text := node_text(node)):
            return text
    return None


def strip_site_name(title: str, site_name: str | None, *, guess: bool = False) -> str:
    """Remove a " – Site name" suffix; with `guess`, a short last segment when no name is known."""
    for separator in _TITLE_SEPARATORS:
        head, found, tail = title.rpartition(separator)
        if not found or not head.strip():
            continue
        if site_name and tail.strip().casefold() == site_name.casefold():
            return head.strip()
        if guess and not site_name and len(tail.split()) <= 4:
            return head.strip()
    return title


class JsonLd:
    """The JSON-LD objects of a page, with the article object picked out."""

    def __init__(self, tree: LexborHTMLParser) -> None:
        self.objects: list[dict[str, Any]] = []
        for script in tree.css('script[type="application/ld+json"]'):
            try:
                data = json.loads(script.text(deep=True))
            except (ValueError, RecursionError):
                continue
            self.objects.extend(_flatten(data))
        self.by_id = {o["@id"]: o for o in self.objects if isinstance(o.get("@id"), str)}
        self.article = next((o for o in self.objects if _types(o) & _ARTICLE_TYPES), None)

    def _resolve(self, value: Any) -> Any:
        """Follow an {"@id": ...} reference to the object it names."""
        if isinstance(value, dict) and set(value) == {"@id"}:
            return self.by_id.get(value["@id"], value)
        return value

    def article_text(self, key: str) -> str | None:
        """Give a text property of the article object (the first, when it is a list)."""
        value = self.article.get(key) if self.article else None
        if isinstance(value, list):
            value = value[0] if value else None
        return clean_text(value) if isinstance(value, str) else None

    def author(self) -> str | None:
        """Give the article's author names, comma-separated."""
        value = self.article.get("author") if self.article else None
        names: list[str] = []
        for entry in value if isinstance(value, list) else [value]:
            entry = self._resolve(entry)
            name = entry.get("name") if isinstance(entry, dict) else entry
            if isinstance(name, str) and (text := clean_text(name)) and "://" not in text:
                names.append(text)
        return ", ".join(names) or None

    def image(self) -> str | None:
        """Give the article's image address."""
        value = self._resolve(self.article.get("image")) if self.article else None
        if isinstance(value, list):
            value = self._resolve(value[0]) if value else None
        if isinstance(value, dict):
            value = value.get("url") or value.get("contentUrl")
        return value if isinstance(value, str) else None

    def site_name(self) -> str | None:
        """Give the name of the site or its publisher."""
        for obj in self.objects:
            if _types(obj) & {"WebSite", "Organization", "NewsMediaOrganization"}:
                name = obj.get("name")
                if isinstance(name, str) and (text := clean_text(name)):
                    return text
        return None


def _types(obj: dict[str, Any]) -> set[str]:
    """Give the @type of a JSON-LD object as a set."""
    value = obj.get("@type")
    if isinstance(value, str):
        return {value}
    return {v for v in value if isinstance(v, str)} if isinstance(value, list) else set()


def _flatten(data: Any) -> Iterator[dict[str, Any]]:
    """Yield the JSON-LD objects of a document, looking inside lists and @graph."""
    queue = deque([data])
    while queue:
        item = queue.popleft()
        if isinstance(item, list):
            queue.extend(item)
        elif isinstance(item, dict):
            yield item
            if isinstance(item.get("@graph"), list):
                queue.extend(item["@graph"])
