"""Threads: starting them (from a message or not), joining, leaving, archiving and locking."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.standin import payloads
from tests.standin.events import message_event
from tests.standin.model import Channel, ChannelType, Message, MessageFlags, User
from tests.standin.permissions import Intents

if TYPE_CHECKING:
    from tests.standin.standin import DiscordStandIn


def start_thread(
    standin: DiscordStandIn,
    parent: Channel,
    *,
    name: str,
    owner: User,
    thread_type: int,
    message: Message | None = None,
    auto_archive_duration: int = 1440,
    invitable: bool = True,
    rate_limit_per_user: int = 0,
) -> Channel:
    """Create a thread (from `message` if given) and send THREAD_CREATE (+ the starter update)."""
    guild = parent.guild
    assert guild is not None
    now = standin.wall_time()
    thread = Channel(
        id=message.id if message is not None else standin.ids.next(),
        type=thread_type,
        name=name,
        guild=guild,
        parent_id=parent.id,
        owner_id=owner.id,
        auto_archive_duration=auto_archive_duration,
        archive_timestamp=now,
        invitable=invitable,
        rate_limit_per_user=rate_limit_per_user or 0,
        thread_members={owner.id: now},
    )
    guild.channels[thread.id] = thread
    standin.channels[thread.id] = thread
    data = payloads.channel(thread)
    data["newly_created"] = True
    if standin.bot_user.id in thread.thread_members:
        data["member"] = payloads.thread_member(thread, standin.bot_user.id)
    if thread_type != ChannelType.PRIVATE_THREAD or standin.bot_user.id in thread.thread_members:
        standin.dispatch("THREAD_CREATE", data, guild_id=guild.id, intent=Intents.guilds)
    if message is not None:
        message.thread = thread
        message.flags |= MessageFlags.HAS_THREAD
        message_event(standin, "MESSAGE_UPDATE", message)
    standin.changed()
    return thread


def join_thread(standin: DiscordStandIn, thread: Channel, user: User) -> None:
    """Add a user to a thread's members, with the events Discord sends."""
    if user.id in thread.thread_members:
        return
    thread.thread_members[user.id] = standin.wall_time()
    _membership_changed(standin, thread, user, added=True)


def leave_thread(standin: DiscordStandIn, thread: Channel, user: User) -> None:
    """Remove a user from a thread's members, with the events Discord sends."""
    if thread.thread_members.pop(user.id, None) is None:
        return
    _membership_changed(standin, thread, user, added=False)


def update_thread(standin: DiscordStandIn, thread: Channel, changes: dict[str, Any]) -> None:
    """Apply a PATCH to a thread (name, archived, locked, ...) and send THREAD_UPDATE."""
    for key in ("name", "locked", "invitable", "auto_archive_duration", "rate_limit_per_user"):
        if key in changes and changes[key] is not None:
            setattr(thread, key, changes[key])
    if "archived" in changes and changes["archived"] is not None:
        if bool(changes["archived"]) != thread.archived:
            thread.archive_timestamp = standin.wall_time()
        thread.archived = bool(changes["archived"])
    assert thread.guild is not None
    thread.guild.channel_changed(thread)
    standin.changed()


def _membership_changed(
    standin: DiscordStandIn, thread: Channel, user: User, *, added: bool
) -> None:
    """Send THREAD_MEMBER_UPDATE to the bot about itself, THREAD_MEMBERS_UPDATE about others."""
    guild = thread.guild
    assert guild is not None
    if user.id == standin.bot_user.id and added:
        data = {**payloads.thread_member(thread, user.id), "guild_id": str(guild.id)}
        standin.dispatch("THREAD_MEMBER_UPDATE", data, guild_id=guild.id, intent=Intents.guilds)
        return
    update: dict[str, Any] = {
        "id": str(thread.id),
        "guild_id": str(guild.id),
        "member_count": len(thread.thread_members),
    }
    if added:
        member = guild.members.get(user.id)
        update["added_members"] = [payloads.thread_member(thread, user.id, with_member=member)]
    else:
        update["removed_member_ids"] = [str(user.id)]
    intent = Intents.guilds if user.id == standin.bot_user.id else Intents.guild_members
    standin.dispatch("THREAD_MEMBERS_UPDATE", update, guild_id=guild.id, intent=intent)
