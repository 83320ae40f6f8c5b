"""Comments end to end: consent, thread messages to site comments, replies, edits, deletes,
outages, lost answers, hostile HTML, forget, and the site's comments coming back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.app.client import NewsroomBot
from bot.articles.extracted import ExtractedArticle
from bot.articles.store import ArticleStore, StoredArticle
from bot.database import Database
from tests.e2e.conftest import BotStarter, Newsroom, served_standin
from tests.site.wordpress import Post, WordPressSite
from tests.standin import DiscordStandIn, Message

HELD, PUBLISHED, PENDING, FAILED = "🕓", "✅", "⏳", "⚠️"


@pytest.fixture
async def standin() -> AsyncIterator[DiscordStandIn]:
    """A stand-in whose channels take messages quickly (site comments come back in bulk)."""
    async with served_standin(message_bucket=(50, 1.0)) as server:
        yield server


@pytest.fixture
async def site() -> AsyncIterator[WordPressSite]:
    served = await WordPressSite().start()
    served.add_post("Harbour bridge reopens after repairs")
    yield served
    await served.close()


def only_post(site: WordPressSite) -> Post:
    [post] = site.posts.values()
    return post


async def seed(database_url: str, site: WordPressSite) -> StoredArticle:
    """Store the site's post as an article, known by its WordPress id (as feeds store it)."""
    post = only_post(site)
    database = Database(database_url)
    await database.upgrade()
    try:
        article = ExtractedArticle(
            title=post.title,
            url=f"{site.url}/{post.slug}/",
            canonical_url=f"{site.url}/{post.slug}/",
            author=None,
            published_at=None,
            image_url=None,
            summary="The bridge is open again.",
            category=None,
            site_name=site.name,
            key_facts=(),
            outlook=(),
            reader_questions=(),
            body_text="",
        )
        saved = await ArticleStore(database).save(article, [f"wp:127.0.0.1:{post.id}"])
        return saved.article
    finally:
        await database.dispose()


def settings_for(site: WordPressSite, **overrides: object) -> dict[str, object]:
    return {
        "SITE_URL": site.url,
        "COMMENTS_STORE": "wordpress",
        "COMMENTS_WORDPRESS_USER": site.comments.user,
        "COMMENTS_WORDPRESS_APP_PASSWORD": site.comments.app_password,
        "COMMENTS_RETRY_BASE_SECONDS": 0.05,
        "COMMENTS_RETRY_MAX_SECONDS": 0.2,
        **overrides,
    }


async def announce(
    standin: DiscordStandIn, newsroom: Newsroom, bot: NewsroomBot, article: StoredArticle
) -> Message:
    """Set the guild up and publish the article; return the announcement (with its thread)."""
    for command, options in (
        ("setup announcements", {"channel": newsroom.news}),
        ("setup editors", {"role": newsroom.editors}),
    ):
        await (await standin.slash(newsroom.admin, newsroom.general, command, **options)).response()
    articles: Any = bot.get_cog("Articles")
    await articles.publisher.publish(article, bot.get_channel(newsroom.news.id), manual=True)
    [announcement] = standin.messages_in(newsroom.news)
    assert announcement.thread is not None
    return announcement


def reacted(standin: DiscordStandIn, message: Message, emoji: str) -> bool:
    """Tell whether the bot shows `emoji` on the message."""
    reaction = message.reactions.get(emoji)
    return reaction is not None and standin.bot_user.id in reaction.user_ids


async def status_shown(standin: DiscordStandIn, message: Message, emoji: str) -> None:
    await standin.wait_for(
        lambda: reacted(standin, message, emoji), what=f"{emoji} on {message!r}", timeout=10
    )


def comments_cog(bot: NewsroomBot) -> Any:
    return bot.get_cog("Comments")


async def test_consent_then_comments_replies_edits_deletes_and_hostile_html(
    standin: DiscordStandIn,
    newsroom: Newsroom,
    guild_bot: BotStarter,
    database_url: str,
    site: WordPressSite,
) -> None:
    article = await seed(database_url, site)
    post = only_post(site)
    async with guild_bot(**settings_for(site)) as bot:
        await standin.wait_for_commands("comment", "comments", "setup")
        announcement = await announce(standin, newsroom, bot, article)
        assert f"comment:reply:{article.id}" in announcement.custom_ids()
        thread = announcement.thread
        assert thread is not None

        # First message: nothing leaves Discord; the member is asked once, by DM, with the name.
        first = await standin.post_message(
            newsroom.reader,
            thread,
            "My **first** thought <script>alert('x')</script> "
            '<img src=x onerror="alert(1)"> [site](javascript:alert(1))',
        )
        dm = standin.dm_channel(newsroom.reader.user)
        await standin.wait_for(
            lambda: len(standin.messages_in(dm)) == 1, what="a consent DM", timeout=15
        )
        [prompt] = standin.messages_in(dm)
        assert "**Jimmy (via Discord)**" in prompt.content
        assert "never published" in prompt.content
        second = await standin.post_message(newsroom.reader, thread, "And a second one")
        await comments_cog(bot).wait_handled("create", second.id)
        await comments_cog(bot).worker.settled()
        assert site.comments.comments == {}
        assert len(standin.messages_in(dm)) == 1, "asked once only"

        # Yes: both waiting messages go, held for moderation, under the promised name.
        yes = f"comment:consent:{newsroom.guild.id}:{newsroom.reader.user.id}:yes"
        assert prompt.custom_ids() == [yes, yes.replace(":yes", ":no")]
        await (await standin.click(newsroom.reader, prompt, yes)).response()
        assert prompt.content.startswith("Thanks! Your messages")
        await status_shown(standin, first, HELD)
        await status_shown(standin, second, HELD)
        assert not reacted(standin, first, PENDING)
        top, other = site.comments.on_post(post.id)
        assert top.author_name == "Jimmy (via Discord)"
        assert top.author_email.endswith("@discord-members.invalid")
        assert top.status == "hold"
        assert "<script" not in top.content
        assert "<img" not in top.content
        assert "javascript:" not in top.content.split("&lt;")[0]
        assert top.content.startswith("My <strong>first</strong> thought &lt;script&gt;")
        assert 'href="javascript' not in top.content
        assert other.content == "And a second one"

        # An editor opts in with /comments optin and replies: a threaded reply on the site.
        optin = await standin.slash(newsroom.editor, thread, "comments optin")
        assert "as **Lois (via Discord)**" in (await optin.response()).content
        reply = await standin.post_message(
            newsroom.editor, thread, "Thanks for reading!", reply_to=first
        )
        await status_shown(standin, reply, HELD)
        answer = site.comments.on_post(post.id)[-1]
        assert (answer.parent, answer.author_name) == (top.id, "Lois (via Discord)")

        # An edit updates the site comment; a delete trashes it.
        await standin.edit_message(newsroom.reader, second, "And a second, *better* one")
        await comments_cog(bot).wait_handled("edit", second.id)
        await comments_cog(bot).worker.settled()
        assert other.content == "And a second, <em>better</em> one"
        await standin.delete_message(newsroom.reader, second)
        await comments_cog(bot).wait_handled("delete", second.id)
        await comments_cog(bot).worker.settled()
        assert other.status == "trash"
        assert site.comments.posts_created == 3

        pending = await standin.slash(newsroom.editor, thread, "comments pending")
        waiting = (await pending.response()).content
        assert waiting.startswith("Waiting for the site:\n")
        assert "• **Jimmy (via Discord)** (held for moderation): My \\*\\*first" in waiting
        assert "• **Lois (via Discord)** (held for moderation): Thanks for reading!" in waiting
        refused = await standin.slash(newsroom.reader, thread, "comments pending")
        assert "Only editors can do that" in (await refused.response()).content

        status = await standin.slash(newsroom.reader, thread, "comments status")
        text = (await status.response()).content
        assert "You opted in. The site shows you as **Jimmy (via Discord)**." in text
        assert "1 held for moderation" in text
        assert "1 removed" in text


async def test_comment_command_modal_optout_and_forget(
    standin: DiscordStandIn,
    newsroom: Newsroom,
    guild_bot: BotStarter,
    database_url: str,
    site: WordPressSite,
) -> None:
    article = await seed(database_url, site)
    post = only_post(site)
    async with guild_bot(**settings_for(site, COMMENTS_HOLD_FOR_MODERATION=False)) as bot:
        await standin.wait_for_commands("comment", "comments")
        announcement = await announce(standin, newsroom, bot, article)
        thread = announcement.thread
        assert thread is not None

        # /comment before consent: a private prompt; yes sends the waiting comment.
        asked = await standin.slash(newsroom.reader, thread, "comment", text="Via the command")
        prompt = await asked.response()
        assert prompt.ephemeral
        assert "**Jimmy (via Discord)**" in prompt.content
        yes = f"comment:consent:{newsroom.guild.id}:{newsroom.reader.user.id}:yes"
        await (await standin.click(newsroom.reader, asked.original, yes)).response()
        await comments_cog(bot).worker.settled()
        [first] = site.comments.on_post(post.id)
        assert (first.content, first.status) == ("Via the command", "approved")

        # Now /comment is shown in the thread with its status.
        again = await standin.slash(newsroom.reader, thread, "comment", text="Second **go**")
        shown = await again.response()
        assert shown.content == "💬 **Jimmy (via Discord)** commented for the site:\nSecond **go**"
        await status_shown(standin, again.original, PUBLISHED)

        # "Reply on site" on the announcement opens a modal; the comment shows in the thread.
        opened = await standin.click(newsroom.reader, announcement, f"comment:reply:{article.id}")
        await opened.response()
        submitted = await standin.submit_modal(
            newsroom.reader, opened, {"comment": "From the modal"}
        )
        assert (await submitted.response()).ephemeral
        await comments_cog(bot).worker.settled()
        assert [c.content for c in site.comments.on_post(post.id)][-1] == "From the modal"

        # Someone else cannot answer another member's prompt; a bare /comment outside a thread
        # is refused politely.
        outside = await standin.slash(newsroom.reader, newsroom.general, "comment", text="hi")
        assert "inside a story's discussion thread" in (await outside.response()).content

        # Forget: the member's comments are trashed on the site and nothing is kept.
        forget = await standin.slash(newsroom.reader, thread, "comments forget")
        assert "3 comment(s)" in (await forget.response()).content
        await comments_cog(bot).worker.settled()
        assert {c.status for c in site.comments.on_post(post.id)} == {"trash"}
        status = await standin.slash(newsroom.reader, thread, "comments status")
        assert "You haven't been asked yet. Comments: none." in (await status.response()).content

        # Opting out drops what waits and sends nothing more.
        optout = await standin.slash(newsroom.editor, thread, "comments optout")
        assert "nothing more you write goes to the site" in (await optout.response()).content
        declined = await standin.post_message(newsroom.editor, thread, "Not for the site")
        await comments_cog(bot).wait_handled("create", declined.id)
        await comments_cog(bot).worker.settled()
        assert len(site.comments.comments) == 3
        assert standin.messages_in(standin.dm_channel(newsroom.editor.user)) == []


async def test_site_outage_then_recovery_loses_and_doubles_nothing(
    standin: DiscordStandIn,
    newsroom: Newsroom,
    guild_bot: BotStarter,
    database_url: str,
    site: WordPressSite,
) -> None:
    article = await seed(database_url, site)
    post = only_post(site)
    async with guild_bot(**settings_for(site)) as bot:
        await standin.wait_for_commands("comments")
        thread = (await announce(standin, newsroom, bot, article)).thread
        assert thread is not None
        await (await standin.slash(newsroom.reader, thread, "comments optin")).response()
        site.comments.fault = "503"
        site.comments.retry_after = "0"
        sent = [
            await standin.post_message(newsroom.reader, thread, f"During the outage {n}")
            for n in range(3)
        ]
        for message in sent:
            await status_shown(standin, message, PENDING)
        worker = comments_cog(bot).worker
        await worker.wait_for(lambda w: w.retried >= 9)  # every comment retried a few times
        assert site.comments.comments == {}
        site.comments.fault = None
        for message in sent:
            await status_shown(standin, message, HELD)
        contents = [c.content for c in site.comments.on_post(post.id)]
        assert contents == [f"During the outage {n}" for n in range(3)]
        assert site.comments.posts_created == 3


async def test_answer_lost_after_the_site_stored_the_comment_is_not_doubled(
    standin: DiscordStandIn,
    newsroom: Newsroom,
    guild_bot: BotStarter,
    database_url: str,
    site: WordPressSite,
) -> None:
    article = await seed(database_url, site)
    post = only_post(site)
    async with guild_bot(**settings_for(site)) as bot:
        await standin.wait_for_commands("comments")
        thread = (await announce(standin, newsroom, bot, article)).thread
        assert thread is not None
        await (await standin.slash(newsroom.reader, thread, "comments optin")).response()
        site.comments.fault = "drop"  # stores the comment, then drops the connection
        site.comments.fault_count = 1
        message = await standin.post_message(newsroom.reader, thread, "Said exactly once")
        await status_shown(standin, message, HELD)
        [comment] = site.comments.on_post(post.id)
        assert comment.content == "Said exactly once"
        assert site.comments.posts_created == 1
        statuses = [r.status for r in site.requests if r.path == "/wp-json/wp/v2/comments"]
        assert 409 in statuses, "the retry met WordPress's duplicate check and looked it up"


async def test_closed_story_fails_politely_and_bad_input_is_explained(
    standin: DiscordStandIn,
    newsroom: Newsroom,
    guild_bot: BotStarter,
    database_url: str,
    site: WordPressSite,
) -> None:
    article = await seed(database_url, site)
    overrides = settings_for(site, COMMENTS_BLOCKLIST="spoiler", COMMENTS_MAX_LENGTH=100)
    async with guild_bot(**overrides) as bot:
        await standin.wait_for_commands("comments")
        thread = (await announce(standin, newsroom, bot, article)).thread
        assert thread is not None
        await (await standin.slash(newsroom.reader, thread, "comments optin")).response()
        dm = standin.dm_channel(newsroom.reader.user)
        await standin.post_message(newsroom.reader, thread, "Big SPOILER here")
        await standin.wait_for(
            lambda: len(standin.messages_in(dm)) == 1, what="a notice", timeout=15
        )
        assert "keep off the site's comments" in standin.messages_in(dm)[0].content
        await standin.post_message(newsroom.reader, thread, "x" * 150)
        await standin.wait_for(
            lambda: len(standin.messages_in(dm)) == 2, what="a notice", timeout=15
        )
        assert "longer than the site takes (100 characters)" in standin.messages_in(dm)[1].content

        # With the feature switched off, nothing is bridged and nobody is asked.
        await (
            await standin.slash(
                newsroom.admin, newsroom.general, "setup feature", feature="comments", enabled=False
            )
        ).response()
        off = await standin.post_message(newsroom.reader, thread, "While switched off")
        await comments_cog(bot).wait_handled("create", off.id)
        assert len(standin.messages_in(dm)) == 2
        assert not off.reactions
        refused = await standin.slash(newsroom.reader, thread, "comment", text="hello")
        assert "switched off in this server" in (await refused.response()).content
        await (
            await standin.slash(
                newsroom.admin, newsroom.general, "setup feature", feature="comments", enabled=True
            )
        ).response()

        site.comments.closed_posts.add(only_post(site).id)
        message = await standin.post_message(newsroom.reader, thread, "Too late?")
        await status_shown(standin, message, FAILED)
        await standin.wait_for(
            lambda: len(standin.messages_in(dm)) == 3, what="a notice", timeout=15
        )
        assert standin.messages_in(dm)[2].content == (
            "Sorry, your comment could not be published on the site: comments are closed on "
            "this story. It is still here in Discord."
        )
        assert site.comments.comments == {}


async def test_site_comments_come_back_into_the_thread_without_echoes(
    standin: DiscordStandIn,
    newsroom: Newsroom,
    guild_bot: BotStarter,
    database_url: str,
    site: WordPressSite,
) -> None:
    article = await seed(database_url, site)
    post = only_post(site)
    overrides = settings_for(
        site, COMMENTS_HOLD_FOR_MODERATION=False, COMMENTS_SYNC_INTERVAL_SECONDS=0.1
    )
    async with guild_bot(**overrides) as bot:
        await standin.wait_for_commands("comments")
        announcement = await announce(standin, newsroom, bot, article)
        thread = announcement.thread
        assert thread is not None
        await (await standin.slash(newsroom.reader, thread, "comments optin")).response()
        ours = await standin.post_message(newsroom.reader, thread, "From Discord")
        await status_shown(standin, ours, PUBLISHED)
        cog = comments_cog(bot)

        # Off by default: nothing comes back.
        reader_comment = site.comments.add_reader_comment(post.id, "Maria", "Hello from the site")
        rounds = cog.sync_rounds
        await cog.wait_for_sync_rounds(rounds + 2)
        assert len(standin.messages_in(thread)) == 1  # ours only

        cog.sync.page_size = 5
        sync = await standin.slash(newsroom.editor, thread, "comments sync", enabled=True)
        await sync.response()
        for n in range(12):  # three pages of the site's listing
            site.comments.add_reader_comment(post.id, "Reader", f"Page filler {n}")
        site.comments.add_reader_comment(
            post.id, "Maria", "Replying to Discord <b>@everyone</b>", parent=int(ours_remote(site))
        )
        await standin.wait_for(
            lambda: len(standin.messages_in(thread)) == 1 + 1 + 12 + 1,
            what="every site comment in the thread",
            timeout=20,
        )
        mirrored = standin.messages_in(thread)
        texts = [m.content for m in mirrored]
        assert "💬 **Maria** on the site:\nHello from the site" in texts
        assert all(
            "From Discord" not in t or m is ours for m, t in zip(mirrored, texts, strict=True)
        )
        last = mirrored[-1]
        assert last.content == "💬 **Maria** on the site:\nReplying to Discord **@\u200beveryone**"
        assert last.reference is ours
        await cog.wait_for_sync_rounds(cog.sync_rounds + 2)
        assert len(standin.messages_in(thread)) == 1 + 14, "nothing is shown twice"
        assert reader_comment.id


async def test_a_comment_approved_on_the_site_shows_as_published(
    standin: DiscordStandIn,
    newsroom: Newsroom,
    guild_bot: BotStarter,
    database_url: str,
    site: WordPressSite,
) -> None:
    article = await seed(database_url, site)
    async with guild_bot(**settings_for(site, COMMENTS_SYNC_INTERVAL_SECONDS=0.1)) as bot:
        await standin.wait_for_commands("comments")
        thread = (await announce(standin, newsroom, bot, article)).thread
        assert thread is not None
        await (await standin.slash(newsroom.reader, thread, "comments optin")).response()
        message = await standin.post_message(newsroom.reader, thread, "Please approve me")
        await status_shown(standin, message, HELD)
        [comment] = site.comments.comments.values()
        comment.status = "approved"  # a moderator approves it in WordPress
        await status_shown(standin, message, PUBLISHED)
        await standin.wait_for(lambda: not reacted(standin, message, HELD), what="🕓 removed")
        assert not reacted(standin, message, PENDING)


def ours_remote(site: WordPressSite) -> int:
    """The id of the comment that came from Discord."""
    return next(
        c.id for c in site.comments.comments.values() if c.author_email.endswith(".invalid")
    )
