"""Poll messages: the live embed, the buttons, the final results and the chart."""

from __future__ import annotations

import io
from datetime import datetime

import discord

from bot.polls.chart import results_chart
from bot.polls.results import PollResults, bar
from bot.polls.service import PollRecord
from bot.polls.suggestions import PollSuggestion
from cogs.polls._views import PickSelect, RemoveButton, SuggestButton, VoteButton

POLL_COLOUR = discord.Colour.blurple()
CLOSED_COLOUR = discord.Colour.dark_grey()
MAX_BUTTON_OPTIONS = 20  # four rows of five; more options use a select menu
BUTTON_LABEL_LIMIT = 80
LABEL_IN_TEXT_LIMIT = 120
CHART_NAME = "results.png"


def escape(text: str) -> str:
    """Escape markdown and mentions in text an editor or the site wrote."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def timestamp(moment: datetime, style: str = "f") -> str:
    """Format a moment as a Discord timestamp (shown in each reader's own time zone)."""
    return f"<t:{int(moment.timestamp())}:{style}>"


def describe_rules(poll: PollRecord) -> str:
    """Say in a few words how the poll works."""
    parts = ["anonymous" if poll.anonymous else "public votes"]
    parts.append("pick any number of options" if poll.multiple else "one choice")
    if poll.hide_results:
        parts.append("results hidden until it closes")
    return " · ".join(parts)


def result_lines(results: PollResults) -> str:
    """Render each option with its votes, percentage and bar."""
    lines = []
    for option in results.options:
        label = escape(option.label[:LABEL_IN_TEXT_LIMIT])
        votes = "vote" if option.votes == 1 else "votes"
        lines.append(
            f"**{label}**\n`{bar(option.percent)}` {option.percent}% · {option.votes} {votes}"
        )
    return "\n".join(lines)


def poll_embed(poll: PollRecord, results: PollResults) -> discord.Embed:
    """Build the poll message's embed: the question and (unless hidden) the results so far."""
    closed = not poll.is_open
    if closed or not poll.hide_results:
        body = result_lines(results)
    else:
        body = "\n".join(f"**{escape(label[:LABEL_IN_TEXT_LIMIT])}**" for label in poll.options)
        body += "\n\n*Results are shown when the poll closes.*"
    voters = "member has" if results.voters == 1 else "members have"
    if closed:
        when = f"Closed {timestamp(poll.closed_at or poll.closes_at)}"
    else:
        when = f"Closes {timestamp(poll.closes_at)} ({timestamp(poll.closes_at, 'R')})"
    embed = discord.Embed(
        title=("Poll closed: " if closed else "Poll: ") + poll.question[:240],
        description=f"{body}\n\n{results.voters} {voters} voted. {when}.",
        colour=CLOSED_COLOUR if closed else POLL_COLOUR,
    )
    embed.set_footer(text=f"Poll #{poll.id} · {describe_rules(poll)}")
    return embed


def poll_view(poll: PollRecord) -> discord.ui.View:
    """Build the buttons (or the select menu) and Remove my vote; disabled once closed."""
    view = discord.ui.View(timeout=None)
    disabled = not poll.is_open
    if len(poll.options) <= MAX_BUTTON_OPTIONS:
        for position, label in enumerate(poll.options):
            button = VoteButton(poll.id, position, label=label[:BUTTON_LABEL_LIMIT])
            button.item.disabled = disabled
            button.item.row = position // 5
            view.add_item(button)
    else:
        select = PickSelect(poll.id, list(poll.options))
        select.item.disabled = disabled
        view.add_item(select)
    remove = RemoveButton(poll.id)
    remove.item.disabled = disabled
    remove.item.row = 4
    view.add_item(remove)
    return view


def final_embed(poll: PollRecord, results: PollResults, voters: list[str] | None) -> discord.Embed:
    """Build the final results posted when a poll closes, with the chart as its image."""
    leaders = results.leaders()
    if not leaders:
        headline = "Nobody voted."
    elif len(leaders) == 1:
        headline = f"Most chosen: **{escape(leaders[0].label)}** ({leaders[0].percent}%)."
    else:
        headline = "A tie between " + ", ".join(f"**{escape(o.label)}**" for o in leaders) + "."
    description = f"{headline}\n\n{result_lines(results)}\n\n{results.voters} voted."
    if voters:
        description += "\n\n" + "\n".join(voters)
    embed = discord.Embed(
        title="Final results: " + poll.question[:235],
        description=description[:4096],
        colour=POLL_COLOUR,
        timestamp=poll.closed_at,
    )
    embed.set_image(url=f"attachment://{CHART_NAME}")
    embed.set_footer(text=f"Poll #{poll.id}")
    return embed


def chart_file(results: PollResults) -> discord.File:
    """Render the results chart as an attachment."""
    return discord.File(
        io.BytesIO(results_chart(results)), filename=CHART_NAME, description="Bar chart of votes"
    )


def native_poll(poll: PollRecord) -> discord.Poll:
    """Build Discord's own poll from a stored one."""
    native = discord.Poll(
        question=poll.question,
        duration=poll.closes_at - poll.created_at,
        multiple=poll.multiple,
    )
    for label in poll.options:
        native.add_answer(text=label)
    return native


def suggestions_view(announcement_id: int, suggestions: list[PollSuggestion]) -> discord.ui.View:
    """One "Open poll" button per suggestion (editors only, checked on click)."""
    view = discord.ui.View(timeout=None)
    for index, suggestion in enumerate(suggestions[:25]):
        label = f"Open poll {index + 1}" if suggestion.one_click else f"Open poll {index + 1}…"
        view.add_item(SuggestButton(announcement_id, index, label=label))
    return view


def suggestions_text(title: str, link: str, suggestions: list[PollSuggestion]) -> str:
    """List the suggested polls for the editors."""
    lines = [f"Poll ideas from the reader questions of **{escape(title[:200])}** ({link}):"]
    for index, suggestion in enumerate(suggestions, start=1):
        options = " / ".join(suggestion.options) if suggestion.options else "you choose the options"
        lines.append(f"{index}. {escape(suggestion.question)} — {options}")
    lines.append("Press a button to open that poll in the story's channel and thread.")
    return "\n".join(lines)[:2000]
