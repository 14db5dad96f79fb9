"""One writing run per archive at a time, however it was started.

Deployments have a concurrency limit of one; runs started by hand (``wirehouse run``, a
second scheduler) take an exclusive lock on ``<db>.lock`` too. The lock is an OS file lock,
so a crashed run never leaves it behind.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from wirehouse.errors import StorageError


@contextmanager
def run_lock(db_path: str | Path) -> Iterator[None]:
    """Hold the archive's run lock, or fail at once saying who holds it."""
    path = Path(f"{db_path}.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
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
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
