"""Poll buttons as dynamic items: they keep working after a restart, whatever the poll."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.app.tree import answers_errors, report_component_error

if TYPE_CHECKING:
    from cogs.polls._cog import PollsCog

VOTE_TEMPLATE = r"poll:vote:(?P<poll>[0-9]+):(?P<option>[0-9]+)"
REMOVE_TEMPLATE = r"poll:remove:(?P<poll>[0-9]+)"
PICK_TEMPLATE = r"poll:pick:(?P<poll>[0-9]+)"
SUGGEST_TEMPLATE = r"poll:suggest:(?P<announcement>[0-9]+):(?P<index>[0-9]+)"
SELECT_LABEL_LIMIT = 100


def polls_cog(interaction: discord.Interaction) -> PollsCog | None:
    """Return the loaded polls cog."""
    return interaction.client.get_cog("Polls")  # type: ignore[attr-defined,no-any-return]


async def polls_unavailable(interaction: discord.Interaction) -> None:
    """Answer a click while the polls cog is not loaded."""
    await interaction.response.send_message(
        "Polls are not available right now; try again in a moment.", ephemeral=True
    )


class VoteButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=VOTE_TEMPLATE):
    """Vote for an option: `poll:vote:<poll id>:<option position>`."""

    def __init__(self, poll_id: int, position: int, *, label: str = "Vote") -> None:
        self.poll_id = poll_id
        self.position = position
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.primary,
                custom_id=f"poll:vote:{poll_id}:{position}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str]
    ) -> VoteButton:
        """Rebuild the button from its custom_id."""
        return cls(int(match["poll"]), int(match["option"]), label=item.label or "Vote")

    @answers_errors
    async def callback(self, interaction: discord.Interaction) -> None:
        """Record the vote."""
        cog = polls_cog(interaction)
        if cog is None:
            await polls_unavailable(interaction)
            return
        await cog.vote(interaction, self.poll_id, self.position)


class PickSelect(discord.ui.DynamicItem[discord.ui.Select[Any]], template=PICK_TEMPLATE):
    """Vote through a select menu, for polls with more options than buttons fit."""

    def __init__(self, poll_id: int, labels: list[str] | None = None) -> None:
        self.poll_id = poll_id
        options = [
            discord.SelectOption(label=label[:SELECT_LABEL_LIMIT], value=str(position))
            for position, label in enumerate(labels or ["?"])
        ]
        super().__init__(
            discord.ui.Select(
                custom_id=f"poll:pick:{poll_id}",
                placeholder="Choose an option",
                options=options,
                min_values=1,
                max_values=1,
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Select[Any], match: re.Match[str]
    ) -> PickSelect:
        """Rebuild the menu from its custom_id."""
        return cls(int(match["poll"]))

    @answers_errors
    async def callback(self, interaction: discord.Interaction) -> None:
        """Record the vote for the picked option."""
        cog = polls_cog(interaction)
        if cog is None:
            await polls_unavailable(interaction)
            return
        values = (interaction.data or {}).get("values") or []  # type: ignore[union-attr]
        await cog.vote(interaction, self.poll_id, int(values[0]))


class RemoveButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=REMOVE_TEMPLATE):
    """Take back one's vote: `poll:remove:<poll id>`."""

    def __init__(self, poll_id: int) -> None:
        self.poll_id = poll_id
        super().__init__(
            discord.ui.Button(
                label="Remove my vote",
                style=discord.ButtonStyle.secondary,
                custom_id=f"poll:remove:{poll_id}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str]
    ) -> RemoveButton:
        """Rebuild the button from its custom_id."""
        return cls(int(match["poll"]))

    @answers_errors
    async def callback(self, interaction: discord.Interaction) -> None:
        """Remove the vote."""
        cog = polls_cog(interaction)
        if cog is None:
            await polls_unavailable(interaction)
            return
        await cog.remove_vote(interaction, self.poll_id)


class SuggestButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=SUGGEST_TEMPLATE):
    """Open a suggested poll: `poll:suggest:<announcement id>:<question index>` (editors)."""

    def __init__(self, announcement_id: int, index: int, *, label: str = "Open poll") -> None:
        self.announcement_id = announcement_id
        self.index = index
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.success,
                custom_id=f"poll:suggest:{announcement_id}:{index}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str]
    ) -> SuggestButton:
        """Rebuild the button from its custom_id."""
        return cls(int(match["announcement"]), int(match["index"]), label=item.label or "Open")

    @answers_errors
    async def callback(self, interaction: discord.Interaction) -> None:
        """Open the poll (or ask for its options first)."""
        cog = polls_cog(interaction)
        if cog is None:
            await polls_unavailable(interaction)
            return
        await cog.open_suggestion(interaction, self.announcement_id, self.index)


class OptionsModal(discord.ui.Modal):
    """Ask an editor for the options of a suggested open question."""

    def __init__(self, cog: PollsCog, announcement_id: int, index: int, question: str) -> None:
        super().__init__(title="Open a poll", timeout=900)
        self.cog = cog
        self.announcement_id = announcement_id
        self.index = index
        self.question: discord.ui.TextInput[OptionsModal] = discord.ui.TextInput(
            label="Question", default=question[:300], max_length=300, custom_id="question"
        )
        self.options: discord.ui.TextInput[OptionsModal] = discord.ui.TextInput(
            label="Options, separated by ; or |",
            placeholder="Diplomacy; Sanctions; Military action; Too early to say",
            style=discord.TextStyle.paragraph,
            max_length=1500,
            custom_id="options",
        )
        self.add_item(self.question)
        self.add_item(self.options)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Open the poll with the editor's question and options."""
        await self.cog.open_suggestion(
            interaction,
            self.announcement_id,
            self.index,
            question=self.question.value,
            options=self.options.value,
        )

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        """Answer through the tree's one error handler."""
        await report_component_error(interaction, error, self)


DYNAMIC_ITEMS = (VoteButton, PickSelect, RemoveButton, SuggestButton)
