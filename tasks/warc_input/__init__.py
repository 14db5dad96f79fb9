"""Read HTTP responses out of existing WARC and ARC files, as if they had been fetched.

``wirehouse run --warc FILE`` feeds the pipeline from an archive instead of the network.
:func:`read_warc` walks one file and yields a :class:`WarcResponse` for every usable HTTP
response and a :class:`WarcSkip` (with a short reason code) for every record it cannot use.

warcio does the reading: ``ArchiveIterator`` frames the records of WARC 0.17/0.18/1.0/1.1
and ARC v1 files (``arc2warc``), compressed one gzip member per record, as one gzip stream,
or not at all; it parses the WARC headers and the HTTP head and de-chunks the body. This
package adds only what warcio does not do:

* ``_record``: bounded, checked content decoding (gzip, deflate, br when a brotli module is
  installed, each stack capped at ``max_payload_bytes``), and the reasons a record cannot
  be used. ``headers`` are the HTTP headers as recorded, so they may still name a
  ``Content-Encoding`` the payload no longer has. ``check_digests`` stays off: tools
  disagree on whether ``WARC-Payload-Digest`` covers the chunked or the de-chunked body.
* ``_revisits``: ``revisit`` records resolved against responses seen earlier in the same
  file. A resolved revisit keeps its own URL and date, takes the original's payload, and
  its own HTTP status and headers when it has them (not for a 304), else the original's.
* ``_recovery``: damage does not stop the walk. After a record that cannot be framed the
  walk goes on at the next gzip member or record header line, and the damage is one skip
  with its offset and reason. Only a file that cannot be opened or read, or holds no record
  at all, ends in one ``WarcSkip(reason="unreadable")``. This is the one part that reads
  below warcio's public API (its docstring says where and why).

``resource``/``metadata`` records with a target URI give ``not_response``; ``warcinfo``,
``request`` and records without a target URI are passed over silently. ``source`` is
``"path#offset"``: the byte offset of the record in the file (of its gzip member for
compressed files; into the decompressed data for a file that is one gzip stream, written
``"path#M+offset"`` when that stream starts at byte ``M`` > 0). Memory: one payload plus
the revisit cache. Nothing here touches the network or Prefect. Only programming errors
raise.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from tasks.warc_input._items import SKIP_REASONS, WarcResponse, WarcSkip
from tasks.warc_input._record import RecordReader
from tasks.warc_input._recovery import Walker
from tasks.warc_input._revisits import DEFAULT_REVISIT_CACHE_BYTES, RevisitCache

__all__ = [
    "DEFAULT_REVISIT_CACHE_BYTES",
    "SKIP_REASONS",
    "WarcResponse",
    "WarcSkip",
    "read_warc",
]


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
    reader = RecordReader(max_payload_bytes, RevisitCache(revisit_cache_bytes))
    return Walker(str(path), reader.process).records()
