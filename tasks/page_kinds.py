"""What kind of page this is, when it is not an article: listing, collection, product,
service, job, event, paywall.

A page is judged by what it says about itself (og:type, its JSON-LD @type, product and price
markup, whether its own markup dates it) and by how it is built: an article has a block of
prose paragraphs in one container; a listing is links to other pages, in repeated cards or
as headlines, with no such block; a shop's collection is repeated cards with prices. A page
that declares itself an article is only ever rejected on strong evidence: rejecting a real
article costs more than keeping a list.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from tasks.page_dates import ARTICLE_TYPES, jsonld_types, url_day_end, url_day_span
from tasks.text import spaced_words
from tasks.urls import host_domain, is_named_host, url_key

# Product and its schema.org subtypes that name things for sale; of them, those that name
# several at once ("SomeProducts: multiple similar products").
_PRODUCT_GRIDS = frozenset({"someproducts", "productcollection"})
_PRODUCT_TYPES = (
    frozenset({"product", "productgroup", "individualproduct", "productmodel"}) | _PRODUCT_GRIDS
)
_REVIEW_TYPES = frozenset({"review", "criticreview", "userreview"})
# What a page declares itself to be when it is one thing that is no article, by its own
# JSON-LD object's type (not one it mentions: an article about a concert may mark the
# concert up too): a job's posting, an event's page (each of schema.org's Event subtypes),
# a podcast's or a show's page of episodes, a property to let or sell, a service or a piece
# of software offered, a person's profile (an author's page of posts). Each to its kind.
_EVENT_TYPES = frozenset(
    {
        "event", "businessevent", "childrensevent", "comedyevent", "courseinstance",
        "danceevent", "deliveryevent", "educationevent", "eventseries", "exhibitionevent",
        "festival", "foodevent", "hackathon", "literaryevent", "musicevent", "saleevent",
        "screeningevent", "socialevent", "sportsevent", "theaterevent", "visualartsevent",
    }
)  # fmt: skip
_ENTITY_KINDS: dict[str, str] = {
    "jobposting": "job",
    **dict.fromkeys(_EVENT_TYPES, "event"),
    **dict.fromkeys(("podcastseries", "podcastseason", "radioseries", "tvseries"), "listing"),
    "realestatelisting": "product",
    **dict.fromkeys(("service", "financialproduct", "broadcastservice"), "service"),
    **dict.fromkeys(
        ("softwareapplication", "webapplication", "mobileapplication", "videogame"), "product"
    ),
    "profilepage": "listing",
}
# Not ItemList: listicles ("the 10 best ...") mark up their items as one.
_COLLECTION_TYPES = frozenset({"collectionpage", "searchresultspage", "offercatalog"})
_PRICE_MARKUP = (
    '//*[@itemprop="price"] | //meta[@property="product:price:amount"]'
    ' | //meta[@property="og:price:amount"]'
)
# A price with its currency after it is read from a number's first digit, and a number is
# digits with one separator between them: tried from each digit of any run of digits, commas
# and dots ("1,1,1,..."), the search was quadratic (80 KB of it took 150 s).
_PRICE = re.compile(
    r"(?:[$£€¥₹]|\bUSD|\bEUR|\bGBP)\s?\d[\d,.]*"
    r"|(?<!\d)(?<!\d[,.])\d+(?:[,.]\d+)*\s?(?:€|\bUSD\b|\bEUR\b|zł|\bkr\b)"
)
# A sentence's end: Latin, Chinese, Devanagari (danda), Arabic and Urdu, Khmer, Myanmar.
_SENTENCE_LINE = re.compile(r"[.!?。！？।॥؟۔។။][\"'”’)]?$")
_SLUG_WORDS = re.compile(r"[-_+\s]+|%20")
_SECTION_NAME = re.compile(r"[A-Za-z%]{2,24}")  # "/sections/science", "/economy/"
_EXTENSION = re.compile(r"\.\w{2,5}$")
_DIGITS = re.compile(r"\d+")
_NOT_SECTIONS = frozenset({"index", "default", "home", "article", "story", "post", "view", "show"})
# Elements that wrap paragraphs without making a block of their own.
_WRAPPERS = frozenset(
    {"td", "tr", "tbody", "table", "span", "font", "b", "i", "em", "strong", "center", "li", "ul"}
)
_DATED_PATH = re.compile(r"/(19|20)\d{2}/(0[1-9]|1[0-2])/")
# What follows a date in the address of an archive's page rather than of a post.
_NO_POST = re.compile(r"(?:^|/)(?:page/\d+|index\.\w+|amp|feed)(?=/|$)", re.I)
# A path segment that names a shop's or a catalogue's pages: what a CMS puts in front of a
# product, a product grid or a category archive (WordPress's "/category/<name>/", Shopify's
# "/collections/", Amazon's "/dp/"), and never in front of an article of its own.
_SHOP_PATH = re.compile(
    r"/(products?|shop|cart|collections|category|categories|browse|dp|catalog"
    # ... in the languages whose dates the page reader knows
    r"|produkte?|produits?|productos?|prodott[oi]|produtos?|producten|boutique|tienda|negozio"
    r"|loja|winkel|warenkorb|panier|carrito|carrello|carrinho|winkelwagen)(/|$)",
    re.I,
)
# The address of a CMS's archive of one author's or one tag's posts (WordPress's
# "/author/<name>/" and "/tag/<name>/", paged as ".../page/2/"): a list, whatever a bio or
# a tag's description above it says. ("/topic/" is also a forum thread's, an encyclopedia
# article's.)
_AUTHOR_OR_TAG_ARCHIVE = re.compile(
    r"/(authors?|writers?|contributors?|tags?|autor(?:en)?|auteurs?|autore)/[^/]+/?"
    r"(?:page/\d+/?)?$",
    re.I,
)
_HIDDEN = frozenset({"script", "style", "noscript", "template"})
# A shop's controls: a button that puts the item in a cart, a quantity field, a menu that
# sorts a grid. An article on a shop's site shows the cart in its header at most.
_CART_BUTTON = re.compile(
    r"\badd to (cart|bag|basket|trolley)\b|\bin den (warenkorb|einkaufswagen)\b"
    r"|\bajouter au panier\b|\ba[ñn]adir al (carrito|carro|cesta)\b|\baggiungi al carrello\b"
    r"|\badicionar ao (carrinho|cesto)\b|\b(in|aan) (de )?winkelwagen\b",
    re.I,
)
_QUANTITY_FIELD = etree.XPath(
    "//input[contains(translate(@name, 'QUANTITY', 'quantity'), 'quantity')"
    " or translate(@name, 'QTY', 'qty') = 'qty'"
    " or translate(@name, 'MENGQUATIÉDCNOR', 'mengquatiédcnor') = 'menge'"
    " or starts-with(translate(@name, 'QUANTIÉ', 'quantié'), 'quantit')"
    " or translate(@name, 'CANTIDAD', 'cantidad') = 'cantidad'"
    " or translate(@name, 'AANTL', 'aantl') = 'aantal']"
)
# A shop's sort menu: Shopify's "SortBy", Magento's "sorter", WooCommerce's "orderby" (not
# in a sidebar's widget: a shop's blog shows its products there). (A sort menu of a page's
# comments, "Newest first", is no shop's.)
_SORT_MENU = etree.XPath(
    "//select[(contains(translate(@name, 'SORT', 'sort'), 'sort')"
    " or contains(translate(@id, 'SORT', 'sort'), 'sort')"
    " or @name = 'orderby' and not(ancestor::aside or ancestor::nav or ancestor::footer"
    " or ancestor::*[contains(@class, 'widget')]))"
    " and not(contains(translate(@id, 'COMENT', 'coment'), 'comment')"
    " or contains(translate(@name, 'COMENT', 'coment'), 'comment')"
    " or ancestor::*[@id='comments' or @id='disqus_thread'"
    " or contains(concat(' ', normalize-space(@class), ' '), ' comments ')"
    " or contains(@class, 'comments-area') or contains(@class, 'comment-list')])]"
)
# Paywall and login-wall phrasing of a teaser page (its text stops where the wall starts).
_PAYWALL = re.compile(
    r"\b(subscribe|sign in|log ?in|register|become a (member|subscriber))\b[^.\n]{0,40}"
    r"\bto (continue|keep) reading\b"
    r"|\b(subscribe|sign in|log ?in)\b[^.\n]{0,30}\bto (read|access|unlock) (the full|this|the rest)"
    r"|\b(this|the rest of this) (article|story|content|post) is (only |exclusively )?"
    r"(available|reserved|exclusive)( only| exclusively)? (to|for) (paid )?(subscribers|members)"
    r"|\b(this|the rest of this) (article|story|content|post) is for (paying|paid) (subscribers|members)"
    r"|\bunlock (this|the full|the rest of this) (article|story)\b"
    r"|\b(you've|you have) (reached|used) (your|all of your|the) (limit of )?(free|\d+ free)"
    r" (articles|stories)\b|\breached your (free )?(article|story) limit\b"
    # ... in the languages whose dates the page reader knows
    r"|\b(lesen sie|jetzt) (jetzt )?weiter mit\b|\bmit [\w+]+ weiterlesen\b"
    r"|\b(artikel|beitrag|inhalt) ist (nur )?(f[üu]r|exklusiv f[üu]r) (abonnenten|abonnentinnen)"
    r"|\b(article|contenu|suite)\b[^.\n]{0,30}\br[ée]serv[ée]e? (exclusivement )?aux abonn[ée]s"
    r"|\babonnez-vous pour (lire|continuer)"
    r"|\b(art[íi]culo|contenido|noticia)\b[^.\n]{0,30}\b(exclusivo|reservado) para (suscriptores|abonados)"
    r"|\bsusc[rí]bete para (seguir|continuar) leyendo"
    r"|\b(articolo|contenuto)\b[^.\n]{0,30}\briservat[oa] agli abbonati"
    r"|\b(mat[ée]ria|conte[úu]do|reportagem)\b[^.\n]{0,30}\bexclusiv[oa] para assinantes"
    r"|\bassine para (continuar|ler)"
    r"|\b(artikel|bericht)\b[^.\n]{0,30}\balleen (beschikbaar )?voor abonnees",
    re.I,
)
# Where a CMS puts the wall itself, under the teaser (Piano's "piano-paywall", Ghost's
# "gh-post-upgrade-cta", a "regwall"): the extractor leaves it out of the main text.
_WALL_BOX = etree.XPath(
    "//*[contains(translate(@class, 'PAYWLRGIUDC', 'paywlrgiudc'), 'paywall')"
    " or contains(translate(@class, 'REGWAL', 'regwal'), 'regwall')"
    " or contains(translate(@id, 'PAYWL', 'paywl'), 'paywall')"
    " or contains(@class, 'upgrade-cta')]"
)

# Thresholds, from the WCXB development split (rules chosen on its even page ids, checked on
# its odd ones) and kept round; see bench/eval_wcxb.py.
PROSE_BLOCK_WORDS = 300  # words of prose paragraphs in one container: an article's body
SHORT_BLOCK_WORDS = 100  # below this, a page has no body of its own
DECLARED_BLOCK_WORDS = 120  # ... the same, for a page that calls itself an article
PROSE_LINES = 12  # sentences-long lines of main text outside the cards: prose
FEW_PROSE_LINES = 8  # a list of other pages has fewer (its teasers are in cards)
LINKY = 10  # headline links or cards that make a page a list of other pages
PRICED_CARDS = 5  # cards with a price: a shop's grid
PRICED_SHARE = 0.3  # ... among all its cards
PAYWALL_WORDS = 200  # a teaser behind a wall is shorter than this
REPEATED_LINE = 3  # a line the main text says this often, numbers aside, is a template's
SHOP_CONTROLS = 2  # of a cart button, a quantity field and a sort menu: a shop's page


@dataclass(frozen=True, slots=True)
class PageSignals:
    """What a page says about itself and how it is built, as the page-kind rules read it."""

    declares_article: bool  # og:type article, or an Article/BlogPosting/... type in markup
    calls_itself_website: bool  # og:type website: what a CMS says of its section pages
    declares_article_markup: bool  # ... the type, in JSON-LD or microdata
    product_by_og: bool  # og:type product (or a shop's "...:item")
    product_by_markup: bool  # a Product in JSON-LD or microdata
    product_by_jsonld: bool  # a Product as the page's own JSON-LD object (not one it mentions)
    declares_review: bool  # a Review as the page's own JSON-LD or microdata (a review page)
    price_markup: bool  # itemprop="price", product:price:amount
    declares_collection: (
        bool  # CollectionPage / SearchResultsPage / OfferCatalog (JSON-LD or microdata)
    )
    behind_paywall: bool  # JSON-LD isAccessibleForFree: false
    prose_block_words: int  # the largest block of prose paragraphs (``_prose_block_words``)
    headline_links: int  # links to the same site whose text reads like a headline
    cards: int  # members of repeated sibling structures that hold a link
    priced_cards: int
    card_texts: frozenset[str]  # normalised texts inside the cards
    # priced cards whose links all lead to other sites: a roundup's picks, sold elsewhere
    # (a shop's tiles link to its own product pages)
    priced_elsewhere: int = 0
    # ... of it, outside the page's teaser cards: the page's own prose, by which the rules
    # judge it (a search page's ten excerpts in <li> items are one block of 450 words);
    # the shape model, fitted on the whole block, weighs that (an article whose paragraphs
    # sit in linked sibling blocks lost its prose, read so); None: the whole block
    own_prose_words: int | None = None
    card_chars: int = 0  # characters of visible text inside the cards (counted once)
    # Which of a shop's controls it shows: "cart button", "quantity field", "sort menu".
    shop_controls: tuple[str, ...] = ()
    wall_text: str = ""  # the text of a paywall's own box (``_WALL_BOX``), if the page has one
    # SomeProducts or ProductCollection: what a Salesforce Commerce shop puts on a
    # category's grid. (Several Products are no grid: a product's page marks up the others
    # it suggests.)
    product_grid: bool = False
    # The schema.org type of a thing no article is, that the page's own JSON-LD declares
    # it to be (``_ENTITY_KINDS``), or og:type "profile"; "" where it declares none.
    declared_entity: str = ""


def _flat(text: str) -> str:
    return " ".join(text.split()).casefold()


def _item_types(node: lxml.html.HtmlElement) -> set[str]:
    return {value.rstrip("/").rsplit("/", 1)[-1].lower() for value in node.get("itemtype").split()}


def _one_article_item(tree: lxml.html.HtmlElement) -> bool:
    """Whether the page's microdata declares it an article: an item of an article's type
    that holds the headline, or one such item and its parts. Separate items side by side
    are a list's cards (a theme that marks each teaser of a category page a BlogPosting, a
    grid of Recipe cards)."""
    items = [node for node in tree.xpath("//*[@itemtype]") if _item_types(node) & ARTICLE_TYPES]
    if not items:
        return False
    if any(item.xpath(".//h1") for item in items):
        return True
    first = items[0]
    return all(first in item.iterancestors() for item in items[1:])


def page_signals(
    tree: lxml.html.HtmlElement, url: str, og_type: str | None, jsonld: list[dict[str, Any]]
) -> PageSignals:
    """Read the signals; the tree's scripts and styles are dropped (call this last)."""
    for node in list(tree.iter(*_HIDDEN)):
        node.drop_tree()
    types = {kind for item in jsonld for kind in jsonld_types(item)}
    og = (og_type or "").strip().lower()
    itemtypes = {
        str(value).rstrip("/").rsplit("/", 1)[-1].lower() for value in tree.xpath("//@itemtype")
    }
    declares_markup = bool(types & ARTICLE_TYPES) or _one_article_item(tree)
    cards = _cards(tree)
    priced = [card for card in cards if _PRICE.search(card.text_content())]
    sites = _site_domains(tree, url)
    card_texts = frozenset(
        text
        for card in cards
        for node in card.iter()
        if isinstance(node.tag, str)
        for text in (_flat(node.text_content()),)
        if text
    )
    return PageSignals(
        declares_article=og == "article" or declares_markup,
        calls_itself_website=og == "website",
        declares_article_markup=declares_markup,
        product_by_og="product" in og or og.endswith(":item"),
        product_by_markup=bool((types | itemtypes) & _PRODUCT_TYPES),
        product_by_jsonld=bool(types & _PRODUCT_TYPES),
        declares_review=bool((types | itemtypes) & _REVIEW_TYPES),
        price_markup=bool(tree.xpath(_PRICE_MARKUP)),
        declares_collection=bool((types | itemtypes) & _COLLECTION_TYPES),
        behind_paywall=any(
            str(item.get("isAccessibleForFree", "")).lower() == "false" for item in jsonld
        ),
        prose_block_words=_prose_block_words(tree),
        own_prose_words=_prose_block_words(tree, cards),
        headline_links=_headline_links(tree, url, sites),
        cards=len(cards),
        priced_cards=len(priced),
        priced_elsewhere=sum(1 for card in priced if _links_elsewhere(card, url, sites)),
        card_texts=card_texts,
        card_chars=_card_chars(cards),
        shop_controls=_shop_controls(tree),
        product_grid=bool((types | itemtypes) & _PRODUCT_GRIDS),
        declared_entity=_declared_entity(tree, url, jsonld)
        or ("profile" if og == "profile" else ""),
        wall_text=" ".join(" ".join(" ".join(node.itertext()).split()) for node in _WALL_BOX(tree))[
            :2000
        ],
    )


_WORDS = re.compile(r"\w+")


def _item_of(node: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    """The microdata item a property belongs to: the nearest element around it with
    ``itemscope``."""
    return next((up for up in node.iterancestors() if up.get("itemscope") is not None), None)


def _microdata_entity(tree: lxml.html.HtmlElement, url: str) -> str:
    """The type of a thing no article is that a top-level microdata item declares where
    the item gives this page as its address (``itemprop="url"``). An item that is
    another's property is a part of that one. (Not by its name, nor by holding the page's
    headline: a review site marks up the app or the concert it reviews around the review,
    or in a box named for it.)"""
    for item in tree.xpath("//*[@itemscope and @itemtype and not(@itemprop)]"):
        kinds = sorted(kind for kind in _item_types(item) if kind in _ENTITY_KINDS)
        if not kinds:
            continue
        for node in item.iterdescendants():
            if not isinstance(node.tag, str) or node.get("itemprop") != "url":
                continue
            if _item_of(node) is not item:
                continue
            own = (node.get("href") or node.get("content") or node.text_content()).strip()
            if not own:
                continue
            if url_key(urljoin(url, own)) == url_key(url):
                return kinds[0]
            break  # the item's own address, and it is another page's
    return ""


def _declared_entity(tree: lxml.html.HtmlElement, url: str, jsonld: list[dict[str, Any]]) -> str:
    """The type of a thing no article is (``_ENTITY_KINDS``) that one of the page's own
    JSON-LD objects declares, or a top-level microdata item that names this page as its
    address, where it is the page's: it names this page as its address, or the page is
    named for it (half its name's words in the <title> or an <h1>: "Registered Nurse -
    Med/Surg"). A site's "next event" or its savings account, marked up on every page,
    names another page or is not what this one is named for."""
    page_words: set[str] | None = None
    for item in jsonld:
        kinds = sorted(kind for kind in jsonld_types(item) if kind in _ENTITY_KINDS)
        if not kinds:
            continue
        own = item.get("url") or item.get("@id")
        if isinstance(own, str) and own.strip() and not own.startswith("#"):
            if url_key(urljoin(url, own.strip())) == url_key(url):
                return kinds[0]
            continue  # another page's
        main = item.get("mainEntity")  # a profile's person
        names = [
            str(thing[key])
            for thing in (item, main if isinstance(main, dict) else {})
            for key in ("name", "title", "serviceType")
            if isinstance(thing.get(key), str)
        ]
        if page_words is None:
            shown = [tree.findtext(".//title") or ""]
            shown += [h1.text_content() for h1 in tree.iter("h1")][:3]
            page_words = {word for text in shown for word in _WORDS.findall(text.casefold())}
        for name in names:
            words = set(_WORDS.findall(name.casefold()))
            if words and len(words & page_words) * 2 >= len(words):
                return kinds[0]
    return _microdata_entity(tree, url)


def _card_chars(cards: list[lxml.html.HtmlElement]) -> int:
    """Characters of text inside the cards, a card inside another counted once, measured
    as ``extract.page_facts`` measures the page's visible text."""
    members = set(cards)
    chars = 0
    for card in cards:
        if any(ancestor in members for ancestor in card.iterancestors()):
            continue
        for node in card.iter():
            if isinstance(node.tag, str):
                chars += len((node.text or "").strip())
                if node is not card:
                    chars += len((node.tail or "").strip())
    return chars


def _shop_controls(tree: lxml.html.HtmlElement) -> tuple[str, ...]:
    cart = any(
        _CART_BUTTON.search(text)
        for node in tree.iter("button", "a", "input")
        for text in (node.get("value", "") if node.tag == "input" else node.text_content(),)
        if len(text) < 60
    )
    shown = (cart, bool(_QUANTITY_FIELD(tree)), bool(_SORT_MENU(tree)))
    names = ("cart button", "quantity field", "sort menu")
    return tuple(name for name, present in zip(names, shown, strict=True) if present)


def _prose_block_words(
    tree: lxml.html.HtmlElement, cards: Iterable[lxml.html.HtmlElement] = ()
) -> int:
    """Words of the largest set of prose paragraphs that share one container. A paragraph
    is a <p> or <blockquote>, or the loose text of a <div> written with <br>s (or of a
    <font> in it: an old site's story); paragraphs set in table cells or inline wrappers
    belong to the block around them. A paragraph inside one of ``cards`` is a teaser's
    excerpt, not prose of the page's own (a search page's or an archive's ten excerpts in
    ``<li>`` items read as one block of 450 words)."""
    per_block: dict[lxml.html.HtmlElement, int] = defaultdict(int)
    in_cards = {node for card in cards for node in card.iterdescendants()}
    for node in tree.iter("p", "blockquote", "div", "section", "td", "font"):
        if node in in_cards:
            continue
        if node.tag in ("p", "blockquote"):
            text = " ".join(node.text_content().split())
        elif node.tag == "font" and any(
            ancestor.tag in ("p", "blockquote") for ancestor in node.iterancestors()
        ):
            continue  # counted with its paragraph
        else:  # only the text written directly in it, between its children
            text = " ".join(" ".join([node.text or "", *(c.tail or "" for c in node)]).split())
            if node.tag == "td" and spaced_words(text) < 12:
                continue
        words = spaced_words(text)
        if words < 12:
            continue
        if node.tag in ("p", "blockquote"):
            linked = sum(len(" ".join(a.text_content().split())) for a in node.iter("a"))
            if linked > 0.3 * len(text):
                continue
        block = node.getparent() if node.tag in ("p", "blockquote") else node
        while block is not None and block.tag in _WRAPPERS:
            block = block.getparent()
        if block is not None:
            per_block[block] += words
    return max(per_block.values(), default=0)


def _link_headline(link: lxml.html.HtmlElement) -> str:
    """The headline a link shows: its heading where it wraps a card's heading and excerpt
    (Ghost's cards), its label where it is an empty overlay on a card (Hugo PaperMod's
    "post link to ..."), else its text."""
    heading = next(link.iter("h1", "h2", "h3", "h4"), None)
    if heading is not None:
        return str(heading.text_content())
    text = str(link.text_content())
    if text.strip():
        return text
    return str(link.get("aria-label") or link.get("title") or "")


def _link_domain(link: lxml.html.HtmlElement, url: str) -> str | None:
    """The registrable domain a link leads to; None for an anchor on the page or no link."""
    href = link.get("href")
    if not href or href.startswith("#"):
        return None
    try:
        host = urlsplit(urljoin(url, href)).hostname
    except ValueError:  # a malformed href ("http://[x]") is no link to anywhere
        return None
    return host_domain(host) if host else None


def _site_domains(tree: lxml.html.HtmlElement, url: str) -> set[str]:
    """The page's own site: its address's registrable domain (news.example.com links to
    www.example.com); at an address on no named host (a test server on loopback, a mirror
    by IP address) also the domain the page's own links point to most: a page links
    mostly to its own site."""
    own = host_domain(urlsplit(url).hostname or "")
    if is_named_host(own):
        return {own}
    domains = Counter(
        domain for link in tree.iter("a") if (domain := _link_domain(link, url)) is not None
    )
    named = [(n, d) for d, n in domains.items() if is_named_host(d)]
    return {own, max(named)[1]} if named else {own}


def _headline_links(tree: lxml.html.HtmlElement, url: str, sites: set[str]) -> int:
    """Links to other pages of the page's site (``sites``) whose text is a headline (4 to
    25 words)."""
    return sum(
        1
        for link in tree.iter("a")
        if 4 <= spaced_words(_link_headline(link)) <= 25 and _link_domain(link, url) in sites
    )


def _links_elsewhere(card: lxml.html.HtmlElement, url: str, sites: set[str]) -> bool:
    """Whether a card links only to other sites than the page's (``sites``)."""
    domains = {domain for link in card.iter("a") if (domain := _link_domain(link, url))}
    return bool(domains) and not domains & sites


# Only an element with three or more element children can hold three alike siblings.
_PARENTS_OF_THREE = etree.XPath("//*[count(*) >= 3]")


def _cards(tree: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    """Members of repeated structures: three or more siblings of one tag and class, each a
    link with a picture, a heading or a line of text (teasers, product tiles)."""
    found: list[lxml.html.HtmlElement] = []
    for parent in _PARENTS_OF_THREE(tree):  # in document order, found by libxml2
        groups: dict[tuple[str, str], list[lxml.html.HtmlElement]] = defaultdict(list)
        for child in parent:
            if isinstance(child.tag, str):
                groups[(child.tag, child.get("class", ""))].append(child)
        for members in groups.values():
            if len(members) < 3:
                continue
            cards = [m for m in members if _is_card(m)]
            if len(cards) >= 3 and len(cards) >= 0.75 * len(members):
                found.extend(cards)
    return found


def _is_card(node: lxml.html.HtmlElement) -> bool:
    if not any((a.get("href") or "#")[:1] != "#" for a in node.iter("a")):
        return False
    words = spaced_words(node.text_content())
    rich = (
        words >= 8
        or node.find(".//img") is not None
        or node.find(".//picture") is not None
        or any(True for _ in node.iter("h2", "h3", "h4", "h5", "h6"))
    )
    return rich and 2 <= words <= 120


def prose_lines(text: str, card_texts: frozenset[str]) -> int:
    """Lines of main text that are sentences (12 words or more) and not a card's teaser."""
    return sum(
        1
        for line in text.splitlines()
        if spaced_words(line) >= 12
        and _SENTENCE_LINE.search(line.strip())
        and _flat(line) not in card_texts
    )


def _slug(url: str) -> str:
    """The last segment of the address's path, or the one before when the last is a number
    after a slug of its own (".../snow-rules-you-should-know/15002914/"); "/news/343604"
    keeps its number: "news" names a section, not the page."""
    segments = [_EXTENSION.sub("", s) for s in urlsplit(url).path.split("/") if s]
    if len(segments) >= 2 and segments[-1].isdigit():
        words = [w for w in _SLUG_WORDS.split(segments[-2]) if w]
        if len(words) >= 3:
            return segments[-2]
    return segments[-1] if segments else ""


def page_kind(
    signals: PageSignals,
    *,
    url: str,
    title: str | None,
    main_text: str,
    words: int,
    dated_by_markup: bool,
    bylined: bool = False,
    visible_chars: int = 0,
    link_share: float = 0.0,
    dated_in_head: bool = False,
) -> tuple[str, str] | None:
    """(kind, why) for a page that is not an article; None for an article.

    ``dated_by_markup``: the page's own markup, URL or byline gave its date (a list of
    other pages rarely has one of its own); ``dated_in_head``: its article markup did
    (JSON-LD, meta or microdata: not an event's date shown where a byline would be);
    ``bylined``: it names an author (a shop's product page rarely does);
    ``visible_chars``: the size of the page's visible text (0: unknown); ``link_share``:
    the share of the main text that is link text.

    The rules below come first; a page they keep is then weighed by its shape as a whole
    (``list_likelihood``) when ``weighs_shape`` allows it."""
    by_rules = kind_by_rules(
        signals, url=url, title=title, main_text=main_text, words=words,
        dated_by_markup=dated_by_markup, bylined=bylined, dated_in_head=dated_in_head,
    )  # fmt: skip
    if by_rules is not None or not weighs_shape(
        signals, url, main_text=main_text, link_share=link_share
    ):
        return by_rules
    shape = page_shape(
        signals, url=url, title=title, main_text=main_text, dated_by_markup=dated_by_markup,
        bylined=bylined, visible_chars=visible_chars, link_share=link_share,
    )  # fmt: skip
    likelihood = list_likelihood(shape)
    if likelihood < LIST_LIKELIHOOD:
        return None
    kind = (
        "product"
        if shape["product_markup"]
        else "collection"
        if signals.priced_cards >= 3 or shape["price_density"] >= 1.0
        else "listing"
    )
    return kind, (
        f"shaped like a list, shop or service page (likelihood {likelihood:.2f}): "
        f"{signals.headline_links} headline links, {signals.cards} cards, "
        f"{signals.priced_cards} priced, {shape['card_lines']:.0%} of the text in cards, "
        f"{shape['prose_share']:.0%} in sentences"
    )


def kind_by_rules(
    signals: PageSignals,
    *,
    url: str,
    title: str | None,
    main_text: str,
    words: int,
    dated_by_markup: bool,
    bylined: bool = False,
    dated_in_head: bool = False,
) -> tuple[str, str] | None:
    """The page-kind rules alone: what the page declares, then its cards, links and prose."""
    s = signals
    if words < PAYWALL_WORDS and (
        s.behind_paywall or _PAYWALL.search(main_text) or _PAYWALL.search(s.wall_text)
    ):
        return "paywall", f"{words} words before a subscription or login wall"
    # A page that declares several products at once (a grid) is a collection of them.
    products, what = ("collection", "products") if s.product_grid else ("product", "a product")
    if (s.product_by_og or s.price_markup) and not s.declares_article_markup:
        return products, f"the page declares {what} (og:type or price markup)"
    if s.product_by_jsonld and not (s.declares_article_markup or s.declares_review or bylined):
        # A review names its product in JSON-LD too, and says it is an article or a review,
        # or has an author; og:type "article" and a WebPage date alone are what a shop's CMS
        # gives every page.
        return products, f"the page declares {what}, and no article, in JSON-LD"
    if s.product_by_markup and not s.declares_article and not dated_by_markup:
        return products, f"the page declares {what} (JSON-LD or microdata)"
    # A job posting, an event, a podcast's episodes, a service offered: the page says what
    # it is, as a product's does. An article about one says it is an article (og:type too:
    # an app's review, a show's recap, a plumber's blog post, where the site marks up its
    # app, show or service on the page named for it), or dates itself in its markup, or
    # names its writer. (Where a CMS gives every page og:type "article", its job and
    # event pages stay: a real article lost costs more than a list kept.) A profile names
    # its person as a byline would (og:type "profile", where its teasers name theirs; a
    # page dated as a post is one).
    profile = s.declared_entity == "profile"
    dated_path = _dated_path(url)  # ".../2019/11/17/slug": a dated post, whatever surrounds it
    if (
        s.declared_entity
        and not dated_path
        and not (s.declares_article or s.declares_review or dated_in_head)
        and (not bylined or profile)
        and not (profile and dated_by_markup)
    ):
        kind = _ENTITY_KINDS.get(s.declared_entity, "listing")
        return kind, f"the page declares itself a {s.declared_entity}, and no article"
    if dated_path:
        return None
    if (
        len(s.shop_controls) >= SHOP_CONTROLS
        and not s.declares_article_markup
        and not (s.declares_article and dated_by_markup and bylined)
    ):
        # Two of a cart button, a quantity field and a sort menu: a shop's page. An article
        # on a shop's site shows one of them at most (the cart in its header), or says it
        # is one: a shop's blog post that sells what it shows under each item (a gift
        # guide) is an article by og:type, its own date and its byline, where its theme
        # writes no JSON-LD.
        kind = "collection" if "sort menu" in s.shop_controls else "product"
        return kind, f"the page has a shop's controls: {', '.join(s.shop_controls)}"
    declared = s.declares_article or dated_by_markup
    prose = s.prose_block_words if s.own_prose_words is None else s.own_prose_words
    lines = prose_lines(main_text, s.card_texts)
    sold_here = s.priced_cards - s.priced_elsewhere  # (a roundup's picks sold elsewhere: no shop)
    if sold_here >= PRICED_CARDS and sold_here >= PRICED_SHARE * s.cards and not declared:
        return "collection", f"{sold_here} of {s.cards} repeated cards carry a price"
    if s.declares_collection and not declared and prose < PROSE_BLOCK_WORDS and lines < PROSE_LINES:
        return "collection", "the page declares a collection (JSON-LD or microdata)"
    linky = s.headline_links >= LINKY or s.cards >= LINKY
    slug = _slug(url)
    # A page named like a section: a short title at a short path ("Dinner", /recipes/dinner).
    named = spaced_words(title or "") <= 4 and len([w for w in _SLUG_WORDS.split(slug) if w]) <= 2
    why = f"{s.headline_links} headline links, {s.cards} cards, {prose} words of prose"
    if (
        # (whatever its markup says: a theme may mark every archive up as an Article)
        (_AUTHOR_OR_TAG_ARCHIVE.search(urlsplit(url).path) or day_archive(url))
        and linky
        and prose < PROSE_BLOCK_WORDS
    ):
        return "listing", why + ", at an author's, a tag's or a day's archive address"
    if not declared and lines < FEW_PROSE_LINES:
        if prose < SHORT_BLOCK_WORDS and s.headline_links >= LINKY and s.cards >= LINKY:
            return "listing", why
        # (A short story named so, "Flood warning issued" at /news/flood-warning by a
        # reporter, goes too; a byline as the exception kept 3 more of WCXB dev's lists
        # served at addresses that say nothing, and no article.)
        if named and linky and prose < PROSE_BLOCK_WORDS:
            return "listing", why + ", named like a section"
    if (
        declared
        and not s.declares_article_markup
        and linky
        and prose < DECLARED_BLOCK_WORDS
        and not urlsplit(url).query  # "?newsid=6486285" names one item
        and (not slug or (_SECTION_NAME.fullmatch(slug) and slug.lower() not in _NOT_SECTIONS))
    ):
        return "listing", why + ", at a section's address"
    return None


def shop_kind(signals: PageSignals) -> str | None:
    """What a page too short to weigh as an article still says it is, where it says it is
    a shop's: "product" or "collection" (its products' grid), else None."""
    s = signals
    if s.product_by_og or s.price_markup or s.product_by_markup:
        return "collection" if s.product_grid else "product"
    if len(s.shop_controls) >= SHOP_CONTROLS:
        return "collection" if "sort menu" in s.shop_controls else "product"
    if s.priced_cards - s.priced_elsewhere >= PRICED_CARDS:
        return "collection"
    return None


def _at_shop_address(url: str) -> bool:
    return bool(_SHOP_PATH.search(urlsplit(url).path))


def day_archive(url: str) -> bool:
    """Whether the address is a blog's archive of one day ("/2024/06/03/", "/blog/2024/06/03/",
    paged or not): dated by its address as a post there is, it lists that day's posts. (A
    post whose address ends with its date, "/framing-the-landscape/2024/09/16", a daily
    column's "/history/2024/06/03/", is none.)"""
    path = urlsplit(url).path
    day = url_day_span(path)
    if day is None or re.search(r"\w", _NO_POST.sub("", path[day[1] :])):
        return False
    before = [part.lower() for part in path[: day[0]].split("/") if part]
    return before in ([], ["blog"])


def _dated_path(url: str) -> bool:
    """The address of one dated post (".../2019/11/17/slug", ".../2019/11/slug.html"), not a
    blog's archive of a day or a month (".../2019/11/17/", ".../2019/11/page/2/"), which
    lists the posts of that date."""
    path = urlsplit(url).path
    end = url_day_end(path)
    if end is None:
        month = _DATED_PATH.search(path)
        end = month.end() if month else None
    return end is not None and bool(re.search(r"\w", _NO_POST.sub("", path[end:])))


# The page's shape, weighed as a whole: a logistic model over the features of
# ``page_shape``, fitted by ``python -m bench.train_page_kind`` on the WCXB development split
# (articles against listing, collection, product and service pages that the rules above
# keep and ``weighs_shape`` lets it weigh), each page seen twice: at its own address and at a
# loopback test server's, where the address says nothing. The threshold rejects at most 1 in
# 500 of its articles. Regenerate the weights with that command after changing a feature; it
# prints them in this form and checks each half of the split against a model fitted on the
# other.
LIST_EVIDENCE_LINKS = 3  # headline links to other pages of the site: a page may be a list
LIST_EVIDENCE_PRICES = 3  # ... prices in its text
LIST_EVIDENCE_LINK_SHARE = 0.05  # ... the share of its text that is link text
LIST_WEIGHTS: dict[str, float] = {
    "bylined": -0.6647,
    "calls_itself_website": 0.2525,
    "card_lines": 1.5636,
    "card_share": 0.1374,
    "cards": -0.0026,
    "dated": -0.4904,
    "declares_article": -0.3776,
    "headline_links": -0.0048,
    "link_share": 1.2898,
    "path_depth": -0.1394,
    "price_density": 0.1144,
    "priced_cards": 0.1778,
    "product_markup": 1.8365,
    "prose_block": -0.2946,
    "prose_block_share": -0.3302,
    "prose_lines": 0.0012,
    "prose_share": -0.4889,
    "repeated_lines": -1.1464,
    "shop_path": 1.3548,
    "short_lines": -0.0098,
    "slug_words": -0.8232,
    "text_share": -1.6195,
    "title_words": -0.7477,
    "words_per_line": -0.2345,
}
LIST_BIAS = 6.5232
LIST_LIKELIHOOD = 0.89  # at most 1 in 500 of the training articles reach it


def weighs_shape(
    signals: PageSignals, url: str, *, main_text: str = "", link_share: float = 0.0
) -> bool:
    """Whether a page the rules keep may still be rejected for its shape: it shows something
    of a list (links to other pages of the site, prices in its cards or its text, lines of
    its text that are links elsewhere on the page) or is at a shop's or a catalogue's
    address; it does not call itself an article in JSON-LD or microdata (on structure
    alone, such a page is never rejected); and its address does not date it. A page that
    shows nothing of a list is not called one for its short lines: verse, a caption, a form."""
    s = signals
    shows_a_list = s.headline_links >= LIST_EVIDENCE_LINKS or s.priced_cards > 0
    shows_a_list = shows_a_list or s.product_by_og or s.product_by_markup or s.price_markup
    shows_a_list = shows_a_list or _at_shop_address(url) or link_share >= LIST_EVIDENCE_LINK_SHARE
    shows_a_list = shows_a_list or len(_PRICE.findall(main_text)) >= LIST_EVIDENCE_PRICES
    return shows_a_list and not s.declares_article_markup and not _dated_path(url)


def page_shape(
    signals: PageSignals,
    *,
    url: str,
    title: str | None,
    main_text: str,
    dated_by_markup: bool,
    bylined: bool,
    visible_chars: int,
    link_share: float,
) -> dict[str, float]:
    """The page's shape as numbers: how its text is written (sentences or short lines,
    prices), how its markup is built (cards, headline links, a prose block) and what it
    says about itself (og:type article, a date, an author, og:type website)."""
    lines = [line.strip() for line in main_text.splitlines() if line.strip()]
    words = max(1, spaced_words(main_text))
    per_100_words = words / 100
    line_words = [spaced_words(line) for line in lines]  # counted once, read twice below
    sentence_words = sum(
        count
        for line, count in zip(lines, line_words, strict=True)
        if count >= 12 and _SENTENCE_LINE.search(line)
    )
    slug_words = len([w for w in _SLUG_WORDS.split(_slug(url)) if w])
    s = signals
    line_chars = max(1, sum(len(line) for line in lines))
    flat_lines = [_flat(line) for line in lines]
    # A card's teaser, a product tile's line, a "Learn more" under each of them: a list's
    # text is made of its cards and says the same few things over and over.
    templates = Counter(_DIGITS.sub("0", flat) for flat in flat_lines)
    return {
        "title_words": math.log1p(spaced_words(title or "")),
        "text_share": min(1.0, len(main_text) / visible_chars) if visible_chars else 1.0,
        "priced_cards": math.log1p(s.priced_cards),
        "declares_article": float(s.declares_article),
        "words_per_line": math.log1p(words / max(1, len(lines))),
        "prose_block_share": math.log1p(s.prose_block_words) - math.log1p(words),
        "prose_share": sentence_words / words,
        "headline_links": math.log1p(s.headline_links),
        "slug_words": math.log1p(slug_words),
        "price_density": len(_PRICE.findall(main_text)) / per_100_words,
        "prose_block": math.log1p(s.prose_block_words),
        "dated": float(dated_by_markup),
        "calls_itself_website": float(s.calls_itself_website),
        "bylined": float(bylined),
        "short_lines": sum(1 for count in line_words if count <= 5) / max(1, len(lines)),
        "product_markup": float(s.product_by_og or s.product_by_markup or s.price_markup),
        "path_depth": float(len([part for part in urlsplit(url).path.split("/") if part])),
        "shop_path": float(_at_shop_address(url)),
        "link_share": link_share,
        "prose_lines": prose_lines(main_text, s.card_texts) / per_100_words,
        "cards": math.log1p(s.cards),
        "card_share": min(1.0, s.card_chars / visible_chars) if visible_chars else 0.0,
        "card_lines": sum(
            len(line) for line, flat in zip(lines, flat_lines, strict=True) if flat in s.card_texts
        )
        / line_chars,
        "repeated_lines": sum(count for count in templates.values() if count >= REPEATED_LINE)
        / max(1, len(lines)),
    }


def list_likelihood(shape: dict[str, float]) -> float:
    """How likely a page of this shape is a list of other pages, a shop's page or a
    service's own page rather than an article."""
    logit = LIST_BIAS + sum(weight * shape[name] for name, weight in LIST_WEIGHTS.items())
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, logit))))
