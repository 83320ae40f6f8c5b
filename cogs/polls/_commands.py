"""/poll create, close, results, list and export."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.app.checks import require_bot_permissions, require_editor
from bot.app.context import AppContext
from bot.errors import InvalidInput, NotConfigured
from bot.guild_settings import Feature
from bot.polls.drafts import PollKind, build_draft
from bot.polls.results import results_csv
from cogs.polls._cog import NO_MENTIONS, jump_url
from cogs.polls._render import escape, poll_embed, timestamp

if TYPE_CHECKING:
    from cogs.polls._cog import PollsCog

POLL_PERMISSIONS = ("view_channel", "send_messages", "embed_links", "attach_files")
THREAD_PERMISSIONS = ("view_channel", "send_messages_in_threads", "embed_links", "attach_files")


class PollCommands(app_commands.Group):
    """Reader polls."""

    def __init__(self, context: AppContext, cog: PollsCog) -> None:
        super().__init__(name="poll", description="Reader polls", guild_only=True)
        self.context = context
        self.cog = cog

    async def _poll_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        """Offer the server's polls whose question matches what was typed."""
        if interaction.guild_id is None:
            return []
        found = await self.context.polls.search(interaction.guild_id, current)
        return [
            app_commands.Choice(name=f"#{poll_id} {question}"[:100], value=poll_id)
            for poll_id, question in found
        ]

    @app_commands.command(name="create", description="Open a poll (editors)")
    @app_commands.describe(
        question="What readers are asked (up to 300 characters)",
        options="The answers, separated by ; or | (2 to 25; 10 for a native poll)",
        duration='How long it runs, like "30m", "2h" or "1d"',
        anonymous="Keep who voted what hidden (default: yes)",
        multiple="Let members pick more than one option (default: no)",
        channel="Where to post it (default: here)",
        native="Use Discord's own poll instead of buttons (whole hours, up to 10 options)",
        hide_results="Show the results only once the poll closes (default: no)",
    )
    async def create(
        self,
        interaction: discord.Interaction,
        question: app_commands.Range[str, 1, 300],
        options: app_commands.Range[str, 1, 2000],
        duration: app_commands.Range[str, 1, 30],
        anonymous: bool = True,
        multiple: bool = False,
        channel: app_commands.AppCommandChannel | None = None,
        native: bool = False,
        hide_results: bool = False,
    ) -> None:
        """Validate, store and post a poll; link it to the article when posted in its thread."""
        config = await require_editor(interaction, self.context.guild_settings)
        if not config.enabled(Feature.POLLS):
            raise NotConfigured("Polls are switched off here; an admin can use /setup feature.")
        target = self._target(interaction, channel)
        draft = build_draft(
            question,
            options,
            duration,
            kind=PollKind.NATIVE if native else PollKind.BUTTONS,
            anonymous=anonymous and not native,  # Discord shows who voted in its own polls
            multiple=multiple,
            hide_results=hide_results and not native,
            min_duration=timedelta(seconds=self.context.settings.poll_min_duration_seconds),
        )
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        announcement = await self.context.announcements.by_message_or_thread(target.id)
        poll = await self.context.polls.create(
            draft,
            guild_id=interaction.guild_id,
            channel_id=target.id,
            created_by=interaction.user.id,
            article_id=announcement.article_id if announcement else None,
        )
        poll = await self.cog.post_poll(poll, target)
        link = jump_url(interaction.guild_id, target.id, poll.message_id)
        note = " Discord's own polls show who voted." if native and anonymous else ""
        await interaction.followup.send(
            f"Poll #{poll.id} is open in {target.mention} until {timestamp(poll.closes_at)}: "
            f"{link}{note}",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    def _target(
        self, interaction: discord.Interaction, channel: app_commands.AppCommandChannel | None
    ) -> discord.TextChannel | discord.Thread:
        """Find where to post and check that I can post there."""
        guild = interaction.guild
        assert guild is not None
        found = guild.get_channel_or_thread(channel.id) if channel else interaction.channel
        if not isinstance(found, discord.TextChannel | discord.Thread):
            raise InvalidInput("Pick a text or announcement channel (or a thread) for the poll.")
        needed = THREAD_PERMISSIONS if isinstance(found, discord.Thread) else POLL_PERMISSIONS
        require_bot_permissions(found, guild.me, needed)  # type: ignore[arg-type]
        return found

    @app_commands.command(name="close", description="Close a poll now and post its results")
    @app_commands.describe(poll="The poll to close")
    async def close(self, interaction: discord.Interaction, poll: int) -> None:
        """Close a poll before its deadline (editors)."""
        await require_editor(interaction, self.context.guild_settings)
        assert interaction.guild_id is not None
        record = await self.context.polls.get(poll, guild_id=interaction.guild_id)
        if not record.is_open:
            raise InvalidInput(f"Poll #{record.id} is closed already.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        closed = await self.cog.close_poll(record)
        if closed is None:
            text = f"Poll #{record.id} had just closed; its results are posted."
        else:
            where = closed.results_channel_id or closed.channel_id
            text = f"Closed poll #{closed.id}; the final results are in <#{where}>."
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="results", description="See a poll's results (only you see them)")
    @app_commands.describe(poll="The poll")
    async def results(self, interaction: discord.Interaction, poll: int) -> None:
        """Show the results privately, with the member's own vote."""
        assert interaction.guild_id is not None
        record = await self.context.polls.get(poll, guild_id=interaction.guild_id)
        if record.is_open and record.hide_results:
            await interaction.response.send_message(
                f"The results of poll #{record.id} are shown when it closes, "
                f"{timestamp(record.closes_at)}.",
                ephemeral=True,
            )
            return
        results = await self.context.polls.results(record)
        mine = await self.context.polls.choices_of(record, interaction.user.id)
        text = (
            "Your vote: " + ", ".join(f"**{escape(choice)}**" for choice in mine)
            if mine
            else "You have not voted in this poll."
        )
        await interaction.response.send_message(
            text, embed=poll_embed(record, results), ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    @app_commands.command(name="list", description="List the open polls")
    async def list_polls(self, interaction: discord.Interaction) -> None:
        """List the server's open polls, soonest deadline first."""
        assert interaction.guild_id is not None
        polls = await self.context.polls.list(interaction.guild_id)
        if not polls:
            await interaction.response.send_message("No poll is open right now.", ephemeral=True)
            return
        lines = [
            f"#{poll.id} **{escape(poll.question[:150])}** — closes "
            f"{timestamp(poll.closes_at, 'R')} in <#{poll.channel_id}> "
            f"{jump_url(poll.guild_id, poll.channel_id, poll.message_id)}"
            for poll in polls
        ]
        await interaction.response.send_message(
            "\n".join(lines)[:2000], ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    @app_commands.command(name="export", description="Download a poll's counts as CSV (editors)")
    @app_commands.describe(poll="The poll")
    async def export(self, interaction: discord.Interaction, poll: int) -> None:
        """Send the counts (never who voted what) as a CSV file."""
        await require_editor(interaction, self.context.guild_settings)
        assert interaction.guild_id is not None
        record = await self.context.polls.get(poll, guild_id=interaction.guild_id)
        results = await self.context.polls.results(record)
        data = results_csv(record.question, results).encode("utf-8")
        await interaction.response.send_message(
            f"Counts of poll #{record.id} ({results.voters} voted).",
            file=discord.File(io.BytesIO(data), filename=f"poll-{record.id}-counts.csv"),
            ephemeral=True,
        )

    for command in (close, results, export):
        command.autocomplete("poll")(_poll_choices)
    del command
