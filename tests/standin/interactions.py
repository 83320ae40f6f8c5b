"""Interactions as the stand-in records them: the INTERACTION_CREATE sent, and the bot's answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.standin import payloads
from tests.standin.access import permissions_of
from tests.standin.waiting import DEFAULT_TIMEOUT, Notifier

if TYPE_CHECKING:
    from tests.standin.model import Channel, Member, Message, User


ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024


class InteractionType:
    """Discord interaction types."""

    PING = 1
    APPLICATION_COMMAND = 2
    MESSAGE_COMPONENT = 3
    AUTOCOMPLETE = 4
    MODAL_SUBMIT = 5


class CallbackType:
    """Discord interaction callback types."""

    PONG = 1
    CHANNEL_MESSAGE = 4
    DEFERRED_CHANNEL_MESSAGE = 5
    DEFERRED_UPDATE_MESSAGE = 6
    UPDATE_MESSAGE = 7
    AUTOCOMPLETE_RESULT = 8
    MODAL = 9


@dataclass
class CallbackResponse:
    """The bot's answer to an interaction, as it sent it (a snapshot; `message` stays live)."""

    type: int
    data: dict[str, Any]
    message: Message | None = None

    @property
    def content(self) -> str | None:
        """Return the content the callback sent."""
        return self.data.get("content")

    @property
    def embeds(self) -> list[dict[str, Any]]:
        """Return the embeds the callback sent."""
        return self.data.get("embeds") or []

    @property
    def components(self) -> list[dict[str, Any]]:
        """Return the components the callback sent."""
        return self.data.get("components") or []

    @property
    def flags(self) -> int:
        """Return the message flags the callback asked for."""
        return int(self.data.get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        """Return whether the answer is only visible to the interaction's user."""
        return bool(self.flags & 64)

    @property
    def deferred(self) -> bool:
        """Return whether the bot deferred (type 5 "thinking" or type 6)."""
        return self.type in (
            CallbackType.DEFERRED_CHANNEL_MESSAGE,
            CallbackType.DEFERRED_UPDATE_MESSAGE,
        )

    @property
    def modal(self) -> dict[str, Any] | None:
        """Return the modal the bot opened (type 9), if any."""
        return self.data if self.type == CallbackType.MODAL else None

    @property
    def choices(self) -> list[dict[str, Any]]:
        """Return the autocomplete choices (type 8)."""
        return self.data.get("choices") or []


@dataclass(eq=False)
class Interaction:
    """One interaction a person started, and everything the bot answered to it."""

    id: int
    token: str
    type: int
    user: User
    channel: Channel
    data: dict[str, Any]
    created_at: float
    member: Member | None = None
    message: Message | None = None
    source: Interaction | None = None
    name: str = ""
    payload: dict[str, Any] = field(default_factory=dict, repr=False)
    callback: CallbackResponse | None = None
    original: Message | None = None
    followup_messages: list[Message] = field(default_factory=list)
    notifier: Notifier = field(default_factory=Notifier, repr=False)

    @property
    def acknowledged(self) -> bool:
        """Return whether the bot has answered the callback."""
        return self.callback is not None

    @property
    def guild_id(self) -> int | None:
        """Return the guild's id, None in a DM."""
        return self.channel.guild_id

    async def response(self, timeout: float = DEFAULT_TIMEOUT) -> CallbackResponse:  # noqa: ASYNC109
        """Wait for the bot's callback and return it."""
        return await self.notifier.wait_for(
            lambda: self.callback,
            timeout=timeout,
            what=f"the bot to answer interaction {self.describe()}",
        )

    async def followups(self, count: int = 1, timeout: float = DEFAULT_TIMEOUT) -> list[Message]:  # noqa: ASYNC109
        """Wait until the bot has sent `count` follow-ups and return them."""
        return await self.notifier.wait_for(
            lambda: (
                self.followup_messages[:count] if len(self.followup_messages) >= count else None
            ),
            timeout=timeout,
            what=f"{count} follow-up(s) to interaction {self.describe()}",
            details=lambda: f"got {len(self.followup_messages)}",
        )

    async def wait_for_original(
        self,
        condition: Any = None,
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
    ) -> Message:
        """Wait until the original response exists (and satisfies `condition(message)`)."""

        def ready() -> Message | None:
            message = self.original
            if message is None or (condition is not None and not condition(message)):
                return None
            return message

        return await self.notifier.wait_for(
            ready, timeout=timeout, what=f"the original response of {self.describe()}"
        )

    def describe(self) -> str:
        """Return a short human description for error messages."""
        kinds = {2: "/", 3: "component ", 4: "autocomplete /", 5: "modal "}
        return f"{kinds.get(self.type, '')}{self.name} by {self.user.username} ({self.id})"

    def owns(self, message: Message) -> bool:
        """Return whether a message was sent through this interaction's token."""
        return message is self.original or message in self.followup_messages

    def gateway_payload(self, application_id: int, bot: User) -> dict[str, Any]:
        """Return the INTERACTION_CREATE payload, permissions computed as Discord does."""
        channel, user = self.channel, self.user
        user_permissions = permissions_of(user, channel)
        guild = channel.guild
        data: dict[str, Any] = {
            "id": str(self.id),
            "application_id": str(application_id),
            "type": self.type,
            "data": self.data,
            "token": self.token,
            "version": 1,
            "channel_id": str(channel.id),
            "channel": payloads.channel(channel, permissions=user_permissions),
            "app_permissions": str(permissions_of(bot, channel)),
            "locale": "en-US",
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
            "authorizing_integration_owners": {"0": str(guild.id) if guild else "0"},
            "context": 0 if guild else 1,
        }
        if guild is not None and self.member is not None:
            data.update(
                guild_id=str(guild.id),
                guild={"id": str(guild.id), "locale": "en-US", "features": ["NEWS", "COMMUNITY"]},
                guild_locale="en-US",
                member=payloads.member(self.member, permissions=user_permissions),
            )
        else:
            data["user"] = payloads.user(user)
        if self.message is not None:
            data["message"] = payloads.message(self.message, viewer_id=bot.id)
        return data

    def message_metadata(self, message: Message) -> dict[str, Any]:
        """Return the `interaction_metadata` and `interaction` fields of a response message."""
        owners = {"0": str(self.guild_id)} if self.guild_id else {"1": str(self.user.id)}
        metadata: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "user": payloads.user(self.user),
            "authorizing_integration_owners": owners,
        }
        if self.type == InteractionType.APPLICATION_COMMAND:
            metadata["name"] = self.name
            metadata["command_type"] = self.data.get("type", 1)
        if self.type == InteractionType.MESSAGE_COMPONENT and self.message is not None:
            metadata["interacted_message_id"] = str(self.message.id)
        if self.source is not None:
            metadata["triggering_interaction_metadata"] = self.source.message_metadata(message)[
                "interaction_metadata"
            ]
        if self.original is not None and message is not self.original:
            metadata["original_response_message_id"] = str(self.original.id)
        legacy: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "name": self.name,
            "user": payloads.user(self.user),
        }
        if self.member is not None:
            legacy["member"] = payloads.member(self.member, with_user=False)
        return {"interaction_metadata": metadata, "interaction": legacy}
