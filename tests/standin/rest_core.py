"""REST routes for the gateway, users, the application, its commands and guilds."""

from __future__ import annotations

from typing import Any

from tests.standin import payloads
from tests.standin.access import require
from tests.standin.errors import ApiError, missing_access, missing_permissions, unknown
from tests.standin.model import ChannelType
from tests.standin.permissions import Intents
from tests.standin.permissions import Permissions as P
from tests.standin.rest import Call, Reply, RouteTable
from tests.standin.validation import check_commands

routes = RouteTable()


@routes.route("GET", "/gateway")
async def get_gateway(call: Call) -> Any:
    """Return the gateway URL."""
    return {"url": call.standin.gateway_url}


@routes.route("GET", "/gateway/bot")
async def get_gateway_bot(call: Call) -> Any:
    """Return the gateway URL and the recommended shard count."""
    return {
        "url": call.standin.gateway_url,
        "shards": call.standin.recommended_shards,
        "session_start_limit": {
            "total": 1000,
            "remaining": 1000 - call.standin.gateway.identify_count,
            "reset_after": 86_400_000,
            "max_concurrency": 1,
        },
    }


@routes.route("GET", "/users/@me")
async def get_me(call: Call) -> Any:
    """Return the bot's own user."""
    data = payloads.user(call.bot)
    data.update(verified=True, mfa_enabled=False, flags=0, locale="en-US")
    return data


@routes.route("GET", "/users/{user_id}")
async def get_user(call: Call) -> Any:
    """Return a user."""
    user = call.standin.users.get(call.id("user_id"))
    if user is None:
        raise unknown("User")
    return payloads.user(user)


@routes.route("GET", "/oauth2/applications/@me")
async def get_application(call: Call) -> Any:
    """Return the bot's application."""
    return call.standin.application_payload()


@routes.route("GET", "/applications/@me")
async def get_application_me(call: Call) -> Any:
    """Return the bot's application."""
    return call.standin.application_payload()


# Application commands -----------------------------------------------------------------------


def _scope(call: Call) -> tuple[int | None, dict[int, dict[str, Any]]]:
    """Return the guild id (None for global) and the command store the route addresses."""
    if call.id("application_id") != call.standin.application_id:
        raise ApiError(403, 50001, "Missing Access")
    if "guild_id" not in call.request.match_info:
        return None, call.standin.global_commands
    guild = call.guild()
    return guild.id, call.standin.guild_commands.setdefault(guild.id, {})


@routes.route("GET", "/applications/{application_id}/commands")
@routes.route("GET", "/applications/{application_id}/guilds/{guild_id}/commands")
async def list_commands(call: Call) -> Any:
    """List the registered commands."""
    _, store = _scope(call)
    return list(store.values())


@routes.route("PUT", "/applications/{application_id}/commands")
@routes.route("PUT", "/applications/{application_id}/guilds/{guild_id}/commands")
async def overwrite_commands(call: Call) -> Any:
    """Replace every command of the scope, keeping ids of commands that stay."""
    guild_id, store = _scope(call)
    commands = call.body if isinstance(call.body, list) else []
    check_commands(commands)
    by_name = {(c.get("type", 1), c["name"]): c for c in store.values()}
    store.clear()
    for command in commands:
        previous = by_name.get((command.get("type", 1), command["name"]))
        stored = call.standin.store_command(command, guild_id, previous)
        store[int(stored["id"])] = stored
    call.standin.command_syncs += 1
    call.standin.changed()
    return list(store.values())


@routes.route("POST", "/applications/{application_id}/commands")
@routes.route("POST", "/applications/{application_id}/guilds/{guild_id}/commands")
async def upsert_command(call: Call) -> Any:
    """Create a command, or replace the one with the same name and type."""
    guild_id, store = _scope(call)
    check_commands([call.json])
    kind, name = call.json.get("type", 1), call.json.get("name")
    previous = next(
        (c for c in store.values() if (c.get("type", 1), c["name"]) == (kind, name)), None
    )
    stored = call.standin.store_command(call.json, guild_id, previous)
    store[int(stored["id"])] = stored
    call.standin.changed()
    return Reply(200 if previous else 201, stored)


@routes.route("GET", "/applications/{application_id}/guilds/{guild_id}/commands/permissions")
async def command_permissions(call: Call) -> Any:
    """Return the guild's command permission overrides (none)."""
    _scope(call)
    return []


def _command(call: Call) -> tuple[dict[int, dict[str, Any]], dict[str, Any]]:
    """Return the store and the command the route addresses."""
    _, store = _scope(call)
    command = store.get(call.id("command_id"))
    if command is None:
        raise unknown("application command")
    return store, command


@routes.route("GET", "/applications/{application_id}/commands/{command_id}")
@routes.route("GET", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}")
async def get_command(call: Call) -> Any:
    """Return one command."""
    return _command(call)[1]


@routes.route("PATCH", "/applications/{application_id}/commands/{command_id}")
@routes.route("PATCH", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}")
async def edit_command(call: Call) -> Any:
    """Edit a command's name, description or options."""
    _, command = _command(call)
    merged = {**command, **call.json}
    check_commands([merged])
    command.update(call.json)
    command["version"] = str(call.standin.ids.next())
    call.standin.changed()
    return command


@routes.route("DELETE", "/applications/{application_id}/commands/{command_id}")
@routes.route("DELETE", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}")
async def delete_command(call: Call) -> Any:
    """Delete a command."""
    store, command = _command(call)
    del store[int(command["id"])]
    call.standin.changed()
    return None


# Guilds -------------------------------------------------------------------------------------


@routes.route("GET", "/guilds/{guild_id}")
async def get_guild(call: Call) -> Any:
    """Return a guild."""
    guild = call.guild()
    data = payloads.guild(guild)
    if call.query.get("with_counts") in ("true", "1"):
        data.update(approximate_member_count=len(guild.members), approximate_presence_count=0)
    return data


@routes.route("GET", "/guilds/{guild_id}/channels")
async def get_guild_channels(call: Call) -> Any:
    """List a guild's channels (threads excluded)."""
    return [payloads.channel(c) for c in call.guild().text_channels()]


@routes.route("POST", "/guilds/{guild_id}/channels")
async def create_guild_channel(call: Call) -> Any:
    """Create a text, announcement or category channel (Manage Channels)."""
    guild = call.guild()
    if not guild.me.permissions() & P.manage_channels:
        raise missing_permissions()
    kind = call.json.get("type", ChannelType.TEXT)
    if kind not in (ChannelType.TEXT, ChannelType.NEWS, ChannelType.CATEGORY):
        raise ApiError(400, 50024, "Cannot execute action on this channel type")
    if kind == ChannelType.CATEGORY:
        channel = guild.add_category(call.json.get("name") or "category")
    else:
        parent = guild.channels.get(int(call.json.get("parent_id") or 0))
        channel = guild.add_text_channel(
            call.json.get("name") or "channel",
            news=kind == ChannelType.NEWS,
            topic=call.json.get("topic"),
            category=parent,
        )
    call.standin.changed()
    return Reply(201, payloads.channel(channel))


@routes.route("GET", "/guilds/{guild_id}/roles")
async def get_roles(call: Call) -> Any:
    """List a guild's roles."""
    return [payloads.role(r) for r in call.guild().roles.values()]


@routes.route("GET", "/guilds/{guild_id}/roles/{role_id}")
async def get_role(call: Call) -> Any:
    """Return one role."""
    role = call.guild().roles.get(call.id("role_id"))
    if role is None:
        raise unknown("Role")
    return payloads.role(role)


@routes.route("GET", "/guilds/{guild_id}/members")
async def list_members(call: Call) -> Any:
    """List members (needs the Server Members intent enabled on the application)."""
    guild = call.guild()
    if not call.standin.enabled_intents & Intents.guild_members:
        raise missing_access()
    after = call.query_int("after", 0) or 0
    limit = call.query_int("limit", 1) or 1
    members = sorted((m for m in guild.members.values() if m.id > after), key=lambda m: m.id)
    return [payloads.member(m) for m in members[:limit]]


@routes.route("GET", "/guilds/{guild_id}/members/{user_id}")
async def get_member(call: Call) -> Any:
    """Return one member."""
    member = call.guild().members.get(call.id("user_id"))
    if member is None:
        raise unknown("Member")
    return payloads.member(member)


@routes.route("GET", "/guilds/{guild_id}/threads/active")
async def active_threads(call: Call) -> Any:
    """List the guild's active threads the bot can see."""
    guild = call.guild()
    threads = [t for t in guild.threads() if not t.archived and require_quietly(call, t)]
    members = [
        payloads.thread_member(t, call.bot.id) for t in threads if call.bot.id in t.thread_members
    ]
    return {"threads": [payloads.channel(t) for t in threads], "members": members}


def require_quietly(call: Call, channel: Any) -> bool:
    """Return whether the bot can see a channel."""
    try:
        require(call.bot, channel)
    except ApiError:
        return False
    return True
