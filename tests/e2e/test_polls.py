"""Polls end to end: create, vote, change, remove, live results, close on time, suggestions."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.e2e.conftest import BotStarter, Newsroom
from tests.standin import DiscordStandIn, Member, Message

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
    async with guild_bot(**FAST):
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
