"""Benchmark: question answering latency at 1k/10k/100k stored facts, and answer quality.

Run: python -m bench.qa [--sizes 1000,10000,100000] [--questions 400] [--postgres-url URL]

For each size, a fresh database holds the evaluation set's articles (tests/questions_eval) plus
synthetic articles (8 key facts and 2 outlook paragraphs each, Zipf-distributed words with some
of the evaluation set's topical words mixed in) up to that many facts. It times
`QuestionService.ask` end to end (watermark check, retrieval, composition, thread links and
recording the question) and retrieval alone, over the evaluation questions after one warm-up
pass over them, and scores the
evaluation set inside that archive. On the evaluation set alone it then scores Newsroom beside
a plain BM25 baseline (rank-bm25's BM25Okapi over the same passages: fact or outlook text,
label and article title, lower-cased word tokens; it answers with its top passage whenever
any word matches) in the same run. PostgreSQL runs too when --postgres-url or
NEWSROOM_TEST_POSTGRES_URL is set.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rank_bm25 import BM25Okapi
from sqlalchemy import Select, func, insert, select

from bot.articles.announcements import AnnouncementService
from bot.database import Database
from bot.models import Article, KeyFact, OutlookItem
from bot.questions.analysis import analyze_question
from bot.questions.index import PassageIndex, PassageKind
from bot.questions.retrieval import retrieve
from bot.questions.service import QuestionService
from tests.databases import POSTGRES_URL_VARIABLE, fresh_database_url
from tests.questions_eval import (
    KINDS,
    accuracy,
    evaluate,
    load_cases,
    newsroom_answer,
    store_articles,
)

FACTS_PER_ARTICLE = 8
OUTLOOK_PER_ARTICLE = 2
TOPICAL = [
    "iran",
    "russia",
    "putin",
    "moscow",
    "tehran",
    "strike",
    "missile",
    "israel",
    "oil",
    "prices",
    "sanctions",
    "talks",
    "bridge",
    "council",
    "football",
    "final",
    "election",
    "troops",
    "pact",
    "energy",
    "nuclear",
    "sites",
    "military",
]
_WORD = re.compile(r"\w+")


def report(line: str = "") -> None:
    """Print one line of results."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def vocabulary(size: int, rng: random.Random) -> list[str]:
    """Make pronounceable pseudo-words."""
    syllables = [a + b for a in "bdfgklmnprstvz" for b in "aeiou"]
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def sentence_maker(rng: random.Random) -> Callable[[int], str]:
    """Return a maker of synthetic sentences with Zipf-like word frequencies."""
    words = vocabulary(5000, rng)
    weights = [1.0 / (rank + 1) for rank in range(len(words))]

    def sentence(length: int) -> str:
        chosen = rng.choices(words, weights=weights, k=length)
        if rng.random() < 0.3:
            chosen[rng.randrange(length)] = rng.choice(TOPICAL)
        return " ".join(chosen).capitalize() + "."

    return sentence


async def fill(database: Database, facts_wanted: int, rng: random.Random) -> int:
    """Add synthetic articles until the archive holds `facts_wanted` key facts."""
    await store_articles(database)
    sentence = sentence_maker(rng)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    async with database.sessions() as session:
        existing = await session.scalar(select_count(KeyFact))
    articles_needed = max(0, (facts_wanted - int(existing or 0)) // FACTS_PER_ARTICLE)
    batch = 500
    next_id = 10_000
    for first in range(0, articles_needed, batch):
        count = min(batch, articles_needed - first)
        article_rows, fact_rows, outlook_rows = [], [], []
        for n in range(count):
            article_id = next_id
            next_id += 1
            when = start + timedelta(hours=article_id)
            article_rows.append(
                {
                    "id": article_id,
                    "url": f"https://bench.example/{article_id}/",
                    "canonical_url": f"https://bench.example/{article_id}/",
                    "title": sentence(rng.randint(5, 10)),
                    "category": rng.choice(["World", "Local", "Sport", "Business"]),
                    "published_at": when,
                    "content_hash": f"{first + n:064d}",
                    "created_at": when,
                    "updated_at": when,
                }
            )
            fact_rows += [
                {
                    "article_id": article_id,
                    "position": p,
                    "label": sentence(2)[:-1],
                    "text": sentence(rng.randint(14, 30)),
                }
                for p in range(1, FACTS_PER_ARTICLE + 1)
            ]
            outlook_rows += [
                {
                    "article_id": article_id,
                    "position": p,
                    "section": "What Happens Next?",
                    "text": sentence(rng.randint(20, 40)),
                }
                for p in range(1, OUTLOOK_PER_ARTICLE + 1)
            ]
        async with database.sessions.begin() as session:
            await session.execute(insert(Article), article_rows)
            await session.execute(insert(KeyFact), fact_rows)
            await session.execute(insert(OutlookItem), outlook_rows)
    async with database.sessions() as session:
        return int(await session.scalar(select_count(KeyFact)) or 0)


def select_count(model: type) -> Select[tuple[int]]:
    """SELECT count(*) FROM the model's table."""
    return select(func.count()).select_from(model)


def percentile(samples: list[float], share: float) -> float:
    """The `share` percentile of samples (nearest rank), in milliseconds."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


async def time_size(label: str, url: str, facts: int, questions: int) -> None:
    """Fill a database to `facts`, then time answers and score the evaluation set in it."""
    rng = random.Random(facts)
    database = Database(url)
    await database.upgrade()
    try:
        started = time.perf_counter()
        stored = await fill(database, facts, rng)
        filled = time.perf_counter() - started
        service = QuestionService(database, AnnouncementService(database))
        started = time.perf_counter()
        await service.load()
        loaded = time.perf_counter() - started
        cases = load_cases()
        texts = [case.question for case in cases]
        for text in texts:  # warm up: each question once (per-term caches, SQL statement cache)
            await service.ask(text, guild_id=1)
        full, retrieval_only = [], []
        for n in range(questions):
            text = texts[n % len(texts)]
            started = time.perf_counter()
            await service.ask(text, guild_id=1)
            full.append(time.perf_counter() - started)
            started = time.perf_counter()
            retrieve(service.index, analyze_question(text))
            retrieval_only.append(time.perf_counter() - started)
        in_archive = accuracy(evaluate(newsroom_answer(service.index), cases))
        ask = f"p50 {percentile(full, 0.5):6.2f} ms  p99 {percentile(full, 0.99):6.2f} ms"
        bare = (
            f"p50 {percentile(retrieval_only, 0.5):6.2f} ms  "
            f"p99 {percentile(retrieval_only, 0.99):6.2f} ms"
        )
        report(
            f"{label:10} {stored:>7} facts  ask {ask}  | retrieval {bare}  "
            f"| index load {loaded:5.2f} s (fill {filled:5.1f} s)  "
            f"| eval accuracy in this archive {in_archive:.2f}"
        )
    finally:
        await database.dispose()


def tokens(text: str) -> list[str]:
    """The baseline's tokenizer: lower-cased word characters."""
    return _WORD.findall(text.lower())


def baseline_answer(index: PassageIndex) -> Callable[[str], tuple[bool, str]]:
    """Plain BM25 (rank-bm25) over the same passages: its top passage, if anything matched."""
    passages = [p for article_id in index.articles for p in index.passages_of(article_id)]
    corpus = []
    for passage in passages:
        title = index.articles[passage.article_id].title
        label = passage.label if passage.kind is PassageKind.FACT and passage.label else ""
        corpus.append(tokens(f"{passage.text} {label} {title}"))
    bm25 = BM25Okapi(corpus)

    def answer(question: str) -> tuple[bool, str]:
        scores = bm25.get_scores(tokens(question))
        best = max(range(len(passages)), key=lambda i: scores[i])
        if scores[best] <= 0:
            return False, ""
        return True, passages[best].text

    return answer


async def quality(url: str) -> None:
    """Score Newsroom and the plain BM25 baseline on the evaluation set alone."""
    database = Database(url)
    await database.upgrade()
    try:
        await store_articles(database)
        service = QuestionService(database, AnnouncementService(database))
        await service.load()
        cases = load_cases()
        ours = evaluate(newsroom_answer(service.index), cases)
        theirs = evaluate(baseline_answer(service.index), cases)
        report(f"quality on the evaluation set ({len(cases)} questions), share answered right:")
        report(f"  {'kind':12} {'newsroom':>9} {'bm25':>9}")
        for kind in (*KINDS, None):
            name = kind or "overall"
            report(f"  {name:12} {accuracy(ours, kind):9.2f} {accuracy(theirs, kind):9.2f}")
        answerable = [o for o in theirs if o.case.expect]
        report(
            "  baseline on answerable questions only: "
            f"{sum(o.passed for o in answerable) / len(answerable):.2f} "
            f"(newsroom {sum(o.passed for o in ours if o.case.expect) / len(answerable):.2f})"
        )
    finally:
        await database.dispose()


async def run(sizes: list[int], questions: int, postgres_url: str | None) -> None:
    """Run every measurement and print the figures."""
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    report(
        f"question answering, {questions} questions per size "
        f"({os.cpu_count()} CPUs, load average {load} at start)"
    )
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            url = f"sqlite+aiosqlite:///{Path(folder) / f'qa_{size}.db'}"
            await time_size("sqlite", url, size, questions)
        if postgres_url:
            os.environ[POSTGRES_URL_VARIABLE] = postgres_url
            for size in sizes:
                context: AbstractAsyncContextManager[str] = fresh_database_url(
                    "postgresql", Path(folder)
                )
                async with context as url:
                    await time_size("postgresql", url, size, questions)
        await quality(f"sqlite+aiosqlite:///{Path(folder) / 'quality.db'}")
    report(f"load average at the end: {', '.join(f'{v:.1f}' for v in os.getloadavg())}")


def main() -> None:
    """Parse options and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--questions", type=int, default=400)
    parser.add_argument("--postgres-url", default=os.environ.get(POSTGRES_URL_VARIABLE))
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    asyncio.run(run(sizes, args.questions, args.postgres_url))


if __name__ == "__main__":
    main()
