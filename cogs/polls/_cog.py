"""Polls: post polls, record votes within Discord's 3 s, keep results live, close on time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import discord
from discord.ext import commands

from bot.app.checks import require_editor
from bot.app.context import AppContext
from bot.articles.announcements import AnnouncementRecord
from bot.articles.store import StoredArticle
from bot.errors import NotConfigured, NotFound
from bot.guild_settings import Feature
from bot.polls.deadlines import DeadlineOwnership, DeadlineScheduler
from bot.polls.drafts import PollKind, build_draft
from bot.polls.service import PollRecord, VoteAction, VoteOutcome
from bot.polls.suggestions import suggest_poll
from cogs.polls._live import LiveResults
from cogs.polls._render import (
    chart_file,
    escape,
    final_embed,
    native_poll,
    poll_embed,
    poll_view,
    suggestions_text,
    suggestions_view,
    timestamp,
)
from cogs.polls._views import OptionsModal

log = logging.getLogger(__name__)

# Answer with the confirmation itself (one request) if the vote commits this soon after the
# click; otherwise defer first, then send the confirmation as a follow-up once committed.
ACK_BUDGET_SECONDS = 2.0
BUSY_BACKLOG = 1000  # a click queued behind this many others is deferred at once
NO_MENTIONS = discord.AllowedMentions.none()
VOTERS_SHOWN = 30


def jump_url(guild_id: int, channel_id: int, message_id: int | None) -> str:
    """Link to a message, or to the channel when the message is unknown."""
    base = f"https://discord.com/channels/{guild_id}/{channel_id}"
    return f"{base}/{message_id}" if message_id else base


def vote_text(outcome: VoteOutcome) -> str:
    """Say what was recorded and until when it can be changed."""
    poll = outcome.poll
    until = f"{timestamp(poll.closes_at)} ({timestamp(poll.closes_at, 'R')})"
    chosen = ", ".join(f"**{escape(choice)}**" for choice in outcome.choices)
    if poll.multiple:
        if outcome.action is VoteAction.REMOVED:
            now = f"you now have {chosen}" if chosen else "you have no choices left"
            return f"Removed that choice; {now}. You can change your choices until {until}."
        return (
            f"Recorded: your choices are {chosen}. Press an option again to take it back; "
            f"you can change your choices until {until}."
        )
    if outcome.action is VoteAction.UNCHANGED:
        return f"Your vote for {chosen} was already recorded. You can change it until {until}."
    verb = "Changed your vote to" if outcome.action is VoteAction.CHANGED else "Recorded your vote:"
    return (
        f"{verb} {chosen}. You can change it until {until}: press another option, "
        "or Remove my vote."
    )


class PollsCog(commands.Cog, name="Polls"):
    """Button and native polls, their live results, deadlines and suggestions."""

    def __init__(self, bot: commands.Bot, context: AppContext) -> None:
        self.bot = bot
        self.context = context
        self.polls = context.polls
        self.votes = context.metrics.counter(
            "newsroom_votes_total", "Poll clicks recorded, by what they did", ["action"]
        )
        self.live = LiveResults(self._show_live, interval=context.settings.poll_update_seconds)
        lease = context.leases.lease("poll-deadlines") if context.leases else None
        self.scheduler = DeadlineScheduler(
            self.polls,
            self._close_due,
            recover=self._post_missing_results,
            ownership=DeadlineOwnership(lease),
        )

    async def cog_load(self) -> None:
        """Arm the deadlines: overdue polls close now, the others at their time."""
        self.scheduler.start()

    async def cog_unload(self) -> None:
        """Stop the deadline task and pending edits; everything is in the database."""
        await self.scheduler.stop()
        await self.live.stop()

    # Channels ------------------------------------------------------------------------------

    def messageable(self, channel_id: int, guild_id: int | None) -> Any:
        """Return a channel to send to or edit in, cached or not (REST needs only the id)."""
        channel = self.bot.get_channel(channel_id)
        if isinstance(channel, discord.abc.Messageable):
            return channel
        return self.bot.get_partial_messageable(channel_id, guild_id=guild_id)

    # Posting -------------------------------------------------------------------------------

    async def post_poll(self, poll: PollRecord, channel: discord.abc.Messageable) -> PollRecord:
        """Post a stored poll; a poll that cannot be posted is deleted again."""
        try:
            if poll.kind is PollKind.NATIVE:
                message = await channel.send(poll=native_poll(poll), allowed_mentions=NO_MENTIONS)
            else:
                results = await self.polls.results(poll)
                message = await channel.send(
                    embed=poll_embed(poll, results),
                    view=poll_view(poll),
                    allowed_mentions=NO_MENTIONS,
                )
        except discord.HTTPException:
            await self.polls.discard(poll.id)
            raise
        poll = await self.polls.attach_message(poll.id, message.id)
        self.scheduler.wake()
        log.info("Poll %s posted in channel %s", poll.id, poll.channel_id)
        return poll

    # Voting --------------------------------------------------------------------------------

    async def vote(self, interaction: discord.Interaction, poll_id: int, position: int) -> None:
        """Record a click; answer within the 3 s window, saying "recorded" only after commit."""
        work = asyncio.ensure_future(self.polls.vote(poll_id, interaction.user.id, position))
        outcome = await self._within_ack(interaction, work)
        self.votes.inc(action=outcome.action.value)
        await self._reply(interaction, vote_text(outcome))
        if outcome.action is not VoteAction.UNCHANGED:
            self.live.touch(poll_id)

    async def remove_vote(self, interaction: discord.Interaction, poll_id: int) -> None:
        """Take back a member's vote."""
        work = asyncio.ensure_future(self.polls.remove_vote(poll_id, interaction.user.id))
        poll, removed = await self._within_ack(interaction, work)
        if not removed:
            await self._reply(interaction, "You have no vote in this poll to remove.")
            return
        until = timestamp(poll.closes_at)
        self.votes.inc(action="removed")
        await self._reply(interaction, f"Removed your vote. You can vote again until {until}.")
        self.live.touch(poll_id)

    async def _within_ack(self, interaction: discord.Interaction, work: asyncio.Future[Any]) -> Any:
        """Wait for `work`; if it is slow, defer first so Discord's 3 s window is kept."""
        waited = (discord.utils.utcnow() - interaction.created_at).total_seconds()
        budget = ACK_BUDGET_SECONDS - waited
        if self.polls.backlog > BUSY_BACKLOG:
            budget = 0.0  # more than a batch ahead of this click: acknowledge first
        try:
            return await asyncio.wait_for(asyncio.shield(work), timeout=max(budget, 0.0))
        except TimeoutError:
            await interaction.response.defer(ephemeral=True, thinking=True)
            return await work

    async def _reply(self, interaction: discord.Interaction, text: str) -> None:
        """Answer privately, directly or as the follow-up of a deferral."""
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        else:
            await interaction.response.send_message(
                text, ephemeral=True, allowed_mentions=NO_MENTIONS
            )

    async def _show_live(self, poll_id: int) -> None:
        """Edit a poll's message to show the counts now (called by LiveResults, coalesced)."""
        poll = await self.polls.get(poll_id)
        if not poll.is_open or poll.message_id is None or poll.kind is PollKind.NATIVE:
            return
        results = await self.polls.results(poll)
        channel = self.messageable(poll.channel_id, poll.guild_id)
        await channel.get_partial_message(poll.message_id).edit(embed=poll_embed(poll, results))

    # Closing -------------------------------------------------------------------------------

    async def _close_due(self, poll: PollRecord) -> None:
        """Close a poll whose deadline passed (called by the deadline scheduler)."""
        await self.close_poll(poll)

    async def close_poll(
        self, poll: PollRecord, *, final_counts: Sequence[int] | None = None
    ) -> PollRecord | None:
        """Close a poll once: record the counts, disable the buttons, post the final results."""
        if poll.kind is PollKind.NATIVE and final_counts is None:
            final_counts = await self._end_native(poll)
        closed = await self.polls.close(poll.id, final_counts=final_counts)
        if closed is None:
            return None
        await self.live.cancel(poll.id)
        log.info("Poll %s closed", poll.id)
        await self.finish(closed)
        self.scheduler.wake()
        return closed

    async def _end_native(self, poll: PollRecord) -> list[int] | None:
        """End a native poll on Discord if it is still running; return Discord's final counts."""
        if poll.message_id is None:
            return None
        channel = self.messageable(poll.channel_id, poll.guild_id)
        try:
            message = await channel.fetch_message(poll.message_id)
            if message.poll is not None and not message.poll.is_finalised():
                try:
                    message = await message.end_poll()
                except discord.HTTPException:  # it ended on its own meanwhile
                    message = await channel.fetch_message(poll.message_id)
        except discord.HTTPException as exc:
            log.warning("Could not read native poll %s: %s", poll.id, exc.text)
            return None
        if message.poll is None:
            return None
        return [answer.vote_count for answer in message.poll.answers]

    async def finish(self, poll: PollRecord) -> None:
        """Show a closed poll as closed and post its final results with the chart."""
        results = await self.polls.results(poll)
        if poll.kind is not PollKind.NATIVE and poll.message_id is not None:
            channel = self.messageable(poll.channel_id, poll.guild_id)
            try:
                await channel.get_partial_message(poll.message_id).edit(
                    embed=poll_embed(poll, results), view=poll_view(poll)
                )
            except discord.HTTPException as exc:
                log.warning("Could not mark poll %s closed: %s", poll.id, exc.text)
        voters = None if poll.anonymous else await self._voter_lines(poll)
        target_id = poll.results_channel_id or poll.channel_id
        target = self.messageable(target_id, poll.guild_id)
        try:
            message = await target.send(
                embed=final_embed(poll, results, voters),
                file=chart_file(results),
                allowed_mentions=NO_MENTIONS,
            )
        except discord.HTTPException as exc:
            log.warning("Could not post the results of poll %s: %s", poll.id, exc.text)
            return
        await self.polls.record_results_message(poll.id, target_id, message.id)

    async def _voter_lines(self, poll: PollRecord) -> list[str]:
        """List who voted for what, for polls that are not anonymous."""
        lines = []
        for label, voter_ids in zip(
            poll.options, await self.polls.voters_by_option(poll), strict=True
        ):
            if not voter_ids:
                continue
            shown = ", ".join(f"<@{voter}>" for voter in voter_ids[:VOTERS_SHOWN])
            more = (
                f" and {len(voter_ids) - VOTERS_SHOWN} more"
                if len(voter_ids) > VOTERS_SHOWN
                else ""
            )
            lines.append(f"{escape(label)}: {shown}{more}")
        return lines

    async def _post_missing_results(self) -> None:
        """Post the results of polls that closed just before a crash (run by the scheduler)."""
        for poll in await self.polls.unposted_results():
            try:
                await self.finish(poll)
            except Exception:  # one poll must not keep the others' results back
                log.exception("Could not finish poll %s", poll.id)

    # Native polls --------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_raw_poll_vote_add(self, payload: discord.RawPollVoteActionEvent) -> None:
        """Mirror a vote in one of our native polls."""
        await self.polls.mirror_vote(
            payload.message_id, payload.user_id, payload.answer_id, added=True
        )

    @commands.Cog.listener()
    async def on_raw_poll_vote_remove(self, payload: discord.RawPollVoteActionEvent) -> None:
        """Mirror a vote taken back in one of our native polls."""
        await self.polls.mirror_vote(
            payload.message_id, payload.user_id, payload.answer_id, added=False
        )

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        """Store Discord's final counts when it finalises one of our native polls."""
        data = payload.data.get("poll")
        if not data or not (data.get("results") or {}).get("is_finalized"):
            return
        poll = await self.polls.by_message(payload.message_id)
        if poll is None or not poll.is_open:
            return
        counts = {
            int(entry["id"]): int(entry["count"])
            for entry in data["results"].get("answer_counts", [])
        }
        final = [counts.get(position + 1, 0) for position in range(len(poll.options))]
        await self.close_poll(poll, final_counts=final)

    # Suggestions ---------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_article_announced(
        self, article: StoredArticle, record: AnnouncementRecord
    ) -> None:
        """Offer the editors one-click polls built from the article's reader questions."""
        if not article.reader_questions:
            return
        config = await self.context.guild_settings.get(record.guild_id)
        if not config.enabled(Feature.POLLS):
            return
        if config.log_channel_id is None:
            log.info("Guild %s has no log channel for poll suggestions", record.guild_id)
            return
        suggestions = [suggest_poll(question) for question in article.reader_questions][:25]
        link = jump_url(record.guild_id, record.channel_id, record.message_id)
        channel = self.messageable(config.log_channel_id, record.guild_id)
        try:
            await channel.send(
                suggestions_text(article.title, link, suggestions),
                view=suggestions_view(record.id, suggestions),
                allowed_mentions=NO_MENTIONS,
            )
        except discord.HTTPException as exc:
            log.warning("Could not post poll suggestions for article %s: %s", article.id, exc.text)

    async def open_suggestion(
        self,
        interaction: discord.Interaction,
        announcement_id: int,
        index: int,
        *,
        question: str | None = None,
        options: str | None = None,
    ) -> None:
        """Open a suggested poll in the story's channel, linked to the article (editors only)."""
        config = await require_editor(interaction, self.context.guild_settings)
        if not config.enabled(Feature.POLLS):
            raise NotConfigured("Polls are switched off here; an admin can use /setup feature.")
        record = await self.context.announcements.get(announcement_id)
        article = await self.context.articles.get(record.article_id)
        if not 0 <= index < len(article.reader_questions):
            raise NotFound("That suggestion no longer matches the article's questions.")
        suggestion = suggest_poll(article.reader_questions[index])
        if question is None and not suggestion.one_click:
            modal = OptionsModal(self, announcement_id, index, suggestion.question)
            await interaction.response.send_modal(modal)
            return
        settings = self.context.settings
        draft = build_draft(
            question or suggestion.question,
            options if options is not None else suggestion.options,
            timedelta(seconds=settings.poll_suggested_duration_seconds),
            min_duration=timedelta(seconds=settings.poll_min_duration_seconds),
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        poll = await self.polls.create(
            draft,
            guild_id=record.guild_id,
            channel_id=record.channel_id,
            created_by=interaction.user.id,
            article_id=article.id,
            source=f"suggestion:{announcement_id}:{index}",
            results_channel_id=record.thread_id,
        )
        poll = await self.post_poll(poll, self.messageable(record.channel_id, record.guild_id))
        link = jump_url(record.guild_id, record.channel_id, poll.message_id)
        if record.thread_id is not None:
            thread = self.messageable(record.thread_id, record.guild_id)
            try:
                await thread.send(
                    f"A poll on this story is open until {timestamp(poll.closes_at)}: "
                    f"**{escape(poll.question)}** Vote here: {link}",
                    allowed_mentions=NO_MENTIONS,
                )
            except discord.HTTPException as exc:
                log.warning(
                    "Could not point thread %s at poll %s: %s", record.thread_id, poll.id, exc.text
                )
        await interaction.followup.send(
            f"Opened poll #{poll.id} in <#{record.channel_id}>: {link}",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )
