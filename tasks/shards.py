"""Shards by host: a run given ``--shard K/N`` archives only the hosts of shard K of N.

A host's shard is a stable hash of its name (blake2b, the same on every machine and in
every Python process, unlike ``hash()``), so robots.txt, politeness delays and conditional
requests, which are all per host, stay within one shard, and every URL has one writer.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from wirehouse.errors import InputError

MAX_SHARDS = 1024
_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def host_of(url: str) -> str:
    """The host a URL is fetched from, lowercased ('' when it has none)."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def shard_of_host(host: str, count: int) -> int:
    """The shard (1..count) a host belongs to."""
    digest = hashlib.blake2b(host.lower().encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % count + 1


@dataclass(frozen=True, slots=True)
class Shard:
    """Shard ``index`` of ``count`` (1-based)."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not 1 <= self.count <= MAX_SHARDS or not 1 <= self.index <= self.count:
            raise InputError(
                f"--shard {self.index}/{self.count}: K/N needs 1 <= K <= N <= {MAX_SHARDS}",
                reason="bad_shard",
            )

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"2/4"`` as Shard(2, 4); InputError for anything else."""
        match = _SHARD.match(text)
        if not match:
            raise InputError(f"--shard {text!r}: expected K/N, e.g. 2/4", reason="bad_shard")
        return cls(int(match[1]), int(match[2]))

    def owns(self, url: str) -> bool:
        """Whether this shard archives the URL's host."""
        return shard_of_host(host_of(url), self.count) == self.index

    def keep(self, urls: Iterable[str]) -> list[str]:
        return [url for url in urls if self.owns(url)]

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"
