"""The scheduled crawl: archive what a crawl configuration file lists (see sources.toml).

With ``shards = N`` (a DuckLake archive), the crawl fans out: it starts N runs of the
``crawl-shard`` deployment (``run_deployment``), which any worker of the ``wirehouse`` pool
picks up on any machine, each archiving the hosts of its shard; it waits for them (a shard
that crashed, its worker killed, is started once more: the re-run carries on where it
stopped), then runs the one grouping of the new articles itself.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from uuid import UUID

from prefect import State, flow, get_run_logger
from prefect.client.orchestration import get_client
from prefect.deployments import run_deployment
from prefect.states import Completed, Failed

from flows import task_runs
from flows.archive import RunFailed, archive_run
from tasks.reports import GroupReport
from tasks.run_context import RunContext, Sources, new_run_id
from tasks.steps import group
from wirehouse.records import RunSummary
from wirehouse.settings import Settings
from wirehouse.sources_config import CrawlConfig, load_crawl_config

SHARD_DEPLOYMENT = "crawl-shard/crawl-shard"
SHARD_TRIES = 2  # a shard run that crashed (its worker killed) is started once more
_DONE = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")


@flow(name="crawl", flow_run_name="crawl {config}")
def crawl_flow(config: str = "sources.toml") -> State[Any]:
    """Read the crawl configuration and archive its sources in this run: its steps, logs
    and artifacts are the deployment run's own, where the UI shows them. With ``shards``
    above one, fan out to that many shard runs, then group once."""
    settings = load_crawl_config(Path(config))
    if settings.shards > 1:
        return fan_out(config, settings)
    return _archive(settings)


@flow(name="crawl-shard", flow_run_name="crawl {config} shard {shard}")
def crawl_shard_flow(config: str, shard: str) -> State[RunSummary]:
    """Archive the hosts of one shard ("K/N") of the crawl configuration's sources; the
    grouping is left to the crawl run that started it."""
    return _archive(load_crawl_config(Path(config)), shard)


def _archive(config: CrawlConfig, shard: str | None = None) -> State[RunSummary]:
    """The archive run of a crawl configuration (of one shard of it)."""
    return archive_run(
        config.db,
        config.archive,
        Sources(
            urls=tuple(config.urls),
            urls_file=config.urls_file,
            feeds=tuple(config.feeds),
            sitemaps=tuple(config.sitemaps),
        ),
        config.allow_private_network,
        config.resolve,
        config.user_agent,
        data_path=config.data_path,
        shard=shard,
    )


def _start_shard(config: str, shard: str) -> UUID:
    run = run_deployment(SHARD_DEPLOYMENT, parameters={"config": config, "shard": shard}, timeout=0)
    return run.id  # type: ignore[union-attr]  # the sync call returns the run, not a coroutine


def _wait(run_ids: list[UUID], poll_s: float = 2.0) -> dict[UUID, str]:
    """The final state type of each run, once all have one."""
    final: dict[UUID, str] = {}
    with get_client(sync_client=True) as client:
        while len(final) < len(run_ids):
            for run_id in run_ids:
                if run_id in final:
                    continue
                state = client.read_flow_run(run_id).state
                if state is not None and state.type.value in _DONE:
                    final[run_id] = state.type.value
            if len(final) < len(run_ids):
                time.sleep(poll_s)
    return final


def fan_out(config: str, settings: CrawlConfig) -> State[Any]:
    """Start one shard run per shard, wait for them all (starting a crashed one once
    more), then group what they archived, once."""
    logger = get_run_logger()
    shards = [f"{k}/{settings.shards}" for k in range(1, settings.shards + 1)]
    runs = {shard: _start_shard(config, shard) for shard in shards}
    logger.info("started %d shard runs of %s", len(runs), SHARD_DEPLOYMENT)
    final = _wait(list(runs.values()))
    outcome = {shard: final[run_id] for shard, run_id in runs.items()}
    for _ in range(SHARD_TRIES - 1):
        crashed = [shard for shard, state in outcome.items() if state == "CRASHED"]
        if not crashed:
            break
        logger.warning("shard runs %s crashed: starting them again", ", ".join(crashed))
        again = {shard: _start_shard(config, shard) for shard in crashed}
        final = _wait(list(again.values()))
        outcome.update({shard: final[run_id] for shard, run_id in again.items()})
    ctx = RunContext(
        db_path=settings.db,
        archive_dir="",  # grouping reads no WARC file
        run_id=new_run_id(),
        settings=Settings.from_env().with_data_path(settings.data_path),
    )
    grouped: GroupReport = task_runs.as_task("dedupe-and-group", group.group_articles, ctx)
    logger.info(
        "grouped after %d shards: %d new stories; the archive holds %d articles in %d stories",
        len(shards),
        grouped.new_stories,
        grouped.articles,
        grouped.stories,
    )
    failed = {shard: state for shard, state in outcome.items() if state != "COMPLETED"}
    if failed:
        listed = ", ".join(f"{shard} {state.lower()}" for shard, state in failed.items())
        message = f"shard runs not completed: {listed}"
        return Failed(message=message, data=RunFailed(message, grouped))
    return Completed(
        message=f"{len(shards)} shards; {grouped.new_stories} new stories", data=grouped
    )
