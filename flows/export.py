"""Export the archive's tables to Parquet files, one file per table."""

from __future__ import annotations

from pathlib import Path

import duckdb

from wirehouse.db import connect, query
from wirehouse.errors import InputError, StorageError

DEFAULT_TABLES = ("articles", "stories", "copy_groups", "article_links", "fetches", "rejections")


def exportable(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Every table and view of the archive users query (the only names ever put into the
    export statement): read from its catalog, so a new table or view is exportable at once."""
    rows = conn.execute(query("exportable_tables")).fetchall()
    return [str(name) for (name,) in rows]


def export_parquet(
    db_path: str, out_dir: str, tables: list[str] | None = None, *, everything: bool = False
) -> dict[str, int]:
    """Write ``<out_dir>/<name>.parquet`` for each table or view (the default ones, or all
    of them with ``everything``); returns the rows written per table."""
    out = Path(out_dir)
    written: dict[str, int] = {}
    conn = connect(db_path, read_only=True)
    try:
        known = exportable(conn)
        chosen = list(dict.fromkeys(known if everything else (tables or DEFAULT_TABLES)))
        unknown = [name for name in chosen if name not in known]
        if unknown:
            raise InputError(
                f"cannot export {', '.join(map(repr, unknown))}: "
                f"the tables and views are {', '.join(known)}",
                reason="unknown_table",
            )
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # a file on the way, no permission, a read-only disk
            raise InputError(
                f"--out {out_dir}: cannot create the folder: {exc.strerror or exc}"
            ) from None
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
