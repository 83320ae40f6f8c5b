"""Extract an article's metadata, key facts, outlook and reader questions from HTML or text.

Pure functions: no I/O. Both entry points reduce the article body to the same blocks and let
`bot.articles.sections` find the structured parts, so HTML and plain text agree.
"""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from bot.articles.extracted import ExtractedArticle, KeyFact, OutlookItem
from bot.articles.html_body import body_blocks
from bot.articles.html_meta import (
    JsonLd,
    clean_text,
    first_text,
    link_href,
    meta_content,
    parse_datetime,
    strip_site_name,
    web_address,
)
from bot.articles.plain_text import parse_plain_text
from bot.articles.prose import trim_summary
from bot.articles.sections import Sections, extract_sections
from bot.articles.urls import canonicalize_url

__all__ = [
    "ExtractedArticle",
    "KeyFact",
    "OutlookItem",
    "extract_article_html",
    "extract_article_text",
]

_TITLE_SELECTORS = ("h1.wp-block-post-title", "h1.entry-title", "article h1", "main h1", "h1")
_AUTHOR_SELECTORS = (
    ".wp-block-post-author-name",
    ".wp-block-post-author__name",
    ".author.vcard .fn",
    ".byline .author",
    'a[rel~="author"]',
)
_TIME_SELECTORS = (
    "time.published[datetime]",
    "time.entry-date[datetime]",
    ".wp-block-post-date time[datetime]",
    "article time[datetime]",
    "time[datetime]",
)


def _title(tree: LexborHTMLParser, json_ld: JsonLd, site_name: str | None) -> str:
    """Find the title: og:title, the post's <h1>, JSON-LD headline, then <title>."""
    title = meta_content(tree, "og:title", "twitter:title")
    if title:
        return strip_site_name(title, site_name)
    title = first_text(tree, *_TITLE_SELECTORS) or json_ld.article_text("headline")
    if title:
        return title
    node = tree.css_first("title")
    title = clean_text(node.text()) if node is not None else None
    return strip_site_name(title, site_name, guess=True) if title else ""


def _author(tree: LexborHTMLParser, json_ld: JsonLd) -> str | None:
    """Find the author: meta author, JSON-LD author, then the byline markup."""
    author = meta_content(tree, "author")
    if author and not author.lower().startswith(("http://", "https://")):
        return author
    return json_ld.author() or first_text(tree, *_AUTHOR_SELECTORS)


def _time_attribute(tree: LexborHTMLParser) -> str | None:
    """Give the datetime attribute of the post's <time> element."""
    for selector in _TIME_SELECTORS:
        node = tree.css_first(selector)
        if node is not None and (value := node.attributes.get("datetime")):
            return value
    return None


def _summary(description: str | None, sections: Sections) -> str | None:
    """Give the description, else the intro paragraph, trimmed to about 300 characters."""
    text = description or sections.intro
    return trim_summary(text) if text else None


def extract_article_html(html: str, url: str) -> ExtractedArticle:
    """Extract an article from a WordPress-style HTML page fetched from `url`."""
    tree = LexborHTMLParser(html)
    json_ld = JsonLd(tree)
    site_name = meta_content(tree, "og:site_name", "application-name") or json_ld.site_name()
    blocks, first_image = body_blocks(tree)
    sections = extract_sections(blocks)
    # The site's own address for the article, as declared; else the address given, cleaned.
    canonical = (
        web_address(link_href(tree, "canonical"), url)
        or web_address(meta_content(tree, "og:url"), url)
        or canonicalize_url(url)
    )
    image = next(
        filter(
            None,
            (
                web_address(meta_content(tree, "og:image", "og:image:url"), url),
                web_address(meta_content(tree, "og:image:secure_url", "twitter:image"), url),
                web_address(json_ld.image(), url),
                web_address(first_image, url),
            ),
        ),
        None,
    )
    published = (
        parse_datetime(meta_content(tree, "article:published_time"))
        or parse_datetime(json_ld.article_text("datePublished"))
        or parse_datetime(_time_attribute(tree))
    )
    category = (
        meta_content(tree, "article:section")
        or json_ld.article_text("articleSection")
        or first_text(tree, 'a[rel~="category"]')
    )
    description = meta_content(tree, "og:description", "description", "twitter:description")
    return ExtractedArticle(
        title=_title(tree, json_ld, site_name),
        url=url,
        canonical_url=canonical,
        author=_author(tree, json_ld),
        published_at=published,
        image_url=image,
        summary=_summary(description, sections),
        category=category,
        site_name=site_name,
        key_facts=sections.key_facts,
        outlook=sections.outlook,
        reader_questions=sections.reader_questions,
        body_text=sections.body_text,
    )


def extract_article_text(text: str, url: str | None = None) -> ExtractedArticle:
    """Extract an article from plain text: title line, optional slug line, then the body."""
    title, blocks = parse_plain_text(text)
    sections = extract_sections(blocks)
    return ExtractedArticle(
        title=title,
        url=url,
        canonical_url=canonicalize_url(url) if url else None,
        author=None,
        published_at=None,
        image_url=None,
        summary=_summary(None, sections),
        category=None,
        site_name=None,
        key_facts=sections.key_facts,
        outlook=sections.outlook,
        reader_questions=sections.reader_questions,
        body_text=sections.body_text,
    )
