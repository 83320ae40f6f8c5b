"""Discord markdown to the site's safe HTML subset, and site comments back to Discord text."""

from __future__ import annotations

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from bot.comments.content import (
    ALLOWED_TAGS,
    Attachment,
    DiscordText,
    html_to_discord,
    sanitise,
    to_html,
)


def convert(content: str, **names: object) -> str:
    return to_html(DiscordText(content, **names))  # type: ignore[arg-type]


def test_bold_italics_links_quotes_and_line_breaks() -> None:
    result = convert(
        "**Big** news, *really* _big_.\nSee https://news.example/a?b=1 and "
        "[the story](https://news.example/story/)\n\n> quoted line\n> second\n\nThe end ~~not~~"
    )
    assert result == (
        "<p><strong>Big</strong> news, <em>really</em> <em>big</em>.<br>"
        'See <a href="https://news.example/a?b=1" rel="nofollow ugc noopener">'
        "https://news.example/a?b=1</a> and "
        '<a href="https://news.example/story/" rel="nofollow ugc noopener">the story</a></p>'
        "<blockquote><p>quoted line<br>second</p></blockquote>"
        "<p>The end <del>not</del></p>"
    )


def test_mentions_channels_roles_emoji_and_timestamps_become_text() -> None:
    result = convert(
        "<@111111111111111111> and <@!222222222222222222> in <#333333333333333333> "
        "ping <@&444444444444444444> <:party:555555555555555555> <a:wave:666666666666666666> "
        "<t:1764579600:f> <@999999999999999999>",
        users={111111111111111111: "Lois", 222222222222222222: "Clark"},
        channels={333333333333333333: "world-news"},
        roles={444444444444444444: "Editors"},
    )
    assert result == (
        "<p>@Lois and @Clark in #world-news ping @Editors :party: :wave: "
        "01 December 2025 09:00 UTC @someone</p>"
    )


def test_attachments_become_links_and_unsafe_urls_are_dropped() -> None:
    result = to_html(
        DiscordText(
            "Look",
            attachments=(
                Attachment("map<1>.png", "https://cdn.discordapp.com/a/map.png"),
                Attachment("x.js", "javascript:alert(1)"),
            ),
        )
    )
    assert result == (
        '<p>Look</p><p><a href="https://cdn.discordapp.com/a/map.png" '
        'rel="nofollow ugc noopener">map&lt;1&gt;.png</a></p>'
    )


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>hello",
        '<img src=x onerror="alert(1)">hello',
        '<iframe src="https://evil.example"></iframe>hello',
        "<style>body{display:none}</style>hello",
        '<a href="javascript:alert(1)" onclick="x()">hello</a>',
        "[hello](javascript:alert(1))",
        '<svg onload="alert(1)">hello</svg>',
    ],
)
def test_hostile_html_is_shown_as_text_never_as_markup(hostile: str) -> None:
    result = convert(hostile)
    tree = HTMLParser(f"<body>{result}</body>")
    for node in tree.body.traverse(include_text=False):  # type: ignore[union-attr]
        if node.tag == "body":
            continue
        assert node.tag in ALLOWED_TAGS, result
        assert set(node.attributes) <= {"href", "rel"}, result
        assert (node.attributes.get("href") or "https:").startswith(("https:", "http:")), result
    assert "hello" in tree.body.text()  # type: ignore[union-attr]


def test_sanitiser_strips_what_the_subset_does_not_allow() -> None:
    dirty = (
        '<p onclick="x()">ok<script>bad()</script><iframe></iframe>'
        '<a href="javascript:x" style="color:red">l</a><b>b</b></p>'
    )
    assert sanitise(dirty) == '<p>ok<a rel="nofollow ugc noopener">l</a>b</p>'


def test_empty_or_markup_only_messages_convert_to_nothing() -> None:
    assert convert("   ") == ""
    assert convert("<@111111111111111111>".replace("<@", "")) != ""


def test_site_comment_html_becomes_discord_text_without_pings() -> None:
    text = html_to_discord(
        '<p>Great <strong>piece</strong> @everyone</p><p>See <a href="https://x.example/">this</a>'
        "<script>alert(1)</script></p>"
    )
    assert text == "Great **piece** @\u200beveryone\n\nSee this (<https://x.example/>)"
