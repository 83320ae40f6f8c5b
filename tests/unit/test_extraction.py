"""Article extraction: the example article from HTML and plain text, and the variations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.articles.extracted import ExtractedArticle, KeyFact, OutlookItem
from bot.articles.extraction import extract_article_html, extract_article_text
from bot.articles.prose import split_sentences

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "articles"
ARTICLE_URL = "https://boldshout.com/iran-putin-alliance-us-strikes-middle-east/"

TITLE = (
    "Iran Strikes a Deal with Putin: A New Power Dynamic in the Wake of U.S. Military Escalation"
)
KEY_FACTS = (
    KeyFact(
        "U.S. Military Action",
        "On June 20, 2025, the United States launched airstrikes on several Iranian nuclear "
        "sites, marking the largest strike against Iran since the 1979 revolution. These actions "
        "were part of a broader effort to curb Iran’s nuclear ambitions.",
    ),
    KeyFact(
        "Iran’s Retaliation",
        "Iran, already under intense pressure from international sanctions, responded with "
        "missile strikes targeting Israeli infrastructure, injuring several.",
    ),
    KeyFact(
        "Iran Turns to Russia",
        "Iran’s Foreign Minister Abbas Araqchi has been sent to Moscow to meet with Putin, "
        "delivering a letter from Khamenei and seeking stronger support amid escalating "
        "hostilities.",
    ),
    KeyFact(
        "Russia’s Position",
        "Putin has condemned the U.S. strikes but stopped short of offering direct military aid. "
        "He faces a delicate balancing act, caught between Tehran and the ongoing war in Ukraine.",
    ),
)
WHAT_HAPPENS_NEXT = "What Happens Next?"
NEXT_STEPS = "Next Steps in the Investigation"
OUTLOOK = (
    OutlookItem(
        WHAT_HAPPENS_NEXT,
        "In the coming days, Araqchi’s meetings in Moscow will likely set the stage for how this "
        "alliance between Russia and Iran will evolve. Will Putin throw more support behind "
        "Khamenei, or will he continue to play the role of a diplomatic observer? Tehran is "
        "clearly seeking more, and the question remains whether Moscow will escalate its "
        "involvement or continue its more cautious approach.",
    ),
    OutlookItem(
        WHAT_HAPPENS_NEXT,
        "Experts suggest that while Russia’s position will be one of quiet diplomacy, the global "
        "community—especially the U.S. and Israel—will be closely watching any shift in rhetoric "
        "or military engagement. We may soon see further military movements or diplomatic "
        "back-and-forths, leading to what some analysts predict could be an even more volatile "
        "geopolitical standoff.",
    ),
    OutlookItem(
        WHAT_HAPPENS_NEXT,
        "This moment might also mark a significant shift in global alliances, with countries "
        "like China, who have long been courting Tehran, observing from the sidelines. It’s a "
        "game of chess, and every move is calculated, with long-term ramifications.",
    ),
    OutlookItem(
        NEXT_STEPS,
        "Expect the U.S. to continue pushing for increased sanctions against Iran, coupled with "
        "heightened military readiness. Meanwhile, Iran will likely continue its diplomatic "
        "outreach, not just to Russia but also to its allies in Asia and the Middle East, "
        "seeking a broader coalition to challenge U.S. power.",
    ),
    OutlookItem(
        NEXT_STEPS,
        "We are also likely to see more diplomatic talks, but don’t expect a quick resolution. "
        "The clock is ticking, but the world is still waiting for one definitive move that could "
        "change everything.",
    ),
)
READER_QUESTIONS = (
    "Do you think Russia will take a more active role?",
    "How will the U.S. respond next?",
)


def html_article() -> ExtractedArticle:
    """Extract the example article from its WordPress page."""
    html = (FIXTURES / "iran_russia_wordpress.html").read_text(encoding="utf-8")
    return extract_article_html(html, f"{ARTICLE_URL}?utm_source=twitter#comments")


def text_article() -> ExtractedArticle:
    """Extract the example article from its plain text."""
    text = (FIXTURES / "iran_russia_plaintext.txt").read_text(encoding="utf-8")
    return extract_article_text(text, ARTICLE_URL)


def page(content: str, head: str = "<title>Fallback Title &#8211; Example News</title>") -> str:
    """Wrap post content in a minimal WordPress single-post page."""
    return (
        f"<!DOCTYPE html><html><head>{head}</head><body>"
        "<header><nav><ul><li><a href='/'>Home</a></li></ul></nav></header><main>"
        "<article class='post'><h1 class='entry-title'>Heading Title</h1>"
        f"<div class='entry-content'>{content}</div></article></main></body></html>"
    )


def from_content(content: str) -> ExtractedArticle:
    """Extract an article from post content wrapped in a minimal page."""
    return extract_article_html(page(content), "https://example.com/post/")


def all_text(article: ExtractedArticle) -> str:
    """Join every text field of an article, for asserting what never appears in any."""
    fields = [
        article.title,
        article.author,
        article.summary,
        article.category,
        article.site_name,
        article.body_text,
        *article.reader_questions,
    ]
    fields += [f"{fact.label} {fact.text}" for fact in article.key_facts]
    fields += [f"{item.section} {item.text}" for item in article.outlook]
    return "\n".join(field for field in fields if field)


# The example article


@pytest.mark.parametrize("extract", [html_article, text_article], ids=["html", "text"])
def test_example_title_facts_outlook_and_questions(extract: Callable[[], ExtractedArticle]) -> None:
    article = extract()
    assert article.title == TITLE
    assert article.key_facts == KEY_FACTS
    assert article.outlook == OUTLOOK
    assert article.reader_questions == READER_QUESTIONS


@pytest.mark.parametrize("extract", [html_article, text_article], ids=["html", "text"])
def test_example_context_and_closing_paragraphs_are_not_outlook(
    extract: Callable[[], ExtractedArticle],
) -> None:
    article = extract()
    texts = " ".join(item.text for item in article.outlook)
    assert "Let’s take a step back" not in texts
    assert "For Russia, Iran is a vital ally" not in texts
    assert "Stay tuned" not in texts
    assert {item.section for item in article.outlook} == {WHAT_HAPPENS_NEXT, NEXT_STEPS}
    assert "Will Putin throw more support behind Khamenei" not in " ".join(article.reader_questions)


def test_html_and_text_give_the_same_body() -> None:
    html, text = html_article(), text_article()
    assert html.body_text == text.body_text
    assert html.body_text.startswith("In an intense geopolitical move, Iran’s Supreme Leader")
    assert "\n\nKey Facts:\n\n• U.S. Military Action: On June 20, 2025," in html.body_text
    assert "\n• Russia’s Position: Putin has condemned" in html.body_text
    assert "\n\nContext & Insight:\n\nLet’s take a step back" in html.body_text
    assert html.body_text.endswith("real-time insights on the world’s most pressing issues.")


def test_html_body_leaves_out_page_furniture_and_comment_form() -> None:
    body = html_article().body_text
    for furniture in (
        "Leave a Reply",
        "Your email address",
        "Post Comment",
        "Recent Posts",
        "Oil rose 4%",
        "newsletter",
        "Proudly powered",
        "Main menu",
        "World News",
        "Written by",
        "_wpemojiSettings",
        "skipLink",
        "clickTrackClientSide",
        "Strait of Hormuz",
    ):
        assert furniture not in body


def test_html_metadata() -> None:
    article = html_article()
    assert article.url == f"{ARTICLE_URL}?utm_source=twitter#comments"
    assert article.canonical_url == ARTICLE_URL
    assert article.author == "Daniel Reyes"
    assert article.published_at == datetime(2025, 6, 23, 12, 30, 12, tzinfo=UTC)
    assert article.image_url == (
        "https://boldshout.com/wp-content/uploads/2025/06/iran-putin-alliance.jpg"
    )
    assert article.summary == (
        "Khamenei turns to Putin for support after the largest U.S. strike on Iranian soil in "
        "decades. What the new Tehran–Moscow alignment means, and what comes next."
    )
    assert article.category == "World News"
    assert article.site_name == "BoldShout"


def test_text_metadata_and_summary_from_the_intro() -> None:
    article = text_article()
    assert article.url == ARTICLE_URL
    assert article.canonical_url == ARTICLE_URL.rstrip("/")
    assert (article.author, article.published_at, article.image_url) == (None, None, None)
    assert (article.category, article.site_name) == (None, None)
    assert article.summary == (
        "In an intense geopolitical move, Iran’s Supreme Leader Khamenei has turned to Vladimir "
        "Putin for more robust support following the largest U.S. military strike on Iranian "
        "soil in decades. This evolving alliance between Tehran and Moscow marks a pivotal shift "
        "in the region’s power dynamics, as the…"
    )
    assert "Leave a Reply" not in article.body_text
    assert "Iran-putin-alliance" not in article.body_text
    assert TITLE not in article.body_text


def test_text_without_url() -> None:
    article = extract_article_text("A Title\n\nBody.")
    assert (article.title, article.url, article.canonical_url) == ("A Title", None, None)
    assert article.body_text == "Body."


# Metadata fallbacks


def test_title_falls_back_to_h1_then_title_without_site_name() -> None:
    assert from_content("<p>Body.</p>").title == "Heading Title"
    bare = "<html><head><title>Only Title &#8211; Example News</title></head><body></body></html>"
    assert extract_article_html(bare, "https://example.com/").title == "Only Title"
    named = (
        "<html><head><title>Only – Title | Example News</title>"
        "<meta property='og:site_name' content='Example News'></head><body></body></html>"
    )
    assert extract_article_html(named, "https://example.com/").title == "Only – Title"


def test_og_title_wins_and_loses_the_site_name_suffix() -> None:
    head = (
        "<meta property='og:title' content='Big &amp; Bold: News - Example News'>"
        "<meta property='og:site_name' content='Example News'>"
    )
    assert extract_article_html(page("", head), "https://example.com/").title == "Big & Bold: News"


def test_metadata_from_json_ld_and_markup_when_meta_tags_are_missing() -> None:
    head = (
        "<link rel='canonical' href='/2025/06/story/'>"
        '<script type="application/ld+json">{"@context": "https://schema.org", "@graph": ['
        '{"@type": "BlogPosting", "datePublished": "2025-06-23T08:30:12-04:00",'
        ' "author": {"@id": "#me"}, "articleSection": ["Politics", "World"],'
        ' "image": {"@type": "ImageObject", "url": "https://cdn.example.com/lead.jpg"}},'
        '{"@type": "Person", "@id": "#me", "name": "Ana Li"},'
        '{"@type": "WebSite", "name": "Example News"}]}</script>'
    )
    article = extract_article_html(page("<p>Body.</p>", head), "https://example.com/x")
    assert article.canonical_url == "https://example.com/2025/06/story/"
    assert article.published_at == datetime(
        2025, 6, 23, 8, 30, 12, tzinfo=timezone(-timedelta(hours=4))
    )
    assert article.published_at == datetime(2025, 6, 23, 12, 30, 12, tzinfo=UTC)
    assert article.author == "Ana Li"
    assert article.category == "Politics"
    assert article.site_name == "Example News"
    assert article.image_url == "https://cdn.example.com/lead.jpg"


def test_metadata_from_wordpress_markup_alone() -> None:
    html = (
        "<html><head><title>Story &#8211; Site</title></head><body><article class='post'>"
        "<h1 class='entry-title'>Story</h1><div class='entry-meta'>"
        "<time class='entry-date published' datetime='2025-01-02T03:04:05'>Jan 2</time>"
        "<span class='byline'><span class='author vcard'><a class='url fn n' href='/a/'>"
        "Sam Roe</a></span></span></div><div class='entry-content'>"
        "<figure><img src='data:image/gif;base64,R0lGOD' data-src='/wp-content/uploads/a.jpg'>"
        "<figcaption>Caption text</figcaption></figure><p>First paragraph.</p></div>"
        "<footer class='entry-footer'><a href='/category/local/' rel='category tag'>Local</a>"
        "</footer></article></body></html>"
    )
    article = extract_article_html(html, "https://example.com/story/?utm_source=x#top")
    assert article.title == "Story"
    assert article.canonical_url == "https://example.com/story"
    assert article.published_at == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert article.author == "Sam Roe"
    assert article.category == "Local"
    assert article.image_url == "https://example.com/wp-content/uploads/a.jpg"
    assert article.summary == "First paragraph."
    assert article.body_text == "First paragraph."
    assert article.site_name is None


def test_canonical_url_from_og_url_resolved_against_the_page() -> None:
    head = "<meta property='og:url' content='//example.com/a/b/'><link rel='canonical' href=''>"
    article = extract_article_html(page("", head), "https://example.com/a/b/?utm_source=x")
    assert article.canonical_url == "https://example.com/a/b/"


def test_summary_is_trimmed_at_a_word_boundary() -> None:
    long = " ".join(["word"] * 100)
    summary = from_content(f"<p>{long}.</p>").summary
    assert summary == " ".join(["word"] * 60) + "…"
    head = f"<meta name='description' content='{long} [&hellip;]'>"
    assert extract_article_html(page("", head), "https://e.com/").summary == summary


# Key facts variations


def test_key_facts_under_a_lowercase_h3_with_nested_markup() -> None:
    article = from_content(
        "<p>Intro.</p><h3>key facts</h3><ul>"
        "<li><em>Alpha</em>: one <a href='https://e.com/'>linked</a> fact.</li>"
        "<li><strong>Beta:</strong> two&nbsp;&nbsp;spaced <em>words</em>.</li></ul>"
        "<h2>Analysis</h2><ul><li>Gamma: not a fact.</li></ul>"
    )
    assert article.key_facts == (
        KeyFact("Alpha", "one linked fact."),
        KeyFact("Beta", "two spaced words."),
    )


def test_key_facts_as_bullet_lines_in_a_paragraph_with_line_breaks() -> None:
    article = from_content(
        "<p>Intro.</p><p><strong>Key Facts:</strong><br>\n• Alpha: one.<br>\n"
        "• <strong>Beta:</strong> two.<br>– Gamma: three.</p><p>Analysis follows.</p>"
    )
    assert article.key_facts == (
        KeyFact("Alpha", "one."),
        KeyFact("Beta", "two."),
        KeyFact("Gamma", "three."),
    )
    assert article.body_text == (
        "Intro.\n\nKey Facts:\n\n• Alpha: one.\n• Beta: two.\n• Gamma: three.\n\nAnalysis follows."
    )


def test_key_facts_in_an_ordered_list_under_key_takeaways() -> None:
    article = from_content(
        "<h2>KEY TAKEAWAYS</h2><ol><li>First: it began.</li><li>Second: it grew.</li></ol>"
    )
    assert article.key_facts == (KeyFact("First", "it began."), KeyFact("Second", "it grew."))


def test_key_facts_without_labels() -> None:
    article = from_content(
        "<h2>Key facts:</h2><ul>"
        "<li>The U.S. struck three sites on Saturday.</li>"
        "<li>Officials said on Sunday, after a long meeting that lasted hours: more may come.</li>"
        "<li>He said: “We will respond.”</li>"
        "<li>Iran, Russia: talks go on.</li>"
        "<li>Time: 10:30 local.</li></ul>"
    )
    assert article.key_facts == (
        KeyFact(None, "The U.S. struck three sites on Saturday."),
        KeyFact(
            None, "Officials said on Sunday, after a long meeting that lasted hours: more may come."
        ),
        KeyFact(None, "He said: “We will respond.”"),
        KeyFact(None, "Iran, Russia: talks go on."),
        KeyFact("Time", "10:30 local."),
    )


def test_key_fact_label_set_off_by_a_dash_after_bold_words() -> None:
    article = from_content(
        "<p><strong>Key Facts:</strong></p><ul><li><strong>Alpha</strong> – one.</li>"
        "<li><strong>Putin</strong> has spoken.</li></ul>"
    )
    assert article.key_facts == (KeyFact("Alpha", "one."), KeyFact(None, "Putin has spoken."))


def test_key_facts_in_nested_lists_come_in_document_order() -> None:
    article = from_content(
        "<h2>Key Facts</h2><ul><li>Parent: top<ul><li>Child: inner</li></ul></li>"
        "<li>Last: one</li></ul>"
    )
    assert article.key_facts == (
        KeyFact("Parent", "top"),
        KeyFact("Child", "inner"),
        KeyFact("Last", "one"),
    )


def test_key_facts_as_paragraphs_when_the_section_has_no_list() -> None:
    article = from_content(
        "<h2>Key Facts</h2><p>Alpha: one.</p><p>Beta happened.</p><h2>More</h2><p>Other.</p>"
    )
    assert article.key_facts == (KeyFact("Alpha", "one."), KeyFact(None, "Beta happened."))


# Outlook variations


def test_outlook_heading_variations_and_stop_at_the_next_heading() -> None:
    article = from_content(
        "<p>Intro.</p><h4>What’s next</h4><p>Talks <em>resume</em>.</p><ul><li>Vote due.</li></ul>"
        "<h2>Background</h2><p>Not outlook.</p>"
        "<p><strong>LOOKING AHEAD:</strong></p><p>Markets may fall.</p>"
        "<h5>next steps:</h5><p>Review.</p><h6>Sources</h6><p>Also not outlook.</p>"
    )
    assert article.outlook == (
        OutlookItem("What’s next", "Talks resume."),
        OutlookItem("What’s next", "Vote due."),
        OutlookItem("LOOKING AHEAD", "Markets may fall."),
        OutlookItem("next steps", "Review."),
    )


def test_known_heading_in_a_plain_paragraph_opens_its_section() -> None:
    article = from_content(
        "<p>Intro.</p><p>What happens next?</p><p>Nobody knows yet.</p><p>Key facts:</p>"
        "<ul><li>One.</li></ul>"
    )
    assert article.outlook == (OutlookItem("What happens next?", "Nobody knows yet."),)
    assert article.key_facts == (KeyFact(None, "One."),)


# Reader questions


def test_rhetorical_question_ending_the_outlook_is_not_a_reader_question() -> None:
    article = from_content("<h2>What happens next</h2><p>Will Putin act? Nobody knows.</p>")
    assert article.reader_questions == ()
    assert article.outlook == (OutlookItem("What happens next", "Will Putin act? Nobody knows."),)


def test_closing_paragraph_without_a_question_gives_no_reader_questions() -> None:
    article = from_content(
        "<h2>What happens next</h2><p>Will Putin act? Nobody knows.</p>"
        "<p>Stay tuned to Example.com for updates as the story develops.</p>"
    )
    assert article.reader_questions == ()
    assert article.outlook == (OutlookItem("What happens next", "Will Putin act? Nobody knows."),)


def test_reader_questions_from_the_last_two_closing_paragraphs() -> None:
    article = from_content(
        "<p>Is this analysis? It is.</p><p>Would you go? Where would “you” stay?</p>"
        "<p>Tell us in the comments. Share this with Mr. Smith, won’t you?</p>"
        "<div id='comments'><p>Do you agree? — a commenter</p></div>"
    )
    assert article.reader_questions == (
        "Would you go?",
        "Where would “you” stay?",
        "Share this with Mr. Smith, won’t you?",
    )


def test_reader_questions_stop_at_an_end_marker_inside_the_content() -> None:
    article = from_content(
        "<p>Body.</p><p>What do you think? Let us know.</p>"
        "<h3>Share this:</h3><ul><li>Twitter</li></ul><h3>Like this:</h3><p>Do you like it?</p>"
    )
    assert article.reader_questions == ("What do you think?",)
    assert article.body_text == "Body.\n\nWhat do you think? Let us know."


def test_sentences_keep_abbreviations_and_initialisms() -> None:
    assert split_sentences(
        "Mr. Smith met U.S. officials. How will the U.S. respond? The U.S. What next?"
        " “Is it over?” he asked. Dr. Who left."
    ) == [
        "Mr. Smith met U.S. officials.",
        "How will the U.S. respond?",
        "The U.S.",
        "What next?",
        "“Is it over?” he asked.",
        "Dr. Who left.",
    ]


# Robustness


def test_page_without_sections_gives_empty_parts_and_still_a_title() -> None:
    article = from_content("<p>Just one paragraph of news.</p><p>And another one.</p>")
    assert article.title == "Heading Title"
    assert (article.key_facts, article.outlook, article.reader_questions) == ((), (), ())
    assert article.body_text == "Just one paragraph of news.\n\nAnd another one."


@pytest.mark.parametrize("html", ["", "<html></html>", "not html at all", "<p>Key Facts:</p>"])
def test_degenerate_pages_do_not_raise(html: str) -> None:
    article = extract_article_html(html, "https://example.com/")
    assert article.key_facts == ()
    assert article.reader_questions == ()
    assert article.canonical_url == "https://example.com/"


def test_hostile_markup_never_reaches_any_text() -> None:
    head = (
        "<title>Safe <script>alert('title')</script></title>"
        "<meta property='og:description' content='Fine &lt;script&gt;alert(0)&lt;/script&gt; text'>"
        "<meta property='og:image' content='javascript:alert(9)'>"
        '<script type=\'application/ld+json\'>{"@type": "Article", "author": '
        '{"name": "<img src=x onerror=alert(8)>Eve"}}</script>'
    )
    content = (
        "<p>Safe<script>alert(1)</script> text <img src=x onerror=alert(2)>"
        "<iframe src='javascript:alert(3)'>framed</iframe><style>p{color:red}</style>"
        "<noscript>hidden</noscript><span style='display: none'>cloaked</span></p>"
        "<h2 onclick='alert(4)'>Key facts<script>alert(5)</script></h2>"
        "<ul><li onmouseover='alert(6)'>Alpha: <b>one</b><svg onload='alert(7)'>"
        "<text>svg</text></svg></li></ul>"
        "<h2>What happens next?</h2><p>More<template>tpl</template> soon.</p>"
        "<p>What do you think?<object data='x'>obj</object><embed src='y'></p>"
    )
    article = extract_article_html(page(content, head), "https://example.com/p")
    text = all_text(article)
    for bad in (
        "alert", "script", "onerror", "onclick", "iframe", "framed", "color:red",
        "hidden", "cloaked", "svg", "tpl", "obj", "<", ">",
    ):  # fmt: skip
        assert bad not in text
    assert article.key_facts == (KeyFact("Alpha", "one"),)
    assert article.outlook == (OutlookItem("What happens next?", "More soon."),)
    assert article.reader_questions == ("What do you think?",)
    assert article.summary == "Fine text"
    assert article.author == "Eve"
    assert article.image_url == "https://example.com/x"  # the content image, not javascript:
    bare = extract_article_html(f"<html><head>{head}</head></html>", "https://example.com/p")
    assert bare.title == "Safe"
    assert bare.image_url is None


def test_entities_are_decoded_and_whitespace_normalised() -> None:
    article = from_content(
        "<p>Iran&#8217;s &amp; Russia&rsquo;s &#x201C;deal&#x201D;&nbsp;&nbsp;now&hellip;\n\t"
        "done&#8212;maybe.</p><h2>Key&nbsp;Facts:</h2><ul><li>\n  <strong>Iran&#8217;s Move:"
        "</strong>\n A&nbsp;B &#8211; C.  </li></ul>"
    )
    assert article.body_text.startswith("Iran’s & Russia’s “deal” now… done—maybe.")
    assert article.key_facts == (KeyFact("Iran’s Move", "A B – C."),)


def test_body_falls_back_to_the_article_without_its_furniture() -> None:
    html = (
        "<html><body><main><article><header><h1>Title</h1></header>"
        "<nav>Previous post</nav><p>Body text.</p><aside class='sidebar'>Ad copy</aside>"
        "<div class='sharedaddy'>Share this</div><footer>Filed under</footer></article>"
        "</main><div class='widget-area'><p>Will you subscribe?</p></div></body></html>"
    )
    article = extract_article_html(html, "https://example.com/")
    assert article.title == "Title"
    assert article.body_text == "Body text."
    assert article.reader_questions == ()


def test_deeply_nested_markup_does_not_exhaust_recursion() -> None:
    content = "<div>" * 5000 + "<p>Deep.</p>" + "</div>" * 5000
    assert from_content(content).body_text == "Deep."


# Plain-text variations


def test_plain_text_variations() -> None:
    text = (
        "Some Title\r\n\r\n"
        "Intro line one that wraps\n"
        "onto a second line of the same paragraph.\n\n"
        "KEY TAKEAWAYS\n"
        "- Alpha: the first fact\n"
        "  continues here.\n"
        "* Beta: the second.\n\n"
        "Analysis paragraph.\n\n"
        "What’s next:\n"
        "Talks will resume.\n"
        "Officials expect more.\n\n"
        "Sources and Methods\n"
        "Not outlook.\n\n"
        "What do you think? Share your thoughts below.\n\n"
        "Leave a Reply\n"
        "Do you think this is hidden?\n"
    )
    article = extract_article_text(text)
    assert article.title == "Some Title"
    assert article.summary == "Intro line one that wraps onto a second line of the same paragraph."
    assert article.key_facts == (
        KeyFact("Alpha", "the first fact continues here."),
        KeyFact("Beta", "the second."),
    )
    assert article.outlook == (
        OutlookItem("What’s next", "Talks will resume. Officials expect more."),
    )
    assert article.reader_questions == ("What do you think?",)
    assert "hidden" not in article.body_text


def test_plain_text_without_sections_or_body() -> None:
    assert extract_article_text("").title == ""
    only_title = extract_article_text("Just a title\n")
    assert (only_title.title, only_title.body_text, only_title.summary) == (
        "Just a title",
        "",
        None,
    )
    plain = extract_article_text("Title\n\nOne paragraph. Does it ask? Not the reader.")
    assert (plain.key_facts, plain.outlook, plain.reader_questions) == ((), (), ())


def test_heading_asking_the_reader_before_the_closing_is_a_reader_question() -> None:
    article = from_content(
        "<h2>What happens next?</h2><p>Talks resume.</p><h2>What do you think?</h2>"
        "<p>Let us know in the comments.</p>"
    )
    assert article.reader_questions == ("What do you think?",)
    assert article.outlook == (OutlookItem("What happens next?", "Talks resume."),)
    trailing = from_content("<p>Body.</p><p><strong>Will you vote?</strong></p>")
    assert trailing.reader_questions == ("Will you vote?",)


def test_share_box_above_the_content_does_not_end_the_article() -> None:
    article = from_content("<p>Share this:</p><p>Body text.</p><h3>Share this:</h3><p>X</p>")
    assert article.body_text == "Share this:\n\nBody text."


def test_plain_text_with_html_entities_is_decoded() -> None:
    article = extract_article_text(
        "Iran&#8217;s Move\n\nKey Facts:\n\n• Deal&nbsp;done: Russia &amp; Iran agree.\n"
    )
    assert article.title == "Iran’s Move"
    assert article.key_facts == (KeyFact("Deal done", "Russia & Iran agree."),)
