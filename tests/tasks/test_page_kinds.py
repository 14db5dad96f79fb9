"""Page kinds: listings, collections, products and paywalls are told from articles."""

from __future__ import annotations

import time

import lxml.html
import pytest

from tasks.page_dates import jsonld_objects
from tasks.page_kinds import (
    LIST_WEIGHTS,
    PageSignals,
    _slug,
    day_archive,
    kind_by_rules,
    list_likelihood,
    page_kind,
    page_shape,
    page_signals,
    prose_lines,
    weighs_shape,
)

PROSE = (
    "The council met on Tuesday evening to discuss the plan for the harbour, which has been "
    "debated for more than two years without a decision being reached by anyone involved."
)


def signals(html: str, url: str = "https://site.example/a", og: str | None = None) -> PageSignals:
    tree = lxml.html.document_fromstring(html)
    return page_signals(tree, url, og, jsonld_objects(tree))


def card(i: int, price: str = "") -> str:
    return (
        f'<li class="tile"><a href="/item-{i}"><img src="/i{i}.jpg"></a>'
        f'<h3><a href="/item-{i}">A very good thing number {i}</a></h3>{price}</li>'
    )


def test_repeated_cards_with_prices_make_a_shop_collection():
    grid = "".join(card(i, f"<span>${i}9.99</span>") for i in range(12))
    found = signals(f"<html><body><h1>Kettles</h1><ul>{grid}</ul></body></html>")
    assert (found.cards, found.priced_cards) == (12, 12)
    kind = page_kind(
        found, url="https://shop.example/c/kettles", title="Kettles", main_text="", words=80,
        dated_by_markup=False,
    )  # fmt: skip
    assert kind is not None and kind[0] == "collection"


def test_a_declared_product_is_a_product_unless_it_is_an_article():
    product = signals(
        '<html><head><script type="application/ld+json">{"@type": "Product", "name": "Kettle",'
        ' "offers": {"@type": "Offer", "price": "29.99"}}</script></head><body><p>'
        f"{PROSE}</p></body></html>"
    )
    assert product.product_by_markup and not product.declares_article
    kind = page_kind(product, url="https://shop.example/p/kettle-2000", title="Kettle 2000",
                     main_text=PROSE, words=300, dated_by_markup=False)  # fmt: skip
    assert kind is not None and kind[0] == "product"
    review = signals(
        '<html><head><script type="application/ld+json">[{"@type": "Review"},'
        ' {"@type": "NewsArticle", "datePublished": "2024-01-02"}, {"@type": "Product"}]'
        f"</script></head><body><p>{PROSE}</p></body></html>"
    )
    assert review.declares_article_markup
    assert page_kind(review, url="https://news.example/best-kettles-reviewed", title="The best"
                     " kettles, tested", main_text=PROSE, words=900, dated_by_markup=True) is None  # fmt: skip


def test_a_shop_page_is_a_product_whatever_its_cms_says_about_it_as_a_page():
    """A shop's CMS gives every page og:type "article" and a dated WebPage: the Product in
    its structured data, with no Article beside it, still makes it a product page; a review
    that declares its Review is kept."""
    head = (
        '<meta property="og:type" content="article"><script type="application/ld+json">'
        '{"@graph": [{"@type": "WebPage", "datePublished": "2024-01-02T10:00:00+00:00"},'
        ' {"@type": "Product", "name": "Kettle", "offers": {"@type": "Offer", "price": "29"}}'
        "%s]}</script>"
    )
    body = f"<body><p>{PROSE}</p></body>"
    shop = signals(f"<html><head>{head % ''}</head>{body}</html>", og="article")
    assert shop.declares_article and not shop.declares_article_markup
    kind = page_kind(shop, url="https://shop.example/product/kettle-2000", title="Kettle 2000",
                     main_text=PROSE, words=300, dated_by_markup=True)  # fmt: skip
    assert kind is not None and kind[0] == "product"
    with_review = head % ', {"@type": "Review"}'
    review = signals(f"<html><head>{with_review}</head>{body}</html>", og="article")
    assert review.declares_review
    assert page_kind(review, url="https://blog.example/kettle-2000-review", title="Kettle 2000"
                     " review", main_text=PROSE, words=300, dated_by_markup=True) is None  # fmt: skip
    # a review that names its product in JSON-LD and says nothing more, but has an author
    assert page_kind(shop, url="https://blog.example/kettle-2000-review", title="Kettle 2000"
                     " review", main_text=PROSE, words=300, dated_by_markup=True,
                     bylined=True) is None  # fmt: skip
    # an article that marks up a product it mentions in microdata
    mention = signals(
        '<html><head><meta property="og:type" content="article"></head><body><p>'
        f'{PROSE}</p><div itemscope itemtype="https://schema.org/Product">Kettle</div>'
        "</body></html>",
        og="article",
    )
    assert mention.product_by_markup and not mention.product_by_jsonld
    assert page_kind(mention, url="https://news.example/magazine/kettles", title="Kettles"
                     " and winter", main_text=PROSE, words=300, dated_by_markup=True) is None  # fmt: skip


def undated_prose_kind(found: PageSignals, url: str, title: str) -> tuple[str, str] | None:
    """The kind of a page of 300 words of prose with no date of its own."""
    return page_kind(found, url=url, title=title, main_text=PROSE, words=300, dated_by_markup=False)


def test_some_products_or_a_collection_in_microdata_is_no_article():
    """schema.org's SomeProducts is a Product, "multiple similar products" (a Salesforce
    Commerce shop marks a category's grid with it): a collection; one Product is a product
    page, whatever it suggests beside it. A CollectionPage in microdata says what it says
    in JSON-LD."""
    some = signals(
        f"<html><body><h1>Bread Makers</h1><p>{PROSE}</p><div itemscope"
        ' itemtype="http://schema.org/SomeProducts"><a href="/p/1">Bread maker 1</a></div>'
        "</body></html>"
    )
    assert some.product_by_markup and some.product_grid and not some.declares_article
    kind = undated_prose_kind(some, "https://shop.example/appliances/bread-makers/", "Bread Makers")
    assert kind is not None and kind[0] == "collection"
    suggested = "".join(
        f'<li itemscope itemtype="http://schema.org/Product"><a href="/p/{i}">Toaster {i}</a></li>'
        for i in range(4)
    )
    one = signals(
        f'<html><body><div itemscope itemtype="http://schema.org/Product"><h1>Bread maker 0'
        f"</h1><p>{PROSE}</p></div><ul>{suggested}</ul></body></html>"
    )
    assert one.product_by_markup and not one.product_grid
    kind = undated_prose_kind(one, "https://shop.example/p/bread-maker-0", "Bread maker 0")
    assert kind is not None and kind[0] == "product"
    collection = signals(
        '<html><body itemscope itemtype="https://schema.org/CollectionPage"><h1>Automatic'
        f" Watches</h1><p>{PROSE}</p></body></html>"
    )
    assert collection.declares_collection
    kind = undated_prose_kind(collection, "https://watches.example/automatic-watches",
                              "Automatic Watches")  # fmt: skip
    assert kind is not None and kind[0] == "collection"


def test_a_page_with_a_shop_s_controls_is_a_shop_page():
    """A cart button with a quantity field is a product page, with a sort menu a shop's
    grid; an article on a shop's site, with the cart in its header, is still an article."""
    header = '<header><a href="/cart">Cart</a><button>Add to cart</button></header>'
    product = signals(
        f"<html><body>{header}<h1>Kettle 2000</h1><p>{PROSE}</p><form>"
        '<input name="quantity" value="1"><button type="submit">Add to Bag</button>'
        "</form></body></html>"
    )
    assert product.shop_controls == ("cart button", "quantity field")
    kind = kind_by_rules(product, url="https://shop.example/kettle-2000", title="Kettle 2000",
                         main_text=PROSE, words=300, dated_by_markup=False)  # fmt: skip
    assert kind is not None and kind[0] == "product" and "quantity field" in kind[1]
    grid = signals(
        '<html><body><select id="sort-by"><option>Price</option></select>'
        f"{header}<p>{PROSE}</p></body></html>"
    )
    kind = kind_by_rules(grid, url="https://shop.example/kettles", title="Kettles",
                         main_text=PROSE, words=300, dated_by_markup=False)  # fmt: skip
    assert kind is not None and kind[0] == "collection"
    article = signals(f"<html><body>{header}<h1>How to descale</h1><p>{PROSE}</p></body></html>")
    assert article.shop_controls == ("cart button",)
    assert kind_by_rules(article, url="https://shop.example/blogs/how-to-descale-a-kettle",
                         title="How to descale a kettle", main_text=PROSE, words=300,
                         dated_by_markup=False) is None  # fmt: skip


def test_an_article_with_related_cards_is_still_an_article():
    body = "".join(f"<p>{PROSE}</p>" for _ in range(10))
    related = "".join(card(i) for i in range(12))
    found = signals(
        f"<html><body><article><h1>Harbour plan</h1>{body}</article><ul>{related}</ul></body></html>"
    )
    assert found.prose_block_words >= 300
    text = "\n".join([PROSE] * 10)
    assert prose_lines(text, found.card_texts) == 10
    assert page_kind(found, url="https://news.example/harbour-plan-approved", title="Harbour"
                     " plan", main_text=text, words=400, dated_by_markup=False) is None  # fmt: skip


def test_an_old_sites_story_in_font_tags_is_prose():
    # A story written as loose text in a <font>, its paragraphs broken by <br>s, in a
    # table cell of the page's frame: no <p> holds it, and it was no prose at all
    story = "<br><br>".join([PROSE] * 4)
    found = signals(
        "<html><body><table><tr><td><a href='/'>Home</a></td><td><font size='5'><b>Harbour"
        f" plan</b></font><br><font size='3'>{story}</font></td></tr></table></body></html>"
    )
    assert found.prose_block_words >= 4 * len(PROSE.split())
    # ... and a <font> inside a paragraph is counted once, with its paragraph
    found = signals(f"<html><body><p><font>{PROSE}</font></p></body></html>")
    assert found.prose_block_words == len(PROSE.split())


def test_headlines_without_prose_at_a_section_address_are_a_listing():
    teasers = "".join(card(i) for i in range(15))
    found = signals(f"<html><body><h1>Science</h1><ul>{teasers}</ul></body></html>", og="article")
    assert found.declares_article and not found.declares_article_markup
    kind = page_kind(found, url="https://news.example/sections/science", title="Science",
                     main_text="Science", words=60, dated_by_markup=True)  # fmt: skip
    assert kind is not None and kind[0] == "listing"
    # ... but a page that says it is an article in JSON-LD is never rejected on structure alone
    declared = signals(
        '<html><head><script type="application/ld+json">{"@type": "NewsArticle"}</script></head>'
        f"<body><h1>Science</h1><ul>{teasers}</ul></body></html>"
    )
    assert page_kind(declared, url="https://news.example/sections/science", title="Science",
                     main_text="Science", words=60, dated_by_markup=True) is None  # fmt: skip


def test_a_short_text_before_a_subscription_wall_is_a_paywall_teaser():
    found = signals(
        '<html><head><script type="application/ld+json">{"@type": "NewsArticle",'
        ' "isAccessibleForFree": false}</script></head><body><p>Teaser.</p></body></html>'
    )
    assert found.behind_paywall
    kind = page_kind(found, url="https://news.example/deal", title="The deal",
                     main_text="Teaser.", words=60, dated_by_markup=True)  # fmt: skip
    assert kind is not None and kind[0] == "paywall"
    open_page = signals("<html><body><p>Teaser.</p></body></html>")
    walled = "Two paragraphs of teaser.\nSubscribe now to continue reading this story."
    kind = page_kind(open_page, url="https://news.example/deal", title="The deal",
                     main_text=walled, words=60, dated_by_markup=True)  # fmt: skip
    assert kind is not None and kind[0] == "paywall"
    long_story = "\n".join([PROSE] * 30 + [walled])
    paragraphs = f"<p>{PROSE}</p>" * 30
    story_page = signals(f"<html><body><article>{paragraphs}</article></body></html>")
    assert page_kind(story_page, url="https://news.example/deal", title="The deal",
                     main_text=long_story, words=900, dated_by_markup=True) is None  # fmt: skip


def test_malformed_links_do_not_break_the_signals():
    found = signals('<html><body><a href="http://[ccpa-preferences]/x">Do not sell my data</a>'
                    '<a href="//[::1">A broken link to somewhere else</a></body></html>')  # fmt: skip
    assert found.headline_links == 0


def test_a_dated_post_or_a_numbered_item_is_not_a_section():
    teasers = "".join(card(i) for i in range(15))
    story = "".join(f"<p>{PROSE}</p>" for _ in range(8))  # its main text, below, in its markup
    found = signals(
        f"<html><body><h1>Autonews</h1><article>{story}</article><ul>{teasers}</ul></body></html>",
        og="article",
    )
    for url in (
        "https://blog.example/2019/11/17/autonews",
        "https://blog.example/2019/11/autonews",
        "https://news.example/autonews.php?newsid=6486285",
    ):
        assert page_kind(found, url=url, title="Autonews: the harbour plan is approved",
                         main_text="\n".join([PROSE] * 8), words=240,
                         dated_by_markup=True) is None, url  # fmt: skip


def test_a_blogs_archive_of_a_day_or_a_month_is_no_dated_post():
    """WordPress lists a day's or a month's posts at ".../2024/03/05/" and ".../2024/03/":
    a date in the address made them dated posts, kept as articles whatever they showed."""
    teasers = "".join(card(i) for i in range(15))
    found = signals(f"<html><body><h1>March 5, 2024</h1><ul>{teasers}</ul></body></html>")
    for url in (
        "https://blog.example/2024/03/05/",
        "https://blog.example/2024/03/",
        "https://blog.example/2024/03/page/2/",
        "https://blog.example/2024/03/05/index.html",
    ):
        kind = page_kind(found, url=url, title="March 5, 2024", main_text="March 5, 2024",
                         words=60, dated_by_markup=False)  # fmt: skip
        assert kind is not None and kind[0] == "listing", url
    # the same page at a post's address is a post (a short one, with its related links)
    assert page_kind(found, url="https://blog.example/2024/03/05/march-5-2024/",
                     title="March 5, 2024", main_text="March 5, 2024", words=60,
                     dated_by_markup=False) is None  # fmt: skip


def test_an_authors_or_a_tags_archive_with_a_bio_above_its_list_is_a_listing():
    """An author's page: a bio of 120-160 words above the headlines of the author's
    stories; with dated teaser cards, it was "dated" and kept as an article."""
    bio = " ".join([PROSE] * 4)  # about 120 words, in one paragraph
    teasers = "".join(card(i) for i in range(12))
    found = signals(
        f"<html><body><h1>Renee Park</h1><div class='author-bio'><p>{bio}</p></div>"
        f"<ul>{teasers}</ul></body></html>",
        og="profile",
    )
    for url in (
        "https://news.example/author/renee-park-2/",
        "https://news.example/author/renee-park-2/page/3/",
        "https://news.example/tag/harbour",
    ):
        kind = page_kind(found, url=url, title="Renee Park", main_text=bio, words=130,
                         dated_by_markup=True)  # fmt: skip
        assert kind is not None and kind[0] == "listing", url
    # ... whatever its markup says (a theme that marks every archive up as an Article)
    marked = signals(
        '<html><head><script type="application/ld+json">{"@type": "Article", "headline":'
        f' "Housing"}}</script></head><body><h1>Housing</h1><ul>{teasers}</ul></body></html>'
    )
    assert marked.declares_article_markup
    kind = page_kind(marked, url="https://news.example/tag/housing/", title="Housing",
                     main_text=bio, words=130, dated_by_markup=True)  # fmt: skip
    assert kind is not None and kind[0] == "listing"
    # a story about an author, at a story's address, is not judged by that rule
    assert page_kind(found, url="https://news.example/books/renee-park-on-her-new-novel",
                     title="Renee Park on her new novel", main_text=bio, words=130,
                     dated_by_markup=True) is None  # fmt: skip


def test_a_shop_grid_the_rules_miss_is_told_by_its_shape():
    tiles = "".join(card(i, f"<span>${i}9.99</span>") for i in range(4))
    links = "".join(f'<li><a href="/c/kettles/page-{i}">More kettles and toasters page {i}</a></li>'
                    for i in range(6))  # fmt: skip
    found = signals(f"<html><body><h1>Kettles</h1><ul>{tiles}</ul><ul>{links}</ul></body></html>")
    assert found.priced_cards == 4 and weighs_shape(
        found, "https://shop.example/c/kettles-and-toasters"
    )
    text = "\n".join(f"A very good thing number {i}\n${i}9.99" for i in range(4))
    args = {"url": "https://shop.example/c/kettles-and-toasters", "title": "Kettles",
            "main_text": text, "words": 40, "dated_by_markup": False}  # fmt: skip
    assert kind_by_rules(found, **args) is None  # fewer priced cards than a rule needs
    kind = page_kind(found, **args, visible_chars=len(text) * 3)
    assert kind is not None and kind[0] == "collection"
    assert kind[1].startswith("shaped like a list, shop or service page")
    assert "4 priced, 100% of the text in cards, 0% in sentences" in kind[1]


def test_an_article_that_mentions_prices_and_links_keeps_its_shape():
    tiles = "".join(card(i, f"<span>${i}9.99</span>") for i in range(4))
    body = "".join(f"<p>{PROSE}</p>" for _ in range(8))
    found = signals(f"<html><body><article>{body}</article><ul>{tiles}</ul></body></html>")
    text = "\n".join([PROSE] * 8)
    kind = page_kind(found, url="https://news.example/harbour-plan-approved-after-two-years",
                     title="The harbour plan is approved after two years of debate",
                     main_text=text, words=240, dated_by_markup=True, bylined=True,
                     visible_chars=len(text) + 400)  # fmt: skip
    assert kind is None


def test_only_a_page_that_shows_a_list_and_calls_itself_no_article_is_weighed():
    prose = signals(f"<html><body><article><p>{PROSE}</p></article></body></html>")
    assert not weighs_shape(prose, "https://poems.example/lyrics/song")  # nothing of a list
    assert weighs_shape(prose, "https://shop.example/products/song-book")  # a shop's address
    # prices in its text, or lines of its text that are links elsewhere on the page
    prices = "Kettle\n$29.99\nToaster\n$39.99\nMug\n$4.99"
    assert weighs_shape(prose, "https://poems.example/lyrics/song", main_text=prices)
    assert not weighs_shape(prose, "https://poems.example/lyrics/song", main_text=PROSE)
    assert weighs_shape(prose, "https://poems.example/lyrics/song", link_share=0.1)
    teasers = "".join(card(i) for i in range(15))
    listing = signals(f"<html><body><ul>{teasers}</ul></body></html>")
    assert weighs_shape(listing, "https://news.example/latest-from-the-harbour")
    assert not weighs_shape(listing, "https://news.example/2024/03/09/harbour")  # a dated post
    declared = signals(
        '<html><head><script type="application/ld+json">{"@type": "NewsArticle"}</script></head>'
        f"<body><ul>{teasers}</ul></body></html>"
    )
    assert not weighs_shape(declared, "https://news.example/latest-from-the-harbour")


def test_verse_is_not_a_list_for_its_short_lines():
    verse = [
        "The harbour lights are burning low tonight", "and every boat is sleeping on the tide",
        "I walked the quay until the morning came", "and found your name still written there",
    ] * 4  # fmt: skip
    paragraphs = "".join(f"<p>{line}</p>" for line in verse)
    found = signals(
        f"<html><body><h1>Harbour Lights</h1><article>{paragraphs}</article></body></html>"
    )
    assert page_kind(found, url="https://songs.example/lyrics/harbour-lights",
                     title="Harbour Lights", main_text="\n".join(verse), words=130,
                     dated_by_markup=False, visible_chars=600) is None  # fmt: skip


def test_headline_links_count_the_whole_site_and_on_loopback_the_site_the_page_links_to():
    links = "".join(
        f'<a href="https://{host}/story-{i}">The harbour plan is approved at last {i}</a>'
        for i, host in enumerate(["www.harbournews.com", "blog.harbournews.com", "other.org"])
    )
    html = f"<html><body>{links}</body></html>"
    assert signals(html, url="https://harbournews.com/latest").headline_links == 2
    # Served from a test server, the page's links still lead to its own site: the site it
    # links to most.
    assert signals(html, url="http://127.0.0.1:8000/p/7").headline_links == 2
    relative = '<a href="/story-9">The harbour plan is approved at last again</a>'
    assert signals(f"<html><body>{relative}</body></html>",
                   url="http://127.0.0.1:8000/p/7").headline_links == 1  # fmt: skip
    # At a named address, a page's links to another site are not its own, however many.
    assert signals(html, url="https://mirror.org/p/7").headline_links == 0


def test_the_text_a_list_is_made_of_is_measured_in_its_cards():
    tiles = "".join(
        f'<li class="tile"><a href="/item-{i}"><h3>A very good thing number {i}</h3>'
        f'<div class="tile"><a href="/item-{i}/more"><img src="/x.jpg">Learn more</a></div>'
        f'<div class="tile"><a href="/item-{i}/buy"><img src="/x.jpg">Buy now</a></div>'
        f'<div class="tile"><a href="/item-{i}/ask"><img src="/x.jpg">Ask us</a></div></li>'
        for i in range(4)
    )
    found = signals(f"<html><body><h1>Things</h1><ul>{tiles}</ul></body></html>")
    inner = len("A very good thing number 0Learn moreBuy nowAsk us")
    assert found.card_chars == 4 * inner  # the cards inside a card are not counted again
    text = "\n".join(f"A very good thing number {i}\nLearn more" for i in range(4))
    shape = page_shape(found, url="https://shop.example/things", title="Things", main_text=text,
                       dated_by_markup=False, bylined=False, visible_chars=8 * inner,
                       link_share=0.0)  # fmt: skip
    assert shape["card_share"] == 0.5
    assert shape["card_lines"] == 1.0  # every line of the text is a card's
    assert shape["repeated_lines"] == 1.0  # "A very good thing number N" and "Learn more"
    article = page_shape(found, url="https://shop.example/things", title="Things",
                         main_text="\n".join([PROSE] * 3), dated_by_markup=False, bylined=False,
                         visible_chars=8 * inner, link_share=0.0)  # fmt: skip
    assert article["card_lines"] == 0.0
    assert article["repeated_lines"] == 1.0  # the same sentence three times
    assert page_shape(found, url="https://shop.example/things", title="Things", main_text=text,
                      dated_by_markup=False, bylined=False, visible_chars=0,
                      link_share=0.0)["card_share"] == 0.0  # fmt: skip


def test_the_shape_model_weighs_every_feature_it_reads():
    shape = page_shape(signals("<html><body><p>x</p></body></html>"), url="https://a.example/b",
                       title="B", main_text="Some words here.", dated_by_markup=False,
                       bylined=False, visible_chars=100, link_share=0.0)  # fmt: skip
    assert set(shape) == set(LIST_WEIGHTS)
    assert 0.0 < list_likelihood(shape) < 1.0


def test_a_catalogue_address_makes_a_page_more_likely_a_list():
    tiles = "".join(card(i) for i in range(6))
    found = signals(f"<html><body><h1>Mugs</h1><ul>{tiles}</ul></body></html>")
    text = "\n".join(f"A very good thing number {i}" for i in range(6))

    def likelihood(url: str) -> float:
        shape = page_shape(found, url=url, title="Mugs", main_text=text, dated_by_markup=False,
                           bylined=False, visible_chars=len(text) * 3, link_share=0.0)  # fmt: skip
        return list_likelihood(shape)

    catalogues = ("https://shop.example/collections/mugs", "https://shop.example/dp/B0X1",
                  "https://blog.example/category/mugs/", "https://shop.example/products/mug")  # fmt: skip
    for catalogue in catalogues:
        assert likelihood(catalogue) > likelihood("https://blog.example/mugs-we-liked")
    # a word that only contains one of them is no catalogue
    assert likelihood("https://blog.example/shopping-for-mugs") == likelihood(
        "https://blog.example/hoping-for-mugs"
    )


@pytest.mark.parametrize(
    ("url", "slug"),
    [
        (
            "https://mag.example/magazin/snow-rules-you-should-know/15002914/",
            "snow-rules-you-should-know",
        ),
        ("https://news.example/district/343604", "343604"),  # "district" names a section
        ("https://a.example/recipes/dinner", "dinner"),
        ("https://a.example/story.html", "story"),
        ("https://a.example/", ""),
    ],
)
def test_the_slug_is_the_page_s_own_name_not_its_number(url, slug):
    assert _slug(url) == slug


def test_prices_are_read_with_their_currency_before_or_after():
    found = signals("<html><body><p>A kettle.</p></body></html>")
    text = "Was 249€.149€ now; $3.50 or 12,99 € or 1.234,56 zł; 100 kr; 5 USD; 2,000 people."
    shape = page_shape(found, url="https://shop.example/k", title="Kettle", main_text=text,
                       dated_by_markup=False, bylined=False, visible_chars=0, link_share=0.0)  # fmt: skip
    assert shape["price_density"] == pytest.approx(7 / (len(text.split()) / 100))


def test_a_long_run_of_digits_and_commas_is_read_in_linear_time():
    """Tried from each digit of "1,1,1,...", the search for a price with its currency after
    it was quadratic: this text of 80 KB took 150 s. It now takes a few milliseconds."""
    found = signals("<html><body><p>Numbers.</p></body></html>")
    for run in ("1," * 40_000, "1,," * 30_000, "1." * 40_000):
        started = time.monotonic()
        assert weighs_shape(found, "https://site.example/a", main_text=run) is False
        assert time.monotonic() - started < 10


# Chinese is written without spaces: counted by spaces, a paragraph was one word, so a
# Chinese article had no prose and a Chinese section page no headline links.
ZH_PROSE = (
    "市议会星期二晚上开会讨论港口改造计划，这个计划已经争论了两年多，至今仍未作出任何决定。"
    "议员们表示，他们希望在年底之前听取更多居民的意见，然后再进行最后的投票。"
)


def zh_card(i: int) -> str:
    return (
        f'<li class="tile"><a href="/shehui/{i}.html"><img src="/i{i}.jpg"></a>'
        f'<h3><a href="/shehui/{i}.html">港口改造计划第{i}次听证会今天在市政厅举行</a></h3></li>'
    )


def test_a_chinese_article_with_related_links_is_an_article():
    linked = f'<p><a href="/shehui/plan.html">港口计划</a>{ZH_PROSE}</p>'
    body = linked * 2 + f"<p>{ZH_PROSE}</p>" * 6
    related = "".join(zh_card(i) for i in range(12))
    found = signals(
        f"<html><body><article><h1>港口改造计划仍未决定</h1>{body}</article>"
        f"<ul>{related}</ul></body></html>",
        url="https://news.example.cn/shehui/harbour-plan.html",
    )
    assert found.prose_block_words >= 300
    assert found.headline_links >= 12
    text = "\n".join(["港口计划" + ZH_PROSE] * 2 + [ZH_PROSE] * 6)
    assert prose_lines(text, found.card_texts) == 8
    kind = page_kind(found, url="https://news.example.cn/shehui/harbour-plan.html",
                     title="港口改造计划仍未决定", main_text=text, words=640,
                     dated_by_markup=False, visible_chars=len(text) + 300,
                     link_share=0.06)  # fmt: skip
    assert kind is None


def test_a_chinese_section_of_headlines_is_a_listing():
    teasers = "".join(zh_card(i) for i in range(15))
    found = signals(
        f"<html><body><h1>社会</h1><ul>{teasers}</ul></body></html>",
        url="https://news.example.cn/shehui/",
    )
    assert found.cards == 15 and found.headline_links >= 15
    text = "\n".join(f"港口改造计划第{i}次听证会今天在市政厅举行" for i in range(15))
    kind = page_kind(found, url="https://news.example.cn/shehui/", title="社会",
                     main_text=text, words=300, dated_by_markup=False,
                     visible_chars=len(text) + 20)  # fmt: skip
    assert kind is not None and kind[0] == "listing"


@pytest.mark.parametrize(
    "wall",
    [
        "Lesen Sie jetzt weiter mit NK+",
        "Cet article est réservé aux abonnés.",
        "Este contenido es exclusivo para suscriptores.",
        "Questo articolo è riservato agli abbonati.",
        "Esta matéria é exclusiva para assinantes.",
        "Dit artikel is alleen beschikbaar voor abonnees.",
        "This post is for paying subscribers only",
        "Unlock this article and all of our journalism for $1 a week.",
        "This story is available exclusively to subscribers.",
        "This article is only available to subscribers.",
        "You've reached your free article limit for this month.",
    ],
)
def test_a_wall_in_another_language_or_wording_is_a_paywall(wall):
    teaser = f"{PROSE}\n{wall}"
    kind = page_kind(signals(f"<html><body><p>{PROSE}</p><p>{wall}</p></body></html>"),
                     url="https://news.example/deal", title="The deal", main_text=teaser,
                     words=60, dated_by_markup=True)  # fmt: skip
    assert kind is not None and kind[0] == "paywall"


def test_a_wall_left_out_of_the_main_text_is_read_in_its_own_box():
    # The extractor drops Piano's or Ghost's box under the teaser; the page kind read only
    # the main text, and kept the teaser as an article
    for box in (
        '<div class="piano-paywall"><h3>Keep reading</h3><p>Unlock this article for $1.</p>',
        '<div class="gh-post-upgrade-cta"><h2>This post is for paying subscribers only</h2>',
    ):
        found = signals(f"<html><body><article><p>{PROSE}</p></article>{box}</div></body></html>")
        kind = page_kind(found, url="https://news.example/deal", title="The deal",
                         main_text=PROSE, words=60, dated_by_markup=True)  # fmt: skip
        assert kind is not None and kind[0] == "paywall"
    # a box of that name that walls nothing off is no wall
    plain = signals(f'<html><body><p>{PROSE}</p><div class="paywall">Thanks</div></body></html>')
    assert page_kind(plain, url="https://news.example/deal", title="The deal",
                     main_text=PROSE, words=60, dated_by_markup=True) is None  # fmt: skip


@pytest.mark.parametrize(
    ("button", "field", "url"),
    [
        ("In den Warenkorb", "menge", "https://keramik.example/produkt/teeschale"),
        ("Ajouter au panier", "quantite", "https://savon.example/boutique/savon-miel"),
        ("Añadir al carrito", "cantidad", "https://tienda.example/tienda/taza"),
    ],
)
def test_a_shop_in_another_language_shows_its_controls(button, field, url):
    found = signals(
        f"<html><body><h1>Teeschale</h1><p>{PROSE}</p><form>"
        f'<input name="{field}" value="1"><button type="submit">{button}</button>'
        "</form></body></html>",
        url=url,
    )
    assert found.shop_controls == ("cart button", "quantity field")
    kind = kind_by_rules(found, url=url, title="Teeschale", main_text=PROSE, words=300,
                         dated_by_markup=False)  # fmt: skip
    assert kind is not None and kind[0] == "product"


def test_article_microdata_on_each_card_of_a_list_declares_no_article():
    # A theme marks every teaser of a category page a BlogPosting (or every card of a
    # recipe grid a Recipe): it read as the page's own markup, which exempts an article
    # from the list rules
    cards = "".join(
        f'<div itemscope itemtype="https://schema.org/BlogPosting"><h2 itemprop="headline">'
        f'<a href="/post-{i}">A very good post number {i}</a></h2></div>'
        for i in range(12)
    )
    listing = signals(f"<html><body><h1>Weeknight dinners</h1>{cards}</body></html>")
    assert not listing.declares_article_markup
    own = (
        '<html><body><article itemscope itemtype="https://schema.org/BlogPosting">'
        f'<h1 itemprop="headline">The post</h1><p>{PROSE}</p></article>{cards}</body></html>'
    )
    assert signals(own).declares_article_markup  # the item holding the headline is the page
    one = f'<html><body><div itemscope itemtype="http://schema.org/Article"><p>{PROSE}</p>'
    assert signals(one + "</div></body></html>").declares_article_markup


def test_a_comments_sort_menu_is_no_shop_control():
    # A feature with a shop widget's "Add to basket" in its sidebar and a "Sort by" menu
    # over its comments counted two shop controls: rejected as a collection
    page = signals(
        f"<html><body><h1>The last coracle makers</h1><p>{PROSE}</p>"
        '<aside><div class="shop-widget"><button>Add to basket</button></div></aside>'
        '<section id="comments"><select id="comment-sort" name="orderby">'
        "<option>Newest first</option></select></section>"
        '<div class="comments"><select name="sort"><option>Oldest</option></select></div>'
        "</body></html>"
    )
    assert page.shop_controls == ("cart button",)
    assert kind_by_rules(page, url="https://mag.example/features/the-last-coracle-makers",
                         title="The last coracle makers", main_text=PROSE, words=300,
                         dated_by_markup=False) is None  # fmt: skip


def test_a_card_s_headline_is_read_where_its_link_wraps_more_or_nothing():
    # Hugo PaperMod lays an empty link over each card (its label names the post); Ghost's
    # link wraps the card's heading and its excerpt: neither counted as a headline link
    excerpt = "A long excerpt of the post that runs on for many words, " * 3
    overlay = "".join(
        f'<article class="post-entry"><header><h2>Rust tip number {i} for you</h2></header>'
        f'<a class="entry-link" aria-label="post link to Rust tip number {i}" href="/posts/{i}/">'
        "</a></article>"
        for i in range(12)
    )
    wrapped = "".join(
        f'<article class="post-card"><a href="/p{i}/"><h2>What we learned in week {i}</h2>'
        f"<p>{excerpt}</p></a></article>"
        for i in range(12)
    )
    for cards in (overlay, wrapped):
        found = signals(
            f"<html><body><h1>Rust</h1>{cards}</body></html>", "https://blog.example/tags/rust/"
        )
        assert found.headline_links == 12


@pytest.mark.parametrize(
    ("declared", "heading", "kind"),
    [
        ('{"@type": "JobPosting", "title": "Reporter", "datePosted": "2024-06-01"}',
         "Reporter (full time)", "job"),
        ('{"@type": "MusicEvent", "name": "Jazz in the Park", "startDate": "2024-06-14"}',
         "Jazz in the Park 2024", "event"),
        ('{"@type": "PodcastSeries", "name": "The Daily Herald"}', "The Daily Herald podcast",
         "listing"),
        ('{"@graph": [{"@type": "WebPage"}, {"@type": "Service", "serviceType": "Boiler'
         ' repairs"}]}', "Boiler repairs in Leeds", "service"),
        ('{"@type": "SoftwareApplication", "name": "Ledger", "url": "/things/it"}', "Get it",
         "product"),
        ('{"@type": "ProfilePage", "mainEntity": {"@type": "Person", "name": "Lena Ortiz"}}',
         "Lena Ortiz", "listing"),
    ],
)  # fmt: skip
def test_a_page_that_declares_a_job_an_event_or_a_service_is_no_article(declared, heading, kind):
    """A job's posting, an event's page, a podcast's episodes, a service or an app offered,
    an author's profile: the page's own JSON-LD says what it is, as a product's does,
    where the page is named for it or the object names this page as its address."""
    page = f'<script type="application/ld+json">{declared}</script>'
    html = f"<html><head>{page}</head><body><h1>{heading}</h1><p>{PROSE}</p></body></html>"
    found = signals(html, url="https://herald.example/things/it")
    found_kind = undated_prose_kind(found, "https://herald.example/things/it", heading)
    assert found_kind is not None and found_kind[0] == kind
    # the same object on a page named for something else is the site's, not the page's
    other = signals(html.replace(f"<h1>{heading}</h1>", "<h1>From the pastor</h1>"),
                    url="https://herald.example/newsletter/from-the-pastor")  # fmt: skip
    assert other.declared_entity == ""


@pytest.mark.parametrize(
    ("item_type", "kind"),
    [("https://schema.org/MusicEvent", "event"), ("http://schema.org/JobPosting", "job"),
     ("https://schema.org/SoftwareApplication", "product")],
)  # fmt: skip
def test_a_page_whose_microdata_names_it_a_job_an_event_or_an_app_is_no_article(item_type, kind):
    """An event's, a job's or an app's page in microdata only: its item gives this page as
    its address."""
    url = "https://herald.example/things/it"
    item = (
        f'<div itemscope itemtype="{item_type}"><h1 itemprop="name">Jazz on the Green</h1>'
        f'<link itemprop="url" href="/things/it"><p>{PROSE}</p></div>'
    )
    found = signals(f"<html><body>{item}</body></html>", url=url)
    found_kind = undated_prose_kind(found, url, "Jazz on the Green")
    assert found_kind is not None and found_kind[0] == kind
    # ... not where it names another page (the site's "next event"), or none: a review
    # site marks up the concert or the app it reviews around its review, or in a box named
    # for it; nor where it is another item's part (what an article is about)
    for html in (
        item.replace("/things/it", "/events/jazz"),
        item.replace('<link itemprop="url" href="/things/it">', ""),
        '<div itemscope itemtype="https://schema.org/NewsArticle">'
        + item.replace("itemscope", 'itemprop="about" itemscope')
        + "</div>",
    ):
        assert signals(f"<html><body>{html}</body></html>", url=url).declared_entity == ""
    # ... nor a dated post's ("/2025/05/03/slug"), whatever it marks up
    dated = "https://herald.example/2025/05/03/things/it"
    found = signals(f"<html><body>{item.replace('/things/it', dated)}</body></html>", url=dated)
    assert found.declared_entity != ""
    assert undated_prose_kind(found, dated, "Jazz on the Green") is None


def test_an_article_about_an_event_or_a_service_stays_an_article():
    event = '{"@type": "MusicEvent", "name": "Jazz in the Park", "startDate": "2024-06-14"}'
    article = '{"@type": "NewsArticle", "headline": "Jazz returns to the park"}'
    both = signals(
        f'<html><head><script type="application/ld+json">[{article}, {event}]</script></head>'
        f"<body><h1>Jazz in the Park returns</h1><p>{PROSE}</p></body></html>"
    )
    assert both.declared_entity == "musicevent"
    assert undated_prose_kind(both, "https://herald.example/jazz", "Jazz returns") is None
    alone_html = (
        f'<html><head><script type="application/ld+json">{event}</script></head>'
        f"<body><h1>Jazz in the Park returns</h1><p>{PROSE}</p></body></html>"
    )
    alone = signals(alone_html)
    # ... or names its writer
    assert page_kind(alone, url="https://herald.example/jazz", title="Jazz returns",
                     main_text=PROSE, words=300, dated_by_markup=True, bylined=True) is None  # fmt: skip
    # ... or calls itself an article (og:type: an app's review, a show's recap, where the
    # site marks its app or show up on the page named for it), or dates itself in its
    # article markup ("article:published_time"); an event's date where a byline would be
    # is the event's
    url = "https://herald.example/jazz"
    assert undated_prose_kind(signals(alone_html, og="article"), url, "Jazz") is None
    assert page_kind(alone, url=url, title="Jazz", main_text=PROSE, words=300,
                     dated_by_markup=True, dated_in_head=True) is None  # fmt: skip
    kind = page_kind(alone, url=url, title="Jazz", main_text=PROSE, words=300,
                     dated_by_markup=True)  # fmt: skip
    assert kind is not None and kind[0] == "event"
    # a site's "next event" on every page names the event's own page: not this one's
    for address, heading, path, declared in (
        ("https://church.example/events/picnic", "From the pastor", "newsletter/letter", ""),
        ('/events/picnic/", "@id": "#event', "Picnic", "events/picnic", "musicevent"),
    ):
        found = signals(
            f'<html><head><script type="application/ld+json">{event[:-1]}, "url": "{address}"}}'
            f"</script></head><body><h1>{heading}</h1><p>{PROSE}</p></body></html>",
            url=f"https://church.example/{path}",
        )
        assert found.declared_entity == declared, address
    # an event the article only mentions is no declaration
    about = signals(
        f'<html><head><script type="application/ld+json">{article[:-1]}, "about": {event}}}'
        f"</script></head><body><h1>Jazz</h1><p>{PROSE}</p></body></html>"
    )
    assert about.declared_entity == ""


def test_og_type_profile_is_an_author_s_page():
    """The page names its person, as a byline would (or its teasers their writers)."""
    found = signals(f"<html><body><h1>Lena Ortiz</h1><p>{PROSE}</p></body></html>", og="profile")
    for bylined in (False, True):
        kind = page_kind(found, url="https://food.example/lena", title="Lena Ortiz",
                         main_text=PROSE, words=300, dated_by_markup=False, bylined=bylined)  # fmt: skip
        assert kind is not None and kind[0] == "listing"


def test_a_shop_s_blog_post_that_sells_under_each_item_is_an_article():
    """A gift guide on a shop's blog shows a cart button and a quantity field under each
    item; its theme writes no JSON-LD, but og:type, its own date and its byline say what
    it is. Without them, the same controls make it a shop's page."""
    item = (
        '<form><input name="quantity" value="1"><button type="submit">Add to cart</button></form>'
    )
    found = signals(
        f"<html><body><h1>Gifts for hikers</h1><p>{PROSE}</p>{item}<p>{PROSE}</p>{item}"
        "</body></html>",
        og="article",
    )
    assert found.shop_controls == ("cart button", "quantity field")
    url = "https://shop.example/blogs/journal/gifts-for-hikers"
    assert kind_by_rules(found, url=url, title="Gifts for hikers", main_text=PROSE, words=300,
                         dated_by_markup=True, bylined=True) is None  # fmt: skip
    kind = kind_by_rules(found, url=url, title="Gifts for hikers", main_text=PROSE, words=300,
                         dated_by_markup=True)  # fmt: skip
    assert kind is not None and kind[0] == "product"


def test_a_price_and_a_cart_button_do_not_make_a_product():
    """A shop's brewing guide, undated and unsigned, with a price in its prose and a buy
    box under it, is an article (red team 24: a rule that read them as a product's page
    rejected two such guides and caught nothing on WCXB dev)."""
    found = signals(
        f"<html><body><h1>Cold brew at home</h1><p>{PROSE}</p><p>$16.50</p>"
        "<button>Add to cart</button></body></html>"
    )
    assert kind_by_rules(found, url="https://beans.example/brew-guides/cold-brew",
                         title="Cold brew at home", main_text=f"{PROSE}\n$16.50", words=300,
                         dated_by_markup=False) is None  # fmt: skip


def test_a_day_s_archive_is_no_post_of_that_day():
    """WordPress's archive of a day's posts is dated by its address as a post there is."""
    teasers = "".join(card(i) for i in range(12))
    found = signals(f"<html><body><h1>June 3, 2024</h1><ul>{teasers}</ul></body></html>")
    for url, listed in (
        ("https://metro.example/2024/06/03/", True),
        ("https://metro.example/2024/06/03/council-votes/", False),
    ):
        kind = page_kind(found, url=url, title="Stories from June 3, 2024", main_text=PROSE,
                         words=60, dated_by_markup=False, bylined=True)  # fmt: skip
        assert (kind is not None and kind[0] == "listing") is listed, url
    assert day_archive("https://metro.example/2024/06/03/")
    assert day_archive("https://metro.example/2024/06/03/page/2/")
    assert not day_archive("https://metro.example/2024/06/03/council-votes/")
    assert not day_archive("https://metro.example/news/council-votes/")
    assert day_archive("https://metro.example/blog/2024/06/03/")
    # a post whose address ends with its date
    assert not day_archive("https://photo.example/newsletter/framing-the-landscape/2024/09/16")


def excerpt_card(i: int) -> str:
    """A search result's or an archive's teaser in an <li>: its headline, then an excerpt
    of 40-odd words that stops short of a sentence's end."""
    excerpt = f"{PROSE} Residents who spoke at the meeting number {i} asked for [...]"
    return (
        f'<li class="result"><h3><a href="/news/story-{i}">Harbour plan story number {i} goes'
        f" on</a></h3><p>{excerpt}</p></li>"
    )


def test_teasers_excerpts_in_list_items_are_no_prose_block():
    """Ten excerpts in <li> items read as one block of 450 words of prose: the page was
    an article's size and shape, and a search page was stored as one."""
    results = "".join(excerpt_card(i) for i in range(10))
    found = signals(
        f"<html><body><h1>Search results for water</h1><ul class='results'>{results}</ul>"
        "</body></html>"
    )
    assert found.cards == 10 and found.own_prose_words == 0
    kind = page_kind(found, url="https://news.example/search?q=water", title="Search results",
                     main_text="", words=450, dated_by_markup=False)  # fmt: skip
    assert kind is not None and kind[0] == "listing"
    # an article's own paragraphs in a list of its own (no cards: no links) stay prose
    story = signals(f"<html><body><h1>What we know</h1><ul>{f'<li><p>{PROSE}</p></li>' * 10}"
                    "</ul></body></html>")  # fmt: skip
    assert story.own_prose_words == 10 * len(PROSE.split())


def test_a_roundup_whose_priced_picks_are_sold_elsewhere_is_no_shop():
    def pick(i: int, href: str) -> str:
        return (
            f'<div class="product-card"><h3><a href="{href}">Air fryer model {i}</a></h3>'
            f'<span class="price">${i}9.99</span><p>{PROSE}</p>'
            f'<a class="buy" href="{href}">Buy now</a></div>'
        )

    for href, sold_here in (("https://www.amazon.com/dp/B0{i}", 0), ("/products/fryer-{i}", 8)):
        picks = "".join(pick(i, href.format(i=i)) for i in range(8))
        found = signals(f"<html><body><h1>The best air fryers</h1>{picks}</body></html>",
                        url="https://www.citybites.example/guides/best-air-fryers")  # fmt: skip
        assert (found.priced_cards, found.priced_cards - found.priced_elsewhere) == (8, sold_here)
        kind = kind_by_rules(found, url="https://www.citybites.example/guides/best-air-fryers",
                             title="The best air fryers", main_text=PROSE, words=500,
                             dated_by_markup=False)  # fmt: skip
        assert (kind is not None and kind[0]) == ("collection" if sold_here else False)
    # served from loopback, the page's own site is the one its links name most
    picks = "".join(pick(i, f"https://shop.example/products/{i}") for i in range(8))
    found = signals(f"<html><body><a href='https://shop.example/'>Shop</a>{picks}</body></html>",
                    url="http://127.0.0.1:8000/p/1")  # fmt: skip
    assert found.priced_elsewhere == 0
