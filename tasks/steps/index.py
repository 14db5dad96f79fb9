"""The index step: the full-text search index, and the database checkpoint."""

from __future__ import annotations

import logging
from pathlib import Path

from tasks.reports import ArchiveFigures
from tasks.run_context import RunContext
from tasks.search_index import update_search_index
from wirehouse.db import query

logger = logging.getLogger("wirehouse.index")


def refresh_search(ctx: RunContext) -> int:
    """Update the full-text index for what changed; returns the number of articles it
    holds. A DuckLake has none (the index needs the fts extension's stem() in a DuckDB
    file): 0."""
    if ctx.is_lake:
        logger.info("no full-text index on a DuckLake archive: export it to search it")
        return 0
    with ctx.open() as conn:
        update = update_search_index(conn)
    logger.info(
        "search index: %d articles taken out, %d indexed in %d batches; it holds %d",
        update.removed,
        update.added,
        update.batches,
        update.indexed,
    )
    return update.indexed


def checkpoint(ctx: RunContext) -> ArchiveFigures:
    """Fold DuckDB's write-ahead log into the file and report the archive's size. On a
    DuckLake, DuckLake's own checkpoint (inlined rows flushed to Parquet, small adjacent
    files merged), then snapshots older than ``snapshot_retention_s`` expired and the files
    only they needed deleted (the size is the data path's, when local)."""
    with ctx.open() as conn:
        conn.execute("checkpoint")
        if ctx.is_lake:
            retention = {"seconds": ctx.settings.archive.snapshot_retention_s}
            conn.execute(query("ducklake/expire_snapshots"), retention)
            conn.execute(query("ducklake/cleanup_files"), retention)
        row = conn.execute(query("archive_figures")).fetchone()
    articles, stories, copy_groups, raw_records, fetches = row or (0, 0, 0, 0, 0)
    return ArchiveFigures(articles, stories, copy_groups, raw_records, fetches, _size(ctx))


def _size(ctx: RunContext) -> int:
    if not ctx.is_lake:
        return Path(ctx.db_path).stat().st_size
    data_path = ctx.settings.archive.data_path
    if not data_path or "://" in data_path:
        return 0
    return sum(p.stat().st_size for p in Path(data_path).rglob("*.parquet"))
