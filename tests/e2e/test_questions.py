"""Questions end to end: /ask, mentions, thread context, the Ask button, feedback and gaps."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.app.client import NewsroomBot
from bot.articles.extraction import extract_article_text
from bot.articles.ingest import extract_file
from bot.articles.store import ArticleStore, StoredArticle
from bot.database import Database
from bot.models.questions import AnswerFeedback, AskedQuestion
from tests.e2e.conftest import BotStarter, Newsroom
from tests.standin import DiscordStandIn, Message

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "articles"
TITLE = "Iran Strikes a Deal with Putin"
STRIKE_QUOTE = "On June 20, 2025, the United States launched airstrikes on several Iranian nuclear"
ARTICLE_URL = "https://boldshout.com/iran-putin-alliance-us-strikes-middle-east/"
HARBOUR_TEXT = """Harbour Bridge Reopens After Repairs

Harbour Bridge Reopens After Repairs

The city's harbour bridge reopened to traffic on Monday after eight months of repairs.

Key Facts:

  • Reopening: The harbour bridge reopened to cars and cyclists on Monday morning.
  • Cost: The repairs cost the city 40 million in total, over the original budget.

What Happens Next?
The council expects a second phase of works on the bridge's footpaths next spring.
"""


async def seed(database_url: str) -> tuple[StoredArticle, StoredArticle]:
    """Store the example article and a newer, unrelated local story."""
    database = Database(database_url)
    await database.upgrade()
    try:
        store = ArticleStore(database)
        iran = await store.save(extract_file(FIXTURES / "iran_russia_wordpress.html"), ["url:iran"])
        harbour = dataclasses.replace(
            extract_article_text(HARBOUR_TEXT, "https://news.example/harbour-bridge/"),
            published_at=datetime(2025, 7, 1, 9, 0, tzinfo=UTC),
            category="Local",
        )
        local = await store.save(harbour, ["url:harbour"])
        return iran.article, local.article
    finally:
        await database.dispose()


async def finished(interaction: Any) -> Message:
    """The interaction's answer once it stopped "thinking"."""
    await interaction.response()
    return await interaction.wait_for_original(lambda message: not message.loading)


async def reply_to(standin: DiscordStandIn, message: Message) -> Message:
    """Wait for the bot's reply to a member's message."""

    def find() -> Message | None:
        return next(
            (m for m in standin.messages_in(message.channel) if m.reference is message), None
        )

    await standin.wait_for(lambda: find() is not None, what=f"a reply to {message!r}")
    reply = find()
    assert reply is not None
    return reply


def assert_no_pings(standin: DiscordStandIn) -> None:
    """Every message the bot sent or edited allowed no mentions at all."""
    checked = 0
    for request in standin.requests:
        body = request.json if isinstance(request.json, dict) else {}
        data = body.get("data") if isinstance(body.get("data"), dict) else body
        if not data.get("content"):
            continue
        checked += 1
        allowed = data.get("allowed_mentions")
        assert allowed is not None, f"{request.method} {request.path} sent no allowed_mentions"
        assert allowed.get("parse") == [], allowed
        assert not allowed.get("users"), allowed
        assert not allowed.get("roles"), allowed
        assert not allowed.get("replied_user"), allowed
    assert checked, "no message content was sent at all"


async def setup_log(standin: DiscordStandIn, newsroom: Newsroom) -> None:
    """Have the admin choose the editors role and the log channel."""
    for command, options in (
        ("setup editors", {"role": newsroom.editors}),
        ("setup log", {"channel": newsroom.editors_desk}),
        ("setup announcements", {"channel": newsroom.news}),
    ):
        await (await standin.slash(newsroom.admin, newsroom.general, command, **options)).response()


async def asked_rows(bot: NewsroomBot) -> list[AskedQuestion]:
    """The questions the bot recorded."""
    async with bot.database.sessions() as session:
        return list(await session.scalars(select(AskedQuestion).order_by(AskedQuestion.id)))


async def test_ask_answers_with_quotes_and_citations_then_feedback(
    standin: DiscordStandIn, newsroom: Newsroom, guild_bot: BotStarter, database_url: str
) -> None:
    await seed(database_url)
    async with guild_bot() as bot:
        await standin.wait_for_commands("ask")
        asked = await standin.slash(
            newsroom.reader, newsroom.general, "ask", question="Did the US strike Iran?"
        )
        answer = await finished(asked)
        assert not answer.ephemeral, "answers to /ask are for the whole channel"
        assert "**What we know**" in answer.content
        assert STRIKE_QUOTE in answer.content
        assert TITLE in answer.content
        assert "23 Jun 2025" in answer.content
        assert f"<{ARTICLE_URL}>" in answer.content
        up, down = answer.custom_ids()
        assert up.startswith("question:feedback:")
        assert up.endswith(":up")
        assert down.endswith(":down")

        click = await standin.click(newsroom.reader, answer, up)
        thanks = await click.response()
        assert thanks.ephemeral
        assert "helpful" in thanks.content
        again = await standin.click(newsroom.reader, answer, down)
        assert "not helpful" in (await again.response()).content
        async with bot.database.sessions() as session:
            votes = list(await session.scalars(select(AnswerFeedback)))
        assert [(vote.user_id, vote.helpful) for vote in votes] == [(newsroom.reader.id, False)]

        nexts = await standin.slash(
            newsroom.reader,
            newsroom.general,
            "ask",
            question="What happens next between Iran and Russia?",
        )
        text = (await finished(nexts)).content
        assert "**What to watch** (what the site expects, not established fact)" in text
        assert "Araqchi" in text
        assert "Moscow" in text
        [first, second] = await asked_rows(bot)
        assert first.answered
        assert second.answered
        assert 'newsroom_answers_total{result="answered"} 2\n' in await bot.context.metrics.render()
    assert_no_pings(standin)


async def test_out_of_scope_is_declined_and_can_be_suggested_to_editors(
    standin: DiscordStandIn, newsroom: Newsroom, guild_bot: BotStarter, database_url: str
) -> None:
    await seed(database_url)
    async with guild_bot() as bot:
        await standin.wait_for_commands("ask", "setup")
        await setup_log(standin, newsroom)
        hostile = "@everyone will France ban **TikTok** <@&" + str(newsroom.editors.id) + ">?"
        asked = await standin.slash(newsroom.reader, newsroom.general, "ask", question=hostile)
        decline = await finished(asked)
        assert "We have no reporting on that yet." in decline.content
        assert "@everyone" not in decline.content, "hostile text is escaped"
        assert "\\*\\*TikTok\\*\\*" in decline.content
        assert not decline.mention_everyone
        assert not decline.mention_role_ids
        suggest_id = decline.custom_ids()[-1]
        assert suggest_id.startswith("question:suggest:")

        click = await standin.click(newsroom.reader, decline, suggest_id)
        assert "passed your question on" in (await click.response()).content
        await standin.wait_for(lambda: len(standin.messages_in(newsroom.editors_desk)) == 1)
        [notice] = standin.messages_in(newsroom.editors_desk)
        assert "TikTok" in notice.content
        assert not notice.mention_everyone
        twice = await standin.click(newsroom.reader, decline, suggest_id)
        assert "already passed on" in (await twice.response()).content

        [row] = await asked_rows(bot)
        assert not row.answered
        assert row.suggested_by == newsroom.reader.id
        assert 'newsroom_answers_total{result="declined"} 1\n' in await bot.context.metrics.render()
    assert_no_pings(standin)


async def test_mention_and_thread_context(
    standin: DiscordStandIn, newsroom: Newsroom, guild_bot: BotStarter, database_url: str
) -> None:
    iran, _local = await seed(database_url)
    async with guild_bot(NEWSROOM_QUESTIONS_PER_WINDOW=10) as bot:
        await standin.wait_for_commands("ask", "setup")
        await setup_log(standin, newsroom)
        question = await standin.post_message(
            newsroom.reader,
            newsroom.general,
            "What happens next between Iran and Russia?",
            mentions_bot=True,
        )
        reply = await reply_to(standin, question)
        assert "**What to watch**" in reply.content
        assert "Araqchi" in reply.content

        # Outside a thread, "What's the latest?" is about the newest story ...
        latest = await standin.post_message(
            newsroom.reader, newsroom.general, "What's the latest?", mentions_bot=True
        )
        assert "harbour bridge" in (await reply_to(standin, latest)).content.lower()

        # ... inside the Iran story's discussion thread it is about that story.
        articles = bot.get_cog("Articles")
        channel = bot.get_channel(newsroom.news.id)
        record = await articles.publisher.publish(iran, channel, manual=True)  # type: ignore[attr-defined]
        assert record.thread_id is not None
        [announcement] = standin.messages_in(newsroom.news)
        assert f"question:ask:{iran.id}" in announcement.custom_ids()
        thread = announcement.thread
        assert thread is not None
        there = await standin.post_message(
            newsroom.reader, thread, "What's the latest?", mentions_bot=True
        )
        in_thread = (await reply_to(standin, there)).content
        assert TITLE in in_thread
        assert "harbour" not in in_thread.lower()
        assert f"discussion: <https://discord.com/channels/{newsroom.guild.id}/{thread.id}>" in (
            in_thread
        )

        # The announcement's button opens a modal; the answer is private, this story first.
        opened = await standin.click(newsroom.reader, announcement, f"question:ask:{iran.id}")
        await opened.response()
        submitted = await standin.submit_modal(
            newsroom.reader, opened, {"question": "Did the US strike Iran?"}
        )
        private = await finished(submitted)
        assert private.ephemeral
        assert STRIKE_QUOTE in private.content
        sources = [row.source for row in await asked_rows(bot)]
        assert sources == ["mention", "mention", "mention", "button"]
    assert_no_pings(standin)


async def test_cooldown_bad_questions_and_unanswered_for_editors_only(
    standin: DiscordStandIn, newsroom: Newsroom, guild_bot: BotStarter, database_url: str
) -> None:
    await seed(database_url)
    async with guild_bot(NEWSROOM_QUESTIONS_PER_WINDOW=2) as bot:
        await standin.wait_for_commands("ask", "questions", "setup")
        await setup_log(standin, newsroom)
        for who in (newsroom.reader, newsroom.reader, newsroom.editor):
            asked = await standin.slash(
                who, newsroom.general, "ask", question="Will Moscow send troops?"
            )
            assert "no reporting" in (await finished(asked)).content
        flood = await standin.slash(
            newsroom.reader, newsroom.general, "ask", question="Will France ban TikTok?"
        )
        slow = await flood.response()
        assert slow.ephemeral
        assert "try again in" in slow.content
        assert " s." in slow.content

        long = await standin.slash(newsroom.editor, newsroom.general, "ask", question="why " * 100)
        refused = await long.response()
        assert refused.ephemeral
        assert "please keep it under 300" in refused.content
        blank = await standin.post_message(newsroom.editor, newsroom.general, "", mentions_bot=True)
        polite = await reply_to(standin, blank)
        assert polite.content.startswith("Ask me a question about the news")

        denied = await standin.slash(newsroom.reader, newsroom.general, "questions unanswered")
        refusal = await denied.response()
        assert refusal.ephemeral
        assert "Only editors" in refusal.content
        listed = await standin.slash(newsroom.editor, newsroom.general, "questions unanswered")
        shown = await listed.response()
        assert shown.ephemeral
        assert "3× Will Moscow send troops?" in shown.content
        assert len(await asked_rows(bot)) == 3, "refused questions are not recorded"
    assert_no_pings(standin)


async def test_questions_switched_off_in_a_server(
    standin: DiscordStandIn, newsroom: Newsroom, guild_bot: BotStarter, database_url: str
) -> None:
    await seed(database_url)
    async with guild_bot() as bot:
        await standin.wait_for_commands("ask", "setup")
        switch = await standin.slash(
            newsroom.admin, newsroom.general, "setup feature", feature="questions", enabled=False
        )
        await switch.response()
        mention = await standin.post_message(
            newsroom.reader, newsroom.general, "Did the US strike Iran?", mentions_bot=True
        )
        await standin.wait_until_processed()
        # The /ask after the mention is answered once the bot handled both.
        asked = await standin.slash(
            newsroom.reader, newsroom.general, "ask", question="Did the US strike Iran?"
        )
        refused = await asked.response()
        assert refused.ephemeral
        assert "Questions are switched off in this server" in refused.content
        await standin.wait_until_processed()
        assert [m for m in standin.messages_in(newsroom.general) if m.reference is mention] == []
        assert await asked_rows(bot) == []
