"""Export the archive's tables to Parquet files, one file per table."""

from __future__ import annotations

from pathlib import Path

import duckdb

from wirehouse.db import connect, query
from wirehouse.errors import InputError, StorageError

DEFAULT_TABLES = ("articles", "stories", "copy_groups", "article_links", "fetches", "rejections")
# Every table the schema defines: the only names ever put into the export statement.
EXPORTABLE = (
    *DEFAULT_TABLES,
    "runs",
    "raw_records",
    "discovery_problems",
    "robots_answers",
    "link_hints",
)


def export_parquet(db_path: str, out_dir: str, tables: list[str] | None = None) -> dict[str, int]:
    """Write ``<out_dir>/<table>.parquet`` for each table; returns the rows written per table."""
    chosen = list(dict.fromkeys(tables or DEFAULT_TABLES))
    unknown = [name for name in chosen if name not in EXPORTABLE]
    if unknown:
        raise InputError(
            f"cannot export {', '.join(map(repr, unknown))}: "
            f"the tables are {', '.join(EXPORTABLE)}",
            reason="unknown_table",
        )
    out = Path(out_dir)
    written: dict[str, int] = {}
    conn = connect(db_path, read_only=True)
    try:
        out.mkdir(parents=True, exist_ok=True)
        for table in chosen:
            path = str((out / f"{table}.parquet").resolve()).replace("'", "''")
            try:
                row = conn.execute(
                    query("templates/export_table").format(table=table, path=path)
                ).fetchone()
            except duckdb.Error as exc:
                raise StorageError(f"cannot export {table} to {out}: {exc}") from exc
            written[table] = int(row[0]) if row else 0
    finally:
        conn.close()
    return written
