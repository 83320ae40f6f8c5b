"""The REST side: route table, request parsing, auth, rate limits, JSON replies and logging."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web
from multidict import MultiMapping

from tests.standin.errors import ApiError, FormErrors, not_found, unknown
from tests.standin.guild import Guild
from tests.standin.messages import Upload
from tests.standin.model import Channel, Message, User

if TYPE_CHECKING:
    from tests.standin.standin import DiscordStandIn

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
VIA = "1.1 google"


@dataclass
class RequestRecord:
    """One REST request the stand-in answered, for assertions."""

    method: str
    route: str
    path: str
    json: Any
    status: int
    files: int = 0


@dataclass
class Call:
    """One REST request as a handler sees it."""

    standin: DiscordStandIn
    request: web.Request
    route: str
    body: Any
    files: list[Upload] = field(default_factory=list)

    @property
    def query(self) -> MultiMapping[str]:
        """Return the query string parameters."""
        return self.request.query

    @property
    def bot(self) -> User:
        """Return the bot's user."""
        return self.standin.bot_user

    @property
    def json(self) -> dict[str, Any]:
        """Return the JSON body as a dict (empty when there is none)."""
        return self.body if isinstance(self.body, dict) else {}

    def id(self, name: str) -> int:
        """Return a snowflake from the path, raising 404 when it is not one."""
        value = self.request.match_info[name]
        if not value.isdigit():
            raise not_found()
        return int(value)

    def query_int(self, name: str, default: int | None = None) -> int | None:
        """Return an integer query parameter, raising 50035 when it is not one."""
        value = self.query.get(name)
        if value is None:
            return default
        if not value.lstrip("-").isdigit():
            errors = FormErrors()
            errors.add((name,), "NUMBER_TYPE_COERCE", f'Value "{value}" is not int.')
            errors.raise_if_any()
        return int(value)

    def channel(self) -> Channel:
        """Return the path's channel, or raise 404 Unknown Channel."""
        channel = self.standin.channels.get(self.id("channel_id"))
        if channel is None:
            raise unknown("Channel")
        return channel

    def message(self, channel: Channel) -> Message:
        """Return the path's message in `channel`, or raise 404 Unknown Message."""
        message = channel.messages.get(self.id("message_id"))
        if message is None or message.deleted or message.ephemeral:
            raise unknown("Message")
        return message

    def guild(self) -> Guild:
        """Return the path's guild, or raise 404 Unknown Guild."""
        guild = self.standin.guilds.get(self.id("guild_id"))
        if guild is None:
            raise unknown("Guild")
        return guild


@dataclass
class Reply:
    """A handler's answer when it is not a plain 200 with JSON (or 204 for None)."""

    status: int
    data: Any = None


Handler = Callable[[Call], Awaitable[Any]]


@dataclass
class RouteSpec:
    """A route: method, path template under /api/v10, handler and how it is limited."""

    method: str
    path: str
    handler: Handler
    bucket: str | None = None
    interaction: bool = False


class RouteTable:
    """Collect routes with decorators, in the order they must be matched."""

    def __init__(self) -> None:
        self.specs: list[RouteSpec] = []

    def route(
        self, method: str, path: str, *, bucket: str | None = None, interaction: bool = False
    ) -> Callable[[Handler], Handler]:
        """Register the decorated handler for `method path`."""

        def register(handler: Handler) -> Handler:
            self.specs.append(RouteSpec(method, path, handler, bucket, interaction))
            return handler

        return register


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """Return a JSON response with exactly `Content-Type: application/json`."""
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", "Via": VIA, **(headers or {})},
    )


async def read_body(request: web.Request) -> tuple[Any, list[Upload]]:
    """Parse a JSON or multipart (payload_json + files[n]) body."""
    if request.content_type == "multipart/form-data":
        body: Any = None
        files: list[Upload] = []
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            if part.name == "payload_json":
                body = json.loads(await part.text())
            elif part.name.startswith("files["):
                files.append(
                    Upload(
                        index=int(part.name[6:-1]),
                        filename=part.filename or "file",
                        data=bytes(await part.read()),
                        content_type=part.headers.get("Content-Type", "application/octet-stream"),
                    )
                )
        return body, files
    if not request.can_read_body:
        return None, []
    text = await request.text()
    if not text:
        return None, []
    try:
        return json.loads(text), []
    except ValueError:
        raise ApiError(400, 50109, "The request body contains invalid JSON.") from None


def make_handler(
    standin: DiscordStandIn, spec: RouteSpec
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Wrap a route handler with auth, rate limits, error replies and the request log."""

    async def handle(request: web.Request) -> web.StreamResponse:
        body: Any = None
        files: list[Upload] = []
        if request.transport is not None:
            standin.rest_connections.add(request.transport.get_extra_info("peername"))
        try:
            if not spec.interaction:
                standin.check_auth(request.headers.get("Authorization"))
            headers: dict[str, str] = {}
            if not spec.interaction:
                verdict = standin.check_rate_limit(spec, request.match_info)
                headers = verdict.headers
                if verdict.limited:
                    log.info("429 for %s %s", spec.method, spec.path)
                    response = json_response(verdict.body, 429, headers)
                    standin.record(RequestRecord(spec.method, spec.path, request.path, None, 429))
                    return response
            body, files = await read_body(request)
            result = await spec.handler(Call(standin, request, spec.path, body, files))
            if isinstance(result, Reply):
                response = (
                    web.Response(status=204, headers={"Via": VIA, **headers})
                    if result.status == 204
                    else json_response(result.data, result.status, headers)
                )
            elif result is None:
                response = web.Response(status=204, headers={"Via": VIA, **headers})
            else:
                response = json_response(result, 200, headers)
        except ApiError as error:
            log.info("%s %s -> %s %s", spec.method, request.path, error.status, error.body())
            response = json_response(error.body(), error.status)
        except Exception as error:
            # A stand-in bug: answer 503 (discord.py does not retry it) and keep it for the test.
            log.exception("stand-in crashed on %s %s", spec.method, request.path)
            standin.crashes.append(error)
            response = json_response({"message": f"stand-in crashed: {error!r}", "code": 0}, 503)
        standin.record(
            RequestRecord(spec.method, spec.path, request.path, body, response.status, len(files))
        )
        return response

    return handle


def build_app(standin: DiscordStandIn, tables: list[RouteTable]) -> web.Application:
    """Build the aiohttp application: gateway, REST routes, attachments and a logged 404."""
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_get("/gateway", standin.gateway.handle)
    app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", _attachment(standin))
    for table in tables:
        for spec in table.specs:
            app.router.add_route(spec.method, API_PREFIX + spec.path, make_handler(standin, spec))
    app.router.add_route("*", "/{tail:.*}", _unknown_route(standin))
    return app


def _attachment(standin: DiscordStandIn) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Serve an attachment's bytes."""

    async def serve(request: web.Request) -> web.Response:
        attachment = standin.attachments.get(int(request.match_info["attachment_id"]))
        if attachment is None:
            return web.Response(status=404)
        return web.Response(body=attachment.data, content_type=attachment.content_type)

    return serve


def _unknown_route(standin: DiscordStandIn) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Answer a route the stand-in does not serve with Discord's 404, and say so in the log."""

    async def answer(request: web.Request) -> web.Response:
        log.warning("stand-in has no route for %s %s", request.method, request.path)
        standin.record(RequestRecord(request.method, "(unknown)", request.path, None, 404))
        standin.unknown_routes.append(f"{request.method} {request.path}")
        return json_response(not_found().body(), 404)

    return answer
