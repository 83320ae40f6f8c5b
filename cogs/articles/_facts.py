"""/article: editors curate an article's key facts and withdraw its announcements."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot.app.checks import editors_only
from bot.app.context import AppContext
from bot.articles.announcements import AnnouncementStatus
from bot.articles.store import StoredArticle
from bot.errors import InvalidInput
from cogs.articles._publisher import Publisher
from cogs.articles._render import announcement_embed, numbered_fact, shorten

log = logging.getLogger(__name__)

ARTICLE_OPTION = "The article (type to search titles); inside an article's thread, that article"


class ArticleCommands(app_commands.Group):
    """The /article group: key facts and retraction, editors only."""

    facts = app_commands.Group(name="facts", description="Curate an article's key facts")

    def __init__(self, context: AppContext, publisher: Publisher) -> None:
        super().__init__(name="article", description="Manage announced articles", guild_only=True)
        self.context = context
        self.publisher = publisher

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Let only editors use /article."""
        return await editors_only(interaction, self.context.guild_settings)

    async def _article(
        self, interaction: discord.Interaction, article_id: int | None
    ) -> StoredArticle:
        """Return the chosen article, or the one whose thread this is."""
        if article_id is None:
            record = None
            if interaction.channel_id is not None:
                record = await self.context.announcements.by_message_or_thread(
                    interaction.channel_id
                )
            if record is None:
                raise InvalidInput("Pick an article, or use this inside an article's thread.")
            article_id = record.article_id
        return await self.context.articles.get(article_id)

    async def _after_edit(
        self, interaction: discord.Interaction, article: StoredArticle, done: str
    ) -> None:
        """Update the article's announcements and show the facts as they are now."""
        for record in await self.context.announcements.of_article(article.id):
            if record.status is AnnouncementStatus.POSTED:
                try:
                    await self.publisher.refresh(record, article)
                except discord.HTTPException as exc:
                    log.warning("Could not update announcement %s: %s", record.id, exc.text)
        await interaction.response.send_message(
            done, embed=announcement_embed(article), ephemeral=True
        )

    @facts.command(name="list", description="Show an article's key facts, numbered")
    @app_commands.describe(article=ARTICLE_OPTION)
    async def facts_list(
        self, interaction: discord.Interaction, article: int | None = None
    ) -> None:
        """List the key facts with their numbers."""
        found = await self._article(interaction, article)
        lines = [numbered_fact(n, fact) for n, fact in enumerate(found.key_facts, 1)]
        body = "\n".join(lines) or "No key facts yet: add one with /article facts add."
        await interaction.response.send_message(
            shorten(f"**{found.title}**\n{body}", 2000), ephemeral=True
        )

    @facts.command(name="add", description="Add a key fact at the end")
    @app_commands.describe(
        text="The fact, one or two sentences",
        label="A short label, like 'Russia’s Position'",
        article=ARTICLE_OPTION,
    )
    async def facts_add(
        self,
        interaction: discord.Interaction,
        text: app_commands.Range[str, 1, 1000],
        label: app_commands.Range[str, 1, 100] | None = None,
        article: int | None = None,
    ) -> None:
        """Append a fact."""
        found = await self._article(interaction, article)
        updated = await self.context.articles.add_fact(
            found.id, label, text, editor_id=interaction.user.id
        )
        await self._after_edit(interaction, updated, f"Added fact {len(updated.key_facts)}.")

    @facts.command(name="edit", description="Change a key fact's text or label")
    @app_commands.describe(
        number="The fact's number in /article facts list",
        text="New text",
        label="New label (leave out to keep it)",
        article=ARTICLE_OPTION,
    )
    async def facts_edit(
        self,
        interaction: discord.Interaction,
        number: app_commands.Range[int, 1, 25],
        text: app_commands.Range[str, 1, 1000] | None = None,
        label: app_commands.Range[str, 1, 100] | None = None,
        article: int | None = None,
    ) -> None:
        """Edit a fact."""
        if text is None and label is None:
            raise InvalidInput("Give a new text, a new label, or both.")
        found = await self._article(interaction, article)
        updated = await self.context.articles.edit_fact(
            found.id, number, label=label, text=text, editor_id=interaction.user.id
        )
        await self._after_edit(interaction, updated, f"Updated fact {number}.")

    @facts.command(name="move", description="Move a key fact to another place in the list")
    @app_commands.describe(
        number="The fact's number now", to="Its new number", article=ARTICLE_OPTION
    )
    async def facts_move(
        self,
        interaction: discord.Interaction,
        number: app_commands.Range[int, 1, 25],
        to: app_commands.Range[int, 1, 25],
        article: int | None = None,
    ) -> None:
        """Reorder a fact."""
        found = await self._article(interaction, article)
        updated = await self.context.articles.move_fact(
            found.id, number, to, editor_id=interaction.user.id
        )
        await self._after_edit(interaction, updated, f"Moved fact {number} to place {to}.")

    @facts.command(name="remove", description="Remove a key fact")
    @app_commands.describe(
        number="The fact's number in /article facts list", article=ARTICLE_OPTION
    )
    async def facts_remove(
        self,
        interaction: discord.Interaction,
        number: app_commands.Range[int, 1, 25],
        article: int | None = None,
    ) -> None:
        """Delete a fact."""
        found = await self._article(interaction, article)
        updated = await self.context.articles.remove_fact(
            found.id, number, editor_id=interaction.user.id
        )
        await self._after_edit(interaction, updated, f"Removed fact {number}.")

    @app_commands.command(name="retract", description="Withdraw an article's announcement here")
    @app_commands.describe(article=ARTICLE_OPTION)
    async def retract(self, interaction: discord.Interaction, article: int | None = None) -> None:
        """Mark the article's announcements in this server as withdrawn and edit them."""
        found = await self._article(interaction, article)
        records = [
            record
            for record in await self.context.announcements.of_article(found.id)
            if record.guild_id == interaction.guild_id
            and record.status is AnnouncementStatus.POSTED
        ]
        if not records:
            raise InvalidInput("That article has no announcement to withdraw in this server.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        for record in records:
            await self.publisher.retract(record)
        log.info(
            "Article %s withdrawn by %s in guild %s",
            found.id,
            interaction.user.id,
            interaction.guild_id,
        )
        await interaction.followup.send(
            f"Withdrawn: {shorten(found.title, 200)}. The announcement now says so.", ephemeral=True
        )

    @facts_list.autocomplete("article")
    @facts_add.autocomplete("article")
    @facts_edit.autocomplete("article")
    @facts_move.autocomplete("article")
    @facts_remove.autocomplete("article")
    @retract.autocomplete("article")
    async def _article_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        """Offer the newest articles whose title matches what the editor typed."""
        found = await self.context.articles.search_titles(current.strip(), limit=25)
        return [app_commands.Choice(name=shorten(title, 100), value=id_) for id_, title in found]
