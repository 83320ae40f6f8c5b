"""Who may do what where: the permission checks Discord makes before an action."""

from __future__ import annotations

from typing import Any

from tests.standin.errors import ApiError, missing_access, missing_permissions
from tests.standin.model import Channel, ChannelType, User
from tests.standin.permissions import Permissions as P

#: What each side of a DM may do there.
DM_PERMISSIONS = int(
    P.view_channel
    | P.send_messages
    | P.read_message_history
    | P.add_reactions
    | P.embed_links
    | P.attach_files
    | P.use_external_emojis
    | P.send_polls
    | P.use_application_commands
)
MESSAGEABLE = {ChannelType.TEXT, ChannelType.NEWS, ChannelType.DM, 10, 11, 12}


def permissions_of(user: User, channel: Channel) -> int:
    """Return a user's permissions in a channel (0 when they cannot see it)."""
    if channel.is_dm:
        return DM_PERMISSIONS if channel.recipient is not None else 0
    assert channel.guild is not None
    member = channel.guild.members.get(user.id)
    if member is None:
        return 0
    if channel.type == ChannelType.PRIVATE_THREAD and user.id not in channel.thread_members:
        own = member.permissions_in(channel)
        if not own & P.manage_threads:
            return 0
    return member.permissions_in(channel)


def require(user: User, channel: Channel, *needed: int) -> int:
    """Raise 403 unless the user sees the channel and has every permission in `needed`."""
    value = permissions_of(user, channel)
    if not value & P.view_channel:
        raise missing_access()
    for permission in needed:
        if not value & permission:
            raise missing_permissions()
    return value


def require_can_send(user: User, channel: Channel, payload: dict[str, Any], files: int) -> None:
    """Raise the 403/400 Discord gives when a user may not post this message here."""
    if channel.type not in MESSAGEABLE:
        raise ApiError(400, 50008, "Cannot send messages in a non-text channel")
    send = P.send_messages_in_threads if channel.is_thread else P.send_messages
    needed = [send]
    if payload.get("embeds"):
        needed.append(P.embed_links)
    if files:
        needed.append(P.attach_files)
    if payload.get("poll"):
        needed.append(P.send_polls)
    if payload.get("message_reference"):
        needed.append(P.read_message_history)
    value = require(user, channel, *needed)
    if channel.is_thread and channel.archived and channel.locked and not value & P.manage_threads:
        raise ApiError(400, 50083, "Thread is archived")
    recipient = channel.recipient
    if (
        channel.is_dm
        and recipient is not None
        and recipient.id != user.id
        and not recipient.accepts_dms
    ):
        raise ApiError(403, 50007, "Cannot send messages to this user")
