"""The archive flow under a real (temporary) Prefect API."""

from __future__ import annotations

import fcntl
import json
from pathlib import Path

import duckdb
import pytest

from flows.archive import RunFailed, archive_flow

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]

MANIFEST = json.loads(
    (Path(__file__).resolve().parents[2] / "examples" / "manifest.json").read_text()
)
FEED = "http://feeds.wirehouse.example/rss.xml"
SITEMAP = "http://feeds.wirehouse.example/sitemap.xml"


def artifacts_of(flow_run_id) -> dict[str, object]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )
    return {a.key: a for a in found if a.key}


def logs_of(flow_run_id, expect: str) -> list[str]:
    """The run's log lines, once one starting with ``expect`` has arrived (logs are shipped
    to the API in batches) or after 30 s."""
    import time

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    deadline = time.monotonic() + 30
    while True:
        with get_client(sync_client=True) as client:
            found = client.read_logs(
                log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id]))
            )
        messages = [log.message for log in found]
        if any(m.startswith(expect) for m in messages) or time.monotonic() > deadline:
            return messages
        time.sleep(0.5)


def example_flow_run(db: str, hosts: dict[str, str]):
    """The archive flow over the bundled example site's feed and sitemap; its final state."""
    return archive_flow(
        db=db,
        feeds=[FEED],
        sitemaps=[SITEMAP],
        allow_private_network=True,
        resolve=hosts,
        return_state=True,
    )


def test_archive_flow_on_the_example_site(tmp_path, example_hosts):
    db = str(tmp_path / "news.duckdb")
    state = example_flow_run(db, example_hosts)
    assert state.is_completed(), state.message
    assert state.name == "Completed with failures"  # the example site has one broken link
    assert "1 of 23 failed (http_404: 1)" in (state.message or "")
    summary = state.result()
    articles = [e for e in MANIFEST if e["kind"] == "article"]
    assert summary.new_articles == len(articles)
    assert summary.stories == len({e["event"] for e in articles})
    assert summary.failures == {"http_404": 1}
    wire_texts = [e["wire_text"] for e in articles if e["wire_text"]]
    assert summary.copies_found == len(wire_texts) - len(set(wire_texts))
    assert (tmp_path / "news-archive").is_dir()  # WARC archive next to the DB by default
    with duckdb.connect(db, read_only=True) as conn:
        (run,) = conn.execute("select summary from runs").fetchall()
    assert json.loads(run[0])["new_articles"] == len(articles)

    artifacts = artifacts_of(state.state_details.flow_run_id)
    assert set(artifacts) == {
        "archive-summary",
        "archive-new-stories",
        "archive-host-problems",
        "archive-progress",
    }
    markdown = str(artifacts["archive-summary"].data)
    assert f"| new articles | {len(articles)} |" in markdown
    assert "| `http_404` | 1 |" in markdown
    stories = json.loads(str(artifacts["archive-new-stories"].data))
    assert len(stories) == summary.stories
    assert any(
        s["title"].startswith("Putin meets leader of Belarus") and s["articles"] == 5
        for s in stories
    )
    problems = json.loads(str(artifacts["archive-host-problems"].data))
    assert [(p["host"], p["reason"], p["attempts"]) for p in problems] == [
        ("www.mountainpost.example", "http_404", 1)
    ]
    assert artifacts["archive-progress"].data == 100.0


def test_wrong_arguments_fail_the_flow_with_a_clear_message(tmp_path):
    state = archive_flow(db=str(tmp_path / "x.duckdb"), urls=["not-a-url"], return_state=True)
    assert state.is_failed()
    assert "not an http(s) URL: 'not-a-url'" in (state.message or "")


def test_private_addresses_are_refused_without_the_flag(tmp_path, example_hosts):
    db = str(tmp_path / "news.duckdb")
    url = next(e["url"] for e in MANIFEST if e["kind"] == "article")
    state = archive_flow(db=db, urls=[url], resolve=example_hosts, return_state=True)
    assert state.is_failed()  # nothing could be archived: the dashboard must not stay green
    assert "1 of 1 failed (private_address: 1)" in (state.message or "")
    failed = state.result(raise_on_failure=False)  # the failed run's summary rides on it
    assert isinstance(failed, RunFailed) and str(failed) == state.message
    summary = failed.result
    assert summary.failures == {"private_address": 1}
    assert summary.new_articles == 0


def test_a_second_run_on_a_busy_archive_fails_with_a_clear_state(tmp_path, example_hosts):
    db = str(tmp_path / "news.duckdb")
    url = next(e["url"] for e in MANIFEST if e["kind"] == "article")
    with open(f"{db}.lock", "a") as held:  # as if another process were writing
        fcntl.flock(held, fcntl.LOCK_EX)
        state = archive_flow(
            db=db, urls=[url], allow_private_network=True, resolve=example_hosts, return_state=True
        )
    assert state.is_failed()
    assert "another run is writing to" in (state.message or "")


def test_crawl_reextract_and_maintenance_flows(tmp_path, example_hosts):
    from flows.crawl import crawl_flow
    from flows.maintenance import maintenance_flow
    from flows.reextract import reextract_flow

    resolve = "".join(f'"{host}" = "{address}"\n' for host, address in example_hosts.items())
    config = tmp_path / "sources.toml"
    config.write_text(
        f'db = "news.duckdb"\nfeeds = ["{FEED}"]\nsitemaps = ["{SITEMAP}"]\n'
        f"allow_private_network = true\n[resolve]\n{resolve}"
    )
    crawl = crawl_flow(config=str(config), return_state=True)
    crawled = crawl.result()
    assert crawled.new_articles == len([e for e in MANIFEST if e["kind"] == "article"])
    db = str(tmp_path / "news.duckdb")
    # the deployment run itself carries the steps, the logs and the artifacts
    crawl_run = crawl.state_details.flow_run_id
    assert {"archive-summary", "archive-new-stories", "archive-host-problems"} <= set(
        artifacts_of(crawl_run)
    )
    logged = logs_of(crawl_run, "archived 22 pages")
    assert any(line.startswith("fetch-and-extract: attempted 23") for line in logged), logged
    assert any(line.startswith("archived 22 pages: 16 new articles") for line in logged)

    state = reextract_flow(db=db, return_state=True)
    assert state.is_completed(), state.message
    changes = state.result()
    assert changes.records == len([e for e in MANIFEST if e["kind"] != "broken"])
    assert (changes.changed, changes.new_articles, changes.now_rejected) == (0, 0, 0)
    report = artifacts_of(state.state_details.flow_run_id)["reextract-report"]
    assert f"| unchanged | {changes.records} |" in str(report.data)

    state = maintenance_flow(db=db, return_state=True)
    assert state.is_completed(), state.message
    figures = state.result()
    assert figures.articles == crawled.new_articles and figures.stories == crawled.stories
    report = artifacts_of(state.state_details.flow_run_id)["maintenance-report"]
    assert f"| articles in the search index | {figures.articles} |" in str(report.data)
    assert "| articles regrouped | 0 |" in str(report.data)  # nothing was pending

    state = maintenance_flow(db=db, regroup_all=True, return_state=True)
    assert state.is_completed(), state.message
    assert state.result().stories == crawled.stories
    report = artifacts_of(state.state_details.flow_run_id)["maintenance-report"]
    assert f"| articles regrouped | {figures.articles} |" in str(report.data)


def test_maintenance_or_reextraction_of_a_missing_archive_fails_and_makes_none(tmp_path):
    # a mistyped db made a new, empty archive there and the run was Completed
    from flows.maintenance import maintenance_flow
    from flows.reextract import reextract_flow

    missing = tmp_path / "typo" / "news.duckdb"
    for flow in (maintenance_flow, reextract_flow):
        for db in (str(missing), ""):
            state = flow(db=db, return_state=True)
            assert state.is_failed() and f"no archive at {db!r}" in (state.message or "")
    assert not (tmp_path / "typo").exists()


def test_a_bad_crawl_configuration_fails_with_a_clear_state(tmp_path):
    from flows.crawl import crawl_flow

    config = tmp_path / "sources.toml"
    config.write_text('db = "x.duckdb"\nfeeds = "not a list"\n')
    state = crawl_flow(config=str(config), return_state=True)
    assert state.is_failed()
    assert "feeds must be a list of strings" in (state.message or "")


def test_a_flow_run_and_an_in_process_run_give_the_same_archive(tmp_path, example_hosts):
    """One sequence of steps: as Prefect task runs, or in this process, the same archive."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    from tasks import sequence
    from tasks.run_context import RunContext, Sources, new_run_id

    as_flow = str(tmp_path / "flow.duckdb")
    state = example_flow_run(as_flow, example_hosts)
    assert state.is_completed(), state.message
    here = str(tmp_path / "here.duckdb")
    ctx = RunContext(
        db_path=here,
        archive_dir=str(tmp_path / "here-archive"),
        run_id=new_run_id(),
        allow_private_network=True,
        resolve=tuple(sorted(example_hosts.items())),
    )
    sequence.archive(ctx, Sources(feeds=(FEED,), sitemaps=(SITEMAP,)))

    def archive_of(db: str) -> tuple[list[tuple], list[tuple]]:
        with duckdb.connect(db, read_only=True) as conn:
            articles = conn.execute(
                "select article_id, title, text_sha256, copy_group_id, story_id, is_group_origin"
                " from articles order by article_id"
            ).fetchall()
            stories = conn.execute(
                "select story_id, title, article_count, lead_article_id from stories"
                " order by story_id"
            ).fetchall()
        return articles, stories

    assert archive_of(as_flow) == archive_of(here)
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(
                id=FlowRunFilterId(any_=[state.state_details.flow_run_id])
            )
        )
    steps = {run.name.rsplit("-", 1)[0] for run in runs}
    assert {"discover", "fetch-and-extract", "extract", "dedupe-and-group"} <= steps
