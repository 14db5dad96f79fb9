"""Pages a site sends in place of the one asked for.

A "not found" page answered with 200, a notice that the story was taken down, a bot check,
an error or maintenance page, a page that shows nothing without JavaScript, a sign-in form,
a refresh to another address: none is an article, and stored as one they made stories of
their own ("Sorry, we can't find that page." from four sites) and took real articles about
outages into them. They are told by what the page is built from (a challenge's script, a
CMS's 404 template) and by what it calls itself (its <title> or its headline is "Page not
found"), never by a phrase in its text alone: articles about outages, captchas and
taken-down stories quote those phrases. What the page calls itself counts only on a short
page (a stand-in says what it is in a few lines) that shows no byline and date of its own
(a review named "Error", a column named "Access Denied"), and on a page that states a date
only where its text says so too.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import lxml.html

from tasks.text import count_words
from tasks.urls import url_key

# A stand-in says what it is in a few lines; an article named "Oops!" is longer.
STAND_IN_WORDS = 250
# A stand-in's name is short: a <title> or headline is read this far (a page's may be
# megabytes).
NAME_CHARS = 300
# A refresh the reader never sees the page through: a browser leaves it within seconds.
REFRESH_SECONDS = 10
REFRESHES_READ = 5  # a browser follows the first
ADDRESS_CHARS = 2_000  # longer is no address a refresh or a canonical link names
# A page that shows fewer visible characters than this without JavaScript shows nothing.
SCRIPT_ONLY_CHARS = 100


@dataclass(frozen=True, slots=True)
class StandIn:
    """Why a page is not the one asked for: a rejection's reason, kind and detail."""

    reason: str  # "unavailable", "redirect" or "not_article"
    kind: str  # not_found, removed, blocked, error, needs_script, redirect, login
    detail: str


def _unavailable(kind: str, detail: str) -> StandIn:
    return StandIn("unavailable", kind, detail)


# The markup of a bot check's page, by vendor. Only what their block pages carry: the
# scripts they put on every page they guard (Cloudflare's /cdn-cgi/challenge-platform/
# beacon, PerimeterX's _pxAppId, DataDome's tags.js, Incapsula's resource script) are on
# real articles too.
_CHALLENGE_MARKUP = (
    '//*[@id="px-captcha" or @id="cf-error-details" or @id="challenge-error-title"'
    ' or contains(concat(" ", normalize-space(@class), " "), " cf-browser-verification ")]'
    ' | //script[contains(@src, "captcha-delivery.com")]'
    ' | //iframe[contains(@src, "captcha-delivery.com")]'
    ' | //form[contains(@action, "__cf_chl_")]'
    ' | //iframe[contains(@src, "_Incapsula_Resource")]'
)
_CHALLENGE_VENDORS = (
    ("px-captcha", "PerimeterX (HUMAN)"),
    ("captcha-delivery.com", "DataDome"),
    ("_Incapsula_Resource", "Imperva (Incapsula)"),
)
# Next.js names the page it rendered in its data: its error page, or a site's own 404.
_NEXT_PAGE = re.compile(r'"page"\s*:\s*"/(_error|404|500)"')
_STATUS_CODE = re.compile(r'"statusCode"\s*:\s*(\d{3})')


# A bot check's page, or an app's error page, is small: their marks are looked for in pages
# up to this size, first in the source (a search for each string costs a fraction of the
# tree's walk).
CHALLENGE_CHARS = 200_000
_CHALLENGE_MARKS = (
    "px-captcha", "cf-error-details", "challenge-error-title", "cf-browser-verification",
    "captcha-delivery.com", "_cf_chl_", "_Incapsula_Resource", "__nuxt-error-page",
)  # fmt: skip


def _next_error_page(data: str) -> StandIn | None:
    """Next.js's error page, by the page its data names ("page" is the top level's last
    keys but a few: read from the end, not through megabytes of props)."""
    at = data.rfind('"page"')
    page = _NEXT_PAGE.match(data, at) if at >= 0 else None
    if page is None:
        return None
    status = _STATUS_CODE.search(data)
    code = status.group(1) if status else page.group(1).lstrip("_")
    kind = "not_found" if code in ("404", "410", "error") else "error"
    return _unavailable(kind, f"Next.js's {page.group(1)} page")


def stand_in_by_markup(tree: lxml.html.HtmlElement, source: str) -> StandIn | None:
    """A stand-in told by how it is built (``source``: the page's HTML, which ``tree`` was
    parsed from); read before anything drops the page's scripts."""
    body = tree.find("body")
    if body is None:
        return None
    if "error404" in (body.get("class") or "").split():
        return _unavailable("not_found", "WordPress's 404 template (body class error404)")
    if body.get("id") == "error-page":
        return _unavailable("error", "WordPress's error page (wp_die)")
    head = tree.find("head")
    for meta in head.iter("meta") if head is not None else ():
        if meta.get("name") == "next-error":
            content = str(meta.get("content") or "").strip()
            kind = "not_found" if content == "not-found" else "error"
            return _unavailable(kind, f"Next.js's error page (next-error {content[:40]})")
    for script in body.iterchildren("script"):  # where Next.js puts its data
        if script.get("id") == "__NEXT_DATA__":
            found = _next_error_page(script.text or "")
            if found is not None:
                return found
            break
    if len(source) > CHALLENGE_CHARS or not any(mark in source for mark in _CHALLENGE_MARKS):
        return None
    if tree.xpath(
        '//*[contains(concat(" ", normalize-space(@class), " "), " __nuxt-error-page ")]'
    ):
        return _unavailable("not_found", "Nuxt's error page")
    for node in tree.xpath(_CHALLENGE_MARKUP):
        marks = f"{node.get('id')} {node.get('class')} {node.get('src')} {node.get('action')}"
        vendor = next((name for mark, name in _CHALLENGE_VENDORS if mark in marks), "Cloudflare")
        return _unavailable("blocked", f"a bot check: {vendor}'s challenge page")
    for script in tree.iter("script"):
        if "_cf_chl_opt" in (script.text or ""):
            return _unavailable("blocked", "a bot check: Cloudflare's challenge page")
    return None


# What a stand-in calls itself, matched whole against its <title> (with and without its
# first or last part: the site's name) and its first shown headline, after case, quotes and
# a status code ("404 -", "Fehler 404:") are taken off.
_NOT_FOUND = re.compile(
    r"(?:(?:oops|whoops|ops|oups|ups|uh-? ?oh|sorry|hmm+|ouch|lo sentimos|désolé|entschuldigung)"
    r"\W*)*(?:"
    r"(?:page|file|document|story|article|content|post)?\s*not found"
    r"|(?:that|this|the) (?:page|story|article|post) (?:can't|cannot|could not|couldn't)"
    r" be found"
    r"|(?:we|i) (?:can't|cannot|could not|couldn't) find (?:that|this|the|what you)"
    r" ?(?:page|story|article|post|were looking for|are looking for|'re looking for)?"
    r"(?: you(?:'re| are| were) looking for)?"
    r"|(?:the )?page you (?:are|were|'re) looking for (?:does not|doesn't|no longer) exists?"
    r"|(?:this |that |the )?page (?:does not|doesn't|no longer) exists?"
    r"|(?:this )?page (?:isn't|is not) available|nothing (?:was )?found|page missing"
    r"|oops|whoops|uh-? ?oh"
    # ... in the languages whose dates the page reader knows
    r"|(?:diese )?seite (?:wurde )?nicht gefunden|diese seite gibt es (?:leider )?nicht(?: mehr)?"
    r"|page (?:introuvable|non trouvée)|cette page n'existe pas(?: ou plus)?"
    r"|página no encontrada|la página que buscas no existe|(?:esta )?página no existe"
    r"|pagina non trovata|(?:questa )?pagina non esiste|página não encontrada"
    r"|(?:deze )?pagina (?:is )?niet gevonden|deze pagina bestaat niet(?: meer)?"
    r"|(?:nie znaleziono strony|strona nie istnieje|strony nie znaleziono)"
    r"|sidan (?:kunde inte hittas|finns inte)|siden (?:blev ikke fundet|finnes ikke)"
    r"|страница не найдена|сторінку не знайдено|sayfa bulunamadı|η σελίδα δεν βρέθηκε"
    r"|ページが見つかりません(?:でした)?|お探しのページは見つかりませんでした|页面不存在|找不到页面"
    r"|페이지를 찾을 수 없습니다|ไม่พบหน้า"
    r")"
)
_REMOVED = re.compile(
    r"(?:this |the )?(?:article|story|content|page|post|video)"
    r" (?:is |has )?(?:been )?(?:no longer available|unavailable|removed|unpublished|deleted"
    r"|taken down|expired|withdrawn)"
    r"(?: for legal reasons)?"
    r"|(?:dieser )?(?:artikel|beitrag|inhalt) (?:ist )?(?:nicht mehr verfügbar|wurde entfernt"
    r"|wurde gelöscht)|(?:cet )?article (?:n'est plus disponible|a été supprimé|supprimé)"
    r"|(?:este )?(?:artículo|contenido) (?:ya )?no está disponible|(?:questo )?articolo non è"
    r" più disponibile|(?:este )?artigo não está mais disponível|материал удал[её]н"
    r"|この記事は(?:掲載期間が終了しました|削除されました)"
)
_BLOCKED = re.compile(
    r"access (?:denied|forbidden)|access to this page has been denied|forbidden"
    r"|are you (?:a )?(?:robot|human)|just a moment|attention required(?: cloudflare)?"
    r"|checking (?:your browser|if the site connection is secure)(?: before accessing.*)?"
    r"|(?:please )?verify(?:ing)? (?:that )?you are (?:a )?human|before we continue"
    r"|(?:bot|human|security) (?:verification|check)|one more step|pardon our interruption"
    r"|(?:sorry )?you have been blocked|request (?:blocked|unsuccessful|rejected)"
    r"|(?:please )?complete the (?:captcha|security check)(?: to continue)?"
    r"|unusual traffic(?: detected| from your (?:computer )?network)?"
    r"|too many requests|rate limit(?:ed| exceeded)?|unavailable for legal reasons"
    r"|(?:(?:this )?(?:content|page|site|website|service|video|article) is )?"
    r"not available in your (?:country|region|location|area)"
    r"|(?:ce )?contenu n'est pas disponible dans votre (?:pays|région)"
    r"|(?:este )?contenido no está disponible en (?:tu|su) (?:país|región)"
    r"|(?:dieser )?inhalt ist in (?:ihrem|deinem) land nicht verfügbar"
    r"|vercel security checkpoint"
)
_ERROR = re.compile(
    r"error|an error (?:has )?occurred|something went wrong|(?:internal )?server error"
    r"|service (?:temporarily )?unavailable|bad gateway|gateway time-? ?out"
    r"|database error|error establishing a database connection"
    r"|(?:(?:this |the )?(?:site|website|page) is )?(?:(?:currently|temporarily) )?"
    r"(?:under|down for) (?:scheduled )?maintenance"
    r"|(?:scheduled )?maintenance(?: mode| in progress)?|temporarily unavailable"
    r"|we(?:'ll| will) be (?:right )?back(?: soon)?|back soon"
    r"|we(?:'re| are) (?:making|doing) (?:some )?improvements"
    r"|(?:your )?browser (?:is )?not supported|unsupported browser"
    r"|(?:please )?(?:update|upgrade) your browser"
    r"|wartungsarbeiten|(?:site )?en maintenance|sito in manutenzione|torneremo presto"
    r"|en mantenimiento|em manutenção|(?:wir sind )?bald wieder da"
)
_NEEDS_SCRIPT = re.compile(
    r"(?:please )?(?:enable|turn on|activate) javascript.*|javascript (?:is )?(?:required|disabled).*"
    r"|you need to enable javascript.*"
)
# A sign-in page: only its <title> says so (a sign-in form's heading hides on any page).
_LOGIN = re.compile(
    r"(?:please )?(?:sign|log) ?(?:in|on)(?: to (?:your account|continue|your \w+ account))?"
    r"|(?:subscriber |member )?log ?in|(?:create|register) (?:your|an|a) (?:free )?account"
    r"|register|registration|my account|anmelden|anmeldung|einloggen|ihr konto|connexion"
    r"|se connecter|iniciar sesión|accedi|entrar|inloggen|zaloguj się|logga in|войти|вход"
)
# A consent manager's own page: only its <title> says so (a banner's heading may say it).
_CONSENT = re.compile(r"before you continue(?: to .+)?|we (?:value|care about) your privacy")
_BY_NAME = (
    (_NOT_FOUND, "unavailable", "not_found"),
    (_REMOVED, "unavailable", "removed"),
    (_BLOCKED, "unavailable", "blocked"),
    (_ERROR, "unavailable", "error"),
    (_NEEDS_SCRIPT, "unavailable", "needs_script"),
)
_STATUS_KINDS = {"403": "blocked", "404": "not_found", "410": "removed", "429": "blocked",
                 "451": "blocked"}  # fmt: skip
_STATUS = re.compile(
    r"^(?:(?:http )?(?:error|fehler|erreur|errore|erro|fout|błąd|fel|ошибка) )?(\d{3})"
    r"(?: error)?\b\W*"
)
_TITLE_PARTS = re.compile(r"\s+[|\-–—·•»:]+\s+|\s*\|\s*|\s+::\s+")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'", "…": "...", "(": " ", ")": " "})
# What a stand-in's own text says, in a few words: what a dated page named so must also say
# to be taken for one ("Error", a theatre review, says nothing of the kind).
_SAYS_SO = re.compile(
    r"\b(?:page|story|article|content|url) (?:you (?:are|were|'re) looking for|you requested"
    r"|(?:could not|cannot|can't|couldn't) be found|(?:does not|doesn't|no longer) exists?"
    r"|(?:is|has been) (?:no longer available|removed|deleted|unpublished|expired))"
    r"|\b(?:has|have) been (?:removed|deleted|unpublished|taken down)\b|\bno longer available\b"
    r"|\b(?:try|please try) again later\b|\bunder maintenance\b|\benable javascript\b"
    r"|\bverify (?:that )?you are (?:a )?human\b|\bnot available in your (?:country|region)\b"
    r"|\bnot a robot\b|\bincident id\b|\breference (?:#|id)",
    re.I,
)


# What ends a title after its last word: marks, and digits among them ("(Not Found)!!1").
_TRAILING_MARKS = re.compile(r"[^\w\s'](?:(?!\s)[\W\d_])*$")


def _named(text: str) -> str:
    """A title as compared: case, quotes, spaces and the punctuation around it taken off."""
    flat = " ".join(text[:NAME_CHARS].casefold().translate(_QUOTES).split())
    flat = _TRAILING_MARKS.sub("", re.sub(r"^[^\w']+", "", flat))
    return re.sub(r"[,!?.;:]+(?=\s|$)|\.\.\.", "", flat).strip()


def _what_it_calls_itself(name: str, *, title: bool) -> tuple[str, str, str] | None:
    named = _named(name)
    if not named:
        return None
    status = _STATUS.match(named)
    if status:
        rest = named[status.end() :]
        code = status.group(1)
        if not rest and (code in _STATUS_KINDS or code.startswith("5")):
            return "unavailable", _STATUS_KINDS.get(code, "error"), code
        named = rest or named
    for pattern, reason, kind in _BY_NAME:
        if pattern.fullmatch(named):
            return reason, kind, named
    if title and _CONSENT.fullmatch(named):
        return "unavailable", "blocked", named
    if title and _LOGIN.fullmatch(named):
        return "not_article", "login", named
    return None


def _title_names(title: str) -> list[str]:
    """A <title> whole, and without its first or its last part (one of them is the site's
    name): "Access denied — court blocks records request | Courier" is no "Access denied"."""
    title = title[:NAME_CHARS]
    parts = [part for part in _TITLE_PARTS.split(title) if part.strip()]
    names = [title]
    if len(parts) > 1:
        cuts = list(_TITLE_PARTS.finditer(title))
        names += [title[: cuts[-1].start()], title[cuts[0].end() :]]
    return names


def stand_in_by_name(
    title: str | None,
    headline: str | None,
    words: int,
    *,
    text: str = "",
    bylined: bool = False,
    dated: bool = False,
) -> StandIn | None:
    """A short page whose <title> or first shown headline is what a stand-in calls itself,
    unless it shows itself an article of its own: a byline and a date (a review named
    "Error", a column named "Access Denied"); a dated page only where its text says so too
    (a removed story's template keeps its date)."""
    if words > STAND_IN_WORDS or (bylined and dated):
        return None
    names = [(name, True) for name in _title_names(title or "")]
    names += [(headline, False)] if headline else []
    for name, is_title in names:
        found = _what_it_calls_itself(name, title=is_title)
        if found and (not dated or _SAYS_SO.search(text)):
            reason, kind, said = found
            where = "<title>" if is_title else "headline"
            return StandIn(reason, kind, f"its {where} says so: {said[:80]!r}")
    return None


_REFRESH = re.compile(r"^\s*(\d+(?:\.\d*)?)\s*[;,]?\s*(?:url\s*=\s*)?['\"]?([^'\"\s]*)", re.I)


def refresh_target(
    tree: lxml.html.HtmlElement, url: str, canonical: str | None = None
) -> tuple[str, float] | None:
    """Where a <meta http-equiv="refresh"> sends the reader within seconds, if to another
    page (not the page itself, nor its clean or canonical address). The first few are read:
    a browser follows one."""
    # (Not one inside <noscript>: what a browser without scripts is sent to, "please
    # enable JavaScript", while the page is there for every other.)
    refreshes = tree.xpath(
        '//meta[translate(@http-equiv, "REFSH", "refsh")="refresh"][not(ancestor::noscript)]'
        "/@content"
    )
    itself: set[str] | None = None
    for content in refreshes[:REFRESHES_READ]:
        found = _REFRESH.match(str(content)[:ADDRESS_CHARS])
        if not found or not found.group(2):
            continue  # a page that reloads itself (a live page's "300")
        seconds = float(found.group(1))
        target = urljoin(url, found.group(2))
        if urlsplit(target).scheme not in ("http", "https") or seconds > REFRESH_SECONDS:
            continue
        try:
            if itself is None:  # an address of megabytes names no page: the page's own
                named = canonical if canonical and len(canonical) <= ADDRESS_CHARS else url
                itself = {url_key(url), url_key(named)}
            if url_key(target) not in itself:
                return target, seconds
        except ValueError:  # an address no page can have
            continue
    return None


# Where a heading is not the page's own: a form's (a hidden sign-in box), a menu's, a
# sidebar's, a dialog's, or one hidden from every reader by markup, a style or a utility
# class. (A <header> holds an article's own headline as often as a site's logo.)
_UNSHOWN_HOLDERS = frozenset({"form", "nav", "aside", "dialog"})
_HIDING_CLASSES = frozenset({"hidden", "d-none", "hide"})
HEADINGS_READ = 8  # the page's own headline is among its first few


def _hidden(node: lxml.html.HtmlElement) -> bool:
    if node.tag in _UNSHOWN_HOLDERS or node.get("hidden") is not None:
        return True
    if node.get("aria-hidden") == "true" or node.get("role") == "dialog":
        return True
    style = "".join((node.get("style") or "")[:200].lower().split())
    return "display:none" in style or bool(
        _HIDING_CLASSES.intersection((node.get("class") or "")[:500].split())
    )


def shown_headline(tree: lxml.html.HtmlElement) -> str | None:
    """The text of the page's first <h1> that is its own, shown to every reader."""
    for h1 in itertools.islice(tree.iter("h1"), HEADINGS_READ):
        text = " ".join(h1.text_content()[:NAME_CHARS].split())
        if text and not any(_hidden(node) for node in itertools.chain((h1,), h1.iterancestors())):
            return text
    return None


def named_stand_in(
    tree: lxml.html.HtmlElement,
    words: int,
    *,
    text: str = "",
    bylined: bool = False,
    dated: bool = False,
) -> StandIn | None:
    """``stand_in_by_name`` for a page: its <title> and first shown headline, read only
    where what it calls itself can count."""
    if words > STAND_IN_WORDS or (bylined and dated):
        return None
    return stand_in_by_name(
        tree.findtext(".//title"), shown_headline(tree), words,
        text=text, bylined=bylined, dated=dated,
    )  # fmt: skip


def stand_in_by_page(
    tree: lxml.html.HtmlElement,
    url: str,
    *,
    canonical: str | None,
    text: str,
    visible_chars: int,
    from_markup: bool,
) -> StandIn | None:
    """A short page that refreshes to another within seconds, or shows nothing but a
    <noscript> note without JavaScript: known before its text is read further."""
    if len(text) > 40 * STAND_IN_WORDS:  # no page of this length has so few words
        return None
    if count_words(text) > STAND_IN_WORDS:
        return None
    refresh = refresh_target(tree, url, canonical)
    if refresh is not None:
        target, seconds = refresh
        return StandIn("redirect", "redirect", f"refreshes to {target[:300]} after {seconds:g} s")
    if (
        not from_markup
        and visible_chars < SCRIPT_ONLY_CHARS
        and "javascript" in text.casefold()
        and any("javascript" in node.text_content().casefold() for node in tree.iter("noscript"))
    ):
        # What was read is the note an app shows without scripts ("Please enable
        # JavaScript"); an app whose JSON-LD or <noscript> carries the article is that article.
        return _unavailable(
            "needs_script", "it shows nothing without JavaScript but a <noscript> note"
        )
    return None
