"""Store extracted articles under all their identities, and let editors curate key facts."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.articles.extracted import ExtractedArticle
from bot.articles.extracted import KeyFact as ExtractedFact
from bot.articles.extracted import OutlookItem as ExtractedOutlook
from bot.database import Database
from bot.errors import InvalidInput, NotFound
from bot.models.articles import Article, ArticleKey, KeyFact, OutlookItem, ReaderQuestion

log = logging.getLogger(__name__)

MAX_FACT_LABEL = 100
MAX_FACT_TEXT = 1000
MAX_FACTS = 25


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """An article as stored, with its curated parts, ready to render."""

    id: int
    url: str
    canonical_url: str
    title: str
    summary: str | None
    author: str | None
    category: str | None
    site_name: str | None
    image_url: str | None
    published_at: datetime | None
    content_hash: str
    key_facts: tuple[ExtractedFact, ...]
    outlook: tuple[ExtractedOutlook, ...]
    reader_questions: tuple[str, ...]

    @classmethod
    def from_row(cls, row: Article) -> StoredArticle:
        """Snapshot a loaded row (its facts, outlook and questions must be loaded)."""
        return cls(
            id=row.id,
            url=row.url,
            canonical_url=row.canonical_url,
            title=row.title,
            summary=row.summary,
            author=row.author,
            category=row.category,
            site_name=row.site_name,
            image_url=row.image_url,
            published_at=row.published_at,
            content_hash=row.content_hash,
            key_facts=tuple(ExtractedFact(fact.label, fact.text) for fact in row.facts),
            outlook=tuple(ExtractedOutlook(item.section, item.text) for item in row.outlook),
            reader_questions=tuple(question.text for question in row.questions),
        )


@dataclass(frozen=True, slots=True)
class SaveResult:
    """What saving an extracted article did."""

    article: StoredArticle
    created: bool
    changed: bool


def content_hash(title: str, summary: str | None, facts: Sequence[ExtractedFact]) -> str:
    """Fingerprint what an announcement shows, so a change can be noticed."""
    payload = json.dumps([title, summary, [[f.label, f.text] for f in facts]], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def _with_parts() -> tuple[object, ...]:
    """Load options for an article's facts, outlook and questions."""
    return (
        selectinload(Article.facts),
        selectinload(Article.outlook),
        selectinload(Article.questions),
    )


class ArticleStore:
    """Articles and their key facts, outlook and reader questions."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def save(self, extracted: ExtractedArticle, keys: Sequence[str]) -> SaveResult:
        """Insert or update the article known by any of `keys`, adding the keys it lacks."""
        if not keys:
            raise ValueError("an article needs at least one identity key")
        for attempt in range(2):
            try:
                async with self._database.sessions.begin() as session:
                    return await self._save(session, extracted, list(dict.fromkeys(keys)))
            except IntegrityError:
                if attempt:
                    raise
                log.info("Article %s was saved concurrently; retrying", keys[0])
        raise AssertionError("unreachable")

    async def _save(
        self, session: AsyncSession, extracted: ExtractedArticle, keys: list[str]
    ) -> SaveResult:
        """Save inside a transaction."""
        known = (
            await session.execute(select(ArticleKey).where(ArticleKey.key.in_(keys)))
        ).scalars()
        known_keys = {key.key: key.article_id for key in known}
        url = extracted.canonical_url or extracted.url or keys[0]
        facts = extracted.key_facts[:MAX_FACTS]
        digest = content_hash(extracted.title, extracted.summary, facts)
        if known_keys:
            article_id = min(known_keys.values())
            row = (
                await session.execute(
                    select(Article).where(Article.id == article_id).options(*_with_parts())
                )
            ).scalar_one()
            curated = any(fact.edited_by is not None for fact in row.facts)
            if curated:
                facts = tuple(ExtractedFact(f.label, f.text) for f in row.facts)
                digest = content_hash(extracted.title, extracted.summary, facts)
            changed = digest != row.content_hash
            created = False
        else:
            row = Article(facts=[], outlook=[], questions=[], keys=[])
            session.add(row)
            curated, changed, created = False, True, True
        row.url = extracted.url or url
        row.canonical_url = url
        row.title = extracted.title
        row.summary = extracted.summary
        row.author = extracted.author
        row.category = extracted.category
        row.site_name = extracted.site_name
        row.image_url = extracted.image_url
        row.published_at = extracted.published_at or row.published_at
        row.content_hash = digest
        if not curated:
            row.facts = [
                KeyFact(position=i, label=f.label, text=f.text) for i, f in enumerate(facts, 1)
            ]
        row.outlook = [
            OutlookItem(position=i, section=item.section, text=item.text)
            for i, item in enumerate(extracted.outlook, 1)
        ]
        row.questions = [
            ReaderQuestion(position=i, text=text)
            for i, text in enumerate(extracted.reader_questions, 1)
        ]
        await session.flush()
        for key in keys:
            if key not in known_keys:
                session.add(ArticleKey(key=key, article_id=row.id))
        await session.flush()
        return SaveResult(StoredArticle.from_row(row), created=created, changed=changed)

    async def get(self, article_id: int) -> StoredArticle:
        """Return a stored article, or raise NotFound."""
        async with self._database.reads() as session:
            row = await self._load(session, article_id)
            return StoredArticle.from_row(row)

    async def find(self, keys: Sequence[str]) -> StoredArticle | None:
        """Return the article known by any of `keys`, if there is one."""
        async with self._database.reads() as session:
            article_id = (
                await session.execute(
                    select(ArticleKey.article_id).where(ArticleKey.key.in_(list(keys))).limit(1)
                )
            ).scalar()
            if article_id is None:
                return None
            return StoredArticle.from_row(await self._load(session, article_id))

    async def search_titles(self, text: str, *, limit: int = 25) -> list[tuple[int, str]]:
        """Return (id, title) of the newest articles whose title contains `text`."""
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        async with self._database.reads() as session:
            rows = await session.execute(
                select(Article.id, Article.title)
                .where(Article.title.ilike(pattern, escape="\\"))
                .order_by(Article.published_at.desc().nulls_last(), Article.id.desc())
                .limit(limit)
            )
            return [(row.id, row.title) for row in rows]

    async def _load(self, session: AsyncSession, article_id: int) -> Article:
        """Load an article with its parts, or raise NotFound."""
        row = (
            await session.execute(
                select(Article).where(Article.id == article_id).options(*_with_parts())
            )
        ).scalar_one_or_none()
        if row is None:
            raise NotFound(f"There is no article #{article_id}.")
        return row

    # Editors' curation of key facts ---------------------------------------------------------

    async def add_fact(
        self, article_id: int, label: str | None, text: str, *, editor_id: int
    ) -> StoredArticle:
        """Append a key fact."""
        label, text = _check_fact(label, text)
        async with self._database.sessions.begin() as session:
            row = await self._load(session, article_id)
            if len(row.facts) >= MAX_FACTS:
                raise InvalidInput(f"An article can have at most {MAX_FACTS} key facts.")
            self._mark_curated(row, editor_id)
            row.facts.append(
                KeyFact(position=len(row.facts) + 1, label=label, text=text, edited_by=editor_id)
            )
            return await self._finish_edit(session, row)

    async def edit_fact(
        self,
        article_id: int,
        position: int,
        *,
        label: str | None,
        text: str | None,
        editor_id: int,
    ) -> StoredArticle:
        """Change the label and/or text of the fact at `position` (1-based)."""
        async with self._database.sessions.begin() as session:
            row = await self._load(session, article_id)
            fact = _fact_at(row, position)
            new_label, new_text = _check_fact(
                fact.label if label is None else (label or None), text or fact.text
            )
            fact.label, fact.text = new_label, new_text
            self._mark_curated(row, editor_id)
            return await self._finish_edit(session, row)

    async def move_fact(
        self, article_id: int, position: int, new_position: int, *, editor_id: int
    ) -> StoredArticle:
        """Move the fact at `position` to `new_position` (both 1-based)."""
        async with self._database.sessions.begin() as session:
            row = await self._load(session, article_id)
            fact = _fact_at(row, position)
            _fact_at(row, new_position)
            ordered = [f for f in row.facts if f is not fact]
            ordered.insert(new_position - 1, fact)
            self._renumber(ordered)
            self._mark_curated(row, editor_id)
            return await self._finish_edit(session, row)

    async def remove_fact(self, article_id: int, position: int, *, editor_id: int) -> StoredArticle:
        """Delete the fact at `position` (1-based)."""
        async with self._database.sessions.begin() as session:
            row = await self._load(session, article_id)
            row.facts.remove(_fact_at(row, position))
            self._renumber(row.facts)
            self._mark_curated(row, editor_id)
            return await self._finish_edit(session, row)

    @staticmethod
    def _renumber(facts: Sequence[KeyFact]) -> None:
        """Give facts consecutive positions in the given order."""
        for position, fact in enumerate(facts, 1):
            fact.position = position

    @staticmethod
    def _mark_curated(row: Article, editor_id: int) -> None:
        """Record that an editor now owns the fact list, so re-extraction keeps it."""
        for fact in row.facts:
            if fact.edited_by is None:
                fact.edited_by = editor_id

    async def _finish_edit(self, session: AsyncSession, row: Article) -> StoredArticle:
        """Refresh the content hash after a curation and return the snapshot."""
        await session.flush()
        session.expire(row, ["facts"])
        row = await self._load(session, row.id)
        facts = [ExtractedFact(f.label, f.text) for f in row.facts]
        row.content_hash = content_hash(row.title, row.summary, facts)
        await session.flush()
        return StoredArticle.from_row(row)


def _fact_at(row: Article, position: int) -> KeyFact:
    """Return the fact at a 1-based position, or explain the valid range."""
    if not 1 <= position <= len(row.facts):
        if not row.facts:
            raise InvalidInput("This article has no key facts yet.")
        raise InvalidInput(f"Pick a fact number from 1 to {len(row.facts)}.")
    return sorted(row.facts, key=lambda fact: fact.position)[position - 1]


def _check_fact(label: str | None, text: str) -> tuple[str | None, str]:
    """Normalise and length-check a fact typed by an editor."""
    label = " ".join(label.split()) if label else None
    text = " ".join(text.split())
    if not text:
        raise InvalidInput("A key fact needs some text.")
    if label is not None and len(label) > MAX_FACT_LABEL:
        raise InvalidInput(f"Keep the label under {MAX_FACT_LABEL} characters.")
    if len(text) > MAX_FACT_TEXT:
        raise InvalidInput(f"Keep a key fact under {MAX_FACT_TEXT} characters.")
    return label, text
