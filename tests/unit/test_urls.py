"""Canonical article addresses."""

from __future__ import annotations

import pytest

from bot.articles.urls import canonicalize_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://BoldShout.COM/Post/", "https://boldshout.com/Post"),
        ("https://example.com/a/b/#comments", "https://example.com/a/b"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("http://example.com:8080/a/", "http://example.com:8080/a"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/", "https://example.com/"),
        ("https://example.com/?", "https://example.com/"),
        ("https://example.com//", "https://example.com/"),
        ("https://example.com/a//", "https://example.com/a"),
        ("  https://example.com/a  ", "https://example.com/a"),
        ("https://example.com./a", "https://example.com/a"),
        ("https://[2001:DB8::1]:8443/a/", "https://[2001:db8::1]:8443/a"),
    ],
)
def test_scheme_host_port_fragment_and_trailing_slash(url: str, expected: str) -> None:
    assert canonicalize_url(url) == expected


def test_tracking_parameters_are_dropped() -> None:
    url = (
        "https://example.com/post/?utm_source=twitter&utm_medium=social&UTM_Campaign=x"
        "&fbclid=IwAR0&gclid=abc&mc_cid=1&mc_eid=2&ref=hn&ref_src=twsrc&igshid=3&_ga=4"
    )
    assert canonicalize_url(url) == "https://example.com/post"


def test_other_parameters_are_kept_sorted_as_written() -> None:
    url = "https://example.com/?s=iran%20russia&p=4821&utm_term=x&cat=3&flag"
    assert canonicalize_url(url) == "https://example.com/?cat=3&flag&p=4821&s=iran%20russia"


def test_parameters_merely_starting_like_tracking_ones_are_kept() -> None:
    url = "https://example.com/?referrer=a&refresh=1&utm=2"
    assert canonicalize_url(url) == "https://example.com/?referrer=a&refresh=1&utm=2"


def test_same_article_linked_differently_compares_equal() -> None:
    variants = [
        "https://boldshout.com/iran-putin-alliance-us-strikes-middle-east/",
        "https://BOLDSHOUT.com/iran-putin-alliance-us-strikes-middle-east",
        "https://boldshout.com:443/iran-putin-alliance-us-strikes-middle-east/#respond",
        "https://boldshout.com/iran-putin-alliance-us-strikes-middle-east/?utm_source=discord",
    ]
    assert {canonicalize_url(url) for url in variants} == {
        "https://boldshout.com/iran-putin-alliance-us-strikes-middle-east"
    }


def test_canonicalizing_twice_changes_nothing() -> None:
    once = canonicalize_url("HTTP://Example.com:80/a/b/?z=1&a=2&utm_x=3#f")
    assert once == "http://example.com/a/b?a=2&z=1"
    assert canonicalize_url(once) == once


@pytest.mark.parametrize(
    "url",
    ["mailto:News@Example.com", "example.com/a/", "/relative/path/", "", "https://ex.com:99999/"],
)
def test_addresses_that_are_not_http_urls_come_back_trimmed(url: str) -> None:
    assert canonicalize_url(f" {url} ") == url
