"""A run's steps in order, in one place, whichever way they run.

The command line runs them here, in this process (``call``); the Prefect flows pass a
runner that makes each step a Prefect task run (``flows.task_runs.as_task``). Either way the
same functions run in the same order with the same arguments, so a run gives the same
archive with or without a Prefect server.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from tasks import progress
from tasks.reports import (
    ArchiveFigures,
    ExtractReport,
    GroupReport,
    IndexReport,
    ReextractReport,
    summarize,
)
from tasks.run_context import RunContext, Sources
from tasks.steps import discover, extract, fetch, group, index, ingest
from tasks.store import failure_examples, finish_run, start_run
from wirehouse.records import RunSummary
from wirehouse.runlock import run_lock

T = TypeVar("T")
StepRunner = Callable[..., Any]  # (step name, function, *arguments) -> function(*arguments)


log = logging.getLogger("wirehouse.run")


def describe(report: object) -> str:
    """A step's report as one line: its fields, counts by reason included."""
    if report is None:
        return "nothing to do"
    if not dataclasses.is_dataclass(report):
        return str(report)
    parts = []
    for item in dataclasses.fields(report):
        value = getattr(report, item.name)
        if isinstance(value, dict):
            value = ", ".join(f"{k}: {v}" for k, v in value.items()) or "none"
        elif isinstance(value, list):
            value = len(value)
        parts.append(f"{item.name.replace('_', ' ')} {value}")
    return "; ".join(parts)


def log_step(name: str, report: object) -> None:
    """What a step did, in the log (the Prefect UI's Logs tab when run as a flow)."""
    log.info("%s: %s", name, describe(report))


def call(name: str, function: Callable[..., T], *args: Any) -> T:
    """Run a step here and now."""
    del name
    return function(*args)


ARCHIVE_STEPS = ("discover", "fetch-and-extract", "ingest-warcs", "extract", "group", "index")


def archive(
    ctx: RunContext,
    sources: Sources,
    run_step: StepRunner = call,
    after_step: Callable[[str, object], None] | None = None,
) -> RunSummary:
    """Archive the sources: discover, fetch, ingest, extract, group, index. After each
    step, ``after_step(name, report)`` (default: its report in the log)."""
    after_step = after_step or log_step
    sources.validate()
    progress.start()
    with run_lock(ctx.db_path):
        with ctx.open() as conn:
            shard = {"shard": str(ctx.shard)} if ctx.shard else {}
            start_run(conn, ctx.run_id, {"sources": sources, "archive": ctx.archive_dir, **shard})
        if not ctx.shard:  # beside other shards, a file no row points at may be theirs
            indexed = run_step("index-stopped-runs", ingest.index_stopped_runs_files, ctx)
            if indexed.files:  # not a step of its own in the progress shown
                log_step("index-stopped-runs", indexed)
        progress.step("discover")
        found = run_step("discover", discover.discover, ctx, sources)
        after_step("discover", found)
        progress.step("fetch", total=len(found.urls))
        fetched = run_step(
            "fetch-and-extract", fetch.fetch_and_extract, ctx, found.urls, found.given
        )
        after_step("fetch-and-extract", fetched)
        progress.step("ingest")
        ingested = (
            run_step("ingest-warcs", ingest.ingest_warcs, ctx, list(sources.warcs))
            if sources.warcs
            else None
        )
        after_step("ingest-warcs", ingested)
        progress.step("extract")
        extracted = run_step("extract", extract.extract_pending, ctx)
        after_step("extract", extracted)
        progress.step("group")
        grouped = run_step("dedupe-and-group", group.group_articles, ctx)
        after_step("group", grouped)
        progress.step("index")
        searchable = run_step("refresh-search-index", index.refresh_search, ctx)
        after_step("index", searchable)
        progress.step("done")
        with ctx.open(migrated=True) as conn:
            examples = failure_examples(conn, ctx.run_id)
            summary = summarize(ctx.run_id, found, fetched, ingested, extracted, grouped, examples)
            finish_run(conn, summary)
    return summary


@dataclass(frozen=True, slots=True)
class Reextraction:
    changes: ReextractReport
    grouped: GroupReport


def reextract(ctx: RunContext, run_step: StepRunner = call) -> Reextraction:
    """Extract the whole archive again, regroup what changed, refresh the search index."""
    with run_lock(ctx.db_path):
        changes = run_step("reextract", extract.reextract, ctx)
        grouped = run_step("dedupe-and-group", group.group_articles, ctx)
        run_step("refresh-search-index", index.refresh_search, ctx)
    return Reextraction(changes, grouped)


@dataclass(frozen=True, slots=True)
class Maintenance:
    indexed: IndexReport
    extracted: ExtractReport
    grouped: GroupReport
    searchable: int
    figures: ArchiveFigures


def maintain(
    ctx: RunContext, regroup_all: bool = False, run_step: StepRunner = call
) -> Maintenance:
    """Index what stopped runs archived but never recorded, extract and group what is
    pending (everything from scratch with ``regroup_all``), refresh the search index,
    checkpoint."""
    with run_lock(ctx.db_path):
        indexed = run_step("ingest-unrecorded", ingest.ingest_unrecorded, ctx)
        extracted = run_step("extract", extract.extract_pending, ctx)
        if regroup_all:
            run_step("mark-all-for-regrouping", group.mark_all_for_regrouping, ctx)
        grouped = run_step("dedupe-and-group", group.group_articles, ctx)
        searchable = run_step("refresh-search-index", index.refresh_search, ctx)
        figures = run_step("checkpoint", index.checkpoint, ctx)
    return Maintenance(indexed, extracted, grouped, searchable, figures)
