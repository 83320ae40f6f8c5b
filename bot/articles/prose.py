"""Small text tools for article prose: whitespace, sentences, headings, labels, summaries."""

from __future__ import annotations

import enum
import re

# Characters that take up no space and only get in the way of comparisons.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff\u00ad"), None)
_QUOTE_FOLD = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "“": '"', "”": '"'})


def word_set(words: str) -> frozenset[str]:
    """Make a set of the space-separated words of a string."""
    return frozenset(words.split())


_CLOSERS = "\"'”’)]»"
_TERMINAL = ".!?…"

# Words that end in a full stop without ending the sentence.
_ABBREVIATIONS = word_set(
    "mr mrs ms dr prof sen rep gov gen lt col sgt capt cmdr adm st jr sr mt ft vs no inc "
    "corp co ltd dept est approx etc e.g i.e"
)
# After an initialism such as "U.S." a new sentence starts only with one of these words.
_SENTENCE_STARTERS = word_set(
    "a an and as at but by do does did for how if in is are it its meanwhile now on so the "
    "then there these they this those to we what when where which who why will would can "
    "could should you your i"
)
_INITIALISM = re.compile(r"(?:[A-Za-z]\.){2,}")
# Sentence punctuation (a whole run of it: the lookbehind keeps matching linear) and spaces.
_BOUNDARY = re.compile(rf"(?<![{_TERMINAL}])[{_TERMINAL}]++[{re.escape(_CLOSERS)}]*+\s+")
_SENTENCE_START = re.compile(r"[\"'“‘(\[¿¡]*[A-Z0-9À-ÖØ-Þ]")

_BULLET = re.compile(r"(?:[•·▪◦‣●○■□►▸➤➢✓✔→*\-–—]|\d{1,2}[.)])\s+(?=\S)")

_KEY_FACTS = re.compile(
    r"(?:the )?(?:key|main|quick|fast|top) (?:facts|takeaways|points|details)\b"
    r"|(?:at a glance|what we know|the facts|takeaways|highlights)\b"
)
_OUTLOOK = re.compile(
    r"(?:what happens next|what'?s next|what comes next|what to (?:expect|watch)|what lies ahead"
    r"|next steps?|looking (?:ahead|forward)|the road ahead|(?:the )?outlook)\b"
)
_END_MARKER = re.compile(
    r"(?:leave a (?:reply|comment)|post a comment|add a comment|join the discussion)\b.*"
    r"|\d+ (?:comments?|responses?|replies|thoughts? on .*)|comments|responses|share this"
    r"|like this|related(?: posts| articles| stories)?|you (?:may|might) also like"
    r"|about the author|cancel reply"
)
_READER_ADDRESS = re.compile(r"\b(?:you|your|yours|yourself|you're|you've|you'd)\b", re.IGNORECASE)
_CALL_TO_ACTION = re.compile(
    r"\b(?:let us know|tell us|stay tuned|in the comments?|comment below|comments? section"
    r"|share (?:this|your)|your (?:thoughts|take|views?|opinions?)|subscribe|sign up"
    r"|newsletter|follow us|we want to hear|weigh in|sound off"
    r"|join (?:the|our) (?:conversation|discussion))\b",
    re.IGNORECASE,
)

MAX_HEADING_WORDS = 12
MAX_LABEL_WORDS = 8


class SectionKind(enum.Enum):
    """A section of an article the extractor looks for."""

    KEY_FACTS = "key_facts"
    OUTLOOK = "outlook"


def normalize_space(text: str) -> str:
    """Collapse all whitespace (including no-break spaces) to single spaces and trim."""
    return " ".join(text.translate(_INVISIBLE).split())


def heading_key(text: str) -> str:
    """Reduce heading text to a lower-case comparison key without decoration."""
    folded = normalize_space(text).lower().translate(_QUOTE_FOLD)
    return folded.strip(" :?.!–—-*#_")


def section_kind(heading: str) -> SectionKind | None:
    """Tell which known section a heading opens, if any."""
    key = heading_key(heading)
    if _KEY_FACTS.match(key):
        return SectionKind.KEY_FACTS
    if _OUTLOOK.match(key):
        return SectionKind.OUTLOOK
    return None


def section_name(heading: str) -> str:
    """Give a heading as a section name: trimmed, without a trailing colon."""
    return normalize_space(heading).rstrip(" :").strip("*#_ ")


def is_end_marker(text: str) -> bool:
    """Tell whether a short line marks the end of the article (comment form, share box...)."""
    return len(text.split()) <= 8 and _END_MARKER.fullmatch(heading_key(text)) is not None


def strip_bullet(text: str) -> str | None:
    """Return a bulleted line's text without its bullet, or None when it has no bullet."""
    match = _BULLET.match(text)
    return text[match.end() :] if match else None


def reader_appeal(text: str) -> int:
    """Rate how plainly a paragraph addresses the reader: 2 asks or invites, 1 says "you", 0 not."""
    text = text.translate(_QUOTE_FOLD)
    if _CALL_TO_ACTION.search(text) or any(
        _READER_ADDRESS.search(q) for q in question_sentences(text)
    ):
        return 2
    return 1 if _READER_ADDRESS.search(text) else 0


def ends_sentence(text: str) -> bool:
    """Tell whether text ends with sentence punctuation, allowing closing quotes."""
    return text.rstrip(_CLOSERS)[-1:] in (*_TERMINAL, "")


def _is_abbreviation(word: str, after: str) -> bool:
    """Tell whether the full stop ending `word` belongs to the word rather than the sentence."""
    word = word.lstrip("\"'“‘(")
    if word.lower().rstrip(".") in _ABBREVIATIONS or re.fullmatch(r"[A-Z]\.", word):
        return True
    if _INITIALISM.fullmatch(word):
        next_word = re.split(r"[^\w']", after.lstrip("\"'“‘("), maxsplit=1)[0].lower()
        return next_word not in _SENTENCE_STARTERS
    return False


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences, keeping "U.S." and "Mr." inside their sentence."""
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        if not _SENTENCE_START.match(text, match.end()):
            continue
        if match.group().startswith(".") and not match.group().startswith(".."):
            stop = match.start() + 1
            word = text[max(text.rfind(" ", start, stop), start) : stop].strip()
            if _is_abbreviation(word, text[match.end() : match.end() + 40]):
                continue
        sentences.append(text[start : match.end()].strip())
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def question_sentences(text: str) -> list[str]:
    """Return the sentences of a paragraph that end in a question mark."""
    return [s for s in split_sentences(text) if s.rstrip(_CLOSERS).endswith("?")]


def is_label(text: str) -> bool:
    """Tell whether text reads as a short label rather than a sentence."""
    words = text.split()
    if not words or len(words) > MAX_LABEL_WORDS or text[0].islower():
        return False
    if re.search(r"[,!?;\"“”]", text):
        return False
    for word in words:
        if word.endswith(".") and not (
            _INITIALISM.fullmatch(word) or word.lower().rstrip(".") in _ABBREVIATIONS
        ):
            return False
    return True


def trim_summary(text: str, limit: int = 300) -> str:
    """Trim text to about `limit` characters at a word boundary, marking the cut with "…"."""
    text = normalize_space(text)
    text = re.sub(r"\s*\[(?:…|\.\.\.|&hellip;)\]$", "…", text)
    if len(text) <= limit:
        return text
    cut = text[: limit + 1]
    space = cut.rfind(" ")
    cut = cut[:space] if space > limit // 2 else text[:limit]
    return cut.rstrip(" ,;:–—-") + "…"
