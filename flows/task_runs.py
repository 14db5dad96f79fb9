"""Steps as Prefect tasks: the plain step functions of ``tasks.steps``, each run as one task.

``as_task`` is the step runner the flows hand to ``tasks.sequence``: the same sequence the
command line runs in-process runs here as task runs, named after their step. Caching is
off: every step has effects.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from prefect import Task, task
from prefect.cache_policies import NO_CACHE


@cache
def _task_of(name: str, function: Callable[..., Any]) -> Task[..., Any]:
    return task(name=name, cache_policy=NO_CACHE)(function)


def as_task(name: str, function: Callable[..., Any], *args: Any) -> Any:
    """Run one step as a Prefect task run called ``name``."""
    return _task_of(name, function)(*args)
