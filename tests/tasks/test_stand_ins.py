"""Stand-ins: what a site sends in place of the page asked for is told from an article."""

from __future__ import annotations

import json
import time

import lxml.html
import pytest

from tasks.extract import extract_page
from tasks.stand_ins import (
    STAND_IN_WORDS,
    refresh_target,
    shown_headline,
    stand_in_by_markup,
    stand_in_by_name,
    stand_in_by_page,
)
from wirehouse.records import Extraction, Rejection
from wirehouse.settings import ExtractSettings

PROSE = (
    "The council met on Tuesday evening to discuss the plan for the harbour, which has been "
    "debated for more than two years without a decision being reached by anyone involved. "
)


def tree(html: str) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(html)


def extract(html: str, url: str = "https://paper.example/2024/03/11/mayor-runs-again/"):
    return extract_page(html.encode(), url, "text/html", ExtractSettings())


CLOUDFLARE = (
    "<html><head><title>Just a moment...</title></head><body><div class='main-wrapper'>"
    "<h2 id='challenge-running'>Checking if the site connection is secure</h2></div>"
    "<script>(function(){window._cf_chl_opt={cvId: '2', cType: 'managed'};}());</script>"
    "</body></html>"
)
NEXT_404 = json.dumps({"props": {"pageProps": {"statusCode": 404}}, "page": "/_error"})


@pytest.mark.parametrize(
    ("html", "kind", "said"),
    [
        (f"<html><body class='archive error404 wp-theme'><p>{PROSE}</p></body></html>",
         "not_found", "WordPress"),
        ("<html><body id='error-page'><div class='wp-die-message'>Error establishing a database"
         " connection</div></body></html>", "error", "wp_die"),
        (CLOUDFLARE, "blocked", "Cloudflare"),
        ("<html><body><div class='cf-browser-verification cf-im-under-attack'>x</div></body>"
         "</html>", "blocked", "Cloudflare"),
        ("<html><body><h1>Before we continue...</h1><div id='px-captcha'></div></body></html>",
         "blocked", "PerimeterX"),
        ("<html><body><p>Please enable JS</p><script src='https://ct.captcha-delivery.com/c.js'>"
         "</script></body></html>", "blocked", "DataDome"),
        (f"<html><body><h1>404</h1><script id='__NEXT_DATA__' type='application/json'>{NEXT_404}"
         "</script></body></html>", "not_found", "Next.js"),
        ("<html><head><meta name='next-error' content='not-found'></head><body><p>Gone</p>"
         "</body></html>", "not_found", "Next.js"),
        ("<html><body><iframe id='main-iframe' src='/_Incapsula_Resource?CWUDNSAI=9'>"
         "Request unsuccessful. Incapsula incident ID: 0-123</iframe></body></html>",
         "blocked", "Incapsula"),
        ("<html><body><div id='__nuxt'><div class='__nuxt-error-page'><div class='title'>"
         "This page could not be found</div></div></div></body></html>", "not_found", "Nuxt"),
    ],
)  # fmt: skip
def test_a_challenge_or_an_error_template_is_told_by_its_markup(html, kind, said):
    found = stand_in_by_markup(tree(html), html)
    assert found is not None and found.reason == "unavailable"
    assert found.kind == kind and said in found.detail


def test_the_scripts_a_guard_puts_on_every_page_are_no_challenge():
    """Cloudflare's beacon, PerimeterX's sensor, DataDome's tag and a Next.js article's data
    are on real articles too."""
    guarded = (
        "<html><head><script>window._pxAppId = 'PXa1b2c3';</script>"
        "<script src='https://js.datadome.co/tags.js'></script></head><body class='single-post'>"
        f"<h1>Mayor runs again</h1><p>{PROSE}</p><script>(function(){{var a=document."
        "createElement('script');a.src='/cdn-cgi/challenge-platform/scripts/jsd/main.js';})();"
        "</script><script id='__NEXT_DATA__' type='application/json'>"
        + json.dumps({"props": {"pageProps": {"story": {"id": 7}}}, "page": "/[section]/[slug]"})
        + "</script></body></html>"
    )
    assert stand_in_by_markup(tree(guarded), guarded) is None
    # a site's settings in its props naming its 404 page are not the page's own name
    config = json.dumps({"props": {"pageProps": {"notFound": {"page": "/404"}}},
                         "page": "/[...slug]"})  # fmt: skip
    app = f"<html><body><p>{PROSE}</p><script id='__NEXT_DATA__'>{config}</script></body></html>"
    assert stand_in_by_markup(tree(app), app) is None


@pytest.mark.parametrize(
    ("title", "headline", "reason", "kind"),
    [
        ("Page not found | The Daily Courier", "Oops! That page can’t be found.", "unavailable",
         "not_found"),
        ("The Daily Courier", "Oops! That page can’t be found.", "unavailable", "not_found"),
        ("404 | Valley Gazette", "404", "unavailable", "not_found"),
        ("Error 404 - Page Not Found", None, "unavailable", "not_found"),
        ("Metro Herald", "Sorry, we can't find that page.", "unavailable", "not_found"),
        ("Seite nicht gefunden – Tagesblatt", None, "unavailable", "not_found"),
        ("Article Unavailable | Northstar Tribune", "Two arrested in burglary ring",
         "unavailable", "removed"),
        ("Capital Ledger", "This article is no longer available", "unavailable", "removed"),
        ("Story expired | WireFeed", "Story no longer available", "unavailable", "removed"),
        ("Content removed - Riverside Post", None, "unavailable", "removed"),
        ("Just a moment...", None, "unavailable", "blocked"),
        ("Access Denied", "Access Denied", "unavailable", "blocked"),
        ("Valley Gazette", "Are you a robot?", "unavailable", "blocked"),
        ("Too Many Requests", "429 Too Many Requests", "unavailable", "blocked"),
        ("451: Unavailable for legal reasons", None, "unavailable", "blocked"),
        ("Before you continue | Metro Herald", "We value your privacy", "unavailable", "blocked"),
        ("Lakeside News", "We'll be back soon!", "unavailable", "error"),
        ("Database Error", "Error establishing a database connection", "unavailable", "error"),
        ("Browser not supported | NewsNow", None, "unavailable", "error"),
        ("503 Service Unavailable", None, "unavailable", "error"),
        ("Fehler 404 | Tagesblatt", "Ups! Diese Seite gibt es leider nicht.", "unavailable",
         "not_found"),
        ("Erro 404", "Ops! Página não encontrada", "unavailable", "not_found"),
        ("Error 404 (Not Found)!!1", None, "unavailable", "not_found"),
        ("Nuestro diario", "Lo sentimos, la página que buscas no existe", "unavailable",
         "not_found"),
        ("ページが見つかりませんでした", None, "unavailable", "not_found"),
        ("Cet article n'est plus disponible - Le Quotidien", None, "unavailable", "removed"),
        ("Материал удалён", None, "unavailable", "removed"),
        ("Ce contenu n'est pas disponible dans votre pays", None, "unavailable", "blocked"),
        ("Sito in manutenzione", "Torneremo presto!", "unavailable", "error"),
        ("Sign In | Capital Ledger", "Sign in to your account", "not_article", "login"),
        ("Create your free account - The Daily Courier", None, "not_article", "login"),
    ],
)  # fmt: skip
def test_a_short_page_is_a_stand_in_by_what_it_calls_itself(title, headline, reason, kind):
    found = stand_in_by_name(title, headline, words=60)
    assert found is not None and (found.reason, found.kind) == (reason, kind)


@pytest.mark.parametrize(
    ("title", "headline"),
    [
        ("Access denied: how a glitch locked 3,000 drivers out of the DMV site | Courier",
         "Access denied: how a glitch locked 3,000 drivers out of the DMV site"),
        ("Why so many news sites now ask 'Are you a robot?' - Tech Desk",
         "Why so many news sites now ask 'Are you a robot?'"),
        ("County site down for maintenance until Monday | Valley Gazette",
         "County site down for maintenance until Monday"),
        ("Error-prone: the council's budget, line by line", None),
        # a part of a headline is not the headline: only the site's name is cut off
        ("Access denied — court blocks records request | Courier", None),
        ("Lost and found: a wallet returned after 40 years", None),
        # a consent manager's or a sign-in box's heading is not the page's own name
        ("Mayor runs again | Metro Herald", "We value your privacy"),
        ("Woman attacks inspector at police station - Observer", "Log In"),
    ],
)  # fmt: skip
def test_an_article_about_an_outage_or_a_captcha_is_no_stand_in(title, headline):
    assert stand_in_by_name(title, headline, words=60) is None


@pytest.mark.parametrize(
    "title", ["Error | Stage Review", "Oops! | Brief", "Access Denied | Weekly Column",
              "Back soon | Courier", "Something went wrong | Letters"],
)  # fmt: skip
def test_a_short_article_named_like_a_stand_in_is_kept_by_its_byline_and_date(title):
    """A theatre review named "Error", a column named "Access Denied": a byline and a date
    say the page is an article of its own; a page that states a date without a byline is a
    stand-in only where its text says so too (a removed story's template keeps its date)."""
    review = "A bold, strange staging that never quite finds its feet, but the cast is superb."
    assert stand_in_by_name(title, None, 60, text=review, bylined=True, dated=True) is None
    assert stand_in_by_name(title, None, 60, text=review, dated=True) is None
    assert stand_in_by_name(title, None, 60, text=review) is not None
    gone = "This article has been removed from our website. We apologise."
    removed = stand_in_by_name("This article is no longer available | Ledger", None, 30,
                               text=gone, dated=True)  # fmt: skip
    assert removed is not None and removed.kind == "removed"


def test_a_title_of_marks_or_of_megabytes_is_read_in_linear_time():
    started = time.perf_counter()
    for title in ("Hello " + "!" * 5_000 + "x", "Page not found " + "-1" * 2_000_000):
        stand_in_by_name(title, title, words=10)
    assert time.perf_counter() - started < 1.0


def test_hidden_headings_and_refreshes_by_the_thousand_cost_no_more_than_a_few():
    """Red team 21: each hidden <h1> read its ancestors' megabyte class and style again
    (1,000 of them: 12 s), each refresh worked out a megabyte canonical's key (30: 18 s)."""
    started = time.perf_counter()
    page = tree(
        '<html><body class="' + "a " * 500_000 + '" style="' + "color:red;" * 100_000 + '">'
        + "<h1 hidden>x</h1>" * 1000 + "<h1>Real</h1></body></html>"
    )  # fmt: skip
    shown_headline(page)
    refreshes = tree(
        "<html><head>" + '<meta http-equiv="refresh" content="0;url=#">' * 30_000
        + "</head><body><p>hi</p></body></html>"
    )  # fmt: skip
    canonical = "http://host.example/x?" + "a&" * 500_000
    assert refresh_target(refreshes, "http://host.example/x", canonical) is None
    assert time.perf_counter() - started < 5


def test_what_a_page_calls_itself_counts_only_on_a_short_page():
    assert stand_in_by_name("Page not found | Courier", None, words=STAND_IN_WORDS) is not None
    # a column named "Oops!" is longer than any apology
    assert stand_in_by_name("Oops! | Courier", "Oops!", words=STAND_IN_WORDS + 1) is None


@pytest.mark.parametrize(
    ("content", "target"),
    [
        ("0; url=https://paper.example/news/new-home", "https://paper.example/news/new-home"),
        ("3;URL='/news/new-home'", "https://paper.example/news/new-home"),
        ("300", None),  # a live page that reloads itself
        ("0; url=https://paper.example/news/old-home/", None),  # itself
        ("60; url=https://paper.example/news/new-home", None),  # read long before it leaves
        ("0; url=javascript:alert(1)", None),
        ("0; url=https://paper.example/news/old-home?utm_source=mail", None),  # its clean self
    ],
)
def test_a_refresh_elsewhere_within_seconds_is_a_redirect(content, target):
    page = tree(f'<html><head><meta http-equiv="Refresh" content="{content}"></head></html>')
    found = refresh_target(page, "https://paper.example/news/old-home")
    assert (found[0] if found else None) == target


def test_a_refresh_only_a_browser_without_scripts_follows_is_no_redirect():
    page = tree(
        "<html><head><noscript><meta http-equiv='refresh' content='0; url=/enable-js.html'>"
        "</noscript></head><body><h1>Mayor runs again</h1></body></html>"
    )
    assert refresh_target(page, "https://paper.example/news/mayor") is None


def test_the_page_s_own_headline_is_the_first_shown_outside_forms_and_menus():
    page = tree(
        "<html><body><form id='login' style='display: none;'><h1>Log In</h1></form>"
        "<nav><h1>Menu</h1></nav><div hidden><h1>Oops!</h1></div><div style='display: none;'>"
        "<h1>Something went wrong</h1></div><div class='modal hidden'><h1>Oops!</h1></div>"
        "<header class='entry-header'>"
        "<h1>Woman attacks inspector at police station</h1></header></body></html>"
    )
    assert shown_headline(page) == "Woman attacks inspector at police station"


def test_a_page_that_shows_only_a_noscript_note_needs_javascript():
    note = "Please enable JavaScript to view this site. The Coastal Times requires JavaScript."
    shell = tree(
        f"<html><head><title>Coastal Times</title></head><body><noscript><div>{note}</div>"
        "</noscript><div id='root'></div></body></html>"
    )
    found = stand_in_by_page(shell, "https://coast.example/news/festival", canonical=None,
                             text=note, visible_chars=0, from_markup=False)  # fmt: skip
    assert found is not None and found.kind == "needs_script"
    # an app whose JSON-LD (or <noscript>) carries the article is that article
    assert stand_in_by_page(shell, "https://coast.example/news/festival", canonical=None,
                            text=PROSE, visible_chars=0, from_markup=True) is None  # fmt: skip


def test_stand_ins_are_rejected_with_their_kind_and_articles_about_them_kept():
    soft_404 = (
        "<html><head><title>Page not found | The Daily Courier</title>"
        "<meta property='og:type' content='article'></head><body><nav><a href='/'>Home</a>"
        "</nav><article><h1>Oops! That page can&rsquo;t be found.</h1><p>It looks like nothing"
        " was found at this location. Maybe try one of the links below or a search?</p>"
        "</article></body></html>"
    )
    found = extract(soft_404)
    assert isinstance(found, Rejection)
    assert (found.reason, found.page_kind) == ("unavailable", "not_found")
    assert isinstance(extract(CLOUDFLARE), Rejection)
    about = (
        "<html><head><title>Readers met 'Page not found' for a day | The Daily Courier</title>"
        "</head><body><article><h1>Readers met 'Page not found' for a day</h1>"
        "<p>For most of Tuesday, readers who followed links to the county's website were told"
        " 'Page not found' or asked 'Are you a robot?', after a security update went wrong.</p>"
        f"<p>{PROSE}</p></article></body></html>"
    )
    kept = extract(about)
    assert isinstance(kept, Extraction) and "Page not found" in kept.text
    stub = (
        "<html><head><title>Moved</title><meta http-equiv='refresh' content='3;url="
        "https://paper.example/world/quake-shakes-chile'></head><body><p>This story has moved."
        " If you are not redirected automatically, follow this link to the new location.</p>"
        "</body></html>"
    )
    # a <noscript>'s own paragraphs are not shown either (they were counted as the page's)
    shell = (
        "<html><head><title>Coastal Times</title></head><body><noscript><div class='note'>"
        "Please enable JavaScript to view this site. The Coastal Times website requires "
        "JavaScript to display news, weather and sports. To enable it, check your browser "
        "settings.</div></noscript><div id='root'></div></body></html>"
    )
    app = extract(shell, "https://coast.example/news/tides-festival-returns")
    assert isinstance(app, Rejection) and app.page_kind == "needs_script"
    moved = extract(stub, "https://paper.example/world/chile-quake-old-url")
    assert isinstance(moved, Rejection) and moved.reason == "redirect"
    assert "https://paper.example/world/quake-shakes-chile" in moved.detail
