"""Check what an editor typed for a new poll: question, options, duration and kind."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import timedelta

from bot.errors import InvalidInput

MIN_OPTIONS = 2
MAX_BUTTON_OPTIONS = 25
MAX_NATIVE_OPTIONS = 10
QUESTION_LIMIT = 300
BUTTON_OPTION_LIMIT = 80
NATIVE_OPTION_LIMIT = 55
MAX_BUTTON_DURATION = timedelta(days=90)
MAX_NATIVE_DURATION = timedelta(hours=768)
DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
DURATION_PART = re.compile(r"(\d+)\s*([smhdw])")


class PollKind(enum.StrEnum):
    """Buttons under a bot message, or Discord's own poll."""

    BUTTONS = "buttons"
    NATIVE = "native"


@dataclass(frozen=True, slots=True)
class PollDraft:
    """A valid poll, not yet stored."""

    question: str
    options: tuple[str, ...]
    duration: timedelta
    kind: PollKind = PollKind.BUTTONS
    anonymous: bool = True
    multiple: bool = False
    hide_results: bool = False


def split_options(text: str) -> list[str]:
    """Split options on ';' or '|' (whichever the editor used), dropping empty ones."""
    parts = re.split(r"[;|]", text)
    return [" ".join(part.split()) for part in parts if part.strip()]


def describe_duration(duration: timedelta) -> str:
    """Spell a duration the way editors type it, e.g. "1d 2h"."""
    seconds = int(duration.total_seconds())
    parts = []
    for unit, size in (("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return " ".join(parts) or "0s"


def parse_duration(text: str, *, minimum: timedelta, maximum: timedelta) -> timedelta:
    """Read "30m", "2h", "1d" or "1h30m" into a duration within the limits."""
    cleaned = text.strip().lower().replace(" ", "")
    example = 'Give the duration like "30m", "2h", "1d" or "1h30m".'
    if not cleaned or DURATION_PART.sub("", cleaned):
        raise InvalidInput(f"I couldn't read {text.strip()!r} as a duration. {example}")
    seconds = sum(int(n) * DURATION_UNITS[unit] for n, unit in DURATION_PART.findall(cleaned))
    duration = timedelta(seconds=seconds)
    if duration < minimum:
        raise InvalidInput(f"A poll must run for at least {describe_duration(minimum)}.")
    if duration > maximum:
        raise InvalidInput(f"A poll can run for at most {describe_duration(maximum)}.")
    return duration


def build_draft(
    question: str,
    options: str | list[str] | tuple[str, ...],
    duration: str | timedelta,
    *,
    kind: PollKind = PollKind.BUTTONS,
    anonymous: bool = True,
    multiple: bool = False,
    hide_results: bool = False,
    min_duration: timedelta = timedelta(minutes=1),
) -> PollDraft:
    """Validate an editor's poll against Discord's limits, raising InvalidInput on a problem."""
    question = " ".join(question.split())
    if not question:
        raise InvalidInput("The poll needs a question.")
    if len(question) > QUESTION_LIMIT:
        raise InvalidInput(
            f"The question is {len(question)} characters long; polls allow {QUESTION_LIMIT}."
        )
    choices = (
        split_options(options)
        if isinstance(options, str)
        else [" ".join(option.split()) for option in options if option.strip()]
    )
    native = kind is PollKind.NATIVE
    most = MAX_NATIVE_OPTIONS if native else MAX_BUTTON_OPTIONS
    label_limit = NATIVE_OPTION_LIMIT if native else BUTTON_OPTION_LIMIT
    what = "A native Discord poll" if native else "A poll"
    if len(choices) < MIN_OPTIONS:
        raise InvalidInput(
            f"{what} needs at least {MIN_OPTIONS} options, separated by ';' or '|' "
            '(for example "Yes; No; Too early to say").'
        )
    if len(choices) > most:
        raise InvalidInput(f"{what} can have at most {most} options; you gave {len(choices)}.")
    for choice in choices:
        if len(choice) > label_limit:
            raise InvalidInput(
                f"The option {choice[:40]!r}… is {len(choice)} characters long; "
                f"{what.lower()} allows {label_limit} per option."
            )
    folded = [choice.casefold() for choice in choices]
    if len(set(folded)) != len(folded):
        raise InvalidInput("Two options are the same; give each option once.")
    maximum = MAX_NATIVE_DURATION if native else MAX_BUTTON_DURATION
    if isinstance(duration, timedelta):
        span = duration
        if not min_duration <= span <= maximum:
            shortest, longest = describe_duration(min_duration), describe_duration(maximum)
            raise InvalidInput(f"A poll runs for {shortest} to {longest}.")
    else:
        span = parse_duration(duration, minimum=min_duration, maximum=maximum)
    if native and (span.total_seconds() % 3600 or span < timedelta(hours=1)):
        raise InvalidInput("A native Discord poll lasts whole hours, from 1h to 32d (768h).")
    return PollDraft(
        question=question,
        options=tuple(choices),
        duration=span,
        kind=kind,
        anonymous=anonymous,
        multiple=multiple,
        hide_results=hide_results,
    )
