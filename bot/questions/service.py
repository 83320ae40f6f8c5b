"""QuestionService: answer readers' questions from the stored key facts and outlook.

Retrieval runs over an in-memory passage index (`bot.questions.index`), the same on SQLite and
PostgreSQL and fast at 100k facts, which `bot.questions.keeper` keeps current before every
answer. Every question is recorded, answered or not, with its 👍/👎 feedback.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot.articles.announcements import AnnouncementService, AnnouncementStatus
from bot.database import Database
from bot.errors import InvalidInput, NotFound
from bot.models import Announcement, utcnow
from bot.models.questions import AnswerFeedback, AskedQuestion
from bot.questions.analysis import analyze_question
from bot.questions.compose import compose_answer, thread_url
from bot.questions.cooldown import Cooldown
from bot.questions.index import ArticleInfo, PassageIndex
from bot.questions.keeper import COUNT_INTERVAL, IndexKeeper
from bot.questions.retrieval import Retrieval, retrieve

log = logging.getLogger(__name__)

MAX_QUESTION_LENGTH = 300

# An optional writer (the generative mode): given the question, the retrieval and the sources,
# return answer text, or None to fall back to the extractive answer.
AnswerWriter = Callable[
    [str, Retrieval, Mapping[int, ArticleInfo], Mapping[int, str]], Awaitable[str | None]
]


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
        self._keeper = IndexKeeper(database, count_interval=count_interval, clock=clock)

    # The index ------------------------------------------------------------------------------

    @property
    def index(self) -> PassageIndex:
        """The current passage index."""
        return self._keeper.index

    async def load(self) -> None:
        """Build the index from the database, unless a question already did."""
        await self._keeper.load()

    async def refresh(self) -> None:
        """Bring the index up to date with the database if anything changed."""
        await self._keeper.refresh()

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
        async with self._database.reads() as session:
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
        async with self._database.reads() as session:
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
        async with self._database.reads() as session:
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
