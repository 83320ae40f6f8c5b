"""Generative mode against a loopback OpenAI-compatible endpoint: cite or fall back."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from pydantic import SecretStr

from bot.articles.announcements import AnnouncementService
from bot.articles.ingest import extract_file
from bot.articles.store import ArticleStore
from bot.database import Database
from bot.questions.generative import ChatAnswerWriter
from bot.questions.service import QuestionService

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "articles"
KEY = "sk-test-very-secret-key"


class ChatEndpoint:
    """A loopback /v1/chat/completions whose reply each test chooses."""

    def __init__(self) -> None:
        self.reply: str = ""
        self.status = 200
        self.hang = asyncio.Event()  # set only at close: a request that must time out waits
        self.stall = False
        self.requests: list[dict[str, Any]] = []
        self.authorizations: list[str | None] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self.complete)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/v1"

    async def complete(self, request: web.Request) -> web.Response:
        self.requests.append(await request.json())
        self.authorizations.append(request.headers.get("Authorization"))
        if self.stall:
            await self.hang.wait()
        if self.status != 200:
            return web.json_response({"error": "boom"}, status=self.status)
        return web.json_response({"choices": [{"message": {"content": self.reply}}]})

    async def close(self) -> None:
        self.hang.set()
        if self._runner is not None:
            await self._runner.cleanup()


@pytest.fixture
async def endpoint() -> AsyncIterator[ChatEndpoint]:
    served = ChatEndpoint()
    await served.start()
    yield served
    await served.close()


@pytest.fixture
async def service(database: Database, endpoint: ChatEndpoint) -> AsyncIterator[QuestionService]:
    await ArticleStore(database).save(
        extract_file(FIXTURES / "iran_russia_wordpress.html"), ["url:seed"]
    )
    async with aiohttp.ClientSession() as http:
        writer = ChatAnswerWriter(
            http, endpoint.url, "test-model", SecretStr(KEY), timeout_seconds=0.5
        )
        questions = QuestionService(database, AnnouncementService(database), writer=writer)
        await questions.load()
        yield questions


async def test_a_cited_answer_is_used_and_only_retrieved_items_are_sent(
    service: QuestionService, endpoint: ChatEndpoint, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    endpoint.reply = "Yes: the United States struck Iranian nuclear sites on June 20, 2025 [1]."
    answer = await service.ask("Did the US strike Iran?")
    assert answer.generated
    assert "the United States struck Iranian nuclear sites on June 20, 2025 [1]." in answer.text
    assert "[1] *Iran Strikes a Deal with Putin" in answer.text
    assert "<https://boldshout.com/iran-putin-alliance-us-strikes-middle-east/>" in answer.text

    [request] = endpoint.requests
    assert request["model"] == "test-model"
    prompt = request["messages"][-1]["content"]
    assert "Question: Did the US strike Iran?" in prompt
    sent = [line for line in prompt.splitlines() if line.startswith("[")]
    retrieved = [*answer.retrieval.facts, *answer.retrieval.outlook]
    assert len(sent) == len(retrieved)
    assert "Iran’s Foreign Minister Abbas Araqchi" not in prompt, "unretrieved facts stay home"
    assert endpoint.authorizations == [f"Bearer {KEY}"]
    assert KEY not in caplog.text


@pytest.mark.parametrize(
    "reply",
    [
        "The US struck Iran [7].",  # cites an item that was not retrieved
        "The US struck Iran.",  # cites nothing
        "NO_ANSWER",
    ],
)
async def test_uncited_or_wrongly_cited_answers_fall_back(
    service: QuestionService, endpoint: ChatEndpoint, reply: str
) -> None:
    endpoint.reply = reply
    answer = await service.ask("Did the US strike Iran?")
    assert not answer.generated
    assert "**What we know**" in answer.text
    assert reply not in answer.text


async def test_errors_and_timeouts_fall_back(
    service: QuestionService, endpoint: ChatEndpoint, caplog: pytest.LogCaptureFixture
) -> None:
    endpoint.status = 500
    failed = await service.ask("Did the US strike Iran?")
    assert not failed.generated
    assert "**What we know**" in failed.text

    endpoint.status = 200
    endpoint.stall = True
    timed_out = await service.ask("Did the US strike Iran?")
    assert not timed_out.generated
    assert "**What we know**" in timed_out.text
    assert "timed out" in caplog.text
    assert KEY not in caplog.text


async def test_declines_never_reach_the_endpoint(
    service: QuestionService, endpoint: ChatEndpoint
) -> None:
    answer = await service.ask("Who won the cricket world cup?")
    assert not answer.answered
    assert endpoint.requests == []
