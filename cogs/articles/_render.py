"""Turn stored articles into Discord embeds, buttons and thread names within Discord's limits."""

from __future__ import annotations

import discord

from bot.articles.extracted import KeyFact
from bot.articles.store import StoredArticle

EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 600
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
EMBED_TOTAL_LIMIT = 6000
FACT_FIELDS = 8
THREAD_NAME_LIMIT = 100
ARTICLE_COLOUR = discord.Colour.from_rgb(200, 40, 40)
RETRACTED_COLOUR = discord.Colour.light_grey()


def shorten(text: str, limit: int) -> str:
    """Cut text at a word boundary so it fits `limit` characters, marking the cut with …."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:-–—") + "…"


def numbered_fact(number: int, fact: KeyFact) -> str:
    """Render a fact as a numbered markdown line, escaping what the site wrote."""
    text = discord.utils.escape_markdown(fact.text)
    if fact.label:
        return f"{number}. **{discord.utils.escape_markdown(fact.label)}:** {text}"
    return f"{number}. {text}"


def thread_name(title: str) -> str:
    """Name a discussion thread after the article (1 to 100 characters)."""
    return shorten(title, THREAD_NAME_LIMIT) or "Discussion"


def announcement_embed(article: StoredArticle) -> discord.Embed:
    """Build the announcement embed: title link, summary, key facts, image, byline, time."""
    embed = discord.Embed(
        title=shorten(article.title, EMBED_TITLE_LIMIT),
        url=article.canonical_url,
        description=shorten(article.summary, EMBED_DESCRIPTION_LIMIT) if article.summary else None,
        colour=ARTICLE_COLOUR,
        timestamp=article.published_at,
    )
    if article.author:
        embed.set_author(name=shorten(article.author, 256))
    for fact in article.key_facts[:FACT_FIELDS]:
        name = shorten(fact.label or "Key fact", FIELD_NAME_LIMIT)
        embed.add_field(name=name, value=shorten(fact.text, FIELD_VALUE_LIMIT), inline=False)
    if article.image_url:
        embed.set_image(url=article.image_url)
    footer = " · ".join(part for part in (article.site_name, article.category) if part)
    if footer:
        embed.set_footer(text=shorten(footer, 2048))
    while len(embed) > EMBED_TOTAL_LIMIT and embed.fields:
        embed.remove_field(-1)
    return embed


def retracted_embed(article: StoredArticle) -> discord.Embed:
    """Build the embed an announcement shows once editors withdrew it."""
    return discord.Embed(
        title=shorten(f"[Withdrawn] {article.title}", EMBED_TITLE_LIMIT),
        description="The editors have withdrawn this story. It is kept here for the record.",
        colour=RETRACTED_COLOUR,
    )


def read_on_site_view(article: StoredArticle) -> discord.ui.View:
    """Build the row with the "Read on site" link button."""
    view = discord.ui.View(timeout=None)
    view.add_item(discord.ui.Button(label="Read on site", url=article.canonical_url))
    ask_id = f"question:ask:{article.id}"  # answered by cogs/questions (a DynamicItem)
    view.add_item(discord.ui.Button(label="Ask about this story", custom_id=ask_id))
    reply_id = f"comment:reply:{article.id}"  # answered by cogs/comments (a DynamicItem)
    view.add_item(discord.ui.Button(label="Reply on site", custom_id=reply_id))
    return view
