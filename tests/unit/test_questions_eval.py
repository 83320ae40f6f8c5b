"""Score the evaluation set (tests/questions_eval) and the seed article's acceptance questions."""

from __future__ import annotations

from pathlib import Path

from bot.articles.announcements import AnnouncementService
from bot.articles.ingest import extract_file
from bot.articles.store import ArticleStore
from bot.database import Database
from bot.questions.service import QuestionService
from tests.questions_eval import (
    accuracy,
    evaluate,
    load_cases,
    newsroom_answer,
    report,
    store_articles,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "articles"
SEED_TITLE = (
    "Iran Strikes a Deal with Putin: A New Power Dynamic in the Wake of U.S. Military Escalation"
)
OVERALL_FLOOR = 0.85
KIND_FLOOR = 0.75


async def test_evaluation_set_scores_above_the_floor(database: Database) -> None:
    await store_articles(database)
    service = QuestionService(database, AnnouncementService(database))
    await service.load()
    outcomes = evaluate(newsroom_answer(service.index), load_cases())
    summary = report(outcomes)
    assert accuracy(outcomes) >= OVERALL_FLOOR, summary
    for kind in ("fact", "next", "latest", "none", "adversarial"):
        assert accuracy(outcomes, kind) >= KIND_FLOOR, summary
    declined = [o for o in outcomes if o.case.kind == "none"]
    assert all(not o.answered for o in declined), summary


async def seed_service(database: Database) -> QuestionService:
    """A service over the seed article (the WordPress page: it has a date and category)."""
    extracted = extract_file(FIXTURES / "iran_russia_wordpress.html")
    await ArticleStore(database).save(extracted, ["url:seed"])
    service = QuestionService(database, AnnouncementService(database))
    await service.load()
    return service


async def test_seed_answers_did_the_us_strike_iran(database: Database) -> None:
    service = await seed_service(database)
    answer = await service.ask("Did the US strike Iran?")
    assert answer.answered
    first = answer.retrieval.facts[0].passage
    assert first.label == "U.S. Military Action"
    assert (
        "> **U.S. Military Action:** On June 20, 2025, the United States launched airstrikes on "
        "several Iranian nuclear sites" in answer.text
    )
    assert "— *Iran Strikes a Deal with Putin: A New Power Dynamic in the" in answer.text
    assert "23 Jun 2025 [1]" in answer.text
    assert "[1] <https://boldshout.com/iran-putin-alliance-us-strikes-middle-east/>" in answer.text


async def test_seed_answers_what_happens_next_between_iran_and_russia(database: Database) -> None:
    service = await seed_service(database)
    answer = await service.ask("What happens next between Iran and Russia?")
    assert answer.answered
    watch = answer.text.split("**What to watch** (what the site expects, not established fact)")
    assert len(watch) == 2, answer.text
    assert (
        "> In the coming days, Araqchi’s meetings in Moscow will likely set the stage" in watch[1]
    )
    assert "23 Jun 2025 [1]" in watch[1]
    kinds = {hit.passage.label for hit in answer.retrieval.outlook}
    assert kinds <= {"What Happens Next?", "Next Steps in the Investigation"}
    facts = [hit.passage.label for hit in answer.retrieval.facts]
    assert "Iran Turns to Russia" in facts


async def test_seed_declines_out_of_scope(database: Database) -> None:
    service = await seed_service(database)
    answer = await service.ask("Who won the cricket world cup?")
    assert not answer.answered
    assert "We have no reporting on that yet." in answer.text
    assert "What we know" not in answer.text
    assert answer.text.count("\n") <= 3
