"""The scheduled crawl: archive what a crawl configuration file lists (see sources.toml)."""

from __future__ import annotations

from pathlib import Path

from prefect import State, flow

from flows.archive import archive_run
from tasks.run_context import Sources
from wirehouse.records import RunSummary
from wirehouse.sources_config import load_crawl_config


@flow(name="crawl", flow_run_name="crawl {config}")
def crawl_flow(config: str = "sources.toml") -> State[RunSummary]:
    """Read the crawl configuration and archive its sources in this run: its steps, logs
    and artifacts are the deployment run's own, where the UI shows them."""
    settings = load_crawl_config(Path(config))
    sources = Sources(
        urls=tuple(settings.urls),
        urls_file=settings.urls_file,
        feeds=tuple(settings.feeds),
        sitemaps=tuple(settings.sitemaps),
    )
    return archive_run(
        settings.db,
        settings.archive,
        sources,
        settings.allow_private_network,
        settings.resolve,
        settings.user_agent,
    )
