"""QuestionService: answer readers' questions from the stored key facts and outlook.

The passage index lives in memory (`PassageIndex`): answering is a dictionary walk, the same on
SQLite and PostgreSQL and fast at 100k facts. It is loaded at start-up and kept current by a
cheap watermark read before every answer: the highest key-fact and outlook ids (new rows: every
save replaces an article's facts and outlook with new rows), the newest `articles.updated_at`
(an editor's fact edit changes the article's content hash, hence its `updated_at`) and the
number of articles (a deletion). When the watermark moved, only the articles it points at are
re-read; a deletion rebuilds the index. So writes by another process (`newsroom ingest`, the
feed poller of a second instance) are seen by the next question.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy import func, select, union
from sqlalchemy.exc import IntegrityError

from bot.articles.announcements import AnnouncementService, AnnouncementStatus
from bot.database import Database
from bot.errors import InvalidInput, NotFound
from bot.models import Announcement, Article, KeyFact, OutlookItem, utcnow
from bot.models.questions import AnswerFeedback, AskedQuestion
from bot.questions.analysis import analyze_question
from bot.questions.compose import compose_answer, thread_url
from bot.questions.cooldown import Cooldown
from bot.questions.index import ArticleInfo, Passage, PassageIndex, PassageKind
from bot.questions.retrieval import Retrieval, retrieve

log = logging.getLogger(__name__)

MAX_QUESTION_LENGTH = 300
LOAD_BATCH = 500
COUNT_INTERVAL = 60.0

# An optional writer (the generative mode): given the question, the retrieval and the sources,
# return answer text, or None to fall back to the extractive answer.
AnswerWriter = Callable[
    [str, Retrieval, Mapping[int, ArticleInfo], Mapping[int, str]], Awaitable[str | None]
]


@dataclass(frozen=True, slots=True)
class Watermark:
    """What the database holds, cheaply summarised."""

    max_fact_id: int
    max_outlook_id: int
    max_updated_at: datetime | None
    article_count: int


@dataclass(frozen=True, slots=True)
class Answer:
    """The reply to one question, with what it was built from."""

    question_id: int
    text: str
    answered: bool
    confidence: float
    article_ids: tuple[int, ...]
    retrieval: Retrieval
    generated: bool = False


@dataclass(frozen=True, slots=True)
class AskedRecord:
    """A recorded question."""

    id: int
    guild_id: int | None
    channel_id: int | None
    user_id: int | None
    text: str
    answered: bool
    suggested_at: datetime | None


@dataclass(frozen=True, slots=True)
class UnansweredEntry:
    """Readers' demand for a subject the newsroom has not covered: most asked first."""

    normalized: str
    text: str
    count: int
    last_asked: datetime


@dataclass(frozen=True, slots=True)
class FeedbackTally:
    """👍 and 👎 counts on one answer."""

    helpful: int
    unhelpful: int


def _passage_rows_to_index(
    index: PassageIndex,
    articles: Iterable[ArticleInfo],
    passages: Mapping[int, list[Passage]],
) -> None:
    """Put articles and their passages into the index."""
    for article in articles:
        index.replace_article(article, passages.get(article.id, ()))


class QuestionService:
    """Answer questions, record them and their feedback, and list what went unanswered."""

    def __init__(
        self,
        database: Database,
        announcements: AnnouncementService,
        *,
        cooldown: Cooldown | None = None,
        max_length: int = MAX_QUESTION_LENGTH,
        writer: AnswerWriter | None = None,
        count_interval: float = COUNT_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._database = database
        self._announcements = announcements
        self._cooldown = cooldown
        self._max_length = max_length
        self._writer = writer
        self.index = PassageIndex()
        self._watermark: Watermark | None = None
        self._lock = asyncio.Lock()
        self._count_interval = count_interval
        self._clock = clock
        self._counted_at = 0.0

    # The index ------------------------------------------------------------------------------

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
        async with self._database.sessions() as session:
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
        async with self._database.sessions() as session:
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
        async with self._database.sessions() as session:
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

    # Asking ---------------------------------------------------------------------------------

    def check_question(self, text: str) -> str:
        """Return the question tidied, or raise InvalidInput politely."""
        question = " ".join(text.split())
        if not question:
            raise InvalidInput(
                "Ask me a question about the news, like: What happens next between Iran and Russia?"
            )
        if len(question) > self._max_length:
            raise InvalidInput(
                f"That question is {len(question)} characters long; please keep it under "
                f"{self._max_length} so I can find the right reporting."
            )
        return question

    def admit(self, text: str, *, guild_id: int | None, user_id: int | None) -> str:
        """Check the question and count it against the member's cooldown (raises politely)."""
        question = self.check_question(text)
        if self._cooldown is not None and user_id is not None:
            self._cooldown.acquire((guild_id, user_id))
        return question

    async def ask(
        self,
        text: str,
        *,
        guild_id: int | None = None,
        channel_id: int | None = None,
        user_id: int | None = None,
        thread_id: int | None = None,
        article_id: int | None = None,
        source: str = "slash",
        admitted: bool = False,
    ) -> Answer:
        """Answer a question from stored reporting and record it.

        `thread_id` is where it was asked (an article's thread puts that article first);
        `article_id` names that article directly (the "Ask about this story" button).
        `admitted` means `admit` already checked it and counted the cooldown.
        """
        if admitted:
            question = self.check_question(text)
        else:
            question = self.admit(text, guild_id=guild_id, user_id=user_id)
        await self.refresh()
        analyzed = analyze_question(question)
        thread_article_id = article_id
        if thread_article_id is None and thread_id is not None:
            thread_article_id = await self.thread_article(thread_id)
        retrieval = retrieve(self.index, analyzed, thread_article_id=thread_article_id)
        articles = self.index.articles
        question_id, threads = await self._record(
            question,
            analyzed.normalized,
            analyzed.intent,
            retrieval,
            guild_id=guild_id,
            channel_id=channel_id,
            user_id=user_id,
            source=source,
        )
        body = compose_answer(question, retrieval, articles, threads)
        generated = False
        if self._writer is not None and retrieval.answered:
            written = await self._writer(question, retrieval, articles, threads)
            if written:
                body, generated = written, True
        return Answer(
            question_id=question_id,
            text=body,
            answered=retrieval.answered,
            confidence=retrieval.confidence,
            article_ids=tuple(retrieval.article_ids),
            retrieval=retrieval,
            generated=generated,
        )

    async def thread_article(self, thread_id: int) -> int | None:
        """The article whose discussion thread (or announcement message) this is."""
        record = await self._announcements.by_message_or_thread(thread_id)
        return record.article_id if record is not None else None

    async def _record(
        self,
        question: str,
        normalized: str,
        intent: str,
        retrieval: Retrieval,
        *,
        guild_id: int | None,
        **where: object,
    ) -> tuple[int, dict[int, str]]:
        """Store the question; return its id and the cited articles' discussion-thread links.

        One transaction does both (one round trip fewer on the answer's path). Links point at
        threads in the asking guild, or in any guild for the command line.
        """
        columns = (Announcement.article_id, Announcement.guild_id, Announcement.thread_id)
        links: dict[int, str] = {}
        async with self._database.sessions.begin() as session:
            if retrieval.article_ids:
                query = select(*columns).where(
                    Announcement.article_id.in_(retrieval.article_ids),
                    Announcement.thread_id.is_not(None),
                    Announcement.status == AnnouncementStatus.POSTED,
                )
                if guild_id is not None:
                    query = query.where(Announcement.guild_id == guild_id)
                for article_id, guild, thread_id in await session.execute(
                    query.order_by(Announcement.id)
                ):
                    links.setdefault(article_id, thread_url(guild, thread_id))
            row = AskedQuestion(
                text=question,
                normalized=normalized or question.casefold()[:300],
                intent=str(intent),
                answered=retrieval.answered,
                confidence=round(retrieval.confidence, 4),
                article_ids=",".join(map(str, retrieval.article_ids)),
                guild_id=guild_id,
                **where,
            )
            session.add(row)
            await session.flush()
            return row.id, links

    # Feedback, suggestions and gaps ---------------------------------------------------------

    async def get_question(self, question_id: int) -> AskedRecord:
        """Return a recorded question, or raise NotFound."""
        async with self._database.sessions() as session:
            row = await session.get(AskedQuestion, question_id)
            if row is None:
                raise NotFound("I no longer have that question on record.")
            return AskedRecord(
                id=row.id,
                guild_id=row.guild_id,
                channel_id=row.channel_id,
                user_id=row.user_id,
                text=row.text,
                answered=row.answered,
                suggested_at=row.suggested_at,
            )

    async def record_feedback(self, question_id: int, user_id: int, helpful: bool) -> FeedbackTally:
        """Record a member's 👍/👎 on an answer (a second click replaces the first)."""
        await self.get_question(question_id)
        for attempt in range(2):
            try:
                async with self._database.sessions.begin() as session:
                    row = (
                        await session.execute(
                            select(AnswerFeedback).where(
                                AnswerFeedback.question_id == question_id,
                                AnswerFeedback.user_id == user_id,
                            )
                        )
                    ).scalar_one_or_none()
                    if row is None:
                        row = AnswerFeedback(question_id=question_id, user_id=user_id)
                        session.add(row)
                    row.helpful = helpful
                break
            except IntegrityError:
                if attempt:
                    raise
        return await self.tally(question_id)

    async def tally(self, question_id: int) -> FeedbackTally:
        """Count an answer's 👍 and 👎."""
        async with self._database.sessions() as session:
            rows = await session.execute(
                select(AnswerFeedback.helpful, func.count())
                .where(AnswerFeedback.question_id == question_id)
                .group_by(AnswerFeedback.helpful)
            )
            counts = {bool(helpful): int(count) for helpful, count in rows}
        return FeedbackTally(helpful=counts.get(True, 0), unhelpful=counts.get(False, 0))

    async def suggest(self, question_id: int, user_id: int) -> AskedRecord:
        """Mark an unanswered question as suggested to the editors (once)."""
        record = await self.get_question(question_id)
        if record.answered:
            raise InvalidInput("That question already has an answer from our reporting.")
        if record.suggested_at is not None:
            raise InvalidInput("That question was already passed on to the editors. Thank you!")
        async with self._database.sessions.begin() as session:
            row = await session.get(AskedQuestion, question_id)
            assert row is not None
            row.suggested_by = user_id
            row.suggested_at = utcnow()
        return await self.get_question(question_id)

    async def unanswered(self, guild_id: int | None, *, limit: int = 10) -> list[UnansweredEntry]:
        """What readers asked that had no reporting, most asked first."""
        where = AskedQuestion.answered.is_(False)
        scope = (
            AskedQuestion.guild_id.is_(None)
            if guild_id is None
            else AskedQuestion.guild_id == guild_id
        )
        async with self._database.sessions() as session:
            groups = (
                await session.execute(
                    select(
                        AskedQuestion.normalized,
                        func.count(),
                        func.max(AskedQuestion.created_at),
                        func.max(AskedQuestion.id),
                    )
                    .where(where, scope)
                    .group_by(AskedQuestion.normalized)
                    .order_by(func.count().desc(), func.max(AskedQuestion.id).desc())
                    .limit(limit)
                )
            ).all()
            ids = [group[3] for group in groups]
            texts = dict(
                (
                    await session.execute(
                        select(AskedQuestion.id, AskedQuestion.text).where(
                            AskedQuestion.id.in_(ids)
                        )
                    )
                ).all()
            )
        return [
            UnansweredEntry(
                normalized=normalized,
                text=texts[last_id],
                count=int(count),
                last_asked=_aware(last_asked),
            )
            for normalized, count, last_asked, last_id in groups
        ]


def _aware(moment: datetime | str) -> datetime:
    """func.max over a UTC column comes back naive (SQLite) or aware; make it aware UTC."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
