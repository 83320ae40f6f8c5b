"""Native polls: votes, and ending a poll (by the bot, or when it expires)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.standin.errors import ScenarioError
from tests.standin.events import message_event
from tests.standin.messages import create_message
from tests.standin.model import Message, Poll, User
from tests.standin.permissions import Intents

if TYPE_CHECKING:
    from tests.standin.standin import DiscordStandIn

POLL_RESULT = 46


def open_poll(standin: DiscordStandIn, message: Message) -> Poll:
    """Return the message's poll, raising if there is none or it has ended."""
    poll = message.poll
    if poll is None:
        raise ScenarioError(f"{message!r} has no poll")
    if poll.finalized or standin.wall_time() >= poll.expiry:
        raise ScenarioError(f"the poll of {message!r} has ended")
    return poll


def vote(standin: DiscordStandIn, message: Message, user: User, answer_id: int) -> None:
    """Record a vote and send MESSAGE_POLL_VOTE_ADD."""
    poll = open_poll(standin, message)
    if answer_id not in {a.answer_id for a in poll.answers}:
        raise ScenarioError(f"the poll has no answer {answer_id}")
    voters = poll.votes.setdefault(answer_id, [])
    if user.id in voters:
        return
    if not poll.allow_multiselect and any(user.id in v for v in poll.votes.values()):
        raise ScenarioError(f"{user.username} already voted; remove that vote first")
    voters.append(user.id)
    _vote_event(standin, "MESSAGE_POLL_VOTE_ADD", message, user, answer_id)


def unvote(standin: DiscordStandIn, message: Message, user: User, answer_id: int) -> None:
    """Remove a vote and send MESSAGE_POLL_VOTE_REMOVE."""
    poll = open_poll(standin, message)
    voters = poll.votes.get(answer_id, [])
    if user.id not in voters:
        raise ScenarioError(f"{user.username} did not vote for answer {answer_id}")
    voters.remove(user.id)
    _vote_event(standin, "MESSAGE_POLL_VOTE_REMOVE", message, user, answer_id)


def finalize(standin: DiscordStandIn, message: Message) -> None:
    """End a poll: MESSAGE_UPDATE with final results, then the poll-result system message."""
    poll = message.poll
    assert poll is not None
    poll.finalized = True
    poll.expiry = min(poll.expiry, standin.wall_time())
    message_event(standin, "MESSAGE_UPDATE", message)
    totals = {a.answer_id: poll.count(a.answer_id) for a in poll.answers}
    total = sum(totals.values())
    fields = [
        {"name": "poll_question_text", "value": poll.question, "inline": False},
        {"name": "total_votes", "value": str(total), "inline": False},
    ]
    if total:
        winner = max(poll.answers, key=lambda a: totals[a.answer_id])
        fields += [
            {"name": "victor_answer_id", "value": str(winner.answer_id), "inline": False},
            {"name": "victor_answer_text", "value": winner.text, "inline": False},
            {
                "name": "victor_answer_votes",
                "value": str(totals[winner.answer_id]),
                "inline": False,
            },
        ]
    result: dict[str, Any] = {
        "embeds": [{"type": "poll_result", "fields": fields}],
        "message_reference": {"message_id": str(message.id), "fail_if_not_exists": False},
        "allowed_mentions": {"parse": []},
    }
    create_message(standin, message.channel, message.author, result, message_type=POLL_RESULT)


def _vote_event(
    standin: DiscordStandIn, event: str, message: Message, user: User, answer_id: int
) -> None:
    """Send a poll vote event."""
    data: dict[str, Any] = {
        "user_id": str(user.id),
        "channel_id": str(message.channel.id),
        "message_id": str(message.id),
        "answer_id": answer_id,
    }
    guild_id = message.channel.guild_id
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    intent = Intents.guild_message_polls if guild_id else Intents.direct_message_polls
    standin.dispatch(event, data, guild_id=guild_id, intent=intent)
    standin.changed()
