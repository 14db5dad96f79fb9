"""Extraction quality on real pages: wirehouse's stored text vs plain trafilatura.

Reads ../shared/eval/trafilatura-eval (990 pages with snippets that must and must not be
extracted), puts every page through the pipeline's own path (WARC archive -> extract step ->
DuckDB) and scores the text stored in ``articles``; pages the pipeline rejects score as
empty text. The same pages go through ``trafilatura.extract`` with its defaults, and with
the options wirehouse uses, in the same run. Metric as in SOURCE.md: snippets matched as
whitespace-normalised substrings, counts summed over the corpus.

    python -m bench.eval_extraction [--limit N] [--show-worst K]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tasks.run_context import RunContext
from tasks.steps.extract import extract_pending
from tasks.steps.site_passes import site_passes

EVAL_DIR = Path(__file__).resolve().parents[2] / "shared" / "eval" / "trafilatura-eval"


@dataclass
class Score:
    tp: int = 0
    fn: int = 0
    fp: int = 0
    tn: int = 0

    def add(self, text: str, must: list[str], must_not: list[str]) -> None:
        flat = " ".join(text.split())
        for snippet in must:
            if " ".join(snippet.split()) in flat:
                self.tp += 1
            else:
                self.fn += 1
        for snippet in must_not:
            if " ".join(snippet.split()) in flat:
                self.fp += 1
            else:
                self.tn += 1

    def row(self, name: str) -> str:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        total = self.tp + self.fn + self.fp + self.tn
        accuracy = (self.tp + self.tn) / total if total else 0.0
        f1 = 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp else 0.0
        return f"{name:<38} {precision:9.3f} {recall:7.3f} {accuracy:9.3f} {f1:7.3f}"


def load_pages(limit: int | None) -> list[tuple[str, bytes, list[str], list[str]]]:
    data = json.loads((EVAL_DIR / "evaldata.json").read_text(encoding="utf-8"))
    pages = []
    for url, entry in data.items():
        for folder in ("eval", "cache"):
            path = EVAL_DIR / folder / f"{entry['file']}.gz"
            if path.exists():
                pages.append(
                    (url, gzip.decompress(path.read_bytes()), entry["with"], entry["without"])
                )
                break
        if limit and len(pages) >= limit:
            break
    return pages


def _plain(args: tuple[str, bytes]) -> tuple[str, str]:
    import trafilatura

    url, body = args
    default = trafilatura.extract(body, url=url) or ""
    ours = trafilatura.extract(body, url=url, include_comments=False, include_tables=True) or ""
    return default, ours


def pipeline_texts(
    pages: list[tuple[str, bytes, list[str], list[str]]],
) -> tuple[dict[str, str], dict[str, int]]:
    """Every page through the archive -> extract step -> DuckDB; the stored text per URL."""
    from tasks.raw_archive import WarcArchive
    from tasks.store import save_fetches
    from wirehouse.db import open_archive

    with tempfile.TemporaryDirectory() as tmp:
        ctx = RunContext(db_path=f"{tmp}/eval.duckdb", archive_dir=f"{tmp}/archive", run_id="eval")
        now = datetime.now(UTC)
        with WarcArchive(ctx.archive_dir, "eval") as archive:
            records = [
                archive.write_response(url, 200, [("Content-Type", "text/html")], body, now)
                for url, body, _, _ in pages
            ]
        with open_archive(ctx.db_path) as conn:
            save_fetches(conn, "eval", [], records)
        report = extract_pending(ctx)
        with open_archive(ctx.db_path) as conn:
            site_passes(conn)  # as a run does before it groups
        with open_archive(ctx.db_path, read_only=True) as conn:
            # keyed by the URL each page was fetched from (an article keeps its canonical URL)
            stored = dict(
                conn.execute(
                    "select r.url, a.text from articles as a join raw_records as r using (record_id)"
                ).fetchall()
            )
    return stored, report.rejected


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="only the first N pages")
    parser.add_argument(
        "--show-worst", type=int, default=0, help="list pages where we lose to trafilatura"
    )
    args = parser.parse_args(argv)
    if not EVAL_DIR.is_dir():
        print(f"no evaluation data at {EVAL_DIR}: nothing to score", file=sys.stderr)
        return 1
    pages = load_pages(args.limit)
    started = time.perf_counter()
    stored, rejected = pipeline_texts(pages)
    pipeline_s = time.perf_counter() - started
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        plain = list(pool.map(_plain, [(url, body) for url, body, _, _ in pages], chunksize=8))
    plain_s = time.perf_counter() - started

    scores = {
        "wirehouse (stored text)": Score(),
        "trafilatura.extract, defaults": Score(),
        "trafilatura.extract, our options": Score(),
        "wirehouse, pages kept as articles": Score(),
        "trafilatura defaults, same pages": Score(),
    }
    losses = []
    for (url, _body, must, must_not), (default, ours) in zip(pages, plain, strict=True):
        text = stored.get(url, "")
        scores["wirehouse (stored text)"].add(text, must, must_not)
        scores["trafilatura.extract, defaults"].add(default, must, must_not)
        scores["trafilatura.extract, our options"].add(ours, must, must_not)
        if url in stored:
            scores["wirehouse, pages kept as articles"].add(text, must, must_not)
            scores["trafilatura defaults, same pages"].add(default, must, must_not)
        mine, theirs = Score(), Score()
        mine.add(text, must, must_not)
        theirs.add(default, must, must_not)
        delta = (mine.tp - mine.fp) - (theirs.tp - theirs.fp)
        if delta < 0:
            losses.append((delta, url, "rejected" if url not in stored else "extracted"))

    print(f"{len(pages)} pages from {EVAL_DIR}")
    print(f"{'':<38} {'precision':>9} {'recall':>7} {'accuracy':>9} {'F1':>7}")
    for name, score in scores.items():
        print(score.row(name))
    print(f"pages rejected by wirehouse: {sum(rejected.values())} {rejected}")
    print(
        f"time: pipeline {pipeline_s:.1f}s, plain trafilatura (x2, {os.cpu_count()} procs) {plain_s:.1f}s"
    )
    for delta, url, how in sorted(losses)[: args.show_worst]:
        print(f"  {delta:+d} {how:9} {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
