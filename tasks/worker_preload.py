"""Imported once by the worker pool's fork server (tasks/workers.py), before it forks any
worker: extraction's libraries loaded and their lazy caches filled, so that every worker
starts warm instead of paying for them itself.

The costly part is dateparser, which htmldate calls on free-text dates when a page's markup
gives none: the first date it cannot place makes it compile the patterns of every locale it
knows, about a second of CPU. A worker forked from here shares the compiled patterns.
"""

from __future__ import annotations

import contextlib
import sys
from types import TracebackType

from tasks.extract import extract_page
from wirehouse.settings import ExtractSettings

_SAMPLE = b"""<!doctype html><html lang="en"><head><title>Warm-up page</title></head>
<body><article><h1>Warm-up page</h1><p>Posted on le 3 brumaire an 2021, a date no
parser knows.</p><p>This is a sample paragraph of running text with enough words in it to
be taken for the main text of an article, so that every stage of extraction runs once on
it before any real page arrives.</p><p>Another paragraph of ordinary prose follows here, so
that trafilatura, the language guess and the page-kind signals each have a little
work to do.</p></article></body></html>"""


def _warm_up() -> None:
    with contextlib.suppress(Exception):  # a warm-up that fails only costs the time it saves
        extract_page(_SAMPLE, "https://warm-up.invalid/2021/a", "text/html", ExtractSettings())
    with contextlib.suppress(Exception):
        # htmldate's own dateparser instance (a private accessor: if it moves, the workers
        # only start colder); an unparseable string makes it visit every locale.
        from htmldate.extractors import get_external_parser

        get_external_parser().get_date_data("3 brumaire 2021 zzz")


# What a worker that was asked for and then not wanted any more meets as it starts: the run
# stopped (Ctrl-C as its pool started) and removed the pool's semaphores and pipes before
# the fork server got to the request, so the new worker cannot unpickle them.
_LEFT_BEHIND = (FileNotFoundError, EOFError, BrokenPipeError, ConnectionResetError)


def _quiet_if_the_run_has_gone(
    kind: type[BaseException], value: BaseException, trace: TracebackType | None
) -> None:
    """The fork server prints what fails as a worker starts. Where that is the run having
    gone (see _LEFT_BEHIND) while the worker read its start-up state from it, before any of
    wirehouse's code ran there, there is nothing to say: a traceback a few seconds after
    "wirehouse: interrupted" only alarmed. Anything else is printed as before."""
    frames = []
    step = trace
    while step is not None:
        frames.append(step.tb_frame.f_code)
        step = step.tb_next
    # in spawn's _main, reading what the run sent, and not yet in the worker's _bootstrap
    starting = any(c.co_name == "_main" and c.co_filename.endswith("spawn.py") for c in frames)
    starting = starting and not any(c.co_name == "_bootstrap" for c in frames)
    if isinstance(value, _LEFT_BEHIND) and starting:
        return
    sys.__excepthook__(kind, value, trace)


_warm_up()
sys.excepthook = _quiet_if_the_run_has_gone  # in the fork server, and the workers it forks
