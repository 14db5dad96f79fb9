"""Imported once by the worker pool's fork server (tasks/workers.py), before it forks any
worker: extraction's libraries loaded and their lazy caches filled, so that every worker
starts warm instead of paying for them itself.

The costly part is dateparser, which htmldate calls on free-text dates when a page's markup
gives none: the first date it cannot place makes it compile the patterns of every locale it
knows, about a second of CPU. A worker forked from here shares the compiled patterns.
"""

from __future__ import annotations

import contextlib

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


_warm_up()
