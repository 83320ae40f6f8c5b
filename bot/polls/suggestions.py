"""Turn an article's reader questions into poll suggestions for the editors."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.polls.drafts import QUESTION_LIMIT

YES_NO_OPTIONS = ("Yes", "No", "Too early to say")
OPINION_PREFIX = re.compile(
    r"^(?:so,?\s+)?(?:do|would)\s+you\s+(?:think|believe|expect|agree)(?:\s+that)?\s+"
    r"|^what\s+do\s+you\s+think:?\s+(?=\w)",
    re.IGNORECASE,
)
# "Russia will take ..." -> "Will Russia take ...": the auxiliary after a short subject moves up.
STATEMENT = re.compile(
    r"^(?P<subject>(?:the\s+)?[\w.'’-]+(?:\s+[\w.'’-]+){0,3}?)\s+"
    r"(?P<verb>will|would|should|can|could|is|are|was|were|has|have|must|might)\s+(?P<rest>.+)$",
    re.IGNORECASE,
)
YES_NO_START = re.compile(
    r"^(?:will|would|should|can|could|is|are|was|were|has|have|does|do|did|must|might)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class PollSuggestion:
    """A poll the editors can open with one click (options empty: they fill them in)."""

    question: str
    options: tuple[str, ...]

    @property
    def one_click(self) -> bool:
        """Tell whether the suggestion is complete as it is."""
        return bool(self.options)


def suggest_poll(reader_question: str) -> PollSuggestion:
    """Rephrase a reader question as a poll question, with Yes / No options when it fits."""
    text = " ".join(reader_question.split()).strip()
    body = text.rstrip("?").strip()
    rest = OPINION_PREFIX.sub("", body, count=1)
    if rest != body:
        statement = STATEMENT.match(rest)
        if statement:
            verb = statement["verb"].capitalize()
            body = f"{verb} {_lower_first(statement['subject'])} {statement['rest']}"
        else:
            body = rest[:1].upper() + rest[1:]
    question = (body[:1].upper() + body[1:] + "?")[:QUESTION_LIMIT]
    options = YES_NO_OPTIONS if YES_NO_START.match(question) else ()
    return PollSuggestion(question, options)


def _lower_first(subject: str) -> str:
    """Lower a leading article ("The U.S." -> "the U.S.") but keep names as written."""
    first, _, rest = subject.partition(" ")
    if first.lower() in {"the", "a", "an"}:
        return f"{first.lower()} {rest}".strip()
    return subject
