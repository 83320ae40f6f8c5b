"""Buttons on an /announce preview, as dynamic items that still work after a restart."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.app.tree import answers_errors

if TYPE_CHECKING:
    from cogs.articles._cog import ArticlesCog

PREVIEW_TEMPLATE = r"article:(?P<action>publish|cancel):(?P<id>[0-9]+)"


class PreviewButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=PREVIEW_TEMPLATE):
    """Publish or cancel a previewed article: `article:publish:<article id>`."""

    def __init__(self, action: str, article_id: int) -> None:
        self.action = action
        self.article_id = article_id
        publish = action == "publish"
        super().__init__(
            discord.ui.Button(
                label="Publish" if publish else "Cancel",
                style=discord.ButtonStyle.success if publish else discord.ButtonStyle.secondary,
                custom_id=f"article:{action}:{article_id}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str]
    ) -> PreviewButton:
        """Rebuild the button from its custom_id."""
        return cls(match["action"], int(match["id"]))

    @answers_errors
    async def callback(self, interaction: discord.Interaction) -> None:
        """Hand the click to the cog."""
        cog: ArticlesCog | None = interaction.client.get_cog("Articles")  # type: ignore[attr-defined]
        if cog is None:
            await interaction.response.send_message(
                "Announcements are switched off right now.", ephemeral=True
            )
            return
        if self.action == "publish":
            await cog.publish_from_preview(interaction, self.article_id)
        else:
            await interaction.response.edit_message(
                content="Cancelled: nothing was posted.", embed=None, view=None
            )


def preview_view(article_id: int) -> discord.ui.View:
    """Build the Publish / Cancel row of a preview."""
    view = discord.ui.View(timeout=None)
    view.add_item(PreviewButton("publish", article_id))
    view.add_item(PreviewButton("cancel", article_id))
    return view
