"""Buttons and the modal of questions, as dynamic items that still work after a restart.

custom_ids: `question:ask:<article id>` (on announcements), `question:feedback:<question id>:up`
and `:down` (👍/👎 on answers), `question:suggest:<question id>` (on a decline).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.app.tree import NewsroomView, answers_errors, report_component_error

if TYPE_CHECKING:
    from cogs.questions._cog import QuestionsCog

ASK_TEMPLATE = r"question:ask:(?P<id>[0-9]+)"
FEEDBACK_TEMPLATE = r"question:feedback:(?P<id>[0-9]+):(?P<vote>up|down)"
SUGGEST_TEMPLATE = r"question:suggest:(?P<id>[0-9]+)"
MODAL_FIELD = "question"


def questions_cog(interaction: discord.Interaction) -> QuestionsCog | None:
    """Find the loaded questions cog."""
    return interaction.client.get_cog("Questions")  # type: ignore[attr-defined,no-any-return]


async def switched_off(interaction: discord.Interaction) -> None:
    """Say that questions are unavailable right now."""
    await interaction.response.send_message("Questions are switched off right now.", ephemeral=True)


class AskButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=ASK_TEMPLATE):
    """ "Ask about this story" under an announcement: opens the question modal."""

    def __init__(self, article_id: int) -> None:
        self.article_id = article_id
        super().__init__(
            discord.ui.Button(
                label="Ask about this story",
                style=discord.ButtonStyle.primary,
                custom_id=f"question:ask:{article_id}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str]
    ) -> AskButton:
        """Rebuild the button from its custom_id."""
        return cls(int(match["id"]))

    @answers_errors
    async def callback(self, interaction: discord.Interaction) -> None:
        """Open the modal (if questions are on in this server)."""
        cog = questions_cog(interaction)
        if cog is None:
            await switched_off(interaction)
            return
        await cog.require_enabled(interaction.guild_id)
        await interaction.response.send_modal(AskModal(self.article_id))


class AskModal(discord.ui.Modal, title="Ask about this story"):
    """One text field: the question, answered with the story's reporting first."""

    question: discord.ui.TextInput[AskModal] = discord.ui.TextInput(
        label="Your question",
        custom_id=MODAL_FIELD,
        placeholder="What happens next?",
        style=discord.TextStyle.paragraph,
        min_length=1,
        max_length=1000,
    )

    def __init__(self, article_id: int) -> None:
        super().__init__(timeout=600, custom_id=f"question:modal:{article_id}")
        self.article_id = article_id

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Answer privately, with this article first."""
        cog = questions_cog(interaction)
        if cog is None:
            await switched_off(interaction)
            return
        await cog.answer_interaction(
            interaction, self.question.value, article_id=self.article_id, source="button"
        )

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        """Answer failures through the tree's one handler."""
        await report_component_error(interaction, error, self)


class FeedbackButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=FEEDBACK_TEMPLATE):
    """👍 or 👎 on an answer."""

    def __init__(self, question_id: int, vote: str) -> None:
        self.question_id = question_id
        self.vote = vote
        super().__init__(
            discord.ui.Button(
                emoji="👍" if vote == "up" else "👎",
                style=discord.ButtonStyle.secondary,
                custom_id=f"question:feedback:{question_id}:{vote}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str]
    ) -> FeedbackButton:
        """Rebuild the button from its custom_id."""
        return cls(int(match["id"]), match["vote"])

    @answers_errors
    async def callback(self, interaction: discord.Interaction) -> None:
        """Record the vote."""
        cog = questions_cog(interaction)
        if cog is None:
            await switched_off(interaction)
            return
        await cog.record_feedback(interaction, self.question_id, helpful=self.vote == "up")


class SuggestButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=SUGGEST_TEMPLATE):
    """ "Suggest to editors" on a decline: posts the question in the editors' log channel."""

    def __init__(self, question_id: int) -> None:
        self.question_id = question_id
        super().__init__(
            discord.ui.Button(
                label="Suggest to editors",
                style=discord.ButtonStyle.primary,
                custom_id=f"question:suggest:{question_id}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str]
    ) -> SuggestButton:
        """Rebuild the button from its custom_id."""
        return cls(int(match["id"]))

    @answers_errors
    async def callback(self, interaction: discord.Interaction) -> None:
        """Pass the question on."""
        cog = questions_cog(interaction)
        if cog is None:
            await switched_off(interaction)
            return
        await cog.suggest(interaction, self.question_id)


DYNAMIC_ITEMS = (AskButton, FeedbackButton, SuggestButton)


def answer_view(question_id: int, *, answered: bool) -> discord.ui.View:
    """The row under an answer: 👍 👎, and "Suggest to editors" when there was no reporting."""
    view = NewsroomView(timeout=None)
    view.add_item(FeedbackButton(question_id, "up"))
    view.add_item(FeedbackButton(question_id, "down"))
    if not answered:
        view.add_item(SuggestButton(question_id))
    return view


def ask_button(article_id: int) -> AskButton:
    """The "Ask about this story" button for an announcement."""
    return AskButton(article_id)
