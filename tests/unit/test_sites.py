"""Only configured sites are fetched on a member's behalf."""

import pytest

from bot.articles.sites import SiteAllowlist
from bot.errors import InvalidInput

ALLOWED = SiteAllowlist.from_urls(["https://news.example/", "http://127.0.0.1:8080/feed/", None])


@pytest.mark.parametrize(
    "url",
    [
        "https://news.example/iran-putin/",
        "https://www.news.example/iran-putin/?utm_source=x",
        "http://127.0.0.1:8080/story/",
    ],
)
def test_configured_sites_are_allowed(url: str) -> None:
    assert ALLOWED.check(url) == url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://evil.example/story", "only fetch articles from"),
        ("http://127.0.0.1:9999/story", "only fetch articles from"),
        ("http://169.254.169.254/latest/meta-data", "only fetch articles from"),
        ("https://news.example.evil.example/", "only fetch articles from"),
        ("file:///etc/passwd", "doesn't look like a link"),
        ("javascript:alert(1)", "doesn't look like a link"),
        ("https://user:pw@news.example/x", "user name or password"),
        ("not a url", "doesn't look like a link"),
        ("http://news.example:99999/", "doesn't look like a link"),
    ],
)
def test_other_urls_are_refused_with_a_reason(url: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        ALLOWED.check(url)


def test_nothing_configured_says_what_to_configure() -> None:
    with pytest.raises(InvalidInput, match="SITE_URL"):
        SiteAllowlist.from_urls([]).check("https://news.example/")
