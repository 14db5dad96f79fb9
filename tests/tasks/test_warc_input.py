"""Tests for tasks.warc_input: real WARC/ARC files from /work/shared/eval/warc-samples, then
synthetic files written with warcio's WARCWriter (chunked + gzip bodies, revisits, garbage,
truncation, files that are no WARC at all)."""

from __future__ import annotations

import base64
import gzip
import io
import random
import re
import zlib
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.warcwriter import WARCWriter

from tasks.warc_input import WarcResponse, WarcSkip, read_warc

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "eval" / "warc-samples"

EXAMPLE_HTML_START = b"<!doctype html>\n<html>\n<head>\n    <title>Example Domain</title>"


def _sample(relative: str) -> Path:
    path = SAMPLES / relative
    if not path.exists():
        pytest.skip(f"shared WARC samples not available: {path}")
    return path


def _split(items: list[WarcResponse | WarcSkip]) -> tuple[list[WarcResponse], list[WarcSkip]]:
    responses = [i for i in items if isinstance(i, WarcResponse)]
    skips = [i for i in items if isinstance(i, WarcSkip)]
    assert len(responses) + len(skips) == len(items)
    return responses, skips


def _read_as(items: list[WarcResponse | WarcSkip]) -> list[tuple[str, str | None, int]]:
    """What each item is, why it was skipped, and where it starts."""
    return [(type(i).__name__, getattr(i, "reason", None), _offset(i.source)) for i in items]


def _reasons(skips: list[WarcSkip]) -> dict[str, int]:
    return dict(Counter(s.reason for s in skips))


def _offset(source: str) -> int:
    return int(source.rpartition("#")[2])


# ======================================================================================
# real files


def test_heritrix_2008_crawl_yields_every_http_response() -> None:
    path = _sample("aut/example.warc.gz")
    responses, skips = _split(list(read_warc(path)))

    assert len(responses) == 261
    assert _reasons(skips) == {"not_response": 261, "no_http_headers": 38}
    assert {s.detail for s in skips if s.reason == "not_response"} == {"metadata record"}
    dns = [s for s in skips if s.reason == "no_http_headers"]
    assert all(s.url is not None and s.url.startswith("dns:") for s in dns)

    html = [r for r in responses if r.content_type == "text/html"]
    assert len(html) == 140
    assert Counter(r.status_code for r in html) == {200: 94, 404: 40, 302: 5, 301: 1}
    with_body = [r for r in html if r.payload]
    assert len(with_body) == 135
    assert all(r.payload.lstrip()[:1] == b"<" for r in with_body)
    assert all(re.search(rb"<html|<!doctype|<style", r.payload[:200], re.I) for r in with_body)
    assert {r.status_code for r in html if not r.payload} == {302}
    assert Counter(r.status_code for r in responses) == {200: 214, 404: 40, 302: 5, 301: 2}

    first = responses[0]
    assert first.url == "http://www.archive.org/robots.txt"
    assert first.source == f"{path}#707"
    assert first.fetched_at == datetime(2008, 4, 30, 20, 48, 25, tzinfo=UTC)
    assert max(r.fetched_at for r in responses) == datetime(2008, 4, 30, 20, 53, 31, tzinfo=UTC)
    assert sum(len(r.payload) for r in responses) == 7_612_558
    offsets = [_offset(r.source) for r in responses] + [_offset(s.source) for s in skips]
    assert len(set(offsets)) == len(offsets)


def test_arc_and_warc_of_the_same_crawl_agree() -> None:
    arc = list(
        read_warc(
            _sample("ukwa/small-arcs-and-warcs_IAH-20080430204825-00000-blackbook-truncated.arc.gz")
        )
    )
    warc = list(
        read_warc(
            _sample(
                "ukwa/small-arcs-and-warcs_IAH-20080430204825-00000-blackbook-truncated.warc.gz"
            )
        )
    )
    arc_responses, arc_skips = _split(arc)
    warc_responses, warc_skips = _split(warc)

    assert _reasons(arc_skips) == {"no_http_headers": 1}
    assert arc_skips[0].url == "dns:www.archive.org"
    assert _reasons(warc_skips) == {"no_http_headers": 1, "not_response": 7}
    assert len(arc_responses) == len(warc_responses) == 7

    def key(r: WarcResponse) -> tuple[str, int, str | None, bytes, datetime]:
        return r.url, r.status_code, r.content_type, r.payload, r.fetched_at

    assert [key(r) for r in arc_responses] == [key(r) for r in warc_responses]
    assert [r.url for r in arc_responses][:3] == [
        "http://www.archive.org/robots.txt",
        "http://www.archive.org/",
        "http://www.archive.org/index.php",
    ]
    assert [len(r.payload) for r in arc_responses] == [467, 366, 28681, 1662, 1124, 265, 50614]
    assert _offset(arc_responses[0].source) == 776


def test_revisits_resolve_to_earlier_originals_only() -> None:
    path = _sample("aut/issue-493.warc")
    items = list(read_warc(path))
    responses, skips = _split(items)
    assert len(responses) == 13
    assert _reasons(skips) == {"revisit_unresolved": 2}
    # the two w1.gif revisits come before their original response in the file
    assert [(s.url, _offset(s.source)) for s in skips] == [
        ("https://auer.netzliteratur.net/wendelin/w1.gif", 5425),
        ("https://auer.netzliteratur.net/wendelin/w1.gif", 7070),
    ]
    assert "sha1:4ZYOBAHGX6DYIWF6UY5CW3W66FJTREXK" in skips[0].detail

    by_offset = {_offset(r.source): r for r in responses}
    notekl, revisit_late, revisit_early = by_offset[3817], by_offset[8715], by_offset[41682]
    assert notekl.payload[:4] == b"GIF8" and len(notekl.payload) == 190
    for revisit, when in ((revisit_late, (13, 52, 9)), (revisit_early, (13, 51, 58))):
        assert revisit.url == "https://auer.netzliteratur.net/wendelin/notekl.gif"
        assert revisit.payload == notekl.payload
        assert revisit.fetched_at == datetime(2020, 6, 27, *when, tzinfo=UTC)
        assert revisit.status_code == 200 and revisit.content_type == "image/gif"
    w2, w2_revisit = by_offset[30039], by_offset[55630]
    assert w2_revisit.payload == w2.payload and len(w2.payload) == 10193
    assert w2_revisit.fetched_at > w2.fetched_at
    w1 = by_offset[16357]
    assert w1.payload[:4] == b"GIF8" and len(w1.payload) == 10260
    # iso-8859-1 HTML comes through as bytes, untouched
    wend = by_offset[10372]
    assert wend.content_type == "text/html" and wend.payload.lstrip().lower().startswith(b"<html")


@pytest.mark.parametrize("name", ["warcio/example.warc", "warcio/example.warc.gz"])
def test_example_response_and_uri_agnostic_revisit(name: str) -> None:
    path = _sample(name)
    responses, skips = _split(list(read_warc(path)))
    assert skips == []
    assert len(responses) == 2
    original, revisit = responses
    assert original.url == revisit.url == "http://example.com/"
    assert original.payload.startswith(EXAMPLE_HTML_START)  # gzip-encoded body, decoded
    assert len(original.payload) == 1270
    assert revisit.payload == original.payload
    assert original.fetched_at == datetime(2017, 3, 6, 4, 2, 6, tzinfo=UTC)
    assert revisit.fetched_at == datetime(2017, 3, 6, 4, 3, 48, tzinfo=UTC)
    assert ("Content-Encoding", "gzip") in original.headers
    if name.endswith(".warc"):
        assert (_offset(original.source), _offset(revisit.source)) == (1197, 3370)


def test_chunked_body_is_dechunked() -> None:
    responses, skips = _split(list(read_warc(_sample("warcio/example-iana.org-chunked.warc"))))
    assert skips == []
    [page] = responses
    assert page.url == "http://www.iana.org/"
    assert ("Transfer-Encoding", "chunked") in page.headers
    assert page.content_type == "text/html"
    assert len(page.payload) == 7223
    assert page.payload.startswith(b"<!doctype html>\n<html>\n<head>\n\t<title>Internet Assigned")
    assert page.payload.endswith(b"</body>\n\n</html>\n")


def test_truncated_record_is_skipped() -> None:
    path = _sample("warcio/example-trunc.warc")
    items = list(read_warc(path))
    assert items == [
        WarcSkip(f"{path}#1197", "http://example.com/", "truncated", "gzip-encoded body ends early")
    ]


def test_single_gzip_stream_file_is_read_through() -> None:
    path = _sample("warcio/example-bad-non-chunked.warc.gz")
    responses, skips = _split(list(read_warc(path)))
    assert skips == []
    assert [(r.url, _offset(r.source)) for r in responses] == [
        ("http://example.com/", 1197),
        ("http://example.com/", 3370),
    ]
    assert all(r.payload.startswith(EXAMPLE_HTML_START) for r in responses)


def test_arc_file() -> None:
    path = _sample("warcio/example.arc.gz")
    responses, skips = _split(list(read_warc(path)))
    assert skips == []
    [page] = responses
    assert page.url == "http://example.com/"
    assert page.fetched_at == datetime(2014, 2, 16, 5, 2, 21, tzinfo=UTC)
    assert page.payload.startswith(EXAMPLE_HTML_START)
    assert page.source == f"{path}#171"


def test_wget_angle_bracket_target_uris() -> None:
    responses, skips = _split(list(read_warc(_sample("aut/issue-514.warc"))))
    assert [(r.url, r.status_code) for r in responses] == [
        ("http://www.archiveteam.org/", 307),
        ("https://wiki.archiveteam.org/", 200),
    ]
    assert len(responses[1].payload) == 40699
    assert [(s.reason, s.url) for s in skips] == [
        ("not_response", "metadata://gnu.org/software/wget/warc/MANIFEST.txt"),
        ("not_response", "metadata://gnu.org/software/wget/warc/wget_arguments.txt"),
        ("not_response", "metadata://gnu.org/software/wget/warc/wget.log"),
    ]


@pytest.mark.parametrize(
    ("name", "total", "html", "not_response"),
    [
        ("ukwa/small-arcs-and-warcs_IAH-urls-wget.warc.gz", 16, 11, 3),
        (
            "ukwa/wikipedia-sopa-blackout-2012_wikipedia-blackout_sopa-wikipedia-homepage.warc.gz",
            74,
            1,
            3,
        ),
        ("ukwa/wikipedia-sopa-blackout-2012_wikipedia-post-blackout_main-page.warc.gz", 70, 1, 3),
        (
            "ukwa/wikipedia-sopa-blackout-2012_wikipedia-post-blackout_post-blackout.warc.gz",
            51,
            1,
            3,
        ),
        ("warcio/example-wget-bad-target-uri.warc.gz", 1, 1, 3),
        ("warcio/post-test.warc.gz", 3, 0, 0),
        ("aut/example.txt.warc.gz", 2, 0, 0),
    ],
)
def test_other_real_files(name: str, total: int, html: int, not_response: int) -> None:
    responses, skips = _split(list(read_warc(_sample(name))))
    assert len(responses) == total
    assert sum(r.content_type == "text/html" for r in responses) == html
    assert _reasons(skips) == ({"not_response": not_response} if not_response else {})
    for r in responses:
        if r.content_type == "text/html" and r.status_code == 200:
            assert r.payload.lstrip()[:1] == b"<"


def test_resource_only_files() -> None:
    responses, skips = _split(list(read_warc(_sample("warcio/example-resource.warc.gz"))))
    assert responses == []
    assert [(s.reason, s.url) for s in skips] == [("not_response", "http://example.com/")]
    responses, spaced = _split(
        list(read_warc(_sample("warcio/example-space-in-target-uri.warc.gz")))
    )
    assert responses == []
    assert [(s.reason, s.url) for s in spaced] == [
        ("not_response", "file:///example%20with%20spaces.png")
    ]
    # only request records: nothing to yield, and nothing wrong
    assert list(read_warc(_sample("warcio/example-digest.warc"))) == []


def test_text_file_is_unreadable() -> None:
    path = _sample("ukwa/wikipedia-sopa-blackout-2012_LICENSE")
    [skip] = list(read_warc(path))
    assert isinstance(skip, WarcSkip)
    assert skip.reason == "unreadable"
    assert skip.source == str(path)
    assert skip.url is None
    assert "no WARC or ARC record found" in skip.detail


def test_damaged_copy_of_real_file_resyncs(tmp_path: Path) -> None:
    """Garbage between gzip members and a corrupted member mid-file cost one record each."""
    source = _sample(
        "ukwa/small-arcs-and-warcs_IAH-20080430204825-00000-blackbook-truncated.warc.gz"
    )
    data = source.read_bytes()
    # member offsets of the index.php response (3380) and the next record (9881)
    assert data[3380:3382] == data[9881:9883] == b"\x1f\x8b"
    garbage = b"\x00GARBAGE\xff" * 50
    corrupted = bytearray(data[:9881])
    corrupted[3380 + 3000 : 3380 + 3040] = b"\x55" * 40  # inside the index.php member
    damaged = bytes(corrupted) + garbage + data[9881:]
    path = tmp_path / "damaged.warc.gz"
    path.write_bytes(damaged)

    responses, skips = _split(list(read_warc(path)))
    assert [r.url for r in responses] == [
        "http://www.archive.org/robots.txt",
        "http://www.archive.org/",
        "http://www.archive.org/images/logoc.jpg",
        "http://www.archive.org/images/go-button-gateway.gif",
        "http://www.archive.org/images/star.png",
        "http://www.archive.org/services/collection-rss.php",
    ]
    # the member inflates up to the corrupt bytes, where its damage is found;
    # the garbage after it is one malformed stretch
    assert [(s.reason, s.url, _offset(s.source)) for s in skips if s.reason != "not_response"] == [
        ("no_http_headers", "dns:www.archive.org", 463),
        ("malformed", "http://www.archive.org/index.php", 3380),
        ("malformed", None, 9881),
    ]
    # the metadata record of index.php (after the garbage) is still read
    assert "http://www.archive.org/index.php" in {
        s.url for s in skips if s.reason == "not_response"
    }


# ======================================================================================
# synthetic files

DATE = "2024-05-01T10:00:00Z"
WHEN = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
HTML = (
    b"<!DOCTYPE html><html><head><title>Wire story</title></head><body><p>Text.</p></body></html>"
)


def _http(body: bytes, *headers: tuple[str, str], status: str = "200 OK") -> bytes:
    lines = [f"HTTP/1.1 {status}"] + [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _chunked(data: bytes, size: int = 7) -> bytes:
    out = b""
    for i in range(0, len(data), size):
        piece = data[i : i + size]
        out += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    return out + b"0\r\n\r\n"


class WarcBuilder:
    """Writes records with warcio's WARCWriter and remembers where each one starts."""

    def __init__(self, *, compress: bool) -> None:
        self.buffer = io.BytesIO()
        self.writer = WARCWriter(self.buffer, gzip=compress)
        self.compress = compress
        self.offsets: list[int] = []

    def record(
        self,
        url: str,
        rec_type: str = "response",
        block: bytes = b"",
        date: str = DATE,
        **warc_headers: str,
    ) -> str | None:
        """Write one record; returns its WARC-Payload-Digest."""
        headers = {"WARC-Date": date}
        headers.update({k.replace("_", "-"): v for k, v in warc_headers.items()})
        if rec_type in ("response", "request", "revisit") and block.startswith(b"HTTP/"):
            record = self.writer.create_warc_record(
                url,
                rec_type,
                payload=io.BytesIO(block),
                length=len(block),
                warc_headers_dict=headers,
            )
        else:
            record = self.writer.create_warc_record(
                url,
                rec_type,
                payload=io.BytesIO(block),
                length=len(block),
                warc_headers_dict=headers,
                warc_content_type="text/plain",
            )
        self.offsets.append(self.buffer.tell())
        self.writer.write_record(record)
        digest: str | None = record.rec_headers.get_header("WARC-Payload-Digest")
        return digest

    def revisit(
        self, url: str, digest: str, refers_to_url: str, refers_to_date: str, date: str = DATE
    ) -> None:
        record = self.writer.create_revisit_record(
            url, digest, refers_to_url, refers_to_date, warc_headers_dict={"WARC-Date": date}
        )
        self.offsets.append(self.buffer.tell())
        self.writer.write_record(record)

    def handmade(self, url: str, rec_type: str, block: bytes) -> None:
        """A record warcio's writer would not make (a response block without HTTP head)."""
        head = (
            f"WARC/1.0\r\nWARC-Type: {rec_type}\r\nWARC-Target-URI: {url}\r\n"
            f"WARC-Date: {DATE}\r\nWARC-Record-ID: <urn:uuid:{len(self.offsets):08d}>\r\n"
            f"Content-Length: {len(block)}\r\n\r\n"
        ).encode()
        data = head + block + b"\r\n\r\n"
        self.offsets.append(self.buffer.tell())
        self.buffer.write(gzip.compress(data) if self.compress else data)

    def raw(self, data: bytes) -> None:
        self.buffer.write(data)

    def save(self, path: Path) -> Path:
        path.write_bytes(self.buffer.getvalue())
        return path


@pytest.fixture(params=[True, False], ids=["gzip", "plain"])
def compress(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


def _name(tmp_path: Path, compress: bool) -> Path:
    return tmp_path / ("test.warc.gz" if compress else "test.warc")


def test_normal_response(tmp_path: Path, compress: bool) -> None:
    b = WarcBuilder(compress=compress)
    b.record("", "warcinfo", b"software: test\r\n")
    b.record(
        "https://news.example.com/a",
        "request",
        b"GET /a HTTP/1.1\r\nHost: news.example.com\r\n\r\n",
    )
    b.record(
        "https://news.example.com/a",
        "response",
        _http(
            HTML,
            ("Content-Type", "Text/HTML; charset=UTF-8"),
            ("Content-Length", str(len(HTML))),
            ("X-Thing", "1"),
        ),
    )
    path = b.save(_name(tmp_path, compress))

    items = list(read_warc(path))
    assert items == [
        WarcResponse(
            url="https://news.example.com/a",
            status_code=200,
            content_type="text/html",
            headers=(
                ("Content-Type", "Text/HTML; charset=UTF-8"),
                ("Content-Length", str(len(HTML))),
                ("X-Thing", "1"),
            ),
            payload=HTML,
            fetched_at=WHEN,
            source=f"{path}#{b.offsets[2]}",
        )
    ]
    assert isinstance(items[0], WarcResponse)
    assert items[0].fetched_at.tzinfo is UTC


@pytest.mark.parametrize(
    ("date", "when"),
    [
        ("2024-05-01T10:00:00.123456789012Z", WHEN.replace(microsecond=123456)),  # 12 digits
        ("2024-05-01", WHEN.replace(hour=0)),  # a day alone, as W3C-ISO8601 allows
        ("2024-05-01T12:00+02:00", WHEN),
    ],
)
def test_a_warc_date_of_any_precision_is_read(tmp_path: Path, date: str, when: datetime) -> None:
    # 12 digits of a second's fraction, or a day alone, made the record "malformed"
    b = WarcBuilder(compress=False)
    b.record("https://news.example.com/a", "response", _http(HTML), date=date)
    (item,) = list(read_warc(b.save(_name(tmp_path, False))))
    assert isinstance(item, WarcResponse) and item.fetched_at == when


def test_chunked_gzip_encoded_body_is_decoded(tmp_path: Path, compress: bool) -> None:
    body = HTML * 50
    encoded = gzip.compress(body)
    b = WarcBuilder(compress=compress)
    b.record(
        "https://news.example.com/c",
        "response",
        _http(
            _chunked(encoded, 100),
            ("Content-Type", "text/html"),
            ("Transfer-Encoding", "chunked"),
            ("Content-Encoding", "gzip"),
        ),
    )
    deflated = zlib.compress(body)
    b.record(
        "https://news.example.com/d",
        "response",
        _http(deflated, ("Content-Type", "text/html"), ("Content-Encoding", "deflate")),
    )
    raw_deflated = zlib.compress(body)[2:-4]
    b.record(
        "https://news.example.com/e",
        "response",
        _http(raw_deflated, ("Content-Type", "text/html"), ("Content-Encoding", "deflate")),
    )
    # labelled gzip but sent plain: kept as sent
    b.record(
        "https://news.example.com/f",
        "response",
        _http(HTML, ("Content-Type", "text/html"), ("Content-Encoding", "gzip")),
    )
    # labelled chunked but sent plain
    b.record(
        "https://news.example.com/g",
        "response",
        _http(HTML, ("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")),
    )
    path = b.save(_name(tmp_path, compress))

    responses, skips = _split(list(read_warc(path)))
    assert skips == []
    assert [r.url[-1] for r in responses] == ["c", "d", "e", "f", "g"]
    assert [len(r.payload) for r in responses] == [len(body)] * 3 + [len(HTML)] * 2
    assert responses[0].payload == body
    assert responses[1].payload == body
    assert responses[2].payload == body
    assert responses[3].payload == HTML
    assert responses[4].payload == HTML


def test_revisit_is_resolved_and_unresolved_one_is_skipped(tmp_path: Path, compress: bool) -> None:
    b = WarcBuilder(compress=compress)
    digest = b.record(
        "https://news.example.com/a",
        "response",
        _http(HTML, ("Content-Type", "text/html; charset=utf-8")),
    )
    assert digest is not None and digest.startswith("sha1:")
    b.revisit(
        "https://news.example.com/a?utm=x",
        digest,
        "https://news.example.com/a",
        DATE,
        date="2024-05-02T08:30:00.123456Z",
    )
    b.revisit(
        "https://news.example.com/b",
        "sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "https://news.example.com/zzz",
        "2024-04-01T00:00:00Z",
    )
    path = b.save(_name(tmp_path, compress))

    items = list(read_warc(path))
    assert len(items) == 3
    original, revisit, missing = items
    assert isinstance(original, WarcResponse) and isinstance(revisit, WarcResponse)
    assert revisit.url == "https://news.example.com/a?utm=x"
    assert revisit.fetched_at == datetime(2024, 5, 2, 8, 30, 0, 123456, tzinfo=UTC)
    assert revisit.payload == original.payload == HTML
    assert revisit.status_code == 200
    assert revisit.content_type == "text/html"
    assert revisit.headers == original.headers
    assert revisit.source == f"{path}#{b.offsets[1]}"
    assert missing == WarcSkip(
        f"{path}#{b.offsets[2]}",
        "https://news.example.com/b",
        "revisit_unresolved",
        "no earlier response in this file for sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    )


def test_revisit_cache_is_bounded(tmp_path: Path) -> None:
    b = WarcBuilder(compress=True)
    digest = b.record("https://news.example.com/a", "response", _http(HTML))
    assert digest is not None
    b.revisit("https://news.example.com/a", digest, "https://news.example.com/a", DATE)
    path = b.save(tmp_path / "t.warc.gz")
    unbounded = [type(i).__name__ for i in read_warc(path)]
    no_cache = [getattr(i, "reason", "ok") for i in read_warc(path, revisit_cache_bytes=0)]
    assert unbounded == ["WarcResponse", "WarcResponse"]
    assert no_cache == ["ok", "revisit_unresolved"]


def test_revisit_found_by_refers_to_and_digest_encodings(tmp_path: Path) -> None:
    b = WarcBuilder(compress=False)
    digest = b.record(
        "https://news.example.com/a",
        "response",
        _http(HTML),
        WARC_Record_ID="<urn:uuid:11111111-2222-3333-4444-555555555555>",
    )
    assert digest is not None
    # the same sha1 in hex instead of base32
    hex_digest = "sha1:" + base64.b32decode(digest[5:]).hex()
    b.revisit("https://news.example.com/a", hex_digest, "https://news.example.com/a", DATE)
    # no digest match, but WARC-Refers-To names the original record
    record = b.writer.create_revisit_record(
        "https://news.example.com/a",
        "sha1:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
        "https://news.example.com/a",
        DATE,
        warc_headers_dict={
            "WARC-Date": DATE,
            "WARC-Refers-To": "<urn:uuid:11111111-2222-3333-4444-555555555555>",
        },
    )
    b.writer.write_record(record)
    path = b.save(tmp_path / "t.warc")
    items = list(read_warc(path))
    assert [type(i).__name__ for i in items] == ["WarcResponse"] * 3
    assert all(isinstance(i, WarcResponse) and i.payload == HTML for i in items)


def test_garbage_between_records_is_skipped(tmp_path: Path, compress: bool) -> None:
    b = WarcBuilder(compress=compress)
    b.record("https://news.example.com/1", "response", _http(HTML + b"1"))
    garbage_at = b.buffer.tell()
    b.raw(b"this is not a record\r\n" + bytes(range(256)) * 3 + b"\r\n\r\n")
    b.record("https://news.example.com/2", "response", _http(HTML + b"2"))
    b.record("https://news.example.com/3", "response", _http(HTML + b"3"))
    path = b.save(_name(tmp_path, compress))

    items = list(read_warc(path))
    assert [(type(i).__name__, i.url) for i in items] == [
        ("WarcResponse", "https://news.example.com/1"),
        ("WarcSkip", None),
        ("WarcResponse", "https://news.example.com/2"),
        ("WarcResponse", "https://news.example.com/3"),
    ]
    skip = items[1]
    assert isinstance(skip, WarcSkip)
    assert skip.reason == "malformed"
    assert skip.source == f"{path}#{garbage_at}"
    assert [i.payload for i in items if isinstance(i, WarcResponse)] == [
        HTML + b"1",
        HTML + b"2",
        HTML + b"3",
    ]
    assert [i.source for i in items[2:]] == [f"{path}#{b.offsets[1]}", f"{path}#{b.offsets[2]}"]


def test_corrupt_gzip_member_mid_file(tmp_path: Path) -> None:
    b = WarcBuilder(compress=True)
    big = random.Random(7).randbytes(20_000)
    b.record("https://news.example.com/1", "response", _http(HTML))
    b.record("https://news.example.com/2", "response", _http(big))
    b.record("https://news.example.com/3", "response", _http(HTML + b"3"))
    data = bytearray(b.buffer.getvalue())
    start, end = b.offsets[1], b.offsets[2]
    middle = (start + end) // 2
    data[middle : middle + 64] = bytes(64)
    path = tmp_path / "t.warc.gz"
    path.write_bytes(bytes(data))

    items = list(read_warc(path))
    assert [(type(i).__name__, i.url, getattr(i, "reason", None)) for i in items] == [
        ("WarcResponse", "https://news.example.com/1", None),
        ("WarcSkip", "https://news.example.com/2", "malformed"),  # its gzip data is damaged
        ("WarcResponse", "https://news.example.com/3", None),
    ]
    assert items[2].source == f"{path}#{end}"


def test_truncated_last_record(tmp_path: Path, compress: bool) -> None:
    b = WarcBuilder(compress=compress)
    b.record("https://news.example.com/1", "response", _http(HTML))
    b.record("https://news.example.com/2", "response", _http(random.Random(1).randbytes(5000)))
    data = b.buffer.getvalue()
    path = _name(tmp_path, compress)
    path.write_bytes(data[: b.offsets[1] + (len(data) - b.offsets[1]) // 2])

    items = list(read_warc(path))
    assert len(items) == 2
    first, last = items
    assert isinstance(first, WarcResponse) and first.payload == HTML
    assert last == WarcSkip(
        f"{path}#{b.offsets[1]}",
        "https://news.example.com/2",
        "truncated",
        "record block is shorter than its Content-Length",
    )


def test_gzip_member_cut_in_its_trailer(tmp_path: Path) -> None:
    b = WarcBuilder(compress=True)
    b.record("https://news.example.com/1", "response", _http(HTML))
    path = tmp_path / "t.warc.gz"
    path.write_bytes(b.buffer.getvalue()[:-4])  # the ISIZE field of the gzip trailer is gone
    [item] = list(read_warc(path))
    assert item == WarcSkip(
        f"{path}#0", "https://news.example.com/1", "truncated", "gzip member ends early"
    )


def test_warc_truncated_header_and_short_http_body(tmp_path: Path) -> None:
    b = WarcBuilder(compress=False)
    b.record("https://news.example.com/1", "response", _http(HTML), WARC_Truncated="length")
    b.record(
        "https://news.example.com/2",
        "response",
        _http(HTML, ("Content-Length", str(len(HTML) + 100))),
    )
    b.record("https://news.example.com/3", "response", _http(HTML))
    path = b.save(tmp_path / "t.warc")
    items = list(read_warc(path))
    assert [
        (type(i).__name__, getattr(i, "reason", None), getattr(i, "detail", None)) for i in items
    ] == [
        ("WarcSkip", "truncated", "WARC-Truncated: length"),
        (
            "WarcSkip",
            "truncated",
            f"body has {len(HTML)} of the {len(HTML) + 100} bytes in its Content-Length",
        ),
        ("WarcResponse", None, None),
    ]


def test_wrong_content_length_does_not_swallow_the_next_record(tmp_path: Path) -> None:
    b = WarcBuilder(compress=False)
    b.record("https://news.example.com/1", "response", _http(HTML))
    b.record("https://news.example.com/2", "response", _http(HTML + b"2"))
    b.record("https://news.example.com/3", "response", _http(HTML + b"3"))
    data = b.buffer.getvalue()
    first = data[: b.offsets[1]]
    match = re.search(rb"Content-Length: (\d+)\r\n", first)
    assert match is not None
    longer = int(match.group(1)) + 60  # reaches into the next record's WARC header
    first = first.replace(match.group(0), f"Content-Length: {longer}\r\n".encode())
    delta = len(first) - b.offsets[1]
    path = tmp_path / "t.warc"
    path.write_bytes(first + data[b.offsets[1] :])

    items = list(read_warc(path))
    assert [(type(i).__name__, i.url, getattr(i, "reason", None)) for i in items] == [
        ("WarcSkip", "https://news.example.com/1", "malformed"),
        ("WarcResponse", "https://news.example.com/2", None),
        ("WarcResponse", "https://news.example.com/3", None),
    ]
    assert items[1].source == f"{path}#{b.offsets[1] + delta}"


def test_whole_file_gzip_stream(tmp_path: Path) -> None:
    b = WarcBuilder(compress=False)
    b.record("", "warcinfo", b"software: test\r\n")
    b.record("https://news.example.com/1", "response", _http(HTML + b"1"))
    b.record("https://news.example.com/2", "response", _http(HTML + b"2"))
    path = tmp_path / "t.warc.gz"
    path.write_bytes(gzip.compress(b.buffer.getvalue()))

    items = list(read_warc(path))
    assert [(type(i).__name__, i.url) for i in items] == [
        ("WarcResponse", "https://news.example.com/1"),
        ("WarcResponse", "https://news.example.com/2"),
    ]
    # offsets are into the decompressed stream
    assert [i.source for i in items] == [f"{path}#{b.offsets[1]}", f"{path}#{b.offsets[2]}"]

    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(gzip.compress(b.buffer.getvalue())[:-30])
    cut_items = list(read_warc(cut))
    assert [type(i).__name__ for i in cut_items] == ["WarcResponse", "WarcSkip"]
    assert isinstance(cut_items[1], WarcSkip) and cut_items[1].reason == "truncated"


def test_too_large_payload(tmp_path: Path, compress: bool) -> None:
    big = b"<p>" + b"x" * 50_000 + b"</p>"
    b = WarcBuilder(compress=compress)
    digest = b.record("https://news.example.com/big", "response", _http(big))
    # a gzip body that is small on disk but decodes past the limit
    bomb = gzip.compress(b"\0" * 5_000_000)
    b.record("https://news.example.com/bomb", "response", _http(bomb, ("Content-Encoding", "gzip")))
    assert digest is not None
    b.revisit("https://news.example.com/big2", digest, "https://news.example.com/big", DATE)
    b.record("https://news.example.com/small", "response", _http(HTML))
    path = b.save(_name(tmp_path, compress))

    items = list(read_warc(path, max_payload_bytes=10_000))
    assert [(i.url, getattr(i, "reason", "ok")) for i in items] == [
        ("https://news.example.com/big", "too_large"),
        ("https://news.example.com/bomb", "too_large"),
        ("https://news.example.com/big2", "too_large"),
        ("https://news.example.com/small", "ok"),
    ]
    assert isinstance(items[0], WarcSkip)
    assert items[0].detail == "payload is larger than 10000 bytes"
    # with the default limit the same file reads fine
    assert [getattr(i, "reason", "ok") for i in read_warc(path)] == ["ok"] * 4


def test_records_that_are_not_responses(tmp_path: Path) -> None:
    b = WarcBuilder(compress=True)
    b.record("https://news.example.com/r", "resource", b"plain text")
    b.record("https://news.example.com/r", "metadata", b"via: x\r\n")
    b.record("", "metadata", b"no target\r\n")
    b.record("https://news.example.com/r", "request", b"GET /r HTTP/1.1\r\n\r\n")
    b.handmade("https://news.example.com/plain", "response", b"<html>no http head</html>")
    b.handmade(
        "dns:news.example.com", "response", b"20240501100000\nnews.example.com. 60 IN A 1.2.3.4"
    )
    path = b.save(tmp_path / "t.warc.gz")

    items = list(read_warc(path))
    assert [(i.reason, i.url) for i in items if isinstance(i, WarcSkip)] == [
        ("not_response", "https://news.example.com/r"),
        ("not_response", "https://news.example.com/r"),
        ("no_http_headers", "https://news.example.com/plain"),
        ("no_http_headers", "dns:news.example.com"),
    ]
    assert len(items) == 4


def test_malformed_http_head_costs_only_its_record(tmp_path: Path) -> None:
    b = WarcBuilder(compress=False)
    b.record("https://news.example.com/1", "response", b"HTTP/1.1 OK-ish\r\n\r\n<html></html>")
    b.record(
        "https://news.example.com/2",
        "response",
        _http(b"5\r\nabcde\r\nzz\r\n", ("Transfer-Encoding", "chunked")),
    )
    b.record("https://news.example.com/3", "response", _http(HTML), WARC_Date="yesterday")
    b.record("https://news.example.com/4", "response", _http(HTML))
    path = b.save(tmp_path / "t.warc")
    items = list(read_warc(path))
    assert [(i.url, getattr(i, "reason", "ok")) for i in items] == [
        ("https://news.example.com/1", "malformed"),
        ("https://news.example.com/2", "malformed"),
        ("https://news.example.com/3", "malformed"),
        ("https://news.example.com/4", "ok"),
    ]


def test_missing_file_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "nope.warc.gz"
    iterator = read_warc(path)  # lazy: nothing is opened yet
    assert path.exists() is False
    [skip] = list(iterator)
    assert skip == WarcSkip(str(path), None, "unreadable", "cannot open: No such file or directory")


def test_directory_and_empty_file_are_unreadable(tmp_path: Path) -> None:
    [as_dir] = list(read_warc(tmp_path))
    assert isinstance(as_dir, WarcSkip)
    assert as_dir.reason == "unreadable" and as_dir.source == str(tmp_path)
    empty = tmp_path / "empty.warc"
    empty.write_bytes(b"")
    assert list(read_warc(empty)) == [WarcSkip(str(empty), None, "unreadable", "file is empty")]
    empty_gz = tmp_path / "empty.warc.gz"
    empty_gz.write_bytes(gzip.compress(b""))
    [skip] = list(read_warc(empty_gz))
    assert isinstance(skip, WarcSkip)
    assert skip.reason == "unreadable" and skip.detail == "no WARC or ARC record found"


def test_png_and_random_bytes_are_unreadable(tmp_path: Path) -> None:
    png = tmp_path / "image.png"
    png.write_bytes(
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
        b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7"
        b"5\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
    )
    noise = tmp_path / "noise.warc.gz"
    noise.write_bytes(b"\x1f\x8b" + random.Random(3).randbytes(300_000))
    text = tmp_path / "notes.warc"
    text.write_bytes(b"just some notes\nWARC is a format\n" * 100)
    for path in (png, noise, text):
        items = list(read_warc(path))
        assert len(items) == 1, path
        assert isinstance(items[0], WarcSkip)
        assert items[0].reason == "unreadable"
        assert items[0].source == str(path)
        assert items[0].detail.startswith("no WARC or ARC record found")


def test_garbage_before_the_first_record(tmp_path: Path) -> None:
    b = WarcBuilder(compress=False)
    b.raw(b"leading junk line\r\n")
    b.record("https://news.example.com/1", "response", _http(HTML))
    path = b.save(tmp_path / "t.warc")
    items = list(read_warc(path))
    assert _read_as(items) == [
        ("WarcSkip", "malformed", 0),
        ("WarcResponse", None, b.offsets[0]),
    ]


def test_real_file_copy_with_uncompressed_damage(tmp_path: Path) -> None:
    source = _sample("aut/issue-493.warc")
    data = source.read_bytes()
    # overwrite the WARC header line of the notekl.gif response at 3817
    assert data[3817:3827] == b"WARC/1.0\r\n"
    damaged = data[:3817] + b"WARX/9.9\r\n" + data[3827:]
    path = tmp_path / "damaged.warc"
    path.write_bytes(damaged)
    responses, skips = _split(list(read_warc(path)))
    assert len(responses) == 10  # notekl.gif is lost, and with it both its revisits
    assert Counter(s.reason for s in skips) == {"malformed": 1, "revisit_unresolved": 4}
    assert [_offset(s.source) for s in skips if s.reason == "malformed"] == [3817]


def test_bad_arguments_raise() -> None:
    with pytest.raises(ValueError):
        read_warc("x.warc", max_payload_bytes=-1)
    with pytest.raises(ValueError):
        read_warc("x.warc", revisit_cache_bytes=-1)


def _read_with_peak(path: Path, **limits: int) -> tuple[list[WarcResponse | WarcSkip], int]:
    """What read_warc yields for the file, and the most memory it held meanwhile."""
    import tracemalloc

    tracemalloc.start()
    try:
        items = list(read_warc(path, **limits))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return items, peak


def test_zero_filled_tail_is_one_malformed_stretch_read_in_bounded_memory(
    tmp_path: Path, compress: bool
) -> None:
    b = WarcBuilder(compress=compress)
    b.record("https://news.example.com/1", "response", _http(HTML))
    tail_at = b.buffer.tell()
    path = b.save(_name(tmp_path, compress))
    with path.open("ab") as fh:
        fh.write(bytes(24 * 1024 * 1024))  # what a crashed writer can leave behind

    items, peak = _read_with_peak(path)
    assert _read_as(items) == [
        ("WarcResponse", None, 0),
        ("WarcSkip", "malformed", tail_at),
    ]
    assert peak < 4 * 1024 * 1024


def test_too_large_payload_is_not_held_in_memory(tmp_path: Path) -> None:
    # incompressible, so that the file is as big as the payload (warcio inflates one 4 KiB
    # block at a time: extremely compressible members cost a few MB more, still not the payload)
    body = random.Random(5).randbytes(20 * 1024 * 1024)
    b = WarcBuilder(compress=True)
    b.record("https://news.example.com/huge", "response", _http(body))
    b.record("https://news.example.com/after", "response", _http(HTML))
    path = b.save(tmp_path / "t.warc.gz")
    del body, b

    read, peak = _read_with_peak(path, max_payload_bytes=1_000_000)
    items = [(i.url, getattr(i, "reason", "ok")) for i in read]
    assert items == [
        ("https://news.example.com/huge", "too_large"),
        ("https://news.example.com/after", "ok"),
    ]
    assert peak < 4 * 1024 * 1024


def test_multi_member_gzip_content_encoding(tmp_path: Path) -> None:
    body = gzip.compress(b"<html><body>first half ") + gzip.compress(b"second half</body></html>")
    b = WarcBuilder(compress=False)
    b.record("https://news.example.com/m", "response", _http(body, ("Content-Encoding", "gzip")))
    path = b.save(tmp_path / "t.warc")
    [item] = list(read_warc(path))
    assert isinstance(item, WarcResponse)
    assert item.payload == b"<html><body>first half second half</body></html>"


def test_chunked_trailers_interim_head_and_cut_chunked_bodies(
    tmp_path: Path, compress: bool
) -> None:
    chunked = ("Transfer-Encoding", "chunked")
    b = WarcBuilder(compress=compress)
    # trailer fields after the last chunk (warcio's de-chunker does not read them)
    b.record(
        "https://news.example.com/t",
        "response",
        _http(_chunked(HTML)[:-2] + b"X-Sum: 1\r\n\r\n", chunked),
    )
    # an interim "100 Continue" head kept before the real one
    b.record(
        "https://news.example.com/c",
        "response",
        b"HTTP/1.1 100 Continue\r\n\r\n" + _http(HTML, ("Content-Type", "text/html")),
    )
    # whole records whose chunked bodies were cut: before the last chunk, inside a chunk
    b.record("https://news.example.com/l", "response", _http(_chunked(HTML)[:-5], chunked))
    b.record("https://news.example.com/i", "response", _http(_chunked(HTML)[:-10], chunked))
    path = b.save(_name(tmp_path, compress))

    trailers, interim, last, inside = list(read_warc(path))
    assert isinstance(trailers, WarcResponse) and trailers.payload == HTML
    assert isinstance(interim, WarcResponse) and interim.payload == HTML
    assert (interim.status_code, interim.content_type) == (200, "text/html")
    assert (last.reason, last.detail) == ("truncated", "chunked body ends before its last chunk")
    assert (inside.reason, inside.detail) == ("truncated", "chunked body ends inside a chunk")


def test_a_chunk_too_big_for_the_limit_is_not_read_whole(tmp_path: Path, compress: bool) -> None:
    body = random.Random(9).randbytes(3 * 1024 * 1024)
    one_chunk = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    b = WarcBuilder(compress=compress)
    b.record(
        "https://news.example.com/big",
        "response",
        _http(one_chunk, ("Transfer-Encoding", "chunked")),
    )
    b.record("https://news.example.com/after", "response", _http(HTML))
    path = b.save(_name(tmp_path, compress))
    del body, one_chunk, b

    read, peak = _read_with_peak(path, max_payload_bytes=100_000)
    items = [(i.url, getattr(i, "reason", "ok")) for i in read]
    assert items == [
        ("https://news.example.com/big", "too_large"),
        ("https://news.example.com/after", "ok"),
    ]
    assert peak < 1024 * 1024


@pytest.mark.parametrize("head", ["warc", "http"])
def test_a_head_of_millions_of_lines_costs_only_its_record_in_bounded_memory(
    tmp_path: Path, compress: bool, head: str
) -> None:
    # A few KB of gzip can hold megabytes of short header lines; warcio parses them all
    lines = b"X-Pad: a\r\n" * (8 * 1024 * 1024 // 10)
    http = _http(HTML)
    if head == "warc":
        bomb = (
            b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: https://news.example.com/bomb\r\n"
            + lines
            + b"Content-Length: %d\r\n\r\n" % len(http)
            + http
            + b"\r\n\r\n"
        )
    else:
        block = http.replace(b"\r\n\r\n", b"\r\n" + lines + b"\r\n", 1)
        bomb = (
            b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: https://news.example.com/bomb\r\n"
            b"WARC-Date: 2024-03-05T10:00:00Z\r\nContent-Type: application/http; msgtype=response\r\n"
            b"Content-Length: %d\r\n\r\n" % len(block) + block + b"\r\n\r\n"
        )
    b = WarcBuilder(compress=compress)
    b.record("https://news.example.com/before", "response", _http(HTML))
    b.raw(gzip.compress(bomb) if compress else bomb)
    b.record("https://news.example.com/after", "response", _http(HTML))
    path = b.save(_name(tmp_path, compress))
    del lines, bomb

    items, peak = _read_with_peak(path)
    responses, skips = _split(items)
    assert [r.url for r in responses] == [
        "https://news.example.com/before",
        "https://news.example.com/after",
    ]
    assert [(s.reason, s.detail) for s in skips][:1] == [
        ("malformed", "record head is longer than 1024 KB")
    ]
    assert peak < 32 * 1024 * 1024  # the parsed head of 1 MB of lines; 8 MB of them: 130 MB


def test_bytes_before_the_first_gzip_member_cost_only_themselves(tmp_path: Path) -> None:
    # The file did not start with a gzip member, was read as a plain WARC, and was unreadable
    b = WarcBuilder(compress=True)
    b.raw(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n")
    b.record("https://news.example.com/1", "response", _http(HTML))
    b.record("https://news.example.com/2", "response", _http(HTML))
    path = b.save(tmp_path / "t.warc.gz")
    items = list(read_warc(path))
    assert _read_as(items) == [
        ("WarcSkip", "malformed", 0),
        ("WarcResponse", None, b.offsets[0]),
        ("WarcResponse", None, b.offsets[1]),
    ]
    assert items[0].detail == f"{b.offsets[0]} bytes before the first gzip member skipped"
