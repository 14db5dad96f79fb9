"""The scheduled crawl: archive what a crawl configuration file lists (see sources.toml)."""

from __future__ import annotations

from pathlib import Path

from prefect import flow

from flows.archive import archive_flow
from wirehouse.records import RunSummary
from wirehouse.sources_config import load_crawl_config


@flow(name="crawl", flow_run_name="crawl {config}")
def crawl_flow(config: str = "sources.toml") -> RunSummary:
    """Read the crawl configuration and run the archive flow on its sources."""
    settings = load_crawl_config(Path(config))
    return archive_flow(
        db=settings.db,
        archive=settings.archive,
        urls=settings.urls,
        urls_file=settings.urls_file,
        feeds=settings.feeds,
        sitemaps=settings.sitemaps,
        allow_private_network=settings.allow_private_network,
        resolve=settings.resolve,
        user_agent=settings.user_agent,
    )
