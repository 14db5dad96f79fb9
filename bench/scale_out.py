"""Scale-out: 1, 2 and 4 shard workers on a DuckLake against one DuckDB-file run.

The pages are synthetic news (``bench.synth_news``: real texts, their copies, edits and
rewrites) on many hosts, served on loopback by ``flows.demo_site`` (one folder a host). Each
configuration archives the same pages into a fresh archive: the DuckDB file by one
``wirehouse run``; the DuckLake (a PostgreSQL catalog the benchmark starts, a local data
path) by N ``wirehouse run --shard K/N`` processes at once, then one ``wirehouse group``.
Printed per configuration: wall time, pages/s, catalog commits (DuckLake snapshots) and
Parquet files written, and whether the archive is the file run's (articles, copy groups,
stories).

    python -m bench.scale_out [--pages 240] [--shards 1,2,4]
"""

from __future__ import annotations

import argparse
import html
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent


def _page(title: str, text: str, url: str, published: str, site: str) -> str:
    paragraphs = "\n".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n") if p.strip())
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        f'<meta property="article:published_time" content="{published}">'
        f'<link rel="canonical" href="{html.escape(url)}"></head>'
        f'<body><header><nav><a href="/">{html.escape(site)}</a> <a href="/news/">News</a>'
        "</nav></header><main><article>"
        f"<h1>{html.escape(title)}</h1>\n{paragraphs}\n</article></main>"
        f"<footer>&copy; {html.escape(site)}</footer></body></html>"
    )


def synth_data_available() -> bool:
    """Whether the texts ``bench.synth_news`` grows its pages from are here."""
    from bench.newscluster import DATA_DIR

    return DATA_DIR.is_dir()


def build_site(root: Path, pages: int) -> list[str]:
    """Write ``pages`` synthetic news pages as ``root/<host>/<path>``; their URLs (http)."""
    from bench.synth_news import synthesise

    articles, _events = synthesise(pages)
    urls = []
    for article in articles:
        parts = urlsplit(article.url)
        host = parts.hostname or "unknown.example"
        url = f"http://{host}{parts.path}"
        # a folder with index.html: the site server answers it as text/html
        target = root / host / parts.path.lstrip("/") / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        published = article.page_date.isoformat() if article.page_date else ""
        body = _page(article.title or "", article.text, url, published, article.sitename or host)
        target.write_text(body, encoding="utf-8")
        urls.append(url)
    return urls


@contextmanager
def serve_site(root: Path) -> Iterator[list[str]]:
    """The site on loopback; yields the ``--resolve HOST=ADDR`` arguments of its hosts."""
    from flows.demo_site import serve_example_site

    with serve_example_site(root) as hosts:
        yield [f"--resolve={host}={address}" for host, address in sorted(hosts.items())]


def wirehouse(*args: str) -> list[str]:
    """The command line of a ``wirehouse`` process."""
    return [sys.executable, "-m", "flows.cli", *args]


def run_args(db: str, urls_file: Path, resolve: Sequence[str], *extra: str) -> list[str]:
    return wirehouse(
        "-q",
        "run",
        "--db",
        db,
        "--urls-file",
        str(urls_file),
        "--allow-private-network",
        "--no-prefect",
        *resolve,
        *extra,
    )


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WIREHOUSE_", "PREFECT_API"))}
    env.update(extra)
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    return env


def run_shards(
    db: str,
    data_path: str,
    urls_file: Path,
    resolve: Sequence[str],
    shards: int,
    env: dict[str, str] | None = None,
) -> list[subprocess.CompletedProcess[str]]:
    """N shard runs at once, each a process; then nothing else (grouping is the caller's)."""
    env = env or environment(WIREHOUSE_DATA_PATH=data_path)
    running = [
        subprocess.Popen(
            run_args(db, urls_file, resolve, "--shard", f"{k}/{shards}"),
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(1, shards + 1)
    ]
    done = []
    for process in running:
        out, err = process.communicate(timeout=1800)
        done.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    return done


def group(db: str, data_path: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        wirehouse("group", "--db", db),
        cwd=REPO,
        env=environment(WIREHOUSE_DATA_PATH=data_path),
        capture_output=True,
        text=True,
        timeout=1800,
    )


def archive_state(db: str) -> dict[str, object]:
    """What the comparison reads: articles (id, text hash), copy groups and stories (as
    partitions of article ids), and the doubled rows (there must be none)."""
    from wirehouse.db import connect

    conn = connect(db, read_only=True)
    try:

        def partition(column: str) -> set[frozenset[str]]:
            rows = conn.execute(
                f"select list(article_id order by article_id) from articles "
                f"where {column} is not null group by {column}"
            ).fetchall()
            return {frozenset(ids) for (ids,) in rows}

        doubled = conn.execute(
            "select (select count(*) - count(distinct article_id) from articles)"
            " + (select count(*) - count(distinct record_id) from raw_records)"
            " + (select count(*) - count(distinct url) from raw_records)"
        ).fetchone()
        return {
            "articles": set(
                conn.execute("select article_id, text_sha256 from articles").fetchall()
            ),
            "copy_groups": partition("copy_group_id"),
            "stories": partition("story_id"),
            "pages": conn.execute("select count(distinct url) from raw_records").fetchone(),
            "doubled": doubled[0] if doubled else None,
        }
    finally:
        conn.close()


def lake_figures(db: str, data_path: str) -> tuple[int, int]:
    """(catalog commits: snapshots, Parquet files the lake holds)."""
    from wirehouse.db import connect

    conn = connect(db, read_only=True)
    try:
        row = conn.execute("select count(*) from ducklake_snapshots('lake')").fetchone()
        snapshots = int(row[0]) if row else 0
    finally:
        conn.close()
    return snapshots, sum(1 for _ in Path(data_path).rglob("*.parquet"))


@dataclass(frozen=True, slots=True)
class Figures:
    name: str
    seconds: float  # all of it: the shards (or the file run) and the grouping after them
    grouping_seconds: float | None
    pages: int
    commits: int | None
    parquet_files: int | None
    same_as_file: bool | None

    def line(self) -> str:
        commits = "-" if self.commits is None else str(self.commits)
        files = "-" if self.parquet_files is None else str(self.parquet_files)
        same = {None: "-", True: "yes", False: "NO"}[self.same_as_file]
        grouping = (
            "" if self.grouping_seconds is None else f" ({self.grouping_seconds:.1f} s grouping)"
        )
        return (
            f"{self.name:<20} {self.seconds:6.1f} s{grouping:<18} "
            f"{self.pages / self.seconds:5.1f} pages/s  commits {commits:>4}  "
            f"parquet files {files:>4}  same archive as the file run: {same}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=240)
    parser.add_argument("--shards", default="1,2,4")
    args = parser.parse_args(argv)
    from tests.postgres_server import PostgresServer, binaries

    bindir = binaries()
    if bindir is None:
        print("PostgreSQL is not installed (apt-get install postgresql)")
        return 1
    server = PostgresServer.start(bindir)
    try:
        with TemporaryDirectory(prefix="wirehouse-scale-out-") as folder:
            work = Path(folder)
            urls = build_site(work / "site", args.pages)
            urls_file = work / "urls.txt"
            urls_file.write_text("\n".join(urls) + "\n", encoding="utf-8")
            print(
                f"{len(urls)} pages on {len({urlsplit(u).hostname for u in urls})} loopback "
                f"hosts, {os.cpu_count()} cores"
            )
            results = []
            with serve_site(work / "site") as resolve:
                db = str(work / "file.duckdb")
                started = time.perf_counter()
                subprocess.run(
                    run_args(db, urls_file, resolve),
                    cwd=REPO,
                    env=environment(),
                    capture_output=True,
                    timeout=1800,
                )
                seconds = time.perf_counter() - started
                reference = archive_state(db)
                results.append(
                    Figures("DuckDB file, 1 run", seconds, None, len(urls), None, None, None)
                )
                for shards in (int(n) for n in args.shards.split(",")):
                    lake = "ducklake:postgres:" + server.create(f"scale{shards}")
                    data_path = str(work / f"lake{shards}")
                    started = time.perf_counter()
                    run_shards(lake, data_path, urls_file, resolve, shards)
                    grouping_started = time.perf_counter()
                    group(lake, data_path)
                    seconds = time.perf_counter() - started
                    grouping = time.perf_counter() - grouping_started
                    commits, files = lake_figures(lake, data_path)
                    same = archive_state(lake) == reference
                    name = f"DuckLake, {shards} shard{'s' if shards > 1 else ''}"
                    results.append(
                        Figures(name, seconds, grouping, len(urls), commits, files, same)
                    )
            for figures in results:
                print(figures.line())
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
