"""Guilds: their roles, channels, threads and members, and the events their changes send."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.standin import payloads
from tests.standin.model import Channel, ChannelType, Member, Role, User, World
from tests.standin.permissions import EVERYONE_DEFAULT, Intents, Overwrite


@dataclass(eq=False)
class Guild:
    """A guild the bot is in, with its roles, channels, threads and members."""

    id: int
    name: str
    owner_id: int
    world: World = field(repr=False)
    roles: dict[int, Role] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    joined_at: float = 0.0

    @property
    def everyone(self) -> Role:
        """Return the @everyone role."""
        return self.roles[self.id]

    @property
    def me(self) -> Member:
        """Return the bot's member."""
        return self.members[self.world.bot_user.id]

    @property
    def owner(self) -> Member:
        """Return the owner's member."""
        return self.members[self.owner_id]

    def shard_id(self, shard_count: int) -> int:
        """Return the shard that receives this guild's events."""
        return (self.id >> 22) % shard_count

    def role(self, name: str) -> Role:
        """Return the role with this name."""
        return next(role for role in self.roles.values() if role.name == name)

    def channel(self, name: str) -> Channel:
        """Return the channel or thread with this name."""
        return next(channel for channel in self.channels.values() if channel.name == name)

    def member(self, name: str) -> Member:
        """Return the member with this user name."""
        return next(member for member in self.members.values() if member.name == name)

    def text_channels(self) -> list[Channel]:
        """Return the guild's channels that are not threads."""
        return [c for c in self.channels.values() if not c.is_thread]

    def threads(self) -> list[Channel]:
        """Return the guild's threads."""
        return [c for c in self.channels.values() if c.is_thread]

    def add_role(
        self,
        name: str,
        permissions: int = 0,
        *,
        color: int = 0,
        hoist: bool = False,
        mentionable: bool = False,
        bot_id: int | None = None,
    ) -> Role:
        """Create a role (GUILD_ROLE_CREATE once the bot is connected)."""
        role = Role(
            id=self.world.ids.next(),
            guild=self,
            name=name,
            permissions=int(permissions),
            position=len(self.roles),
            color=color,
            hoist=hoist,
            mentionable=mentionable,
            bot_id=bot_id,
        )
        self.roles[role.id] = role
        data = {"guild_id": str(self.id), "role": payloads.role(role)}
        self.world.dispatch("GUILD_ROLE_CREATE", data, guild_id=self.id, intent=Intents.guilds)
        return role

    def add_category(self, name: str) -> Channel:
        """Create a category channel."""
        return self._add_channel(name, ChannelType.CATEGORY)

    def add_text_channel(
        self,
        name: str,
        *,
        news: bool = False,
        topic: str | None = None,
        category: Channel | None = None,
        overwrites: dict[Role | Member, tuple[int, int]] | None = None,
    ) -> Channel:
        """Create a text channel, or an announcement channel (type 5) with `news=True`."""
        channel = self._add_channel(
            name,
            ChannelType.NEWS if news else ChannelType.TEXT,
            topic=topic,
            parent_id=None if category is None else category.id,
            overwrites=overwrites,
        )
        return channel

    def _add_channel(
        self,
        name: str,
        kind: int,
        *,
        topic: str | None = None,
        parent_id: int | None = None,
        overwrites: dict[Role | Member, tuple[int, int]] | None = None,
    ) -> Channel:
        """Create a channel of any guild type (CHANNEL_CREATE once connected)."""
        channel = Channel(
            id=self.world.ids.next(),
            type=kind,
            name=name,
            guild=self,
            position=len(self.text_channels()),
            topic=topic,
            parent_id=parent_id,
        )
        parent = self.channels.get(parent_id) if parent_id is not None else None
        if parent is not None and overwrites is None:  # a new channel syncs with its category
            channel.overwrites = {k: Overwrite(**vars(v)) for k, v in parent.overwrites.items()}
        for target, (allow, deny) in (overwrites or {}).items():
            kind_of = 0 if isinstance(target, Role) else 1
            channel.overwrites[target.id] = Overwrite(target.id, kind_of, int(allow), int(deny))
        self.channels[channel.id] = channel
        self.world.channels[channel.id] = channel
        self.world.dispatch(
            "CHANNEL_CREATE", payloads.channel(channel), guild_id=self.id, intent=Intents.guilds
        )
        return channel

    def add_member(
        self,
        name: str,
        *,
        roles: list[Role] | tuple[Role, ...] = (),
        permissions: int | None = None,
        bot: bool = False,
        nick: str | None = None,
        user: User | None = None,
    ) -> Member:
        """Add a person; `permissions=` gives them a role of their own with those permissions."""
        if user is None:
            user = User(id=self.world.ids.next(), username=name, bot=bot, global_name=name.title())
            self.world.users[user.id] = user
        member = Member(
            guild=self,
            user=user,
            role_ids=[role.id for role in roles],
            joined_at=self.world.wall_time(),
            nick=nick,
        )
        self.members[user.id] = member
        if permissions is not None:
            own = self.add_role(f"{name} permissions", permissions)
            member.role_ids.append(own.id)
        data = {"guild_id": str(self.id), **payloads.member(member)}
        self.world.dispatch(
            "GUILD_MEMBER_ADD", data, guild_id=self.id, intent=Intents.guild_members
        )
        return member

    def role_changed(self, role: Role) -> None:
        """Tell the bot a role changed."""
        data = {"guild_id": str(self.id), "role": payloads.role(role)}
        self.world.dispatch("GUILD_ROLE_UPDATE", data, guild_id=self.id, intent=Intents.guilds)

    def member_changed(self, member: Member) -> None:
        """Tell the bot a member changed."""
        data = {"guild_id": str(self.id), **payloads.member(member)}
        self.world.dispatch(
            "GUILD_MEMBER_UPDATE", data, guild_id=self.id, intent=Intents.guild_members
        )

    def channel_changed(self, channel: Channel) -> None:
        """Tell the bot a channel or thread changed."""
        event = "THREAD_UPDATE" if channel.is_thread else "CHANNEL_UPDATE"
        self.world.dispatch(
            event, payloads.channel(channel), guild_id=self.id, intent=Intents.guilds
        )

    def __repr__(self) -> str:
        return f"<Guild {self.name} {self.id}>"


def new_guild(
    world: World, name: str, owner: User, *, guild_id: int, everyone: int = EVERYONE_DEFAULT
) -> Guild:
    """Build a guild with @everyone and its owner (no events: the caller announces it)."""
    guild = Guild(id=guild_id, name=name, owner_id=owner.id, world=world)
    guild.joined_at = world.wall_time()
    guild.roles[guild.id] = Role(id=guild.id, guild=guild, name="@everyone", permissions=everyone)
    guild.members[owner.id] = Member(guild=guild, user=owner, joined_at=world.wall_time())
    return guild
