"""The process pool: CPU-bound work (extraction) on every core, workers that die with
their run."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import select
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

Item = TypeVar("Item")
Setting = TypeVar("Setting")
Result = TypeVar("Result")


_IN_POOL_WORKER = False


def in_pool_worker() -> bool:
    """Whether this process is one of a pool's workers (made by ``process_pool``): a process
    of wirehouse's own that runs nothing but the work it is handed, where a signal timer
    may cut a page short without touching anyone else's timers (Prefect's, in a run's own
    process)."""
    return _IN_POOL_WORKER


def _watch_run(run_pid: int) -> None:
    """In a worker process: exit when the run that made the pool ends (a ``kill -9`` of the
    run must not leave workers behind holding hundreds of MB). The worker's parent is the
    fork server, which lives as long as its workers do, so the run is watched by its pid."""
    global _IN_POOL_WORKER
    _IN_POOL_WORKER = True

    def gone() -> None:
        os._exit(1)

    try:
        handle = os.pidfd_open(run_pid)  # Linux: readable once the process has ended
    except (OSError, AttributeError):
        handle = None
    if handle is None:

        def watch() -> None:
            while True:
                try:
                    os.kill(run_pid, 0)
                except ProcessLookupError:
                    gone()
                except PermissionError:
                    pass
                time.sleep(1.0)

    else:

        def watch() -> None:
            select.select([handle], [], [])
            gone()

    threading.Thread(target=watch, name="watch-run", daemon=True).start()


def _worker_pid(_: object = None) -> int:
    """A worker's process id (tests check that workers exit with their parent)."""
    return os.getpid()


# What the fork server imports and warms before forking any worker (tasks/worker_preload.py).
_PRELOAD = ["tasks.worker_preload"]


def _context() -> multiprocessing.context.BaseContext:
    """Workers are forked from a fork server that has loaded and warmed extraction once.

    Not plain fork: the parent may hold threads (Prefect's) that fork would copy badly; the
    fork server is a fresh single-threaded process. Not spawn: each spawned worker imported
    trafilatura and filled dateparser's and htmldate's caches itself, seconds of CPU per
    worker per run; forked from the warm server, a worker starts in milliseconds."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)
    return context


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes that exit with their parent."""
    return ProcessPoolExecutor(
        workers, mp_context=_context(), initializer=_watch_run, initargs=(os.getpid(),)
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
