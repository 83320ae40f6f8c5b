"""An in-memory BM25 index over key facts and outlook items, with their article's title.

Each passage (one key fact or one outlook paragraph) is a document whose fields are weighted
into one bag of terms: its own text (and label) counts fully, its article's title and category
less. Scoring is Okapi BM25 (k1=1.2, b=0.75) over the analysed terms of
`bot.questions.analysis`; besides the score, each hit carries its *coverage*: the share of the
question's IDF mass that the passage matches, a corpus-independent measure of how much of the
question it speaks to, used to decide when to decline.

Articles can be replaced one at a time, so the service keeps the index current cheaply.
"""

from __future__ import annotations

import enum
import heapq
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.questions.analysis import terms as analyze_terms
from bot.questions.analysis import unique

K1 = 1.2
B = 0.75
TEXT_WEIGHT = 1.0  # a passage's own words (and a fact's label) count once each
TITLE_WEIGHT = 0.5
CATEGORY_WEIGHT = 0.3
AVERAGE_DRIFT = 0.05
NEW_CANDIDATE_COVERAGE = 0.5  # = retrieval.SELECT_COVERAGE: below it a passage is never quoted


class PassageKind(enum.StrEnum):
    """What a passage is."""

    FACT = "fact"
    OUTLOOK = "outlook"


@dataclass(frozen=True, slots=True)
class ArticleInfo:
    """What an answer cites about an article."""

    id: int
    title: str
    url: str
    category: str | None
    published_at: datetime | None


@dataclass(frozen=True, slots=True)
class Passage:
    """One key fact or outlook paragraph, as stored."""

    kind: PassageKind
    row_id: int
    article_id: int
    position: int
    label: str | None  # a fact's label, or an outlook item's section heading
    text: str

    @property
    def key(self) -> int:
        """Index key: facts and outlook items have separate id spaces."""
        return self.row_id * 2 + (1 if self.kind is PassageKind.OUTLOOK else 0)


@dataclass(frozen=True, slots=True)
class Hit:
    """A passage that matched, with its BM25 score and the share of the question it covers."""

    passage: Passage
    score: float
    coverage: float
    matched: frozenset[str]


class PassageIndex:
    """Inverted index: term -> {passage key: weighted term frequency}."""

    def __init__(self) -> None:
        self._postings: dict[str, dict[int, float]] = {}
        self._lengths: dict[int, float] = {}
        self._passages: dict[int, Passage] = {}
        self._doc_terms: dict[int, tuple[str, ...]] = {}
        self._article_keys: dict[int, list[int]] = {}
        self.articles: dict[int, ArticleInfo] = {}
        self._total_length = 0.0
        self._norms: dict[int, float] | None = None  # BM25 length terms (see _length_norms)
        self._average = 1.0  # the average passage length self._norms was computed with
        self._impacts: dict[str, tuple[list[int], list[float]]] = {}

    def __len__(self) -> int:
        """Count indexed passages."""
        return len(self._passages)

    @property
    def passage_count(self) -> int:
        """Count indexed passages."""
        return len(self._passages)

    def passages_of(self, article_id: int) -> list[Passage]:
        """List an article's passages in their stored order (facts first)."""
        found = [self._passages[key] for key in self._article_keys.get(article_id, ())]
        return sorted(found, key=lambda p: (p.kind is PassageKind.OUTLOOK, p.position))

    def newest_article(self) -> ArticleInfo | None:
        """Return the most recently published article that has passages."""
        candidates = [self.articles[a] for a, keys in self._article_keys.items() if keys]
        if not candidates:
            return None
        return max(candidates, key=lambda a: (a.published_at is not None, a.published_at, a.id))

    def replace_article(self, article: ArticleInfo, passages: Iterable[Passage]) -> None:
        """Index an article's passages, replacing whatever was indexed for it before."""
        self.remove_article(article.id)
        self.articles[article.id] = article
        context: dict[str, float] = {}
        for term in analyze_terms(article.title):
            context[term] = context.get(term, 0.0) + TITLE_WEIGHT
        for term in analyze_terms(article.category or ""):
            context[term] = context.get(term, 0.0) + CATEGORY_WEIGHT
        postings = self._postings
        keys = []
        for passage in passages:
            words = analyze_terms(passage.text)
            if passage.kind is PassageKind.FACT and passage.label:
                words += analyze_terms(passage.label)
            bag: dict[str, float] = Counter(words)
            for term, weight in context.items():
                bag[term] = bag.get(term, 0) + weight
            key = passage.key
            keys.append(key)
            self._passages[key] = passage
            self._doc_terms[key] = tuple(bag)
            length = sum(bag.values())
            self._lengths[key] = length
            self._total_length += length
            if self._norms is not None:
                self._norms[key] = self._norm(length)
            for term, weight in bag.items():
                self._impacts.pop(term, None)
                posting = postings.get(term)
                if posting is None:
                    postings[term] = {key: weight}
                else:
                    posting[key] = weight
        self._article_keys[article.id] = keys

    def remove_article(self, article_id: int) -> None:
        """Forget an article and its passages."""
        for key in self._article_keys.pop(article_id, ()):
            for term in self._doc_terms.pop(key, ()):
                self._impacts.pop(term, None)
                posting = self._postings.get(term)
                if posting is not None:
                    posting.pop(key, None)
                    if not posting:
                        del self._postings[term]
            self._total_length -= self._lengths.pop(key, 0.0)
            self._passages.pop(key, None)
            if self._norms is not None:
                self._norms.pop(key, None)
        self.articles.pop(article_id, None)

    def idf(self, term: str) -> float:
        """BM25's inverse document frequency (never negative); unknown terms weigh most."""
        count = len(self._passages)
        frequency = len(self._postings.get(term, ()))
        return math.log(1.0 + (count - frequency + 0.5) / (frequency + 0.5))

    def _norm(self, length: float) -> float:
        """K1 * (1 - B + B * length / average), with the average the cached norms use."""
        return K1 * (1.0 - B + B * length / self._average)

    def _length_norms(self) -> dict[int, float]:
        """Every passage's BM25 length term.

        Cached with the average length it used, and updated passage by passage as articles
        change; recomputed (clearing every term's cached gains) only once the average length
        drifts by more than AVERAGE_DRIFT, so one new article does not make every term cold.
        """
        average = self._total_length / len(self._lengths)
        if self._norms is None or abs(average - self._average) > AVERAGE_DRIFT * self._average:
            self._average = average
            self._norms = {key: self._norm(n) for key, n in self._lengths.items()}
            self._impacts = {}
        return self._norms

    def _impacts_of(self, term: str, posting: dict[int, float]) -> tuple[list[int], list[float]]:
        """A term's passages and their BM25 gains before IDF, cached until the term changes."""
        cached = self._impacts.get(term)
        if cached is None:
            norms = self._length_norms()
            keys = list(posting)
            gains = [(K1 + 1.0) * tf / (tf + norms[key]) for key, tf in posting.items()]
            cached = self._impacts[term] = (keys, gains)
        return cached

    def search(self, query_terms: Sequence[str], *, limit: int = 50) -> list[Hit]:
        """Return the best-scoring passages for the analysed question terms.

        Terms are scored rarest first. Once the terms left carry less than
        NEW_CANDIDATE_COVERAGE of the question's IDF weight, a passage that matched none of the
        rarer terms could not cover enough of the question to be quoted, so those common terms
        only add to passages already found (a category word in every passage costs nothing).
        """
        query = unique(query_terms)
        if not query or not self._passages:
            return []
        norms = self._length_norms()
        weights = {term: self.idf(term) for term in query}
        total_weight = sum(weights.values()) or 1.0
        remaining = total_weight
        scores: dict[int, float] = {}
        get = scores.get
        for term in sorted(query, key=weights.__getitem__, reverse=True):
            idf = weights[term]
            adds_new = remaining / total_weight >= NEW_CANDIDATE_COVERAGE
            remaining -= idf
            posting = self._postings.get(term)
            if not posting:
                continue
            if adds_new:
                keys, gains = self._impacts_of(term, posting)
                for key, gain in zip(keys, gains, strict=True):
                    scores[key] = get(key, 0.0) + idf * gain
            elif len(scores) < len(posting):
                numerator = idf * (K1 + 1.0)
                for key in scores:
                    tf = posting.get(key)
                    if tf is not None:
                        scores[key] += numerator * tf / (tf + norms[key])
            else:
                keys, gains = self._impacts_of(term, posting)
                for key, gain in zip(keys, gains, strict=True):
                    if key in scores:
                        scores[key] += idf * gain
        best = heapq.nlargest(limit, scores, key=scores.__getitem__)
        hits = []
        for key in best:
            doc_terms = set(self._doc_terms[key])
            matched = frozenset(term for term in query if term in doc_terms)
            hits.append(
                Hit(
                    passage=self._passages[key],
                    score=scores[key],
                    coverage=sum(weights[term] for term in matched) / total_weight,
                    matched=matched,
                )
            )
        return hits
