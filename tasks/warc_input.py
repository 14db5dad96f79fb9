"""Read HTTP responses out of existing WARC and ARC files, as if they had been fetched.

``wirehouse run --warc FILE`` feeds the pipeline from an archive instead of the network.
:func:`read_warc` walks one file and yields a :class:`WarcResponse` for every usable HTTP
response and a :class:`WarcSkip` (with a short reason code) for every record it cannot use.

* Formats: WARC 0.17/0.18/1.0/1.1 and ARC v1, compressed one gzip member per record (the
  norm), as one gzip stream for the whole file, or uncompressed. warcio's ``ArchiveIterator``
  does the record framing; it runs with ``no_record_parse=True`` so that this module parses
  the HTTP head itself, with bounded line lengths, and a bad HTTP head only costs its record.
  ``check_digests`` stays off: tools disagree on whether ``WARC-Payload-Digest`` covers the
  chunked or the de-chunked body, so a mismatch is no sign of damage.
* Payloads are de-chunked and content-decoded (gzip, deflate; br when a brotli module is
  installed, otherwise left encoded). ``headers`` are the HTTP headers as recorded, so they
  may still name a ``Content-Encoding`` the payload no longer has.
* ``revisit`` records are resolved against responses seen earlier in the same file (by
  payload digest, ``WARC-Refers-To``, or ``WARC-Refers-To-Target-URI`` + ``-Date``; a
  revisit without digest falls back to the latest response for its URL). A resolved revisit
  keeps its own URL and date, takes the original's payload, and its own HTTP status and
  headers when it has them (not for a 304), else the original's. The cache of earlier
  payloads is bounded by ``revisit_cache_bytes`` (oldest evicted first).
* ``resource``/``metadata`` records with a target URI give ``not_response``; ``warcinfo``,
  ``request`` and records without a target URI are passed over silently.
* Damage does not stop the walk: after a record that cannot be framed the reader scans
  forward to the next gzip member (compressed files) or the next ``WARC/x.y`` / ARC header
  line (uncompressed data) and goes on. Only a file that cannot be opened or read, or holds no
  record at all, ends in one ``WarcSkip(reason="unreadable")``. A single-stream gzip file
  cannot be resynchronised inside the stream: damage there ends the walk.
* Memory: one payload (at most ``max_payload_bytes``, decoded with bounded output steps)
  plus the revisit cache. warcio inflates gzip members in 4 KiB input blocks without an
  output bound, so an extremely compressible member costs a few MB more for a moment.
  ``_ArchiveIterator`` overrides warcio's private ``_consume_blanklines`` to read the lines
  between records with a length cap (upstream would read a zero-filled tail as one line).
* ``source`` is ``"path#offset"``: the byte offset of the record in the file (of its gzip
  member for compressed files). For a file that is one gzip stream the offset is into the
  decompressed data (``"path#M+offset"`` when that stream starts at byte ``M`` > 0).

Nothing here touches the network or Prefect. Only programming errors raise.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import os
import re
import stat
import zlib
from collections import OrderedDict
from collections.abc import Callable, Generator, Hashable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import (
    ChunkedDataException,
    ChunkedDataReader,
    DecompressingBufferedReader,
)
from warcio.statusandheaders import StatusAndHeadersParser

from tasks.content_coding import CodingProblem, TooLarge, decoders_for

__all__ = [
    "DEFAULT_REVISIT_CACHE_BYTES",
    "SKIP_REASONS",
    "WarcResponse",
    "WarcSkip",
    "read_warc",
]


@dataclass(frozen=True, slots=True)
class WarcResponse:
    """One HTTP response read from a WARC/ARC file."""

    url: str
    status_code: int
    content_type: str | None  # from the HTTP Content-Type header, lowercased mime only
    headers: tuple[tuple[str, str], ...]  # HTTP response headers, as recorded
    payload: bytes  # de-chunked, content-decoded body
    fetched_at: datetime  # WARC-Date / ARC date, tz-aware UTC
    source: str  # "path#offset" of the record in the input file


@dataclass(frozen=True, slots=True)
class WarcSkip:
    """A record (or a whole file) that yielded no response, and why."""

    source: str  # "path#offset", or "path" for file-level problems
    url: str | None
    reason: str  # one of SKIP_REASONS
    detail: str


SKIP_REASONS = frozenset(
    {
        "not_response",  # a resource/metadata record with a target URI: not an HTTP response
        "truncated",  # WARC-Truncated, block shorter than its Content-Length, stream cut early
        "malformed",  # bytes that are not a valid record, or a record with broken fields
        "revisit_unresolved",  # a revisit whose original response is not earlier in the file
        "unreadable",  # the file cannot be opened or read, or holds no WARC/ARC record
        "too_large",  # the decoded payload is bigger than max_payload_bytes
        "no_http_headers",  # a response record whose block is not an HTTP response (dns:, ...)
    }
)

DEFAULT_REVISIT_CACHE_BYTES = 64 * 1024 * 1024

_BLOCK = 64 * 1024
_MAX_HEADER_LINE = 64 * 1024
_MAX_HEADER_BYTES = 256 * 1024
_MAX_CHUNK_LINE = 1024
_MAX_INDEX_KEYS = 200_000
_SCAN_OVERLAP = 8 * 1024
# warcio inflates a gzip member one input block at a time, without an output bound: keep the
# block small so that a highly compressible member cannot blow up in one step
_WARCIO_BLOCK = 4 * 1024
_DETAIL_MAX = 200

# a gzip member header: magic, deflate, flags with the reserved bits clear
_GZIP_MEMBER_RE = re.compile(rb"\x1f\x8b\x08[\x00-\x1f]")
# the first line of a WARC record or an ARC v1 record, at the start of a line
_RECORD_LINE_RE = re.compile(
    rb"(?<=\n)(?:WARC/(?:0\.\d{1,2}|1\.\d)\r?\n"
    rb"|[A-Za-z][A-Za-z0-9+.\-]*:\S* \S+ \d{12,14} \S+ \d+\r?\n)"
)
_RECORD_START_RE = re.compile(rb"WARC/|[A-Za-z][A-Za-z0-9+.\-]*:")
_STATUS_RE = re.compile(r"\d{3}")
_CHUNK_LINE_RE = re.compile(rb"[0-9A-Fa-f]{1,15}(?:;[^\r\n]*)?\r\n")
_LAST_CHUNK_RE = re.compile(rb"0+(?:;[^\r\n]*)?\r\n")
_SHORT_BLOCK = "record block is shorter than its Content-Length"
_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_DIGITS_RE = re.compile(r"[0-9]+")
_ISO_DATE_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"\s*(Z|z|[+-]\d{2}:?\d{2})?"
)
_TIMESTAMP_RE = re.compile(r"(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?")
# the WARC headers warcio makes up for a record it read from an ARC header line
_ARC_HEADER_TAIL = ["warc-ip-address", "warc-date", "content-type", "content-length"]
_NO_BODY_STATUSES = frozenset({204, 304})
_DIGEST_SIZES = {"md5": 16, "sha1": 20, "sha256": 32, "sha512": 64}
_MULTI_RECORD_GZIP = "non-chunked gzip file detected"
_HTTP_PARSER = StatusAndHeadersParser(["HTTP/"], verify=False)


def read_warc(
    path: str | Path,
    *,
    max_payload_bytes: int = 10_000_000,
    revisit_cache_bytes: int = DEFAULT_REVISIT_CACHE_BYTES,
) -> Iterator[WarcResponse | WarcSkip]:
    """Yield the usable responses of one WARC/ARC file, and a skip for every unusable record.

    Streams the file; holds at most ``max_payload_bytes`` of one payload plus the revisit
    cache (``revisit_cache_bytes`` of earlier payloads) in memory. ``request`` and
    ``warcinfo`` records, and other records without a target URI, are passed over silently.
    """
    if max_payload_bytes < 0:
        raise ValueError(f"max_payload_bytes must be >= 0, got {max_payload_bytes}")
    if revisit_cache_bytes < 0:
        raise ValueError(f"revisit_cache_bytes must be >= 0, got {revisit_cache_bytes}")
    reader = _WarcReader(str(path), max_payload_bytes, _RevisitCache(revisit_cache_bytes))
    return reader.records()


# --------------------------------------------------------------------------------------
# control flow inside the reader


# The record is framed correctly but its HTTP message cannot be used.
_PayloadProblem = CodingProblem


class _StreamProblem(Exception):
    """Reading the file's byte stream failed (corrupt compression, cut gzip stream)."""

    def __init__(self, reason: str, detail: str, *, fatal: bool) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.fatal = fatal  # True when the stream cannot be resynchronised


_TooLarge = TooLarge


@dataclass(slots=True)
class _Outcome:
    """How one run of ``ArchiveIterator`` over the file ended."""

    kind: str  # "eof", "stop", "io", "resync", "stream"
    offset: int = 0
    detail: str = ""
    report: bool = True  # for "resync": yield a "malformed" skip for the bytes at offset


@dataclass(frozen=True, slots=True)
class _Original:
    """What a revisit record needs from the response it refers to."""

    url: str
    status_code: int
    content_type: str | None
    headers: tuple[tuple[str, str], ...]
    payload: bytes


@dataclass(slots=True)
class _Processed:
    result: WarcResponse | WarcSkip | None
    short: bool = False  # the block ended before its Content-Length: the stream ran out
    cache_keys: tuple[Hashable, ...] = ()
    original: _Original | None = None
    too_large_keys: tuple[Hashable, ...] = ()


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _DETAIL_MAX else text[: _DETAIL_MAX - 3] + "..."


def _describe(exc: BaseException) -> str:
    return _clip(f"{type(exc).__name__}: {exc}")


def _guarded(call: Callable[[int], bytes], size: int) -> bytes:
    """Read through warcio's readers, turning their failures on bad bytes into a problem."""
    try:
        return call(size)
    except (_StreamProblem, OSError):
        raise
    except Exception as exc:  # warcio's decompressing readers on corrupt bytes
        raise _StreamProblem("malformed", _describe(exc), fatal=False) from exc


def _drain(stream: Any) -> None:
    while _guarded(stream.read, _BLOCK):
        pass


# --------------------------------------------------------------------------------------
# streams


class _OffsetView:
    """A read-only view of a file that starts at byte ``base`` (for GzipFile's rewinds)."""

    def __init__(self, fh: BinaryIO, base: int) -> None:
        self._fh = fh
        self._base = base
        self.mode = "rb"
        fh.seek(base)

    def read(self, size: int = -1) -> bytes:
        return self._fh.read(size)

    def seek(self, pos: int, whence: int = 0) -> int:
        if whence == 0:
            return self._fh.seek(self._base + pos) - self._base
        return self._fh.seek(pos, whence) - self._base

    def tell(self) -> int:
        return self._fh.tell() - self._base

    def seekable(self) -> bool:
        return True


class _GzipStream:
    """The decompressed bytes of a file that is one gzip stream, from byte ``base`` on.

    Offsets are into the decompressed data. Failures surface as fatal ``_StreamProblem``
    (never as ``EOFError``, which ``ArchiveIterator`` would take for a clean end).
    """

    def __init__(self, fh: BinaryIO, base: int) -> None:
        self._gz = gzip.GzipFile(fileobj=_OffsetView(fh, base), mode="rb")

    def _call(self, func: Callable[..., Any], *args: Any) -> Any:
        try:
            return func(*args)
        except EOFError as exc:
            raise _StreamProblem("truncated", f"gzip stream ends early: {exc}", fatal=True) from exc
        except (gzip.BadGzipFile, zlib.error) as exc:
            raise _StreamProblem("malformed", f"gzip stream is corrupt: {exc}", fatal=True) from exc

    def read(self, size: int = -1) -> bytes:
        data: bytes = self._call(self._gz.read1, size if size and size > 0 else _BLOCK)
        return data

    def seek(self, pos: int, whence: int = 0) -> int:
        result: int = self._call(self._gz.seek, pos, whence)
        return result

    def tell(self) -> int:
        return self._gz.tell()


def _scan(stream: Any, start: int, pattern: re.Pattern[bytes]) -> int | None:
    """Offset of the first match of ``pattern`` at or after ``start``, reading forward."""
    pos = max(start - 1, 0)  # one byte back so that a lookbehind for "\n" can see it
    stream.seek(pos)
    buf = b"\n" if start == 0 else b""
    base = pos - len(buf)
    while True:
        block = stream.read(_BLOCK)
        if not block:
            return None
        buf += block
        for match in pattern.finditer(buf):
            if base + match.start() >= start:
                return base + match.start()
        keep = buf[-_SCAN_OVERLAP:]
        base += len(buf) - len(keep)
        buf = keep


# --------------------------------------------------------------------------------------
# small parsers


def _parse_date(value: str | None) -> datetime | None:
    """A WARC-Date (ISO 8601, optional fraction and offset) or a 12/14-digit timestamp."""
    if not value:
        return None
    value = value.strip()
    try:
        m = _ISO_DATE_RE.fullmatch(value)
        if m:
            year, month, day, hour, minute = (int(m.group(i)) for i in range(1, 6))
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


def _digest_key(value: str | None) -> Hashable | None:
    """A lookup key for a WARC digest ("sha1:BASE32", hex or base64 alike)."""
    if not value:
        return None
    alg, sep, encoded = value.strip().partition(":")
    if not sep or not encoded.strip():
        return None
    alg = alg.strip().lower().replace("-", "")
    encoded = encoded.strip()
    size = _DIGEST_SIZES.get(alg)
    if size is not None:
        decoders: tuple[Callable[[str], bytes], ...] = (
            bytes.fromhex,
            lambda s: base64.b32decode(s.upper() + "=" * (-len(s) % 8)),
            lambda s: base64.b64decode(s + "=" * (-len(s) % 4), validate=True),
            lambda s: base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)),
        )
        for decode in decoders:
            try:
                raw = decode(encoded)
            except (ValueError, binascii.Error):
                continue
            if len(raw) == size:
                return ("digest", alg, raw)
    return ("digest", alg, encoded)


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

    def read(self, size: int = _BLOCK) -> bytes:
        return self._seen(_guarded(self._stream.read, size if size and size > 0 else _BLOCK))

    def readline(self, size: int = _MAX_HEADER_LINE) -> bytes:
        return self._seen(_guarded(self._stream.readline, size))

    def drain(self) -> None:
        while self.read(_BLOCK):
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

    def read(self, size: int = _BLOCK) -> bytes:
        if self._first:
            return self._take(size if size and size > 0 else len(self._first))
        return self._rest.read(size)

    def readline(self, size: int = _MAX_HEADER_LINE) -> bytes:
        if self._first:
            return self._take(size if size and size > 0 else len(self._first))
        return self._rest.readline(size)


class _ChunkSource(_Prefixed):
    """What warcio's ``ChunkedDataReader`` reads from: the trailer fields after the last
    chunk (which warcio does not read) are passed over here."""

    def __init__(self, first: bytes, rest: _Block) -> None:
        super().__init__(first, rest)
        self._last_chunk = False

    def readline(self, size: int = _MAX_HEADER_LINE) -> bytes:
        line = super().readline(size)
        self._last_chunk = _LAST_CHUNK_RE.fullmatch(line) is not None
        return line

    def read(self, size: int = _BLOCK) -> bytes:
        if self._last_chunk and size == 2:  # warcio wants the CRLF that ends the body
            self._last_chunk = False
            while True:
                line = self.readline(_MAX_HEADER_LINE)
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
                _clip(f"block does not start with an HTTP status line: {line[:60]!r}"),
            )
        code = head.get_statuscode()
        if not _STATUS_RE.fullmatch(code):
            raise _PayloadProblem("malformed", _clip(f"bad HTTP status line {line[:80]!r}"))
        status = int(code)
        if not (100 <= status < 200 and status != 101):
            return _Head(status, list(head.headers))
        try:  # an interim "100 Continue" head kept before the real one
            head = _HTTP_PARSER.parse(block)
        except EOFError:
            return _Head(status, list(head.headers))


def _dechunked(block: _Block, status_code: int) -> _Block | _Prefixed | ChunkedDataReader:
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
    return ChunkedDataReader(_ChunkSource(first, block), raise_exceptions=True)


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
        return _PayloadProblem("malformed", _clip(f"bad chunk-size line: {text[30:70]!r}"))
    return _PayloadProblem("malformed", _clip(f"chunked body is broken: {text}"))


def _read_payload(block: _Block, head: _Head, limit: int) -> bytes:
    """De-chunk (warcio) and content-decode (``tasks.content_coding``) the body, holding at
    most ``limit`` decoded bytes."""
    transfer = _tokens(head.headers, "transfer-encoding")
    content = _tokens(head.headers, "content-encoding")
    decoders = decoders_for(content + [t for t in transfer if t != "chunked"], limit)
    body = _dechunked(block, head.status_code) if "chunked" in transfer else block
    payload = bytearray()

    def push(data: bytes, start: int) -> None:
        for decoder in decoders[start:]:
            if not data:
                return
            data = decoder.feed(data)
        if len(payload) + len(data) > limit:
            raise _TooLarge
        payload.extend(data)

    try:
        while piece := body.read(_BLOCK):
            push(piece, 0)
    except ChunkedDataException as exc:
        raise _chunk_problem(exc, block) from exc
    for index, decoder in enumerate(decoders):
        push(decoder.finish(), index + 1)
    return bytes(payload)


# --------------------------------------------------------------------------------------
# revisit cache


class _RevisitCache:
    """Earlier responses by digest, record id and URL, bounded by payload bytes and keys."""

    _TOO_LARGE = -1

    def __init__(self, max_bytes: int) -> None:
        self._max_bytes = max_bytes
        self._entries: OrderedDict[int, tuple[_Original, int]] = OrderedDict()
        self._index: OrderedDict[Hashable, int] = OrderedDict()
        self._bytes = 0
        self._next_id = 0

    def add(self, keys: tuple[Hashable, ...], original: _Original) -> None:
        size = len(original.payload) + len(original.url) + 256
        size += sum(len(k) + len(v) for k, v in original.headers)
        if size > self._max_bytes:
            return
        entry_id = self._next_id
        self._next_id += 1
        self._entries[entry_id] = (original, size)
        self._bytes += size
        while self._bytes > self._max_bytes:
            _, (_, old_size) = self._entries.popitem(last=False)
            self._bytes -= old_size
        self._link(keys, entry_id)

    def add_too_large(self, keys: tuple[Hashable, ...]) -> None:
        self._link(keys, self._TOO_LARGE)

    def alias(self, keys: tuple[Hashable, ...], entry_id: int) -> None:
        """Index more keys (a resolved revisit's own) to an entry already held."""
        self._link(keys, entry_id)

    def _link(self, keys: tuple[Hashable, ...], entry_id: int) -> None:
        for key in keys:
            self._index[key] = entry_id
            self._index.move_to_end(key)
        while len(self._index) > _MAX_INDEX_KEYS:
            self._index.popitem(last=False)

    def find(self, keys: tuple[Hashable, ...]) -> tuple[int, _Original | None] | None:
        """(entry id, original) for the first key known; the original is None when it was
        too large to keep. None when no key is known (or its entry was evicted)."""
        for key in keys:
            entry_id = self._index.get(key)
            if entry_id is None:
                continue
            if entry_id == self._TOO_LARGE:
                return entry_id, None
            held = self._entries.get(entry_id)
            if held is not None:
                self._entries.move_to_end(entry_id)
                return entry_id, held[0]
        return None


# --------------------------------------------------------------------------------------
# the reader


class _DamageAwareReader(DecompressingBufferedReader):  # type: ignore[misc]
    """warcio's decompressing reader, saying when a gzip member is damaged.

    Upstream prints the zlib error to stderr and returns no data, which reads as the end of
    the file: every record after a damaged member would be lost. Here the damage is raised,
    and the reader resynchronises at the next gzip member."""

    def _decompress(self, data: bytes) -> bytes:
        if self.decompressor is not None and data and self.num_block_read:
            try:
                out: bytes = self.decompressor.decompress(data)
            except zlib.error as exc:
                raise _StreamProblem(
                    "malformed", f"gzip data is damaged: {exc}", fatal=False
                ) from exc
            return out
        return bytes(super()._decompress(data))


class _ArchiveIterator(ArchiveIterator):  # type: ignore[misc]
    """warcio's iterator, reading the lines between records with a length cap, and through
    a reader that reports damage instead of ending early.

    Upstream reads them with an unbounded ``readline`` (a zero-filled tail would be one
    line, all in memory) and prints a warning for each misframed record; the count it keeps
    in ``err_count`` is all this module needs.
    """

    def __init__(self, fileobj: Any, **kwargs: Any) -> None:
        super().__init__(fileobj, **kwargs)
        self.reader = _DamageAwareReader(self.fh, block_size=kwargs.get("block_size", _BLOCK))

    def _consume_blanklines(self) -> tuple[bytes | None, int]:
        empty_size = 0
        first_line = True
        while True:
            line: bytes = self.reader.readline(_MAX_HEADER_LINE)
            if not line:
                return None, empty_size
            if not line.rstrip() or first_line:
                empty_size += len(line)
                if line.rstrip():
                    self.err_count += 1  # not a blank line: the Content-Length was wrong
                first_line = False
                continue
            return line, empty_size


class _WarcReader:
    def __init__(self, name: str, max_payload_bytes: int, cache: _RevisitCache) -> None:
        self.name = name
        self.limit = max_payload_bytes
        self.cache = cache
        self.size = 0
        self.compressed = False  # the file starts with a gzip member
        self.stream_base: int | None = None  # set when reading one gzip stream
        self.parsed_any = False
        self.pending: WarcSkip | None = None  # damage before the first good record
        self.last_offset = 0
        self.floor = -1  # offset of the last record framed in the current segment
        self.members = 0  # gzip members that held a record each: the file is one per record

    def _source(self, offset: int) -> str:
        if self.stream_base:
            return f"{self.name}#{self.stream_base}+{offset}"
        return f"{self.name}#{offset}"

    def _unreadable(self, detail: str) -> WarcSkip:
        return WarcSkip(self.name, None, "unreadable", _clip(detail))

    def records(self) -> Iterator[WarcResponse | WarcSkip]:
        try:
            fh = open(self.name, "rb")  # noqa: SIM115 - closed by the with below
        except OSError as exc:
            yield self._unreadable(f"cannot open: {exc.strerror or exc}")
            return
        with fh:
            try:
                info = os.fstat(fh.fileno())
                magic = fh.read(2)
            except OSError as exc:
                yield self._unreadable(f"cannot read: {exc.strerror or exc}")
                return
            if not stat.S_ISREG(info.st_mode):
                yield self._unreadable("not a regular file")
                return
            if info.st_size == 0:
                yield self._unreadable("file is empty")
                return
            self.size = info.st_size
            self.compressed = magic == b"\x1f\x8b"
            yield from self._run(fh)

    def _run(self, fh: BinaryIO) -> Iterator[WarcResponse | WarcSkip]:
        stream: Any = fh
        pattern = _GZIP_MEMBER_RE if self.compressed else _RECORD_LINE_RE
        start = 0
        skip_first = False
        at_candidate = False
        while True:
            outcome = yield from self._segment(stream, start, skip_first=skip_first)
            skip_first = False
            if outcome.kind == "resync" and outcome.offset <= self.floor:
                # never look again where records were already read: the walk always moves on
                outcome = _Outcome("resync", max(self.floor, start), outcome.detail, report=False)
            if outcome.kind in ("eof", "stop"):
                break
            if outcome.kind == "io":
                yield self._unreadable(outcome.detail)
                return
            if outcome.kind == "stream" and self.members >= 2:
                # A file of one member per record whose member goes on past its record: the
                # member is damaged (bytes inserted or lost inside it), not one gzip stream.
                outcome = _Outcome("resync", outcome.offset, "gzip member is damaged")
            if outcome.kind == "stream":
                # a gzip member holding several records: read on through one gzip stream
                self.stream_base = outcome.offset
                stream = _GzipStream(fh, outcome.offset)
                pattern = _RECORD_LINE_RE
                start, skip_first, at_candidate = 0, True, False
                continue
            # "resync": bytes at outcome.offset are no record; look for the next one
            try:
                found = _scan(stream, outcome.offset + 1, pattern)
            except _StreamProblem as exc:
                if self.parsed_any:
                    yield WarcSkip(self._source(outcome.offset), None, exc.reason, exc.detail)
                break
            except OSError as exc:
                yield self._unreadable(f"read error: {exc.strerror or exc}")
                return
            if outcome.report and not (at_candidate and outcome.offset == start):
                end = found if found is not None else (self.size if not self.stream_base else 0)
                detail = outcome.detail
                if end > outcome.offset:
                    detail += f"; {end - outcome.offset} bytes skipped to the next record"
                skip = WarcSkip(self._source(outcome.offset), None, "malformed", _clip(detail))
                if self.parsed_any:
                    yield skip
                elif self.pending is None:
                    self.pending = skip
            if found is None:
                break
            start, at_candidate = found, True
        if not self.parsed_any:
            detail = "no WARC or ARC record found"
            if self.pending is not None:
                detail += f" ({self.pending.detail})"
            yield self._unreadable(detail)

    def _segment(
        self, stream: Any, start: int, *, skip_first: bool
    ) -> Generator[WarcResponse | WarcSkip, None, _Outcome]:
        """Run one ArchiveIterator from ``start`` until the end or the first damage."""
        try:
            stream.seek(start)
            records = _ArchiveIterator(stream, arc2warc=True, block_size=_WARCIO_BLOCK)
        except _StreamProblem as exc:
            return _Outcome("stop", start, exc.detail)
        except OSError as exc:
            return _Outcome("io", start, f"read error: {exc.strerror or exc}")
        first = True
        self.floor = start - 1
        while True:
            offset = records.offset
            if offset <= self.floor and not self._inside_member(records):
                # warcio's offset arithmetic went wrong on damaged bytes (it subtracts buffered
                # decompressed bytes from a compressed position): look again after the last record
                return _Outcome("resync", self.floor, report=False)
            if self.stream_base is None and not (first and self.compressed):
                problem = self._not_a_record_start(records, stream, offset)
                if problem is not None:
                    return _Outcome("resync", offset, problem)
            try:
                record = next(records)
            except StopIteration:
                return _Outcome("eof")
            except _StreamProblem as exc:
                if self.parsed_any:
                    yield WarcSkip(self._source(offset), None, exc.reason, exc.detail)
                return _Outcome("stop" if exc.fatal else "resync", offset, exc.detail, report=False)
            except OSError as exc:
                return _Outcome("io", offset, f"read error: {exc.strerror or exc}")
            except Exception as exc:  # warcio on bytes that are not a record
                if _MULTI_RECORD_GZIP in str(exc) and self.stream_base is None:
                    return _Outcome("stream", self.last_offset)
                return _Outcome("resync", offset, _describe(exc))

            if first and skip_first:  # already read before switching to the gzip stream
                first = False
                try:
                    _drain(record.raw_stream)
                    records.get_record_length()
                except Exception as exc:  # damage right where the earlier pass had read
                    return _Outcome("stop", offset, _describe(exc))
                continue
            first = False

            problem = _framing_problem(record)
            if problem is not None:
                return _Outcome("resync", offset, problem)
            self.floor = offset
            if self.compressed and self.stream_base is None and offset != self.last_offset:
                self.members += 1
            self.last_offset = offset
            if not self.parsed_any:
                self.parsed_any = True
                if self.pending is not None:
                    yield self.pending
                    self.pending = None

            source = self._source(offset)
            url = record.rec_headers.get_header("WARC-Target-URI")
            try:
                done = self._process(record, source)
            except _StreamProblem as exc:
                yield WarcSkip(source, url, exc.reason, exc.detail)
                if exc.fatal:
                    return _Outcome("stop")
                return _Outcome("resync", offset, report=False)
            except OSError as exc:
                return _Outcome("io", offset, f"read error: {exc.strerror or exc}")

            if done.short:
                if done.result is not None:
                    yield done.result
                if self.stream_base is not None:
                    return _Outcome("eof")  # the gzip stream ended cleanly inside the record
                return _Outcome("resync", offset, report=False)

            errors = records.err_count
            try:
                records.get_record_length()  # consume the blank lines that end the record
                after_error: _StreamProblem | None = None
            except _StreamProblem as exc:
                after_error = exc
            except OSError as exc:
                if done.result is not None:
                    yield done.result
                return _Outcome("io", offset, f"read error: {exc.strerror or exc}")
            except Exception as exc:
                after_error = _StreamProblem("malformed", _describe(exc), fatal=False)
            misframed = records.err_count > errors
            member_cut = after_error is None and self._member_cut(records, stream)

            result = done.result
            if isinstance(result, WarcResponse):
                if member_cut:
                    result = WarcSkip(source, result.url, "truncated", "gzip member ends early")
                elif misframed:
                    result = WarcSkip(
                        source,
                        result.url,
                        "malformed",
                        "record is not followed by a blank line: its Content-Length looks wrong",
                    )
                elif done.original is not None:
                    self.cache.add(done.cache_keys, done.original)
            if done.too_large_keys:
                self.cache.add_too_large(done.too_large_keys)
            if result is not None:
                yield result
            if after_error is not None:
                if after_error.fatal:
                    yield WarcSkip(
                        self._source(offset), None, after_error.reason, after_error.detail
                    )
                    return _Outcome("stop")
                return _Outcome("resync", offset, report=False)
            if misframed and not self.compressed and self.stream_base is None:
                # a wrong Content-Length may have swallowed the next record: look again
                return _Outcome("resync", offset, report=False)

    def _inside_member(self, records: Any) -> bool:
        """True while warcio is inside a gzip member that goes on past the record (a file
        that is one gzip stream): its offset means nothing then, and it is about to say so."""
        if self.stream_base is not None or not self.compressed:
            return False
        reader = getattr(records, "reader", None)
        decomp = getattr(reader, "decompressor", None)
        if decomp is None:
            return False
        buffered = getattr(reader, "buff", None)
        unread = buffered is not None and buffered.tell() < getattr(reader, "buff_size", 0)
        return not decomp.eof or unread

    def _not_a_record_start(self, records: Any, stream: Any, offset: int) -> str | None:
        """Why the bytes at ``offset`` cannot start a record, looked at before warcio reads
        them (it would read a run of bytes without a newline, such as a zero-filled tail,
        as one line, all in memory)."""
        pread = getattr(os, "pread", None)
        if pread is None:
            return None
        try:
            if self.compressed:
                if self._inside_member(records):
                    return None
                head: bytes = pread(stream.fileno(), 4, offset)
                if not head or _GZIP_MEMBER_RE.match(head):
                    return None
                return _clip(f"not a gzip member: {head!r}")
            head = pread(stream.fileno(), 64, offset)
        except OSError:
            return None  # let the read that follows report it
        if not head or _RECORD_START_RE.match(head):
            return None
        return _clip(f"not a WARC or ARC record: {head[:40]!r}")

    def _member_cut(self, records: Any, stream: Any) -> bool:
        """True when a record's gzip member ends with the file, before its end marker."""
        if self.stream_base is not None or not self.compressed:
            return False
        reader = getattr(records, "reader", None)
        decomp = getattr(reader, "decompressor", None)
        if decomp is None or decomp.eof or decomp.unused_data:
            return False
        try:
            at_end: bool = stream.tell() >= self.size
        except OSError:
            return False
        return at_end

    # ---------------------------------------------------------------- one record

    def _process(self, record: Any, source: str) -> _Processed:
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
        return _Processed(result, short=block.short)

    def _response(self, record: Any, url: str | None, source: str) -> _Processed:
        headers = record.rec_headers
        block = _Block(record)

        def skip(reason: str, detail: str) -> _Processed:
            block.drain()
            if block.short:
                reason, detail = "truncated", _SHORT_BLOCK
            return _Processed(WarcSkip(source, url, reason, _clip(detail)), short=block.short)

        truncated = headers.get_header("WARC-Truncated")
        if truncated is not None:
            return skip("truncated", f"WARC-Truncated: {truncated}")
        if not url:
            return skip("malformed", "response record has no WARC-Target-URI")
        fetched_at = _parse_date(headers.get_header("WARC-Date"))
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
        except _TooLarge:
            too_large = True
        block.drain()  # the rest of the block, still hashed
        if block.short:
            return _Processed(WarcSkip(source, url, "truncated", _SHORT_BLOCK), short=True)

        digest = _digest_key(headers.get_header("WARC-Payload-Digest"))
        keys: list[Hashable] = [k for k in (digest, ("digest", "sha1", block.sha1.digest())) if k]
        record_id = headers.get_header("WARC-Record-ID")
        if record_id:
            keys.append(("id", record_id.strip()))
        keys += [("urldate", url, fetched_at), ("url", url)]

        if too_large:
            detail = f"payload is larger than {self.limit} bytes"
            return _Processed(
                WarcSkip(source, url, "too_large", detail), too_large_keys=tuple(keys)
            )
        if problem is not None:
            return _Processed(WarcSkip(source, url, problem.reason, problem.detail))
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
            return _Processed(WarcSkip(source, url, "truncated", detail))

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
        original = _Original(url, head.status_code, content_type, http_headers, payload)
        return _Processed(response, cache_keys=tuple(keys), original=original)

    def _revisit(self, record: Any, url: str | None, source: str) -> _Processed:
        headers = record.rec_headers
        block = _Block(record)
        fetched_at = _parse_date(headers.get_header("WARC-Date"))
        own: _Head | None = None
        try:
            own = _http_head(record, block)
        except _PayloadProblem:
            own = None  # the HTTP head of a revisit is optional
        block.drain()
        if block.short:
            return _Processed(WarcSkip(source, url, "truncated", _SHORT_BLOCK), short=True)
        if not url:
            return _Processed(
                WarcSkip(source, url, "malformed", "revisit record has no WARC-Target-URI")
            )
        if fetched_at is None:
            detail = f"bad WARC-Date {headers.get_header('WARC-Date')!r}"
            return _Processed(WarcSkip(source, url, "malformed", _clip(detail)))

        digest_value = headers.get_header("WARC-Payload-Digest")
        refers_to = headers.get_header("WARC-Refers-To")
        target = headers.get_header("WARC-Refers-To-Target-URI")
        target_date = _parse_date(headers.get_header("WARC-Refers-To-Date"))
        lookups: list[Hashable] = []
        digest = _digest_key(digest_value)
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
            return _Processed(WarcSkip(source, url, "too_large", detail))
        if hit is None or found is None:
            wanted = digest_value or refers_to or target or url
            detail = f"no earlier response in this file for {wanted}"
            return _Processed(WarcSkip(source, url, "revisit_unresolved", _clip(detail)))

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
        return _Processed(response)


def _framing_problem(record: Any) -> str | None:
    """Why the record's header cannot be trusted to frame it, or None."""
    headers = record.rec_headers
    length = headers.get_header("Content-Length")
    if length is None:
        return "record has no Content-Length"
    if not _DIGITS_RE.fullmatch(length.strip()):
        return _clip(f"bad Content-Length {length!r}")
    names = [name.lower() for name, _ in headers.headers]
    if len(names) == 7 and names[3:] == _ARC_HEADER_TAIL:
        # made up from an ARC header line: check that line really was one
        if _parse_date(headers.get_header("WARC-Date")) is None:
            return _clip(f"not an ARC header line (date {headers.get_header('WARC-Date')!r})")
        uri = headers.get_header("WARC-Target-URI")
        if uri is not None and not _SCHEME_RE.match(uri):
            return _clip(f"not an ARC header line (URL {uri!r})")
    return None
