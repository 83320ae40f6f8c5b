"""The stand-in's world: users, guilds, roles, members, channels, threads and messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from tests.standin.clock import Snowflakes, snowflake_time
from tests.standin.permissions import Overwrite, apply_overwrites, base_permissions

if TYPE_CHECKING:
    from tests.standin.guild import Guild
    from tests.standin.interactions import Interaction


class ChannelType:
    """Discord channel type numbers."""

    TEXT = 0
    DM = 1
    CATEGORY = 4
    NEWS = 5
    NEWS_THREAD = 10
    PUBLIC_THREAD = 11
    PRIVATE_THREAD = 12
    FORUM = 15


THREAD_TYPES = (ChannelType.NEWS_THREAD, ChannelType.PUBLIC_THREAD, ChannelType.PRIVATE_THREAD)


class MessageFlags:
    """Discord message flag bits."""

    CROSSPOSTED = 1 << 0
    SUPPRESS_EMBEDS = 1 << 2
    HAS_THREAD = 1 << 5
    EPHEMERAL = 1 << 6
    LOADING = 1 << 7
    SUPPRESS_NOTIFICATIONS = 1 << 12
    COMPONENTS_V2 = 1 << 15


class World(Protocol):
    """What model objects need from the stand-in that owns them."""

    ids: Snowflakes
    users: dict[int, User]
    channels: dict[int, Channel]
    bot_user: User

    def wall_time(self) -> float:
        """Return the current Unix time."""
        ...

    def dispatch(
        self,
        event: str,
        data: dict[str, Any],
        *,
        guild_id: int | None,
        intent: int | None,
        content_exempt: bool = True,
    ) -> None:
        """Send a gateway event to every session that should receive it."""
        ...


@dataclass(eq=False)
class User:
    """A Discord user (a person or the bot)."""

    id: int
    username: str
    bot: bool = False
    global_name: str | None = None
    accepts_dms: bool = True

    @property
    def mention(self) -> str:
        """Return the `<@id>` mention text."""
        return f"<@{self.id}>"

    def __repr__(self) -> str:
        return f"<User {self.username} {self.id}>"


@dataclass(eq=False)
class Role:
    """A guild role; the @everyone role has the guild's id."""

    id: int
    guild: Guild
    name: str
    permissions: int
    position: int = 0
    color: int = 0
    hoist: bool = False
    mentionable: bool = False
    bot_id: int | None = None

    @property
    def mention(self) -> str:
        """Return the `<@&id>` mention text."""
        return f"<@&{self.id}>"

    def set_permissions(self, permissions: int) -> None:
        """Change the role's permissions (GUILD_ROLE_UPDATE)."""
        self.permissions = int(permissions)
        self.guild.role_changed(self)

    def __repr__(self) -> str:
        return f"<Role {self.name} {self.id}>"


@dataclass(eq=False)
class Member:
    """A user's membership of a guild."""

    guild: Guild
    user: User
    role_ids: list[int] = field(default_factory=list)
    joined_at: float = 0.0
    nick: str | None = None

    @property
    def id(self) -> int:
        """Return the user's id."""
        return self.user.id

    @property
    def name(self) -> str:
        """Return the user's name."""
        return self.user.username

    @property
    def mention(self) -> str:
        """Return the `<@id>` mention text."""
        return self.user.mention

    @property
    def roles(self) -> list[Role]:
        """Return the member's roles, @everyone excluded."""
        return [self.guild.roles[role_id] for role_id in self.role_ids]

    def permissions(self) -> int:
        """Return the member's guild-wide permissions."""
        return base_permissions(
            guild_id=self.guild.id,
            owner_id=self.guild.owner_id,
            member_id=self.id,
            role_ids=self.role_ids,
            role_perms={role.id: role.permissions for role in self.guild.roles.values()},
        )

    def permissions_in(self, channel: Channel) -> int:
        """Return the member's permissions in a channel or thread."""
        source = channel.parent if channel.is_thread and channel.parent else channel
        return apply_overwrites(
            self.permissions(),
            guild_id=self.guild.id,
            member_id=self.id,
            role_ids=self.role_ids,
            overwrites=source.overwrites.values(),
            in_thread=channel.is_thread,
        )

    def add_role(self, role: Role) -> None:
        """Give the member a role (GUILD_MEMBER_UPDATE)."""
        if role.id not in self.role_ids:
            self.role_ids.append(role.id)
            self.guild.member_changed(self)

    def remove_role(self, role: Role) -> None:
        """Take a role from the member (GUILD_MEMBER_UPDATE)."""
        if role.id in self.role_ids:
            self.role_ids.remove(role.id)
            self.guild.member_changed(self)

    def __repr__(self) -> str:
        return f"<Member {self.name} of {self.guild.name}>"


@dataclass(eq=False)
class Channel:
    """A guild channel, category, thread or DM channel."""

    id: int
    type: int
    name: str
    guild: Guild | None = None
    position: int = 0
    topic: str | None = None
    parent_id: int | None = None
    overwrites: dict[int, Overwrite] = field(default_factory=dict)
    nsfw: bool = False
    rate_limit_per_user: int = 0
    last_message_id: int | None = None
    messages: dict[int, Message] = field(default_factory=dict, repr=False)
    # Threads only.
    owner_id: int | None = None
    archived: bool = False
    locked: bool = False
    auto_archive_duration: int = 1440
    archive_timestamp: float | None = None
    invitable: bool = True
    thread_members: dict[int, float] = field(default_factory=dict)
    message_count: int = 0
    total_message_sent: int = 0
    # DM channels only.
    recipient: User | None = None

    @property
    def is_thread(self) -> bool:
        """Return whether this is a thread."""
        return self.type in THREAD_TYPES

    @property
    def is_dm(self) -> bool:
        """Return whether this is a DM channel."""
        return self.type == ChannelType.DM

    @property
    def is_news(self) -> bool:
        """Return whether this is an announcement channel."""
        return self.type == ChannelType.NEWS

    @property
    def parent(self) -> Channel | None:
        """Return the thread's channel or the channel's category."""
        if self.guild is None or self.parent_id is None:
            return None
        return self.guild.channels.get(self.parent_id)

    @property
    def mention(self) -> str:
        """Return the `<#id>` mention text."""
        return f"<#{self.id}>"

    @property
    def guild_id(self) -> int | None:
        """Return the guild's id, None for a DM."""
        return None if self.guild is None else self.guild.id

    def visible_messages(self) -> list[Message]:
        """Return the channel's messages everyone can see, oldest first."""
        return [m for m in self.messages.values() if not m.deleted and not m.ephemeral]

    def set_overwrite(self, target: Role | Member, *, allow: int = 0, deny: int = 0) -> None:
        """Set a permission overwrite for a role or member (CHANNEL_UPDATE)."""
        if self.guild is None:
            raise ValueError("DM channels have no permission overwrites")
        kind = 0 if isinstance(target, Role) else 1
        self.overwrites[target.id] = Overwrite(target.id, kind, int(allow), int(deny))
        self.guild.channel_changed(self)

    def __repr__(self) -> str:
        return f"<Channel #{self.name} {self.id} type={self.type}>"


@dataclass(eq=False)
class Attachment:
    """A file attached to a message; the stand-in serves its bytes at `url`."""

    id: int
    filename: str
    data: bytes
    url: str
    content_type: str = "application/octet-stream"
    description: str | None = None


@dataclass(eq=False)
class PollAnswer:
    """One answer of a poll."""

    answer_id: int
    text: str
    emoji: dict[str, Any] | None = None


@dataclass(eq=False)
class Poll:
    """A native poll attached to a message."""

    question: str
    answers: list[PollAnswer]
    expiry: float
    allow_multiselect: bool = False
    layout_type: int = 1
    votes: dict[int, list[int]] = field(default_factory=dict)
    finalized: bool = False

    def count(self, answer_id: int) -> int:
        """Return how many votes an answer has."""
        return len(self.votes.get(answer_id, []))


@dataclass(eq=False)
class Reaction:
    """The users who reacted to a message with one emoji."""

    emoji: dict[str, Any]
    user_ids: list[int] = field(default_factory=list)


@dataclass(eq=False)
class Message:
    """A message in a channel, thread or DM."""

    id: int
    channel: Channel
    author: User
    content: str = ""
    type: int = 0
    flags: int = 0
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    mentions: list[User] = field(default_factory=list)
    mention_role_ids: list[int] = field(default_factory=list)
    mention_everyone: bool = False
    edited_at: float | None = None
    nonce: str | int | None = None
    tts: bool = False
    pinned: bool = False
    reactions: dict[str, Reaction] = field(default_factory=dict)
    poll: Poll | None = None
    reference: Message | None = None
    thread: Channel | None = None
    webhook_id: int | None = None
    interaction: Interaction | None = None
    sticker_ids: list[int] = field(default_factory=list)
    deleted: bool = False
    created_mono: float = 0.0

    @property
    def guild(self) -> Guild | None:
        """Return the message's guild, None in a DM."""
        return self.channel.guild

    @property
    def created_at(self) -> float:
        """Return the Unix time the message was sent at (from its snowflake)."""
        return snowflake_time(self.id)

    @property
    def ephemeral(self) -> bool:
        """Return whether only the interaction's user sees this message."""
        return bool(self.flags & MessageFlags.EPHEMERAL)

    @property
    def loading(self) -> bool:
        """Return whether this is a deferred "thinking" response."""
        return bool(self.flags & MessageFlags.LOADING)

    def custom_ids(self) -> list[str]:
        """Return the custom ids of every interactive component in the message."""
        return [c["custom_id"] for c in walk_components(self.components) if "custom_id" in c]

    def __repr__(self) -> str:
        return f"<Message {self.id} in #{self.channel.name} by {self.author.username}>"


def walk_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Flatten nested components (rows, sections, containers, labels) into one list."""
    flat: list[dict[str, Any]] = []
    for component in components:
        flat.append(component)
        flat.extend(walk_components(component.get("components", [])))
        if isinstance(component.get("component"), dict):
            flat.extend(walk_components([component["component"]]))
        if isinstance(component.get("accessory"), dict):
            flat.append(component["accessory"])
    return flat
