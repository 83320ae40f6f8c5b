"""kill -9 of the bot process after the site stored a comment and before the bot recorded it:
the restarted bot finishes the delivery without posting the comment twice."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bot.articles.store import ArticleStore
from bot.database import Database
from bot.models import Announcement, CommentMember
from tests.e2e.conftest import Newsroom
from tests.site.wordpress import WordPressSite, bare_article
from tests.standin import DiscordStandIn

REPO_ROOT = Path(__file__).resolve().parents[2]
HELD = "🕓"


async def seed(database_url: str, site: WordPressSite, newsroom: Newsroom, thread_id: int) -> None:
    """Store the article, its announcement with a thread, and the reader's consent."""
    [post] = site.posts.values()
    database = Database(database_url)
    await database.upgrade()
    try:
        article = bare_article(site, post)
        saved = await ArticleStore(database).save(article, [f"wp:127.0.0.1:{post.id}"])
        async with database.sessions.begin() as session:
            session.add(
                Announcement(
                    article_id=saved.article.id,
                    guild_id=newsroom.guild.id,
                    channel_id=newsroom.news.id,
                    nonce="seeded-announcement",
                    thread_id=thread_id,
                    status="posted",
                )
            )
            session.add(
                CommentMember(
                    guild_id=newsroom.guild.id,
                    user_id=newsroom.reader.user.id,
                    consent="in",
                    shown_name="Jimmy (via Discord)",
                    email_token="0123456789abcdef",
                )
            )
    finally:
        await database.dispose()


async def start_bot(
    standin: DiscordStandIn, tmp_path: Path, database_url: str, site: WordPressSite
) -> asyncio.subprocess.Process:
    """Start `newsroom run` in a child process, with comments going to the loopback site."""
    env_file = tmp_path / "bot.env"
    env_file.write_text(
        "\n".join(
            [
                f"DISCORD_TOKEN={standin.bot_token}",
                f"DATABASE_URL={database_url}",
                f"SITE_URL={site.url}",
                "COMMENTS_STORE=wordpress",
                f"COMMENTS_WORDPRESS_USER={site.comments.user}",
                f"COMMENTS_WORDPRESS_APP_PASSWORD={site.comments.app_password}",
                "COMMENTS_LEASE_SECONDS=1",
                "COMMENTS_RETRY_BASE_SECONDS=0.05",
                "LOG_LEVEL=INFO",
            ]
        )
        + "\n"
    )
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DISCORD_", "DATABASE_", "NEWSROOM_GUILD", "COMMENTS_", "SITE_"))
    }
    environment |= {
        "STANDIN_API_BASE": standin.api_base,
        "STANDIN_GATEWAY_URL": standin.gateway_url,
        "PYTHONPATH": str(REPO_ROOT),
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.e2e.bot_process",
        "--env-file",
        str(env_file),
        "run",
        cwd=tmp_path,
        env=environment,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def stop(process: asyncio.subprocess.Process) -> bytes:
    """Stop a bot process politely and return its log."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    return stderr


async def test_kill_9_between_the_site_storing_and_the_bot_recording_does_not_double(
    standin: DiscordStandIn, newsroom: Newsroom, tmp_path: Path, database_url: str
) -> None:
    site = await WordPressSite().start()
    site.add_post("Harbour bridge reopens")
    thread = await standin.start_thread(newsroom.editor, newsroom.news, "Harbour bridge reopens")
    await seed(database_url, site, newsroom, thread.id)
    site.comments.fault = "hang"  # the site stores the comment and never answers
    first = await start_bot(standin, tmp_path, database_url, site)
    second = None
    try:
        await standin.wait_until_ready(timeout=30)
        message = await standin.post_message(newsroom.reader, thread, "Said exactly once")
        await asyncio.wait_for(site.comments.stored.wait(), timeout=30)
        first.send_signal(signal.SIGKILL)  # between the site taking it and the bot recording it
        await first.wait()
        assert first.returncode == -signal.SIGKILL
        await standin.wait_until_disconnected(timeout=30)

        site.comments.fault = None
        site.comments.release.set()  # the answer the killed bot never read
        second = await start_bot(standin, tmp_path, database_url, site)
        await standin.wait_until_ready(timeout=30)
        await standin.wait_for(
            lambda: (
                HELD in message.reactions
                and standin.bot_user.id in message.reactions[HELD].user_ids
            ),
            what="the held-for-moderation status",
            timeout=30,
        )
        [comment] = site.comments.comments.values()
        assert comment.content == "Said exactly once"
        assert comment.author_name == "Jimmy (via Discord)"
        assert site.comments.posts_created == 1
        statuses = [r.status for r in site.requests if r.path == "/wp-json/wp/v2/comments"]
        assert 409 in statuses, "the retry met the duplicate check and looked the comment up"
        log_text = (await stop(second)).decode()
        assert "Traceback" not in log_text
        assert site.comments.app_password not in log_text, "secrets never reach the logs"
    finally:
        site.comments.release.set()
        for process in (first, second):
            if process is not None and process.returncode is None:
                process.kill()
                await process.wait()
        await site.close()
