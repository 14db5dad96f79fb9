"""URL normalisation: the first dedupe tier ("same URL").

``normalize_url`` cleans a URL we may still fetch (no fragment, no tracking parameters);
``url_key`` is the identity of the page behind it (also folding www/AMP variants), and
``article_id`` hashes that identity into the archive's key.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from tld import get_fld

# Parameters that say who sent the reader, never which page it is.
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
        "ref",
        "ref_src",
        "ref_url",
        "referrer",
        "src",
        "share",
        "smid",
        "soc_src",
        "soc_trk",
        "spm",
        "ito",
        "cid",
        "ns_mchannel",
        "ns_source",
        "ns_campaign",
        "ns_linkname",
        "ftag",
        "taid",
        "sr_share",
        "at_medium",
        "at_campaign",
        "at_custom1",
        "wt_mc",
        "rss",
        "cmp",
        "partner",
        "guccounter",
        "outputtype",
    }
)
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "oly_", "vero_", "__s")
_AMP_PARAMS = frozenset({"amp", "outputtype", "_amp", "amp_js_v", "usqp"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_AMP_PATH = re.compile(r"(/amp/?$|^/amp/|\.amp(?=\.html?$|$)|/amp(?=/))", re.IGNORECASE)


def is_http_url(url: str) -> bool:
    """True for an absolute http(s) URL with a host, a valid port and no whitespace inside."""
    url = url.strip()
    if not url or any(ch.isspace() or ord(ch) < 0x20 for ch in url):
        return False
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError on a non-numeric or out-of-range port
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def _clean_query(query: str, *, drop_amp: bool) -> str:
    kept = []
    for name, value in parse_qsl(query, keep_blank_values=True):
        lowered = name.lower()
        if lowered in _TRACKING_PARAMS or lowered.startswith(_TRACKING_PREFIXES):
            continue
        if drop_amp and lowered in _AMP_PARAMS:
            continue
        kept.append((name, value))
    kept.sort()
    return urlencode(kept, quote_via=quote)


def normalize_url(url: str) -> str:
    """A cleaned, fetchable form: lowercase scheme and host, no default port, no fragment,
    no tracking parameters, remaining parameters sorted, path percent-encoding made uniform."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    with contextlib.suppress(UnicodeError):  # leave a name IDNA cannot encode as it is
        host = host.encode("idna").decode("ascii")
    netloc = host
    if parts.port and parts.port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{host}:{parts.port}"
    path = quote(unquote(parts.path or "/"), safe="/:@!$&'()*+,;=-._~%")
    return urlunsplit((scheme, netloc, path, _clean_query(parts.query, drop_amp=False), ""))


def url_key(url: str) -> str:
    """The identity of the page behind a URL: normalised, and folding the variants that
    serve the same article (http/https, www., AMP paths and parameters, trailing slash)."""
    parts = urlsplit(normalize_url(url))
    host = parts.netloc
    for prefix in ("www.", "amp.", "m."):
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix) :]
            break
    path = _AMP_PATH.sub("/", parts.path).replace("//", "/")
    if len(path) > 1:
        path = path.rstrip("/")
    return urlunsplit(("", host, path, _clean_query(parts.query, drop_amp=True), "")).lstrip("/")


def article_id(identity_url: str) -> str:
    """The archive key of the article whose identity URL this is."""
    return hashlib.sha256(url_key(identity_url).encode("utf-8")).hexdigest()[:20]


def domain_of(url: str) -> str:
    """The registrable domain (example.co.uk for news.example.co.uk), or the bare host."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    registrable = get_fld(host, fix_protocol=True, fail_silently=True)
    if registrable:
        return str(registrable)
    return host[4:] if host.startswith("www.") else host


def identity_url(fetched_url: str, canonical_url: str | None) -> str:
    """The URL an article is keyed by: its rel=canonical when that stays on the same site
    (one article, many URLs), else the fetched URL. A canonical on another site is a
    syndication claim, kept as evidence, not an identity."""
    if not canonical_url or not is_http_url(canonical_url):
        return normalize_url(fetched_url)
    if domain_of(canonical_url) != domain_of(fetched_url):
        return normalize_url(fetched_url)
    # Sites that point every page's canonical at their front page would fold all their
    # articles into one: a front-page canonical on an inner page is a template bug.
    if urlsplit(canonical_url).path in ("", "/") and urlsplit(fetched_url).path not in ("", "/"):
        return normalize_url(fetched_url)
    return normalize_url(canonical_url)
