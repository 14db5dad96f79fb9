"""URLs: the form we fetch, and the identity of the page behind it.

``normalize_url`` is the fetchable form: only what never changes the resource is changed
(scheme and host case, the host as its ASCII/punycode A-label, a default port, the fragment,
characters that must be percent-encoded, escapes of unreserved characters). Escapes such as
``%25`` and ``%2F`` and every query parameter stay as they are: the server sees what the
page linked to. ``url_key`` is the identity of the page behind a URL (also dropping known
tracking parameters, folding www/AMP variants, sorting the query), and ``article_id``
hashes that identity into the archive's key.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from functools import lru_cache
from urllib.parse import unquote, urlsplit, urlunsplit

import idna
from tld import get_fld

# Parameters known to say who sent the reader, never which page it is (analytics and ad
# click ids, newsletter and social campaign tags). Parameters that may select content on
# some site (``id``, ``cid``, ``src``, ``share``, ``partner``, ``ref``, ``rss``, ...) are kept.
_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "ocid",
        "cmpid",
        "ref_src",
        "ref_url",
        "smid",
        "soc_src",
        "soc_trk",
        "ns_mchannel",
        "ns_source",
        "ns_campaign",
        "ns_linkname",
        "ftag",
        "sr_share",
        "at_medium",
        "at_campaign",
        "at_custom1",
        "wt_mc",
        "guccounter",
        "srsltid",  # Google's tag on links from its shopping results
    }
)
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "oly_", "vero_")
_AMP_PARAMS = frozenset({"amp", "outputtype", "_amp", "amp_js_v", "usqp"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_AMP_PATH = re.compile(r"(/amp/?$|^/amp/|\.amp(?=\.html?$|$)|/amp(?=/))", re.IGNORECASE)
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Characters a path or query may hold as they are (RFC 3986 pchar, plus / and ?).
_PATH_SAFE = _UNRESERVED | frozenset("!$&'()*+,;=:@/")
_QUERY_SAFE = _PATH_SAFE | frozenset("?")
_HEX = frozenset("0123456789abcdefABCDEF")


# What no URL holds raw: whitespace (str.isspace's, which \s is) and control characters.
_NOT_IN_URL = re.compile(r"[\s\x00-\x1f]")


def is_http_url(url: str) -> bool:
    """True for an absolute http(s) URL with a valid host and port and no whitespace inside."""
    url = url.strip()
    if not url or _NOT_IN_URL.search(url):
        return False
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError on a non-numeric or out-of-range port
    except ValueError:
        return False
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or port == 0:
        return False  # port 0 names no service (it was fetched on port 80)
    return ascii_host(parts.hostname) is not None


def ascii_host(host: str) -> str | None:
    """A host name as it goes on the wire: lowercase ASCII, an internationalised name as its
    punycode A-label (IDNA 2008 with UTS 46 mapping, then IDNA 2003 as browsers allow), an
    IPv6 literal without brackets. None for a name no DNS could hold."""
    host = host.strip().rstrip(".").strip("[]")
    if not host:
        return None
    if host.isascii():
        lowered = host.lower()
        if ":" in lowered:  # an IPv6 literal
            return lowered if all(ch in "0123456789abcdef:." for ch in lowered) else None
        labels = lowered.split(".")
        if all(0 < len(label) <= 63 for label in labels) and all(
            ch.isalnum() or ch in "-_" for ch in lowered.replace(".", "")
        ):
            return lowered
        return None
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        pass
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None


def _encode(text: str, safe: frozenset[str]) -> str:
    """Percent-encode what must be encoded; keep every escape, uppercase its hex digits, and
    decode only escapes of unreserved characters (they mean the same either way)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        pair = text[i + 1 : i + 3]
        if ch == "%" and len(pair) == 2 and all(c in _HEX for c in pair):
            escape = pair.upper()
            decoded = chr(int(escape, 16))
            out.append(decoded if decoded in _UNRESERVED else f"%{escape}")
            i += 3
            continue
        if ch in safe or ch == "%":  # a stray % is left as browsers leave it
            out.append(ch)
        else:
            out.extend(f"%{byte:02X}" for byte in ch.encode("utf-8", "surrogatepass"))
        i += 1
    return "".join(out)


def _netloc(scheme: str, host: str, port: int | None) -> str:
    shown = f"[{host}]" if ":" in host else host
    if port and port != _DEFAULT_PORTS.get(scheme):
        return f"{shown}:{port}"
    return shown


def normalize_url(url: str) -> str:
    """The fetchable form of a URL: lowercase scheme, ASCII host, no default port, no
    fragment, no user info, uniform percent-encoding; path and query otherwise untouched.
    A URL whose host cannot be encoded keeps its host as written (its fetch then fails
    with a reason)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    raw_host = parts.hostname or ""
    host = ascii_host(raw_host) or raw_host
    try:
        port = parts.port
    except ValueError:
        port = None
    path = _encode(parts.path or "/", _PATH_SAFE)
    query = _encode(parts.query, _QUERY_SAFE)
    return urlunsplit((scheme, _netloc(scheme, host, port), path, query, ""))


def _is_tracking(name: str) -> bool:
    return name in _TRACKING_PARAMS or name.startswith(_TRACKING_PREFIXES)


def _kept_pairs(query: str, *, drop_amp: bool) -> list[str]:
    """The query's name=value pairs, raw (escapes inside keep their meaning), without the
    known tracking parameters (and AMP switches, with ``drop_amp``)."""
    kept = []
    for pair in query.split("&"):
        name = unquote(pair.split("=", 1)[0]).lower()
        if pair and not _is_tracking(name) and not (drop_amp and name in _AMP_PARAMS):
            kept.append(pair)
    return kept


def _identity_query(query: str) -> str:
    """The query of a page's identity: no tracking or AMP parameters, the rest sorted."""
    return "&".join(sorted(_kept_pairs(query, drop_amp=True)))


def _without_tracking(normalized: str) -> str:
    """A fetchable URL without its known tracking parameters (the others kept in order):
    the URL an article is shown and stored under."""
    parts = urlsplit(normalized)
    query = "&".join(_kept_pairs(parts.query, drop_amp=False))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def url_key(url: str) -> str:
    """The identity of the page behind a URL: normalised, and folding the variants that
    serve the same article (http/https, www., AMP paths and parameters, trailing slash)."""
    return _key(normalize_url(url))


def _key(normalized: str) -> str:
    parts = urlsplit(normalized)
    host = parts.netloc
    for prefix in ("www.", "amp.", "m."):
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix) :]
            break
    path = _AMP_PATH.sub("/", parts.path).replace("//", "/")
    if len(path) > 1:
        path = path.rstrip("/")
    return urlunsplit(("", host, path, _identity_query(parts.query), "")).lstrip("/")


def is_rendering(url: str) -> bool:
    """Whether the URL names a mobile or AMP rendering of a page (m.paper.com, /amp/...),
    which ``url_key`` folds into the page."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    variant_host = host.split(".", 1)[0] in ("amp", "m") and host.count(".") >= 2
    return variant_host or bool(_AMP_PATH.search(parts.path))


def article_id(identity_url: str) -> str:
    """The archive key of the article whose identity URL this is."""
    return _hashed(url_key(identity_url))


def _hashed(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]


def domain_of(url: str) -> str:
    """The registrable domain (example.co.uk for news.example.co.uk), or the bare host."""
    return host_domain((urlsplit(url).hostname or "").lower().rstrip("."))


@lru_cache(maxsize=4096)
def host_domain(host: str) -> str:
    """``domain_of`` for a host already lowercased (a page's links name a few hosts, many
    times over)."""
    if is_ip_address(host):
        return host
    registrable = get_fld(host, fix_protocol=True, fail_silently=True)
    if registrable:
        return str(registrable)
    return host[4:] if host.startswith("www.") else host


def is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def is_named_host(host: str) -> bool:
    """A host with a name, not an IP address or a single label ("localhost")."""
    return "." in host.strip(".") and not is_ip_address(host)


def identity_url(fetched_url: str, canonical_url: str | None) -> str:
    """The URL an article is keyed by: its rel=canonical when that stays on the same site
    (one article, many URLs), else the fetched URL. A canonical on another site is a
    syndication claim, kept as evidence, not an identity."""
    return identity(normalize_url(fetched_url), canonical_url)[0]


_FRONT_PAGE = re.compile(r"/?((index|default|home)\.\w+)?", re.IGNORECASE)


def is_front_page(url: str) -> bool:
    """A web address of a site's front page: "/", "/index.html", with no query but known
    tracking parameters (any other parameter may name one item)."""
    if not is_http_url(url):
        return False
    parts = urlsplit(url)
    return not _kept_pairs(parts.query, drop_amp=False) and bool(
        _FRONT_PAGE.fullmatch(parts.path or "/")
    )


def is_named_address(url: str | None) -> bool:
    """A web address on a named host: what a page's rel=canonical or og:url must be to be
    read as its address ("https://packing-list-trip", a slug where the host should be, is
    not one)."""
    if not url or not is_http_url(url):
        return False
    return "." in (urlsplit(url).hostname or "").strip(".")


def page_address(fetched_url: str, canonical_url: str | None) -> str:
    """The address a page gives itself, for what an address says about a page (a dated
    path, a section's name, the site's own name and links): its rel=canonical or og:url
    when that is a web address on a named host, else the URL it was fetched from. A page
    fetched from a mirror, an archive or a test server, at a path that says nothing, still
    names itself. A front-page canonical on an inner page is a template bug, not a name."""
    if canonical_url is None or not is_named_address(canonical_url):
        return fetched_url
    if is_front_page(canonical_url) and not is_front_page(fetched_url):
        return fetched_url
    return canonical_url


# Path segments that name another rendering of one page, not another page: what an AMP,
# print or paged copy, or a directory's index file, adds at the end of the page's address.
_RENDERING_SEGMENT = re.compile(r"amp|print|page|\d+|(index|default)(\.\w+)?", re.IGNORECASE)
_SLUG_WORD = re.compile(r"[^\W_]+")


def _names_a_section_above(canonical_url: str, fetched_url: str) -> bool:
    """Whether the canonical is a folder above the page that holds other pages than this
    one: "/news/" for "/news/2024/03/05/storm.html" or "/news/storm-hits-the-coast.html".
    A template that gives every article its section's address would fold them all into
    one. A folder above an AMP, print or paged copy ("/story/amp", "/story/2") is the page
    itself."""
    above = urlsplit(canonical_url).path.rstrip("/") + "/"
    path = urlsplit(fetched_url).path
    if not path.startswith(above) or len(path) <= len(above):
        return False
    below = [segment for segment in path[len(above) :].split("/") if segment]
    while below and _RENDERING_SEGMENT.fullmatch(below[-1]):
        below.pop()  # ".../amp/", ".../2", ".../index.html" at the end
    slug = re.sub(r"\.\w{2,5}$", "", below[-1]) if below else ""
    return len(below) >= 2 or len(_SLUG_WORD.findall(slug)) >= 3


# The labels that name another rendering of one site's pages: its mobile and AMP hosts.
_VARIANT_LABELS = frozenset({"www", "m", "mobile", "amp"})


def _site_host(host: str) -> str:
    """The host less the labels of a mobile or AMP rendering (m.paper.com: paper.com)."""
    domain = host_domain(host)
    while host != domain and host.split(".", 1)[0] in _VARIANT_LABELS:
        host = host.split(".", 1)[1]
    return host


def _may_name(canonical_url: str, fetched_url: str) -> bool:
    """Whether a page's rel=canonical may name its identity: an address of its own host,
    of that host's mobile or AMP rendering, or of its site's main host (news.paper.com may
    name www.paper.com). A sibling host may not: on a platform of many tenants'
    subdomains (x.substack.com, y.substack.com), one tenant's page named another's address
    and took its article."""
    canonical = (urlsplit(canonical_url).hostname or "").lower().rstrip(".")
    fetched = (urlsplit(fetched_url).hostname or "").lower().rstrip(".")
    if host_domain(canonical) != host_domain(fetched):
        return False
    named = _site_host(canonical)
    return named in (_site_host(fetched), host_domain(canonical))


def identity(fetched_url: str, canonical_url: str | None) -> tuple[str, str]:
    """(identity URL, article id) of a page fetched from ``fetched_url``, which is already
    in its fetchable form (every URL a run fetches was normalised once, where it was
    found); only a canonical URL is normalised here."""
    chosen = fetched_url
    if (
        canonical_url
        and is_http_url(canonical_url)
        and _may_name(canonical_url, fetched_url)
        # Sites that point every page's canonical at their front page, or at its section's
        # page, would fold all their articles into one: such a canonical on an inner page
        # is a template bug.
        and not (is_front_page(canonical_url) and not is_front_page(fetched_url))
        and not _names_a_section_above(canonical_url, fetched_url)
    ):
        chosen = normalize_url(canonical_url)
    return _without_tracking(chosen), _hashed(_key(chosen))
