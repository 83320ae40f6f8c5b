"""`newsroom ingest`: extract an article from a file or URL, store it, and describe it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from bot.articles.extracted import ExtractedArticle
from bot.articles.extraction import extract_article_html, extract_article_text
from bot.articles.pages import fetch_article_page
from bot.articles.sites import SiteAllowlist
from bot.articles.store import ArticleStore, SaveResult
from bot.articles.urls import canonicalize_url
from bot.config import Settings
from bot.database import Database

HTML_SUFFIXES = {".html", ".htm", ".xhtml"}


def is_url(source: str) -> bool:
    """Tell whether the source names a web page rather than a file."""
    return source.startswith(("http://", "https://"))


async def extract_source(source: str, settings: Settings) -> ExtractedArticle:
    """Extract an article from a local file (HTML or plain text) or a web address."""
    if is_url(source):
        async with aiohttp.ClientSession() as session:
            return await fetch_article_page(
                session,
                source,
                SiteAllowlist.from_urls([source]),
                timeout_seconds=settings.fetch_timeout_seconds,
                max_bytes=settings.fetch_max_bytes,
            )
    return await asyncio.to_thread(extract_file, Path(source))


def extract_file(path: Path) -> ExtractedArticle:
    """Extract an article from an HTML or plain-text file."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix.lower() in HTML_SUFFIXES or text.lstrip()[:15].lower().startswith("<!doctype"):
        return extract_article_html(text, path.resolve().as_uri())
    return extract_article_text(text)


def identity_keys(article: ExtractedArticle, source: str) -> list[str]:
    """Name the keys an ingested article is stored under."""
    url = article.canonical_url or article.url
    if url:
        return [f"url:{canonicalize_url(url)}"]
    return [f"file:{Path(source).resolve()}"]


async def ingest(source: str, settings: Settings, database: Database) -> SaveResult:
    """Extract and store one article."""
    article = await extract_source(source, settings)
    return await ArticleStore(database).save(article, identity_keys(article, source))


def describe(result: SaveResult) -> list[str]:
    """Describe what was found, for the terminal."""
    article = result.article
    state = "new" if result.created else ("updated" if result.changed else "unchanged")
    lines = [
        f"Article #{article.id} ({state}): {article.title}",
        f"  url:       {article.canonical_url}",
        f"  author:    {article.author or '-'}",
        f"  published: {article.published_at.isoformat() if article.published_at else '-'}",
        f"  category:  {article.category or '-'}",
        f"Key facts ({len(article.key_facts)}):",
    ]
    lines += [
        f"  {n}. {fact.label}: {fact.text}" if fact.label else f"  {n}. {fact.text}"
        for n, fact in enumerate(article.key_facts, 1)
    ]
    lines.append(f"Outlook ({len(article.outlook)}):")
    lines += [f"  [{item.section}] {item.text}" for item in article.outlook]
    lines.append(f"Reader questions ({len(article.reader_questions)}):")
    lines += [f"  - {question}" for question in article.reader_questions]
    return lines
