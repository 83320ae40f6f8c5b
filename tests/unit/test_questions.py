"""Questions domain: analysis, the index, composition, escaping, cooldowns, and the service."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime

import discord
import pytest
from sqlalchemy import delete, func, select

from bot.articles.announcements import AnnouncementService
from bot.articles.extraction import extract_article_text
from bot.articles.store import ArticleStore
from bot.database import Database
from bot.errors import InvalidInput
from bot.models import Article
from bot.models.questions import AnswerFeedback
from bot.questions.analysis import Intent, analyze_question, normalize_question, terms
from bot.questions.compose import (
    MESSAGE_LIMIT,
    compose_answer,
    escape_markdown,
    escape_mentions,
)
from bot.questions.cooldown import Cooldown, TooSoon
from bot.questions.index import ArticleInfo, Passage, PassageIndex, PassageKind
from bot.questions.retrieval import retrieve
from bot.questions.service import QuestionService
from cogs.questions._cog import mentions_me, strip_mention
from cogs.questions._views import (
    ASK_TEMPLATE,
    FEEDBACK_TEMPLATE,
    SUGGEST_TEMPLATE,
    AskButton,
    FeedbackButton,
    SuggestButton,
)

HOSTILE = [
    "@everyone look",
    "@here now",
    "<@123456789012345678> and <@&123456789012345678> and <@!123456789012345678>",
    "**bold** __under__ ~~strike~~ ||spoiler|| `code` ```block```",
    "> quote\n# heading\n- list",
    "[click](https://evil.example/x_y) and https://site.example/a_b_c",
    "back\\slash *single* _single_",
]


def story(title: str, facts: list[str], outlook: list[str], *, day: int, url: str) -> object:
    """A plain-text article in the example's layout, extracted and dated."""
    lines = [title, "", title, "", "Intro paragraph about the story.", "", "Key Facts:", ""]
    lines += [f"  • Fact {n}: {text}" for n, text in enumerate(facts, 1)]
    lines += ["", "What Happens Next?", *outlook, ""]
    extracted = extract_article_text("\n".join(lines), url)
    return dataclasses.replace(extracted, published_at=datetime(2025, 6, day, tzinfo=UTC))


# Analysis --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["US", "U.S.", "U.S", "USA", "U.S.A.", "United States", "America", "American"]
)
def test_united_states_spellings_meet(text: str) -> None:
    assert terms(f"{text} strikes") == ["unitedst", "strike"]


def test_pronoun_us_is_not_the_united_states() -> None:
    assert "unitedst" not in terms("tell us about Iran")


@pytest.mark.parametrize("word", ["strikes", "struck", "airstrikes", "bombed", "attacks"])
def test_attack_words_meet(word: str) -> None:
    assert terms(word) == ["strike"]


def test_intents() -> None:
    assert analyze_question("Did the US strike Iran?").intent is Intent.FACT
    assert analyze_question("What happens next with Iran?").intent is Intent.NEXT
    assert analyze_question("Will Moscow send troops?").intent is Intent.NEXT
    assert analyze_question("What's the latest on Iran?").intent is Intent.LATEST
    assert analyze_question("What happens next?").generic


def test_rephrasings_group_together() -> None:
    forms = ["Will Moscow send troops?", "will moscow send troops", "  WILL Moscow send TROOPS!!"]
    assert len({normalize_question(form) for form in forms}) == 1


def test_mentions_and_links_are_not_search_terms() -> None:
    question = analyze_question("@everyone <@&123456789012345678> https://x.example/y Iran?")
    assert question.terms == ("iran",)


# Escaping matches discord.utils ----------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE)
def test_escaping_matches_discord_utils(text: str) -> None:
    assert escape_markdown(text) == discord.utils.escape_markdown(text)
    assert escape_mentions(text) == discord.utils.escape_mentions(text)


# Index and retrieval --------------------------------------------------------------------------


def article(article_id: int, title: str, day: int) -> ArticleInfo:
    return ArticleInfo(
        id=article_id,
        title=title,
        url=f"https://news.example/{article_id}/",
        category="World",
        published_at=datetime(2025, 6, day, tzinfo=UTC),
    )


def fact(row_id: int, article_id: int, text: str, kind: PassageKind = PassageKind.FACT) -> Passage:
    return Passage(kind, row_id, article_id, row_id, None, text)


def test_replacing_an_article_forgets_its_old_passages() -> None:
    index = PassageIndex()
    index.replace_article(article(1, "Harbour", 1), [fact(1, 1, "The bridge reopened")])
    index.replace_article(article(2, "Roads", 1), [fact(3, 2, "The tunnel was repaired")])
    assert [hit.passage.row_id for hit in index.search(["bridg"])] == [1]  # caches warm
    assert [hit.passage.row_id for hit in index.search(["tunnel"])] == [3]
    index.replace_article(article(1, "Harbour", 1), [fact(2, 1, "The tunnel closed")])
    assert index.search(["bridg"]) == []
    assert sorted(hit.passage.row_id for hit in index.search(["tunnel"])) == [2, 3]
    index.remove_article(2)
    assert [hit.passage.row_id for hit in index.search(["tunnel"])] == [2]
    index.remove_article(1)
    assert len(index) == 0
    assert index.search(["tunnel"]) == []


def test_latest_questions_prefer_the_newest_update_of_a_story() -> None:
    index = PassageIndex()
    index.replace_article(
        article(1, "Ceasefire talks begin", 1), [fact(1, 1, "Ceasefire talks began in Cairo")]
    )
    index.replace_article(
        article(2, "Ceasefire talks stall", 20), [fact(2, 2, "Ceasefire talks stalled again")]
    )
    fact_answer = retrieve(index, analyze_question("Did ceasefire talks begin in Cairo?"))
    assert fact_answer.facts[0].passage.article_id == 1
    latest = retrieve(index, analyze_question("What's the latest on the ceasefire talks?"))
    assert latest.facts[0].passage.article_id == 2


def test_the_threads_article_comes_first() -> None:
    index = PassageIndex()
    index.replace_article(article(1, "Port strike", 1), [fact(1, 1, "Dock workers walked out")])
    index.replace_article(article(2, "Rail strike", 2), [fact(2, 2, "Rail workers walked out")])
    question = analyze_question("Why did the workers walk out?")
    assert retrieve(index, question, thread_article_id=1).facts[0].passage.article_id == 1
    assert retrieve(index, question, thread_article_id=2).facts[0].passage.article_id == 2


def test_answers_fit_in_one_discord_message() -> None:
    index = PassageIndex()
    long_text = "Officials said the harbour bridge repairs " + "continued slowly " * 60
    index.replace_article(
        article(1, "Harbour bridge " + "very long title " * 20, 1),
        [fact(n, 1, f"{long_text} {n}") for n in range(1, 6)]
        + [fact(n, 1, f"{long_text} {n}", PassageKind.OUTLOOK) for n in range(6, 10)],
    )
    retrieval = retrieve(index, analyze_question("What happens next with the harbour bridge?"))
    text = compose_answer("What next? " * 30, retrieval, index.articles, {})
    assert retrieval.answered
    assert len(text) <= MESSAGE_LIMIT
    assert "**What we know**" in text


# Cooldown -------------------------------------------------------------------------------------


def test_cooldown_counts_per_member_on_the_given_clock() -> None:
    now = [100.0]
    cooldown = Cooldown(2, 30, clock=lambda: now[0])
    cooldown.acquire("ann")
    cooldown.acquire("ann")
    cooldown.acquire("bob")
    now[0] += 10
    with pytest.raises(TooSoon) as raised:
        cooldown.acquire("ann")
    assert raised.value.retry_after == 20
    assert "try again in 20 s" in str(raised.value)
    now[0] += 20
    cooldown.acquire("ann")


# Custom ids round trip ------------------------------------------------------------------------


def test_custom_ids_round_trip() -> None:
    for item, template in (
        (AskButton(42), ASK_TEMPLATE),
        (FeedbackButton(7, "down"), FEEDBACK_TEMPLATE),
        (SuggestButton(9), SUGGEST_TEMPLATE),
    ):
        assert re.fullmatch(template, item.custom_id), item.custom_id
    assert AskButton(42).custom_id == "question:ask:42"
    assert FeedbackButton(7, "down").custom_id == "question:feedback:7:down"
    assert SuggestButton(9).custom_id == "question:suggest:9"


# The service, on both databases ----------------------------------------------------------------


async def test_index_follows_other_writers_and_editors_edits(database: Database) -> None:
    service = QuestionService(database, AnnouncementService(database))
    await service.load()
    assert not (await service.ask("Did the harbour bridge reopen?")).answered

    other_database = Database(database.url)  # another process writing to the same database
    saved = await ArticleStore(other_database).save(
        story(
            "Harbour Bridge Reopens",
            ["The harbour bridge reopened on Monday."],
            ["A second phase of works follows next spring."],
            day=30,
            url="https://news.example/bridge/",
        ),
        ["url:bridge"],
    )
    await other_database.dispose()
    answer = await service.ask("Did the harbour bridge reopen?")
    assert answer.answered
    assert "reopened on Monday" in answer.text

    await ArticleStore(database).edit_fact(
        saved.article.id,
        1,
        label=None,
        text="The harbour bridge stays shut until July.",
        editor_id=5,
    )
    edited = await service.ask("Is the harbour bridge shut?")
    assert "stays shut" in edited.text
    again = await service.ask("Did the harbour bridge reopen?")
    assert "reopened on Monday" not in again.text


async def test_questions_are_recorded_grouped_and_rated(database: Database) -> None:
    service = QuestionService(database, AnnouncementService(database))
    await service.load()
    for text in ("Will Moscow send troops?", "will moscow send troops", "Who won the cup?"):
        answer = await service.ask(text, guild_id=1, user_id=2)
    assert not answer.answered
    await service.ask("Who won the cup?", guild_id=2, user_id=2)
    unanswered = await service.unanswered(1)
    assert [(entry.count, entry.text) for entry in unanswered] == [
        (2, "will moscow send troops"),
        (1, "Who won the cup?"),
    ]

    first = unanswered[0]
    assert first.last_asked.tzinfo is not None
    tally = await service.record_feedback(answer.question_id, 7, helpful=True)
    tally = await service.record_feedback(answer.question_id, 7, helpful=False)
    tally = await service.record_feedback(answer.question_id, 8, helpful=False)
    assert (tally.helpful, tally.unhelpful) == (0, 2)
    async with database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(AnswerFeedback)) == 2

    suggested = await service.suggest(answer.question_id, 7)
    assert suggested.suggested_at is not None
    with pytest.raises(InvalidInput, match="already passed on"):
        await service.suggest(answer.question_id, 8)


async def test_bad_questions_are_refused_politely(database: Database) -> None:
    service = QuestionService(database, AnnouncementService(database), max_length=50)
    with pytest.raises(InvalidInput, match="Ask me a question"):
        await service.ask("   \n ")
    with pytest.raises(InvalidInput, match="keep it under 50"):
        await service.ask("why " * 20)


def test_only_an_explicit_mention_of_the_bot_is_a_question() -> None:
    assert mentions_me("<@42> what next?", 42)
    assert mentions_me("hey <@!42>", 42)
    assert not mentions_me("thanks!", 42)  # a reply that pings the bot
    assert not mentions_me("<@&42> <@420>", 42)
    assert strip_mention("<@42> what next? <@!42>", 42) == "what next?"


async def test_a_deleted_article_leaves_the_index_within_the_count_interval(
    database: Database,
) -> None:
    now = [0.0]
    service = QuestionService(
        database, AnnouncementService(database), count_interval=60, clock=lambda: now[0]
    )
    bridge = story(
        "Harbour Bridge Reopens",
        ["The harbour bridge reopened on Monday."],
        [],
        day=30,
        url="https://news.example/bridge/",
    )
    saved = await ArticleStore(database).save(bridge, ["url:bridge"])
    await service.load()
    assert (await service.ask("Did the harbour bridge reopen?")).answered
    async with database.sessions.begin() as session:
        await session.execute(delete(Article).where(Article.id == saved.article.id))
    now[0] += 30
    assert (await service.ask("Did the harbour bridge reopen?")).answered, "not counted yet"
    now[0] += 31
    assert not (await service.ask("Did the harbour bridge reopen?")).answered
