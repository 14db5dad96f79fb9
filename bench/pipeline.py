"""The whole pipeline against one bare core: `wirehouse run` vs a `trafilatura.extract` loop.

Serves the article pages of ../shared/eval/wcxb-dev on loopback under 40 host names, runs
`wirehouse run` over them into a fresh DuckDB file (a whole process, timed from outside),
and in the same run times a bare single-process loop calling `trafilatura.extract` on the
same HTML. Prints pages/s of both, their ratio, the run's CPU use and peak memory; then a
second run over the same URLs (its time as a share of the first); then, with ``--scale``,
a run over N times the pages (the same pages under more URLs), to show that memory does not
grow with them.

    python -m bench.pipeline [--limit N] [--scale 4] [--repo DIR]

``--repo`` runs another checkout's command line (an older commit, say) on the same pages.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

WCXB = Path(__file__).resolve().parents[2] / "shared" / "eval" / "wcxb-dev"
HOSTS = 40


def article_pages(limit: int | None) -> list[bytes]:
    """The HTML of the dev split's article pages, in id order."""
    meta = json.loads((WCXB / "metadata.json").read_text(encoding="utf-8"))["files"]
    pages = []
    for path in sorted((WCXB / "html").glob("*.html.gz")):
        page_id = path.name.split(".")[0]
        kind = meta.get(page_id, {}).get("page_type")
        if kind is None:
            truth = json.loads((WCXB / "ground-truth" / f"{page_id}.json").read_text("utf-8"))
            kind = truth.get("_internal", {}).get("page_type", {}).get("primary")
        if kind == "article":
            pages.append(gzip.decompress(path.read_bytes()))
        if limit and len(pages) >= limit:
            break
    return pages


@contextmanager
def serve(pages: Sequence[bytes]) -> Iterator[int]:
    """Every page at /p/<n> on one loopback port, whatever the Host header says."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            index = self.path.split("?")[0].removeprefix("/p/")
            if not index.isdigit() or int(index) >= len(pages):
                self.send_error(404)
                return
            body = pages[int(index)]
            etag = f'"{index}-{len(body)}"'
            if self.headers.get("If-None-Match") == etag:  # as a real server answers
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()


@dataclass(frozen=True)
class Timed:
    seconds: float
    cpu_seconds: float
    peak_mb: float
    returncode: int
    output: str


def run_wirehouse(repo: Path, db: Path, urls_file: Path, port: int, env: dict[str, str]) -> Timed:
    """`wirehouse run` over the URL file, as a user runs it, timed as a whole process."""
    resolve = [f"--resolve=site{h}.example=127.0.0.1:{port}" for h in range(HOSTS)]
    command = [
        sys.executable, "-m", _cli_module(repo), "run", "--db", str(db),
        "--urls-file", str(urls_file), "--allow-private-network", *resolve,
    ]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as output, _adopting_orphans():
        # Its own process group: the run, its fork server and its workers, all reaped below.
        process = subprocess.Popen(
            command, cwd=repo, env=env, stdout=output, stderr=output, start_new_session=True
        )
        _, status, _ = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        _reap_group(process.pid)
        output.seek(0)
        said = output.read()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # Every descendant's CPU (the run, its fork server, its workers) and the largest of
    # their peak memories (a worker's or the run's own, whichever is larger).
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return Timed(seconds, cpu, after.ru_maxrss / 1024, os.waitstatus_to_exitcode(status), said)


@contextmanager
def _adopting_orphans() -> Iterator[None]:
    """Be the subreaper of what the run starts while it runs: its extraction workers' fork
    server outlives it by a moment and would otherwise be reaped, and counted, by no one."""
    libc = None
    with contextlib.suppress(Exception):  # Linux; elsewhere those processes go uncounted
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(36, 1)  # PR_SET_CHILD_SUBREAPER
    try:
        yield
    finally:
        if libc is not None:
            libc.prctl(36, 0)


def _reap_group(group: int) -> None:
    """Wait for what is left of the run's process group, so that its usage is counted."""
    with contextlib.suppress(ChildProcessError):
        while True:
            os.waitpid(-group, 0)


def run_env() -> dict[str, str]:
    """The environment a benchmark's `wirehouse run` gets: no Prefect server, nothing sent."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env.update(PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1")
    return env


def _cli_module(repo: Path) -> str:
    return "flows.cli" if (repo / "flows" / "cli.py").exists() else "wirehouse.cli"


def bare_loop(pages: Sequence[bytes]) -> tuple[float, float]:
    """(seconds, CPU seconds) of `trafilatura.extract` on every page, in this one process."""
    import trafilatura

    trafilatura.extract(pages[0])  # imports and caches warmed, as in a long-running worker
    started, cpu = time.perf_counter(), time.process_time()
    for page in pages:
        trafilatura.extract(page)
    return time.perf_counter() - started, time.process_time() - cpu


def write_urls(path: Path, port: int, count: int, copies: int) -> int:
    """``copies`` URLs for each of ``count`` pages, spread over the host names."""
    lines = [
        f"http://site{(n * copies + c) % HOSTS}.example:{port}/p/{n}?copy={c}"
        for n in range(count)
        for c in range(copies)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="article pages to use (default: all)")
    parser.add_argument("--scale", type=int, default=4, help="the memory run's page multiple")
    parser.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[1])
    args = parser.parse_args(argv)
    if not WCXB.is_dir():
        print(f"no evaluation data at {WCXB}", file=sys.stderr)
        return 2
    repo = args.repo.resolve()
    pages = article_pages(args.limit)
    env = run_env()
    env["WIREHOUSE_OBEY_ROBOTS"] = "false"  # the loopback site has no robots.txt to ask
    cores = os.cpu_count() or 1
    print(f"{len(pages)} article pages of WCXB dev, {HOSTS} loopback hosts, {cores} cores")
    with tempfile.TemporaryDirectory() as tmp, serve(pages) as port:
        base = Path(tmp)
        urls = base / "urls.txt"
        write_urls(urls, port, len(pages), 1)
        first = run_wirehouse(repo, base / "news.duckdb", urls, port, env)
        if first.returncode != 0:
            print(first.output[-3000:], file=sys.stderr)
            return 1
        bare, bare_cpu = bare_loop(pages)
        again = run_wirehouse(repo, base / "news.duckdb", urls, port, env)
        print(first.output.strip())
        rate, bare_rate = len(pages) / first.seconds, len(pages) / bare
        print(f"wirehouse run      {first.seconds:7.1f} s  {rate:6.1f} pages/s")
        print(f"bare extract loop  {bare:7.1f} s  {bare_rate:6.1f} pages/s (one process)")
        print(
            f"ratio              {rate / bare_rate:7.2f}  (2 cores: the limit is about {cores:.1f})"
        )
        print(
            f"CPU                {first.cpu_seconds:7.1f} s  "
            f"({first.cpu_seconds / first.seconds / cores:.0%} of {cores} cores; "
            f"bare loop {bare_cpu:.1f} s)"
        )
        print(f"peak memory        {first.peak_mb:7.0f} MB")
        print(
            f"second run         {again.seconds:7.1f} s  ({again.seconds / first.seconds:.0%} of "
            "the first, same URLs, nothing changed)"
        )
        if args.scale > 1:
            many = base / f"urls-x{args.scale}.txt"
            count = write_urls(many, port, len(pages), args.scale)
            big = run_wirehouse(repo, base / "scaled.duckdb", many, port, env)
            print(
                f"x{args.scale} pages           {big.seconds:7.1f} s  {count / big.seconds:6.1f} "
                f"pages/s, CPU {big.cpu_seconds:.1f} s, peak memory {big.peak_mb:.0f} MB "
                f"({big.peak_mb / first.peak_mb:.2f} of 1x)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
