"""One writing run per archive at a time, however it was started.

Deployments have a concurrency limit of one; runs started by hand (``wirehouse run``, a
second scheduler) take an exclusive lock on ``<db>.lock`` too. The lock is an OS file lock,
so a crashed run never leaves it behind. Within one process the lock is re-entrant: the
command line takes it before anything starts (a busy archive answers at once), and the run
it starts takes it again.

A DuckLake archive (``ducklake:postgres:...``) takes no run lock: many runs write to it at
once (shards by host), taking turns for each load transaction (``wirehouse.ducklake``).
"""

from __future__ import annotations

import errno
import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from wirehouse.ducklake import is_lake
from wirehouse.errors import StorageError

_held: dict[Path, int] = {}  # lock files this process holds, and how many times
_guard = threading.Lock()


def _lock_path(db_path: str | Path) -> Path:
    # By the file's real path: a run on a symlink to the archive is a run on the archive.
    return Path(f"{Path(db_path).resolve()}.lock")


def held_since(db_path: str | Path) -> datetime | None:
    """When the live process that holds the archive's run lock took it; None when no
    process holds it. Read from the lock file (the holder writes "pid N" into it when it
    takes it, and empties it when it lets go; a killed one leaves its dead pid), without
    taking the lock: a run starting meanwhile must not find the archive busy."""
    path = _lock_path(db_path)
    try:
        with path.open() as handle:
            words = handle.read(100).split()
        taken = path.stat().st_mtime
    except OSError:
        return None
    if len(words) != 2 or words[0] != "pid" or not words[1].isdigit():
        return None
    try:
        os.kill(int(words[1]), 0)  # signal 0: is the process there?
    except PermissionError:
        pass  # there, another user's
    except (OSError, OverflowError):
        return None
    return datetime.fromtimestamp(taken, UTC)


@contextmanager
def run_lock(db_path: str | Path) -> Iterator[None]:
    """Hold the archive's run lock, or fail at once saying who holds it (DuckLake: none)."""
    if is_lake(db_path):
        yield
        return
    path = _lock_path(db_path)
    with _guard:
        if path in _held:
            _held[path] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _guard:
                _held[path] -= 1
        return
    try:
        existing = next(p for p in path.parents if p.exists())
        if not existing.is_dir():
            # mkdir says "File exists" of /etc/passwd in /etc/passwd/news.duckdb
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise StorageError(
            f"cannot write {path}: {exc.strerror or exc}", reason="bad_archive_path"
        ) from exc
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise StorageError(
                f"another run is writing to {db_path} ({holder}); wait for it to finish",
                reason="archive_busy",
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        with _guard:
            _held[path] = 1
        try:
            yield
        finally:
            with _guard:
                del _held[path]
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
