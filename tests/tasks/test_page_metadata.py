"""Title, site name and author, read as trafilatura reads them, the byline only on demand."""

from __future__ import annotations

import lxml.html
import pytest
import trafilatura

from tasks.extract import extract_page
from tasks.page_metadata import byline_author, labelled_author, linked_author, page_metadata
from wirehouse.records import Extraction
from wirehouse.settings import ExtractSettings

PROSE = " ".join(
    f"Sentence {i} of the report says the harbour council met again on Tuesday evening."
    for i in range(40)
)


def page(head: str, body: str) -> str:
    return f"<html><head>{head}</head><body>{body}</body></html>"


def test_title_site_and_author_come_from_the_pages_markup():
    html = page(
        "<title>Ferry times change | The Coastal Ledger</title>"
        '<meta property="og:site_name" content="The Coastal Ledger">'
        '<meta name="author" content="Maria Okafor">',
        f"<article><p>{PROSE}</p></article>",
    )
    found = page_metadata(trafilatura.load_html(html), "https://ledger.example.com/ferry")
    assert found.sitename == "The Coastal Ledger"
    assert found.author == "Maria Okafor"
    assert found.title is not None and found.title.startswith("Ferry times change")


def test_a_one_word_meta_author_is_a_handle_not_a_name():
    html = page('<meta name="author" content="admin">', f"<p>{PROSE}</p>")
    assert page_metadata(trafilatura.load_html(html), "https://a.example/x").author is None


def test_the_site_name_falls_back_to_the_host():
    html = page("<title>Ferry times</title>", f"<p>{PROSE}</p>")
    found = page_metadata(trafilatura.load_html(html), "https://www.ledger.example.com/ferry")
    assert found.sitename == "ledger.example.com"


@pytest.mark.parametrize(
    "claim",
    [
        '<base href="http://garbage.invalid/">',
        '<link rel="canonical" href="https://other.example/a">',
    ],
)
def test_the_host_is_where_the_page_was_fetched_not_where_it_says_it_is(claim):
    html = page(f"<title>Ferry times</title>{claim}", f"<p>{PROSE}</p>")
    found = page_metadata(trafilatura.load_html(html), "https://www.ledger.example.com/ferry")
    assert found.sitename == "ledger.example.com"


def test_the_byline_is_searched_only_when_nothing_else_names_an_author(monkeypatch):
    searched = []
    real = byline_author

    def counting(tree):
        searched.append(True)
        return real(tree)

    monkeypatch.setattr("tasks.extract.byline_author", counting)
    settings = ExtractSettings()
    byline = '<p class="byline">By <span class="author">Maria Okafor</span></p>'
    named = page(
        '<meta name="author" content="Maria Okafor">', f"<article><p>{PROSE}</p></article>"
    )
    result = extract_page(named.encode(), "https://ledger.example.com/a", "text/html", settings)
    assert isinstance(result, Extraction) and result.author == "Maria Okafor"
    assert searched == []
    unnamed = page("", f"<article>{byline}<p>{PROSE}</p></article>")
    result = extract_page(unnamed.encode(), "https://ledger.example.com/b", "text/html", settings)
    assert isinstance(result, Extraction) and result.author == "Maria Okafor"
    assert searched == [True]


def test_odd_markup_costs_the_byline_not_the_page(monkeypatch):
    def broken(tree):
        raise ValueError("odd markup")

    monkeypatch.setattr("trafilatura.metadata.extract_author", broken)
    tree = trafilatura.load_html(page("", f"<p>{PROSE}</p>"))
    assert byline_author(tree) is None


@pytest.mark.parametrize(
    ("byline", "author"),
    [
        ("Dr. Vahid Osman", "Dr. Vahid Osman"),
        ("Justin C. Meserole and Mary Lee", "Justin C. Meserole; Mary Lee"),
        ("Dr Ann Lee", "Dr Ann Lee"),  # written without the period: as written
        ("Sam Y. Kim.", "Sam Y. Kim"),  # a sentence's full stop is not the name's
    ],
)
def test_a_bylines_initials_and_titles_keep_their_periods(byline, author):
    tree = trafilatura.load_html(
        page("", f'<p class="byline">By <span class="author">{byline}</span></p><p>{PROSE}</p>')
    )
    assert byline_author(tree) == author


def body(html: str) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(f"<html><body>{html}</body></html>")


@pytest.mark.parametrize(
    ("html", "author"),
    [
        ('<div>By <a href="/authors/trevor-jackins">Trevor Jackins</a></div>', "Trevor Jackins"),
        ('<span><a href="https://news.example/author/jose-garcia/">José García</a></span>',
         "José García"),
        ('<p><a rel="author" href="/about">Jane Doe</a></p>', "Jane Doe"),
        # a tag or a topic is no person, however its name is spelled
        ('<a href="/tag/donald-trump">Donald Trump</a>', None),
        # the address must spell the name, and the name be one
        ('<a href="/author/someone-else">Jane Doe</a>', None),
        ('<a href="/authors/all">All Authors</a>', None),
        # another article's teaser in a sidebar names its own author
        ('<aside><a href="/author/jane-doe">Jane Doe</a></aside>', None),
        # a script without capitals, an author's page named in another language
        ('<p><a rel="author" href="/kuttab/42">محمد عبد الرحمن</a></p>', "محمد عبد الرحمن"),
        ('<p><a href="/autor/katarzyna-zielinska">Katarzyna Zielińska</a></p>',
         "Katarzyna Zielińska"),
    ],
)  # fmt: skip
def test_a_byline_links_to_its_author_s_page(html, author):
    assert linked_author(body(html), "https://news.example/2024/story") == author


@pytest.mark.parametrize(
    ("html", "author"),
    [
        ("<p>Written by</p><p>Edzel Tabing</p>", "Edzel Tabing"),
        ("<div><h2>Article by</h2><div>Matias Heikkilä</div></div>", "Matias Heikkilä"),
        ("<p>Written by John Crenshaw</p>", "John Crenshaw"),
        # the author's avatar between the label and the name
        (
            '<div><span>Written by:</span><picture><img src="/a.jpg" alt=""></picture>'
            "<span>Elise Nass</span></div>",
            "Elise Nass",
        ),
        ("<p>By <!-- -->Preetam Jinka</p>", "Preetam Jinka"),
        # the byline goes on after the name: a date, a role
        ("<p>by: <!-- -->Ziyi Xu<!-- -->,<!-- --> Dec 17, 2025</p>", "Ziyi Xu"),
        ("<p>By Jane Doe | Staff Writer</p>", "Jane Doe"),
        ("<p>By Jane Doe – 5 min read</p>", "Jane Doe"),
        ("<p>By the way, this is a sentence of the text.</p>", None),
        (
            "<p><font>By Labor Day, crews expect to have hauled the fallen trees away.</font></p>",
            None,
        ),
        ("<p>Written by</p><p>a team of volunteers over many years</p>", None),
        ("<footer><p>By Jane Doe</p></footer>", None),
        # a blog's post signs off in the article's own footer, with its date and category
        (
            "<article><h1>Preparing a transition</h1><p>Text.</p><footer><p>Posted by "
            "<a href='/'>Colin Watson</a> on 2025-12-18 in debusine.</p></footer></article>",
            "Colin Watson",
        ),
        ("<p>Posted by Jane Doe in Harbour news</p>", "Jane Doe"),
        # the date first (WordPress's "Posted on ... by ..."), a label in another language
        ("<p class='byline'>Posted on 3rd March 2024 by Tom Hughes</p>", "Tom Hughes"),
        # ... with the date in an element of its own (a Hugo theme's, WordPress's)
        (
            "<p class='meta'>Posted <abbr class='timeago' title='2023-09-12T19:20:00-05:00'>3 hours"
            " ago</abbr> by Tomás Lindgren</p>",
            "Tomás Lindgren",
        ),
        (
            "<div class='entry-meta'>Posted on <a href='/p/'><time>March 3, 2024</time></a> by "
            "<span class='author'><a href='/author/tom'>Tom Hughes</a></span></div>",
            "Tom Hughes",
        ),
        ("<p>Published <time>March 3, 2024</time> in the spring issue of the magazine</p>", None),
        # an old site's byline, set in a <font> after the headline, the writer's role on
        # its next line
        ("<font size='2'>By Mabel Finch - Posted 05/07/2025</font>", "Mabel Finch"),
        ("<font size='2'>By Bob Smith<br>Staff Writer</font>", "Bob Smith"),
        # ... or in bold or italics
        ("<font size='2'><b>By JAMES HOLLOWAY</b><br>Courier Staff</font>", "JAMES HOLLOWAY"),
        ("<p><em>By Jane Doe</em></p>", "Jane Doe"),
        ("<p><b>By</b> <a href='/jane'>Jane Doe</a></p>", "Jane Doe"),
        ("<p><b>By 2030, most</b> cars sold in the state will be electric.</p>", None),
        # ... not a teaser's line in italics, nor a bold subheading after the story's prose
        ("<p><em>Von Bremen nach Hamburg</em></p>", None),
        (
            f"<p>{'The ferry left the harbour at dawn and the sea was calm. ' * 3}</p>"
            "<p><b>By Car Ferry</b></p><p>The crossing takes two hours.</p>",
            None,
        ),
        ("<p>By <a href='/bob'>Bob Smith</a><br/>Staff Writer</p>", "Bob Smith"),
        ("<p>Von Lukas Frei</p>", "Lukas Frei"),
        ("<p>Par Claire Moreau, envoyée spéciale à Vannes</p>", "Claire Moreau"),
        ("<p>Director Jane Doe said the plan was sound.</p>", None),
        ("<p>Penulis: Rina Kartika</p>", "Rina Kartika"),
        ("<span>लेखक: प्रिया वर्मा</span>", "प्रिया वर्मा"),
        # ... and a teaser's footer in a sidebar is still the sidebar's
        ("<aside><article><footer><p>By Jane Doe</p></footer></article></aside>", None),
    ],
)
def test_a_byline_gives_its_author_after_its_label(html, author):
    assert labelled_author(body(html)) == author


def test_a_name_keeps_the_vowel_sign_that_ends_it():
    # a byline's trimming took any non-word character off its end, and a vowel sign is none
    html = page(
        "", f'<p class="byline">लेखक <span class="author">प्रिया वर्मा</span></p><p>{PROSE}</p>'
    )
    result = extract_page(
        html.encode(), "https://samachar.example/news/1", "text/html", ExtractSettings()
    )
    assert isinstance(result, Extraction) and result.author == "प्रिया वर्मा"
