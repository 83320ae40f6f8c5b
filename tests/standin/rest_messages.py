"""REST routes for messages: send, list, edit, delete, crosspost, pins, reactions and polls."""

from __future__ import annotations

from typing import Any

from tests.standin import payloads, polls
from tests.standin.access import require, require_can_send
from tests.standin.clock import iso
from tests.standin.errors import ApiError, FormErrors, missing_permissions
from tests.standin.events import message_event, rest_message
from tests.standin.messages import (
    add_reaction,
    create_message,
    delete_message,
    edit_message,
    emoji_from_path,
    remove_reaction,
)
from tests.standin.model import Channel, Message, MessageFlags
from tests.standin.permissions import Intents
from tests.standin.permissions import Permissions as P
from tests.standin.rest import Call, RouteTable
from tests.standin.validation import check_message

routes = RouteTable()


@routes.route("POST", "/channels/{channel_id}/messages", bucket="message-create")
async def send_message(call: Call) -> Any:
    """Send a message as the bot (JSON, or multipart with files)."""
    channel = call.channel()
    check_message(call.json, files=len(call.files))
    require_can_send(call.bot, channel, call.json, len(call.files))
    message = create_message(call.standin, channel, call.bot, call.json, files=call.files)
    return rest_message(call.standin, message)


@routes.route("GET", "/channels/{channel_id}/messages")
async def list_messages(call: Call) -> Any:
    """List messages newest first (limit, before, after, around)."""
    channel = call.channel()
    require(call.bot, channel, P.read_message_history)
    limit = max(1, min(100, call.query_int("limit", 50) or 50))
    messages = channel.visible_messages()
    before, after, around = (call.query_int(k) for k in ("before", "after", "around"))
    if around is not None:
        older = [m for m in messages if m.id <= around][-((limit + 1) // 2) :]
        newer = [m for m in messages if m.id > around][: limit - len(older)]
        chosen = older + newer
    elif after is not None:
        chosen = [m for m in messages if m.id > after][:limit]
    else:
        if before is not None:
            messages = [m for m in messages if m.id < before]
        chosen = messages[-limit:]
    return [rest_message(call.standin, m) for m in reversed(chosen)]


@routes.route("GET", "/channels/{channel_id}/messages/pins")
async def list_pins(call: Call) -> Any:
    """List pinned messages."""
    channel = call.channel()
    require(call.bot, channel, P.read_message_history)
    pinned = [m for m in reversed(channel.visible_messages()) if m.pinned]
    items = [
        {"pinned_at": iso(m.created_at), "message": rest_message(call.standin, m)} for m in pinned
    ]
    return {"items": items, "has_more": False}


@routes.route("PUT", "/channels/{channel_id}/messages/pins/{message_id}")
async def pin(call: Call) -> Any:
    """Pin a message (Pin Messages or Manage Messages)."""
    return _set_pinned(call, True)


@routes.route("DELETE", "/channels/{channel_id}/messages/pins/{message_id}")
async def unpin(call: Call) -> Any:
    """Unpin a message."""
    return _set_pinned(call, False)


def _set_pinned(call: Call, pinned: bool) -> None:
    """Pin or unpin, with MESSAGE_UPDATE and CHANNEL_PINS_UPDATE."""
    channel = call.channel()
    message = call.message(channel)
    value = require(call.bot, channel)
    if not value & (P.pin_messages | P.manage_messages):
        raise missing_permissions()
    message.pinned = pinned
    message_event(call.standin, "MESSAGE_UPDATE", message)
    data: dict[str, Any] = {"channel_id": str(channel.id), "last_pin_timestamp": None}
    if channel.guild_id is not None:
        data["guild_id"] = str(channel.guild_id)
    intent = Intents.guilds if channel.guild_id else Intents.direct_messages
    call.standin.dispatch("CHANNEL_PINS_UPDATE", data, guild_id=channel.guild_id, intent=intent)
    call.standin.changed()


@routes.route("GET", "/channels/{channel_id}/messages/{message_id}")
async def get_message(call: Call) -> Any:
    """Return one message."""
    channel = call.channel()
    require(call.bot, channel, P.read_message_history)
    return rest_message(call.standin, call.message(channel))


@routes.route("PATCH", "/channels/{channel_id}/messages/{message_id}")
async def patch_message(call: Call) -> Any:
    """Edit a message: anything of the bot's own, only flags of others' (Manage Messages)."""
    channel = call.channel()
    message = call.message(channel)
    require(call.bot, channel)
    if message.author.id != call.bot.id:
        if set(call.json) - {"flags"}:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        require(call.bot, channel, P.manage_messages)
    check_message(call.json, files=len(call.files), editing=True)
    if call.json.get("embeds"):
        require(call.bot, channel, P.embed_links)
    edit_message(call.standin, message, call.json, files=call.files)
    return rest_message(call.standin, message)


@routes.route("DELETE", "/channels/{channel_id}/messages/{message_id}")
async def remove_message(call: Call) -> Any:
    """Delete a message: the bot's own, or anyone's with Manage Messages."""
    channel = call.channel()
    message = call.message(channel)
    if message.author.id != call.bot.id:
        require(call.bot, channel, P.manage_messages)
    else:
        require(call.bot, channel)
    delete_message(call.standin, message)
    return None


@routes.route("POST", "/channels/{channel_id}/messages/bulk-delete")
async def bulk_delete(call: Call) -> Any:
    """Delete 2-100 messages at once (Manage Messages)."""
    channel = call.channel()
    require(call.bot, channel, P.manage_messages)
    ids = [int(i) for i in call.json.get("messages") or []]
    errors = FormErrors()
    errors.length_between(("messages",), ids, 2, 100)
    errors.raise_if_any()
    found = [channel.messages[i] for i in ids if i in channel.messages]
    for message in found:
        message.deleted = True
    data: dict[str, Any] = {"ids": [str(m.id) for m in found], "channel_id": str(channel.id)}
    if channel.guild_id is not None:
        data["guild_id"] = str(channel.guild_id)
    call.standin.dispatch(
        "MESSAGE_DELETE_BULK", data, guild_id=channel.guild_id, intent=Intents.guild_messages
    )
    call.standin.changed()
    return None


@routes.route("POST", "/channels/{channel_id}/messages/{message_id}/crosspost", bucket="crosspost")
async def crosspost(call: Call) -> Any:
    """Publish a message of an announcement channel to its followers."""
    channel = call.channel()
    message = call.message(channel)
    if not channel.is_news:
        raise ApiError(400, 50024, "Cannot execute action on this channel type")
    needed = P.send_messages if message.author.id == call.bot.id else P.manage_messages
    require(call.bot, channel, needed)
    if message.flags & MessageFlags.CROSSPOSTED:
        raise ApiError(400, 40033, "This message has already been crossposted.")
    message.flags |= MessageFlags.CROSSPOSTED
    message_event(call.standin, "MESSAGE_UPDATE", message)
    call.standin.changed()
    return rest_message(call.standin, message)


# Reactions ----------------------------------------------------------------------------------

REACTIONS = "/channels/{channel_id}/messages/{message_id}/reactions"


def _reaction_target(call: Call) -> tuple[Channel, Message, dict[str, Any]]:
    """Return the channel, message and emoji a reaction route addresses."""
    channel = call.channel()
    message = call.message(channel)
    return channel, message, emoji_from_path(call.request.match_info["emoji"])


@routes.route("PUT", REACTIONS + "/{emoji}/@me", bucket="reaction")
async def react(call: Call) -> Any:
    """Add the bot's reaction (Add Reactions for a new emoji, Read Message History)."""
    channel, message, emoji = _reaction_target(call)
    existing = message.reactions.get(emoji["name"])
    if existing is None or not existing.user_ids:
        require(call.bot, channel, P.read_message_history, P.add_reactions)
    else:
        require(call.bot, channel, P.read_message_history)
    add_reaction(call.standin, message, call.bot, emoji)
    return None


@routes.route("DELETE", REACTIONS + "/{emoji}/@me", bucket="reaction")
async def unreact(call: Call) -> Any:
    """Remove the bot's reaction."""
    channel, message, emoji = _reaction_target(call)
    require(call.bot, channel, P.read_message_history)
    remove_reaction(call.standin, message, call.bot.id, emoji)
    return None


@routes.route("DELETE", REACTIONS + "/{emoji}/{user_id}", bucket="reaction")
async def remove_user_reaction(call: Call) -> Any:
    """Remove someone's reaction (Manage Messages)."""
    channel, message, emoji = _reaction_target(call)
    require(call.bot, channel, P.manage_messages)
    remove_reaction(call.standin, message, call.id("user_id"), emoji)
    return None


@routes.route("GET", REACTIONS + "/{emoji}")
async def reaction_users(call: Call) -> Any:
    """List the users who reacted with an emoji (limit, after)."""
    channel, message, emoji = _reaction_target(call)
    require(call.bot, channel, P.read_message_history)
    reaction = message.reactions.get(emoji["name"])
    after = call.query_int("after", 0) or 0
    limit = call.query_int("limit", 25) or 25
    ids = sorted(u for u in (reaction.user_ids if reaction else []) if u > after)[:limit]
    return [payloads.user(call.standin.users[u]) for u in ids]


@routes.route("DELETE", REACTIONS)
async def clear_reactions(call: Call) -> Any:
    """Remove every reaction (Manage Messages)."""
    channel = call.channel()
    message = call.message(channel)
    require(call.bot, channel, P.manage_messages)
    message.reactions.clear()
    _reaction_cleared(call, message, "MESSAGE_REACTION_REMOVE_ALL", {})
    return None


@routes.route("DELETE", REACTIONS + "/{emoji}")
async def clear_emoji(call: Call) -> Any:
    """Remove every reaction with one emoji (Manage Messages)."""
    channel, message, emoji = _reaction_target(call)
    require(call.bot, channel, P.manage_messages)
    message.reactions.pop(emoji["name"], None)
    _reaction_cleared(call, message, "MESSAGE_REACTION_REMOVE_EMOJI", {"emoji": emoji})
    return None


def _reaction_cleared(call: Call, message: Message, event: str, extra: dict[str, Any]) -> None:
    """Send a reaction-clearing event."""
    channel = message.channel
    data: dict[str, Any] = {"channel_id": str(channel.id), "message_id": str(message.id), **extra}
    if channel.guild_id is not None:
        data["guild_id"] = str(channel.guild_id)
    intent = (
        Intents.guild_message_reactions if channel.guild_id else Intents.direct_message_reactions
    )
    call.standin.dispatch(event, data, guild_id=channel.guild_id, intent=intent)
    call.standin.changed()


# Polls --------------------------------------------------------------------------------------


@routes.route("GET", "/channels/{channel_id}/polls/{message_id}/answers/{answer_id}")
async def poll_voters(call: Call) -> Any:
    """List the users who voted for an answer (limit, after)."""
    channel = call.channel()
    message = call.message(channel)
    require(call.bot, channel, P.read_message_history)
    if message.poll is None:
        raise ApiError(400, 0, "This message has no poll")
    answer_id = call.id("answer_id")
    if answer_id not in {a.answer_id for a in message.poll.answers}:
        raise ApiError(404, 10018, "Unknown Answer")
    after = call.query_int("after", 0) or 0
    limit = max(1, min(100, call.query_int("limit", 25) or 25))
    ids = sorted(u for u in message.poll.votes.get(answer_id, []) if u > after)[:limit]
    return {"users": [payloads.user(call.standin.users[u]) for u in ids]}


@routes.route("POST", "/channels/{channel_id}/polls/{message_id}/expire")
async def expire_poll(call: Call) -> Any:
    """End the bot's poll now: final results and the poll-result message."""
    channel = call.channel()
    message = call.message(channel)
    require(call.bot, channel)
    if message.poll is None:
        raise ApiError(400, 0, "This message has no poll")
    if message.author.id != call.bot.id:
        raise missing_permissions()
    if message.poll.finalized:
        raise ApiError(400, 520001, "This poll has already ended")
    polls.finalize(call.standin, message)
    return rest_message(call.standin, message)
