"""Turn a test's `slash(..., option=value)` into the options and `resolved` map Discord sends."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.standin import payloads
from tests.standin.access import permissions_of
from tests.standin.errors import ScenarioError
from tests.standin.model import Attachment, Channel, Member, Message, Role, User

if TYPE_CHECKING:
    from tests.standin.standin import DiscordStandIn

SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = range(3, 12)
TYPE_NAMES = {
    STRING: "STRING",
    INTEGER: "INTEGER",
    BOOLEAN: "BOOLEAN",
    USER: "USER",
    CHANNEL: "CHANNEL",
    ROLE: "ROLE",
    MENTIONABLE: "MENTIONABLE",
    NUMBER: "NUMBER",
    ATTACHMENT: "ATTACHMENT",
}


class AttachmentFile:
    """A file a person attaches to an ATTACHMENT option."""

    def __init__(
        self, filename: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> None:
        self.filename = filename
        self.data = data
        self.content_type = content_type


class Invocation:
    """Build one command invocation's options and resolved data."""

    def __init__(self, standin: DiscordStandIn, channel: Channel, actor: User) -> None:
        self.standin = standin
        self.channel = channel
        self.actor = actor
        self.resolved: dict[str, dict[str, Any]] = {}

    def build(
        self,
        command: dict[str, Any],
        path: list[str],
        values: dict[str, Any],
        *,
        focused: str | None = None,
    ) -> list[dict[str, Any]]:
        """Return the interaction's `options` for `/command path... values`."""
        label = f"/{command['name']}"
        schema = command.get("options") or []
        chain: list[dict[str, Any]] = []
        for part in path:
            sub = next(
                (
                    o
                    for o in schema
                    if o["name"] == part and o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)
                ),
                None,
            )
            if sub is None:
                raise ScenarioError(
                    f"{label} has no subcommand {part!r}; it has {_names(schema, sub=True)}"
                )
            chain.append(sub)
            label += f" {part}"
            schema = sub.get("options") or []
        if any(o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP) for o in schema):
            raise ScenarioError(f"{label} needs a subcommand: one of {_names(schema, sub=True)}")
        known = {o["name"]: o for o in schema}
        unknown = set(values) - set(known)
        if unknown:
            raise ScenarioError(f"{label} has no option {sorted(unknown)}; it has {sorted(known)}")
        missing = [o["name"] for o in schema if o.get("required") and o["name"] not in values]
        if missing:
            raise ScenarioError(f"{label} needs the required option(s) {missing}")
        options = [
            self._option(known[name], value, label, focused=name == focused)
            for name, value in values.items()
        ]
        for sub in reversed(chain):
            options = [{"type": sub["type"], "name": sub["name"], "options": options}]
        return options

    def _option(
        self, schema: dict[str, Any], value: Any, label: str, *, focused: bool
    ) -> dict[str, Any]:
        """Return one option with its value checked against the schema."""
        kind, name = schema["type"], schema["name"]
        where = f"{label} {name}"
        option: dict[str, Any] = {"type": kind, "name": name}
        if focused:
            option.update(value=value, focused=True)
            return option
        if kind == STRING:
            _expect(isinstance(value, str), where, "a str", value)
            _check_length(schema, value, where)
        elif kind == INTEGER:
            _expect(isinstance(value, int) and not isinstance(value, bool), where, "an int", value)
            _check_range(schema, value, where)
        elif kind == NUMBER:
            _expect(
                isinstance(value, int | float) and not isinstance(value, bool),
                where,
                "a number",
                value,
            )
            _check_range(schema, value, where)
        elif kind == BOOLEAN:
            _expect(isinstance(value, bool), where, "a bool", value)
        if kind in (STRING, INTEGER, NUMBER):
            choices = [c["value"] for c in schema.get("choices") or []]
            if choices and value not in choices:
                raise ScenarioError(f"{where} must be one of {choices}, not {value!r}")
            option["value"] = value
        elif kind != BOOLEAN:
            option["value"] = str(self.resolve(kind, value, schema, where))
        else:
            option["value"] = value
        return option

    def resolve(self, kind: int, value: Any, schema: dict[str, Any], where: str) -> int:
        """Add a user, member, channel, role or attachment to `resolved`; return its id."""
        if kind == ATTACHMENT:
            _expect(isinstance(value, AttachmentFile), where, "an AttachmentFile", value)
            return self.add_attachment(value)
        if kind in (USER, MENTIONABLE) and isinstance(value, Member | User):
            return self.add_user(value)
        if kind in (ROLE, MENTIONABLE) and isinstance(value, Role):
            return self.add_role(value)
        if kind == CHANNEL and isinstance(value, Channel):
            channel_types = schema.get("channel_types")
            if channel_types and value.type not in channel_types:
                raise ScenarioError(
                    f"{where} only takes channel types {channel_types}, not {value!r}"
                )
            return self.add_channel(value)
        raise ScenarioError(f"{where} ({TYPE_NAMES.get(kind, kind)}) cannot take {value!r}")

    def add_user(self, value: Member | User) -> int:
        """Resolve a user, with their member data when in the guild."""
        user = value.user if isinstance(value, Member) else value
        self.resolved.setdefault("users", {})[str(user.id)] = payloads.user(user)
        guild = self.channel.guild
        member = guild.members.get(user.id) if guild is not None else None
        if member is not None:
            self.resolved.setdefault("members", {})[str(user.id)] = payloads.member(
                member, with_user=False, permissions=member.permissions_in(self.channel)
            )
        return user.id

    def add_role(self, role: Role) -> int:
        """Resolve a role."""
        self.resolved.setdefault("roles", {})[str(role.id)] = payloads.role(role)
        return role.id

    def add_channel(self, channel: Channel) -> int:
        """Resolve a channel with the invoking user's permissions in it."""
        data = payloads.channel(channel, permissions=permissions_of(self.actor, channel))
        self.resolved.setdefault("channels", {})[str(channel.id)] = data
        return channel.id

    def add_message(self, message: Message) -> int:
        """Resolve a message (for message context-menu commands)."""
        data = payloads.message(message, viewer_id=self.standin.bot_user.id)
        self.resolved.setdefault("messages", {})[str(message.id)] = data
        return message.id

    def add_attachment(self, file: AttachmentFile) -> int:
        """Store an uploaded file and resolve it."""
        attachment_id = self.standin.ids.next()
        attachment = Attachment(
            id=attachment_id,
            filename=file.filename,
            data=file.data,
            url=f"{self.standin.base_url}/attachments/{self.channel.id}/{attachment_id}/{file.filename}",
            content_type=file.content_type,
        )
        self.standin.attachments[attachment_id] = attachment
        self.resolved.setdefault("attachments", {})[str(attachment_id)] = payloads.attachment(
            attachment
        )
        return attachment_id


def _names(schema: list[dict[str, Any]], *, sub: bool) -> list[str]:
    """Return the names of (sub)commands or options in a schema."""
    return [o["name"] for o in schema if (o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)) == sub]


def _expect(ok: bool, where: str, kind: str, value: Any) -> None:
    """Raise unless a value has the right Python type."""
    if not ok:
        raise ScenarioError(f"{where} takes {kind}, not {value!r}")


def _check_length(schema: dict[str, Any], value: str, where: str) -> None:
    """Raise if a string breaks min_length/max_length."""
    low, high = schema.get("min_length", 0), schema.get("max_length", 6000)
    if not low <= len(value) <= high:
        raise ScenarioError(f"{where} must be {low}-{high} characters long")


def _check_range(schema: dict[str, Any], value: float, where: str) -> None:
    """Raise if a number breaks min_value/max_value."""
    low, high = schema.get("min_value"), schema.get("max_value")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ScenarioError(f"{where} must be between {low} and {high}")
