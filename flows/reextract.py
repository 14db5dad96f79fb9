"""Re-extraction: read the WARC archive again (after a trafilatura upgrade, say), keep and
report what changed, and regroup the stories."""

from __future__ import annotations

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from flows import task_runs
from tasks import sequence
from tasks.reports import ReextractReport
from tasks.run_context import RunContext


@flow(name="reextract", flow_run_name="re-extract {db}")
def reextract_flow(db: str) -> ReextractReport:
    """Extract every archived response of ``db`` again and keep the new results."""
    ctx = RunContext.for_archive(db)
    done = sequence.reextract(ctx, task_runs.as_task)
    changes, grouped = done.changes, done.grouped
    reasons = ", ".join(f"{k}: {v}" for k, v in changes.rejected_reasons.items()) or "none"
    create_markdown_artifact(
        key="reextract-report",
        description="what re-extraction changed",
        markdown=(
            f"# Re-extraction of `{db}`\n\n"
            "| | |\n|---|---:|\n"
            f"| archived responses read again | {changes.records} |\n"
            f"| unchanged | {changes.unchanged} |\n"
            f"| article texts changed | {changes.changed} |\n"
            f"| pages that became articles | {changes.new_articles} |\n"
            f"| articles now rejected | {changes.now_rejected} |\n"
            f"| responses that could not be read back (left as they were) | {changes.unreadable} |\n"
            f"| stories after regrouping | {grouped.stories} |\n\n"
            f"Rejection reasons of changed pages: {reasons}\n"
        ),
    )
    return changes
