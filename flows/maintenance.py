"""Nightly maintenance: re-score the stories, rebuild the search index, checkpoint the
database file, and report what the archive holds."""

from __future__ import annotations

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from flows import steps
from tasks import pipeline
from tasks.pipeline import RunContext
from wirehouse.runlock import run_lock


@flow(name="maintenance", flow_run_name="maintain {db}")
def maintenance_flow(db: str) -> pipeline.ArchiveFigures:
    """Regroup and re-score every story, refresh the search index, checkpoint, report."""
    ctx = RunContext.for_archive(db)
    with run_lock(db):
        grouped = steps.dedupe_and_group(ctx)
        indexed = steps.refresh_search_index(ctx)
        figures = steps.checkpoint(ctx)
    create_markdown_artifact(
        key="maintenance-report",
        description="the archive after nightly maintenance",
        markdown=(
            f"# Maintenance of `{db}`\n\n"
            "| | |\n|---|---:|\n"
            f"| articles | {figures.articles} |\n"
            f"| stories | {figures.stories} ({grouped.new_stories} new after re-scoring) |\n"
            f"| copy groups | {figures.copy_groups} |\n"
            f"| archived responses | {figures.raw_records} |\n"
            f"| fetch attempts on record | {figures.fetches} |\n"
            f"| articles in the search index | {indexed} |\n"
            f"| database file | {figures.database_bytes / 1e6:.1f} MB |\n"
        ),
    )
    return figures
