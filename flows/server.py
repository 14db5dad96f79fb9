"""`wirehouse server`: a local Prefect server, the work pool, the deployments and a worker.

Everything runs on this machine: the server keeps its SQLite database under
``<project>/.prefect/``; telemetry is off. Ctrl-C stops the worker and the server. With
``--api-url`` (or PREFECT_API_URL set) no server is started: the pool, the deployments and
the worker go to that server instead.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from wirehouse.errors import InputError, StorageError
from wirehouse.sources_config import load_crawl_config

PROJECT_DIR = Path(__file__).resolve().parent.parent
POOL = "wirehouse"


@dataclass(frozen=True, slots=True)
class ServerPlan:
    """What `wirehouse server` will start, and with which environment."""

    api_url: str
    start_server: bool
    port: int
    sources: Path
    env: dict[str, str]
    log_dir: Path


def plan(
    port: int,
    sources: str,
    api_url: str | None,
    home: str | None = None,
    project_dir: Path = PROJECT_DIR,
) -> ServerPlan:
    """Check the inputs and work out the environment every Prefect process gets."""
    sources_path = Path(sources).resolve()
    config = load_crawl_config(sources_path)  # fail now, not at the first scheduled run
    existing = api_url or os.environ.get("PREFECT_API_URL")
    prefect_home = Path(home).resolve() if home else project_dir / ".prefect"
    env = dict(os.environ)
    env.update(
        PREFECT_HOME=str(prefect_home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        # wirehouse's own log lines (a held archive, skipped URLs) go to the runs' logs too
        PREFECT_LOGGING_EXTRA_LOGGERS="wirehouse",
        PREFECT_API_URL=existing or f"http://127.0.0.1:{port}/api",
        WIREHOUSE_PROJECT_DIR=str(project_dir),
        WIREHOUSE_SOURCES=str(sources_path),
        WIREHOUSE_DB=config.db,
    )
    if not existing:
        env.setdefault("PREFECT_UI_URL", f"http://127.0.0.1:{port}")
    return ServerPlan(
        api_url=env["PREFECT_API_URL"],
        start_server=not existing,
        port=port,
        sources=sources_path,
        env=env,
        log_dir=prefect_home / "logs",
    )


def _prefect(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("prefect")), *args]


def wait_healthy(
    api_url: str,
    timeout_s: float = 120.0,
    server: subprocess.Popen[bytes] | None = None,
    log_dir: Path | None = None,
) -> None:
    """Wait until the API answers its health check, or the ``server`` started for it exits
    (it was waited on for 120 s, then said to be slow)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server is not None and server.poll() is not None:
            raise StorageError(
                f"the Prefect server exited with {server.returncode} as it started;"
                f" see {log_dir or 'its log'}"
            )
        try:
            if httpx.get(f"{api_url}/health", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise StorageError(f"the Prefect API at {api_url} did not answer within {timeout_s:.0f}s")


def check_port_free(port: int) -> None:
    """Refuse a port something already listens on, before anything starts: a second
    `wirehouse server` on a running one's port found that server healthy, deployed to it
    (its crawls repointed at other sources) and then failed; another program's port was
    waited on for 120 s."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # as the server binds it: a port a stopped server left in TIME_WAIT is free
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise InputError(
                f"port {port} is in use: to deploy to a Prefect server already there, give"
                f" --api-url http://127.0.0.1:{port}/api; else choose another --port",
                reason="bad_port",
            ) from None


# What a run that was under way when its server or worker stopped is left in: Running (or
# Pending, Cancelling) for ever, its deployment's one concurrency slot held, so that every
# later crawl was cancelled ("Deployment concurrency limit reached").
_UNDER_WAY = ["RUNNING", "PENDING", "CANCELLING"]


def end_orphaned_runs(api_url: str, message: str) -> int:
    """Mark the work pool's runs still under way Crashed, with ``message``; returns how
    many. Called where no worker of the pool can be running them: as a server this command
    started comes up, and once its workers have stopped."""
    found = httpx.post(
        f"{api_url}/flow_runs/filter",
        json={
            "flow_runs": {"state": {"type": {"any_": _UNDER_WAY}}},
            "work_pools": {"name": {"any_": [POOL]}},
        },
        timeout=30.0,
    )
    found.raise_for_status()
    ended = 0
    for run in found.json():
        answer = httpx.post(
            f"{api_url}/flow_runs/{run['id']}/set_state",
            json={
                "state": {"type": "CRASHED", "name": "Crashed", "message": message},
                "force": True,
            },
            timeout=30.0,
        )
        ended += answer.status_code < 300
    return ended


def _start(args: Sequence[str], plan: ServerPlan, log_name: str) -> subprocess.Popen[bytes]:
    plan.log_dir.mkdir(parents=True, exist_ok=True)
    log = open(plan.log_dir / log_name, "ab")  # noqa: SIM115 - lives as long as the process
    # Its own process group, so that stopping it stops whatever it started.
    return subprocess.Popen(
        list(args), env=plan.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def _stop(process: subprocess.Popen[bytes], timeout_s: float = 20.0) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)
    except ProcessLookupError:
        pass


def _run(args: Sequence[str], plan: ServerPlan, what: str) -> None:
    done = subprocess.run(
        list(args), env=plan.env, cwd=PROJECT_DIR, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip().splitlines()[-15:]
        raise StorageError(f"{what} failed:\n" + "\n".join(tail))


def serve(plan: ServerPlan, workers: int = 1, out: object = sys.stdout) -> int:
    """Start everything (``workers`` workers of the pool: shard runs go to them at once),
    wait for Ctrl-C (or SIGTERM), stop everything."""
    started: list[subprocess.Popen[bytes]] = []
    names: list[str] = []

    def say(text: str) -> None:
        print(text, file=out, flush=True)  # type: ignore[call-overload]

    stop = {"now": False}

    def on_signal(signum: int, _frame: object) -> None:
        stop["now"] = True

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    server: subprocess.Popen[bytes] | None = None
    try:
        if plan.start_server:
            check_port_free(plan.port)
            say(f"starting a Prefect server on 127.0.0.1:{plan.port} (logs in {plan.log_dir}) ...")
            names.append("server")
            server = _start(
                _prefect("server", "start", "--host", "127.0.0.1", "--port", str(plan.port)),
                plan,
                "server.log",
            )
            started.append(server)
        wait_healthy(plan.api_url, server=server, log_dir=plan.log_dir)
        if server is not None:
            # This server's own database: no worker runs what it lists as under way.
            orphaned = end_orphaned_runs(
                plan.api_url, "its worker or server stopped while it ran (wirehouse server)"
            )
            if orphaned:
                say(f"{orphaned} run(s) left under way when the server last stopped: Crashed")
        say(f"creating the work pool '{POOL}' and deploying prefect.yaml ...")
        _run(
            _prefect("work-pool", "create", POOL, "--type", "process", "--overwrite"),
            plan,
            "creating the work pool",
        )
        _run(_prefect("--no-prompt", "deploy", "--all"), plan, "prefect deploy")
        for number in range(1, workers + 1):
            name = "worker" if number == 1 else f"worker-{number}"
            names.append(name)
            command = _prefect("worker", "start", "--pool", POOL, "--type", "process")
            started.append(_start([*command, "--name", f"wirehouse-{name}"], plan, f"{name}.log"))
        ui = plan.env.get("PREFECT_UI_URL") or plan.api_url.removesuffix("/api")
        say(f"ready: open {ui} to watch the runs; crawl sources from {plan.sources}")
        say("press Ctrl-C to stop the worker and the server")
        while not stop["now"]:
            for name, process in zip(names, started, strict=True):
                if process.poll() is not None:
                    raise StorageError(
                        f"the Prefect {name} exited with {process.returncode}; see {plan.log_dir}"
                    )
            time.sleep(0.5)
        say("stopping ...")
        return 0
    finally:
        # The workers first (each stops its runs), then what they left under way is ended
        # while the server still answers, then the server.
        for process in reversed([p for p in started if p is not server]):
            _stop(process)
        if server is not None:
            if server.poll() is None:
                with contextlib.suppress(httpx.HTTPError):
                    end_orphaned_runs(plan.api_url, "stopped with wirehouse server (Ctrl-C)")
            _stop(server)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def check_port(port: int) -> None:
    if not 1 <= port <= 65535:
        raise InputError(f"--port {port} is not a TCP port", reason="bad_port")
