"""Discord markdown to the site's safe HTML subset, sanitised whatever the member typed."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import nh3

ALLOWED_TAGS = {"p", "br", "strong", "em", "a", "blockquote", "code", "del"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
LINK_REL = "nofollow ugc noopener"
URL_SCHEMES = {"http", "https"}

USER_MENTION = re.compile(r"<@!?(\d{15,21})>")
ROLE_MENTION = re.compile(r"<@&(\d{15,21})>")
CHANNEL_MENTION = re.compile(r"<#(\d{15,21})>")
CUSTOM_EMOJI = re.compile(r"<a?:(\w{2,32}):\d{15,21}>")
TIMESTAMP = re.compile(r"<t:(-?\d{1,13})(?::[tTdDfFR])?>")
SLASH_MENTION = re.compile(r"</([\w -]{1,100}):\d{15,21}>")
CODE_BLOCK = re.compile(r"```(?:[\w+-]*\n)?(.*?)```", re.DOTALL)
INLINE_CODE = re.compile(r"`([^`\n]+)`")
MASKED_LINK = re.compile(r"\[([^\]\n]{1,200})\]\(\s*<?(https?://[^\s)>]+)>?\s*\)")
BARE_URL = re.compile(r"(?<![\"'=\w])(https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]])")
BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", re.DOTALL)
UNDERLINE = re.compile(r"__(?=\S)(.+?)(?<=\S)__", re.DOTALL)
ITALIC_STAR = re.compile(r"(?<![*\w])\*(?=\S)(.+?)(?<=\S)\*(?![*\w])", re.DOTALL)
ITALIC_UNDERSCORE = re.compile(r"(?<![_\w])_(?=\S)(.+?)(?<=\S)_(?![_\w])", re.DOTALL)
STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~", re.DOTALL)
SPOILER = re.compile(r"\|\|(.+?)\|\|", re.DOTALL)
HEADING = re.compile(r"^(?:#{1,3}|-#) +(.+)$", re.MULTILINE)
PLACEHOLDER = "\x00{}\x00"


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file attached to a message: shown on the site as a link."""

    filename: str
    url: str


@dataclass(frozen=True, slots=True)
class DiscordText:
    """A message's text and what its mentions and emoji stand for (filled in by the cog)."""

    content: str
    users: Mapping[int, str] = field(default_factory=dict)
    roles: Mapping[int, str] = field(default_factory=dict)
    channels: Mapping[int, str] = field(default_factory=dict)
    attachments: Sequence[Attachment] = ()


def sanitise(fragment: str) -> str:
    """Keep only the safe subset: no script, style, iframe or event attributes survive."""
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        link_rel=LINK_REL,
        url_schemes=URL_SCHEMES,
        clean_content_tags={"script", "style"},
        strip_comments=True,
    ).strip()


def plain_names(text: DiscordText) -> str:
    """Replace mentions, channels, custom emoji and timestamps by readable text."""
    content = text.content
    content = USER_MENTION.sub(lambda m: "@" + text.users.get(int(m.group(1)), "someone"), content)
    content = ROLE_MENTION.sub(lambda m: "@" + text.roles.get(int(m.group(1)), "role"), content)
    content = CHANNEL_MENTION.sub(
        lambda m: "#" + text.channels.get(int(m.group(1)), "channel"), content
    )
    content = CUSTOM_EMOJI.sub(lambda m: f":{m.group(1)}:", content)
    content = SLASH_MENTION.sub(lambda m: f"/{m.group(1)}", content)
    return TIMESTAMP.sub(_timestamp_text, content)


def _timestamp_text(match: re.Match[str]) -> str:
    """Render a Discord timestamp as a date in UTC."""
    try:
        when = datetime.fromtimestamp(int(match.group(1)), UTC)
    except (OverflowError, OSError, ValueError):
        return match.group(0)
    return when.strftime("%d %B %Y %H:%M UTC")


def _link(url: str, label: str | None = None) -> str:
    """Build a link whose address and label are already HTML-escaped."""
    return f'<a href="{url}">{label or url}</a>'


def to_html(text: DiscordText) -> str:
    """Turn a message into sanitised HTML in the site's subset ('' when nothing is left)."""
    source = plain_names(text).replace("\r\n", "\n").strip()
    kept: list[str] = []

    def keep(fragment: str) -> str:
        kept.append(fragment)
        return PLACEHOLDER.format(len(kept) - 1)

    escaped = html.escape(source, quote=True)
    escaped = CODE_BLOCK.sub(lambda m: keep(f"<code>{m.group(1).strip()}</code>"), escaped)
    escaped = INLINE_CODE.sub(lambda m: keep(f"<code>{m.group(1)}</code>"), escaped)
    escaped = MASKED_LINK.sub(lambda m: keep(_link(m.group(2), m.group(1))), escaped)
    escaped = BARE_URL.sub(lambda m: keep(_link(m.group(1))), escaped)
    escaped = HEADING.sub(r"<strong>\1</strong>", escaped)
    escaped = BOLD.sub(r"<strong>\1</strong>", escaped)
    escaped = UNDERLINE.sub(r"<em>\1</em>", escaped)
    escaped = ITALIC_STAR.sub(r"<em>\1</em>", escaped)
    escaped = ITALIC_UNDERSCORE.sub(r"<em>\1</em>", escaped)
    escaped = STRIKE.sub(r"<del>\1</del>", escaped)
    escaped = SPOILER.sub(r"\1", escaped)
    body = _blocks(escaped)
    for index, fragment in enumerate(kept):
        body = body.replace(PLACEHOLDER.format(index), fragment)
    links = "<br>".join(
        _link(html.escape(a.url, quote=True), html.escape(a.filename))
        for a in text.attachments
        if a.url.startswith(("https://", "http://"))
    )
    if links:
        body = f"{body}<p>{links}</p>" if body else f"<p>{links}</p>"
    return sanitise(body)


def _blocks(escaped: str) -> str:
    """Group lines into paragraphs and quotes; single line breaks become <br>."""
    out: list[str] = []
    paragraph: list[str] = []
    quote: list[str] = []

    def flush_paragraph() -> None:
        if paragraph:
            out.append("<p>" + "<br>".join(paragraph) + "</p>")
            paragraph.clear()

    def flush_quote() -> None:
        if quote:
            out.append("<blockquote><p>" + "<br>".join(quote) + "</p></blockquote>")
            quote.clear()

    lines = escaped.split("\n")
    in_long_quote = False
    for line in lines:
        if line.startswith("&gt;&gt;&gt; "):
            flush_paragraph()
            in_long_quote = True
            quote.append(line.removeprefix("&gt;&gt;&gt; "))
            continue
        if in_long_quote:
            quote.append(line)
            continue
        if line.startswith("&gt; ") or line == "&gt;":
            flush_paragraph()
            quote.append(line.removeprefix("&gt;").removeprefix(" "))
            continue
        flush_quote()
        if not line.strip():
            flush_paragraph()
            continue
        paragraph.append(line.strip())
    flush_quote()
    flush_paragraph()
    return "".join(out)


def html_to_discord(fragment: str, limit: int = 1800) -> str:
    """Turn a site comment's HTML into plain Discord text (for comments coming back)."""
    text = nh3.clean(
        fragment,
        tags={"a", "strong", "b", "em", "i", "p", "br"},
        attributes={"a": {"href"}},
        url_schemes=URL_SCHEMES,
        link_rel=None,
        clean_content_tags={"script", "style"},
    )
    text = re.sub(r"<br\s*/?>", "\n", text)
    text = re.sub(r"</p>", "\n\n", text)
    text = re.sub(
        r'<a href="(https?://[^"]+)">(.*?)</a>',
        lambda m: (
            m.group(2) if m.group(2) == m.group(1) else f"{m.group(2)} (\x01{m.group(1)}\x02)"
        ),
        text,
        flags=re.DOTALL,
    )
    text = re.sub(r"<(strong|b)>(.*?)</\1>", r"**\2**", text, flags=re.DOTALL)
    text = re.sub(r"<(em|i)>(.*?)</\1>", r"*\2*", text, flags=re.DOTALL)
    text = html.unescape(re.sub(r"<[^>]*>", "", text))
    text = text.replace("\x01", "<").replace("\x02", ">")
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    text = re.sub(r"@(everyone|here)", "@\u200b\\1", text)
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text
