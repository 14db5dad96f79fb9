"""Walking a WARC/ARC file with warcio, and finding the way on after damage.

warcio's ``ArchiveIterator`` frames records; on damage it raises ``ArchiveLoadFailed`` (or
a parsing error) and its iterator is finished. :class:`Walker` notes where that happened,
scans forward to the next gzip member (compressed files) or the next ``WARC/x.y`` / ARC
header line (uncompressed data), reports the bytes in between as one ``malformed`` skip
with its offset, and starts a new iterator there. Offsets are warcio's
(``records.offset``; of the gzip member for compressed files). A file that is one gzip
stream is read on through :class:`_GzipStream`, with offsets into the decompressed data;
damage there ends the walk, as such a stream cannot be resynchronised.

Below warcio's public API, and only here (tested on warcio 1.8.1, hence the pin):
* ``_DamageAwareReader`` overrides ``DecompressingBufferedReader._decompress``: upstream
  prints a damaged gzip member's zlib error to stderr and returns no data, which reads as
  the end of the file, and every record after it would be lost.
* ``_ArchiveIterator`` overrides ``ArchiveIterator._consume_blanklines`` to read the lines
  between records with a length cap (upstream reads a zero-filled tail as one line, all in
  memory) and replaces its ``reader`` with the one above, and its loader's head parsers
  with ``BoundedHeadParser``; ``err_count`` counts records not followed by a blank line (a
  wrong Content-Length).
* a record's offset is read from ``records.offset`` before ``next()``:
  ``get_record_offset()`` reads the record to its end first, before it has been processed
  (and after damage, when there is no record, it has nothing to say).
* ``_inside_member`` and ``_member_cut`` look at the reader's zlib ``decompressor`` to tell
  a member cut by the end of the file, and one that goes on past its record (a file that
  is one gzip stream), from a clean end.
"""

from __future__ import annotations

import gzip
import os
import re
import stat
import zlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import DecompressingBufferedReader

from tasks.warc_input._items import (
    BLOCK,
    MAX_HEADER_LINE,
    BoundedHeadParser,
    Processed,
    StreamProblem,
    WarcResponse,
    WarcSkip,
    clip,
    describe,
    guarded,
)
from tasks.warc_input._record import parse_date

_SCAN_OVERLAP = 8 * 1024
# warcio inflates a gzip member one input block at a time, without an output bound: keep the
# block small so that a highly compressible member cannot blow up in one step
_WARCIO_BLOCK = 4 * 1024
# a gzip member header: magic, deflate, flags with the reserved bits clear
_GZIP_MEMBER_RE = re.compile(rb"\x1f\x8b\x08[\x00-\x1f]")
# the first line of a WARC record or an ARC v1 record, at the start of a line
_RECORD_LINE_RE = re.compile(
    rb"(?<=\n)(?:WARC/(?:0\.\d{1,2}|1\.\d)\r?\n"
    rb"|[A-Za-z][A-Za-z0-9+.\-]*:\S* \S+ \d{12,14} \S+ \d+\r?\n)"
)
_RECORD_START_RE = re.compile(rb"WARC/|[A-Za-z][A-Za-z0-9+.\-]*:")
_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_DIGITS_RE = re.compile(r"[0-9]+")
# the WARC headers warcio makes up for a record it read from an ARC header line
_ARC_HEADER_TAIL = ["warc-ip-address", "warc-date", "content-type", "content-length"]
_MULTI_RECORD_GZIP = "non-chunked gzip file detected"


def _drain(stream: Any) -> None:
    while guarded(stream.read, BLOCK):
        pass


@dataclass(slots=True)
class _Outcome:
    """How one run of ``ArchiveIterator`` over the file ended."""

    kind: str  # "eof", "stop", "io", "resync", "stream"
    offset: int = 0
    detail: str = ""
    report: bool = True  # for "resync": yield a "malformed" skip for the bytes at offset


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

    Offsets are into the decompressed data. Failures surface as fatal ``StreamProblem``
    (never as ``EOFError``, which ``ArchiveIterator`` would take for a clean end).
    """

    def __init__(self, fh: BinaryIO, base: int) -> None:
        self._gz = gzip.GzipFile(fileobj=_OffsetView(fh, base), mode="rb")

    def _call(self, func: Callable[..., Any], *args: Any) -> Any:
        try:
            return func(*args)
        except EOFError as exc:
            raise StreamProblem("truncated", f"gzip stream ends early: {exc}", fatal=True) from exc
        except (gzip.BadGzipFile, zlib.error) as exc:
            raise StreamProblem("malformed", f"gzip stream is corrupt: {exc}", fatal=True) from exc

    def read(self, size: int = -1) -> bytes:
        data: bytes = self._call(self._gz.read1, size if size and size > 0 else BLOCK)
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
        block = stream.read(BLOCK)
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
                raise StreamProblem(
                    "malformed", f"gzip data is damaged: {exc}", fatal=False
                ) from exc
            return out
        return bytes(super()._decompress(data))


class _ArchiveIterator(ArchiveIterator):  # type: ignore[misc]
    """warcio's iterator, reading the lines between records with a length cap, a record's
    heads with a size cap, and through a reader that reports damage instead of ending early.

    Upstream reads them with an unbounded ``readline`` (a zero-filled tail would be one
    line, all in memory) and prints a warning for each misframed record; the count it keeps
    in ``err_count`` is all this module needs.
    """

    def __init__(self, fileobj: Any, **kwargs: Any) -> None:
        super().__init__(fileobj, **kwargs)
        self.reader = _DamageAwareReader(self.fh, block_size=kwargs.get("block_size", BLOCK))
        loader = self.loader
        for name in ("warc_parser", "http_parser", "http_req_parser"):
            upstream = getattr(loader, name)
            setattr(loader, name, BoundedHeadParser(upstream.statuslist, upstream.verify))

    def _consume_blanklines(self) -> tuple[bytes | None, int]:
        empty_size = 0
        first_line = True
        while True:
            line: bytes = self.reader.readline(MAX_HEADER_LINE)
            if not line:
                return None, empty_size
            if not line.rstrip() or first_line:
                empty_size += len(line)
                if line.rstrip():
                    self.err_count += 1  # not a blank line: the Content-Length was wrong
                first_line = False
                continue
            return line, empty_size


class Walker:
    """Walks one file, handing each record warcio frames to ``process`` and reporting damage."""

    def __init__(self, name: str, process: Callable[[Any, str], Processed]) -> None:
        self.name = name
        self.process = process
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
        return WarcSkip(self.name, None, "unreadable", clip(detail))

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

    def _run(self, fh: BinaryIO, start: int = 0) -> Iterator[WarcResponse | WarcSkip]:
        stream: Any = fh
        pattern = _GZIP_MEMBER_RE if self.compressed else _RECORD_LINE_RE
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
            except StreamProblem as exc:
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
                skip = WarcSkip(self._source(outcome.offset), None, "malformed", clip(detail))
                if self.parsed_any:
                    yield skip
                elif self.pending is None:
                    self.pending = skip
            if found is None:
                break
            start, at_candidate = found, True
        if not self.parsed_any and not self.compressed:
            # Bytes before the first gzip member (a download's or a proxy's head, the cut
            # tail of another file): the file did not start with one, and was read as plain.
            try:
                member = _scan(fh, 0, _GZIP_MEMBER_RE)
            except OSError:
                member = None
            if member is not None:
                self.compressed = True
                self.pending = WarcSkip(
                    self._source(0), None, "malformed",
                    f"{member} bytes before the first gzip member skipped",
                )  # fmt: skip
                yield from self._run(fh, member)
                return
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
        except StreamProblem as exc:
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
            except StreamProblem as exc:
                if self.parsed_any:
                    yield WarcSkip(self._source(offset), None, exc.reason, exc.detail)
                return _Outcome("stop" if exc.fatal else "resync", offset, exc.detail, report=False)
            except OSError as exc:
                return _Outcome("io", offset, f"read error: {exc.strerror or exc}")
            except Exception as exc:  # warcio on bytes that are not a record
                if _MULTI_RECORD_GZIP in str(exc) and self.stream_base is None:
                    return _Outcome("stream", self.last_offset)
                return _Outcome("resync", offset, describe(exc))

            if first and skip_first:  # already read before switching to the gzip stream
                first = False
                try:
                    _drain(record.raw_stream)
                    records.get_record_length()
                except Exception as exc:  # damage right where the earlier pass had read
                    return _Outcome("stop", offset, describe(exc))
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
                done = self.process(record, source)
            except StreamProblem as exc:
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
                after_error: StreamProblem | None = None
            except StreamProblem as exc:
                after_error = exc
            except OSError as exc:
                if done.result is not None:
                    yield done.result
                return _Outcome("io", offset, f"read error: {exc.strerror or exc}")
            except Exception as exc:
                after_error = StreamProblem("malformed", describe(exc), fatal=False)
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
                elif done.remember is not None:
                    done.remember()
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
                return clip(f"not a gzip member: {head!r}")
            head = pread(stream.fileno(), 64, offset)
        except OSError:
            return None  # let the read that follows report it
        if not head or _RECORD_START_RE.match(head):
            return None
        return clip(f"not a WARC or ARC record: {head[:40]!r}")

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


def _framing_problem(record: Any) -> str | None:
    """Why the record's header cannot be trusted to frame it, or None."""
    headers = record.rec_headers
    length = headers.get_header("Content-Length")
    if length is None:
        return "record has no Content-Length"
    if not _DIGITS_RE.fullmatch(length.strip()):
        return clip(f"bad Content-Length {length!r}")
    names = [name.lower() for name, _ in headers.headers]
    if len(names) == 7 and names[3:] == _ARC_HEADER_TAIL:
        # made up from an ARC header line: check that line really was one
        if parse_date(headers.get_header("WARC-Date")) is None:
            return clip(f"not an ARC header line (date {headers.get_header('WARC-Date')!r})")
        uri = headers.get_header("WARC-Target-URI")
        if uri is not None and not _SCHEME_RE.match(uri):
            return clip(f"not an ARC header line (URL {uri!r})")
    return None
