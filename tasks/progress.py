"""How far the run in this process has got: counters the steps move, a display reads.

The steps count what they do (``count("fetched")``) and name the step they are in
(``step("fetch", total=300)``); whoever shows progress (the command line's display, a
Prefect flow's progress artifact) reads a ``snapshot()`` when it likes. Counting is cheap
and safe from any thread; with nobody reading, it costs nothing else.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The run's progress at one moment."""

    step: str  # the step running now ("" before the first)
    total: int  # URLs the run will fetch (0 until discovery knows)
    counts: dict[str, int] = field(default_factory=dict)  # discovered, fetched, extracted, ...
    started: float = 0.0  # monotonic time the run started
    step_started: float = 0.0  # ... and the current step


@dataclass
class _State:
    step: str = ""
    total: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)
    step_started: float = field(default_factory=time.monotonic)


_state = _State()


def start() -> None:
    """A new run: every counter back to zero."""
    global _state
    with _lock:
        _state = _State()


def step(name: str, total: int | None = None) -> None:
    """The run enters a step (with the number of items it will handle, when known)."""
    with _lock:
        _state.step = name
        _state.step_started = time.monotonic()
        if total is not None:
            _state.total = total


def count(what: str, n: int = 1) -> None:
    """``n`` more of ``what`` done ("fetched", "extracted", "failed", ...)."""
    with _lock:
        _state.counts[what] += n


def snapshot() -> Snapshot:
    with _lock:
        return Snapshot(
            _state.step, _state.total, dict(_state.counts), _state.started, _state.step_started
        )
