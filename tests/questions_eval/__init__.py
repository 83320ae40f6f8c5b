"""The project's question-answering evaluation set: articles in the example's plain-text layout
(related and unrelated stories, dated updates of one story) and questions of five kinds with the
facts a right answer quotes. Used by tests/unit/test_questions_eval.py and bench/qa.py.

A case passes when
- it expects nothing (kind "none", or an adversarial question with no answer) and is declined;
- otherwise it is answered and the first item quoted contains one of the expected passages
  (the first outlook item for questions the system reads as "what next", else the first fact).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.articles.extracted import ExtractedArticle
from bot.articles.extraction import extract_article_text
from bot.articles.store import ArticleStore
from bot.database import Database
from bot.questions.analysis import Intent, analyze_question
from bot.questions.index import PassageIndex
from bot.questions.retrieval import retrieve

EVAL_DIR = Path(__file__).resolve().parent
KINDS = ("fact", "next", "latest", "none", "adversarial")


@dataclass(frozen=True, slots=True)
class EvalCase:
    """One question and what a right answer quotes (nothing: it must be declined)."""

    kind: str
    question: str
    expect: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a system did with a case."""

    case: EvalCase
    answered: bool
    first: str
    passed: bool


def _manifest() -> dict[str, list[dict[str, object]]]:
    """Read eval.json."""
    return json.loads((EVAL_DIR / "eval.json").read_text(encoding="utf-8"))


def load_articles() -> list[tuple[str, ExtractedArticle]]:
    """Extract every article of the set, with its address, date and category."""
    articles = []
    for entry in _manifest()["articles"]:
        text = (EVAL_DIR / str(entry["file"])).read_text(encoding="utf-8")
        extracted = extract_article_text(text, str(entry["url"]))
        extracted = dataclasses.replace(
            extracted,
            published_at=datetime.fromisoformat(str(entry["published"])),
            category=str(entry["category"]),
        )
        articles.append((str(entry["key"]), extracted))
    return articles


def load_cases() -> list[EvalCase]:
    """Read the questions."""
    return [
        EvalCase(kind=str(c["kind"]), question=str(c["q"]), expect=tuple(c["expect"]))  # type: ignore[arg-type]
        for c in _manifest()["cases"]
    ]


async def store_articles(database: Database) -> dict[str, int]:
    """Save the set's articles; return their ids by key."""
    store = ArticleStore(database)
    ids = {}
    for key, extracted in load_articles():
        saved = await store.save(extracted, [f"eval:{key}"])
        ids[key] = saved.article.id
    return ids


def judge(case: EvalCase, answered: bool, first: str) -> bool:
    """Score one answer."""
    if not case.expect:
        return not answered
    return answered and any(e.casefold() in first.casefold() for e in case.expect)


def newsroom_answer(index: PassageIndex) -> Callable[[str], tuple[bool, str]]:
    """Newsroom's retrieval as a system under evaluation: (answered, first quoted item)."""

    def answer(question: str) -> tuple[bool, str]:
        analyzed = analyze_question(question)
        retrieval = retrieve(index, analyzed)
        if not retrieval.answered:
            return False, ""
        sections = [retrieval.facts, retrieval.outlook]
        if analyzed.intent is Intent.NEXT:
            sections.reverse()
        first = next(section[0] for section in sections if section)
        return True, first.passage.text

    return answer


def evaluate(system: Callable[[str], tuple[bool, str]], cases: Sequence[EvalCase]) -> list[Outcome]:
    """Run a system over the cases."""
    outcomes = []
    for case in cases:
        answered, first = system(case.question)
        outcomes.append(Outcome(case, answered, first, judge(case, answered, first)))
    return outcomes


def accuracy(outcomes: Sequence[Outcome], kind: str | None = None) -> float:
    """Share of passed cases (of one kind)."""
    chosen = [o for o in outcomes if kind is None or o.case.kind == kind]
    return sum(o.passed for o in chosen) / len(chosen) if chosen else 0.0


def report(outcomes: Sequence[Outcome]) -> str:
    """A readable table of failures and per-kind accuracy."""
    lines = [f"{kind:12} {accuracy(outcomes, kind):.2f}" for kind in KINDS]
    lines.append(f"{'overall':12} {accuracy(outcomes):.2f}")
    for outcome in outcomes:
        if not outcome.passed:
            lines.append(
                f"FAIL [{outcome.case.kind}] {outcome.case.question!r}: "
                f"answered={outcome.answered} first={outcome.first[:90]!r}"
            )
    return "\n".join(lines)
