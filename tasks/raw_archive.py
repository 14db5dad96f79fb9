"""The raw archive: every fetched response kept in gzip WARC files, indexed by offset.

Each record is its own gzip member, so ``read_payload(path, offset, length)`` can reread one
response without scanning the file; extraction can be re-run later without refetching.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import uuid
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

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

    def _open_next(self) -> None:
        self.close()
        self._serial += 1
        self._path = self.directory / f"wirehouse-{self._run_id}-{self._serial:05d}.warc.gz"
        self._file = open(self._path, "ab")  # noqa: SIM115 - closed in close()

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
        packer = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: a gzip member
        member = packer.compress(warc_head) + packer.compress(block)
        member += packer.compress(b"\r\n\r\n") + packer.flush()
        offset = self._file.tell()
        self._file.write(member)
        payload_sha = digest.hexdigest()
        content_type = next((v for k, v in kept if k.lower() == "content-type"), None)
        return RawRecord(
            record_id=record_id_for(url, payload_sha),
            url=url,
            warc_path=str(self._path),
            warc_offset=offset,
            warc_length=len(member),
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


def _header_value(value: str) -> str:
    """A header value on one line: a stray CR or LF would end the header early."""
    return value.replace("\r", " ").replace("\n", " ")


def _reason(status_code: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return "Unknown"
