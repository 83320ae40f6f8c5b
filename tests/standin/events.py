"""Gateway events shared by several actions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.standin import payloads
from tests.standin.model import Message
from tests.standin.permissions import Intents

if TYPE_CHECKING:
    from tests.standin.standin import DiscordStandIn


def message_event(standin: DiscordStandIn, event: str, message: Message) -> None:
    """Send MESSAGE_CREATE or MESSAGE_UPDATE, blanking content for bots without the intent."""
    if message.ephemeral:
        return
    standin.dispatch(
        event,
        payloads.message(message, viewer_id=standin.bot_user.id),
        guild_id=message.channel.guild_id,
        intent=Intents.guild_messages if message.guild else Intents.direct_messages,
        content_exempt=content_exempt(standin, message),
    )


def content_exempt(standin: DiscordStandIn, message: Message) -> bool:
    """Return whether the bot sees content without MESSAGE_CONTENT: DMs, mentions, its own."""
    bot = standin.bot_user
    return (
        message.channel.is_dm
        or message.author.id == bot.id
        or any(user.id == bot.id for user in message.mentions)
    )


def rest_message(standin: DiscordStandIn, message: Message) -> dict[str, Any]:
    """Return a message as REST does: blanked unless the app has the Message Content intent."""
    data = payloads.message(message, viewer_id=standin.bot_user.id)
    if standin.enabled_intents & Intents.message_content or content_exempt(standin, message):
        return data
    return strip_content(data)


def strip_content(data: dict[str, Any]) -> dict[str, Any]:
    """Return a message payload as a bot without the MESSAGE_CONTENT intent sees it."""
    stripped = {**data, "content": "", "embeds": [], "attachments": [], "components": []}
    stripped.pop("poll", None)
    if stripped.get("referenced_message"):
        stripped["referenced_message"] = strip_content(stripped["referenced_message"])
    return stripped
