"""The raw archive: every fetched response kept in gzip WARC files, indexed by offset.

Each record is its own gzip member, so ``read_payload(path, offset, length)`` can reread one
response without scanning the file; extraction can be re-run later without refetching.

Paths in ``raw_records.warc_path`` are relative to the database file's folder, so an archive
works from any working directory (a Prefect worker, cron) and moves with its DB;
``resolve_warc_path`` finds a file there, or by name in the archive folder if it was moved.

What the writer changes. It keeps the decoded payload, not the bytes as they came over
the wire, so its records are not those a capturing proxy or warcio's writer would make:

* the block is the payload as the fetcher (or ``tasks.warc_input``) decoded it: content
  codings (gzip, deflate, br) and chunked transfer coding undone;
* the HTTP head is rewritten: the status line is ``HTTP/1.1 <code> <standard phrase>``
  (the server's protocol version and reason phrase are not kept); ``Content-Encoding``,
  ``Transfer-Encoding`` and ``Content-Length`` are dropped and one ``Content-Length`` of
  the stored payload is appended after the other headers, which keep their order; a CR or
  LF inside a value becomes a space; the head is written as UTF-8;
* the WARC header has ``WARC-Payload-Digest`` (sha256, base32) of the stored payload, so
  ``warcio check`` passes, but no ``WARC-Block-Digest``, no ``WARC-IP-Address`` or
  ``WARC-Concurrent-To``, and ``WARC-Date`` in whole seconds; no ``request``, ``warcinfo``
  or ``revisit`` record is written.

Replay tools serve such a record as the decoded page with headers that agree with it; what
the server really sent (its encodings, its exact head) is not kept. Archives already
written keep this form: readers here (:func:`read_payload`, :func:`index_archive_file`,
``tasks.warc_input``) read it, and any WARC tool does.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import io
import os
import uuid
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from tasks.content_coding import GZIP_MAGIC
from wirehouse.errors import ParseError, StorageError, StorageUnavailable
from wirehouse.records import RawRecord

# Headers that describe the transfer, not the stored body: we store the decoded payload.
_TRANSFER_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})


def record_id_for(url: str, payload_sha256: str) -> str:
    """Key of a stored response: the same body at the same URL is stored once."""
    return hashlib.sha256(f"{url}\n{payload_sha256}".encode()).hexdigest()[:24]


class WarcArchive:
    """Appends responses to one gzip WARC file per run (rolled over at ``max_file_bytes``).

    Records name their file relative to ``relative_to`` (the database's folder)."""

    def __init__(
        self,
        directory: str | Path,
        run_id: str,
        max_file_bytes: int = 1_000_000_000,
        relative_to: str | Path | None = None,
    ):
        self.directory = Path(directory)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"cannot create the archive folder {self.directory}: {exc.strerror or exc}",
                reason="bad_archive_path",
            ) from exc
        self._relative_to = Path(relative_to) if relative_to is not None else None
        self._run_id = run_id
        self._max_file_bytes = max_file_bytes
        self._serial = 0
        self._file: io.BufferedWriter | None = None
        self._path: Path | None = None

    def _open_next(self) -> None:
        self.close()
        self._serial += 1
        self._path = self.directory / f"wirehouse-{self._run_id}-{self._serial:05d}.warc.gz"
        self._file = open(self._path, "ab")  # noqa: SIM115 - closed in close()

    @contextmanager
    def _disk(self) -> Iterator[None]:
        """A full disk stops the run, in one line: every page after it would fail alike."""
        try:
            yield
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise
            raise StorageError(
                f"no space left on the disk of the raw archive ({self.directory}): free some "
                "and run the same command again; pages recorded before stay, and the next "
                "run records what this one archived since",
                reason="disk_full",
            ) from exc

    def write_response(
        self,
        url: str,
        status_code: int,
        headers: Iterable[tuple[str, str]],
        payload: bytes,
        fetched_at: datetime,
        origin: str = "fetch",
    ) -> RawRecord:
        """Append one WARC/1.1 response record (its own gzip member) and return where it is.

        Written directly rather than through warcio's writer, which costs several times
        more per record; warcio (and any WARC tool) reads the result."""
        if self._file is None or self._file.tell() >= self._max_file_bytes:
            self._open_next()
        assert self._file is not None and self._path is not None
        kept = [(k, v) for k, v in headers if k.lower() not in _TRANSFER_HEADERS]
        kept.append(("Content-Length", str(len(payload))))
        http_head = f"HTTP/1.1 {status_code} {_reason(status_code)}\r\n" + "".join(
            f"{k}: {_header_value(v)}\r\n" for k, v in kept
        )
        block = http_head.encode("utf-8", "replace") + b"\r\n" + payload
        digest = hashlib.sha256(payload)
        warc_head = (
            "WARC/1.1\r\n"
            "WARC-Type: response\r\n"
            f"WARC-Record-ID: <urn:uuid:{uuid.uuid4()}>\r\n"
            f"WARC-Date: {fetched_at.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}\r\n"
            f"WARC-Target-URI: {_header_value(url)}\r\n"
            f"WARC-Payload-Digest: sha256:{base64.b32encode(digest.digest()).decode()}\r\n"
            "Content-Type: application/http; msgtype=response\r\n"
            f"Content-Length: {len(block)}\r\n\r\n"
        ).encode("utf-8", "replace")
        # 31: a gzip member; level 3 costs half the CPU of 6 for 13% more bytes on news pages
        packer = zlib.compressobj(3, zlib.DEFLATED, 31)
        member = packer.compress(warc_head) + packer.compress(block)
        member += packer.compress(b"\r\n\r\n") + packer.flush()
        offset = self._file.tell()
        with self._disk():
            self._file.write(member)
        payload_sha = digest.hexdigest()
        content_type = next((v for k, v in kept if k.lower() == "content-type"), None)
        return RawRecord(
            record_id=record_id_for(url, payload_sha),
            url=url,
            warc_path=self._stored_path(self._path),
            warc_offset=offset,
            warc_length=len(member),
            payload_sha256=payload_sha,
            status_code=status_code,
            content_type=content_type,
            fetched_at=fetched_at,
            origin=origin,
        )

    def _stored_path(self, path: Path) -> str:
        if self._relative_to is None:
            return str(path)
        return os.path.relpath(path.absolute(), self._relative_to.absolute())

    def sync(self) -> None:
        """Flush and fsync what was written: rows may now point at it."""
        if self._file is not None:
            with self._disk():
                self._file.flush()
                os.fsync(self._file.fileno())

    def close(self) -> None:
        if self._file is not None:
            self.sync()
            self._file.close()
            self._file = None

    def __enter__(self) -> WarcArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def resolve_warc_path(stored: str, db_dir: str | Path, archive_dir: str | Path) -> Path:
    """Where a stored WARC path is: as written when absolute, else beside the database, else
    (a moved file, an archive written from another working directory) by its name in the
    archive folder. Raises StorageUnavailable when it is nowhere."""
    path = Path(stored)
    candidates = [path] if path.is_absolute() else [Path(db_dir) / path]
    candidates.append(Path(archive_dir) / path.name)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise StorageUnavailable(
        f"archive file {stored} is missing (looked in {', '.join(map(str, candidates))})",
        reason="archive_missing",
    )


def read_payload(warc_path: str | Path, offset: int, length: int) -> tuple[bytes, str | None]:
    """The stored body and Content-Type of the record at ``offset``."""
    try:
        with open(warc_path, "rb") as handle:
            handle.seek(offset)
            chunk = handle.read(length)
    except FileNotFoundError as exc:
        raise StorageUnavailable(
            f"archive file {warc_path} is missing", reason="archive_missing"
        ) from exc
    except OSError as exc:
        raise StorageUnavailable(
            f"cannot read {warc_path}: {exc.strerror or exc}", reason="archive_unreadable"
        ) from exc
    if not chunk.startswith(GZIP_MAGIC):
        # Every record is its own gzip member: anything else at the offset is a wrong index
        # entry, which warcio, falling back to raw deflate, read as an empty record once in
        # about 400 records.
        raise ParseError(f"no record starts at {warc_path}#{offset}", reason="archive_unreadable")
    try:
        for record in ArchiveIterator(io.BytesIO(chunk)):
            if record.rec_type == "response":
                headers = record.http_headers
                content_type = headers.get_header("Content-Type") if headers else None
                return record.content_stream().read(), content_type
    except (ArchiveLoadFailed, OSError, EOFError, zlib.error) as exc:
        raise ParseError(
            f"unreadable record at {warc_path}#{offset}: {exc}", reason="archive_unreadable"
        ) from exc
    raise ParseError(f"no response record at {warc_path}#{offset}", reason="archive_unreadable")


def _header_value(value: str) -> str:
    """A header value on one line: a stray CR or LF would end the header early."""
    return value.replace("\r", " ").replace("\n", " ")


def _reason(status_code: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return "Unknown"


ARCHIVE_FILE_GLOB = "wirehouse-*.warc.gz"


def archive_files(archive_dir: str | Path) -> list[Path]:
    """The WARC files wirehouse wrote into an archive folder, oldest run first."""
    directory = Path(archive_dir)
    return sorted(directory.glob(ARCHIVE_FILE_GLOB)) if directory.is_dir() else []


def unindexed_files(archive_dir: str | Path, stored_paths: Iterable[str]) -> list[Path]:
    """The archive folder's WARC files that no stored path names (a stopped run's)."""
    known = {Path(path).name for path in stored_paths}
    return [path for path in archive_files(archive_dir) if path.name not in known]


def stored_path(path: Path, relative_to: str | Path | None = None) -> str:
    """How a raw record names a file of the archive: relative to the database's folder."""
    return str(path) if relative_to is None else os.path.relpath(path, Path(relative_to))


def index_archive_file(path: Path, relative_to: str | Path | None = None) -> Iterator[RawRecord]:
    """The response records of one of our WARC files, as the rows that would point at them
    (for a file, or the tail of a file, that a killed run wrote but never recorded). Stops
    quietly at a record cut short by the kill."""
    stored = stored_path(path, relative_to)
    with open(path, "rb") as handle:
        records = ArchiveIterator(handle)
        try:
            for record in records:
                if record.rec_type != "response" or record.http_headers is None:
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI") or ""
                payload = record.content_stream().read()
                records.read_to_end(record)
                status = int(record.http_headers.get_statuscode() or 0)
                date = record.rec_headers.get_header("WARC-Date") or ""
                payload_sha = hashlib.sha256(payload).hexdigest()
                yield RawRecord(
                    record_id=record_id_for(url, payload_sha),
                    url=url,
                    warc_path=stored,
                    warc_offset=records.get_record_offset(),
                    warc_length=records.get_record_length(),
                    payload_sha256=payload_sha,
                    status_code=status,
                    content_type=record.http_headers.get_header("Content-Type"),
                    fetched_at=_warc_date(date),
                    origin="recovered",
                )
        except (ArchiveLoadFailed, OSError, EOFError, zlib.error, ValueError):
            return  # the record the kill cut short, and nothing after it


def _warc_date(value: str) -> datetime:
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return datetime.now(UTC)
