"""Texts' shingles kept on disk between the group step's phases.

The first pass over the new texts hashes each one's shingles for its MinHash keys; finding
copies (containment of the candidate pairs) and rewrites need them again later. Made again,
they cost a read of the text and a hashing of it each time (about a third of a grouping's
work at 100k texts); held in memory, about 5 KB a text (500 MB at 100k). So the pass writes
them to a scratch file, and later phases read back the ones they need by article id: a read
of a few KB, no text.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_ITEM = np.dtype(np.uint64).itemsize


@dataclass(frozen=True, slots=True)
class SpilledShingles:
    """What one writer put in one file: per article (in file order) its shingle count."""

    path: str
    article_ids: list[str]
    sizes: np.ndarray


class ShingleFile:
    """Writes texts' shingles to a new file, one text after another as they are made (no
    more held than one text's); ``done`` closes it and says what it holds."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._out = open(path, "wb")  # noqa: SIM115  (closed by ``done``)
        self._ids: list[str] = []
        self._sizes: list[int] = []

    def write(self, article_id: str, shingles: np.ndarray) -> None:
        self._out.write(np.ascontiguousarray(shingles, dtype=np.uint64).tobytes())
        self._ids.append(article_id)
        self._sizes.append(shingles.size)

    def done(self) -> SpilledShingles:
        self._out.close()
        return SpilledShingles(self._path, self._ids, np.array(self._sizes, dtype=np.int64))


_PREFIX = "wirehouse-shingles-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive, and not ours to judge
        return True
    return True


def remove_abandoned(scratch: str | None = None) -> int:
    """Remove the spill folders of processes that are gone (a run killed mid-grouping
    leaves the files its workers were writing); how many were removed."""
    root = Path(scratch or tempfile.gettempdir())
    removed = 0
    for folder in root.glob(f"{_PREFIX}*-*"):
        owner = folder.name.removeprefix(_PREFIX).split("-", 1)[0]
        if owner.isdigit() and not _alive(int(owner)):
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


class ShingleSpill:
    """A scratch directory of shingle files (``ShingleFile``, written in the worker pool or
    here) and where each article's shingles are in them; removed on ``close``.

    A file is unlinked as soon as it is opened for reading (the open descriptor keeps it),
    so a run killed mid-grouping leaves behind at most the files still being written, in a
    folder named after its process, which the next spill removes (``remove_abandoned``)."""

    def __init__(self) -> None:
        remove_abandoned()
        self._dir = tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-")
        self._files: list[int] = []  # open descriptors, by file number
        self._where: dict[str, tuple[int, int, int]] = {}  # article: (file, byte, count)

    def __enter__(self) -> ShingleSpill:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def new_path(self) -> str:
        """A path in the spill's directory for a writer to create."""
        return os.path.join(self._dir, f"{uuid.uuid4().hex}.u64")

    def add(self, spilled: SpilledShingles) -> None:
        """Take a written file's shingles in (a later one of an article wins)."""
        number = len(self._files)
        self._files.append(os.open(spilled.path, os.O_RDONLY))
        os.unlink(spilled.path)  # read through the descriptor; the kernel frees it with us
        starts = (np.cumsum(spilled.sizes) - spilled.sizes).tolist()
        for article_id, start, size in zip(
            spilled.article_ids, starts, spilled.sizes.tolist(), strict=True
        ):
            self._where[article_id] = (number, start * _ITEM, size)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._where

    def read(self, article_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The shingles of those of the given articles that were spilled (a
        ``dedupe.ShingleReader`` of them)."""
        out: dict[str, np.ndarray] = {}
        for article_id in article_ids:
            place = self._where.get(article_id)
            if place is not None:
                number, offset, size = place
                data = os.pread(self._files[number], size * _ITEM, offset)
                out[article_id] = np.frombuffer(data, dtype=np.uint64)
        return out

    def close(self) -> None:
        """Forget every file and remove them (again: nothing to do)."""
        for handle in self._files:
            os.close(handle)
        self._files.clear()
        self._where.clear()
        shutil.rmtree(self._dir, ignore_errors=True)
