"""The archive flow: discover -> fetch -> archive -> extract -> dedupe -> group -> load.

Only orchestration lives here: the steps are ``tasks.sequence.archive``, each run as a
Prefect task (``flows.task_runs``). What the Prefect UI shows of a run is built here too: a
run name that says what it archives, progress while it runs, a markdown summary and two
tables at the end.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, cast
from uuid import UUID

from prefect import State, flow, get_run_logger
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.states import Completed, Failed

from flows import task_runs
from tasks import report, sequence
from tasks.run_context import RunContext, Sources, default_archive_dir, new_run_id
from tasks.shards import Shard
from wirehouse.db import open_archive
from wirehouse.records import RunSummary
from wirehouse.settings import Settings


def _run_name() -> str:
    from prefect.runtime import flow_run

    p = flow_run.parameters
    parts = []
    for key, label in (
        ("urls", "url"),
        ("feeds", "feed"),
        ("sitemaps", "sitemap"),
        ("warcs", "warc"),
    ):
        count = len(p.get(key) or [])
        if count:
            parts.append(f"{count} {label}{'s' if count > 1 else ''}")
    if p.get("urls_file"):
        parts.append(Path(p["urls_file"]).name)
    shard = f" (shard {p['shard']})" if p.get("shard") else ""
    return f"archive {', '.join(parts) or 'pending work'}{shard} -> {_db_name(p['db'])}"


def _db_name(db: str) -> str:
    """A DuckDB file's name, or a DuckLake's catalog database (never its password)."""
    if db.startswith("ducklake:"):
        match = re.search(r"dbname\s*=\s*(\S+)", db)
        return f"ducklake:{match[1] if match else 'postgres'}"
    return Path(db).name


class _Progress:
    """A progress artifact moved along as the steps finish."""

    def __init__(self, total: int) -> None:
        self._total = total
        self._done = 0
        created = create_progress_artifact(
            progress=0.0, key="archive-progress", description="archive run: steps done"
        )
        self._id = cast(UUID, created)  # the sync call returns the id, not a coroutine

    def step(self) -> None:
        self._done += 1
        update_progress_artifact(self._id, progress=100.0 * self._done / self._total)


@flow(name="archive", flow_run_name=_run_name, log_prints=False)
def archive_flow(
    db: str,
    archive: str | None = None,
    urls: list[str] | None = None,
    urls_file: str | None = None,
    feeds: list[str] | None = None,
    sitemaps: list[str] | None = None,
    warcs: list[str] | None = None,
    allow_private_network: bool = False,
    resolve: dict[str, str] | None = None,
    user_agent: str | None = None,
    data_path: str | None = None,
    shard: str | None = None,
) -> State[RunSummary]:
    """Archive the given sources into ``db``, a DuckDB file or a DuckLake (its files under
    ``data_path``), raw responses under ``archive``; with ``shard`` ("K/N") only the hosts
    of that shard."""
    sources = Sources(
        urls=tuple(urls or ()),
        urls_file=urls_file,
        feeds=tuple(feeds or ()),
        sitemaps=tuple(sitemaps or ()),
        warcs=tuple(warcs or ()),
    )
    return archive_run(
        db,
        archive,
        sources,
        allow_private_network,
        resolve or {},
        user_agent,
        data_path=data_path,
        shard=shard,
    )


def archive_run(
    db: str,
    archive: str | None,
    sources: Sources,
    allow_private_network: bool,
    resolve: dict[str, str],
    user_agent: str | None,
    *,
    data_path: str | None = None,
    shard: str | None = None,
) -> State[RunSummary]:
    """The archive run inside whichever flow run calls it (the archive flow, or the crawl
    deployment's run, which then carries the steps, logs and artifacts itself)."""
    logger = get_run_logger()
    sources.validate()
    settings = Settings.from_env().with_user_agent(user_agent).with_data_path(data_path)
    ctx = RunContext(
        db_path=db,
        archive_dir=archive or default_archive_dir(db, settings.archive.data_path),
        run_id=new_run_id(),
        settings=settings,
        allow_private_network=allow_private_network,
        resolve=tuple(sorted(resolve.items())),
        shard=Shard.parse(shard) if shard else None,
    )
    progress = _Progress(total=len(sequence.ARCHIVE_STEPS))

    def after_step(name: str, step_report: object) -> None:
        logger.info("%s: %s", name, sequence.describe(step_report))
        progress.step()

    summary = sequence.archive(ctx, sources, task_runs.as_task, after_step)
    with open_archive(db, read_only=True) as conn:
        new_stories = report.new_stories(conn, ctx.run_id)
        problems = report.host_problems(conn, ctx.run_id)
    _publish(summary, db, new_stories, problems)
    logger.info(
        "archived %d pages: %d new articles, %d failures; the archive holds %d articles in "
        "%d stories",
        summary.fetched,
        summary.new_articles,
        summary.failed,
        summary.articles,
        summary.stories,
    )
    return final_state(summary)


class RunFailed(Exception):
    """What a run that ended Failed returns: Prefect raises a failed state's data as its
    exception where the run is read (a worker's engine, a caller's ``state.result()``),
    and a summary given as that data was a TypeError with a traceback in every failed
    run's log. The run's own result (its summary) rides on it as ``result``."""

    def __init__(self, message: str, result: object) -> None:
        super().__init__(message)
        self.result = result


def final_state(summary: RunSummary) -> State[RunSummary]:
    """A run's end as the dashboard should show it: Completed when nothing failed;
    "Completed with failures" (still a completed run) when some URLs failed; Failed, with
    the reasons, when most of them did or nothing could be archived. Each carries the
    summary as its result (a failed one on a ``RunFailed``)."""
    failed = summary.failed
    tried = summary.answered + failed
    reasons = ", ".join(
        f"{k}: {v}" for k, v in sorted(summary.failures.items(), key=lambda kv: -kv[1])
    )
    if failed and (failed * 2 > tried or not summary.answered):
        message = f"{failed} of {tried} failed ({reasons})"
        return Failed(message=message, data=RunFailed(message, summary))
    if failed:
        return Completed(
            message=f"{failed} of {tried} failed ({reasons})",
            name="Completed with failures",
            data=summary,
        )
    left = sum(summary.deferred.values())
    later = f"; {left} left for the next run (crawl delay)" if left else ""
    return Completed(message=f"{summary.new_articles} new articles{later}", data=summary)


def _publish(
    summary: RunSummary,
    db: str,
    new_stories: list[dict[str, Any]],
    problems: list[dict[str, Any]],
) -> None:
    create_markdown_artifact(
        markdown=report.summary_markdown(summary, db, problems),
        key="archive-summary",
        description=f"what archive run {summary.run_id} did",
    )
    create_table_artifact(
        table=new_stories or [{"story_id": None, "title": "no new stories in this run"}],
        key="archive-new-stories",
        description="stories this run created",
    )
    create_table_artifact(
        table=problems or [{"host": None, "reason": "no problems in this run"}],
        key="archive-host-problems",
        description="failed attempts per host and reason (429s, robots refusals, timeouts, ...)",
    )
