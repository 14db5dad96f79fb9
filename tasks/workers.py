"""The process pool: CPU-bound work (extraction) on every core, workers that die with
their run."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import select
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager
from typing import Literal, TypeVar

Item = TypeVar("Item")
Setting = TypeVar("Setting")
Result = TypeVar("Result")

logger = logging.getLogger("wirehouse.workers")

# Why a piece of work came back without its result: it ran past the hard time limit and
# its worker was stopped, or its worker process died under it twice.
Lost = Literal["timed_out", "worker_died"]


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


class _Pool:
    """A process pool that can be replaced: a worker stuck in one C call (lxml parsing a
    tag of 200,000 attributes takes minutes, and no signal reaches Python meanwhile) is
    stopped by killing the pool's workers and starting fresh ones, and so is a pool whose
    worker died (a crash in a C library) and broke it for everyone."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.current = process_pool(workers)
        self._lock = threading.Lock()
        self._stopped: set[ProcessPoolExecutor] = set()  # stopped here for a late item
        # Work is timed from when it is handed out: not from before the fork server has
        # started and loaded extraction, seconds on a busy machine. (A pool made later, in
        # place of a broken one, forks from the same warm server in milliseconds.)
        for started in [self.current.submit(_warm_up) for _ in range(workers)]:
            started.result()  # a pool that cannot start a worker at all says so here

    def replace(self, broken: ProcessPoolExecutor, *, for_time: bool = False) -> None:
        """Stop ``broken``'s workers and start a fresh pool, unless that was done already
        (every piece of work in flight on a broken pool comes here)."""
        with self._lock:
            if for_time:
                self._stopped.add(broken)
            if self.current is not broken:
                return
            self.current = process_pool(self.workers)
        processes = getattr(broken, "_processes", None) or {}  # no public kill before 3.14
        for process in list(processes.values()):
            process.kill()
        broken.shutdown(wait=False, cancel_futures=True)

    def stopped_for_time(self, executor: ProcessPoolExecutor) -> bool:
        """Whether ``executor`` broke because it was stopped here for another item's time,
        not because a worker died under its own work."""
        with self._lock:
            return executor in self._stopped

    def submit(
        self, function: Callable[..., Result], *args: object
    ) -> tuple[Future[Result], ProcessPoolExecutor]:
        """Hand work to the current pool, or to its replacement if it broke before any of
        its work said so."""
        executor = self.current
        try:
            return executor.submit(function, *args), executor
        except BrokenProcessPool:
            self.replace(executor)
            executor = self.current
            return executor.submit(function, *args), executor

    def close(self) -> None:
        self.current.shutdown(cancel_futures=True)


def map_in_batches(
    function: Callable[[Item, Setting], Result],
    items: Sequence[Item],
    setting: Setting,
    batch: int,
    workers: int | None = None,
    *,
    parallel_from: int = 64,
    hard_limit_s: float | None = None,
    lost: Callable[[Item, Lost], Result] | None = None,
) -> Iterator[list[tuple[Item, Result]]]:
    """``function(item, setting)`` for every item, a batch at a time, in order. Jobs of
    ``parallel_from`` items or more run in a pool of ``workers`` processes (default one per
    core); smaller ones in one worker process if they have a hard limit, else here.

    In the pool, an item still unfinished ``hard_limit_s`` after it was handed out, or
    whose worker died under it twice, gives ``lost(item, why)`` instead of stalling or
    failing the job (without ``lost``, it fails the job)."""
    workers = workers or os.cpu_count() or 1
    if workers < 2 or len(items) < parallel_from:
        # A hard limit needs a process it can stop: one worker, where a small job without
        # one runs here.
        workers = 1 if hard_limit_s is not None and items else 0
    pool = _started(workers) if workers else None
    try:
        for start in range(0, len(items), batch):
            chunk = items[start : start + batch]
            results = (
                _guarded_map(pool, function, chunk, setting, hard_limit_s, lost)
                if pool
                else [function(item, setting) for item in chunk]
            )
            yield list(zip(chunk, results, strict=True))
    finally:
        if pool:
            pool.close()


def _started(workers: int) -> _Pool | None:
    """A pool of ``workers``, or None where this machine cannot start one (no fork server,
    no shared-memory semaphores in some containers): the work is then done in this process,
    one piece at a time, without the hard limit, rather than not at all."""
    try:
        return _Pool(workers)
    except (OSError, BrokenProcessPool) as exc:
        logger.warning("no worker processes (%s): working in this process, without the "
                       "hard time limit", exc)  # fmt: skip
        return None


def _guarded_map(
    pool: _Pool,
    function: Callable[[Item, Setting], Result],
    chunk: Sequence[Item],
    setting: Setting,
    hard_limit_s: float | None,
    lost: Callable[[Item, Lost], Result] | None,
) -> list[Result]:
    """``function(item, setting)`` of every item in ``chunk``, two per worker in flight at a
    time, so that an item's time since it was handed out is its own and its predecessor's.
    The items in flight when a worker died are each tried again alone: the one that kills
    its worker then is lost, the others are done."""
    results: dict[int, Result] = {}
    waiting = deque(range(len(chunk)))
    suspects: deque[int] = deque()
    running: dict[Future[Result], tuple[int, float, ProcessPoolExecutor]] = {}
    alone = False  # the one item in flight is a suspect

    def hand_out(index: int) -> None:
        future, executor = pool.submit(function, chunk[index], setting)
        running[future] = (index, time.monotonic(), executor)

    def give_up(index: int, why: Lost) -> None:
        if lost is None:
            raise BrokenProcessPool(f"item {index}: {why}")
        results[index] = lost(chunk[index], why)

    while waiting or suspects or running:
        if suspects and not running:
            hand_out(suspects.popleft())
            alone = True
        elif not suspects and not alone:
            while waiting and len(running) < 2 * pool.workers:
                hand_out(waiting.popleft())
        timeout = None
        if hard_limit_s is not None:
            oldest = min(handed for _, handed, _ in running.values())
            timeout = max(0.0, oldest + hard_limit_s - time.monotonic())
        done, _ = wait(running, timeout=timeout, return_when=FIRST_COMPLETED)
        if not done:  # the oldest item ran past the limit: its worker is stopped with it
            stuck = min(running, key=lambda future: running[future][1])
            index, _, executor = running.pop(stuck)
            logger.warning("item %d ran past %gs; its worker is stopped", index, hard_limit_s)
            pool.replace(executor, for_time=True)
            give_up(index, "timed_out")
        for future in done:
            index, _, executor = running.pop(future)
            try:
                results[index] = future.result()
            except BrokenProcessPool:
                for_time = pool.stopped_for_time(executor)
                pool.replace(executor)
                if for_time:  # stopped for another item's time: nothing against this one
                    waiting.appendleft(index)
                elif alone:
                    give_up(index, "worker_died")
                else:
                    suspects.append(index)
        alone = alone and bool(running)
    return [results[index] for index in range(len(chunk))]


def _warm_up() -> int:
    """Import what extraction needs, before the first page arrives."""
    import tasks.extract  # noqa: F401  (trafilatura, lxml, language models)

    return os.getpid()


class WorkLost(Exception):
    """A piece of work given to a ``StreamingPool`` came back without its result."""

    def __init__(self, why: Lost) -> None:
        super().__init__(why)
        self.why: Lost = why


class _Gate:
    """Work goes through together, except a suspect's, which goes through alone (and first,
    once the work inside has left)."""

    def __init__(self) -> None:
        self._changed = asyncio.Condition()
        self._inside = 0
        self._alone_waiting = 0
        self._alone_inside = False

    @asynccontextmanager
    async def together(self) -> AsyncIterator[None]:
        async with self._changed:
            await self._changed.wait_for(lambda: not self._alone_inside and not self._alone_waiting)
            self._inside += 1
        try:
            yield
        finally:
            async with self._changed:
                self._inside -= 1
                self._changed.notify_all()

    @asynccontextmanager
    async def alone(self) -> AsyncIterator[None]:
        async with self._changed:
            self._alone_waiting += 1
            try:
                await self._changed.wait_for(lambda: not self._inside and not self._alone_inside)
            finally:
                self._alone_waiting -= 1
                self._changed.notify_all()
            self._alone_inside = True
        try:
            yield
        finally:
            async with self._changed:
                self._alone_inside = False
                self._changed.notify_all()


class StreamingPool:
    """Hands work to a pool of worker processes as it arrives, from an event loop.

    Workers start (and import what they need) when the pool is made, while the first
    pages are still being fetched. ``run`` waits while ``queue`` items are already with the
    workers, so a producer faster than the workers waits instead of piling up work.

    Work still unfinished ``hard_limit_s`` after it was handed out has its worker stopped
    (and every worker of the pool: the others' work is handed out again, and so is work
    whose own time ran out behind it), and raises ``WorkLost("timed_out")``. Work in flight when a worker died is tried again alone; if
    its worker dies then too, it raises ``WorkLost("worker_died")``. Where no worker process
    can start, the work is done in this process, one piece at a time (``_started``)."""

    def __init__(self, workers: int, queue: int, hard_limit_s: float | None = None) -> None:
        self._pool = _started(workers)
        self._here = (
            ThreadPoolExecutor(1, thread_name_prefix="wirehouse-work")
            if self._pool is None
            else None
        )
        self._slots = asyncio.Semaphore(queue)
        self._gate = _Gate()
        self._hard_limit_s = hard_limit_s

    async def run(self, function: Callable[..., Result], *args: object) -> Result:
        async with self._slots:
            if self._pool is None:
                return await asyncio.get_running_loop().run_in_executor(self._here, function, *args)
            suspect = False
            while True:
                async with self._gate.alone() if suspect else self._gate.together():
                    handed, executor = self._pool.submit(function, *args)
                    try:
                        return await asyncio.wait_for(
                            asyncio.wrap_future(handed), self._hard_limit_s
                        )
                    except TimeoutError:
                        if self._pool.stopped_for_time(executor):
                            # Work handed out before this one ran past its time first, and
                            # the pool was stopped for it: this work waited behind it (its
                            # time counts from when it was handed out), and goes again.
                            continue
                        logger.warning(
                            "work ran past %gs; its worker is stopped", self._hard_limit_s
                        )
                        self._pool.replace(executor, for_time=True)
                        raise WorkLost("timed_out") from None
                    except BrokenProcessPool:
                        for_time = self._pool.stopped_for_time(executor)
                        self._pool.replace(executor)
                        if suspect and not for_time:
                            raise WorkLost("worker_died") from None
                        suspect = suspect or not for_time

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
        if self._here is not None:
            self._here.shutdown(wait=False)
