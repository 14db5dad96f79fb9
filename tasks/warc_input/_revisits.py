"""Revisit records resolved against earlier responses of the same file.

warcio reads a revisit record but does not resolve it. A revisit is looked up by payload
digest (sha1/sha256/... in base32, hex or base64 alike), ``WARC-Refers-To``, or
``WARC-Refers-To-Target-URI`` + ``-Date``; one without a digest falls back to the latest
response for its URL. The cache of earlier payloads is bounded in bytes (oldest evicted
first) and in keys.
"""

from __future__ import annotations

import base64
import binascii
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

DEFAULT_REVISIT_CACHE_BYTES = 64 * 1024 * 1024

_MAX_INDEX_KEYS = 200_000
_DIGEST_SIZES = {"md5": 16, "sha1": 20, "sha256": 32, "sha512": 64}


@dataclass(frozen=True, slots=True)
class Original:
    """What a revisit record needs from the response it refers to."""

    url: str
    status_code: int
    content_type: str | None
    headers: tuple[tuple[str, str], ...]
    payload: bytes


def digest_key(value: str | None) -> Hashable | None:
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


class RevisitCache:
    """Earlier responses by digest, record id and URL, bounded by payload bytes and keys."""

    _TOO_LARGE = -1

    def __init__(self, max_bytes: int) -> None:
        self._max_bytes = max_bytes
        self._entries: OrderedDict[int, tuple[Original, int]] = OrderedDict()
        self._index: OrderedDict[Hashable, int] = OrderedDict()
        self._bytes = 0
        self._next_id = 0

    def add(self, keys: tuple[Hashable, ...], original: Original) -> None:
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

    def find(self, keys: tuple[Hashable, ...]) -> tuple[int, Original | None] | None:
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
