"""Comments: members' words in article threads go to the site's comments, with consent."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging

import discord
from discord.ext import commands

from bot.app.context import AppContext
from bot.articles.announcements import AnnouncementRecord
from bot.comments.content import Attachment, DiscordText, html_to_discord, to_html
from bot.comments.delivery import DeliveryWorker
from bot.comments.outbox import Outcome
from bot.comments.records import CommentRecord, CommentStatus, Origin
from bot.comments.service import BridgeResult, Draft
from bot.comments.store import DeliveryError, RemoteComment, RemoteStatus
from bot.comments.sync import SiteSync, SyncTarget
from bot.errors import InvalidInput, NotConfigured
from bot.guild_settings import Feature
from cogs.comments._commands import comment_from_modal, refusal
from cogs.comments._views import consent_view

log = logging.getLogger(__name__)

STATUS_EMOJI = {
    CommentStatus.PENDING: "⏳",
    CommentStatus.PUBLISHED: "✅",
    CommentStatus.HELD: "🕓",
    CommentStatus.FAILED: "⚠️",
}
BRIDGED_TYPES = (discord.MessageType.default, discord.MessageType.reply)
NO_MENTIONS = discord.AllowedMentions.none()


def discord_text(message: discord.Message, content: str | None = None) -> DiscordText:
    """Collect what a message's mentions, channels and attachments stand for."""
    guild = message.guild
    channels = {channel.id: channel.name for channel in message.channel_mentions}
    if guild is not None:
        for channel in guild.channels:
            channels.setdefault(channel.id, channel.name)
    return DiscordText(
        content if content is not None else message.content,
        users={user.id: user.display_name for user in message.mentions},
        roles={role.id: role.name for role in message.role_mentions},
        channels=channels,
        attachments=tuple(Attachment(a.filename, a.url) for a in message.attachments),
    )


class CommentsCog(commands.Cog, name="Comments"):
    """Bridge thread messages, /comment and the "Reply on site" modal to the site."""

    def __init__(self, bot: commands.Bot, context: AppContext) -> None:
        self.bot = bot
        self.context = context
        self.comments = context.comments
        store = self.comments.store
        self.worker = (
            DeliveryWorker(
                self.comments.outbox,
                store,
                notify=self.show_outcome,
                counter=context.metrics.counter(
                    "newsroom_comment_deliveries_total",
                    "Comment deliveries to the site by result (delivered, retried, failed)",
                    ["result"],
                ),
            )
            if store is not None
            else None
        )
        self.sync = (
            SiteSync(context.database, store, self.comments.policy)
            if store is not None and store.can_list
            else None
        )
        self._sync_task: asyncio.Task[None] | None = None
        self.sync_rounds = 0
        self._sync_done = asyncio.Condition()
        self.handled: collections.Counter[tuple[str, int]] = collections.Counter()
        self._handled_changed = asyncio.Condition()
        self._bridging = asyncio.Lock()

    async def cog_load(self) -> None:
        """Start the delivery worker and the back-from-site sync."""
        if self.worker is not None:
            self.worker.start()
        self.context.metrics.gauge_callback(
            "newsroom_comments_queued",
            "Comment deliveries waiting in the outbox (all processes)",
            self.comments.outbox.count,
        )
        if self.sync is not None:
            self._sync_task = asyncio.create_task(
                self._sync_forever(), name="newsroom-comment-sync"
            )

    async def cog_unload(self) -> None:
        """Stop both; the outbox keeps what is not delivered yet."""
        if self._sync_task is not None:
            self._sync_task.cancel()
            await asyncio.gather(self._sync_task, return_exceptions=True)
        if self.worker is not None:
            await self.worker.stop()
        self.context.metrics.remove("newsroom_comments_queued")

    def wake(self) -> None:
        """Tell the worker there is work."""
        if self.worker is not None:
            self.worker.wake()

    @property
    def rate_text(self) -> str:
        """Describe the per-member limit."""
        policy = self.comments.policy
        return f"at most {policy.rate_limit} every {policy.rate_window_seconds:g} s"

    async def enabled(self, guild_id: int | None) -> bool:
        """Tell whether comments go to the site from this guild."""
        if self.comments.store is None or guild_id is None:
            return False
        return (await self.context.guild_settings.get(guild_id)).enabled(Feature.COMMENTS)

    async def require_enabled(self, guild_id: int | None) -> None:
        """Raise NotConfigured unless comments work in this guild."""
        if guild_id is None:
            raise InvalidInput("Comments work inside a server.")
        if self.comments.store is None:
            raise NotConfigured(
                "Comments aren't connected to the site yet: the bot's host sets COMMENTS_STORE."
            )
        if not await self.enabled(guild_id):
            raise NotConfigured("Comments are switched off in this server.")

    async def thread_announcement(self, channel: object) -> AnnouncementRecord | None:
        """Return the announcement whose discussion thread this is, if any."""
        if not isinstance(channel, discord.Thread):
            return None
        record = await self.context.announcements.by_message_or_thread(channel.id)
        return record if record is not None and record.thread_id == channel.id else None

    # Thread messages -------------------------------------------------------------------------

    async def _mark_handled(self, kind: str, message_id: int) -> None:
        """Count a finished event handler (tests wait on it instead of sleeping)."""
        async with self._handled_changed:
            self.handled[(kind, message_id)] += 1
            self._handled_changed.notify_all()

    async def wait_handled(self, kind: str, message_id: int, count: int = 1) -> None:
        """Wait until the `kind` event of a message was handled `count` times."""
        async with self._handled_changed:
            await self._handled_changed.wait_for(lambda: self.handled[(kind, message_id)] >= count)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Offer a member's message in an article thread to the site."""
        try:
            async with self._bridging:  # one at a time: comments keep the thread's order
                await self._bridge_message(message)
        finally:
            await self._mark_handled("create", message.id)

    async def _bridge_message(self, message: discord.Message) -> None:
        """Bridge one message if it is a member's, in a story thread, with comments on."""
        if message.author.bot or message.webhook_id is not None or message.guild is None:
            return
        if message.type not in BRIDGED_TYPES or not isinstance(message.author, discord.Member):
            return
        record = await self.thread_announcement(message.channel)
        if record is None or not await self.enabled(message.guild.id):
            return
        reference = message.reference.message_id if message.reference else None
        draft = Draft(
            guild_id=message.guild.id,
            article_id=record.article_id,
            thread_id=message.channel.id,
            message_id=message.id,
            author_id=message.author.id,
            display_name=message.author.display_name,
            username=message.author.name,
            content_html=to_html(discord_text(message)),
            source_text=message.content,
            reply_to_message_id=reference,
        )
        outcome = await self.comments.service.bridge(draft)
        if outcome.result is BridgeResult.QUEUED:
            await self.set_status(message.channel.id, message.id, CommentStatus.PENDING)
            self.wake()
        elif outcome.result is BridgeResult.ASK:
            await self.ask_consent(message.author, message.channel, outcome.shown_name or "")
        elif outcome.result not in (
            BridgeResult.WAITING,
            BridgeResult.DECLINED,
            BridgeResult.EMPTY,
        ):
            text = refusal(outcome, max_per_window=self.rate_text)
            if text:
                await self.tell_member(message.author, message.channel, text)

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        """Update the site comment of an edited bridged message."""
        try:
            comment = await self.comments.service.by_message(payload.message_id)
            content = payload.data.get("content")
            if comment is None or comment.origin is not Origin.DISCORD or content is None:
                return
            text = discord_text(payload.message, content)
            if await self.comments.service.edit(payload.message_id, to_html(text)) is not None:
                self.wake()
        finally:
            await self._mark_handled("edit", payload.message_id)

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        """Trash the site comment of a deleted bridged message."""
        try:
            if await self.comments.service.delete(payload.message_id) is not None:
                self.wake()
        finally:
            await self._mark_handled("delete", payload.message_id)

    async def comment_from_modal(
        self, interaction: discord.Interaction, article_id: int, text: str
    ) -> None:
        """Send the "Reply on site" modal's text."""
        await comment_from_modal(self, interaction, article_id, text)

    @commands.Cog.listener()
    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        """Trash the site comments of messages deleted together (a moderator's purge)."""
        changed = [
            await self.comments.service.delete(message_id) for message_id in payload.message_ids
        ]
        if any(comment is not None for comment in changed):
            self.wake()

    # Consent ---------------------------------------------------------------------------------

    def consent_text(self, guild: discord.Guild, shown_name: str) -> str:
        """Write the consent question, with the exact name the site will show."""
        site = self.context.settings.site_url or "the news site"
        moderation = (
            " (held for the editors' moderation first)" if self.comments.policy.hold else ""
        )
        return (
            f"You wrote in a story's discussion thread in **{guild.name}**. Newsroom can publish "
            f"what you write in article threads as comments on {site}{moderation}, under the "
            f"name **{discord.utils.escape_markdown(shown_name)}**. Your email address is never "
            "published. Publish your messages there? You can change your mind any time with "
            "/comments optin, /comments optout or /comments forget."
        )

    async def ask_consent(
        self, member: discord.Member, thread: discord.abc.Messageable, shown_name: str
    ) -> None:
        """Ask once, by DM, or in the thread when DMs are closed."""
        text = self.consent_text(member.guild, shown_name)
        view = consent_view(member.guild.id, member.id)
        try:
            await member.send(text, view=view, allowed_mentions=NO_MENTIONS)
            return
        except discord.HTTPException as exc:
            log.info(
                "Could not DM the consent prompt to %s (%s); asking in the thread",
                member.id,
                exc.text,
            )
        try:
            await thread.send(
                f"{member.mention} {text}",
                view=view,
                allowed_mentions=discord.AllowedMentions(
                    users=[member], roles=False, everyone=False
                ),
            )
        except discord.HTTPException as exc:
            log.warning("Could not ask %s for consent: %s", member.id, exc.text)

    async def answer_consent(
        self, interaction: discord.Interaction, guild_id: int, consent: bool
    ) -> None:
        """Record the member's answer from the prompt's buttons."""
        service = self.comments.service
        if consent:
            shown, queued = await service.opt_in(guild_id, interaction.user.id)
            waiting = f" {len(queued)} waiting message(s) are on their way." if queued else ""
            text = (
                f"Thanks! Your messages in article threads will appear on the site as "
                f"**{discord.utils.escape_markdown(shown)}**.{waiting} "
                "/comments optout stops it; /comments forget removes them."
            )
        else:
            await service.opt_out(guild_id, interaction.user.id)
            queued = []
            text = (
                "Understood: nothing you write will be sent to the site. "
                "/comments optin changes that."
            )
        if interaction.message is not None and not interaction.message.flags.ephemeral:
            await interaction.response.edit_message(content=text, view=None)
        else:
            await interaction.response.send_message(text, ephemeral=True)
        for comment in queued:
            if comment.thread_id and comment.message_id:
                await self.set_status(comment.thread_id, comment.message_id, CommentStatus.PENDING)
        self.wake()

    # Status ----------------------------------------------------------------------------------

    async def set_status(
        self,
        channel_id: int,
        message_id: int,
        status: CommentStatus,
        *,
        replacing: CommentStatus = CommentStatus.PENDING,
    ) -> None:
        """Show a comment's status as the bot's reaction, in place of the `replacing` one."""
        emoji = STATUS_EMOJI.get(status)
        message = self.bot.get_partial_messageable(channel_id).get_partial_message(message_id)
        try:
            if status is not replacing:
                with contextlib.suppress(discord.NotFound):
                    await message.remove_reaction(STATUS_EMOJI[replacing], self.me)
            if emoji is not None:
                await message.add_reaction(emoji)
        except discord.HTTPException as exc:
            log.info("Could not show status %s on message %s: %s", status, message_id, exc.text)

    @property
    def me(self) -> discord.abc.Snowflake:
        """The bot's own user."""
        assert self.bot.user is not None
        return self.bot.user

    async def show_outcome(self, comment: CommentRecord, outcome: Outcome) -> None:
        """Show what the site did with a comment; tell the member politely when it failed."""
        if comment.origin is not Origin.DISCORD:
            return
        if comment.thread_id and comment.message_id and comment.status in STATUS_EMOJI:
            await self.set_status(comment.thread_id, comment.message_id, comment.status)
        if outcome.failed and comment.author_id is not None:
            text = (
                f"Sorry, your comment could not be published on the site: {outcome.error}. "
                "It is still here in Discord."
            )
            await self.tell_user(comment.author_id, comment.thread_id, text)

    async def tell_member(
        self, member: discord.Member, channel: discord.abc.Messageable, text: str
    ) -> None:
        """Tell a member something privately (DM), or in the thread when DMs are closed."""
        try:
            await member.send(text, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            with contextlib.suppress(discord.HTTPException):
                await channel.send(
                    f"{member.mention} {text}",
                    allowed_mentions=discord.AllowedMentions(users=[member]),
                )

    async def tell_user(self, user_id: int, thread_id: int | None, text: str) -> None:
        """Tell a member by id (DM first, else in the thread)."""
        try:
            user = self.bot.get_user(user_id) or await self.bot.fetch_user(user_id)
            await user.send(text, allowed_mentions=NO_MENTIONS)
            return
        except discord.HTTPException as exc:
            log.info("Could not DM %s: %s", user_id, exc.text)
        if thread_id is None:
            return
        with contextlib.suppress(discord.HTTPException):
            await self.bot.get_partial_messageable(thread_id).send(
                f"<@{user_id}> {text}",
                allowed_mentions=discord.AllowedMentions(users=[discord.Object(user_id)]),
            )

    # Back from the site ----------------------------------------------------------------------

    async def _sync_forever(self) -> None:
        """Bring new site comments into the threads, every sync interval."""
        await self.bot.wait_until_ready()
        interval = self.context.settings.comments_sync_interval_seconds
        while True:
            try:
                await self.sync_once()
            except Exception:  # the loop must outlive one bad round; logged with its traceback
                log.exception("Bringing the site's comments into Discord failed; trying later")
            async with self._sync_done:
                self.sync_rounds += 1
                self._sync_done.notify_all()
            await asyncio.sleep(interval)

    async def wait_for_sync_rounds(self, count: int) -> None:
        """Wait until `count` sync rounds have finished since start."""
        async with self._sync_done:
            await self._sync_done.wait_for(lambda: self.sync_rounds >= count)

    async def sync_once(self) -> None:
        """Show every guild that wants them the site's new comments, in the article threads."""
        if self.sync is None:
            return
        await self.refresh_moderation()
        for guild_id in await self.comments.service.guilds_syncing():
            if self.bot.get_guild(guild_id) is None or not await self.enabled(guild_id):
                continue
            for target in await self.sync.targets(guild_id):
                try:
                    incoming = await self.sync.new_comments(target)
                except DeliveryError as exc:
                    log.info("Site comments of article %s not fetched: %s", target.article_id, exc)
                    continue
                for item in incoming:
                    await self._show_site_comment(target, item.comment, item.reply_to_message_id)

    async def refresh_moderation(self) -> None:
        """Show ✅ on held comments the site's moderators approved since."""
        store = self.comments.store
        assert store is not None
        for comment in await self.comments.service.held_on_site():
            assert comment.remote_id is not None
            try:
                remote = await store.fetch(comment.remote_id)
            except DeliveryError as exc:
                log.info("Could not read comment %s from the site: %s", comment.remote_id, exc)
                return
            if remote is None or remote.status is RemoteStatus.HELD:
                continue
            status = (
                CommentStatus.PUBLISHED
                if remote.status is RemoteStatus.PUBLISHED
                else CommentStatus.TRASHED
            )
            updated = await self.comments.service.moderated(comment.id, status)
            shown = updated is not None and updated.thread_id and updated.message_id
            if shown and status is CommentStatus.PUBLISHED:
                assert updated is not None
                assert updated.thread_id is not None
                assert updated.message_id is not None
                await self.set_status(
                    updated.thread_id, updated.message_id, status, replacing=CommentStatus.HELD
                )

    async def _show_site_comment(
        self, target: SyncTarget, comment: RemoteComment, reply_to: int | None
    ) -> None:
        """Post one site comment in the thread and remember it."""
        assert self.sync is not None
        author = discord.utils.escape_markdown(comment.author_name or "A reader")
        body = html_to_discord(comment.content_html)
        thread = self.bot.get_partial_messageable(target.thread_id)
        reference = (
            thread.get_partial_message(reply_to).to_reference(fail_if_not_exists=False)
            if reply_to
            else None
        )
        try:
            sent = await thread.send(
                f"💬 **{author}** on the site:\n{body}",
                reference=reference,  # type: ignore[arg-type]
                allowed_mentions=NO_MENTIONS,
            )
        except discord.HTTPException as exc:
            log.warning("Could not show site comment %s: %s", comment.id, exc.text)
            return
        await self.sync.record_shown(target, comment, sent.id)
