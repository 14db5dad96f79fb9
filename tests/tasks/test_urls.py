from __future__ import annotations

import pytest

from tasks.urls import (
    article_id,
    domain_of,
    identity_url,
    is_front_page,
    is_http_url,
    normalize_url,
    page_address,
    url_key,
)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (
            "HTTP://News.Example.COM:80/a/b?utm_source=x&id=3#frag",
            "http://news.example.com/a/b?utm_source=x&id=3",
        ),
        ("https://example.com:443/x?b=2&a=1", "https://example.com/x?b=2&a=1"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        ("https://example.com/caf%c3%a9", "https://example.com/caf%C3%A9"),
        ("https://example.com/café", "https://example.com/caf%C3%A9"),
        # escapes that change the resource stay: %25 is not %, %2F is not a path separator
        ("https://example.com/100%25-sure", "https://example.com/100%25-sure"),
        ("https://example.com/a%2Fb", "https://example.com/a%2Fb"),
        ("https://example.com/a%7Eb", "https://example.com/a~b"),  # ~ is unreserved
        ("https://example.com/50%off", "https://example.com/50%off"),
        # internationalised host names go on the wire as their A-label
        ("https://Bücher.Example/x", "https://xn--bcher-kva.example/x"),
        ("http://[::1]:8080/x", "http://[::1]:8080/x"),
        ("https://user:pw@example.com/x", "https://example.com/x"),
    ],
)
def test_normalize_url(raw, clean):
    assert normalize_url(raw) == clean
    assert normalize_url(clean) == clean


@pytest.mark.parametrize("name", ["cid", "src", "share", "partner", "ref", "id", "rss"])
def test_parameters_that_may_select_content_stay_in_the_identity(name):
    assert url_key(f"https://example.com/a?{name}=1") != url_key("https://example.com/a")
    assert normalize_url(f"https://example.com/a?{name}=1") == f"https://example.com/a?{name}=1"


@pytest.mark.parametrize("name", ["utm_source", "fbclid", "gclid", "mc_cid", "_ga", "srsltid"])
def test_known_tracking_parameters_leave_the_identity_only(name):
    url = f"https://example.com/a?x=1&{name}=abc"
    assert url_key(url) == url_key("https://example.com/a?x=1")
    assert normalize_url(url) == url  # the fetched URL keeps them


def test_identity_sorts_parameters_without_decoding_them():
    assert url_key("https://e.com/a?b=2&a=1") == url_key("https://e.com/a?a=1&b=2")
    assert url_key("https://e.com/a?q=a%26b") != url_key("https://e.com/a?q=a&b")


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
    assert (
        identity_url(fetched, "https://www.paper.com/index.html")
        == "https://m.paper.com/story?id=5"
    )


def test_a_sibling_host_s_canonical_is_no_identity_but_the_site_s_main_host_s_is():
    # one tenant of a platform of subdomains named another's address and took its article
    assert identity_url("https://x.substack.com/p/a", "https://y.substack.com/p/b") == (
        "https://x.substack.com/p/a"
    )
    assert identity_url("https://news.paper.com/a", "https://www.paper.com/a") == (
        "https://www.paper.com/a"
    )
    assert identity_url("https://amp.paper.co.uk/a", "https://paper.co.uk/a") == (
        "https://paper.co.uk/a"
    )


@pytest.mark.parametrize(
    ("fetched", "canonical", "section"),
    [
        ("/news/2024/03/05/storm.html", "/news/", True),
        ("/news/2024/03/05/storm.html", "/news", True),
        ("/news/big-storm-hits-the-coast.html", "/news/", True),
        ("/news/big-storm-hits-the-coast/amp", "/news/big-storm-hits-the-coast", False),
        ("/news/storm/amp/index.html", "/news/storm/", False),
        ("/news/storm/2", "/news/storm", False),
        ("/news/storm-hits/print", "/news/storm-hits", False),
        ("/news/storm-x/comments", "/news/storm-x", False),
        ("/news/2024/03/05/storm.html", "/2024/03/05/storm.html", False),
    ],
)
def test_a_canonical_naming_the_section_above_a_page_is_no_identity(fetched, canonical, section):
    # A template giving every article its section's address folds them all into one;
    # a folder above an AMP, print or paged copy is the page itself.
    site = "https://www.paper.com"
    expected = site + (fetched if section else canonical)
    assert identity_url(site + fetched, site + canonical) == expected


def test_page_address_is_the_canonical_a_page_gives_itself():
    served = "http://127.0.0.1:8000/p/5"
    named = "https://paper.example/2024/03/09/ferry"
    assert page_address(served, named) == named
    assert page_address(served, None) == served
    assert page_address(served, "javascript:void(0)") == served
    assert page_address(served, "https://packing-list-trip/") == served  # a slug as the host
    # a front-page canonical on an inner page is a template bug, not the page's name
    assert page_address("https://paper.example/story", "https://paper.example/") == (
        "https://paper.example/story"
    )
    assert page_address("https://paper.example/", "https://paper.example/index.html") == (
        "https://paper.example/index.html"
    )


@pytest.mark.parametrize(
    ("url", "front"),
    [
        ("https://paper.example/", True),
        ("https://paper.example", True),
        ("https://paper.example/index.php", True),
        ("https://paper.example/?srsltid=AfmBOo&utm_source=x", True),  # tracking only
        ("https://paper.example/?p=123", False),  # a WordPress post
        ("https://paper.example/news/", False),
        ("/", False),
    ],
)
def test_is_front_page(url, front):
    assert is_front_page(url) is front


def test_is_http_url():
    assert is_http_url("https://a.b/c")
    assert is_http_url("https://bücher.example/c")
    assert not is_http_url("https://a..b/c")
    assert not is_http_url("https://exa mple.com/c")
    assert not is_http_url("ftp://a.b/c")
    assert not is_http_url("/relative")
    assert not is_http_url("http://")
    assert not is_http_url("http://a.b:0/c")  # no service: it was fetched on port 80
    assert is_http_url("http://a.b:65535/c") and is_http_url("http://a.b:8080/c")
