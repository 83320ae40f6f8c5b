"""Discord's limits on what the bot sends: messages, embeds, components, polls, modals, commands."""

from __future__ import annotations

import re
from typing import Any

from tests.standin.errors import FormErrors, empty_message

Json = dict[str, Any]
Path = tuple[str | int, ...]

BUTTON, STRING_SELECT, TEXT_INPUT = 2, 3, 4
SELECT_TYPES = {3, 5, 6, 7, 8}
LINK_STYLE, PREMIUM_STYLE = 5, 6
COMPONENTS_V2_FLAG = 1 << 15
COMMAND_NAME = re.compile(r"^[-_'\w]{1,32}$")


def check_message(payload: Json, *, files: int = 0, editing: bool = False) -> None:
    """Raise 50035 for a message breaking Discord's limits, 50006 for an empty one."""
    errors = FormErrors()
    content = payload.get("content")
    if content is not None and not isinstance(content, str):
        errors.add(("content",), "BASE_TYPE_STRING", "Must be a string.")
    else:
        errors.max_length(("content",), content, 2000)
    embeds = payload.get("embeds") or []
    errors.max_length(("embeds",), embeds, 10)
    total = 0
    for index, embed in enumerate(embeds):
        total += check_embed(errors, ("embeds", index), embed)
    if total > 6000 and len(embeds) > 1:
        errors.add(
            ("embeds",), "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000"
        )
    flags = payload.get("flags") or 0
    components = payload.get("components") or []
    if flags & COMPONENTS_V2_FLAG:
        if content or embeds:
            errors.add(
                ("content",),
                "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                "The 'content' and 'embeds' fields cannot be used when using components v2.",
            )
        errors.max_length(("components",), components, 40)
    else:
        check_action_rows(errors, components)
    if payload.get("poll") is not None:
        if editing:
            errors.add(("poll",), "CANNOT_EDIT_POLL", "Polls cannot be edited.")
        else:
            check_poll(errors, payload["poll"])
    nonce = payload.get("nonce")
    if isinstance(nonce, str):
        errors.max_length(("nonce",), nonce, 25)
    errors.raise_if_any()
    if not editing and is_empty(payload, files=files):
        raise empty_message()


def is_empty(payload: Json, *, files: int) -> bool:
    """Return whether a new message would have nothing to show."""
    return not (
        (payload.get("content") or "").strip()
        or payload.get("embeds")
        or payload.get("components")
        or payload.get("poll")
        or payload.get("sticker_ids")
        or files
        or payload.get("attachments")
    )


def check_embed(errors: FormErrors, path: Path, embed: Json) -> int:
    """Check one embed's field limits; return its character count."""
    size = 0
    for key, limit in (("title", 256), ("description", 4096)):
        value = embed.get(key)
        errors.max_length((*path, key), value, limit)
        size += len(value or "")
    fields = embed.get("fields") or []
    errors.max_length((*path, "fields"), fields, 25)
    for index, item in enumerate(fields):
        for key, limit in (("name", 256), ("value", 1024)):
            value = item.get(key)
            if errors.required((*path, "fields", index, key), value):
                errors.max_length((*path, "fields", index, key), value, limit)
            size += len(value or "")
    footer = (embed.get("footer") or {}).get("text")
    errors.max_length((*path, "footer", "text"), footer, 2048)
    author = (embed.get("author") or {}).get("name")
    errors.max_length((*path, "author", "name"), author, 256)
    size += len(footer or "") + len(author or "")
    if size > 6000:
        errors.add(path, "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
    return size


def check_action_rows(errors: FormErrors, rows: list[Json]) -> None:
    """Check classic components: up to 5 rows of 5 buttons or one select menu."""
    errors.max_length(("components",), rows, 5)
    seen: set[str] = set()
    for row_index, row in enumerate(rows):
        path: Path = ("components", row_index)
        if row.get("type") != 1:
            errors.add((*path, "type"), "UNION_TYPE_CHOICES", 'Value of field "type" must be 1.')
            continue
        children = row.get("components") or []
        if not children:
            errors.add(
                (*path, "components"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length."
            )
        errors.max_length((*path, "components"), children, 5)
        if any(c.get("type") in SELECT_TYPES for c in children) and len(children) > 1:
            errors.add(
                (*path, "components"),
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "The specified component exceeds the maximum width",
            )
        for index, child in enumerate(children):
            check_interactive(errors, (*path, "components", index), child, seen)


def check_interactive(errors: FormErrors, path: Path, component: Json, seen: set[str]) -> None:
    """Check a button or select menu."""
    kind = component.get("type")
    custom_id = component.get("custom_id")
    if kind == BUTTON:
        style = component.get("style")
        errors.max_length((*path, "label"), component.get("label"), 80)
        if style == LINK_STYLE:
            if not component.get("url"):
                errors.add(
                    (*path, "url"), "BUTTON_COMPONENT_URL_REQUIRED", "A link button needs a url."
                )
            if custom_id is not None:
                errors.add(
                    (*path, "custom_id"),
                    "BUTTON_COMPONENT_CUSTOM_ID_NOT_ALLOWED",
                    "A link button cannot have a custom id.",
                )
            return
        if style == PREMIUM_STYLE:
            return
        if component.get("url") is not None:
            errors.add(
                (*path, "url"), "BUTTON_COMPONENT_URL_NOT_ALLOWED", "Only link buttons have a url."
            )
    elif kind in SELECT_TYPES:
        errors.max_length((*path, "placeholder"), component.get("placeholder"), 150)
        if kind == STRING_SELECT:
            options = component.get("options") or []
            errors.length_between((*path, "options"), options, 1, 25)
            for index, option in enumerate(options):
                for key in ("label", "value", "description"):
                    errors.max_length((*path, "options", index, key), option.get(key), 100)
    else:
        errors.add(
            (*path, "type"), "UNION_TYPE_CHOICES", f"Component type {kind} is not allowed here."
        )
        return
    errors.length_between((*path, "custom_id"), custom_id, 1, 100)
    if custom_id in seen:
        errors.add(
            (*path, "custom_id"),
            "COMPONENT_CUSTOM_ID_DUPLICATED",
            "Component custom id cannot be duplicated",
        )
    if custom_id is not None:
        seen.add(custom_id)


def check_poll(errors: FormErrors, poll: Json) -> None:
    """Check a poll: question 300, 1-10 answers of 55, duration 1-768 hours."""
    question = (poll.get("question") or {}).get("text")
    errors.length_between(("poll", "question", "text"), question, 1, 300)
    answers = poll.get("answers") or []
    errors.length_between(("poll", "answers"), answers, 1, 10)
    for index, answer in enumerate(answers):
        text = (answer.get("poll_media") or {}).get("text")
        errors.length_between(("poll", "answers", index, "poll_media", "text"), text, 1, 55)
    duration = poll.get("duration", 24)
    if not isinstance(duration, int | float) or not 1 <= duration <= 768:
        errors.add(("poll", "duration"), "NUMBER_TYPE_MAX", "Must be between 1 and 768.")
    if poll.get("layout_type", 1) != 1:
        errors.add(("poll", "layout_type"), "ENUM_TYPE_COERCE", "Value must be 1.")


def check_modal(data: Json) -> None:
    """Raise 50035 for a modal breaking Discord's limits."""
    errors = FormErrors()
    errors.length_between(("data", "title"), data.get("title"), 1, 45)
    errors.length_between(("data", "custom_id"), data.get("custom_id"), 1, 100)
    components = data.get("components") or []
    errors.length_between(("data", "components"), components, 1, 5)
    for index, component in enumerate(components):
        path: Path = ("data", "components", index)
        if component.get("type") == 1:  # an action row holding one text input
            children = component.get("components") or []
            errors.length_between((*path, "components"), children, 1, 1)
            for child_index, child in enumerate(children):
                child_path = (*path, "components", child_index)
                if child.get("type") != TEXT_INPUT:
                    errors.add((*child_path, "type"), "UNION_TYPE_CHOICES", "Must be a text input.")
                    continue
                errors.length_between((*child_path, "label"), child.get("label"), 1, 45)
                check_text_input(errors, child_path, child)
        elif component.get("type") == 18:  # a label around a text input or select
            errors.length_between((*path, "label"), component.get("label"), 1, 45)
            errors.max_length((*path, "description"), component.get("description"), 100)
            inner = component.get("component") or {}
            if inner.get("type") == TEXT_INPUT:
                check_text_input(errors, (*path, "component"), inner)
        elif component.get("type") != 10:  # text displays are allowed too
            errors.add((*path, "type"), "UNION_TYPE_CHOICES", "Not allowed in a modal.")
    errors.raise_if_any()


def check_text_input(errors: FormErrors, path: Path, text_input: Json) -> None:
    """Check a text input's custom id, style, lengths and value."""
    errors.length_between((*path, "custom_id"), text_input.get("custom_id"), 1, 100)
    if text_input.get("style") not in (1, 2):
        errors.add((*path, "style"), "ENUM_TYPE_COERCE", "Must be 1 or 2.")
    errors.max_length((*path, "placeholder"), text_input.get("placeholder"), 100)
    errors.max_length((*path, "value"), text_input.get("value"), 4000)
    for key in ("min_length", "max_length"):
        value = text_input.get(key)
        if value is not None and not 0 <= value <= 4000:
            errors.add((*path, key), "NUMBER_TYPE_MAX", "Must be between 0 and 4000.")


ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)


def check_thread(payload: Json) -> None:
    """Raise 50035 unless a thread's name has 1-100 characters and its archive duration is valid."""
    errors = FormErrors()
    if "name" in payload:
        errors.length_between(("name",), payload.get("name"), 1, 100)
    duration = payload.get("auto_archive_duration")
    if duration is not None and duration not in ARCHIVE_DURATIONS:
        errors.add(
            ("auto_archive_duration",),
            "BASE_TYPE_CHOICES",
            f"Value must be one of {ARCHIVE_DURATIONS}.",
        )
    errors.raise_if_any()


def check_commands(commands: list[Json]) -> None:
    """Raise 50035 for application commands breaking Discord's rules."""
    errors = FormErrors()
    names: set[tuple[int, str]] = set()
    for index, command in enumerate(commands):
        kind = command.get("type", 1)
        name = command.get("name") or ""
        if (kind, name) in names:
            errors.add(
                (index, "name"), "APPLICATION_COMMANDS_DUPLICATE_NAME", f"Duplicate name {name}"
            )
        names.add((kind, name))
        if kind == 1:
            check_command_name(errors, (index, "name"), name)
            errors.length_between((index, "description"), command.get("description"), 1, 100)
            check_options(errors, (index, "options"), command.get("options") or [])
        else:
            errors.length_between((index, "name"), name, 1, 32)
    errors.raise_if_any()


def check_command_name(errors: FormErrors, path: Path, name: str) -> None:
    """Check a chat-input command or option name: 1-32 lowercase word characters."""
    if not COMMAND_NAME.match(name) or name != name.lower():
        errors.add(path, "APPLICATION_COMMAND_INVALID_NAME", f"Command name is invalid: {name!r}")


def check_options(errors: FormErrors, path: Path, options: list[Json]) -> None:
    """Check command options: 25 at most, required before optional, 25 choices at most."""
    errors.max_length(path, options, 25)
    seen_optional = False
    for index, option in enumerate(options):
        option_path = (*path, index)
        check_command_name(errors, (*option_path, "name"), option.get("name") or "")
        errors.length_between((*option_path, "description"), option.get("description"), 1, 100)
        errors.max_length((*option_path, "choices"), option.get("choices"), 25)
        if option.get("type") in (1, 2):
            check_options(errors, (*option_path, "options"), option.get("options") or [])
        elif option.get("required"):
            if seen_optional:
                errors.add(
                    (*option_path, "required"),
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            seen_optional = True
