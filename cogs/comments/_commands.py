"""/comment, the "Reply on site" modal's submission, and /comments optin|optout|status|forget."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.app.checks import require_editor
from bot.comments.content import DiscordText, html_to_discord, to_html
from bot.comments.records import CommentStatus, Consent
from bot.comments.service import BridgeOutcome, BridgeResult, Draft
from bot.errors import InvalidInput, NotFound
from cogs.comments._views import comments_cog, consent_view

if TYPE_CHECKING:
    from cogs.comments._cog import CommentsCog

NO_MENTIONS = discord.AllowedMentions.none()
STATUS_WORDS = {
    CommentStatus.AWAITING_CONSENT: "waiting for your answer",
    CommentStatus.PENDING: "on their way",
    CommentStatus.PUBLISHED: "published",
    CommentStatus.HELD: "held for moderation",
    CommentStatus.FAILED: "failed",
    CommentStatus.TRASHED: "removed",
    CommentStatus.FORGOTTEN: "being removed",
}


def _member(interaction: discord.Interaction) -> discord.Member:
    """Return the member using a command inside a server."""
    if not isinstance(interaction.user, discord.Member) or interaction.guild is None:
        raise InvalidInput("Comments work inside a server.")
    return interaction.user


async def submit(
    cog: CommentsCog,
    interaction: discord.Interaction,
    *,
    article_id: int,
    thread_id: int | None,
    text: str,
) -> None:
    """Offer words typed in /comment or the modal; show them in the thread once queued."""
    member = _member(interaction)
    draft = Draft(
        guild_id=member.guild.id,
        article_id=article_id,
        thread_id=thread_id,
        message_id=None,
        author_id=member.id,
        display_name=member.display_name,
        username=member.name,
        content_html=to_html(DiscordText(text)),
        source_text=text,
    )
    outcome = await cog.comments.service.bridge(draft)
    if outcome.result in (BridgeResult.ASK, BridgeResult.WAITING):
        await interaction.response.send_message(
            cog.consent_text(member.guild, outcome.shown_name or ""),
            view=consent_view(member.guild.id, member.id),
            ephemeral=True,
        )
        return
    if outcome.result is not BridgeResult.QUEUED or outcome.comment is None:
        reason = refusal_text(cog, outcome)
        await interaction.response.send_message(reason, ephemeral=True)
        return
    shown = discord.utils.escape_markdown(outcome.shown_name or member.display_name)
    public = f"💬 **{shown}** commented for the site:\n{text}"
    in_thread = isinstance(interaction.channel, discord.Thread) and (
        interaction.channel.id == thread_id
    )
    if in_thread:
        await interaction.response.send_message(public, allowed_mentions=NO_MENTIONS)
        message = await interaction.original_response()
    else:
        message = None
        if thread_id is not None:
            try:
                thread = cog.bot.get_partial_messageable(thread_id)
                message = await thread.send(public, allowed_mentions=NO_MENTIONS)
            except discord.HTTPException:
                message = None
        await interaction.response.send_message(
            "Thanks! Your comment is on its way to the site"
            + (" (held for the editors' moderation first)." if cog.comments.policy.hold else "."),
            ephemeral=True,
        )
    if message is not None:
        await cog.comments.service.attach_message(outcome.comment.id, message.id)
        await cog.set_status(message.channel.id, message.id, CommentStatus.PENDING)
    cog.wake()


def refusal_text(cog: CommentsCog, outcome: BridgeOutcome) -> str:
    """Explain a refusal to an interaction."""
    return refusal(outcome, max_per_window=cog.rate_text) or "That could not be sent to the site."


def refusal(outcome: BridgeOutcome, *, max_per_window: str) -> str | None:
    """Explain politely why words were not sent to the site (None: nothing to say)."""
    if outcome.result is BridgeResult.TOO_LONG:
        return (
            f"That is longer than the site takes ({outcome.detail} characters), so it was not "
            "sent there. It is still here in Discord; a shorter version can go."
        )
    if outcome.result is BridgeResult.BLOCKED:
        return (
            "That was not sent to the site: it contains a word or phrase the editors keep off "
            "the site's comments. It is still here in Discord."
        )
    if outcome.result is BridgeResult.RATE_LIMITED:
        return (
            f"You're commenting faster than the site takes comments ({max_per_window}); this one "
            "stays in Discord only. Try again in a little while."
        )
    if outcome.result is BridgeResult.EMPTY:
        return "There is nothing to send to the site in that."
    if outcome.result is BridgeResult.DECLINED:
        return "You chose to keep your words in Discord; /comments optin changes that."
    return None


@app_commands.command(name="comment", description="Send a comment to the site, in a story's thread")
@app_commands.describe(text="Your comment: shown on the site under your name")
@app_commands.guild_only()
async def comment_command(
    interaction: discord.Interaction, text: app_commands.Range[str, 1, 4000]
) -> None:
    """Comment on the thread's story."""
    cog = comments_cog(interaction)
    await cog.require_enabled(interaction.guild_id)
    record = await cog.thread_announcement(interaction.channel)
    if record is None:
        raise InvalidInput("Use /comment inside a story's discussion thread.")
    await submit(
        cog, interaction, article_id=record.article_id, thread_id=record.thread_id, text=text
    )


async def comment_from_modal(
    cog: CommentsCog, interaction: discord.Interaction, article_id: int, text: str
) -> None:
    """Send the "Reply on site" modal's text, shown in the story's thread in this server."""
    await cog.require_enabled(interaction.guild_id)
    records = [
        r
        for r in await cog.context.announcements.of_article(article_id)
        if r.guild_id == interaction.guild_id
    ]
    if not records:
        raise NotFound("That story is no longer announced here.")
    thread_id = next((r.thread_id for r in records if r.thread_id), None)
    await submit(cog, interaction, article_id=article_id, thread_id=thread_id, text=text)


class CommentCommands(app_commands.Group):
    """/comments: consent and what the bot stores about you; editors see what waits."""

    def __init__(self) -> None:
        super().__init__(
            name="comments",
            description="Your comments on the site: consent, status, forget",
            guild_only=True,
        )

    @app_commands.command(name="optin", description="Let your thread messages appear on the site")
    async def optin(self, interaction: discord.Interaction) -> None:
        """Opt in, under the name shown now."""
        cog = comments_cog(interaction)
        member = _member(interaction)
        await cog.require_enabled(member.guild.id)
        shown, queued = await cog.comments.service.opt_in(
            member.guild.id, member.id, display_name=member.display_name, username=member.name
        )
        waiting = f" {len(queued)} waiting message(s) are on their way." if queued else ""
        await interaction.response.send_message(
            "Your messages in story threads will appear on the site as "
            f"**{discord.utils.escape_markdown(shown)}**.{waiting}",
            ephemeral=True,
        )
        for comment in queued:
            if comment.thread_id and comment.message_id:
                await cog.set_status(comment.thread_id, comment.message_id, CommentStatus.PENDING)
        cog.wake()

    @app_commands.command(name="optout", description="Stop sending your messages to the site")
    async def optout(self, interaction: discord.Interaction) -> None:
        """Opt out (what is already on the site stays; /comments forget removes it)."""
        cog = comments_cog(interaction)
        member = _member(interaction)
        await cog.comments.service.opt_out(member.guild.id, member.id)
        await interaction.response.send_message(
            "Done: nothing more you write goes to the site. Comments already there stay; "
            "/comments forget removes them.",
            ephemeral=True,
        )

    @app_commands.command(name="status", description="What the bot stores about your comments")
    async def status(self, interaction: discord.Interaction) -> None:
        """Show consent, the name shown and counts per state."""
        cog = comments_cog(interaction)
        member = _member(interaction)
        status = await cog.comments.service.status(member.guild.id, member.id)
        consent = {
            None: "You haven't been asked yet.",
            Consent.ASKED: "You were asked and haven't answered yet.",
            Consent.IN: "You opted in.",
            Consent.OUT: "You opted out.",
        }[status.consent]
        name = (
            f" The site shows you as **{discord.utils.escape_markdown(status.shown_name)}**."
            if status.shown_name and status.consent is Consent.IN
            else ""
        )
        counts = ", ".join(
            f"{count} {STATUS_WORDS[state]}" for state, count in sorted(status.counts.items())
        )
        await interaction.response.send_message(
            f"{consent}{name} Comments: {counts or 'none'}.", ephemeral=True
        )

    @app_commands.command(
        name="forget", description="Delete what the bot stores about you; trash your comments"
    )
    async def forget(self, interaction: discord.Interaction) -> None:
        """Forget the member and trash their bridged comments on the site."""
        cog = comments_cog(interaction)
        member = _member(interaction)
        touched = await cog.comments.service.forget(member.guild.id, member.id)
        cog.wake()
        await interaction.response.send_message(
            f"Done: I deleted what I stored about you here, and {len(touched)} comment(s) of "
            "yours are being removed from the site. You'll be asked again if you post in a "
            "story thread.",
            ephemeral=True,
        )

    @app_commands.command(name="pending", description="Editors: comments waiting for the site")
    async def pending(self, interaction: discord.Interaction) -> None:
        """List comments held for moderation or still on their way."""
        cog = comments_cog(interaction)
        await require_editor(interaction, cog.context.guild_settings)
        waiting = await cog.comments.service.waiting(interaction.guild_id or 0)
        if not waiting:
            await interaction.response.send_message("Nothing is waiting.", ephemeral=True)
            return
        lines = [
            f"• **{discord.utils.escape_markdown(c.author_name)}** "
            f"({STATUS_WORDS[c.status]}): "
            + discord.utils.escape_markdown(_plain(c.content_html))[:120]
            for c in waiting
        ]
        await interaction.response.send_message(
            "Waiting for the site:\n" + "\n".join(lines),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @app_commands.command(name="sync", description="Editors: show the site's comments in threads")
    @app_commands.describe(enabled="Bring new site comments into story threads")
    async def sync(self, interaction: discord.Interaction, enabled: bool) -> None:
        """Switch the back-from-site sync on or off for this server."""
        cog = comments_cog(interaction)
        await require_editor(interaction, cog.context.guild_settings)
        await cog.comments.service.set_sync(interaction.guild_id or 0, enabled)
        state = "will now appear" if enabled else "will no longer appear"
        await interaction.response.send_message(
            f"New comments from the site {state} in story threads.", ephemeral=True
        )


def _plain(fragment: str) -> str:
    """Strip tags for a one-line preview."""
    return " ".join(html_to_discord(fragment, limit=200).split())
