"""Plain text from the HTML fragments feeds are full of (titles, excerpts, category names)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

SKIPPED = frozenset({"script", "style", "noscript", "template"})
BLOCKS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr"}
)
# What Yoast and WordPress append to feed excerpts: not part of the story.
FEED_FOOTER = re.compile(r"\s*The post .{1,400}? appeared first on .{1,200}?\.?\s*$", re.S)


class _TextCollector(HTMLParser):
    """Collect the text of an HTML fragment, entities decoded, scripts and styles skipped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED:
            self._skipping += 1
        elif tag in BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED:
            self._skipping = max(self._skipping - 1, 0)
        elif tag in BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(fragment: str | None) -> str:
    """Return the plain text of an HTML fragment, whitespace collapsed."""
    if not fragment:
        return ""
    collector = _TextCollector()
    collector.feed(fragment)
    collector.close()
    return " ".join("".join(collector.parts).split())


def summary_text(fragment: str | None, *, limit: int = 600) -> str:
    """Return an excerpt as plain text, without feed footers, at most `limit` characters."""
    text = FEED_FOOTER.sub("", html_to_text(fragment))
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit - 1)
    return text[: cut if cut > limit // 2 else limit - 1].rstrip(" ,;:") + "…"
