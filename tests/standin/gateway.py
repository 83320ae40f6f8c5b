"""The gateway: a websocket speaking Discord's protocol (HELLO, IDENTIFY, RESUME, dispatches)."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from tests.standin import payloads
from tests.standin.events import strip_content
from tests.standin.permissions import ALL_INTENTS, PRIVILEGED_INTENTS, Intents

if TYPE_CHECKING:
    from tests.standin.guild import Guild
    from tests.standin.standin import DiscordStandIn

log = logging.getLogger(__name__)

DISPATCH, HEARTBEAT, IDENTIFY, RESUME, RECONNECT = 0, 1, 2, 6, 7
REQUEST_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 8, 9, 10, 11
CLIENT_OPS = {HEARTBEAT, IDENTIFY, 3, 4, RESUME, REQUEST_MEMBERS}

#: Close codes after which Discord does not let the session resume.
FATAL_CLOSE_CODES = {4004, 4007, 4009, 4010, 4011, 4012, 4013, 4014}
CONTENT_EVENTS = {"MESSAGE_CREATE", "MESSAGE_UPDATE"}


@dataclass(eq=False)
class Session:
    """A gateway session: one shard of one bot process, resumable across connections."""

    id: str
    shard_id: int
    shard_count: int
    intents: int
    history: deque[tuple[int, str]]
    seq: int = 0
    connection: Connection | None = None
    ready_seq: int = 0
    acked_seq: int = -1
    journal: list[tuple[int, str]] = field(default_factory=list, repr=False)

    @property
    def ready(self) -> bool:
        """Return whether the client has processed its READY/RESUMED burst."""
        return (
            self.connection is not None and self.ready_seq > 0 and self.acked_seq >= self.ready_seq
        )

    def caught_up(self, seq: int) -> bool:
        """Return whether the client has processed every dispatch up to `seq`."""
        return self.acked_seq >= seq

    def owns(self, guild_id: int | None) -> bool:
        """Return whether this session's shard receives the guild's events (DMs go to shard 0)."""
        if guild_id is None:
            return self.shard_id == 0
        return (guild_id >> 22) % self.shard_count == self.shard_id

    def push(self, event: str, body: str) -> None:
        """Number a dispatch, keep it for RESUME and send it if connected."""
        self.seq += 1
        text = f'{{"op":0,"s":{self.seq},"t":"{event}","d":{body}}}'
        self.history.append((self.seq, text))
        self.journal.append((self.shard_id, event))
        if self.connection is not None:
            self.connection.send(text)


class Connection:
    """One websocket; a single writer task sends its frames in order."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.session: Session | None = None
        self.closed_by_server = False
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()

    def send(self, text: str) -> None:
        """Queue a text frame."""
        self.queue.put_nowait(text)

    def send_op(self, op: int, data: Any) -> None:
        """Queue a non-dispatch payload."""
        self.send(json.dumps({"op": op, "d": data, "s": None, "t": None}))

    async def write_forever(self) -> None:
        """Send queued frames until told to stop or the socket closes."""
        while True:
            text = await self.queue.get()
            if text is None:
                return
            if self.ws.closed:
                continue
            try:
                await self.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                log.debug("gateway frame dropped: the socket is closing")


class Gateway:
    """Accept gateway connections and route dispatches to the sessions that should get them."""

    def __init__(self, standin: DiscordStandIn, *, history_size: int = 10_000) -> None:
        self.standin = standin
        self.history_size = history_size
        self.sessions: dict[str, Session] = {}
        self.connections: set[Connection] = set()
        self.identify_count = 0
        self.journal: list[tuple[int, str]] = []

    # Routing -------------------------------------------------------------------------------

    def dispatch(
        self,
        event: str,
        data: dict[str, Any],
        *,
        guild_id: int | None,
        intent: int | None,
        content_exempt: bool = True,
    ) -> None:
        """Send an event to each session whose shard owns the guild and whose intents allow it."""
        full: str | None = None
        gated: str | None = None
        for session in list(self.sessions.values()):
            if not session.owns(guild_id) or (intent is not None and not session.intents & intent):
                continue
            if (
                event in CONTENT_EVENTS
                and not content_exempt
                and not session.intents & Intents.message_content
            ):
                gated = gated or json.dumps(strip_content(data))
                session.push(event, gated)
            else:
                full = full or json.dumps(data)
                session.push(event, full)

    def announce_guild(self, guild: Guild) -> None:
        """Send GUILD_CREATE for a guild the bot just joined."""
        for session in self.sessions.values():
            if session.owns(guild.id):
                session.push("GUILD_CREATE", json.dumps(self._guild_create(session, guild)))

    def _guild_create(self, session: Session, guild: Guild) -> dict[str, Any]:
        """Return GUILD_CREATE as a session sees it: every member only with GUILD_PRESENCES."""
        members = (
            list(guild.members.values())
            if session.intents & Intents.guild_presences
            else [guild.me]
        )
        return payloads.guild_create(guild, members=members)

    def describe(self) -> str:
        """Return a one-line summary of the sessions, for timeout messages."""
        parts = [
            f"shard {s.shard_id}/{s.shard_count} {'ready' if s.ready else 'not ready'}"
            f"{'' if s.connection else ' (disconnected)'}"
            for s in self.sessions.values()
        ]
        return ", ".join(parts) or "none"

    def live_sessions(self) -> list[Session]:
        """Return the sessions with an open connection."""
        return [s for s in self.sessions.values() if s.connection is not None]

    def is_ready(self, shard_count: int | None = None) -> bool:
        """Return whether every shard has a connected session that got all its GUILD_CREATEs."""
        live = [s for s in self.live_sessions() if s.ready]
        if not live:
            return False
        count = shard_count or max(s.shard_count for s in live)
        shards = {s.shard_id for s in live if s.shard_count == count}
        return shards == set(range(count))

    # Test hooks ----------------------------------------------------------------------------

    async def disconnect_all(self, code: int = 4000) -> None:
        """Close every connection; sessions stay resumable unless `code` forbids it."""
        for connection in list(self.connections):
            connection.closed_by_server = True
            if code in FATAL_CLOSE_CODES and connection.session is not None:
                self.sessions.pop(connection.session.id, None)
            await connection.ws.close(code=code, message=b"stand-in disconnect")

    def send_op_to_all(self, op: int, data: Any = None) -> None:
        """Send an opcode (HEARTBEAT, RECONNECT, INVALID_SESSION) to every connection."""
        for connection in self.connections:
            connection.send_op(op, data)

    def forget_sessions(self) -> None:
        """Drop every session so that the next RESUME fails and the client identifies again."""
        self.sessions.clear()

    # Connection handling -------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """Serve one gateway websocket."""
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        connection = Connection(ws)
        self.connections.add(connection)
        writer = asyncio.create_task(connection.write_forever())
        connection.send_op(HELLO, {"heartbeat_interval": self.standin.heartbeat_interval_ms})
        try:
            async for message in ws:
                if message.type is not WSMsgType.TEXT:
                    await self._close(connection, 4002, "Decode error")
                    break
                try:
                    payload = json.loads(message.data)
                except ValueError:
                    await self._close(connection, 4002, "Decode error")
                    break
                await self._receive(connection, payload)
                if ws.closed:
                    break
        finally:
            self.connections.discard(connection)
            connection.queue.put_nowait(None)
            await writer
            self._detach(connection)
        return ws

    def _detach(self, connection: Connection) -> None:
        """Forget a closed connection; a client's own 1000/1001 close ends its session."""
        session = connection.session
        if session is None or session.connection is not connection:
            return
        session.connection = None
        client_code = connection.ws.close_code
        if not connection.closed_by_server and client_code in (1000, 1001):
            self.sessions.pop(session.id, None)
            log.debug("session %s closed by the client (%s)", session.id, client_code)
        self.standin.changed()

    async def _close(self, connection: Connection, code: int, reason: str) -> None:
        """Close a connection with a gateway close code."""
        log.info("gateway closing a connection with %s (%s)", code, reason)
        connection.closed_by_server = True
        if code in FATAL_CLOSE_CODES and connection.session is not None:
            self.sessions.pop(connection.session.id, None)
        await connection.ws.close(code=code, message=reason.encode())

    async def _receive(self, connection: Connection, payload: dict[str, Any]) -> None:
        """Handle one payload from the client."""
        op, data = payload.get("op"), payload.get("d")
        if op not in CLIENT_OPS:
            await self._close(connection, 4001, f"Unknown opcode {op}")
        elif op == HEARTBEAT:
            session = connection.session
            if session is not None and isinstance(data, int) and data > session.acked_seq:
                session.acked_seq = data
                self.standin.changed()
            connection.send_op(HEARTBEAT_ACK, None)
        elif op == IDENTIFY:
            await self._identify(connection, data or {})
        elif op == RESUME:
            self._resume(connection, data or {})
        elif connection.session is None:
            await self._close(connection, 4003, "Not authenticated")
        elif op == REQUEST_MEMBERS:
            self._request_members(connection.session, data or {})

    async def _identify(self, connection: Connection, data: dict[str, Any]) -> None:
        """Check an IDENTIFY and start a session: READY, then one GUILD_CREATE per guild."""
        standin = self.standin
        if connection.session is not None:
            await self._close(connection, 4005, "Already authenticated")
            return
        if data.get("token") != standin.bot_token:
            await self._close(connection, 4004, "Authentication failed")
            return
        shard_id, shard_count = data.get("shard") or [0, 1]
        if shard_count < 1 or not 0 <= shard_id < shard_count:
            await self._close(connection, 4010, "Invalid shard")
            return
        intents = data.get("intents")
        if not isinstance(intents, int) or intents & ~ALL_INTENTS:
            await self._close(connection, 4013, "Invalid intent(s)")
            return
        if intents & PRIVILEGED_INTENTS & ~standin.enabled_intents:
            await self._close(connection, 4014, "Disallowed intent(s)")
            return
        self.identify_count += 1
        session = Session(
            id=uuid.uuid4().hex,
            shard_id=shard_id,
            shard_count=shard_count,
            intents=intents,
            history=deque(maxlen=self.history_size),
            connection=connection,
            journal=self.journal,
        )
        self.sessions[session.id] = session
        connection.session = session
        guilds = [g for g in standin.guilds.values() if session.owns(g.id)]
        ready = {
            "v": 10,
            "user": payloads.user(standin.bot_user),
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.id,
            "resume_gateway_url": standin.gateway_url,
            "shard": [shard_id, shard_count],
            "application": {"id": str(standin.application_id), "flags": standin.application_flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "user_settings": {},
            "geo_ordered_rtc_regions": [],
        }
        session.push("READY", json.dumps(ready))
        for guild in guilds:
            session.push("GUILD_CREATE", json.dumps(self._guild_create(session, guild)))
        self._ask_for_ack(session)

    def _ask_for_ack(self, session: Session) -> None:
        """Request a heartbeat: the client answers with the last sequence it has processed."""
        session.ready_seq = session.seq
        if session.connection is not None:
            session.connection.send_op(HEARTBEAT, None)

    def request_acks(self) -> dict[str, int]:
        """Ask every live session for a heartbeat; return the sequence each must reach."""
        targets = {}
        for session in self.live_sessions():
            targets[session.id] = session.seq
            assert session.connection is not None
            session.connection.send_op(HEARTBEAT, None)
        return targets

    def _resume(self, connection: Connection, data: dict[str, Any]) -> None:
        """Resume a session: replay what was missed, then RESUMED; or INVALID_SESSION."""
        session = self.sessions.get(data.get("session_id") or "")
        seq = data.get("seq") or 0
        oldest = session.history[0][0] if session and session.history else None
        if (
            session is None
            or data.get("token") != self.standin.bot_token
            or (oldest is not None and seq < oldest - 1)
        ):
            log.info("gateway cannot resume session %s", data.get("session_id"))
            connection.send_op(INVALID_SESSION, False)
            return
        if session.connection is not None and session.connection is not connection:
            session.connection.closed_by_server = True
            session.connection.session = None
        session.connection = connection
        connection.session = session
        for number, text in session.history:
            if number > seq:
                connection.send(text)
        session.push("RESUMED", "{}")
        self._ask_for_ack(session)

    def _request_members(self, session: Session, data: dict[str, Any]) -> None:
        """Answer REQUEST_GUILD_MEMBERS with one GUILD_MEMBERS_CHUNK."""
        guild_ids = data.get("guild_id")
        for guild_id in guild_ids if isinstance(guild_ids, list) else [guild_ids]:
            guild = self.standin.guilds.get(int(guild_id))
            if guild is None:
                continue
            members = list(guild.members.values())
            if not session.intents & Intents.guild_members:
                members = [guild.me]
            wanted = {int(u) for u in data.get("user_ids") or []}
            query = (data.get("query") or "").lower()
            if wanted:
                members = [m for m in members if m.id in wanted]
            elif query:
                members = [m for m in members if m.name.lower().startswith(query)]
            limit = data.get("limit") or 0
            if limit:
                members = members[:limit]
            chunk: dict[str, Any] = {
                "guild_id": str(guild.id),
                "members": [payloads.member(m) for m in members],
                "chunk_index": 0,
                "chunk_count": 1,
                "not_found": [str(u) for u in wanted - {m.id for m in members}],
            }
            if data.get("nonce"):
                chunk["nonce"] = data["nonce"]
            session.push("GUILD_MEMBERS_CHUNK", json.dumps(chunk))
