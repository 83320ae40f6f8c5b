"""Optional generative answers: an OpenAI-compatible chat endpoint rewrites the retrieved items.

Only the retrieved items are sent, numbered; the model must cite them as [n]. An answer that
cites nothing, cites a number that was not sent, or does not arrive in time is dropped and the
extractive answer is used instead. The API key is a SecretStr and never logged.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

import aiohttp
from pydantic import SecretStr

from bot.questions.compose import (
    MESSAGE_LIMIT,
    echo_question,
    format_date,
    safe,
    shorten,
)
from bot.questions.index import ArticleInfo, Hit, PassageKind
from bot.questions.retrieval import Retrieval

log = logging.getLogger(__name__)

_CITATION = re.compile(r"\[(\d{1,3})\]")
NO_ANSWER = "NO_ANSWER"
SYSTEM_PROMPT = (
    "You answer readers' questions for a news site using ONLY the numbered items given. "
    "Items marked EXPECTATION are the site's expectation, not established fact: say so. "
    "Cite every sentence with the item numbers in square brackets, like [1] or [2][3]. "
    "Never add facts that are not in the items. Answer in at most 120 words. "
    f"If the items do not answer the question, reply exactly {NO_ANSWER}."
)
ANSWER_LIMIT = 900


def _items(retrieval: Retrieval) -> list[Hit]:
    """The retrieved items, in the order they are numbered."""
    return [*retrieval.facts, *retrieval.outlook]


def build_prompt(question: str, items: Sequence[Hit], articles: Mapping[int, ArticleInfo]) -> str:
    """Lay out the numbered items and the question for the model."""
    lines = []
    for number, hit in enumerate(items, 1):
        passage = hit.passage
        article = articles[passage.article_id]
        kind = "EXPECTATION" if passage.kind is PassageKind.OUTLOOK else "FACT"
        date = format_date(article.published_at) or "undated"
        label = f"{passage.label}: " if passage.label and kind == "FACT" else ""
        lines.append(f"[{number}] ({kind}; {article.title}; {date}) {label}{passage.text}")
    return "Items:\n" + "\n".join(lines) + f"\n\nQuestion: {question}"


def check_citations(text: str, count: int) -> bool:
    """Tell whether the text cites at least one item and only items 1..count."""
    cited = [int(number) for number in _CITATION.findall(text)]
    return bool(cited) and all(1 <= number <= count for number in cited)


def compose_generated(
    question: str,
    text: str,
    items: Sequence[Hit],
    articles: Mapping[int, ArticleInfo],
    threads: Mapping[int, str],
) -> str:
    """Lay out a generated answer with its numbered items and their sources."""
    blocks = [echo_question(question), safe(shorten(text, ANSWER_LIMIT))]
    lines = []
    for number, hit in enumerate(items, 1):
        passage = hit.passage
        article = articles[passage.article_id]
        date = format_date(article.published_at)
        kind = " (the site's expectation)" if passage.kind is PassageKind.OUTLOOK else ""
        title = safe(shorten(article.title, 50))
        lines.append(f"[{number}]{kind} *{title}*{', ' + date if date else ''}: <{article.url}>")
        if passage.article_id in threads:
            lines[-1] += f" · discussion: <{threads[passage.article_id]}>"
    blocks.append("**Sources**\n" + "\n".join(lines))
    composed = "\n\n".join(blocks)
    return composed if len(composed) <= MESSAGE_LIMIT else composed[: MESSAGE_LIMIT - 1] + "…"


class ChatAnswerWriter:
    """Ask an OpenAI-compatible /chat/completions endpoint to phrase the answer."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        base_url: str,
        model: str,
        api_key: SecretStr | None,
        *,
        timeout_seconds: float,
    ) -> None:
        self._http = http
        self._url = base_url.rstrip("/") + "/chat/completions"
        self._host = urlsplit(base_url).netloc
        self._model = model
        self._key = api_key
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)

    async def __call__(
        self,
        question: str,
        retrieval: Retrieval,
        articles: Mapping[int, ArticleInfo],
        threads: Mapping[int, str],
    ) -> str | None:
        """Return the generated answer, or None to use the extractive one."""
        items = _items(retrieval)
        if not items:
            return None
        text = await self._complete(build_prompt(question, items, articles))
        if text is None:
            return None
        if text.strip() == NO_ANSWER or not check_citations(text, len(items)):
            log.warning(
                "Generated answer from %s dropped: it cites nothing or items not retrieved",
                self._host,
            )
            return None
        return compose_generated(question, text.strip(), items, articles, threads)

    async def _complete(self, prompt: str) -> str | None:
        """Call the endpoint; None on any failure (logged without the key)."""
        headers = {}
        if self._key is not None and self._key.get_secret_value():
            headers["Authorization"] = f"Bearer {self._key.get_secret_value()}"
        body = {
            "model": self._model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": prompt},
            ],
        }
        try:
            async with self._http.post(
                self._url, json=body, headers=headers, timeout=self._timeout
            ) as response:
                if response.status != 200:
                    log.warning("Answer endpoint %s returned HTTP %s", self._host, response.status)
                    return None
                payload = await response.json(content_type=None)
            content = payload["choices"][0]["message"]["content"]
        except TimeoutError:
            log.warning("Answer endpoint %s timed out; using the extractive answer", self._host)
            return None
        except (aiohttp.ClientError, ValueError, KeyError, IndexError, TypeError) as exc:
            log.warning("Answer endpoint %s failed (%s)", self._host, type(exc).__name__)
            return None
        return content if isinstance(content, str) and content.strip() else None
