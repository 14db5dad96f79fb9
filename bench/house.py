"""How the house reads: follow one URL from a run to its `articles` row.

Runs a one-URL archive run (a page served on loopback, no Prefect) under a profiler and
prints the files and functions of this project it passes through, how many times it opens
the DuckDB file (and in which step) and normalises a URL, the largest source files, and the import graph
between the project's packages (with any cycle).

    python -m bench.house [--repo DIR]

``--repo`` measures another checkout (an older commit, say) with this script.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.util
import sys
import tempfile
import threading
from collections import defaultdict
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any

PACKAGES = ("wirehouse", "tasks", "flows")
PAGE = (
    "<html><head><title>Council approves the plan</title></head><body><article>"
    "<h1>Council approves the plan</h1>"
    + "<p>The council met on Tuesday and agreed the plan after a long debate. Residents "
    "had asked for changes for years, and the vote was close in the end.</p>"
    * 5
    + "</article></body></html>"
).encode()


class _Page(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = PAGE if self.path == "/story" else b"not found"
        self.send_response(200 if self.path == "/story" else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


def _serve() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/story"
    finally:
        server.shutdown()


def _module_of(repo: Path, name: str) -> Any:
    """The module if that checkout has it (the installed project's does not count)."""
    try:
        spec = importlib.util.find_spec(name)
    except ModuleNotFoundError:
        return None
    if spec is None or not Path(spec.origin or "").is_relative_to(repo):
        return None
    return importlib.import_module(name)


def _run_one_url(repo: Path, url: str, tmp: Path) -> None:
    """The steps of `wirehouse run --url URL`, as that checkout runs them without Prefect."""
    old = _module_of(repo, "tasks.pipeline")  # before the steps had modules of their own
    context = old or importlib.import_module("tasks.run_context")
    ctx = context.RunContext(
        db_path=str(tmp / "news.duckdb"),
        archive_dir=str(tmp / "news-archive"),
        run_id=context.new_run_id(),
        allow_private_network=True,
    )
    sources = context.Sources(urls=(url,))
    sequence = _module_of(repo, "tasks.sequence")
    if sequence is None:  # before the steps had one sequence: the flow's body
        found = old.discover(ctx, sources)
        old.fetch_and_archive(ctx, found.urls)
        old.extract_pending(ctx)
        old.group_articles(ctx)
        old.refresh_search(ctx)
        return
    sequence.archive(ctx, sources)


def trace(repo: Path) -> dict[str, Any]:
    roots = tuple(str(repo / package) + "/" for package in PACKAGES)
    functions: set[tuple[str, str]] = set()
    calls: dict[str, int] = defaultdict(int)

    def profile(frame: FrameType, event: str, arg: object) -> None:
        if event != "call":
            return
        filename = frame.f_code.co_filename
        if filename.startswith(roots):
            name = frame.f_code.co_qualname
            if "<" not in name:  # comprehensions, lambdas, module bodies
                functions.add((str(Path(filename).relative_to(repo)), name))
            calls[name] += 1

    import duckdb

    opened: dict[str, int] = defaultdict(int)  # by the step that opened it, in run order
    connect = duckdb.connect

    def counting_connect(*args: Any, **kwargs: Any) -> Any:
        opened[_opener(repo, sys._getframe(1))] += 1
        return connect(*args, **kwargs)

    duckdb.connect = counting_connect  # type: ignore[assignment]
    for name in ("tasks.pipeline", "tasks.sequence", "tasks.run_context"):
        _module_of(repo, name)  # imported before tracing: import-time calls do not count
    with tempfile.TemporaryDirectory() as tmp:
        served = _serve()
        url = next(served)
        threading.setprofile(profile)
        sys.setprofile(profile)
        try:
            _run_one_url(repo, url, Path(tmp))
        finally:
            sys.setprofile(None)
            threading.setprofile(None)  # type: ignore[arg-type]
            duckdb.connect = connect
            next(served, None)
    return {
        "functions": sorted(functions),
        "files": sorted({file for file, _ in functions}),
        "db_opens": sum(opened.values()),
        "db_opens_by_step": dict(opened),
        "normalisations": calls["normalize_url"],
    }


def _opener(repo: Path, frame: FrameType | None) -> str:
    """The step whose code opened the file: its module under tasks/steps/, else the
    outermost module of tasks/ on the stack (the one that runs the steps)."""
    outermost = "?"
    while frame is not None:
        path = Path(frame.f_code.co_filename)
        if path.parent == repo / "tasks" / "steps":
            return path.stem
        if path.is_relative_to(repo / "tasks"):
            outermost = path.stem
        frame = frame.f_back
    return outermost


def import_graph(repo: Path) -> dict[str, set[str]]:
    """Which of the project's packages each package imports (at any depth, lazily too)."""
    graph: dict[str, set[str]] = {package: set() for package in PACKAGES}
    for package in PACKAGES:
        for path in (repo / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names: list[str] = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names = [node.module]
                for name in names:
                    top = name.split(".")[0]
                    if top in PACKAGES and top != package:
                        graph[package].add(top)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []

    def walk(node: str, path: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt == path[0]:
                found.append([*path, nxt])
            elif nxt not in path and nxt > path[0]:
                walk(nxt, [*path, nxt])

    for start in sorted(graph):
        walk(start, [start])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[1])
    args = parser.parse_args()
    repo = args.repo.resolve()
    sys.path.insert(0, str(repo))
    for name in list(sys.modules):  # measure that checkout's code, not this one's
        if name.split(".")[0] in PACKAGES:
            del sys.modules[name]
    found = trace(repo)
    print(f"one URL from the run to its articles row ({repo}):")
    print(f"  files passed through      {len(found['files'])}")
    print(f"  functions passed through  {len(found['functions'])}")
    by_step = ", ".join(f"{step} {n}" for step, n in found["db_opens_by_step"].items())
    print(f"  DuckDB opens              {found['db_opens']} ({by_step})")
    print(f"  URL normalisations        {found['normalisations']}")
    sizes = sorted(
        ((sum(1 for _ in p.open(encoding="utf-8")), str(p.relative_to(repo))) for package in PACKAGES
         for p in (repo / package).rglob("*.py")),
        reverse=True,
    )  # fmt: skip
    print("  largest files             " + ", ".join(f"{n} {name}" for n, name in sizes[:3]))
    graph = import_graph(repo)
    edges = ", ".join(f"{a} -> {b}" for a in sorted(graph) for b in sorted(graph[a]))
    print(f"  package imports           {edges}")
    loops = cycles(graph)
    print("  package cycles            " + ("; ".join(" -> ".join(c) for c in loops) or "none"))
    print("  files: " + ", ".join(found["files"]))


if __name__ == "__main__":
    main()
