"""End to end: `wirehouse server` starts a real Prefect server, deploys prefect.yaml and a
worker; a deployment run triggered through the API completes with its artifacts; Ctrl-C
stops every process it started."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from flows.crawl import SHARD_TRIES
from flows.server import plan
from wirehouse.errors import InputError

FEED = "http://feeds.wirehouse.example/rss.xml"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def processes_with(env_marker: str) -> list[int]:
    """PIDs of live processes whose environment contains the marker (our PREFECT_HOME)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if env_marker.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def test_plan_checks_the_sources_file(tmp_path):
    with pytest.raises(InputError, match="db = "):
        (tmp_path / "s.toml").write_text("feeds = []\n")
        plan(4200, str(tmp_path / "s.toml"), None)
    (tmp_path / "ok.toml").write_text('db = "news.duckdb"\n')
    ready = plan(4999, str(tmp_path / "ok.toml"), None, home=str(tmp_path / "home"))
    assert ready.start_server and ready.api_url == "http://127.0.0.1:4999/api"
    assert ready.env["WIREHOUSE_DB"] == str(tmp_path / "news.duckdb")
    assert ready.env["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    existing = plan(4999, str(tmp_path / "ok.toml"), "http://prefect.example/api")
    assert not existing.start_server and existing.api_url == "http://prefect.example/api"


@pytest.mark.slow
def test_server_deploys_runs_a_deployment_and_stops_cleanly(tmp_path, example_hosts):
    port = free_port()
    home = tmp_path / "prefect-home"
    sources = tmp_path / "sources.toml"
    resolve = "".join(f'"{host}" = "{address}"\n' for host, address in example_hosts.items())
    sources.write_text(
        f'db = "news.duckdb"\nfeeds = ["{FEED}"]\nallow_private_network = true\n[resolve]\n{resolve}'
    )
    server = _start_server(port, sources, home)
    api = f"http://127.0.0.1:{port}/api"
    try:
        _wait_ready(server)
        deployments = httpx.post(f"{api}/deployments/filter", json={}, timeout=30).json()
        names = {d["name"]: d for d in deployments}
        assert set(names) == {"hourly-crawl", "crawl-shard", "reextract", "nightly-maintenance"}
        assert names["hourly-crawl"]["parameters"] == {"config": str(sources)}
        assert [s["schedule"]["cron"] for s in names["hourly-crawl"]["schedules"]] == ["0 * * * *"]
        crawl = names["hourly-crawl"]
        assert crawl["global_concurrency_limit"]["limit"] == 1  # overlapping runs: one at a time
        assert crawl["concurrency_options"]["collision_strategy"] == "CANCEL_NEW"

        run = _create_flow_run(api, names["hourly-crawl"]["id"])
        state = _final_state(api, run["id"], timeout_s=300)
        worker_log = (home / "logs" / "worker.log").read_text(errors="replace")[-3000:]
        assert state.get("type") == "COMPLETED", f"{state}\n{worker_log}"

        # the run a user clicks carries the artifacts and tells the story in its logs
        artifacts = httpx.post(
            f"{api}/artifacts/filter",
            json={
                "artifacts": {
                    "key": {"any_": ["archive-summary", "archive-new-stories"]},
                    "flow_run_id": {"any_": [run["id"]]},
                }
            },
            timeout=30,
        ).json()
        messages: list[str] = []
        deadline = time.monotonic() + 30  # the worker ships logs in batches
        while time.monotonic() < deadline and not any("fetch-and-extract" in m for m in messages):
            logs = httpx.post(
                f"{api}/logs/filter",
                json={"logs": {"flow_run_id": {"any_": [run["id"]]}}, "limit": 200},
                timeout=30,
            ).json()
            messages = [log["message"] for log in logs]
            time.sleep(0.5)
        assert any(m.startswith("discover: urls") for m in messages), messages
        assert any(m.startswith("fetch-and-extract: attempted") for m in messages), messages
        by_key = {a["key"]: a for a in artifacts}
        assert "| new articles |" in by_key["archive-summary"]["data"]
        assert json.loads(by_key["archive-new-stories"]["data"])
        with duckdb.connect(str(tmp_path / "news.duckdb"), read_only=True) as conn:
            assert conn.execute("select count(*) from articles").fetchone()[0] > 5
    finally:
        _stop_server(server)
    assert server.returncode == 0
    deadline = time.monotonic() + 20
    while processes_with(str(home)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert processes_with(str(home)) == []


def _answer(response: httpx.Response, attempts_left: int) -> dict[str, Any] | None:
    """The JSON of a successful answer; None for a server error worth asking again (on a
    loaded machine the server's SQLite database is briefly locked and it answers 500)."""
    if response.is_success:
        return dict(response.json())
    assert response.status_code >= 500 and attempts_left > 0, (
        f"{response.request.method} {response.request.url}: {response.status_code} {response.text}"
    )
    return None


def _create_flow_run(
    api: str, deployment_id: str, attempts: int = 5, state: dict[str, str] | None = None
) -> dict[str, Any]:
    for left in reversed(range(attempts)):
        response = httpx.post(
            f"{api}/deployments/{deployment_id}/create_flow_run",
            json={"state": state} if state else {},
            timeout=30,
        )
        found = _answer(response, left)
        if found is not None:
            return found
        time.sleep(2)
    raise AssertionError("unreachable: the last attempt's answer is asserted")


def _api_get(url: str, attempts: int = 5) -> dict[str, Any]:
    for left in reversed(range(attempts)):
        found = _answer(httpx.get(url, timeout=30), left)
        if found is not None:
            return found
        time.sleep(2)
    raise AssertionError("unreachable: the last attempt's answer is asserted")


def _final_state(api: str, run_id: str, timeout_s: float) -> dict[str, Any]:
    """The flow run's state once it is final, or its last state when ``timeout_s`` ran out."""
    state: dict[str, Any] = {}
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = _api_get(f"{api}/flow_runs/{run_id}")["state"]
        if state["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
            break
        time.sleep(1)
    return state


def _start_server(port: int, sources: Path, home: Path, *extra: str) -> subprocess.Popen[str]:
    """`wirehouse server` in a process group of its own, with a clean environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "WIREHOUSE_"))}
    env["PREFECT_WORKER_QUERY_SECONDS"] = "1"
    command = [sys.executable, "-m", "flows.cli", "server", "--port", str(port), *extra]
    command += ["--sources", str(sources), "--home", str(home)]
    return subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _wait_ready(server: subprocess.Popen[str]) -> list[str]:
    output: list[str] = []
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        line = server.stdout.readline() if server.stdout else ""
        output.append(line)
        if line.startswith("ready:") or server.poll() is not None:
            break
    assert any(line.startswith("ready:") for line in output), "".join(output)
    return output


def _stop_server(server: subprocess.Popen[str]) -> None:
    server.send_signal(signal.SIGINT)  # what Ctrl-C sends
    try:
        server.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        raise
    finally:
        if server.stdout:
            server.stdout.close()


def test_a_port_in_use_is_refused_before_anything_starts(tmp_path):
    from flows.server import check_port_free

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(InputError, match=f"port {port} is in use: .* --api-url"):
            check_port_free(port)
    check_port_free(port)  # closed, even in TIME_WAIT: free for a server that binds it


def test_a_server_that_exits_as_it_starts_is_not_waited_on(tmp_path):
    # another program's port: Prefect exited at once, and the API was waited on for 120 s
    from flows.server import wait_healthy
    from wirehouse.errors import StorageError

    dead = subprocess.Popen([sys.executable, "-c", "raise SystemExit(1)"])
    dead.wait()
    started = time.monotonic()
    with pytest.raises(StorageError, match="exited with 1 as it started"):
        wait_healthy(f"http://127.0.0.1:{free_port()}/api", timeout_s=60, server=dead)  # type: ignore[arg-type]
    assert time.monotonic() - started < 10


@pytest.mark.slow
def test_a_run_left_under_way_ends_crashed_and_a_second_server_is_refused(tmp_path):
    # A run under way when the server or worker stopped (Ctrl-C, kill -9) stayed Running for
    # ever, holding its deployment's one slot: every later crawl was cancelled. A second
    # `wirehouse server` on the same port deployed its sources to the first, then failed.
    port = free_port()
    home = tmp_path / "prefect-home"
    sources = tmp_path / "sources.toml"
    sources.write_text(f'db = "news.duckdb"\nfeeds = ["{FEED}"]\n')
    api = f"http://127.0.0.1:{port}/api"
    server = _start_server(port, sources, home)
    try:
        _wait_ready(server)
        other = tmp_path / "other.toml"
        other.write_text(f'db = "other.duckdb"\nfeeds = ["{FEED}"]\n')
        second = _start_server(port, other, tmp_path / "other-home")
        said, _ = second.communicate(timeout=120)
        assert second.returncode == 2 and f"port {port} is in use" in said
        deployments = httpx.post(f"{api}/deployments/filter", json={}, timeout=30).json()
        crawl = next(d for d in deployments if d["name"] == "hourly-crawl")
        assert crawl["parameters"] == {"config": str(sources)}  # not repointed
        running = {"type": "RUNNING", "name": "Running"}
        run = _create_flow_run(api, crawl["id"], state=running)
    finally:
        for pid in processes_with(str(home)):  # the machine lost: nothing stops cleanly
            os.kill(pid, signal.SIGKILL)
        server.wait(30)
    server = _start_server(port, sources, home)
    try:
        said = "".join(_wait_ready(server))
        assert "1 run(s) left under way when the server last stopped: Crashed" in said
        assert _api_get(f"{api}/flow_runs/{run['id']}")["state"]["type"] == "CRASHED"
    finally:
        _stop_server(server)
    assert server.returncode == 0


@pytest.mark.slow
def test_a_sharded_crawl_fans_out_to_the_workers_and_groups_once(tmp_path, example_hosts, postgres):
    """`wirehouse server --workers 2` and a crawl configuration with `shards = 2` on a
    DuckLake: the crawl run starts two crawl-shard runs, the two workers take them, and the
    crawl run groups what they archived."""
    port = free_port()
    home = tmp_path / "prefect-home"
    db = "ducklake:postgres:" + postgres.create("fanout")
    sources = tmp_path / "sources.toml"
    resolve = "".join(f'"{host}" = "{address}"\n' for host, address in example_hosts.items())
    sources.write_text(
        f'db = "{db}"\ndata_path = "lake"\nshards = 2\nfeeds = ["{FEED}"]\n'
        f"allow_private_network = true\n[resolve]\n{resolve}"
    )
    server = _start_server(port, sources, home, "--workers", "2")
    api = f"http://127.0.0.1:{port}/api"
    try:
        _wait_ready(server)
        deployments = httpx.post(f"{api}/deployments/filter", json={}, timeout=30).json()
        crawl = next(d for d in deployments if d["name"] == "hourly-crawl")
        run = _create_flow_run(api, crawl["id"])
        state = _final_state(api, run["id"], timeout_s=480)
        logs = "".join(
            (home / "logs" / name).read_text(errors="replace")[-2000:]
            for name in ("worker.log", "worker-2.log")
        )
        assert state.get("type") == "COMPLETED", f"{state}\n{logs}"
        shard_runs = httpx.post(
            f"{api}/flow_runs/filter",
            json={"flow_runs": {"parent_flow_run_id": {"any_": [run["id"]]}}},
            timeout=30,
        ).json()
        shard_runs = [r for r in shard_runs if r["parameters"].get("shard")]
        by_shard: dict[str, list[dict[str, Any]]] = {}
        for shard_run in sorted(shard_runs, key=lambda r: r["created"]):
            by_shard.setdefault(shard_run["parameters"]["shard"], []).append(shard_run)
        assert sorted(by_shard) == ["1/2", "2/2"]
        # A shard run that crashed is started once more, by design (SHARD_TRIES); its last
        # run completed, and only a crash is ever run again.
        for shard, tries in by_shard.items():
            states = [r["state"]["type"] for r in tries]
            assert len(tries) <= SHARD_TRIES and states[-1] == "COMPLETED", (shard, tries)
            assert all(state == "CRASHED" for state in states[:-1]), (shard, tries)
    finally:
        _stop_server(server)
    from wirehouse.db import connect

    conn = connect(db, read_only=True)
    try:
        shards = conn.execute(
            "select count(distinct parameters->>'shard') from runs"
            " where parameters->>'shard' is not null and finished_at is not null"
        ).fetchone()
        articles, stories = conn.execute(
            "select (select count(*) from articles), (select count(*) from stories)"
        ).fetchone()
    finally:
        conn.close()
    assert shards == (2,)
    assert articles > 5 and stories > 3  # grouped once, after the shards
