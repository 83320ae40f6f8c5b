"""Discord permission bits, gateway intents and the permission computation Discord performs."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass


class Permissions(enum.IntFlag):
    """Discord permission bits, named as discord.py names them."""

    create_instant_invite = 1 << 0
    kick_members = 1 << 1
    ban_members = 1 << 2
    administrator = 1 << 3
    manage_channels = 1 << 4
    manage_guild = 1 << 5
    add_reactions = 1 << 6
    view_audit_log = 1 << 7
    priority_speaker = 1 << 8
    stream = 1 << 9
    view_channel = 1 << 10
    send_messages = 1 << 11
    send_tts_messages = 1 << 12
    manage_messages = 1 << 13
    embed_links = 1 << 14
    attach_files = 1 << 15
    read_message_history = 1 << 16
    mention_everyone = 1 << 17
    use_external_emojis = 1 << 18
    view_guild_insights = 1 << 19
    connect = 1 << 20
    speak = 1 << 21
    mute_members = 1 << 22
    deafen_members = 1 << 23
    move_members = 1 << 24
    use_voice_activation = 1 << 25
    change_nickname = 1 << 26
    manage_nicknames = 1 << 27
    manage_roles = 1 << 28
    manage_webhooks = 1 << 29
    manage_expressions = 1 << 30
    use_application_commands = 1 << 31
    request_to_speak = 1 << 32
    manage_events = 1 << 33
    manage_threads = 1 << 34
    create_public_threads = 1 << 35
    create_private_threads = 1 << 36
    use_external_stickers = 1 << 37
    send_messages_in_threads = 1 << 38
    use_embedded_activities = 1 << 39
    moderate_members = 1 << 40
    view_creator_monetization_analytics = 1 << 41
    use_soundboard = 1 << 42
    create_expressions = 1 << 43
    create_events = 1 << 44
    use_external_sounds = 1 << 45
    send_voice_messages = 1 << 46
    set_voice_channel_status = 1 << 48
    send_polls = 1 << 49
    use_external_apps = 1 << 50
    pin_messages = 1 << 51
    bypass_slowmode = 1 << 52

    @classmethod
    def all(cls) -> Permissions:
        """Return every permission."""
        value = 0
        for member in cls:
            value |= member.value
        return cls(value)

    @classmethod
    def none(cls) -> Permissions:
        """Return no permission."""
        return cls(0)


P = Permissions

#: What @everyone may do in a new guild (Discord's defaults, roughly).
EVERYONE_DEFAULT = (
    P.create_instant_invite
    | P.add_reactions
    | P.stream
    | P.view_channel
    | P.send_messages
    | P.embed_links
    | P.attach_files
    | P.read_message_history
    | P.use_external_emojis
    | P.connect
    | P.speak
    | P.use_voice_activation
    | P.change_nickname
    | P.use_application_commands
    | P.request_to_speak
    | P.create_public_threads
    | P.create_private_threads
    | P.use_external_stickers
    | P.send_messages_in_threads
    | P.use_embedded_activities
    | P.send_voice_messages
    | P.send_polls
    | P.use_external_apps
)

#: The bot role's permissions: those of Newsroom's invite link (326417902656).
BOT_DEFAULT = P(326_417_902_656)


class Intents(enum.IntFlag):
    """Gateway intent bits."""

    guilds = 1 << 0
    guild_members = 1 << 1
    guild_moderation = 1 << 2
    guild_expressions = 1 << 3
    guild_integrations = 1 << 4
    guild_webhooks = 1 << 5
    guild_invites = 1 << 6
    guild_voice_states = 1 << 7
    guild_presences = 1 << 8
    guild_messages = 1 << 9
    guild_message_reactions = 1 << 10
    guild_message_typing = 1 << 11
    direct_messages = 1 << 12
    direct_message_reactions = 1 << 13
    direct_message_typing = 1 << 14
    message_content = 1 << 15
    guild_scheduled_events = 1 << 16
    auto_moderation_configuration = 1 << 20
    auto_moderation_execution = 1 << 21
    guild_message_polls = 1 << 24
    direct_message_polls = 1 << 25


ALL_INTENTS = sum(member.value for member in Intents)
PRIVILEGED_INTENTS = Intents.guild_members | Intents.guild_presences | Intents.message_content


@dataclass
class Overwrite:
    """A channel permission overwrite for a role (type 0) or a member (type 1)."""

    id: int
    type: int
    allow: int = 0
    deny: int = 0


def base_permissions(
    *,
    guild_id: int,
    owner_id: int,
    member_id: int,
    role_ids: Iterable[int],
    role_perms: dict[int, int],
) -> int:
    """Compute a member's guild-wide permissions from @everyone and their roles."""
    if member_id == owner_id:
        return int(Permissions.all())
    value = role_perms.get(guild_id, 0)
    for role_id in role_ids:
        value |= role_perms.get(role_id, 0)
    if value & Permissions.administrator:
        return int(Permissions.all())
    return value


def apply_overwrites(
    base: int,
    *,
    guild_id: int,
    member_id: int,
    role_ids: Iterable[int],
    overwrites: Iterable[Overwrite],
    in_thread: bool = False,
) -> int:
    """Apply a channel's overwrites to guild-wide permissions, as Discord does."""
    if base & Permissions.administrator:
        return int(Permissions.all())
    by_id = {overwrite.id: overwrite for overwrite in overwrites}
    value = base
    everyone = by_id.get(guild_id)
    if everyone is not None:
        value = (value & ~everyone.deny) | everyone.allow
    allow = deny = 0
    for role_id in role_ids:
        overwrite = by_id.get(role_id)
        if overwrite is not None and overwrite.type == 0:
            allow |= overwrite.allow
            deny |= overwrite.deny
    value = (value & ~deny) | allow
    own = by_id.get(member_id)
    if own is not None and own.type == 1:
        value = (value & ~own.deny) | own.allow
    if not value & Permissions.view_channel:
        return 0
    if not in_thread and not value & Permissions.send_messages:
        # Without Send Messages the permissions that only matter when sending are lost too.
        value &= ~(
            Permissions.send_tts_messages
            | Permissions.mention_everyone
            | Permissions.embed_links
            | Permissions.attach_files
        )
    return value
