"""What the extractor finds in one article: plain, whitespace-normalised text only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class KeyFact:
    """One entry of an article's "Key Facts" list, split into label and text when labelled."""

    label: str | None
    text: str


@dataclass(frozen=True, slots=True)
class OutlookItem:
    """One paragraph of a "What Happens Next?"-style section, with the heading it sits under."""

    section: str
    text: str


@dataclass(frozen=True, slots=True)
class ExtractedArticle:
    """An article's metadata and structured parts, as found in its page or plain text.

    `canonical_url` is the address the site declares for the article (link rel=canonical,
    og:url), else the given `url` passed through `canonicalize_url`; to compare articles,
    compare `canonicalize_url(canonical_url)`.
    """

    title: str
    url: str | None
    canonical_url: str | None
    author: str | None
    published_at: datetime | None
    image_url: str | None
    summary: str | None
    category: str | None
    site_name: str | None
    key_facts: tuple[KeyFact, ...]
    outlook: tuple[OutlookItem, ...]
    reader_questions: tuple[str, ...]
    body_text: str
