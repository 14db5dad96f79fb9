"""Nightly maintenance: index what stopped runs archived but never recorded, group what is
left to group (or, asked to, regroup the whole archive from scratch), rebuild the search
index, checkpoint the database file, and report what the archive holds."""

from __future__ import annotations

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from flows import task_runs
from tasks import sequence
from tasks.reports import ArchiveFigures
from tasks.run_context import RunContext


@flow(name="maintenance", flow_run_name="maintain {db}")
def maintenance_flow(db: str, regroup_all: bool = False) -> ArchiveFigures:
    """Index unrecorded archive files, group pending articles (all of them, from scratch,
    with ``regroup_all``: after the dedupe settings changed), refresh the search index,
    checkpoint, report."""
    ctx = RunContext.for_archive(db)
    done = sequence.maintain(ctx, regroup_all, task_runs.as_task)
    figures, grouped = done.figures, done.grouped
    create_markdown_artifact(
        key="maintenance-report",
        description="the archive after nightly maintenance",
        markdown=(
            f"# Maintenance of `{db}`\n\n"
            "| | |\n|---|---:|\n"
            f"| articles | {figures.articles} |\n"
            f"| stories | {figures.stories} ({grouped.new_stories} new after grouping) |\n"
            f"| articles regrouped | {grouped.regrouped} |\n"
            f"| copy groups | {figures.copy_groups} |\n"
            f"| archived responses | {figures.raw_records} |\n"
            f"| unrecorded responses indexed | {done.indexed.recovered} "
            f"(from {done.indexed.files} files) |\n"
            f"| fetch attempts on record | {figures.fetches} |\n"
            f"| articles in the search index | {done.searchable} |\n"
            f"| database file | {figures.database_bytes / 1e6:.1f} MB |\n"
        ),
    )
    return figures
