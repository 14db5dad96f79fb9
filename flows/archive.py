"""The archive flow: discover -> fetch -> archive -> extract -> dedupe -> group -> load.

Only orchestration lives here: every task is a thin wrapper over a plain function in
``tasks.pipeline`` (tested without Prefect). Steps pass keys and small reports; page bodies
go through the WARC archive and DuckDB, never through Prefect.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from tasks import pipeline
from tasks.pipeline import RunContext, Sources, default_archive_dir
from tasks.store import finish_run, start_run
from wirehouse.db import open_archive
from wirehouse.records import RunSummary
from wirehouse.settings import Settings


@task(name="discover", cache_policy=NO_CACHE)
def discover(ctx: RunContext, sources: Sources) -> pipeline.DiscoveryReport:
    """List the URLs to fetch from the given URLs, URL file, feeds and sitemaps."""
    return pipeline.discover(ctx, sources)


@task(name="fetch-and-archive", cache_policy=NO_CACHE)
def fetch_and_archive(ctx: RunContext, urls: list[str]) -> pipeline.FetchReport:
    """Fetch the pages and keep every response in the WARC archive."""
    return pipeline.fetch_and_archive(ctx, urls)


@task(name="ingest-warcs", cache_policy=NO_CACHE)
def ingest_warcs(ctx: RunContext, paths: list[str]) -> pipeline.IngestReport:
    """Copy the responses of given WARC/ARC files into the archive."""
    return pipeline.ingest_warcs(ctx, paths)


@task(name="extract", cache_policy=NO_CACHE)
def extract(ctx: RunContext) -> pipeline.ExtractReport:
    """Turn every archived, not yet extracted response into an article or a rejection."""
    return pipeline.extract_pending(ctx)


@task(name="dedupe-and-group", cache_policy=NO_CACHE)
def dedupe_and_group(ctx: RunContext) -> pipeline.GroupReport:
    """Find copies, pick origins and group articles into stories."""
    return pipeline.group_articles(ctx)


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
    return f"archive {', '.join(parts) or 'pending work'} -> {Path(p['db']).name}"


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
) -> RunSummary:
    """Archive the given sources into the DuckDB file ``db`` (raw responses under ``archive``)."""
    logger = get_run_logger()
    sources = Sources(
        urls=tuple(urls or ()),
        urls_file=urls_file,
        feeds=tuple(feeds or ()),
        sitemaps=tuple(sitemaps or ()),
        warcs=tuple(warcs or ()),
    )
    sources.validate()
    ctx = RunContext(
        db_path=db,
        archive_dir=archive or default_archive_dir(db),
        run_id=pipeline.new_run_id(),
        settings=Settings.from_env().with_user_agent(user_agent),
        allow_private_network=allow_private_network,
        resolve=tuple(sorted((resolve or {}).items())),
    )
    with open_archive(db) as conn:
        start_run(conn, ctx.run_id, {"sources": sources, "archive": ctx.archive_dir})

    found = discover(ctx, sources)
    fetched = fetch_and_archive(ctx, found.urls)
    ingested = ingest_warcs(ctx, list(sources.warcs)) if sources.warcs else None
    extracted = extract(ctx)
    grouped = dedupe_and_group(ctx)

    failures = dict(fetched.failures)
    if found.problems:
        failures["discovery"] = found.problems
    if ingested:
        for reason, count in ingested.skipped.items():
            failures[f"warc:{reason}"] = count
    summary = RunSummary(
        run_id=ctx.run_id,
        discovered=len(found.urls) + (ingested.responses if ingested else 0),
        fetched=fetched.fetched + (ingested.responses if ingested else 0),
        not_modified=fetched.not_modified,
        new_articles=extracted.new_articles,
        rejected=sum(extracted.rejected.values()),
        copies_found=grouped.copies,
        stories=grouped.stories,
        new_stories=grouped.new_stories,
        failures=failures,
    )
    with open_archive(db) as conn:
        finish_run(conn, summary)
    logger.info(
        "archived %d pages: %d new articles, %d copies, %d stories, %d failures",
        summary.fetched,
        summary.new_articles,
        summary.copies_found,
        summary.stories,
        sum(failures.values()),
    )
    return summary
