"""DiscordStandIn: the server, the world it holds, and the hooks tests use to wait and inspect."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from aiohttp import web

from tests.standin import rest_channels, rest_core, rest_interactions, rest_messages
from tests.standin.clock import Clock, Snowflakes, loop_clock
from tests.standin.errors import unauthorized
from tests.standin.gateway import HEARTBEAT, INVALID_SESSION, RECONNECT, Gateway
from tests.standin.guild import Guild, new_guild
from tests.standin.interactions import Interaction
from tests.standin.model import Attachment, Channel, ChannelType, Message, User
from tests.standin.permissions import BOT_DEFAULT, EVERYONE_DEFAULT, Intents
from tests.standin.ratelimits import Limit, RateLimiter, Verdict
from tests.standin.rest import RequestRecord, RouteSpec, build_app
from tests.standin.scenario import ScenarioActions
from tests.standin.waiting import DEFAULT_TIMEOUT, BotStopped, Notifier

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Application flags telling which privileged intents are switched on.
INTENT_FLAGS = {
    Intents.guild_presences: 1 << 13,
    Intents.guild_members: 1 << 15,
    Intents.message_content: 1 << 19,
}


class DiscordStandIn(ScenarioActions):
    """A Discord API stand-in on 127.0.0.1 that the real discord.py client connects to.

    Arguments (all keyword-only, all optional):
        bot_name, bot_token: the bot user's name and the token it must present.
        clock: monotonic time source for every window and deadline (default: the event loop's
            time); pass a FakeClock to jump past deadlines without sleeping.
        message_bucket, crosspost_bucket, reaction_bucket, route_bucket: (limit, seconds) of
            the per-channel message-create bucket, the per-channel crosspost bucket, the
            per-channel reaction bucket and every other route's bucket; None means unlimited.
        global_limit: (limit, seconds) across every route but interaction callbacks/webhooks.
        interaction_deadline: seconds the bot has to call back (then 404 10062).
        interaction_token_lifetime: seconds follow-ups work for (then 401 50027).
        nonce_window: seconds during which `enforce_nonce` returns the earlier message.
        heartbeat_interval_ms: HELLO's heartbeat interval.
        recommended_shards: the shard count GET /gateway/bot recommends.
        enabled_intents: privileged intents switched on for the application (others: 4014).
    """

    def __init__(
        self,
        *,
        bot_name: str = "Newsroom",
        bot_token: str | None = None,
        clock: Clock | None = None,
        message_bucket: Limit | None = (5, 5.0),
        crosspost_bucket: Limit | None = (10, 3600.0),
        reaction_bucket: Limit | None = None,
        route_bucket: Limit | None = (50, 1.0),
        global_limit: Limit | None = (50, 1.0),
        interaction_deadline: float = 3.0,
        interaction_token_lifetime: float = 15 * 60.0,
        nonce_window: float = 300.0,
        heartbeat_interval_ms: int = 41_250,
        recommended_shards: int = 1,
        enabled_intents: int = Intents.guild_members | Intents.message_content,
        host: str = "127.0.0.1",
    ) -> None:
        self.clock: Clock = clock or loop_clock
        self.ids = Snowflakes(self.wall_time)
        self.host = host
        self.port = 0
        self.interaction_deadline = interaction_deadline
        self.interaction_token_lifetime = interaction_token_lifetime
        self.nonce_window = nonce_window
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.recommended_shards = recommended_shards
        self.enabled_intents = int(enabled_intents)
        self.buckets: dict[str, Limit | None] = {
            "message-create": message_bucket,
            "crosspost": crosspost_bucket,
            "reaction": reaction_bucket,
        }
        self.route_bucket = route_bucket
        self.limiter = RateLimiter(self.clock, self.wall_time, global_limit=global_limit)
        self.notifier = Notifier(guard=self.check_bots)
        self._watched: list[asyncio.Task[Any]] = []
        self.gateway = Gateway(self)
        # The world.
        self.bot_token = bot_token or f"standin.{secrets.token_urlsafe(24)}"
        self.bot_user = User(id=self.ids.next(), username=bot_name, bot=True, global_name=bot_name)
        self.application_id = self.bot_user.id
        self.developer_id = self.ids.next()
        self.users: dict[int, User] = {self.bot_user.id: self.bot_user}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.dm_channels: dict[int, Channel] = {}
        self.attachments: dict[int, Attachment] = {}
        self.global_commands: dict[int, dict[str, Any]] = {}
        self.guild_commands: dict[int, dict[int, dict[str, Any]]] = {}
        self.command_syncs = 0
        self.interactions: dict[int, Interaction] = {}
        self.interactions_by_token: dict[str, Interaction] = {}
        # What happened.
        self.requests: list[RequestRecord] = []
        self.rest_connections: set[object] = set()  # the peer address of every REST connection
        self.unknown_routes: list[str] = []
        self.crashes: list[Exception] = []
        self._runner: web.AppRunner | None = None

    # Lifecycle -----------------------------------------------------------------------------

    async def start(self) -> DiscordStandIn:
        """Start serving on a random port of 127.0.0.1."""
        app = build_app(
            self,
            [
                rest_core.routes,
                rest_messages.routes,
                rest_channels.routes,
                rest_interactions.routes,
            ],
        )
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        log.info("Discord stand-in listening on %s", self.base_url)
        return self

    async def stop(self) -> None:
        """Close every gateway connection and stop serving."""
        await self.gateway.disconnect_all(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> DiscordStandIn:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """Return `http://127.0.0.1:PORT`."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        """Return the REST base URL, for discord.http.Route.BASE."""
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        """Return the gateway websocket URL, for DiscordWebSocket.DEFAULT_GATEWAY."""
        return f"ws://{self.host}:{self.port}/gateway"

    # Time and events -----------------------------------------------------------------------

    def now(self) -> float:
        """Return the stand-in's monotonic time (the injected clock)."""
        return self.clock()

    def wall_time(self) -> float:
        """Return Unix time, moved forward as far as a FakeClock was advanced."""
        return time.time() + float(getattr(self.clock, "offset", 0.0))

    def dispatch(
        self,
        event: str,
        data: dict[str, Any],
        *,
        guild_id: int | None,
        intent: int | None,
        content_exempt: bool = True,
    ) -> None:
        """Send a gateway event to the sessions that should receive it."""
        if guild_id is None or guild_id in self.guilds:  # a new guild is announced whole later
            self.gateway.dispatch(
                event, data, guild_id=guild_id, intent=intent, content_exempt=content_exempt
            )
        self.changed()

    def changed(self) -> None:
        """Wake everything waiting on the stand-in's state."""
        self.notifier.notify()

    def watch(self, task: asyncio.Task[Any]) -> None:
        """Make every wait fail at once if `task` (a running bot) dies with an exception."""
        self._watched.append(task)
        task.add_done_callback(self._bot_stopped)

    def unwatch(self, task: asyncio.Task[Any]) -> None:
        """Stop watching a bot task."""
        if task in self._watched:
            self._watched.remove(task)

    def _bot_stopped(self, task: asyncio.Task[Any]) -> None:
        """Wake every waiter so that it sees the bot has stopped."""
        self.notifier.notify()
        for interaction in self.interactions.values():
            if interaction.notifier.waiting:
                interaction.notifier.notify()

    def check_bots(self) -> None:
        """Raise BotStopped if a watched bot task ended with an exception."""
        for task in self._watched:
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise BotStopped(f"the bot stopped: {task.exception()!r}") from task.exception()

    def record(self, record: RequestRecord) -> None:
        """Log a REST request for assertions."""
        self.requests.append(record)
        self.changed()

    # REST plumbing -------------------------------------------------------------------------

    def check_auth(self, header: str | None) -> None:
        """Raise 401 unless the request carries the bot's token."""
        if header != f"Bot {self.bot_token}":
            raise unauthorized()

    def check_rate_limit(self, spec: RouteSpec, params: Mapping[str, str]) -> Verdict:
        """Count a request against the global limit and its route's bucket."""
        major = params.get("channel_id") or params.get("guild_id") or ""
        if spec.bucket is not None:
            return self.limiter.check(spec.bucket, major, self.buckets.get(spec.bucket))
        return self.limiter.check(f"{spec.method} {spec.path}", major, self.route_bucket)

    @property
    def rate_limit_hits(self) -> int:
        """Return how many 429s the stand-in has sent."""
        return self.limiter.hits

    @property
    def application_flags(self) -> int:
        """Return the application flags for the enabled privileged intents."""
        flags = 1 << 23  # APPLICATION_COMMAND_BADGE
        for intent, flag in INTENT_FLAGS.items():
            if self.enabled_intents & intent:
                flags |= flag
        return flags

    def application_payload(self) -> dict[str, Any]:
        """Return the application object (GET /oauth2/applications/@me)."""
        owner = {
            "id": str(self.developer_id),
            "username": "developer",
            "discriminator": "0",
            "avatar": None,
        }
        return {
            "id": str(self.application_id),
            "name": self.bot_user.username,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": self.application_flags,
            "owner": owner,
            "team": None,
            "bot": {"id": str(self.bot_user.id), "username": self.bot_user.username},
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "approximate_guild_count": len(self.guilds),
        }

    def store_command(
        self, data: dict[str, Any], guild_id: int | None, previous: dict[str, Any] | None
    ) -> dict[str, Any]:
        """Return a registered command as Discord stores it."""
        kind = data.get("type", 1)
        stored: dict[str, Any] = {
            "id": previous["id"] if previous else str(self.ids.next()),
            "application_id": str(self.application_id),
            "version": str(self.ids.next()),
            "type": kind,
            "name": data["name"],
            "name_localizations": data.get("name_localizations"),
            "description": data.get("description") or "",
            "description_localizations": data.get("description_localizations"),
            "default_member_permissions": data.get("default_member_permissions"),
            "dm_permission": data.get("dm_permission", True),
            "contexts": data.get("contexts"),
            "integration_types": data.get("integration_types") or [0],
            "nsfw": bool(data.get("nsfw")),
        }
        if kind == 1:
            stored["options"] = data.get("options") or []
        if guild_id is not None:
            stored["guild_id"] = str(guild_id)
        return stored

    # Building the world --------------------------------------------------------------------

    def add_guild(
        self,
        name: str,
        *,
        owner: str = "owner",
        bot_permissions: int = BOT_DEFAULT,
        everyone: int = EVERYONE_DEFAULT,
        shard: tuple[int, int] | None = None,
    ) -> Guild:
        """Create a guild the bot is in (@everyone, an owner, the bot with its role).

        `shard=(id, count)` picks an id that shard `id` of `count` owns.
        """
        owner_user = self.add_user(owner)
        guild = new_guild(self, name, owner_user, everyone=everyone, guild_id=self.ids.next(shard))
        bot_role = guild.add_role(self.bot_user.username, bot_permissions, bot_id=self.bot_user.id)
        guild.add_member(self.bot_user.username, user=self.bot_user, roles=[bot_role])
        self.guilds[guild.id] = guild
        self.gateway.announce_guild(guild)
        self.changed()
        return guild

    def add_user(self, name: str, *, bot: bool = False, accepts_dms: bool = True) -> User:
        """Create a user who belongs to no guild yet."""
        user = User(id=self.ids.next(), username=name, bot=bot, global_name=name.title())
        user.accepts_dms = accepts_dms
        self.users[user.id] = user
        return user

    def dm_channel(self, user: User | Any) -> Channel:
        """Return the DM channel between the bot and a user (or member), creating it once."""
        user = getattr(user, "user", user)
        channel = self.dm_channels.get(user.id)
        if channel is None:
            channel = Channel(
                id=self.ids.next(), type=ChannelType.DM, name=f"dm-{user.username}", recipient=user
            )
            self.dm_channels[user.id] = channel
            self.channels[channel.id] = channel
        return channel

    # Inspecting ----------------------------------------------------------------------------

    def messages_in(self, channel: Channel, *, include_ephemeral: bool = False) -> list[Message]:
        """Return a channel's messages, oldest first (deleted ones left out)."""
        if include_ephemeral:
            return [m for m in channel.messages.values() if not m.deleted]
        return channel.visible_messages()

    def message(self, message_id: int) -> Message:
        """Return any message by id."""
        for channel in self.channels.values():
            if message_id in channel.messages:
                return channel.messages[message_id]
        raise KeyError(message_id)

    def commands(self, guild: Guild | None = None) -> list[dict[str, Any]]:
        """Return the commands registered globally, or in one guild."""
        if guild is None:
            return list(self.global_commands.values())
        return list(self.guild_commands.get(guild.id, {}).values())

    def requests_to(self, method: str, route: str) -> list[RequestRecord]:
        """Return the logged requests to a route template ("/channels/{channel_id}/messages")."""
        return [r for r in self.requests if r.method == method and r.route == route]

    def events_sent(self, event: str | None = None, *, shard: int | None = None) -> list[str]:
        """Return the names of every dispatch sent so far (only `event`, only to `shard`)."""
        return [
            name
            for shard_id, name in self.gateway.journal
            if (event is None or name == event) and (shard is None or shard_id == shard)
        ]

    # Waiting -------------------------------------------------------------------------------

    async def wait_for(
        self,
        condition: Callable[[], T],
        *,
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
        what: str | None = None,
    ) -> T:
        """Wait until `condition()` is truthy (re-checked on every state change) and return it."""
        return await self.notifier.wait_for(condition, timeout=timeout, what=what)

    async def wait_until_ready(
        self,
        shard_count: int | None = None,
        *,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> None:
        """Wait until every shard's client has processed READY and GUILD_CREATEs (or RESUMED)."""
        await self.notifier.wait_for(
            lambda: self.gateway.is_ready(shard_count),
            timeout=timeout,
            what=f"all {shard_count or 'expected'} shard(s) to be ready",
            details=lambda: f"live sessions: {self.gateway.describe()}",
        )

    async def wait_for_commands(
        self,
        *names: str,
        syncs: int = 1,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> list[dict[str, Any]]:
        """Wait until the bot synced its commands (and every command in `names` exists)."""

        def every() -> list[dict[str, Any]]:
            guild_wide = [c for store in self.guild_commands.values() for c in store.values()]
            return list(self.global_commands.values()) + guild_wide

        await self.notifier.wait_for(
            lambda: self.command_syncs >= syncs and set(names) <= {c["name"] for c in every()},
            timeout=timeout,
            what=f"the bot to sync commands {', '.join(names)}",
            details=lambda: f"registered: {sorted(c['name'] for c in every())}",
        )
        return every()

    async def wait_until_processed(self, *, timeout: float = DEFAULT_TIMEOUT) -> None:  # noqa: ASYNC109
        """Wait until every connected client has processed every event sent to it so far."""
        # Each client is asked for a heartbeat (op 1); it answers with the last sequence number
        # it handled, and discord.py handles events in order.
        targets = self.gateway.request_acks()
        sessions = self.gateway.sessions

        def caught_up() -> bool:
            return all(
                s not in sessions or sessions[s].caught_up(seq) for s, seq in targets.items()
            )

        await self.notifier.wait_for(caught_up, timeout=timeout, what="clients to process events")

    async def wait_until_disconnected(self, *, timeout: float = DEFAULT_TIMEOUT) -> None:  # noqa: ASYNC109
        """Wait until no gateway connection is open."""
        await self.notifier.wait_for(
            lambda: not self.gateway.connections,
            timeout=timeout,
            what="every gateway connection to close",
        )

    # Gateway hooks -------------------------------------------------------------------------

    async def disconnect_all(self, code: int = 4000) -> None:
        """Drop every gateway connection (clients resume unless the code forbids it)."""
        await self.gateway.disconnect_all(code)

    async def restart_gateway(self) -> None:
        """Forget every session and drop every connection: clients must identify again."""
        self.gateway.forget_sessions()
        await self.gateway.disconnect_all(4000)

    def request_heartbeat(self) -> None:
        """Ask every client for a heartbeat now (op 1)."""
        self.gateway.send_op_to_all(HEARTBEAT)

    def request_reconnect(self) -> None:
        """Tell every client to reconnect and resume (op 7)."""
        self.gateway.send_op_to_all(RECONNECT)

    def invalidate_sessions(self, *, resumable: bool = False) -> None:
        """Send INVALID_SESSION (op 9) to every client."""
        if not resumable:
            self.gateway.forget_sessions()
        self.gateway.send_op_to_all(INVALID_SESSION, resumable)
