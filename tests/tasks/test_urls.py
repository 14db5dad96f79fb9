from __future__ import annotations

import pytest

from tasks.urls import article_id, domain_of, identity_url, is_http_url, normalize_url, url_key


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (
            "HTTP://News.Example.COM:80/a/b?utm_source=x&id=3#frag",
            "http://news.example.com/a/b?id=3",
        ),
        ("https://example.com:443/x?b=2&a=1&fbclid=abc", "https://example.com/x?a=1&b=2"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        ("https://example.com/caf%C3%A9", "https://example.com/caf%C3%A9"),
    ],
)
def test_normalize_url(raw, clean):
    assert normalize_url(raw) == clean


@pytest.mark.parametrize(
    "variant",
    [
        "https://www.example.com/world/story-1",
        "http://example.com/world/story-1/",
        "https://example.com/world/story-1?utm_campaign=rss#comments",
        "https://amp.example.com/world/story-1",
        "https://example.com/amp/world/story-1",
        "https://example.com/world/story-1/amp",
        "https://example.com/world/story-1?amp=1",
        "https://www.example.com/world/story-1.amp",
    ],
)
def test_url_key_folds_www_amp_and_tracking_variants(variant):
    assert url_key(variant) == url_key("https://example.com/world/story-1")
    assert article_id(variant) == article_id("https://example.com/world/story-1")


def test_url_key_keeps_pages_apart():
    assert url_key("https://example.com/a?id=1") != url_key("https://example.com/a?id=2")
    assert url_key("https://example.com/a") != url_key("https://other.com/a")


def test_domain_of():
    assert domain_of("https://news.bbc.co.uk/x") == "bbc.co.uk"
    assert domain_of("https://www.assetbase.example/x") == "assetbase.example"
    assert domain_of("http://127.0.0.1:8080/x") == "127.0.0.1"


def test_identity_url_uses_same_site_canonical_only():
    fetched = "https://m.paper.com/story?id=5&utm_source=tw"
    assert (
        identity_url(fetched, "https://www.paper.com/2023/story-5")
        == "https://www.paper.com/2023/story-5"
    )
    # A canonical on another site is a syndication claim, not this page's identity.
    assert identity_url(fetched, "https://wire.org/story") == "https://m.paper.com/story?id=5"
    assert identity_url(fetched, "javascript:void(0)") == "https://m.paper.com/story?id=5"
    # a canonical pointing every page at the front page is a template bug, not an identity
    assert identity_url(fetched, "https://www.paper.com/") == "https://m.paper.com/story?id=5"


def test_is_http_url():
    assert is_http_url("https://a.b/c")
    assert not is_http_url("ftp://a.b/c")
    assert not is_http_url("/relative")
    assert not is_http_url("http://")
