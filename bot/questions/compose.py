"""Compose answers as Discord markdown, from stored text only (the CLI prints the same text).

The site's text and the reader's question are escaped the way discord.utils does it (markdown
and mentions), so nothing a reader or a feed wrote can format, link or ping.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.questions.index import ArticleInfo, Hit, PassageKind
from bot.questions.retrieval import Retrieval

MESSAGE_LIMIT = 2000
QUESTION_ECHO_LIMIT = 200
QUOTE_LIMITS = (360, 260, 180)
TITLE_LIMIT = 60

# The same expressions as discord.utils.escape_markdown / escape_mentions (bot/ never imports
# discord; tests/unit/test_questions_compose.py checks that both agree).
_COMMON = r"^>(?:>>)?\s|\[.+\]\(.+\)|^#{1,3}|^\s*-"
_URL = r"(?P<url><[^: >]+:\/[^ >]+>|(?:https?|steam):\/\/[^\s<]+[^<.,:;\"\'\]\s])"
_MARKDOWN = re.compile(rf"(?:{_URL}|(?P<markdown>[_\\~|\*`]|{_COMMON}))", re.MULTILINE)
_MENTION = re.compile(r"@(everyone|here|[!&]?[0-9]{17,20})")


def escape_markdown(text: str) -> str:
    """Escape Discord markdown, leaving links alone (as discord.utils.escape_markdown)."""

    def replace(match: re.Match[str]) -> str:
        url = match.group("url")
        return url if url else "\\" + match.group("markdown")

    return _MARKDOWN.sub(replace, text)


def escape_mentions(text: str) -> str:
    """Break @everyone, @here, user and role mentions (as discord.utils.escape_mentions)."""
    return _MENTION.sub("@\u200b\\1", text)


def safe(text: str) -> str:
    """Make text from outside (the site, a reader) inert in a Discord message."""
    return escape_mentions(escape_markdown(text))


def shorten(text: str, limit: int) -> str:
    """Cut text at a word boundary to at most `limit` characters, marking the cut with …."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:-–—") + "…"


def format_date(moment: datetime | None) -> str | None:
    """Format a publication date the way the site would ("23 Jun 2025")."""
    return f"{moment.day} {moment:%b %Y}" if moment else None


def thread_url(guild_id: int, thread_id: int) -> str:
    """Link to a Discord thread."""
    return f"https://discord.com/channels/{guild_id}/{thread_id}"


@dataclass(frozen=True, slots=True)
class Sources:
    """Numbered articles an answer cites, with their discussion threads."""

    order: tuple[int, ...]
    articles: Mapping[int, ArticleInfo]
    threads: Mapping[int, str]

    def number(self, article_id: int) -> int:
        """Citation number of an article (1-based)."""
        return self.order.index(article_id) + 1


def _citation(article: ArticleInfo, number: int) -> str:
    """ "— *Title*, 23 Jun 2025 [1]"."""
    parts = [f"*{safe(shorten(article.title, TITLE_LIMIT))}*"]
    date = format_date(article.published_at)
    if date:
        parts.append(date)
    return f"— {', '.join(parts)} [{number}]"


def _quote(hit: Hit, sources: Sources, limit: int) -> str:
    """A quoted passage followed by its citation."""
    passage = hit.passage
    text = safe(shorten(passage.text, limit))
    if passage.label and passage.kind is PassageKind.FACT:
        text = f"**{safe(shorten(passage.label, 80))}:** {text}"
    article = sources.articles[passage.article_id]
    return f"> {text}\n> {_citation(article, sources.number(passage.article_id))}"


def _source_line(article: ArticleInfo, number: int, thread: str | None) -> str:
    """ "[1] <https://site/story> · discussion: <https://discord.com/...>"."""
    line = f"[{number}] <{article.url}>"
    return f"{line} · discussion: <{thread}>" if thread else line


def echo_question(question: str) -> str:
    """The reader's question, on one line, shortened and made inert."""
    return f"**Q:** {safe(shorten(question, QUESTION_ECHO_LIMIT))}"


def compose_answer(
    question: str,
    retrieval: Retrieval,
    articles: Mapping[int, ArticleInfo],
    threads: Mapping[int, str],
) -> str:
    """Compose the reply to a question: quotes with citations, or a plain decline."""
    if not retrieval.answered:
        return compose_decline(question, retrieval.closest)
    facts, outlook = list(retrieval.facts), list(retrieval.outlook)
    while True:
        for limit in QUOTE_LIMITS:
            text = _answer_text(question, facts, outlook, articles, threads, limit)
            if len(text) <= MESSAGE_LIMIT:
                return text
        if len(facts) + len(outlook) <= 1:
            return text[: MESSAGE_LIMIT - 1] + "…"
        if outlook and len(outlook) >= len(facts):
            outlook.pop()
        else:
            facts.pop()


def _answer_text(
    question: str,
    facts: Sequence[Hit],
    outlook: Sequence[Hit],
    articles: Mapping[int, ArticleInfo],
    threads: Mapping[int, str],
    limit: int,
) -> str:
    """Lay out one answer with quotes cut to `limit` characters."""
    order = tuple(dict.fromkeys(hit.passage.article_id for hit in (*facts, *outlook)))
    sources = Sources(order=order, articles=articles, threads=threads)
    blocks = [echo_question(question)]
    if facts:
        blocks.append("**What we know**\n" + "\n".join(_quote(h, sources, limit) for h in facts))
    if outlook:
        blocks.append(
            "**What to watch** (what the site expects, not established fact)\n"
            + "\n".join(_quote(h, sources, limit) for h in outlook)
        )
    lines = [
        _source_line(articles[article_id], sources.number(article_id), threads.get(article_id))
        for article_id in order
    ]
    blocks.append("**Sources**\n" + "\n".join(lines))
    return "\n\n".join(blocks)


def compose_decline(question: str, closest: Sequence[ArticleInfo]) -> str:
    """Say plainly that there is no reporting on this yet, and offer the closest stories."""
    lines = [echo_question(question), "We have no reporting on that yet."]
    if closest:
        lines.append("The closest stories we have:")
        for article in closest:
            date = format_date(article.published_at)
            when = f" ({date})" if date else ""
            lines.append(f"• *{safe(shorten(article.title, TITLE_LIMIT))}*{when}: <{article.url}>")
    else:
        lines.append("Nothing we have published comes close.")
    return "\n".join(lines)
