"""Buttons and the modal of comments, as dynamic items that still work after a restart.

custom_ids: `comment:reply:<article id>` ("Reply on site" under announcements) and
`comment:consent:<guild id>:<user id>:yes|no` (the consent prompt).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.app.tree import answers_errors, report_component_error
from bot.errors import NotConfigured, NotPermitted

if TYPE_CHECKING:
    from cogs.comments._cog import CommentsCog

REPLY_TEMPLATE = r"comment:reply:(?P<id>[0-9]+)"
CONSENT_TEMPLATE = r"comment:consent:(?P<guild>[0-9]+):(?P<user>[0-9]+):(?P<answer>yes|no)"
MODAL_FIELD = "comment"


def comments_cog(interaction: discord.Interaction) -> CommentsCog:
    """Find the loaded comments cog, or say that comments are unavailable."""
    cog = interaction.client.get_cog("Comments")  # type: ignore[attr-defined]
    if cog is None:
        raise NotConfigured("Comments are switched off right now.")
    return cog  # type: ignore[no-any-return]


def consent_view(guild_id: int, user_id: int) -> discord.ui.View:
    """Build the two consent buttons for one member."""
    view = discord.ui.View(timeout=None)
    view.add_item(ConsentButton(guild_id, user_id, "yes"))
    view.add_item(ConsentButton(guild_id, user_id, "no"))
    return view


class ReplyButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=REPLY_TEMPLATE):
    """ "Reply on site" under an announcement: opens the comment modal."""

    def __init__(self, article_id: int) -> None:
        self.article_id = article_id
        super().__init__(
            discord.ui.Button(label="Reply on site", custom_id=f"comment:reply:{article_id}")
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str]
    ) -> ReplyButton:
        """Rebuild the button from its custom_id."""
        return cls(int(match["id"]))

    @answers_errors
    async def callback(self, interaction: discord.Interaction) -> None:
        """Open the modal if comments are on here."""
        cog = comments_cog(interaction)
        await cog.require_enabled(interaction.guild_id)
        await interaction.response.send_modal(ReplyModal(self.article_id))


class ReplyModal(discord.ui.Modal, title="Reply on the site"):
    """One text field: the comment, published under the member's name after moderation."""

    comment: discord.ui.TextInput[ReplyModal] = discord.ui.TextInput(
        label="Your comment",
        custom_id=MODAL_FIELD,
        placeholder="Shown on the site under your name, after the editors' moderation.",
        style=discord.TextStyle.paragraph,
        min_length=1,
        max_length=4000,
    )

    def __init__(self, article_id: int) -> None:
        super().__init__(timeout=900, custom_id=f"comment:modal:{article_id}")
        self.article_id = article_id

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Hand the text to the cog."""
        await comments_cog(interaction).comment_from_modal(
            interaction, self.article_id, self.comment.value
        )

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        """Answer through the tree's one error handler."""
        await report_component_error(interaction, error, self)


class ConsentButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=CONSENT_TEMPLATE):
    """Yes or no to "may your words appear on the site?", for one member only."""

    def __init__(self, guild_id: int, user_id: int, answer: str) -> None:
        self.guild_id = guild_id
        self.user_id = user_id
        self.answer = answer
        yes = answer == "yes"
        super().__init__(
            discord.ui.Button(
                label="Yes, publish them" if yes else "No, keep them in Discord",
                style=discord.ButtonStyle.success if yes else discord.ButtonStyle.secondary,
                custom_id=f"comment:consent:{guild_id}:{user_id}:{answer}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str]
    ) -> ConsentButton:
        """Rebuild the button from its custom_id."""
        return cls(int(match["guild"]), int(match["user"]), match["answer"])

    @answers_errors
    async def callback(self, interaction: discord.Interaction) -> None:
        """Record the answer (only the member asked may give it)."""
        if interaction.user.id != self.user_id:
            raise NotPermitted("This question was for someone else; use /comments optin instead.")
        await comments_cog(interaction).answer_consent(
            interaction, self.guild_id, self.answer == "yes"
        )


DYNAMIC_ITEMS = (ReplyButton, ConsentButton)
