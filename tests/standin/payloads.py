"""JSON payloads of the world's objects, shaped as Discord sends them (see discord/types/)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.standin.clock import iso, snowflake_time

if TYPE_CHECKING:
    from tests.standin.guild import Guild
    from tests.standin.model import Attachment, Channel, Member, Message, Poll, Role, User

Json = dict[str, Any]


def user(u: User) -> Json:
    """Return a user object."""
    return {
        "id": str(u.id),
        "username": u.username,
        "discriminator": "0",
        "global_name": u.global_name,
        "avatar": None,
        "bot": u.bot,
        "public_flags": 0,
    }


def role(r: Role) -> Json:
    """Return a role object."""
    data: Json = {
        "id": str(r.id),
        "name": r.name,
        "color": r.color,
        "colors": {"primary_color": r.color, "secondary_color": None, "tertiary_color": None},
        "hoist": r.hoist,
        "icon": None,
        "unicode_emoji": None,
        "position": r.position,
        "permissions": str(r.permissions),
        "managed": r.bot_id is not None,
        "mentionable": r.mentionable,
        "flags": 0,
    }
    if r.bot_id is not None:
        data["tags"] = {"bot_id": str(r.bot_id)}
    return data


def member(m: Member, *, with_user: bool = True, permissions: int | None = None) -> Json:
    """Return a guild member; roles are ids, `permissions` only inside interactions."""
    data: Json = {
        "nick": m.nick,
        "avatar": None,
        "banner": None,
        "roles": [str(role_id) for role_id in m.role_ids],
        "joined_at": iso(m.joined_at),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
    }
    if with_user:
        data["user"] = user(m.user)
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def overwrites(c: Channel) -> list[Json]:
    """Return a channel's permission overwrites."""
    return [
        {"id": str(o.id), "type": o.type, "allow": str(o.allow), "deny": str(o.deny)}
        for o in c.overwrites.values()
    ]


def channel(c: Channel, *, permissions: int | None = None) -> Json:
    """Return a channel, thread or DM channel object."""
    if c.is_dm:
        assert c.recipient is not None
        return {
            "id": str(c.id),
            "type": c.type,
            "last_message_id": _id(c.last_message_id),
            "recipients": [user(c.recipient)],
            "flags": 0,
        }
    data: Json = {
        "id": str(c.id),
        "type": c.type,
        "guild_id": str(c.guild_id),
        "name": c.name,
        "position": c.position,
        "parent_id": _id(c.parent_id),
        "nsfw": c.nsfw,
        "rate_limit_per_user": c.rate_limit_per_user,
        "flags": 0,
    }
    if c.is_thread:
        data.update(
            owner_id=str(c.owner_id),
            last_message_id=_id(c.last_message_id),
            message_count=c.message_count,
            member_count=len(c.thread_members),
            total_message_sent=c.total_message_sent,
            thread_metadata={
                "archived": c.archived,
                "auto_archive_duration": c.auto_archive_duration,
                "archive_timestamp": iso(c.archive_timestamp),
                "locked": c.locked,
                "invitable": c.invitable,
                "create_timestamp": iso(snowflake_time(c.id)),
            },
        )
    else:
        data["permission_overwrites"] = overwrites(c)
        if c.type != 4:
            data.update(
                topic=c.topic,
                last_message_id=_id(c.last_message_id),
                default_auto_archive_duration=1440,
                default_thread_rate_limit_per_user=0,
            )
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def thread_member(thread: Channel, user_id: int, *, with_member: Member | None = None) -> Json:
    """Return a thread member object."""
    data: Json = {
        "id": str(thread.id),
        "user_id": str(user_id),
        "join_timestamp": iso(thread.thread_members.get(user_id, snowflake_time(thread.id))),
        "flags": 0,
    }
    if with_member is not None:
        data["member"] = member(with_member)
    return data


def guild(g: Guild) -> Json:
    """Return a guild object as GET /guilds/{id} gives it."""
    return {
        "id": str(g.id),
        "name": g.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(g.owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "roles": [role(r) for r in g.roles.values()],
        "emojis": [],
        "stickers": [],
        "features": ["NEWS", "COMMUNITY"],
        "mfa_level": 0,
        "application_id": None,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "max_members": 500000,
        "vanity_url_code": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
    }


def guild_create(g: Guild, *, members: list[Member]) -> Json:
    """Return the GUILD_CREATE payload: the guild with channels, threads and members."""
    data = guild(g)
    data.update(
        joined_at=iso(g.joined_at),
        large=len(g.members) > 250,
        unavailable=False,
        member_count=len(g.members),
        voice_states=[],
        members=[member(m) for m in members],
        channels=[channel(c) for c in g.text_channels()],
        threads=[channel(c) for c in g.threads() if not c.archived],
        presences=[],
        stage_instances=[],
        guild_scheduled_events=[],
        soundboard_sounds=[],
    )
    return data


def attachment(a: Attachment) -> Json:
    """Return an attachment object."""
    data: Json = {
        "id": str(a.id),
        "filename": a.filename,
        "size": len(a.data),
        "url": a.url,
        "proxy_url": a.url,
        "content_type": a.content_type,
    }
    if a.description is not None:
        data["description"] = a.description
    return data


def poll(p: Poll, *, viewer_id: int) -> Json:
    """Return a poll object with its results as `viewer_id` sees them."""
    return {
        "question": {"text": p.question},
        "answers": [
            {"answer_id": a.answer_id, "poll_media": _media(a.text, a.emoji)} for a in p.answers
        ],
        "expiry": iso(p.expiry),
        "allow_multiselect": p.allow_multiselect,
        "layout_type": p.layout_type,
        "results": {
            "is_finalized": p.finalized,
            "answer_counts": [
                {
                    "id": a.answer_id,
                    "count": p.count(a.answer_id),
                    "me_voted": viewer_id in p.votes.get(a.answer_id, []),
                }
                for a in p.answers
            ],
        },
    }


def message(m: Message, *, viewer_id: int, nested: bool = False) -> Json:
    """Return a message object, with `member` fields as the gateway sends them."""
    g = m.guild
    data: Json = {
        "id": str(m.id),
        "channel_id": str(m.channel.id),
        "author": user(m.author),
        "content": m.content,
        "timestamp": iso(m.created_at),
        "edited_timestamp": iso(m.edited_at),
        "tts": m.tts,
        "mention_everyone": m.mention_everyone,
        "mentions": [_mentioned(m, mentioned) for mentioned in m.mentions],
        "mention_roles": [str(role_id) for role_id in m.mention_role_ids],
        "attachments": [attachment(a) for a in m.attachments],
        "embeds": m.embeds,
        "pinned": m.pinned,
        "type": m.type,
        "flags": m.flags,
        "components": m.components,
    }
    if g is not None:
        data["guild_id"] = str(g.id)
        author_member = g.members.get(m.author.id)
        if author_member is not None and m.webhook_id is None:
            data["member"] = member(author_member, with_user=False)
    if m.nonce is not None:
        data["nonce"] = m.nonce
    if m.reactions:
        data["reactions"] = [
            {
                "emoji": r.emoji,
                "count": len(r.user_ids),
                "count_details": {"burst": 0, "normal": len(r.user_ids)},
                "me": viewer_id in r.user_ids,
                "me_burst": False,
                "burst_colors": [],
            }
            for r in m.reactions.values()
            if r.user_ids
        ]
    if m.webhook_id is not None:
        data["webhook_id"] = str(m.webhook_id)
        data["application_id"] = str(m.webhook_id)
    if m.interaction is not None:
        data.update(m.interaction.message_metadata(m))
    if m.poll is not None:
        data["poll"] = poll(m.poll, viewer_id=viewer_id)
    if m.sticker_ids:
        data["sticker_items"] = [
            {"id": str(s), "name": "sticker", "format_type": 1} for s in m.sticker_ids
        ]
    if m.thread is not None:
        data["thread"] = channel(m.thread)
    if m.reference is not None:
        ref = m.reference
        data["message_reference"] = {
            "type": 0,
            "message_id": str(ref.id),
            "channel_id": str(ref.channel.id),
            "fail_if_not_exists": False,
        }
        if ref.guild is not None:
            data["message_reference"]["guild_id"] = str(ref.guild.id)
        if not nested:
            data["referenced_message"] = (
                None if ref.deleted else message(ref, viewer_id=viewer_id, nested=True)
            )
    return data


def _mentioned(m: Message, mentioned: User) -> Json:
    """Return a mentioned user, with their member data in a guild."""
    data = user(mentioned)
    g = m.guild
    if g is not None and mentioned.id in g.members:
        data["member"] = member(g.members[mentioned.id], with_user=False)
    return data


def _media(text: str, emoji: dict[str, Any] | None) -> Json:
    """Return a poll media object."""
    media: Json = {"text": text}
    if emoji is not None:
        media["emoji"] = emoji
    return media


def _id(value: int | None) -> str | None:
    """Return a snowflake as a string, keeping None."""
    return None if value is None else str(value)
