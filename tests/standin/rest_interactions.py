"""REST routes for interaction callbacks and the interaction token's webhook."""

from __future__ import annotations

from typing import Any

from tests.standin import payloads
from tests.standin.errors import (
    FormErrors,
    already_acknowledged,
    invalid_webhook_token,
    unknown,
)
from tests.standin.events import rest_message
from tests.standin.interactions import CallbackResponse, CallbackType, Interaction, InteractionType
from tests.standin.messages import create_message, delete_message, edit_message
from tests.standin.model import Message, MessageFlags
from tests.standin.rest import Call, Reply, RouteTable
from tests.standin.validation import check_message, check_modal

routes = RouteTable()

CHAT_INPUT_COMMAND, CONTEXT_MENU_COMMAND = 20, 23
WEBHOOK = "/webhooks/{application_id}/{token}"


@routes.route("POST", "/interactions/{interaction_id}/{token}/callback", interaction=True)
async def callback(call: Call) -> Any:
    """Answer an interaction (within the deadline, once)."""
    standin = call.standin
    interaction = standin.interactions.get(call.id("interaction_id"))
    if interaction is None or interaction.token != call.request.match_info["token"]:
        raise unknown("interaction")
    if interaction.acknowledged:
        raise already_acknowledged()
    if standin.now() - interaction.created_at > standin.interaction_deadline:
        raise unknown("interaction")
    kind = call.json.get("type")
    data = call.json.get("data") or {}
    _check_callback_type(interaction, kind)
    message: Message | None = None
    if kind == CallbackType.CHANNEL_MESSAGE:
        check_message(data, files=len(call.files))
        message = create_message(
            standin,
            interaction.channel,
            call.bot,
            _without_nonce(data),
            files=call.files,
            interaction=interaction,
            message_type=_response_type(interaction),
            extra_flags=int(data.get("flags") or 0) & MessageFlags.EPHEMERAL,
        )
    elif kind == CallbackType.DEFERRED_CHANNEL_MESSAGE:
        message = create_message(
            standin,
            interaction.channel,
            call.bot,
            {},
            interaction=interaction,
            message_type=_response_type(interaction),
            extra_flags=MessageFlags.LOADING
            | (int(data.get("flags") or 0) & MessageFlags.EPHEMERAL),
        )
    elif kind in (CallbackType.DEFERRED_UPDATE_MESSAGE, CallbackType.UPDATE_MESSAGE):
        message = _component_message(interaction)
        if kind == CallbackType.UPDATE_MESSAGE:
            check_message(data, files=len(call.files), editing=True)
            edit_message(standin, message, data, files=call.files)
    elif kind == CallbackType.MODAL:
        check_modal(data)
    interaction.callback = CallbackResponse(kind, data, message)
    interaction.original = message
    interaction.notifier.notify()
    standin.changed()
    if call.query.get("with_response") not in ("1", "true", "True"):
        return None
    return _callback_response(call, interaction, message)


def _check_callback_type(interaction: Interaction, kind: Any) -> None:
    """Raise 50035 for a callback type the interaction cannot take."""
    allowed = {
        InteractionType.PING: {CallbackType.PONG},
        InteractionType.APPLICATION_COMMAND: {4, 5, 9},
        InteractionType.MESSAGE_COMPONENT: {4, 5, 6, 7, 9},
        InteractionType.AUTOCOMPLETE: {CallbackType.AUTOCOMPLETE_RESULT},
        InteractionType.MODAL_SUBMIT: {4, 5, 6, 7} if interaction.message else {4, 5},
    }[interaction.type]
    if kind not in allowed:
        errors = FormErrors()
        errors.add(
            ("type",),
            "INTERACTION_CALLBACK_TYPE_INVALID",
            f"Callback type {kind} is not valid for interaction type {interaction.type}.",
        )
        errors.raise_if_any()


def _response_type(interaction: Interaction) -> int:
    """Return the message type of an interaction's response message."""
    if interaction.type != InteractionType.APPLICATION_COMMAND:
        return 0
    return CHAT_INPUT_COMMAND if interaction.data.get("type", 1) == 1 else CONTEXT_MENU_COMMAND


def _component_message(interaction: Interaction) -> Message:
    """Return the message whose component started the interaction."""
    if interaction.message is None:
        raise unknown("Message")
    return interaction.message


def _without_nonce(data: dict[str, Any]) -> dict[str, Any]:
    """Drop the nonce: interaction responses do not deduplicate."""
    return {k: v for k, v in data.items() if k not in ("nonce", "enforce_nonce")}


def _callback_response(call: Call, interaction: Interaction, message: Message | None) -> Any:
    """Return the InteractionCallbackResponse body (`with_response=1`)."""
    assert interaction.callback is not None
    kind = interaction.callback.type
    summary: dict[str, Any] = {"id": str(interaction.id), "type": interaction.type}
    if message is not None and kind in (4, 5):
        summary.update(
            response_message_id=str(message.id),
            response_message_loading=message.loading,
            response_message_ephemeral=message.ephemeral,
        )
    body: dict[str, Any] = {"interaction": summary}
    if kind in (4, 5, 7) and message is not None:
        body["resource"] = {
            "type": kind,
            "message": payloads.message(message, viewer_id=call.bot.id),
        }
    elif kind != CallbackType.MODAL:
        body["resource"] = {"type": kind}
    return body


# The interaction token's webhook ------------------------------------------------------------


def _interaction(call: Call) -> Interaction:
    """Return the interaction behind a webhook token (valid for 15 minutes)."""
    standin = call.standin
    if call.id("application_id") != standin.application_id:
        raise unknown("Webhook")
    interaction = standin.interactions_by_token.get(call.request.match_info["token"])
    if interaction is None:
        raise unknown("Webhook")
    if standin.now() - interaction.created_at > standin.interaction_token_lifetime:
        raise invalid_webhook_token()
    return interaction


def _original(interaction: Interaction) -> Message:
    """Return the original response, or raise 404 Unknown Message."""
    message = interaction.original
    if message is None or message.deleted:
        raise unknown("Message")
    return message


def _owned(call: Call, interaction: Interaction) -> Message:
    """Return a message sent through this token, or raise 404 Unknown Message."""
    message_id = call.id("message_id")
    for message in [interaction.original, *interaction.followup_messages]:
        if message is not None and message.id == message_id and not message.deleted:
            return message
    raise unknown("Message")


def _edit(call: Call, interaction: Interaction, message: Message) -> Any:
    """Edit a response message and tell the test."""
    check_message(call.json, files=len(call.files), editing=True)
    edit_message(call.standin, message, call.json, files=call.files)
    interaction.notifier.notify()
    return rest_message(call.standin, message)


def _delete(call: Call, interaction: Interaction, message: Message) -> Any:
    """Delete a response message and tell the test."""
    delete_message(call.standin, message)
    interaction.notifier.notify()
    return None


@routes.route("GET", WEBHOOK + "/messages/@original", interaction=True)
async def get_original(call: Call) -> Any:
    """Return the original response."""
    return rest_message(call.standin, _original(_interaction(call)))


@routes.route("PATCH", WEBHOOK + "/messages/@original", interaction=True)
async def edit_original(call: Call) -> Any:
    """Edit the original response (a deferred one stops "thinking")."""
    interaction = _interaction(call)
    return _edit(call, interaction, _original(interaction))


@routes.route("DELETE", WEBHOOK + "/messages/@original", interaction=True)
async def delete_original(call: Call) -> Any:
    """Delete the original response."""
    interaction = _interaction(call)
    return _delete(call, interaction, _original(interaction))


@routes.route("POST", WEBHOOK, interaction=True)
async def followup(call: Call) -> Any:
    """Send a follow-up (after a "thinking" defer the first one fills in the original)."""
    interaction = _interaction(call)
    if not interaction.acknowledged:
        raise unknown("Webhook")
    check_message(call.json, files=len(call.files))
    original = interaction.original
    if original is not None and original.loading and not original.deleted:
        payload = {**call.json, "flags": (call.json.get("flags") or 0) & ~MessageFlags.EPHEMERAL}
        edit_message(call.standin, original, payload, files=call.files)
        message = original
        interaction.followup_messages.append(message)  # the bot did send a follow-up
    else:
        message = create_message(
            call.standin,
            interaction.channel,
            call.bot,
            _without_nonce(call.json),
            files=call.files,
            interaction=interaction,
            extra_flags=int(call.json.get("flags") or 0) & MessageFlags.EPHEMERAL,
        )
        interaction.followup_messages.append(message)
    interaction.notifier.notify()
    if call.query.get("wait") in ("1", "true", "True"):
        return rest_message(call.standin, message)
    return Reply(204)


@routes.route("GET", WEBHOOK + "/messages/{message_id}", interaction=True)
async def get_followup(call: Call) -> Any:
    """Return a message sent through the token."""
    interaction = _interaction(call)
    return rest_message(call.standin, _owned(call, interaction))


@routes.route("PATCH", WEBHOOK + "/messages/{message_id}", interaction=True)
async def edit_followup(call: Call) -> Any:
    """Edit a message sent through the token."""
    interaction = _interaction(call)
    return _edit(call, interaction, _owned(call, interaction))


@routes.route("DELETE", WEBHOOK + "/messages/{message_id}", interaction=True)
async def delete_followup(call: Call) -> Any:
    """Delete a message sent through the token."""
    interaction = _interaction(call)
    return _delete(call, interaction, _owned(call, interaction))
