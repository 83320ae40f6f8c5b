"""Walk an HTML article body into blocks, skipping everything that is not the article's prose."""

from __future__ import annotations

import enum
from collections.abc import Iterator

from selectolax.lexbor import LexborHTMLParser, LexborNode

from bot.articles.prose import normalize_space, strip_bullet, word_set
from bot.articles.sections import Block, BlockKind, Line, blocks_from_lines

# Elements whose content is never article text: code, embeds, forms, page furniture.
SKIP_TAGS = word_set(
    "script style noscript template iframe frame frameset object embed applet svg math "
    "canvas audio video source track form button input select textarea option label dialog "
    "map nav aside header footer figcaption head title meta link base"
)
_SKIP_CLASSES = word_set(
    "sharedaddy sd-sharing-enabled jp-relatedposts comments-area comment-respond "
    "comment-form wp-block-comments wp-block-post-comments-form wp-block-comment-template "
    "comment-list commentlist widget widget-area sidebar screen-reader-text "
    "wp-block-navigation post-navigation navigation nav-links wp-block-post-navigation-link "
    "entry-meta entry-footer wp-block-post-terms wp-block-post-date wp-block-post-author "
    "byline social-share share-buttons addtoany_share_save_container yarpp-related "
    "related-posts ad ads advert adsbygoogle advertisement"
)
_SKIP_IDS = word_set(
    "comments respond secondary sidebar jp-relatedposts site-navigation colophon masthead"
)
_SKIP_ROLES = word_set("navigation complementary banner contentinfo dialog search")

HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_LIST_TAGS = frozenset({"ul", "ol", "menu"})
_BOLD_TAGS = frozenset({"strong", "b"})
# Elements that break the flow of text into separate blocks.
_BLOCK_TAGS = word_set(
    "p div section article main blockquote pre figure table thead tbody tfoot tr td th dl "
    "dt dd address details summary hr center fieldset legend caption"
)

# The body candidates, best first: WordPress' post content, then ever wider containers.
BODY_SELECTORS = (
    "article .entry-content",
    ".entry-content",
    ".wp-block-post-content",
    "[itemprop=articleBody]",
    ".post-content",
    ".article-content",
    "article",
    "[role=main]",
    "main",
    "body",
)


class Event(enum.Enum):
    """A step of the document walk."""

    START = "start"
    END = "end"
    TEXT = "text"


def is_skipped(node: LexborNode) -> bool:
    """Tell whether an element and its whole subtree are to be left out of the text."""
    if node.tag in SKIP_TAGS:
        return True
    attributes = node.attributes
    if not attributes:
        return False
    if "hidden" in attributes or attributes.get("aria-hidden") == "true":
        return True
    style = (attributes.get("style") or "").replace(" ", "").lower()
    if "display:none" in style or "visibility:hidden" in style:
        return True
    if (attributes.get("role") or "").lower() in _SKIP_ROLES:
        return True
    if (attributes.get("id") or "").lower() in _SKIP_IDS:
        return True
    classes = (attributes.get("class") or "").lower().split()
    return any(name in _SKIP_CLASSES for name in classes)


def walk(root: LexborNode) -> Iterator[tuple[Event, LexborNode]]:
    """Walk the subtree depth-first without recursion, leaving out skipped elements."""
    yield Event.START, root
    stack = [(root, root.iter(include_text=True))]
    while stack:
        node, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            yield Event.END, node
        elif child.is_text_node:
            yield Event.TEXT, child
        elif child.is_element_node and not is_skipped(child):
            yield Event.START, child
            stack.append((child, child.iter(include_text=True)))


def node_text(node: LexborNode) -> str:
    """Give an element's visible text, whitespace-normalised, without skipped elements."""
    return normalize_space(
        "".join(n.text_content or "" for event, n in walk(node) if event is Event.TEXT)
    )


_BREAK = None  # a line break among the collected text segments


class _BodyBuilder:
    """Collect blocks from the walk of an article body."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.first_image: str | None = None
        self._segments: list[tuple[str, bool] | None] = []
        self._bold = 0
        self._heading = 0
        self._item = 0

    def feed(self, event: Event, node: LexborNode) -> None:
        """Take one step of the walk."""
        if event is Event.TEXT:
            self._segments.append((node.text_content or "", self._bold > 0))
            return
        tag = node.tag or ""
        starting = event is Event.START
        if tag in _BOLD_TAGS:
            self._bold += 1 if starting else -1
        elif tag == "br":
            self._segments.append(_BREAK)
        elif tag == "img" and starting and self.first_image is None:
            attributes = node.attributes
            self.first_image = next(
                (
                    value
                    for name in ("src", "data-src", "data-lazy-src")
                    if (value := attributes.get(name)) and not value.startswith("data:")
                ),
                None,
            )
        elif tag in HEADING_TAGS:
            if starting:
                self.flush()
                self._heading += 1
            else:
                self._end_heading()
        elif tag in _LIST_TAGS or tag == "li":
            self.flush()
            if tag == "li":
                self._item += 1 if starting else -1
        elif tag in _BLOCK_TAGS:
            if self._heading or self._item:
                self._segments.append((" ", False))
            else:
                self.flush()

    def _end_heading(self) -> None:
        """Close a heading element: its text becomes one heading block."""
        text = normalize_space("".join(s[0] if s else " " for s in self._segments))
        self._segments.clear()
        self._heading = max(0, self._heading - 1)
        if text:
            self.blocks.append(Block(BlockKind.HEADING, text))

    def flush(self) -> None:
        """Turn the text collected so far into blocks."""
        if not self._segments:
            return
        lines = _lines(self._segments)
        self._segments.clear()
        if self._heading:
            return
        if self._item:
            text = normalize_space(" ".join(line.text for line in lines))
            text = strip_bullet(text) or text
            if text:
                self.blocks.append(Block(BlockKind.ITEM, text, lines[0].lead))
        else:
            self.blocks.extend(blocks_from_lines(lines, loose=False))


def _lines(segments: list[tuple[str, bool] | None]) -> list[Line]:
    """Split collected text segments at line breaks, noting bold lines and bold openings."""
    lines: list[Line] = []
    current: list[tuple[str, bool]] = []
    for segment in [*segments, _BREAK]:
        if segment is not _BREAK:
            current.append(segment)
            continue
        text = normalize_space("".join(t for t, _ in current))
        visible = [(t, bold) for t, bold in current if t.strip()]
        strong = bool(visible) and all(bold for _, bold in visible)
        lines.append(Line(text, strong=strong, lead=None if strong else _bold_opening(current)))
        current = []
    return lines


def _bold_opening(segments: list[tuple[str, bool]]) -> str | None:
    """Give the bold words a line opens with (after any bullet), or None."""
    lead: list[str] = []
    for text, bold in segments:
        if bold:
            lead.append(text)
        elif text.strip() and (lead or strip_bullet(f"{text.strip()} x") != "x"):
            break  # the end of the bold opening, or prose before any bold text
    return normalize_space("".join(lead)) or None


def body_blocks(tree: LexborHTMLParser) -> tuple[list[Block], str | None]:
    """Find the article body and return its blocks and the first image's address."""
    for selector in BODY_SELECTORS:
        container = tree.css_first(selector)
        if container is None:
            continue
        builder = _BodyBuilder()
        for event, node in walk(container):
            builder.feed(event, node)
        builder.flush()
        if builder.blocks:
            return builder.blocks, builder.first_image
    return [], None
