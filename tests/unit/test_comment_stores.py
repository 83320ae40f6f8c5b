"""The signed-webhook store against a loopback receiver, and `newsroom check` of the store."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.comments.store import OutgoingComment, PermanentError, RemoteStatus, TransientError
from bot.comments.webhook import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookCommentStore,
    sign,
    verify,
)
from tests.site.wordpress import WordPressSite

SECRET = "s3cret-shared-with-the-site"


class Receiver:
    """A site's webhook endpoint: checks signatures, dedups by key, can fail."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.by_key: dict[str, int] = {}
        self.status_override: int | None = None
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hooks/comments", self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/hooks/comments"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not verify(
            SECRET,
            request.headers.get(TIMESTAMP_HEADER, ""),
            body,
            request.headers.get(SIGNATURE_HEADER, ""),
        ):
            return web.json_response({"error": "bad signature"}, status=401)
        if self.status_override is not None:
            return web.json_response({"error": "nope"}, status=self.status_override)
        event = json.loads(body)
        self.events.append(event)
        if event["event"] == "comment.create":
            if event["key"] in self.by_key:
                return web.json_response(
                    {"id": self.by_key[event["key"]], "status": "hold"}, status=409
                )
            self.by_key[event["key"]] = len(self.by_key) + 1
            return web.json_response({"id": self.by_key[event["key"]], "status": event["status"]})
        if event["event"] == "comment.update":
            return web.json_response({"id": event["id"], "status": "approved"})
        return web.json_response({"ok": True})


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    served = Receiver()
    await served.start()
    yield served
    await served.close()


COMMENT = OutgoingComment(
    key="newsroom-1-5",
    post_ref="https://news.example/story/",
    parent_remote_id=None,
    author_name="Jimmy (via Discord)",
    author_email="member-ab12@discord-members.invalid",
    content_html="<p>Hello</p>",
    hold=True,
)


async def test_webhook_store_signs_dedups_and_classifies_errors(receiver: Receiver) -> None:
    async with aiohttp.ClientSession() as http:
        store = WebhookCommentStore(http, receiver.url, SECRET)
        assert "answered the signed ping with 200" in await store.check()
        created = await store.create(COMMENT)
        assert (created.id, created.status) == ("1", RemoteStatus.HELD)
        again = await store.create(COMMENT)  # a retry after a lost answer: same comment
        assert again.id == "1"
        assert len(receiver.by_key) == 1
        assert (await store.update("1", "<p>Edited</p>")).status is RemoteStatus.PUBLISHED
        await store.trash("1")
        assert [e["event"] for e in receiver.events] == [
            "ping",
            "comment.create",
            "comment.create",
            "comment.update",
            "comment.trash",
        ]
        assert receiver.events[1]["author_email"].endswith(".invalid")

        forged = WebhookCommentStore(http, receiver.url, "wrong secret")
        with pytest.raises(PermanentError):
            await forged.create(COMMENT)
        receiver.status_override = 503
        with pytest.raises(TransientError):
            await store.create(COMMENT)
        receiver.status_override = 422
        with pytest.raises(PermanentError):
            await store.create(COMMENT)


def test_signatures_expire_and_depend_on_every_byte() -> None:
    signature = sign(SECRET, "1000", b"{}")
    assert not verify(SECRET, "1000", b"{}", signature)  # far too old
    now = str(int(time.time()))
    good = sign(SECRET, now, b'{"a":1}')
    assert verify(SECRET, now, b'{"a":1}', good)
    assert not verify(SECRET, now, b'{"a":2}', good)


async def newsroom_check(tmp_path: Path, **env: str) -> str:
    """Run `newsroom check` in a child process without blocking the loopback site."""
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("COMMENTS_", "DISCORD_", "SITE_"))
    }
    environment.update(env)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "check",
        cwd=tmp_path,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    return stdout.decode()


async def test_newsroom_check_verifies_the_comment_store_against_the_site(
    tmp_path: Path,
) -> None:
    site = await WordPressSite().start()
    try:
        base = {
            "SITE_URL": site.url,
            "COMMENTS_STORE": "wordpress",
            "COMMENTS_WORDPRESS_USER": site.comments.user,
        }
        good = await newsroom_check(
            tmp_path, **base, COMMENTS_WORDPRESS_APP_PASSWORD=site.comments.app_password
        )
        assert (
            "  ok   comment store: WordPress account 'newsroom-bot' (id 7) can moderate comments"
        ) in good.splitlines()
        bad = await newsroom_check(tmp_path, **base, COMMENTS_WORDPRESS_APP_PASSWORD="nope")
        assert "  FAIL comment store: wordpress: the site did not accept the credentials" in bad
        assert "nope" not in bad, "the password is never printed"
        site.comments.can_moderate = False
        weak = await newsroom_check(
            tmp_path, **base, COMMENTS_WORDPRESS_APP_PASSWORD=site.comments.app_password
        )
        assert "cannot moderate comments" in weak
    finally:
        await site.close()
    none = await newsroom_check(tmp_path)
    assert "  ok   comment store: not configured (COMMENTS_STORE=none)" in none
