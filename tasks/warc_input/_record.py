"""One WARC/ARC record read through warcio's public API.

warcio frames the record (``ArchiveIterator``), parses its WARC headers
(``record.rec_headers``) and its HTTP head (``record.http_headers``), and undoes chunked
transfer coding (``ChunkedDataReader``, the reader ``record.content_stream()`` uses, here
with ``raise_exceptions=True`` so that a broken or cut chunked body is reported instead of
guessed at). What is read from ``record.raw_stream`` is counted against the length warcio
framed (``record.payload_length``), so a block the file cut short is seen as such.

Content codings are undone by ``tasks.content_coding`` (the decoders the fetcher uses), not
by ``content_stream()``: warcio inflates without an output bound, reads only the first gzip
member, prints a corrupt body's zlib error to stderr and returns what it had, and does not
say when a body ends early (webrecorder/warcio#138). Here a decoded body is capped at
``max_payload_bytes`` as it grows, and a corrupt or cut one is a skip with its reason.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from warcio.bufferedreaders import ChunkedDataException, ChunkedDataReader

from tasks.content_coding import CodingProblem, TooLarge, decoders_for
from tasks.datebounds import plausible
from tasks.warc_input._items import (
    BLOCK,
    MAX_HEADER_LINE,
    BoundedHeadParser,
    Processed,
    WarcResponse,
    WarcSkip,
    clip,
    guarded,
)
from tasks.warc_input._revisits import Original, RevisitCache, digest_key

# The record is framed correctly but its HTTP message cannot be used.
_PayloadProblem = CodingProblem

_MAX_CHUNK_LINE = 1024
_STATUS_RE = re.compile(r"\d{3}")
_CHUNK_LINE_RE = re.compile(rb"[0-9A-Fa-f]{1,15}(?:;[^\r\n]*)?\r\n")
_LAST_CHUNK_RE = re.compile(rb"0+(?:;[^\r\n]*)?\r\n")
_SHORT_BLOCK = "record block is shorter than its Content-Length"
_DIGITS_RE = re.compile(r"[0-9]+")
# W3C-ISO8601, as WARC 1.1 writes its dates: a day alone ("2024-03-01"), or a time to the
# minute, the second or any fraction of it (a record with 12 digits of fraction was lost).
_ISO_DATE_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"\s*(Z|z|[+-]\d{2}:?\d{2})?)?"
)
_TIMESTAMP_RE = re.compile(r"(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?")
_NO_BODY_STATUSES = frozenset({204, 304})
_HTTP_PARSER = BoundedHeadParser(["HTTP/"], verify=False)


def parse_date(value: str | None) -> datetime | None:
    """A WARC-Date (ISO 8601, optional fraction and offset) or a 12/14-digit timestamp;
    None for one no crawl can have (before 1995, or days from now)."""
    when = _read_date(value)
    return when if when is not None and plausible(when) else None


def _read_date(value: str | None) -> datetime | None:
    if not value:
        return None
    value = value.strip()
    try:
        m = _ISO_DATE_RE.fullmatch(value)
        if m:
            year, month, day, hour, minute = (int(m.group(i) or 0) for i in range(1, 6))
            second = int(m.group(6) or 0)
            micro = int((m.group(7) or "0")[:6].ljust(6, "0"))
            when = datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)
            zone = m.group(8)
            if zone and zone not in "Zz":
                sign = 1 if zone[0] == "+" else -1
                digits = zone[1:].replace(":", "")
                when -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            return when
        m = _TIMESTAMP_RE.fullmatch(value)
        if m:
            year, month, day, hour, minute, second = (int(m.group(i) or 0) for i in range(1, 7))
            return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except (ValueError, OverflowError):
        return None
    return None


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def _tokens(headers: list[tuple[str, str]], name: str) -> list[str]:
    out: list[str] = []
    for key, value in headers:
        if key.lower() == name:
            out.extend(t.strip().lower() for t in value.split(",") if t.strip())
    return out


def _mime(value: str | None) -> str | None:
    if value is None:
        return None
    mime = value.split(";", 1)[0].strip().lower()
    return mime or None


# --------------------------------------------------------------------------------------
# one record's block, read through warcio


class _Block:
    """``record.raw_stream`` after the HTTP head: counts and hashes what is read from it.

    ``expected`` is what warcio says is left of the block (``payload_length`` after a parsed
    HTTP head, else ``length``); reading fewer bytes than that means the file ran out."""

    def __init__(self, record: Any) -> None:
        self._stream = record.raw_stream
        payload_length = getattr(record, "payload_length", -1)
        self.expected: int = payload_length if payload_length >= 0 else (record.length or 0)
        self.sha1 = hashlib.sha1()
        self.length = 0

    def _seen(self, data: bytes) -> bytes:
        self.sha1.update(data)
        self.length += len(data)
        return data

    def read(self, size: int = BLOCK) -> bytes:
        return self._seen(guarded(self._stream.read, size if size and size > 0 else BLOCK))

    def readline(self, size: int = MAX_HEADER_LINE) -> bytes:
        return self._seen(guarded(self._stream.readline, size))

    def drain(self) -> None:
        while self.read(BLOCK):
            pass

    @property
    def short(self) -> bool:
        """The block ended before its Content-Length: the stream ran out."""
        return self.length < self.expected


class _Prefixed:
    """A stream with a line already read from it put back in front."""

    def __init__(self, first: bytes, rest: _Block) -> None:
        self._first = first
        self._rest = rest

    def _take(self, size: int) -> bytes:
        data, self._first = self._first[:size], self._first[size:]
        return data

    def read(self, size: int = BLOCK) -> bytes:
        if self._first:
            return self._take(size if size and size > 0 else len(self._first))
        return self._rest.read(size)

    def readline(self, size: int = MAX_HEADER_LINE) -> bytes:
        if self._first:
            return self._take(size if size and size > 0 else len(self._first))
        return self._rest.readline(size)


class _ChunkSource(_Prefixed):
    """What warcio's ``ChunkedDataReader`` reads from: the trailer fields after the last
    chunk (which warcio does not read) are passed over here, and a chunk too big to decode
    within the limit is refused before warcio reads it whole into memory."""

    def __init__(self, first: bytes, rest: _Block, limit: int) -> None:
        super().__init__(first, rest)
        self._last_chunk = False
        # deflate and br add next to nothing to incompressible data: a chunk twice the limit
        # cannot decode to less than the limit
        self._max_chunk = 2 * limit + BLOCK

    def readline(self, size: int = MAX_HEADER_LINE) -> bytes:
        line = super().readline(size)
        self._last_chunk = _LAST_CHUNK_RE.fullmatch(line) is not None
        if _CHUNK_LINE_RE.fullmatch(line) and int(line.split(b";")[0], 16) > self._max_chunk:
            raise TooLarge
        return line

    def read(self, size: int = BLOCK) -> bytes:
        if self._last_chunk and size == 2:  # warcio wants the CRLF that ends the body
            self._last_chunk = False
            while True:
                line = self.readline(MAX_HEADER_LINE)
                if not line.strip():
                    return line
        return super().read(size)


@dataclass(slots=True)
class _Head:
    status_code: int
    headers: list[tuple[str, str]]


def _http_head(record: Any, block: _Block) -> _Head:
    """The HTTP status and headers warcio parsed at the start of the block.

    warcio reads an interim ``100 Continue`` head as the head; the real one follows it in
    the block and is parsed with warcio's own parser."""
    head = record.http_headers
    while True:
        if head is None:
            raise _PayloadProblem("no_http_headers", "record block holds no HTTP head")
        line = f"{head.protocol} {head.statusline}".strip()
        if not head.protocol.upper().startswith("HTTP/"):
            raise _PayloadProblem(
                "no_http_headers",
                clip(f"block does not start with an HTTP status line: {line[:60]!r}"),
            )
        code = head.get_statuscode()
        if not _STATUS_RE.fullmatch(code):
            raise _PayloadProblem("malformed", clip(f"bad HTTP status line {line[:80]!r}"))
        status = int(code)
        if not (100 <= status < 200 and status != 101):
            return _Head(status, list(head.headers))
        try:  # an interim "100 Continue" head kept before the real one
            head = _HTTP_PARSER.parse(block)
        except EOFError:
            return _Head(status, list(head.headers))


def _dechunked(
    block: _Block, status_code: int, limit: int
) -> _Block | _Prefixed | ChunkedDataReader:
    """The body with chunked transfer coding undone by warcio's ``ChunkedDataReader``.

    A body labelled chunked that does not start with a chunk-size line was sent plain:
    it is kept as it is."""
    first = block.readline(_MAX_CHUNK_LINE)
    if not first:
        if status_code in _NO_BODY_STATUSES:
            return block
        raise _PayloadProblem("truncated", "chunked body ends before its last chunk")
    if not _CHUNK_LINE_RE.fullmatch(first):
        return _Prefixed(first, block)
    return ChunkedDataReader(_ChunkSource(first, block, limit), raise_exceptions=True)


def _chunk_problem(exc: ChunkedDataException, block: _Block) -> _PayloadProblem:
    """What warcio's de-chunking error means for the record."""
    message = exc.args[0] if exc.args else b""
    text = message.decode("latin-1") if isinstance(message, bytes) else str(message)
    if text.startswith("Ran out of data"):
        return _PayloadProblem("truncated", "chunked body ends inside a chunk")
    if block.length >= block.expected and text.rstrip().endswith(("header", "0", "found.")):
        # nothing left of the block where the next chunk-size line or CRLF belonged
        return _PayloadProblem("truncated", "chunked body ends before its last chunk")
    if text.startswith("Couldn't decode length header"):
        return _PayloadProblem("malformed", clip(f"bad chunk-size line: {text[30:70]!r}"))
    return _PayloadProblem("malformed", clip(f"chunked body is broken: {text}"))


def _read_payload(block: _Block, head: _Head, limit: int) -> bytes:
    """De-chunk (warcio) and content-decode (``tasks.content_coding``) the body, holding at
    most ``limit`` decoded bytes."""
    transfer = _tokens(head.headers, "transfer-encoding")
    content = _tokens(head.headers, "content-encoding")
    decoders = decoders_for(content + [t for t in transfer if t != "chunked"], limit)
    body = _dechunked(block, head.status_code, limit) if "chunked" in transfer else block
    payload = bytearray()

    def push(data: bytes, start: int) -> None:
        for decoder in decoders[start:]:
            if not data:
                return
            data = decoder.feed(data)
        if len(payload) + len(data) > limit:
            raise TooLarge
        payload.extend(data)

    try:
        while piece := body.read(BLOCK):
            push(piece, 0)
    except ChunkedDataException as exc:
        raise _chunk_problem(exc, block) from exc
    for index, decoder in enumerate(decoders):
        push(decoder.finish(), index + 1)
    return bytes(payload)


class RecordReader:
    """Turns one record warcio has framed into a response or a skip."""

    def __init__(self, max_payload_bytes: int, cache: RevisitCache) -> None:
        self.limit = max_payload_bytes
        self.cache = cache

    def process(self, record: Any, source: str) -> Processed:
        headers = record.rec_headers
        rec_type = (record.rec_type or "").strip().lower()
        url = headers.get_header("WARC-Target-URI")
        if rec_type == "response":
            return self._response(record, url, source)
        if rec_type == "revisit":
            return self._revisit(record, url, source)
        block = _Block(record)
        block.drain()
        result: WarcSkip | None = None
        if not rec_type:
            result = WarcSkip(source, url, "malformed", "record has no WARC-Type")
        elif rec_type in ("resource", "metadata") and url:
            result = WarcSkip(source, url, "not_response", f"{rec_type} record")
        return Processed(result, short=block.short)

    def _response(self, record: Any, url: str | None, source: str) -> Processed:
        headers = record.rec_headers
        block = _Block(record)

        def skip(reason: str, detail: str) -> Processed:
            block.drain()
            if block.short:
                reason, detail = "truncated", _SHORT_BLOCK
            return Processed(WarcSkip(source, url, reason, clip(detail)), short=block.short)

        truncated = headers.get_header("WARC-Truncated")
        if truncated is not None:
            return skip("truncated", f"WARC-Truncated: {truncated}")
        if not url:
            return skip("malformed", "response record has no WARC-Target-URI")
        fetched_at = parse_date(headers.get_header("WARC-Date"))
        if fetched_at is None:
            return skip("malformed", f"bad WARC-Date {headers.get_header('WARC-Date')!r}")
        segment = headers.get_header("WARC-Segment-Number")
        if segment is not None:
            return skip("truncated", f"segmented record (WARC-Segment-Number: {segment})")

        try:
            head = _http_head(record, block)
        except _PayloadProblem as exc:
            return skip(exc.reason, exc.detail)
        problem: _PayloadProblem | None = None
        too_large = False
        payload = b""
        try:
            payload = _read_payload(block, head, self.limit)
        except _PayloadProblem as exc:
            problem = exc
        except TooLarge:
            too_large = True
        block.drain()  # the rest of the block, still hashed
        if block.short:
            return Processed(WarcSkip(source, url, "truncated", _SHORT_BLOCK), short=True)

        digest = digest_key(headers.get_header("WARC-Payload-Digest"))
        keys: list[Hashable] = [k for k in (digest, ("digest", "sha1", block.sha1.digest())) if k]
        record_id = headers.get_header("WARC-Record-ID")
        if record_id:
            keys.append(("id", record_id.strip()))
        keys += [("urldate", url, fetched_at), ("url", url)]

        if too_large:
            self.cache.add_too_large(tuple(keys))
            detail = f"payload is larger than {self.limit} bytes"
            return Processed(WarcSkip(source, url, "too_large", detail))
        if problem is not None:
            return Processed(WarcSkip(source, url, problem.reason, problem.detail))
        announced = _header(head.headers, "content-length")
        if (
            "chunked" not in _tokens(head.headers, "transfer-encoding")
            and head.status_code not in _NO_BODY_STATUSES
            and not 100 <= head.status_code < 200
            and announced is not None
            and _DIGITS_RE.fullmatch(announced.strip())
            and block.length < int(announced.strip())
        ):
            detail = (
                f"body has {block.length} of the {announced.strip()} bytes in its Content-Length"
            )
            return Processed(WarcSkip(source, url, "truncated", detail))

        content_type = _mime(_header(head.headers, "content-type"))
        http_headers = tuple(head.headers)
        response = WarcResponse(
            url=url,
            status_code=head.status_code,
            content_type=content_type,
            headers=http_headers,
            payload=payload,
            fetched_at=fetched_at,
            source=source,
        )
        original = Original(url, head.status_code, content_type, http_headers, payload)
        return Processed(response, remember=partial(self.cache.add, tuple(keys), original))

    def _revisit(self, record: Any, url: str | None, source: str) -> Processed:
        headers = record.rec_headers
        block = _Block(record)
        fetched_at = parse_date(headers.get_header("WARC-Date"))
        own: _Head | None = None
        try:
            own = _http_head(record, block)
        except _PayloadProblem:
            own = None  # the HTTP head of a revisit is optional
        block.drain()
        if block.short:
            return Processed(WarcSkip(source, url, "truncated", _SHORT_BLOCK), short=True)
        if not url:
            return Processed(
                WarcSkip(source, url, "malformed", "revisit record has no WARC-Target-URI")
            )
        if fetched_at is None:
            detail = f"bad WARC-Date {headers.get_header('WARC-Date')!r}"
            return Processed(WarcSkip(source, url, "malformed", clip(detail)))

        digest_value = headers.get_header("WARC-Payload-Digest")
        refers_to = headers.get_header("WARC-Refers-To")
        target = headers.get_header("WARC-Refers-To-Target-URI")
        target_date = parse_date(headers.get_header("WARC-Refers-To-Date"))
        lookups: list[Hashable] = []
        digest = digest_key(digest_value)
        if digest is not None:
            lookups.append(digest)
        if refers_to:
            lookups.append(("id", refers_to.strip()))
        if target and target_date is not None:
            lookups.append(("urldate", target.strip(), target_date))
        if digest is None:  # e.g. a "server-not-modified" revisit: the same URL, earlier
            lookups.append(("url", (target or url).strip()))

        hit = self.cache.find(tuple(lookups))
        found = hit[1] if hit is not None else None
        if hit is not None and found is None:
            detail = f"the original payload is larger than {self.limit} bytes"
            return Processed(WarcSkip(source, url, "too_large", detail))
        if hit is None or found is None:
            wanted = digest_value or refers_to or target or url
            detail = f"no earlier response in this file for {wanted}"
            return Processed(WarcSkip(source, url, "revisit_unresolved", clip(detail)))

        if own is not None and own.status_code != 304 and not 100 <= own.status_code < 200:
            status_code = own.status_code
            http_headers = tuple(own.headers)
            content_type = _mime(_header(own.headers, "content-type")) or found.content_type
        else:
            status_code, http_headers, content_type = (
                found.status_code,
                found.headers,
                found.content_type,
            )
        response = WarcResponse(
            url=url,
            status_code=status_code,
            content_type=content_type,
            headers=http_headers,
            payload=found.payload,
            fetched_at=fetched_at,
            source=source,
        )
        record_id = headers.get_header("WARC-Record-ID")
        aliases: list[Hashable] = [("urldate", url, fetched_at)]
        if record_id:
            aliases.append(("id", record_id.strip()))
        self.cache.alias(tuple(aliases), hit[0])
        return Processed(response)
