"""REST routes for channels, DM channels and threads."""

from __future__ import annotations

from typing import Any

from tests.standin import payloads
from tests.standin.access import require
from tests.standin.errors import ApiError, missing_permissions, unknown
from tests.standin.model import ChannelType
from tests.standin.permissions import Intents
from tests.standin.permissions import Permissions as P
from tests.standin.rest import Call, Reply, RouteTable
from tests.standin.threads import join_thread, leave_thread, start_thread, update_thread
from tests.standin.validation import check_thread

routes = RouteTable()

CHANNEL_FIELDS = ("name", "topic", "nsfw", "rate_limit_per_user", "position")


@routes.route("GET", "/channels/{channel_id}")
async def get_channel(call: Call) -> Any:
    """Return a channel, thread or DM channel."""
    channel = call.channel()
    require(call.bot, channel)
    return payloads.channel(channel)


@routes.route("PATCH", "/channels/{channel_id}")
async def edit_channel(call: Call) -> Any:
    """Edit a channel (Manage Channels) or a thread (archive, lock, rename)."""
    channel = call.channel()
    changes = call.json
    if channel.is_thread:
        value = require(call.bot, channel)
        owner = channel.owner_id == call.bot.id
        needs_manage = bool({"locked", "invitable"} & changes.keys()) or channel.locked
        if not value & P.manage_threads and (needs_manage or not owner):
            raise missing_permissions()
        check_thread(changes)
        update_thread(call.standin, channel, changes)
        return payloads.channel(channel)
    if channel.is_dm:
        raise ApiError(400, 50024, "Cannot execute action on this channel type")
    require(call.bot, channel, P.manage_channels)
    for key in CHANNEL_FIELDS:
        if key in changes:
            setattr(channel, key, changes[key])
    if changes.get("type") in (ChannelType.TEXT, ChannelType.NEWS):
        channel.type = changes["type"]
    assert channel.guild is not None
    channel.guild.channel_changed(channel)
    call.standin.changed()
    return payloads.channel(channel)


@routes.route("DELETE", "/channels/{channel_id}")
async def delete_channel(call: Call) -> Any:
    """Delete a channel or thread (Manage Channels / Manage Threads)."""
    channel = call.channel()
    if channel.is_dm:
        return payloads.channel(channel)
    require(call.bot, channel, P.manage_threads if channel.is_thread else P.manage_channels)
    guild = channel.guild
    assert guild is not None
    del guild.channels[channel.id]
    del call.standin.channels[channel.id]
    if channel.is_thread:
        data = {
            "id": str(channel.id),
            "guild_id": str(guild.id),
            "parent_id": str(channel.parent_id),
            "type": channel.type,
        }
        call.standin.dispatch("THREAD_DELETE", data, guild_id=guild.id, intent=Intents.guilds)
    else:
        call.standin.dispatch(
            "CHANNEL_DELETE", payloads.channel(channel), guild_id=guild.id, intent=Intents.guilds
        )
    call.standin.changed()
    return payloads.channel(channel)


@routes.route("POST", "/channels/{channel_id}/typing")
async def typing(call: Call) -> Any:
    """Accept a typing indicator."""
    require(call.bot, call.channel())
    return None


@routes.route("POST", "/users/@me/channels")
async def open_dm(call: Call) -> Any:
    """Open (or return) the DM channel with a user."""
    user = call.standin.users.get(int(call.json.get("recipient_id") or 0))
    if user is None:
        raise unknown("User")
    return payloads.channel(call.standin.dm_channel(user))


# Threads ------------------------------------------------------------------------------------


@routes.route("POST", "/channels/{channel_id}/messages/{message_id}/threads")
async def thread_from_message(call: Call) -> Any:
    """Start a public thread from a message (Create Public Threads)."""
    channel = call.channel()
    message = call.message(channel)
    if channel.type not in (ChannelType.TEXT, ChannelType.NEWS):
        raise ApiError(400, 50024, "Cannot execute action on this channel type")
    check_thread({"name": None, **call.json})
    require(call.bot, channel, P.create_public_threads)
    if message.thread is not None:
        raise ApiError(400, 160004, "A thread has already been created for this message")
    thread = start_thread(
        call.standin,
        channel,
        name=call.json["name"],
        owner=call.bot,
        thread_type=ChannelType.NEWS_THREAD if channel.is_news else ChannelType.PUBLIC_THREAD,
        message=message,
        auto_archive_duration=call.json.get("auto_archive_duration") or 1440,
        rate_limit_per_user=call.json.get("rate_limit_per_user") or 0,
    )
    return Reply(201, payloads.channel(thread))


@routes.route("POST", "/channels/{channel_id}/threads")
async def thread_without_message(call: Call) -> Any:
    """Start a thread with no starter message (public or private)."""
    channel = call.channel()
    if channel.type not in (ChannelType.TEXT, ChannelType.NEWS):
        raise ApiError(400, 50024, "Cannot execute action on this channel type")
    check_thread({"name": None, **call.json})
    kind = call.json.get("type", ChannelType.PRIVATE_THREAD)
    if channel.is_news and kind == ChannelType.PRIVATE_THREAD:
        raise ApiError(400, 50024, "Cannot execute action on this channel type")
    if channel.is_news:
        kind = ChannelType.NEWS_THREAD
    needed = (
        P.create_private_threads if kind == ChannelType.PRIVATE_THREAD else P.create_public_threads
    )
    require(call.bot, channel, needed)
    thread = start_thread(
        call.standin,
        channel,
        name=call.json["name"],
        owner=call.bot,
        thread_type=kind,
        auto_archive_duration=call.json.get("auto_archive_duration") or 1440,
        invitable=call.json.get("invitable", True),
        rate_limit_per_user=call.json.get("rate_limit_per_user") or 0,
    )
    return Reply(201, payloads.channel(thread))


def _thread(call: Call) -> Any:
    """Return the path's channel, which must be a thread."""
    thread = call.channel()
    if not thread.is_thread:
        raise ApiError(400, 50024, "Cannot execute action on this channel type")
    return thread


@routes.route("PUT", "/channels/{channel_id}/thread-members/@me")
async def join(call: Call) -> Any:
    """Join a thread."""
    thread = _thread(call)
    require(call.bot, thread)
    if thread.archived:
        raise ApiError(400, 50083, "Thread is archived")
    join_thread(call.standin, thread, call.bot)
    call.standin.changed()
    return None


@routes.route("DELETE", "/channels/{channel_id}/thread-members/@me")
async def leave(call: Call) -> Any:
    """Leave a thread."""
    thread = _thread(call)
    leave_thread(call.standin, thread, call.bot)
    call.standin.changed()
    return None


@routes.route("PUT", "/channels/{channel_id}/thread-members/{user_id}")
async def add_thread_member(call: Call) -> Any:
    """Add someone to a thread (Send Messages in Threads)."""
    thread = _thread(call)
    require(call.bot, thread, P.send_messages_in_threads)
    user = call.standin.users.get(call.id("user_id"))
    if user is None or thread.guild is None or user.id not in thread.guild.members:
        raise unknown("Member")
    join_thread(call.standin, thread, user)
    call.standin.changed()
    return None


@routes.route("DELETE", "/channels/{channel_id}/thread-members/{user_id}")
async def remove_thread_member(call: Call) -> Any:
    """Remove someone from a thread (Manage Threads)."""
    thread = _thread(call)
    require(call.bot, thread, P.manage_threads)
    user = call.standin.users.get(call.id("user_id"))
    if user is None:
        raise unknown("Member")
    leave_thread(call.standin, thread, user)
    call.standin.changed()
    return None


@routes.route("GET", "/channels/{channel_id}/thread-members/{user_id}")
async def get_thread_member(call: Call) -> Any:
    """Return one thread member."""
    thread = _thread(call)
    user_id = call.id("user_id")
    if user_id not in thread.thread_members:
        raise unknown("Member")
    return payloads.thread_member(thread, user_id)


@routes.route("GET", "/channels/{channel_id}/thread-members")
async def list_thread_members(call: Call) -> Any:
    """List a thread's members (`with_member=true` adds guild members)."""
    thread = _thread(call)
    require(call.bot, thread)
    with_member = call.query.get("with_member") in ("true", "1", "True")
    guild = thread.guild
    assert guild is not None
    return [
        payloads.thread_member(
            thread, user_id, with_member=guild.members.get(user_id) if with_member else None
        )
        for user_id in thread.thread_members
    ]


@routes.route("GET", "/channels/{channel_id}/threads/archived/public")
async def archived_threads(call: Call) -> Any:
    """List a channel's archived public threads, newest archived first."""
    channel = call.channel()
    require(call.bot, channel, P.read_message_history)
    guild = channel.guild
    assert guild is not None
    threads = sorted(
        (t for t in guild.threads() if t.parent_id == channel.id and t.archived and t.type != 12),
        key=lambda t: t.archive_timestamp or 0,
        reverse=True,
    )
    limit = call.query_int("limit", 50) or 50
    members = [
        payloads.thread_member(t, call.bot.id)
        for t in threads[:limit]
        if call.bot.id in t.thread_members
    ]
    return {
        "threads": [payloads.channel(t) for t in threads[:limit]],
        "members": members,
        "has_more": len(threads) > limit,
    }
