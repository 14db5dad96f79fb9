"""The process pool: CPU-bound work (extraction) on every core, workers that die with
their run."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

Item = TypeVar("Item")
Setting = TypeVar("Setting")
Result = TypeVar("Result")


def _watch_parent() -> None:
    """In a worker process: exit when the parent dies (a ``kill -9`` of the run must not
    leave workers behind holding hundreds of MB)."""
    parent = os.getppid()
    with contextlib.suppress(Exception):  # Linux only: the kernel signals us at once
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def _worker_pid(_: object = None) -> int:
    """A worker's process id (tests check that workers exit with their parent)."""
    return os.getpid()


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes that exit with their parent."""
    # spawn, not fork: the parent may hold threads (Prefect's) that fork would copy badly.
    return ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("spawn"), initializer=_watch_parent
    )


def map_in_batches(
    function: Callable[[Item, Setting], Result],
    items: Sequence[Item],
    setting: Setting,
    batch: int,
    workers: int | None = None,
    *,
    parallel_from: int = 64,
) -> Iterator[list[tuple[Item, Result]]]:
    """``function(item, setting)`` for every item, a batch at a time, in order. Jobs of
    ``parallel_from`` items or more run in a pool of ``workers`` processes (default one per
    core); smaller ones here, where starting workers would cost more than it saves."""
    workers = workers or os.cpu_count() or 1
    pool = process_pool(workers) if workers > 1 and len(items) >= parallel_from else None
    try:
        for start in range(0, len(items), batch):
            chunk = items[start : start + batch]
            results = (
                list(pool.map(function, chunk, [setting] * len(chunk), chunksize=8))
                if pool
                else [function(item, setting) for item in chunk]
            )
            yield list(zip(chunk, results, strict=True))
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)


def _warm_up() -> int:
    """Import what extraction needs, before the first page arrives."""
    import tasks.extract  # noqa: F401  (trafilatura, lxml, language models)

    return os.getpid()


class StreamingPool:
    """Hands work to a pool of worker processes as it arrives, from an event loop.

    Workers start (and import what they need) when the pool is made, while the first
    pages are still being fetched. ``run`` waits while ``queue`` items are already with the
    workers, so a producer faster than the workers waits instead of piling up work."""

    def __init__(self, workers: int, queue: int) -> None:
        self._pool = process_pool(workers)
        self._slots = asyncio.Semaphore(queue)
        for _ in range(workers):
            self._pool.submit(_warm_up)

    async def run(self, function: Callable[..., Result], *args: object) -> Result:
        async with self._slots:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._pool, function, *args)

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)
