"""Turn an article body, as a sequence of blocks, into key facts, outlook and reader questions.

Both the HTML and the plain-text extractor reduce an article to the same blocks (headings,
paragraphs, list items); everything about sections is decided here, once.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.articles.extracted import KeyFact, OutlookItem
from bot.articles.prose import (
    MAX_HEADING_WORDS,
    SectionKind,
    ends_sentence,
    is_end_marker,
    is_label,
    normalize_space,
    question_sentences,
    reader_appeal,
    section_kind,
    section_name,
    strip_bullet,
)

# How many trailing paragraphs can make up an article's closing (its sign-off to readers).
MAX_CLOSING_PARAGRAPHS = 2


class BlockKind(enum.Enum):
    """What a block of article body is."""

    HEADING = "heading"
    PARAGRAPH = "paragraph"
    ITEM = "item"


@dataclass(frozen=True, slots=True)
class Block:
    """One heading, paragraph or list item of an article body, as normalised plain text."""

    kind: BlockKind
    text: str
    lead: str | None = None  # emphasised words opening the block: a hint for a fact's label


@dataclass(frozen=True, slots=True)
class Line:
    """One line of source text, before it is known to be a heading, bullet or prose."""

    text: str
    strong: bool = False  # the whole line is bold
    lead: str | None = None  # bold words opening the line
    indented: bool = False


@dataclass(frozen=True, slots=True)
class Sections:
    """The structured parts found in an article body."""

    key_facts: tuple[KeyFact, ...]
    outlook: tuple[OutlookItem, ...]
    reader_questions: tuple[str, ...]
    body_text: str
    intro: str | None


def _title_cased(text: str) -> bool:
    """Tell whether every word of four letters or more starts with a capital letter."""
    words = [w for w in text.split() if sum(c.isalpha() for c in w) >= 4]
    return bool(words) and all(w.lstrip("\"'“‘(")[:1].isupper() for w in words)


def _is_heading_line(line: Line, *, loose: bool, first: bool, alone: bool) -> bool:
    """Tell whether a line of prose stands as a heading of its own.

    `first` says the line opens a run of lines, `alone` that it is also the only line of it.
    """
    text = line.text
    words = len(text.split())
    if words > MAX_HEADING_WORDS or len(text) > 100:
        return False
    if words <= 8 and (section_kind(text) is not None or is_end_marker(text)):
        return True
    if line.strong:
        return not text.rstrip("\"'”’)").endswith((".", "!", ",", ";"))
    if not loose or text[0].islower():
        return False
    # Plain text has no markup: a short line ending in a colon ("Context & Insight:"), or with
    # no punctuation at all standing alone or Title Cased over its paragraph, is a heading.
    if text.endswith(":"):
        return True
    return not ends_sentence(text) and (alone or (first and _title_cased(text)))


def blocks_from_lines(lines: Sequence[Line], *, loose: bool) -> list[Block]:
    """Classify lines as headings, bullet items and paragraphs; blank lines end paragraphs.

    With `loose`, short unpunctuated lines count as headings (plain text); without it only
    bold lines and known section names do (lines of an HTML paragraph).
    """
    blocks: list[Block] = []
    paragraph: list[str] = []

    def end_paragraph() -> None:
        if paragraph:
            blocks.append(Block(BlockKind.PARAGRAPH, " ".join(paragraph)))
            paragraph.clear()

    texts = [normalize_space(line.text) for line in lines]
    for index, (line, text) in enumerate(zip(lines, texts, strict=True)):
        first = index == 0 or not texts[index - 1]
        alone = first and not "".join(texts[index + 1 : index + 2])
        if not text:
            end_paragraph()
            continue
        item = strip_bullet(text)
        if item is not None:
            end_paragraph()
            blocks.append(Block(BlockKind.ITEM, item, line.lead))
        elif line.indented and not paragraph and blocks and blocks[-1].kind is BlockKind.ITEM:
            previous = blocks.pop()  # a wrapped bullet continues on an indented line
            blocks.append(Block(BlockKind.ITEM, f"{previous.text} {text}", previous.lead))
        elif _is_heading_line(
            Line(text, line.strong, line.lead), loose=loose, first=first, alone=alone
        ):
            end_paragraph()
            blocks.append(Block(BlockKind.HEADING, text))
        else:
            paragraph.append(text)
    end_paragraph()
    return blocks


def split_fact(text: str, lead: str | None = None) -> KeyFact:
    """Split "Label: text" into its label and text when the part before the colon is a label."""
    colon = text.find(": ")
    if colon > 0:
        label, rest = text[:colon].strip(), text[colon + 1 :].strip()
        if rest and not rest.startswith(('"', "“", "'", "‘")) and is_label(label):
            return KeyFact(label, rest)
    if lead:
        # "<strong>Label</strong> – text": a bold opening set off by a dash.
        label = lead.rstrip(" :–—-|")
        rest = text[len(label) :] if text.startswith(label) else ""
        if rest[:2].strip() in {"–", "—", "-", "|"} and is_label(label):
            rest = rest.strip().lstrip("–—-|").strip()
            if rest:
                return KeyFact(label, rest)
    return KeyFact(None, text)


def _end_of_body(blocks: Sequence[Block]) -> int:
    """Find where the article proper ends: at a "Leave a Reply"-style line after some prose."""
    seen_prose = False
    for index, block in enumerate(blocks):
        if seen_prose and block.kind is not BlockKind.ITEM and is_end_marker(block.text):
            return index
        seen_prose = seen_prose or block.kind is BlockKind.PARAGRAPH
    return len(blocks)


def _asks_reader(block: Block) -> bool:
    """Tell whether a heading is a question put to the reader ("What do you think?")."""
    return (
        block.kind is BlockKind.HEADING
        and block.text.endswith("?")
        and reader_appeal(block.text) == 2
    )


def _closing_indices(blocks: Sequence[Block]) -> list[int]:
    """Find the trailing paragraphs that sign off to the reader, in document order.

    The last paragraph belongs to the closing if it speaks to the reader at all; the one
    before it only if it asks the reader something or invites them to comment. A heading
    that asks the reader a question just before them belongs to it too.
    """
    indices: list[int] = []
    for index in range(len(blocks) - 1, -1, -1):
        block = blocks[index]
        needed = 1 if not indices else 2
        if block.kind is not BlockKind.PARAGRAPH or reader_appeal(block.text) < needed:
            break
        indices.append(index)
        if len(indices) == MAX_CLOSING_PARAGRAPHS:
            break
    # A heading asking the reader ("What do you think?") right before them, or at the very end.
    before = (indices[-1] if indices else len(blocks)) - 1
    if before >= 0 and _asks_reader(blocks[before]):
        indices.append(before)
    return sorted(indices)


def render_body(blocks: Iterable[Block]) -> str:
    """Render blocks as plain text: blank lines between blocks, one "• " line per item."""
    parts: list[str] = []
    previous: BlockKind | None = None
    for block in blocks:
        if block.kind is BlockKind.ITEM:
            line = f"• {block.text}"
            if previous is BlockKind.ITEM:
                parts[-1] = f"{parts[-1]}\n{line}"
            else:
                parts.append(line)
        else:
            parts.append(block.text)
        previous = block.kind
    return "\n\n".join(parts)


def extract_sections(blocks: Sequence[Block]) -> Sections:
    """Find key facts, outlook, reader questions, intro and body text in an article's blocks."""
    blocks = blocks[: _end_of_body(blocks)]
    closing = _closing_indices(blocks)
    fact_items: list[Block] = []
    fact_paragraphs: list[Block] = []
    outlook: list[OutlookItem] = []
    kind: SectionKind | None = None
    heading = ""
    for index, block in enumerate(blocks):
        if block.kind is BlockKind.HEADING:
            kind, heading = section_kind(block.text), section_name(block.text)
        elif index in closing:
            continue
        elif kind is SectionKind.KEY_FACTS:
            (fact_items if block.kind is BlockKind.ITEM else fact_paragraphs).append(block)
        elif kind is SectionKind.OUTLOOK:
            outlook.append(OutlookItem(heading, block.text))

    questions: dict[str, None] = {}
    for index in closing:
        questions.update(dict.fromkeys(question_sentences(blocks[index].text)))
    intro = next((b.text for b in blocks if b.kind is BlockKind.PARAGRAPH), None)
    return Sections(
        key_facts=tuple(split_fact(b.text, b.lead) for b in fact_items or fact_paragraphs),
        outlook=tuple(outlook),
        reader_questions=tuple(questions),
        body_text=render_body(blocks),
        intro=intro,
    )
