"""The raw archive: every fetched response kept in gzip WARC files, indexed by offset.

Each record is its own gzip member, so ``read_payload(path, offset, length)`` can reread one
response without scanning the file; extraction can be re-run later without refetching.
"""

from __future__ import annotations

import hashlib
import io
import os
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from wirehouse.errors import ParseError
from wirehouse.records import RawRecord

# Headers that describe the transfer, not the stored body: we store the decoded payload.
_TRANSFER_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})


def record_id_for(url: str, payload_sha256: str) -> str:
    """Key of a stored response: the same body at the same URL is stored once."""
    return hashlib.sha256(f"{url}\n{payload_sha256}".encode()).hexdigest()[:24]


class WarcArchive:
    """Appends responses to one gzip WARC file per run (rolled over at ``max_file_bytes``)."""

    def __init__(self, directory: str | Path, run_id: str, max_file_bytes: int = 1_000_000_000):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._run_id = run_id
        self._max_file_bytes = max_file_bytes
        self._serial = 0
        self._file: io.BufferedWriter | None = None
        self._path: Path | None = None
        self._writer: WARCWriter | None = None

    def _open_next(self) -> None:
        self.close()
        self._serial += 1
        self._path = self.directory / f"wirehouse-{self._run_id}-{self._serial:05d}.warc.gz"
        self._file = open(self._path, "ab")  # noqa: SIM115 - closed in close()
        self._writer = WARCWriter(self._file, gzip=True)

    def write_response(
        self,
        url: str,
        status_code: int,
        headers: Iterable[tuple[str, str]],
        payload: bytes,
        fetched_at: datetime,
        origin: str = "fetch",
    ) -> RawRecord:
        """Append one response record and return where it is."""
        if self._file is None or self._file.tell() >= self._max_file_bytes:
            self._open_next()
        assert self._file is not None and self._writer is not None and self._path is not None
        kept = [(k, v) for k, v in headers if k.lower() not in _TRANSFER_HEADERS]
        kept.append(("Content-Length", str(len(payload))))
        http_headers = StatusAndHeaders(
            f"{status_code} {_reason(status_code)}", kept, protocol="HTTP/1.1"
        )
        record = self._writer.create_warc_record(
            url,
            "response",
            payload=io.BytesIO(payload),
            http_headers=http_headers,
            warc_headers_dict={
                "WARC-Date": fetched_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            },
        )
        offset = self._file.tell()
        self._writer.write_record(record)
        self._file.flush()
        length = self._file.tell() - offset
        payload_sha = hashlib.sha256(payload).hexdigest()
        content_type = next((v for k, v in kept if k.lower() == "content-type"), None)
        return RawRecord(
            record_id=record_id_for(url, payload_sha),
            url=url,
            warc_path=str(self._path),
            warc_offset=offset,
            warc_length=length,
            payload_sha256=payload_sha,
            status_code=status_code,
            content_type=content_type,
            fetched_at=fetched_at,
            origin=origin,
        )

    def close(self) -> None:
        if self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None
            self._writer = None

    def __enter__(self) -> WarcArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_payload(warc_path: str | Path, offset: int, length: int) -> tuple[bytes, str | None]:
    """The stored body and Content-Type of the record at ``offset``."""
    with open(warc_path, "rb") as handle:
        handle.seek(offset)
        chunk = handle.read(length)
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


def _reason(status_code: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return "Unknown"
