"""Read a plain-text article: title line, optional slug line, repeated title, then the body."""

from __future__ import annotations

import html
import re

from bot.articles.prose import normalize_space
from bot.articles.sections import Block, Line, blocks_from_lines

_SLUG = re.compile(r"[A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)+/?")
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]{1,31});")


def _skip_blank(lines: list[str], index: int) -> int:
    """Return the index of the first non-blank line at or after `index`."""
    while index < len(lines) and not lines[index].strip():
        index += 1
    return index


def parse_plain_text(text: str) -> tuple[str, list[Block]]:
    """Split a plain-text article into its title and its body blocks."""
    if _ENTITY.search(text):
        text = html.unescape(text)  # text taken from a feed or an HTML source: "&#8217;"
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    index = _skip_blank(lines, 0)
    if index == len(lines):
        return "", []
    title = normalize_space(lines[index]).lstrip("# ").strip()
    index = _skip_blank(lines, index + 1)
    if index < len(lines) and _SLUG.fullmatch(lines[index].strip()):
        index = _skip_blank(lines, index + 1)
    if index < len(lines) and normalize_space(lines[index]).casefold() == title.casefold():
        index += 1
    body = [Line(line, indented=line[:1].isspace()) for line in lines[index:]]
    return title, blocks_from_lines(body, loose=True)
