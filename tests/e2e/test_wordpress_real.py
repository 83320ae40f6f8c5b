"""The WordPress comment store against a real WordPress (Debian's package, started by .ci/run).

Locally skipped unless NEWSROOM_TEST_WORDPRESS_URL is set (run `.ci/wordpress.sh start DIR` and
export what it prints); in CI NEWSROOM_REQUIRE_WORDPRESS makes a missing site a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

import aiohttp
import pytest

from bot.comments.store import (
    ArticleRef,
    OutgoingComment,
    PermanentError,
    RemoteStatus,
    TransientError,
)
from bot.comments.wordpress import WordPressCommentStore

URL_VARIABLE = "NEWSROOM_TEST_WORDPRESS_URL"
REQUIRE_VARIABLE = "NEWSROOM_REQUIRE_WORDPRESS"


@dataclass(frozen=True)
class RealSite:
    url: str
    user: str
    password: str
    post_id: str
    closed_post_id: str


@pytest.fixture
def real_site() -> RealSite:
    url = os.environ.get(URL_VARIABLE)
    if not url:
        reason = (
            f"the real-WordPress test needs {URL_VARIABLE} and friends: `.ci/run` starts "
            "Debian's WordPress and sets them (or run `.ci/wordpress.sh start DIR` as root)"
        )
        if os.environ.get(REQUIRE_VARIABLE):
            pytest.fail(reason)
        pytest.skip(reason)
    return RealSite(
        url=url,
        user=os.environ["NEWSROOM_TEST_WORDPRESS_USER"],
        password=os.environ["NEWSROOM_TEST_WORDPRESS_APP_PASSWORD"],
        post_id=os.environ["NEWSROOM_TEST_WORDPRESS_POST_ID"],
        closed_post_id=os.environ["NEWSROOM_TEST_WORDPRESS_CLOSED_POST_ID"],
    )


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def comment(site: RealSite, text: str, **changes: object) -> OutgoingComment:
    token = uuid.uuid4().hex[:12]
    base = OutgoingComment(
        key=f"newsroom-ci-{token}",
        post_ref=site.post_id,
        parent_remote_id=None,
        author_name="Jimmy (via Discord)",
        author_email=f"member-{token}@discord-members.invalid",
        content_html=f"<p>{text} {token}</p>",
        hold=True,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


async def test_real_wordpress_post_reply_edit_duplicate_trash_and_refusals(
    real_site: RealSite, http: aiohttp.ClientSession
) -> None:
    store = WordPressCommentStore(
        http, f"{real_site.url}/wp-json", real_site.user, real_site.password
    )
    assert "can moderate comments" in await store.check()
    article = ArticleRef(1, f"{real_site.url}/harbour-bridge/", f"{real_site.url}/harbour-bridge/")
    assert await store.resolve_post(article) == real_site.post_id

    # A held comment under the member's name; a threaded reply; an approved one.
    held = await store.create(comment(real_site, "First thoughts"))
    assert held.status is RemoteStatus.HELD
    fetched = await store.fetch(held.id)
    assert fetched is not None
    assert (fetched.status, fetched.author_name) == (RemoteStatus.HELD, "Jimmy (via Discord)")
    assert await store.fetch("999999") is None
    reply_out = comment(real_site, "A reply", parent_remote_id=held.id, hold=False)
    reply = await store.create(reply_out)
    assert reply.status is RemoteStatus.PUBLISHED
    assert reply.parent_id == held.id

    # The same comment again (a retry after a lost answer): WordPress says 409
    # comment_duplicate and the client returns the comment the site already has.
    again = await store.create(reply_out)
    assert again.id == reply.id

    # Edit, then list (approved only, with `after` and paging), then trash.
    edited = await store.update(reply.id, "<p>A <em>better</em> reply</p><p>Two paragraphs</p>")
    assert edited.content_html == "A <em>better</em> reply\n\nTwo paragraphs"
    listed = await store.list_approved(real_site.post_id, after=None, page_size=1)
    assert reply.id in [c.id for c in listed]
    assert held.id not in [c.id for c in listed]
    assert reply.date is not None
    newer = await store.list_approved(real_site.post_id, after=reply.date, page_size=1)
    assert reply.id not in [c.id for c in newer]
    await store.trash(reply.id)
    await store.trash(reply.id)  # already trashed: fine
    assert reply.id not in [c.id for c in await store.list_approved(real_site.post_id, after=None)]
    await store.trash(held.id)

    # A closed story is a permanent failure; a wrong password keeps the comment for later.
    with pytest.raises(PermanentError, match="comments are closed"):
        await store.create(comment(real_site, "Too late", post_ref=real_site.closed_post_id))
    wrong = WordPressCommentStore(http, f"{real_site.url}/wp-json", real_site.user, "wrong pass")
    with pytest.raises(TransientError, match="did not accept the bot's credentials"):
        await wrong.create(comment(real_site, "Who am I"))
    with pytest.raises(PermanentError, match="did not accept the credentials"):
        await wrong.check()
