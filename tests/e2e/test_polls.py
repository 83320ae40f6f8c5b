"""Polls end to end: create, vote, change, remove, live results, close on time, suggestions."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import update

from bot.database import Database
from bot.models import Poll, utcnow
from tests.e2e.conftest import BotStarter, Newsroom
from tests.e2e.test_announce import ArticleSite, preview, site
from tests.standin import DiscordStandIn, Member, Message
from tests.standin.model import walk_components

__all__ = ["site"]  # the example article's site, a fixture shared with test_announce

FAST = {"NEWSROOM_POLL_UPDATE_SECONDS": 0.2, "NEWSROOM_POLL_MIN_DURATION_SECONDS": 1}


async def configure(standin: DiscordStandIn, newsroom: Newsroom) -> None:
    """Have the admin choose the announcement channel, the editors role and the log channel."""
    for command, options in (
        ("setup announcements", {"channel": newsroom.news}),
        ("setup editors", {"role": newsroom.editors}),
        ("setup log", {"channel": newsroom.editors_desk}),
    ):
        await (await standin.slash(newsroom.admin, newsroom.general, command, **options)).response()


async def create_poll(
    standin: DiscordStandIn,
    newsroom: Newsroom,
    *,
    who: Member | None = None,
    question: str = "Will Russia take a more active role?",
    options: str = "Yes; No; Too early to say",
    duration: str = "1h",
    **extra: Any,
) -> Message:
    """Run /poll create in #general and return the poll message the bot posted."""
    before = len(standin.messages_in(newsroom.general))
    interaction = await standin.slash(
        who or newsroom.editor,
        newsroom.general,
        "poll create",
        question=question,
        options=options,
        duration=duration,
        **extra,
    )
    await interaction.response()
    [reply] = await interaction.followups(1)
    assert reply.ephemeral
    assert reply.content.startswith("Poll #"), reply.content
    await standin.wait_for(lambda: len(standin.messages_in(newsroom.general)) > before)
    return standin.messages_in(newsroom.general)[-1]


def counts_shown(message: Message) -> str:
    """Return the poll embed's description."""
    return message.embeds[0]["description"]


async def click_text(standin: DiscordStandIn, who: Member, message: Message, custom_id: str) -> str:
    """Click a poll button and return the bot's private answer."""
    click = await standin.click(who, message, custom_id)
    response = await click.response()
    if response.deferred:
        [followup] = await click.followups(1)
        assert followup.ephemeral
        return followup.content
    assert response.ephemeral
    return response.content or ""


async def test_vote_change_and_remove_with_private_confirmations(
    standin: DiscordStandIn, newsroom: Newsroom, guild_bot: BotStarter
) -> None:
    async with guild_bot(**FAST) as bot:
        await configure(standin, newsroom)
        poll = await create_poll(standin, newsroom)
        assert poll.custom_ids() == [
            "poll:vote:1:0",
            "poll:vote:1:1",
            "poll:vote:1:2",
            "poll:remove:1",
        ]
        assert poll.embeds[0]["title"] == "Poll: Will Russia take a more active role?"

        text = await click_text(standin, newsroom.reader, poll, "poll:vote:1:0")
        assert text.startswith("Recorded your vote: **Yes**. You can change it until <t:")
        text = await click_text(standin, newsroom.reader, poll, "poll:vote:1:1")
        assert text.startswith("Changed your vote to **No**.")
        await standin.wait_for(lambda: "0% · 0 votes" in counts_shown(poll).split("**No**")[0])
        await standin.wait_for(lambda: "100% · 1 vote" in counts_shown(poll))
        text = await click_text(standin, newsroom.reader, poll, "poll:remove:1")
        assert text.startswith("Removed your vote.")
        text = await click_text(standin, newsroom.reader, poll, "poll:remove:1")
        assert text == "You have no vote in this poll to remove."
        await standin.wait_for(lambda: "0 members have voted" in counts_shown(poll))
        metrics = await bot.context.metrics.render()
        for action in ("added", "changed", "removed"):
            assert f'newsroom_votes_total{{action="{action}"}} 1\n' in metrics


def poll_row_count(standin: DiscordStandIn, message: Message, label: str) -> str:
    """Return the "N% · M votes" line under an option in the poll embed."""
    lines = counts_shown(message).split("\n")
    return lines[lines.index(f"**{label}**") + 1]


async def test_two_hundred_members_clicking_at_once_are_all_acknowledged_in_time(
    standin: DiscordStandIn, newsroom: Newsroom, guild_bot: BotStarter
) -> None:
    members = [newsroom.guild.add_member(f"reader{n}") for n in range(200)]
    async with guild_bot(**FAST) as bot:
        await configure(standin, newsroom)
        poll = await create_poll(standin, newsroom)
        clicks = await asyncio.gather(
            *(
                standin.click(member, poll, f"poll:vote:1:{n % 3}")
                for n, member in enumerate(members)
            )
        )
        answers = await asyncio.gather(*(click.response() for click in clicks))
        texts = await asyncio.gather(
            *(click_text_of(click, answer) for click, answer in zip(clicks, answers, strict=True))
        )
        assert all(text.startswith("Recorded your vote:") for text in texts)
        latest = max(click.original.created_mono - click.created_at for click in clicks)
        assert latest < standin.interaction_deadline, "every click was acknowledged in time"
        stored = await bot.context.polls.results(await bot.context.polls.get(1))
        assert [option.votes for option in stored.options] == [67, 67, 66]
        await standin.wait_for(lambda: "200 members have voted" in counts_shown(poll))
        assert poll_row_count(standin, poll, "Too early to say") == "`████░░░░░░░░` 33% · 66 votes"
    assert standin.rate_limit_hits == 0


async def click_text_of(click: Any, answer: Any) -> str:
    """Return the private text of an already-answered click."""
    if answer.deferred:
        [followup] = await click.followups(1, timeout=30)
        return followup.content
    return answer.content or ""


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def buttons_of(message: Message) -> list[dict[str, Any]]:
    """Return the message's buttons."""
    return [c for c in walk_components(message.components) if c.get("type") == 2]


def final_results_in(standin: DiscordStandIn, channel: Any) -> list[Message]:
    """Return the final-results messages the bot posted in a channel or thread."""
    return [
        m
        for m in standin.messages_in(channel)
        if m.embeds and m.embeds[0].get("title", "").startswith("Final results:")
    ]


async def set_deadline(database_url: str, poll_id: int, seconds_from_now: float) -> None:
    """Move a poll's stored deadline, as if time had passed while the bot was down."""
    database = Database(database_url)
    try:
        async with database.sessions.begin() as session:
            await session.execute(
                update(Poll)
                .where(Poll.id == poll_id)
                .values(closes_at=utcnow() + timedelta(seconds=seconds_from_now))
            )
    finally:
        await database.dispose()


async def test_a_poll_closes_at_its_deadline_with_disabled_buttons_results_and_chart(
    standin: DiscordStandIn, newsroom: Newsroom, guild_bot: BotStarter
) -> None:
    async with guild_bot(**FAST) as bot:
        await configure(standin, newsroom)
        poll = await create_poll(standin, newsroom, duration="2s")
        await click_text(standin, newsroom.reader, poll, "poll:vote:1:2")
        await click_text(standin, newsroom.editor, poll, "poll:vote:1:2")
        await click_text(standin, newsroom.admin, poll, "poll:vote:1:0")
        await standin.wait_for(lambda: final_results_in(standin, newsroom.general), timeout=10)
        [final] = final_results_in(standin, newsroom.general)
        record = await bot.context.polls.get(1)
    assert not record.is_open
    assert record.closed_at is not None
    assert record.closed_at >= record.closes_at
    assert record.final_counts == (1, 0, 2)
    assert "Most chosen: **Too early to say** (67%)." in final.embeds[0]["description"]
    [chart] = final.attachments
    assert chart.filename == "results.png"
    assert chart.data.startswith(PNG_SIGNATURE)
    assert final.embeds[0]["image"]["url"].endswith("results.png")
    assert all(button["disabled"] for button in buttons_of(poll)), "closing disables the buttons"
    assert poll.embeds[0]["title"].startswith("Poll closed:")


async def test_deadlines_survive_restarts_and_an_overdue_poll_closes_on_start(
    standin: DiscordStandIn, newsroom: Newsroom, guild_bot: BotStarter, database_url: str
) -> None:
    async with guild_bot(**FAST):
        await configure(standin, newsroom)
        overdue = await create_poll(standin, newsroom, question="Overdue?", duration="1h")
        rearmed = await create_poll(standin, newsroom, question="Re-armed?", duration="1h")
        await click_text(standin, newsroom.reader, overdue, "poll:vote:1:1")
    # While the bot is down, the first deadline passes and the second comes near.
    await set_deadline(database_url, 1, -60)
    await set_deadline(database_url, 2, 2)
    async with guild_bot(**FAST) as bot:
        await standin.wait_for(lambda: len(final_results_in(standin, newsroom.general)) == 1)
        first = await bot.context.polls.get(1)
        assert not first.is_open
        assert first.final_counts == (0, 1, 0)
        assert (await bot.context.polls.get(2)).is_open
        # The buttons of the re-armed poll still work after the restart (custom_id round trip).
        text = await click_text(standin, newsroom.reader, rearmed, "poll:vote:2:0")
        assert text.startswith("Recorded your vote: **Yes**")
        await standin.wait_for(lambda: len(final_results_in(standin, newsroom.general)) == 2)
        second = await bot.context.polls.get(2)
    assert second.closed_at is not None
    assert second.closed_at >= second.closes_at
    assert second.final_counts == (1, 0, 0)
    assert all(button["disabled"] for button in buttons_of(overdue))


async def test_readers_cannot_create_or_close_polls_and_bad_input_is_explained(
    standin: DiscordStandIn, newsroom: Newsroom, guild_bot: BotStarter
) -> None:
    async with guild_bot(**FAST):
        await configure(standin, newsroom)
        refused = await standin.slash(
            newsroom.reader,
            newsroom.general,
            "poll create",
            question="Will it rain?",
            options="Yes; No",
            duration="1h",
        )
        answer = await refused.response()
        assert answer.ephemeral
        assert answer.content.startswith("Only editors can do that.")
        for options, duration, expected in (
            ("Yes", "1h", "A poll needs at least 2 options"),
            ("; ".join(f"o{n}" for n in range(26)), "1h", "at most 25 options"),
            ("Yes; No", "soon", "I couldn't read 'soon' as a duration."),
            ("Yes; yes", "1h", "Two options are the same"),
        ):
            bad = await standin.slash(
                newsroom.editor,
                newsroom.general,
                "poll create",
                question="Will it rain?",
                options=options,
                duration=duration,
            )
            reply = await bad.response()
            assert reply.ephemeral
            assert expected in (reply.content or ""), reply.content
        native = await standin.slash(
            newsroom.editor,
            newsroom.general,
            "poll create",
            question="Q?",
            options="; ".join(f"o{n}" for n in range(11)),
            duration="1h",
            native=True,
        )
        assert "at most 10 options" in (await native.response()).content
        poll = await create_poll(standin, newsroom)
        close = await standin.slash(newsroom.reader, newsroom.general, "poll close", poll=1)
        assert (await close.response()).content.startswith("Only editors can do that.")
        export = await standin.slash(newsroom.reader, newsroom.general, "poll export", poll=1)
        assert (await export.response()).content.startswith("Only editors can do that.")
    assert len([m for m in standin.messages_in(newsroom.general) if m.embeds]) == 1
    assert poll.embeds[0]["title"].startswith("Poll:")


def poll_edits(standin: DiscordStandIn, message: Message) -> list[Any]:
    """Return the bot's edits of a message."""
    return [
        r
        for r in standin.requests_to("PATCH", "/channels/{channel_id}/messages/{message_id}")
        if r.path.endswith(f"/messages/{message.id}")
    ]


async def test_five_hundred_votes_in_seconds_make_few_edits_and_no_429s(
    standin: DiscordStandIn, newsroom: Newsroom, guild_bot: BotStarter
) -> None:
    members = [newsroom.guild.add_member(f"reader{n}") for n in range(500)]
    interval = 0.5
    async with guild_bot(**{**FAST, "NEWSROOM_POLL_UPDATE_SECONDS": interval}):
        await configure(standin, newsroom)
        poll = await create_poll(standin, newsroom)
        loop = asyncio.get_running_loop()
        started = loop.time()
        for wave in range(10):  # 500 votes in ten waves, each answered before the next
            clicks = await asyncio.gather(
                *(
                    standin.click(member, poll, f"poll:vote:1:{n % 2}")
                    for n, member in enumerate(members[wave * 50 : (wave + 1) * 50])
                )
            )
            await asyncio.gather(*(click.response() for click in clicks))
        await standin.wait_for(lambda: "500 members have voted" in counts_shown(poll), timeout=10)
        elapsed = loop.time() - started
        edits = poll_edits(standin, poll)
    assert standin.rate_limit_hits == 0
    # At most one edit per interval (the first vote after a quiet spell shows at once).
    assert 1 <= len(edits) <= elapsed / interval + 2, (len(edits), elapsed)
    assert all(edit.status == 200 for edit in edits)
    assert poll_row_count(standin, poll, "Yes") == "`██████░░░░░░` 50% · 250 votes"


async def test_editors_open_suggested_polls_from_the_articles_reader_questions(
    standin: DiscordStandIn, newsroom: Newsroom, guild_bot: BotStarter, site: ArticleSite
) -> None:
    async with guild_bot(SITE_URL=site.url, **FAST) as bot:
        await configure(standin, newsroom)
        shown = await preview(standin, newsroom, f"{site.url}/iran-putin/")
        await (await standin.click(newsroom.editor, shown, shown.custom_ids()[0])).response()
        await standin.wait_for(lambda: len(standin.messages_in(newsroom.news)) == 1)
        [announcement] = standin.messages_in(newsroom.news)
        await standin.wait_for(lambda: announcement.thread is not None)
        thread = announcement.thread
        await standin.wait_for(lambda: standin.messages_in(newsroom.editors_desk))
        [ideas] = standin.messages_in(newsroom.editors_desk)
        assert "1. Will Russia take a more active role? — Yes / No / Too early to say" in (
            ideas.content
        )
        assert "2. How will the U.S. respond next? — you choose the options" in ideas.content
        record = await bot.context.announcements.by_message_or_thread(announcement.id)
        assert record is not None
        one_click, with_options = ideas.custom_ids()
        assert one_click == f"poll:suggest:{record.id}:0"

        refused = await standin.click(newsroom.reader, ideas, one_click)
        assert (await refused.response()).content.startswith("Only editors can do that.")
        opened = await standin.click(newsroom.editor, ideas, one_click)
        await opened.response()
        [reply] = await opened.followups(1)
        assert reply.content.startswith("Opened poll #1 in ")
        await standin.wait_for(lambda: len(standin.messages_in(newsroom.news)) == 2)
        poll = standin.messages_in(newsroom.news)[-1]
        assert poll.embeds[0]["title"] == "Poll: Will Russia take a more active role?"
        assert [b["label"] for b in buttons_of(poll)] == [
            "Yes",
            "No",
            "Too early to say",
            "Remove my vote",
        ]
        stored = await bot.context.polls.get(1)
        assert stored.article_id == record.article_id
        await standin.wait_for(lambda: standin.messages_in(thread))
        assert "A poll on this story is open until" in standin.messages_in(thread)[0].content

        again = await standin.click(newsroom.editor, ideas, one_click)
        await again.response()
        [twice] = await again.followups(1)
        assert twice.content == "That poll was opened already (poll #1)."

        modal = await standin.click(newsroom.editor, ideas, with_options)
        assert (await modal.response()).modal is not None
        submitted = await standin.submit_modal(
            newsroom.editor,
            modal,
            {"question": "How will the U.S. respond next?", "options": "Diplomacy | Sanctions"},
        )
        await submitted.response()
        [second] = await submitted.followups(1)
        assert second.content.startswith("Opened poll #2 in ")

        await click_text(standin, newsroom.reader, poll, "poll:vote:1:0")
        close = await standin.slash(newsroom.editor, newsroom.general, "poll close", poll=1)
        await close.response()
        [closed] = await close.followups(1)
        assert closed.content == f"Closed poll #1; the final results are in <#{thread.id}>."
        await standin.wait_for(lambda: final_results_in(standin, thread))
        [final] = final_results_in(standin, thread)
    assert "Most chosen: **Yes** (100%)." in final.embeds[0]["description"]


async def test_native_polls_are_mirrored_and_their_final_counts_stored(
    standin: DiscordStandIn, newsroom: Newsroom, guild_bot: BotStarter
) -> None:
    async with guild_bot(**FAST) as bot:
        await configure(standin, newsroom)
        interaction = await standin.slash(
            newsroom.editor,
            newsroom.general,
            "poll create",
            question="Will the talks in Moscow produce a deal?",
            options="Yes | No | Too early to say",
            duration="2h",
            native=True,
        )
        await interaction.response()
        [reply] = await interaction.followups(1)
        assert "Discord's own polls show who voted." in reply.content
        [message] = standin.messages_in(newsroom.general)
        assert message.poll is not None
        assert [a.text for a in message.poll.answers] == ["Yes", "No", "Too early to say"]
        await standin.vote_poll(newsroom.reader, message, answer_id=1)
        await standin.vote_poll(newsroom.editor, message, answer_id=3)
        await standin.vote_poll(newsroom.admin, message, answer_id=3)
        await standin.unvote_poll(newsroom.admin, message, answer_id=3)
        await standin.vote_poll(newsroom.admin, message, answer_id=2)
        await standin.wait_until_processed()
        await bot.context.polls.settled()
        poll = await bot.context.polls.get(1)
        mirrored = await bot.context.polls.results(poll)
        assert [option.votes for option in mirrored.options] == [1, 1, 1]

        await standin.end_poll(message)
        await standin.wait_for(lambda: final_results_in(standin, newsroom.general))
        closed = await bot.context.polls.get(1)
    assert closed.final_counts == (1, 1, 1)
    assert not closed.is_open


async def test_multiple_choice_hidden_results_list_results_and_export(
    standin: DiscordStandIn, newsroom: Newsroom, guild_bot: BotStarter
) -> None:
    async with guild_bot(**FAST):
        await configure(standin, newsroom)
        poll = await create_poll(
            standin,
            newsroom,
            question="Which sources do you trust?",
            options="Wires | Broadcasters | Newspapers",
            multiple=True,
            hide_results=True,
        )
        text = await click_text(standin, newsroom.reader, poll, "poll:vote:1:0")
        assert text.startswith("Recorded: your choices are **Wires**.")
        text = await click_text(standin, newsroom.reader, poll, "poll:vote:1:2")
        assert text.startswith("Recorded: your choices are **Wires**, **Newspapers**.")
        text = await click_text(standin, newsroom.reader, poll, "poll:vote:1:0")
        assert text.startswith("Removed that choice; you now have **Newspapers**.")
        await click_text(standin, newsroom.editor, poll, "poll:vote:1:2")
        await standin.wait_for(lambda: "2 members have voted" in counts_shown(poll))
        assert "%" not in counts_shown(poll), "results stay hidden while the poll is open"
        assert "Results are shown when the poll closes." in counts_shown(poll)

        hidden = await standin.slash(newsroom.reader, newsroom.general, "poll results", poll=1)
        assert "are shown when it closes" in (await hidden.response()).content

        typed = await standin.autocomplete(
            newsroom.editor, newsroom.general, "poll close", "poll", poll="sources"
        )
        assert (await typed.response()).choices == [
            {"name": "#1 Which sources do you trust?", "value": 1}
        ]

        listing = await standin.slash(newsroom.reader, newsroom.general, "poll list")
        listed = await listing.response()
        assert listed.ephemeral
        assert listed.content.startswith("#1 **Which sources do you trust?** — closes <t:")

        export = await standin.slash(newsroom.editor, newsroom.general, "poll export", poll=1)
        exported = await export.response()
        assert exported.ephemeral
        [csv_file] = exported.message.attachments
        assert csv_file.filename == "poll-1-counts.csv"
        assert csv_file.data.decode().splitlines() == [
            "question,option,votes,percent",
            "Which sources do you trust?,Wires,0,0",
            "Which sources do you trust?,Broadcasters,0,0",
            "Which sources do you trust?,Newspapers,2,100",
            "Which sources do you trust?,(voters),2,",
        ]
        assert str(newsroom.reader.id) not in csv_file.data.decode(), "counts only"

        close = await standin.slash(newsroom.editor, newsroom.general, "poll close", poll=1)
        await close.response()
        await close.followups(1)
        shown = await standin.slash(newsroom.reader, newsroom.general, "poll results", poll=1)
        answer = await shown.response()
        assert answer.content == "Your vote: **Newspapers**"
        assert "100% · 2 votes" in answer.embeds[0]["description"]


async def test_polls_with_more_than_twenty_options_use_a_menu(
    standin: DiscordStandIn, newsroom: Newsroom, guild_bot: BotStarter
) -> None:
    async with guild_bot(**FAST):
        await configure(standin, newsroom)
        options = "; ".join(f"Option {n}" for n in range(1, 26))
        poll = await create_poll(standin, newsroom, question="Pick one", options=options)
        assert poll.custom_ids() == ["poll:pick:1", "poll:remove:1"]
    async with guild_bot(**FAST):  # the menu keeps working after a restart
        click = await standin.click(newsroom.reader, poll, "poll:pick:1", values=["24"])
        answer = await click.response()
        assert answer.content.startswith("Recorded your vote: **Option 25**.")
