"""Questions: /ask, mentions of the bot, the announcement's Ask button, feedback and gaps."""

from __future__ import annotations

import asyncio
import logging
import re

import discord
from discord import app_commands
from discord.ext import commands

from bot.app.checks import editors_only
from bot.app.context import AppContext
from bot.errors import NewsroomError, NotConfigured
from bot.guild_settings import Feature
from bot.questions.compose import safe, shorten
from bot.questions.service import Answer, QuestionService
from cogs.articles._announcer import DiscordAnnouncer
from cogs.questions._views import answer_view

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
UNANSWERED_SHOWN = 15


def in_thread(channel: object) -> bool:
    """Tell whether a question was asked in a thread (perhaps an article's discussion)."""
    return isinstance(channel, discord.Thread)


def mentions_me(content: str, bot_id: int) -> bool:
    """Tell whether the text mentions the bot itself (not a role, not a reply ping)."""
    return re.search(rf"<@!?{bot_id}>", content) is not None


def strip_mention(content: str, bot_id: int) -> str:
    """Remove the bot's own mention(s) from a message's text."""
    return re.sub(rf"<@!?{bot_id}>", " ", content).strip()


def format_unanswered(entries: list[tuple[int, str]]) -> str:
    """Lay out the unanswered list: "3× Will Moscow send troops?"."""
    lines = ["**Asked but not covered yet** (most asked first):"]
    lines += [f"{count}× {safe(shorten(text, 150))}" for count, text in entries]
    return "\n".join(lines)


def _log_load_failure(task: asyncio.Task[None]) -> None:
    """Log a failed index load (the next question retries it)."""
    if not task.cancelled() and task.exception() is not None:
        log.error("Building the question index failed", exc_info=task.exception())


class QuestionsCog(commands.Cog, name="Questions"):
    """Answer readers from the stored key facts and outlook."""

    def __init__(self, bot: commands.Bot, context: AppContext) -> None:
        self.bot = bot
        self.context = context
        self.service: QuestionService = context.questions
        self.answers = context.metrics.counter(
            "newsroom_answers_total", "Questions answered from reporting, or declined", ["result"]
        )
        self._loading: asyncio.Task[None] | None = None

    async def cog_load(self) -> None:
        """Build the question index in the background; questions asked meanwhile wait for it."""
        self._loading = asyncio.create_task(self.service.load(), name="newsroom-question-index")
        self._loading.add_done_callback(_log_load_failure)

    async def cog_unload(self) -> None:
        """Stop a load still running."""
        if self._loading is not None and not self._loading.done():
            self._loading.cancel()
            await asyncio.gather(self._loading, return_exceptions=True)

    async def require_enabled(self, guild_id: int | None) -> None:
        """Raise NotConfigured when the server switched questions off."""
        if guild_id is None:
            return
        config = await self.context.guild_settings.get(guild_id)
        if not config.enabled(Feature.QUESTIONS):
            raise NotConfigured(
                "Questions are switched off in this server; an admin can turn them on with "
                "/setup feature."
            )

    @app_commands.command(name="ask", description="Ask what our reporting says about a story")
    @app_commands.describe(
        question="Your question, like: What happens next between Iran and Russia?"
    )
    @app_commands.guild_only()
    async def ask(
        self, interaction: discord.Interaction, question: app_commands.Range[str, 1, 1000]
    ) -> None:
        """Answer in the channel, with the thread's article first inside an article thread."""
        await self.answer_interaction(interaction, question, source="slash")

    async def answer_interaction(
        self,
        interaction: discord.Interaction,
        text: str,
        *,
        article_id: int | None = None,
        source: str,
    ) -> None:
        """Check, answer and reply to a question asked through an interaction."""
        await self.require_enabled(interaction.guild_id)
        question = self.service.admit(
            text, guild_id=interaction.guild_id, user_id=interaction.user.id
        )
        private = source == "button"
        await interaction.response.defer(thinking=True, ephemeral=private)
        answer = await self.service.ask(
            question,
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id,
            user_id=interaction.user.id,
            thread_id=interaction.channel_id if in_thread(interaction.channel) else None,
            article_id=article_id,
            source=source,
            admitted=True,
        )
        await interaction.followup.send(
            answer.text,
            view=answer_view(answer.question_id, answered=answer.answered),
            allowed_mentions=NO_MENTIONS,
            ephemeral=private,
        )
        self._log(answer, interaction.user.id, source)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Answer a message that mentions the bot; in an article thread, that article first."""
        me = self.bot.user
        if me is None or message.author.bot or message.guild is None:
            return
        if not mentions_me(message.content, me.id):  # a reply to the bot alone is no question
            return
        config = await self.context.guild_settings.get(message.guild.id)
        if not config.enabled(Feature.QUESTIONS):
            return
        try:
            answer = await self.service.ask(
                strip_mention(message.content, me.id),
                guild_id=message.guild.id,
                channel_id=message.channel.id,
                user_id=message.author.id,
                thread_id=message.channel.id if in_thread(message.channel) else None,
                source="mention",
            )
        except NewsroomError as exc:
            await self._reply(message, str(exc))
            return
        await self._reply(
            message, answer.text, answer_view(answer.question_id, answered=answer.answered)
        )
        self._log(answer, message.author.id, "mention")

    async def _reply(
        self, message: discord.Message, text: str, view: discord.ui.View | None = None
    ) -> None:
        """Reply to a member's message without pinging anyone."""
        try:
            if view is None:
                await message.reply(text, allowed_mentions=NO_MENTIONS, mention_author=False)
            else:
                await message.reply(
                    text, view=view, allowed_mentions=NO_MENTIONS, mention_author=False
                )
        except discord.HTTPException as exc:
            log.warning("Could not answer message %s: %s", message.id, exc.text)

    @commands.Cog.listener()
    async def on_command_error(
        self, context: commands.Context[commands.Bot], error: Exception
    ) -> None:
        """Mentions are questions, not prefix commands: ignore "command not found"."""
        if not isinstance(error, commands.CommandNotFound):
            log.error("Prefix command failed", exc_info=error)

    def _log(self, answer: Answer, user_id: int, source: str) -> None:
        """Log and count what was answered (never the question's text)."""
        self.answers.inc(result="answered" if answer.answered else "declined")
        log.info(
            "Question %s (%s) from %s: %s, confidence %.2f, articles %s",
            answer.question_id,
            source,
            user_id,
            "answered" if answer.answered else "declined",
            answer.confidence,
            list(answer.article_ids),
        )

    # Buttons ---------------------------------------------------------------------------------

    async def record_feedback(
        self, interaction: discord.Interaction, question_id: int, *, helpful: bool
    ) -> None:
        """Record 👍/👎 and thank the member privately."""
        tally = await self.service.record_feedback(question_id, interaction.user.id, helpful)
        verdict = "helpful" if helpful else "not helpful"
        await interaction.response.send_message(
            f"Thanks: noted as {verdict}. (👍 {tally.helpful} · 👎 {tally.unhelpful})",
            ephemeral=True,
        )

    async def suggest(self, interaction: discord.Interaction, question_id: int) -> None:
        """Post the unanswered question in the editors' log channel."""
        await self.require_enabled(interaction.guild_id)
        record = await self.service.get_question(question_id)
        if interaction.guild_id is None or record.guild_id != interaction.guild_id:
            raise NotConfigured("That question was asked elsewhere.")
        record = await self.service.suggest(question_id, interaction.user.id)
        where = f"<#{record.channel_id}>" if record.channel_id else "a channel"
        notice = (
            f"📝 A reader asked a question we have no reporting on yet (in {where}), "
            f"suggested by <@{interaction.user.id}>:\n> {safe(shorten(record.text, 500))}\n"
            "See what else readers asked with /questions unanswered."
        )
        await self._tell_editors(interaction.guild_id, notice)
        await interaction.response.send_message(
            "Thanks! I passed your question on to the editors.", ephemeral=True
        )

    async def _tell_editors(self, guild_id: int, text: str) -> None:
        """Post in the log channel through the articles cog's notice path."""
        articles = self.bot.get_cog("Articles")
        publisher = getattr(articles, "publisher", None)
        if publisher is None:
            log.warning("Articles cog not loaded: cannot tell guild %s's editors", guild_id)
            return
        context = self.context
        announcer = DiscordAnnouncer(
            self.bot, context.articles, context.announcements, context.guild_settings, publisher
        )
        await announcer.tell_editors(guild_id, text)


class QuestionCommands(app_commands.Group):
    """/questions: what readers asked, for editors."""

    def __init__(self, context: AppContext) -> None:
        super().__init__(name="questions", description="What readers ask the bot", guild_only=True)
        self.context = context

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Let only editors use /questions."""
        return await editors_only(interaction, self.context.guild_settings)

    @app_commands.command(
        name="unanswered", description="Questions readers asked that we have no reporting on"
    )
    async def unanswered(self, interaction: discord.Interaction) -> None:
        """List unanswered questions, most asked first."""
        entries = await self.context.questions.unanswered(
            interaction.guild_id, limit=UNANSWERED_SHOWN
        )
        if not entries:
            text = "No unanswered questions so far: every question found some reporting."
        else:
            text = format_unanswered([(entry.count, entry.text) for entry in entries])
        await interaction.response.send_message(
            text[:2000], ephemeral=True, allowed_mentions=NO_MENTIONS
        )
