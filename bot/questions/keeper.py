"""Keep the in-memory passage index current with the database, cheaply.

The index is built once (in the background at start-up) and then, before every answer, one
watermark read tells whether anything changed: the highest key-fact and outlook ids (every save
replaces an article's facts and outlook with new rows), the newest `articles.updated_at` (an
editor's fact edit changes the article's content hash, hence its `updated_at`; the column is
indexed) and, at most every `count_interval` seconds, the number of articles (a deletion). When
the watermark moved, only the articles it points at are re-read; a deletion rebuilds the index.
So writes by another process (`newsroom ingest`, a second instance's feed poller) and editors'
edits are seen by the next question.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import func, select, union

from bot.database import Database
from bot.models import Article, KeyFact, OutlookItem
from bot.questions.index import ArticleInfo, Passage, PassageIndex, PassageKind

log = logging.getLogger(__name__)

LOAD_BATCH = 500
COUNT_INTERVAL = 60.0


@dataclass(frozen=True, slots=True)
class Watermark:
    """What the database holds, cheaply summarised."""

    max_fact_id: int
    max_outlook_id: int
    max_updated_at: datetime | None
    article_count: int


def _passage_rows_to_index(
    index: PassageIndex,
    articles: Iterable[ArticleInfo],
    passages: Mapping[int, list[Passage]],
) -> None:
    """Put articles and their passages into the index."""
    for article in articles:
        index.replace_article(article, passages.get(article.id, ()))


class IndexKeeper:
    """Own the passage index and bring it up to date on demand."""

    def __init__(
        self,
        database: Database,
        *,
        count_interval: float = COUNT_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._database = database
        self._count_interval = count_interval
        self._clock = clock
        self._counted_at = 0.0
        self._watermark: Watermark | None = None
        self._lock = asyncio.Lock()
        self.index = PassageIndex()

    async def load(self) -> None:
        """Build the index from the database, unless a question already did."""
        async with self._lock:
            if self._watermark is None:
                await self._rebuild()

    async def refresh(self) -> None:
        """Bring the index up to date with the database if anything changed.

        New and edited articles are looked for before every answer (two index lookups); the
        article count, which reveals deletions (no Newsroom code deletes articles), costs a
        scan, so it is read at most every `count_interval` seconds.
        """
        async with self._lock:
            known = self._watermark
            if known is None:
                await self._rebuild()
                return
            now = self._clock()
            counting = now - self._counted_at >= self._count_interval
            current = await self._read_watermark(counting=counting)
            if counting:
                self._counted_at = now
            else:
                current = replace(current, article_count=known.article_count)
            if known == current:
                return
            if current.article_count < known.article_count:
                await self._rebuild()
                return
            await self._reindex(await self._changed_articles(known))
            if counting and len(self.index.articles) != current.article_count:
                await self._rebuild()
                return
            self._watermark = replace(current, article_count=len(self.index.articles))

    async def _read_watermark(self, *, counting: bool = True) -> Watermark:
        """Read the watermark in one round trip (the article count only when `counting`)."""
        parts = [
            select(func.max(KeyFact.id)).scalar_subquery(),
            select(func.max(OutlookItem.id)).scalar_subquery(),
            select(func.max(Article.updated_at)).scalar_subquery(),
        ]
        if counting:
            parts.append(select(func.count()).select_from(Article).scalar_subquery())
        async with self._database.reads() as session:
            row = (await session.execute(select(*parts))).one()
        count = int(row[3] or 0) if counting else -1
        return Watermark(row[0] or 0, row[1] or 0, row[2], count)

    async def _changed_articles(self, since: Watermark) -> list[int]:
        """Ids of articles saved or edited since the watermark."""
        queries = [
            select(KeyFact.article_id).where(KeyFact.id > since.max_fact_id),
            select(OutlookItem.article_id).where(OutlookItem.id > since.max_outlook_id),
        ]
        if since.max_updated_at is not None:
            queries.append(select(Article.id).where(Article.updated_at >= since.max_updated_at))
        else:
            queries.append(select(Article.id))
        async with self._database.reads() as session:
            rows = await session.execute(union(*queries))
            return [row[0] for row in rows]

    async def _rebuild(self) -> None:
        """Read every article, fact and outlook item into a fresh index."""
        watermark = await self._read_watermark()
        self._counted_at = self._clock()
        index = PassageIndex()
        articles, passages = await self._read_articles(None)
        batch: list[ArticleInfo] = []
        for article in articles:
            batch.append(article)
            if len(batch) >= LOAD_BATCH:
                _passage_rows_to_index(index, batch, passages)
                batch.clear()
                await asyncio.sleep(0)  # let the gateway heartbeat while a big archive loads
        _passage_rows_to_index(index, batch, passages)
        self.index = index
        self._watermark = watermark
        log.info(
            "Question index built: %d passages from %d articles",
            index.passage_count,
            len(index.articles),
        )

    async def _reindex(self, article_ids: list[int]) -> None:
        """Re-read some articles into the index."""
        if not article_ids:
            return
        articles, passages = await self._read_articles(article_ids)
        found = {article.id for article in articles}
        for article_id in set(article_ids) - found:
            self.index.remove_article(article_id)
        _passage_rows_to_index(self.index, articles, passages)
        log.debug("Question index: re-read %d articles", len(articles))

    async def _read_articles(
        self, article_ids: list[int] | None
    ) -> tuple[list[ArticleInfo], dict[int, list[Passage]]]:
        """Read articles (all, or these) with their facts and outlook as plain rows."""
        article_query = select(
            Article.id, Article.title, Article.canonical_url, Article.category, Article.published_at
        )
        fact_query = select(
            KeyFact.id, KeyFact.article_id, KeyFact.position, KeyFact.label, KeyFact.text
        )
        outlook_query = select(
            OutlookItem.id,
            OutlookItem.article_id,
            OutlookItem.position,
            OutlookItem.section,
            OutlookItem.text,
        )
        if article_ids is not None:
            article_query = article_query.where(Article.id.in_(article_ids))
            fact_query = fact_query.where(KeyFact.article_id.in_(article_ids))
            outlook_query = outlook_query.where(OutlookItem.article_id.in_(article_ids))
        passages: dict[int, list[Passage]] = defaultdict(list)
        async with self._database.reads() as session:
            articles = [
                ArticleInfo(id=r[0], title=r[1], url=r[2], category=r[3], published_at=r[4])
                for r in await session.execute(article_query)
            ]
            parts = ((PassageKind.FACT, fact_query), (PassageKind.OUTLOOK, outlook_query))
            for kind, query in parts:
                for row in await session.execute(query):
                    passages[row[1]].append(
                        Passage(
                            kind=kind,
                            row_id=row[0],
                            article_id=row[1],
                            position=row[2],
                            label=row[3],
                            text=row[4],
                        )
                    )
        return articles, passages
