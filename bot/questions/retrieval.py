"""Rank passages for a question and choose what an answer quotes, or decide to decline.

On top of BM25 (`bot.questions.index`):

- the discussion thread's article is boosted, and its passages come first;
- "latest"/"next" questions prefer newer articles: a passage's score is multiplied by
  `max(RECENCY_FLOOR, exp(-days / RECENCY_DAYS))`, where `days` is how much older its article
  is than the newest article among the strong candidates (the newest update of a story wins);
- "next" questions prefer outlook paragraphs;
- the best candidate must cover at least `MIN_COVERAGE` of the question's IDF mass, otherwise
  the bot says it has no reporting on that yet and lists the closest stories.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from bot.questions.analysis import AnalyzedQuestion, Intent
from bot.questions.index import ArticleInfo, Hit, Passage, PassageIndex, PassageKind

MIN_COVERAGE = 0.55
SELECT_COVERAGE = 0.5
THREAD_BOOST = 1.6
OUTLOOK_BOOST_FOR_NEXT = 1.4
RECENCY_DAYS = 10.0
RECENCY_FLOOR = 0.3
MAX_FACTS = 3
MAX_OUTLOOK = 2
MAX_CLOSEST = 3
CANDIDATES = 60


@dataclass(frozen=True, slots=True)
class Retrieval:
    """What to answer with: the chosen facts and outlook, or the closest stories."""

    answered: bool
    confidence: float
    facts: tuple[Hit, ...] = ()
    outlook: tuple[Hit, ...] = ()
    closest: tuple[ArticleInfo, ...] = ()
    ranked: tuple[Hit, ...] = field(default=(), repr=False)

    @property
    def article_ids(self) -> list[int]:
        """The cited articles, in order of first citation."""
        ids = [hit.passage.article_id for hit in (*self.facts, *self.outlook)]
        return list(dict.fromkeys(ids))


def _days_between(newer: ArticleInfo, older: ArticleInfo) -> float:
    """Days by which `older` was published before `newer` (0 when unknown)."""
    if newer.published_at is None or older.published_at is None:
        return 0.0
    return max(0.0, (newer.published_at - older.published_at).total_seconds() / 86_400)


def rank(
    index: PassageIndex,
    question: AnalyzedQuestion,
    *,
    thread_article_id: int | None = None,
) -> list[Hit]:
    """Score the candidates with the thread, recency and intent adjustments, best first."""
    hits = index.search(question.terms, limit=CANDIDATES)
    if not hits:
        return []
    adjusted = []
    strongest = max(hit.coverage for hit in hits)
    newest: ArticleInfo | None = None
    if question.intent is not Intent.FACT:
        strong = [h for h in hits if h.coverage >= min(strongest, SELECT_COVERAGE)]
        dated = [index.articles[h.passage.article_id] for h in strong]
        newest = max(dated, key=lambda a: (a.published_at is not None, a.published_at, a.id))
    for hit in hits:
        score = hit.score
        passage = hit.passage
        if thread_article_id is not None and passage.article_id == thread_article_id:
            score *= THREAD_BOOST
        if newest is not None:
            days = _days_between(newest, index.articles[passage.article_id])
            score *= max(RECENCY_FLOOR, math.exp(-days / RECENCY_DAYS))
        if question.intent is Intent.NEXT and passage.kind is PassageKind.OUTLOOK:
            score *= OUTLOOK_BOOST_FOR_NEXT
        adjusted.append(replace(hit, score=score))
    adjusted.sort(key=lambda hit: hit.score, reverse=True)
    return adjusted


def retrieve(
    index: PassageIndex,
    question: AnalyzedQuestion,
    *,
    thread_article_id: int | None = None,
) -> Retrieval:
    """Choose the facts and outlook an answer quotes, or the closest stories when declining."""
    if question.generic:
        return _about_one_article(index, question, thread_article_id)
    ranked = rank(index, question, thread_article_id=thread_article_id)
    if not ranked:
        return Retrieval(answered=False, confidence=0.0)
    confidence = max(hit.coverage for hit in ranked)
    if confidence < MIN_COVERAGE:
        return Retrieval(
            answered=False,
            confidence=confidence,
            closest=_closest(index, ranked),
            ranked=tuple(ranked),
        )
    strong = [hit for hit in ranked if hit.coverage >= SELECT_COVERAGE]
    best = strong[0].score
    outlook_floor = (0.3 if question.intent is Intent.NEXT else 0.6) * best
    facts = [h for h in strong if h.passage.kind is PassageKind.FACT and h.score >= 0.45 * best]
    outlook = [
        h for h in strong if h.passage.kind is PassageKind.OUTLOOK and h.score >= outlook_floor
    ]
    if thread_article_id is not None:
        facts.sort(key=lambda h: h.passage.article_id != thread_article_id)
        outlook.sort(key=lambda h: h.passage.article_id != thread_article_id)
    max_outlook = MAX_OUTLOOK + (1 if question.intent is Intent.NEXT else 0)
    return Retrieval(
        answered=True,
        confidence=confidence,
        facts=tuple(facts[:MAX_FACTS]),
        outlook=tuple(outlook[:max_outlook]),
        ranked=tuple(ranked),
    )


def _about_one_article(
    index: PassageIndex, question: AnalyzedQuestion, thread_article_id: int | None
) -> Retrieval:
    """Answer "What's the latest?" / "What happens next?": the thread's or the newest article."""
    article = index.articles.get(thread_article_id) if thread_article_id else None
    article = article or index.newest_article()
    if article is None or question.intent is Intent.FACT:
        return Retrieval(answered=False, confidence=0.0)
    passages = index.passages_of(article.id)
    facts = [_whole(p) for p in passages if p.kind is PassageKind.FACT]
    outlook = [_whole(p) for p in passages if p.kind is PassageKind.OUTLOOK]
    if question.intent is Intent.NEXT:
        chosen_facts, chosen_outlook = facts[:1], outlook[: MAX_OUTLOOK + 1]
    else:
        chosen_facts, chosen_outlook = facts[:MAX_FACTS], outlook[:1]
    if not chosen_facts and not chosen_outlook:
        return Retrieval(answered=False, confidence=0.0)
    return Retrieval(
        answered=True, confidence=1.0, facts=tuple(chosen_facts), outlook=tuple(chosen_outlook)
    )


def _whole(passage: Passage) -> Hit:
    """A passage chosen for its article rather than its words."""
    return Hit(passage=passage, score=0.0, coverage=1.0, matched=frozenset())


def _closest(index: PassageIndex, ranked: list[Hit]) -> tuple[ArticleInfo, ...]:
    """The articles of the best partial matches, for "closest stories we have"."""
    ids = list(dict.fromkeys(hit.passage.article_id for hit in ranked if hit.coverage > 0))
    return tuple(index.articles[i] for i in ids[:MAX_CLOSEST] if i in index.articles)
