"""Announcement rendering stays inside Discord's limits whatever the site sends."""

from datetime import UTC, datetime

from bot.articles.extracted import KeyFact
from bot.articles.store import StoredArticle
from cogs.articles._render import announcement_embed, numbered_fact, shorten, thread_name


def article(**changes: object) -> StoredArticle:
    values: dict[str, object] = {
        "id": 1,
        "url": "https://news.example/a/",
        "canonical_url": "https://news.example/a/",
        "title": "Title",
        "summary": "Summary",
        "author": "Ana",
        "category": "World",
        "site_name": "Example",
        "image_url": None,
        "published_at": datetime(2026, 11, 25, tzinfo=UTC),
        "content_hash": "x",
        "key_facts": (KeyFact("Label", "Text"),),
        "outlook": (),
        "reader_questions": (),
    }
    values.update(changes)
    return StoredArticle(**values)  # type: ignore[arg-type]


def test_huge_articles_fit_discords_embed_limits() -> None:
    facts = tuple(KeyFact("L" * 400, "word " * 600) for _ in range(30))
    embed = announcement_embed(
        article(title="T " * 300, summary="S " * 5000, author="A" * 300, key_facts=facts)
    )
    assert len(embed) <= 6000
    assert len(embed.title or "") <= 256
    assert len(embed.description or "") <= 4096
    assert len(embed.fields) <= 25
    assert all(len(f.name or "") <= 256 and len(f.value or "") <= 1024 for f in embed.fields)
    assert (embed.author.name or "").endswith("…")


def test_shorten_cuts_at_a_word_and_thread_names_fit() -> None:
    assert shorten("one two three four", 12) == "one two…"
    assert shorten("short", 10) == "short"
    assert len(thread_name("x" * 300)) == 100
    assert thread_name("   ") == "Discussion"


def test_facts_are_escaped_in_lists() -> None:
    assert (
        numbered_fact(2, KeyFact("**Bold**", "a_b *c*")) == "2. **\\*\\*Bold\\*\\*:** a\\_b \\*c\\*"
    )
