"""Article storage on both backends: identities, updates, and editors' curation of facts."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.articles.extracted import ExtractedArticle, KeyFact, OutlookItem
from bot.articles.store import ArticleStore
from bot.database import Database
from bot.errors import InvalidInput, NotFound

ARTICLE = ExtractedArticle(
    title="Iran Strikes a Deal with Putin",
    url="https://news.example/iran-putin/",
    canonical_url="https://news.example/iran-putin/",
    author="Staff",
    published_at=datetime(2025, 6, 21, 9, 0, tzinfo=UTC),
    image_url=None,
    summary="Iran turns to Moscow.",
    category="World",
    site_name="Example News",
    key_facts=(
        KeyFact("U.S. Military Action", "The United States struck Iranian nuclear sites."),
        KeyFact("Russia’s Position", "Putin condemned the strikes."),
    ),
    outlook=(OutlookItem("What Happens Next?", "Araqchi's meetings will set the stage."),),
    reader_questions=("Do you think Russia will take a more active role?",),
    body_text="...",
)
KEYS = [
    "wp:news.example:42",
    "guid:https://news.example/?p=42",
    "url:https://news.example/iran-putin",
]


@pytest.fixture
def store(database: Database) -> ArticleStore:
    return ArticleStore(database)


async def test_saving_twice_under_any_identity_updates_one_article(store: ArticleStore) -> None:
    first = await store.save(ARTICLE, KEYS)
    assert first.created
    assert first.changed
    again = await store.save(ARTICLE, ["guid:changed-guid", KEYS[2]])
    assert again.article.id == first.article.id
    assert not again.created
    assert not again.changed, "nothing an announcement shows has changed"
    by_new_guid = await store.find(["guid:changed-guid"])
    assert by_new_guid is not None
    assert by_new_guid.id == first.article.id
    assert await store.find(["guid:never-seen"]) is None


async def test_a_new_title_counts_as_a_change(store: ArticleStore) -> None:
    await store.save(ARTICLE, KEYS)
    result = await store.save(replace(ARTICLE, title="Iran and Russia sign a pact"), KEYS[:1])
    assert result.changed
    assert result.article.title == "Iran and Russia sign a pact"


async def test_parts_are_stored_in_order(store: ArticleStore) -> None:
    saved = (await store.save(ARTICLE, KEYS)).article
    loaded = await store.get(saved.id)
    assert loaded.key_facts == ARTICLE.key_facts
    assert loaded.outlook == ARTICLE.outlook
    assert loaded.reader_questions == ARTICLE.reader_questions
    assert loaded.published_at == ARTICLE.published_at


async def test_editors_curate_facts_and_reextraction_keeps_their_work(store: ArticleStore) -> None:
    article_id = (await store.save(ARTICLE, KEYS)).article.id
    added = await store.add_fact(
        article_id, "Iran’s Retaliation", "Missiles hit Israel.", editor_id=7
    )
    assert [fact.label for fact in added.key_facts][-1] == "Iran’s Retaliation"
    moved = await store.move_fact(article_id, 3, 1, editor_id=7)
    assert [fact.label for fact in moved.key_facts] == [
        "Iran’s Retaliation",
        "U.S. Military Action",
        "Russia’s Position",
    ]
    edited = await store.edit_fact(
        article_id, 2, label=None, text="Strikes on June 20.", editor_id=7
    )
    assert edited.key_facts[1] == KeyFact("U.S. Military Action", "Strikes on June 20.")
    removed = await store.remove_fact(article_id, 3, editor_id=7)
    assert len(removed.key_facts) == 2
    assert removed.content_hash != added.content_hash
    reextracted = await store.save(ARTICLE, KEYS)
    assert reextracted.article.key_facts == removed.key_facts, "curated facts survive"


async def test_bad_fact_edits_are_refused_politely(store: ArticleStore) -> None:
    article_id = (await store.save(ARTICLE, KEYS)).article.id
    with pytest.raises(InvalidInput, match="from 1 to 2"):
        await store.remove_fact(article_id, 5, editor_id=1)
    with pytest.raises(InvalidInput, match="needs some text"):
        await store.add_fact(article_id, None, "   ", editor_id=1)
    with pytest.raises(InvalidInput, match="under 1000"):
        await store.add_fact(article_id, None, "x" * 1001, editor_id=1)
    with pytest.raises(NotFound):
        await store.get(article_id + 100)


async def test_title_search_is_case_insensitive_and_literal(store: ArticleStore) -> None:
    saved = (await store.save(ARTICLE, KEYS)).article
    other = replace(ARTICLE, title="100% of votes_counted", canonical_url="https://n.example/b")
    other_id = (await store.save(other, ["url:https://n.example/b"])).article.id
    assert await store.search_titles("putin") == [(saved.id, ARTICLE.title)]
    assert await store.search_titles("100%") == [(other_id, other.title)]
    assert await store.search_titles("s_c") == [(other_id, other.title)]
    assert await store.search_titles("%") == [(other_id, other.title)]
    assert await store.search_titles("nothing like it") == []
