"""Creating, editing and deleting messages and reactions, with the gateway events Discord sends."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tests.standin import payloads
from tests.standin.errors import ApiError, FormErrors
from tests.standin.events import message_event
from tests.standin.model import (
    Attachment,
    Channel,
    Message,
    MessageFlags,
    Poll,
    PollAnswer,
    Reaction,
    User,
)
from tests.standin.permissions import Intents
from tests.standin.threads import join_thread

if TYPE_CHECKING:
    from tests.standin.interactions import Interaction
    from tests.standin.standin import DiscordStandIn

USER_MENTION = re.compile(r"<@!?(\d+)>")
ROLE_MENTION = re.compile(r"<@&(\d+)>")
#: Flags a sender may set; the others are Discord's to set.
SETTABLE_FLAGS = (
    MessageFlags.SUPPRESS_EMBEDS | MessageFlags.SUPPRESS_NOTIFICATIONS | MessageFlags.COMPONENTS_V2
)
REPLY, DEFAULT = 19, 0


@dataclass
class Upload:
    """A file uploaded as `files[n]` in a multipart request."""

    index: int
    filename: str
    data: bytes
    content_type: str = "application/octet-stream"


def find_by_nonce(
    standin: DiscordStandIn, channel: Channel, author: User, nonce: Any
) -> Message | None:
    """Return the author's recent message in the channel with this nonce, if any."""
    horizon = standin.now() - standin.nonce_window
    for message in reversed(channel.messages.values()):
        if message.created_mono < horizon:
            return None
        if message.author is author and message.nonce == nonce and not message.deleted:
            return message
    return None


def create_message(
    standin: DiscordStandIn,
    channel: Channel,
    author: User,
    payload: dict[str, Any],
    *,
    files: Sequence[Upload] = (),
    interaction: Interaction | None = None,
    message_type: int | None = None,
    extra_flags: int = 0,
) -> Message:
    """Store a new message (already validated and permitted) and announce it."""
    nonce = payload.get("nonce")
    if nonce is not None and payload.get("enforce_nonce"):
        existing = find_by_nonce(standin, channel, author, nonce)
        if existing is not None:
            return existing
    reference = _reference(channel, payload.get("message_reference"))
    message = Message(
        id=standin.ids.next(),
        channel=channel,
        author=author,
        content=payload.get("content") or "",
        type=message_type if message_type is not None else (REPLY if reference else DEFAULT),
        flags=(int(payload.get("flags") or 0) & SETTABLE_FLAGS) | extra_flags,
        embeds=[_embed(e) for e in payload.get("embeds") or []],
        components=list(payload.get("components") or []),
        nonce=nonce,
        tts=bool(payload.get("tts")),
        reference=reference,
        sticker_ids=[int(s) for s in payload.get("sticker_ids") or []],
        created_mono=standin.now(),
    )
    if interaction is not None:
        message.webhook_id = standin.application_id
        message.interaction = interaction
    message.attachments = attachments_for(standin, message, payload, files, keep=[])
    _set_mentions(standin, message, payload)
    if payload.get("poll"):
        message.poll = new_poll(standin, payload["poll"])
    channel.messages[message.id] = message
    if not message.ephemeral:
        _count_in_channel(standin, channel, message)
    message_event(standin, "MESSAGE_CREATE", message)
    standin.changed()
    return message


def edit_message(
    standin: DiscordStandIn,
    message: Message,
    payload: dict[str, Any],
    *,
    files: Sequence[Upload] = (),
) -> Message:
    """Apply an edit and send MESSAGE_UPDATE."""
    if "content" in payload:
        message.content = payload["content"] or ""
    if "embeds" in payload:
        message.embeds = [_embed(e) for e in payload["embeds"] or []]
    if "components" in payload:
        message.components = list(payload["components"] or [])
    if payload.get("flags") is not None:
        kept = message.flags & ~SETTABLE_FLAGS
        message.flags = kept | (int(payload["flags"]) & SETTABLE_FLAGS)
    if "attachments" in payload or files:
        keep_ids = [a.id for a in message.attachments]
        if "attachments" in payload:  # listed existing attachments stay, the others go
            listed = {int(a["id"]) for a in payload["attachments"] or []}
            keep_ids = [i for i in keep_ids if i in listed]
        message.attachments = attachments_for(standin, message, payload, files, keep=keep_ids)
    if "content" in payload or "allowed_mentions" in payload:
        _set_mentions(standin, message, payload)
    if message.loading:  # a deferred response being filled in is not an edit
        message.flags &= ~MessageFlags.LOADING
    else:
        message.edited_at = standin.wall_time()
    message_event(standin, "MESSAGE_UPDATE", message)
    standin.changed()
    return message


def delete_message(standin: DiscordStandIn, message: Message) -> None:
    """Delete a message and send MESSAGE_DELETE."""
    message.deleted = True
    channel = message.channel
    if not message.ephemeral:
        data: dict[str, Any] = {"id": str(message.id), "channel_id": str(channel.id)}
        if channel.guild_id is not None:
            data["guild_id"] = str(channel.guild_id)
        intent = Intents.guild_messages if channel.guild else Intents.direct_messages
        standin.dispatch("MESSAGE_DELETE", data, guild_id=channel.guild_id, intent=intent)
    standin.changed()


def attachments_for(
    standin: DiscordStandIn,
    message: Message,
    payload: dict[str, Any],
    files: Sequence[Upload],
    *,
    keep: list[int],
) -> list[Attachment]:
    """Return the message's attachments: the kept ones plus one per uploaded file."""
    kept = [a for a in message.attachments if a.id in keep]
    described = {str(a.get("id")): a for a in payload.get("attachments") or []}
    for upload in files:
        meta = described.get(str(upload.index), {})
        attachment_id = standin.ids.next()
        filename = meta.get("filename") or upload.filename
        attachment = Attachment(
            id=attachment_id,
            filename=filename,
            data=upload.data,
            url=f"{standin.base_url}/attachments/{message.channel.id}/{attachment_id}/{filename}",
            content_type=upload.content_type,
            description=meta.get("description"),
        )
        standin.attachments[attachment_id] = attachment
        kept.append(attachment)
    return kept


def emoji_from_path(text: str) -> dict[str, Any]:
    """Parse a reaction emoji from a URL segment: a unicode emoji or `name:id`."""
    name, _, emoji_id = text.partition(":")
    if emoji_id or not name:  # the stand-in's guilds have no custom emojis
        raise ApiError(400, 10014, "Unknown Emoji")
    return {"id": None, "name": name}


def add_reaction(
    standin: DiscordStandIn, message: Message, user: User, emoji: dict[str, Any]
) -> None:
    """Add a user's reaction and send MESSAGE_REACTION_ADD (nothing if already there)."""
    key = emoji["name"] if emoji.get("id") is None else f"{emoji['name']}:{emoji['id']}"
    reaction = message.reactions.setdefault(key, Reaction(emoji=emoji))
    if user.id in reaction.user_ids:
        return
    reaction.user_ids.append(user.id)
    data = _reaction_event(message, user, emoji)
    data["message_author_id"] = str(message.author.id)
    data["burst_colors"] = []
    guild = message.guild
    if guild is not None and user.id in guild.members:
        data["member"] = payloads.member(guild.members[user.id])
    standin.dispatch("MESSAGE_REACTION_ADD", data, **_reaction_route(message))
    standin.changed()


def remove_reaction(
    standin: DiscordStandIn, message: Message, user_id: int, emoji: dict[str, Any]
) -> None:
    """Remove a user's reaction and send MESSAGE_REACTION_REMOVE (nothing if absent)."""
    key = emoji["name"] if emoji.get("id") is None else f"{emoji['name']}:{emoji['id']}"
    reaction = message.reactions.get(key)
    if reaction is None or user_id not in reaction.user_ids:
        return
    reaction.user_ids.remove(user_id)
    if not reaction.user_ids:
        del message.reactions[key]
    data = _reaction_event(message, standin.users[user_id], emoji)
    standin.dispatch("MESSAGE_REACTION_REMOVE", data, **_reaction_route(message))
    standin.changed()


def new_poll(standin: DiscordStandIn, data: dict[str, Any]) -> Poll:
    """Build a poll from the bot's payload; answers get ids 1..n."""
    answers = [
        PollAnswer(
            answer_id=index, text=a["poll_media"]["text"], emoji=a["poll_media"].get("emoji")
        )
        for index, a in enumerate(data["answers"], start=1)
    ]
    return Poll(
        question=data["question"]["text"],
        answers=answers,
        expiry=standin.wall_time() + float(data.get("duration", 24)) * 3600,
        allow_multiselect=bool(data.get("allow_multiselect")),
        layout_type=int(data.get("layout_type", 1)),
    )


def _reaction_event(message: Message, user: User, emoji: dict[str, Any]) -> dict[str, Any]:
    """Return the common fields of a reaction event."""
    data: dict[str, Any] = {
        "user_id": str(user.id),
        "channel_id": str(message.channel.id),
        "message_id": str(message.id),
        "emoji": emoji,
        "burst": False,
        "type": 0,
    }
    if message.channel.guild_id is not None:
        data["guild_id"] = str(message.channel.guild_id)
    return data


def _reaction_route(message: Message) -> dict[str, Any]:
    """Return the dispatch routing of a reaction event."""
    guild_id = message.channel.guild_id
    intent = Intents.guild_message_reactions if guild_id else Intents.direct_message_reactions
    return {"guild_id": guild_id, "intent": intent}


def _reference(channel: Channel, reference: dict[str, Any] | None) -> Message | None:
    """Resolve a reply's message_reference, raising 50035 if it points nowhere."""
    if not reference or reference.get("type", 0) != 0:
        return None
    target = channel.messages.get(int(reference.get("message_id") or 0))
    if target is None or target.deleted:
        if reference.get("fail_if_not_exists", True):
            errors = FormErrors()
            errors.add(
                ("message_reference",), "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message"
            )
            errors.raise_if_any()
        return None
    return target


def _embed(embed: dict[str, Any]) -> dict[str, Any]:
    """Return an embed as Discord stores it."""
    return {"type": "rich", **embed}


def _set_mentions(standin: DiscordStandIn, message: Message, payload: dict[str, Any]) -> None:
    """Work out who a message pings from its content, reply and allowed_mentions."""
    allowed = payload.get("allowed_mentions")
    parse = set(allowed.get("parse", [])) if allowed is not None else {"users", "roles", "everyone"}
    allowed_users = {int(u) for u in (allowed or {}).get("users", [])}
    allowed_roles = {int(r) for r in (allowed or {}).get("roles", [])}
    mentions: list[User] = []
    for match in USER_MENTION.finditer(message.content):
        user = standin.users.get(int(match.group(1)))
        if (
            user is not None
            and user not in mentions
            and ("users" in parse or user.id in allowed_users)
        ):
            mentions.append(user)
    reply_to = message.reference
    replied = True if allowed is None else allowed.get("replied_user", False)
    if reply_to is not None and replied and reply_to.author not in mentions:
        mentions.append(reply_to.author)
    message.mentions = mentions
    guild = message.guild
    message.mention_role_ids = [
        int(m.group(1))
        for m in ROLE_MENTION.finditer(message.content)
        if guild is not None
        and int(m.group(1)) in guild.roles
        and ("roles" in parse or int(m.group(1)) in allowed_roles)
    ]
    message.mention_everyone = "everyone" in parse and (
        "@everyone" in message.content or "@here" in message.content
    )


def _count_in_channel(standin: DiscordStandIn, channel: Channel, message: Message) -> None:
    """Update the channel's last message and a thread's counters and members."""
    channel.last_message_id = message.id
    if not channel.is_thread:
        return
    channel.message_count += 1
    channel.total_message_sent += 1
    if channel.archived and not channel.locked:
        channel.archived = False
        channel.archive_timestamp = standin.wall_time()
        assert channel.guild is not None
        channel.guild.channel_changed(channel)
    if message.author.id not in channel.thread_members and message.webhook_id is None:
        join_thread(standin, channel, message.author)
