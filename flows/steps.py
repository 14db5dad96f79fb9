"""Prefect tasks: thin wrappers over the plain steps in ``tasks.pipeline``.

Each task is one batch of work with a short DuckDB transaction; they take a RunContext and
return small reports, never page bodies. Caching is off: every step has effects.
"""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks import pipeline
from tasks.pipeline import RunContext, Sources


@task(name="discover", cache_policy=NO_CACHE)
def discover(ctx: RunContext, sources: Sources) -> pipeline.DiscoveryReport:
    """List the URLs to fetch from the given URLs, URL file, feeds and sitemaps."""
    return pipeline.discover(ctx, sources)


@task(name="fetch-and-archive", cache_policy=NO_CACHE)
def fetch_and_archive(ctx: RunContext, urls: list[str]) -> pipeline.FetchReport:
    """Fetch the pages politely and keep every new response in the WARC archive."""
    return pipeline.fetch_and_archive(ctx, urls)


@task(name="ingest-warcs", cache_policy=NO_CACHE)
def ingest_warcs(ctx: RunContext, paths: list[str]) -> pipeline.IngestReport:
    """Copy the responses of given WARC/ARC files into the archive."""
    return pipeline.ingest_warcs(ctx, paths)


@task(name="extract", cache_policy=NO_CACHE)
def extract(ctx: RunContext) -> pipeline.ExtractReport:
    """Turn every archived, not yet extracted response into an article or a rejection."""
    return pipeline.extract_pending(ctx)


@task(name="reextract", cache_policy=NO_CACHE)
def reextract(ctx: RunContext) -> pipeline.ReextractReport:
    """Extract every archived response again and keep what changed."""
    return pipeline.reextract(ctx)


@task(name="dedupe-and-group", cache_policy=NO_CACHE)
def dedupe_and_group(ctx: RunContext) -> pipeline.GroupReport:
    """Find copies, pick origins and group articles into stories."""
    return pipeline.group_articles(ctx)


@task(name="mark-all-for-regrouping", cache_policy=NO_CACHE)
def mark_all_for_regrouping(ctx: RunContext) -> int:
    """Have the next grouping regroup the whole archive from scratch."""
    return pipeline.mark_all_for_regrouping(ctx)


@task(name="refresh-search-index", cache_policy=NO_CACHE)
def refresh_search_index(ctx: RunContext) -> int:
    """Rebuild the full-text index over article titles and texts."""
    return pipeline.refresh_search(ctx)


@task(name="checkpoint", cache_policy=NO_CACHE)
def checkpoint(ctx: RunContext) -> pipeline.ArchiveFigures:
    """Fold the write-ahead log into the database file and count what the archive holds."""
    return pipeline.checkpoint(ctx)
