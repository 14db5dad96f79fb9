"""What a run reports: a markdown summary and tables, built from the archive (no Prefect)."""

from __future__ import annotations

from typing import Any

import duckdb

from wirehouse.db import query
from wirehouse.records import RunSummary


def _rows(
    conn: duckdb.DuckDBPyConnection, sql_name: str, params: list[Any]
) -> list[dict[str, Any]]:
    cursor = conn.execute(query(sql_name), params)
    names = [column[0] for column in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def new_stories(conn: duckdb.DuckDBPyConnection, run_id: str) -> list[dict[str, Any]]:
    """The stories this run created."""
    return _rows(conn, "run_new_stories", [run_id])


def host_problems(conn: duckdb.DuckDBPyConnection, run_id: str) -> list[dict[str, Any]]:
    """Failed attempts of this run per host and reason."""
    return _rows(conn, "run_host_problems", [run_id])


def summary_markdown(summary: RunSummary, db_path: str, problems: list[dict[str, Any]]) -> str:
    """The run's summary as the markdown artifact shows it."""
    failures = summary.failures or {}
    lines = [
        f"# Archive run `{summary.run_id}`",
        "",
        f"Archive: `{db_path}`",
        "",
        "| | |",
        "|---|---:|",
        f"| URLs discovered | {summary.discovered} |",
        f"| pages fetched (new bodies) | {summary.fetched} |",
        f"| not modified (304 or same body) | {summary.not_modified} |",
        f"| new articles | {summary.new_articles} |",
        f"| pages that are not articles | {summary.rejected} |",
        f"| copies found (all stories) | {summary.copies_found} |",
        f"| stories (new) | {summary.stories} ({summary.new_stories}) |",
        f"| failures | {sum(failures.values())} |",
    ]
    if failures:
        lines += ["", "## Failures by reason", "", "| reason | URLs |", "|---|---:|"]
        lines += [f"| `{reason}` | {count} |" for reason, count in sorted(failures.items())]
    if summary.rejected_reasons:
        # "unavailable blocked" among them: pages a site answered with a bot check
        lines += ["", "## Not articles by reason", "", "| reason | pages |", "|---|---:|"]
        lines += [
            f"| `{reason}` | {count} |"
            for reason, count in sorted(summary.rejected_reasons.items(), key=lambda kv: -kv[1])
        ]
    if problems:
        hosts = sorted({str(p["host"]) for p in problems})
        lines += ["", f"{len(hosts)} host(s) had problems; see the per-host table artifact."]
    return "\n".join(lines) + "\n"
