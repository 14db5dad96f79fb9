"""What reading a WARC/ARC file yields, and what passes between the reader's parts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser

BLOCK = 64 * 1024
MAX_HEADER_LINE = 64 * 1024
# A record's WARC head, or its HTTP head: real ones are a few KB (a long Set-Cookie or CSP
# header makes tens).
MAX_HEAD = 1024 * 1024
_DETAIL_MAX = 200


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


class StreamProblem(Exception):
    """Reading the file's byte stream failed (corrupt compression, cut gzip stream)."""

    def __init__(self, reason: str, detail: str, *, fatal: bool) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.fatal = fatal  # True when the stream cannot be resynchronised


@dataclass(slots=True)
class Processed:
    """What reading one record gave, before the walk knows whether the record was whole."""

    result: WarcResponse | WarcSkip | None
    short: bool = False  # the block ended before its Content-Length: the stream ran out
    remember: Callable[[], None] | None = None  # keep it for later revisits, once proved whole


def clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _DETAIL_MAX else text[: _DETAIL_MAX - 3] + "..."


def describe(exc: BaseException) -> str:
    return clip(f"{type(exc).__name__}: {exc}")


def guarded(call: Callable[[int], bytes], size: int) -> bytes:
    """Read through warcio's readers, turning their failures on bad bytes into a problem."""
    try:
        return call(size)
    except (StreamProblem, OSError):
        raise
    except Exception as exc:  # warcio's decompressing readers on corrupt bytes
        raise StreamProblem("malformed", describe(exc), fatal=False) from exc


class _HeadReader:
    """The stream a head is parsed from, allowed ``MAX_HEAD`` bytes in all."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._left = MAX_HEAD

    def readline(self, size: int | None = None) -> bytes:
        room = self._left + 1 if size is None or size < 0 else min(size, self._left + 1)
        line = guarded(self._stream.readline, room)
        self._left -= len(line)
        if self._left < 0:
            raise StreamProblem(
                "malformed", f"record head is longer than {MAX_HEAD // 1024} KB", fatal=False
            )
        return line


class BoundedHeadParser(StatusAndHeadersParser):  # type: ignore[misc]
    """warcio's parser of a WARC or HTTP head, reading at most ``MAX_HEAD`` bytes.

    Upstream reads lines until a blank one, however many: a few KB of gzip holding 40 MB of
    short header lines cost 1.3 GB, all in memory."""

    def parse(self, stream: Any, full_statusline: str | None = None) -> StatusAndHeaders:
        return super().parse(_HeadReader(stream), full_statusline)
