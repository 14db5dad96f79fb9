"""The index step: the full-text search index, and the database checkpoint."""

from __future__ import annotations

import logging
from pathlib import Path

from tasks.reports import ArchiveFigures
from tasks.run_context import RunContext
from tasks.search_index import refresh_search_index
from wirehouse.db import query

logger = logging.getLogger("wirehouse.index")


def refresh_search(ctx: RunContext) -> int:
    """Rebuild the full-text index; returns the number of articles indexed."""
    with ctx.open() as conn:
        return refresh_search_index(conn)


def checkpoint(ctx: RunContext) -> ArchiveFigures:
    """Fold DuckDB's write-ahead log into the file and report the archive's size."""
    with ctx.open() as conn:
        conn.execute("checkpoint")
        row = conn.execute(query("archive_figures")).fetchone()
    articles, stories, copy_groups, raw_records, fetches = row or (0, 0, 0, 0, 0)
    return ArchiveFigures(
        articles, stories, copy_groups, raw_records, fetches, Path(ctx.db_path).stat().st_size
    )
