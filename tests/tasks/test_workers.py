"""The worker pool: work that outlives its hard limit, or kills its worker, costs itself
only; real worker processes, forked as a run forks them."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from tasks.workers import Lost, StreamingPool, WorkLost, map_in_batches


def _nap_or_die(item: str, _setting: None) -> str:
    """``hang`` holds its worker well past any limit here, ``die`` kills it; the rest nap
    a moment, so that several items are in flight together."""
    if item == "hang":
        time.sleep(120)
    if item == "die":
        os._exit(3)
    time.sleep(0.05)
    return item.upper()


def _lost(item: str, why: Lost) -> str:
    return f"{item}:{why}"


def _mapped(items: list[str], hard_limit_s: float | None = 3.0) -> list[str]:
    batches = map_in_batches(
        _nap_or_die, items, None, batch=8, workers=2, parallel_from=1,
        hard_limit_s=hard_limit_s, lost=_lost,
    )  # fmt: skip
    return [result for batch in batches for _, result in batch]


def test_an_item_past_the_hard_limit_is_lost_and_the_others_are_done():
    items = [f"p{n}" for n in range(6)] + ["hang"] + [f"q{n}" for n in range(10)]
    started = time.monotonic()
    results = _mapped(items)
    assert time.monotonic() - started < 30
    assert results == [f"P{n}" for n in range(6)] + ["hang:timed_out"] + [
        f"Q{n}" for n in range(10)
    ]


def test_an_item_that_kills_its_worker_is_lost_and_the_others_are_done():
    items = [f"p{n}" for n in range(5)] + ["die"] + [f"q{n}" for n in range(5)]
    assert _mapped(items) == [f"P{n}" for n in range(5)] + ["die:worker_died"] + [
        f"Q{n}" for n in range(5)
    ]


def test_without_a_way_to_record_it_a_lost_item_fails_the_job():
    batches = map_in_batches(_nap_or_die, ["p", "die"], None, batch=8, workers=2, parallel_from=1)
    with pytest.raises(Exception, match="worker_died"):
        list(batches)


def _streamed(items: list[str], workers: int, queue: int, hard_limit_s: float) -> list[str]:
    """Each item's result through a StreamingPool, all handed in at once; a lost item as
    "item:why"."""

    async def main() -> list[str]:
        pool = StreamingPool(workers, queue, hard_limit_s=hard_limit_s)
        try:

            async def one(item: str) -> str:
                try:
                    return await pool.run(_nap_or_die, item, None)
                except WorkLost as lost:
                    return f"{item}:{lost.why}"

            return list(await asyncio.gather(*(one(item) for item in items)))
        finally:
            pool.close()

    return asyncio.run(main())


def test_streaming_work_past_the_hard_limit_is_lost_and_the_pool_goes_on():
    started = time.monotonic()
    items = ["a", "hang", "b", "c", "die", "d", "e"]
    assert _streamed(items, 2, 4, 3.0) == [
        "A", "hang:timed_out", "B", "C", "die:worker_died", "D", "E"
    ]  # fmt: skip
    assert time.monotonic() - started < 30


def test_work_waiting_behind_work_past_the_limit_is_handed_out_again_not_lost():
    # One worker (a small run's pool): the page queued behind a stuck one waited out its
    # own time there, and was lost as too slow with it (and never extracted again).
    assert _streamed(["hang", "queued"], 1, 2, 2.0) == ["hang:timed_out", "QUEUED"]


_INTERRUPTED_AS_THE_POOL_STARTS = """
import os, signal, sys, threading, time
from tasks.workers import _Pool

def main():
    threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
    try:
        _Pool(2).close()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)

if __name__ == "__main__":
    main()
"""


def test_ctrl_c_as_the_pool_starts_leaves_no_traceback_behind(tmp_path):
    # The fork server still started the workers the run had asked for, after the run had
    # gone; each failed to read the run's semaphores and printed a traceback a few seconds
    # after "wirehouse: interrupted".
    import subprocess
    import sys
    from pathlib import Path

    script = tmp_path / "interrupted.py"
    script.write_text(_INTERRUPTED_AS_THE_POOL_STARTS)
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    # the pipes close when the fork server and every worker it forked have exited
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 130
    assert done.stderr == "interrupted\n"
