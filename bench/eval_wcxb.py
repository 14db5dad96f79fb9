"""Extraction quality by page type on WCXB: wirehouse's stored articles vs plain trafilatura.

Reads ../shared/eval/wcxb-dev (1,497 real pages of seven types, each with a person-checked
main text, title, author and publish date), puts every page through the pipeline's own path
(WARC archive -> extract step -> DuckDB) and scores what lands in ``articles`` and
``rejections``. The same pages go through plain trafilatura in the same run:
``trafilatura.extract`` with its defaults for the text, ``bare_extraction`` for title,
author and date; trafilatura "keeps" any page it returns text for.

Figures, per page type (macro over pages):
- word F1 as in SOURCE.md: lowercased word tokens, bag-of-words overlap; a page with no
  stored text (rejected) scores 0;
- date: the day is right, among pages whose ground truth has a date (a missing date is
  wrong); wirehouse's day is the publisher's calendar day (``published_day``);
- title, author: exact match after case, whitespace and typographic quote/dash
  normalisation, among pages whose ground truth has one (``~``: token F1 >= 0.8, lenient);
- kept: share of pages stored as articles (wanted high for articles, low for the rest).

    python -m bench.eval_wcxb [--limit N] [--types article,listing] [--half even|odd]
                              [--loopback | --served] [--dump FILE.jsonl]

``--loopback`` gives every page the address a loopback test site would give it
(``http://127.0.0.1:8000/p/<id>``, one host, a path that says nothing), to see what the
pipeline makes of pages whose URL tells it nothing. ``--served`` goes further: it serves
the pages over HTTP at such addresses and runs ``wirehouse run`` over them as a user
would (fetch, archive, extract, group: the whole command), then scores its DuckDB file.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from tasks.run_context import RunContext
from tasks.steps.extract import extract_pending
from tasks.steps.site_passes import site_passes

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "eval" / "wcxb-dev"
MADE_UP_URL = "https://wcxb.example.org/page/"  # for the pages the split gives no URL
LOOPBACK_URL = "http://127.0.0.1:8000/p/"  # --loopback: one host, paths that say nothing
TYPES = ("article", "listing", "collection", "product", "service", "forum", "documentation")
WORKERS = min(2, os.cpu_count() or 1)  # the machine is shared: two processes at most


@dataclass(frozen=True, slots=True)
class Page:
    """One benchmark page and its ground truth."""

    page_id: str
    url: str
    page_type: str
    html: bytes
    text: str
    title: str | None
    author: str | None
    day: str | None  # YYYY-MM-DD


@dataclass(frozen=True, slots=True)
class Output:
    """What one system made of one page."""

    kept: bool  # stored (returned) as an article
    text: str = ""
    title: str | None = None
    author: str | None = None
    day: str | None = None
    kind: str | None = None  # wirehouse's rejection reason / page kind


def load_pages(
    data_dir: Path = DATA_DIR,
    *,
    limit: int | None = None,
    types: Sequence[str] = TYPES,
    half: str | None = None,
    ids: Iterable[str] | None = None,
    loopback: bool = False,
) -> list[Page]:
    """The benchmark's pages, in id order; ``half`` picks even or odd page ids."""
    wanted = set(ids) if ids is not None else None
    pages = []
    for path in sorted((data_dir / "ground-truth").glob("*.json")):
        page_id = path.stem
        if wanted is not None and page_id not in wanted:
            continue
        if half and (int(page_id) % 2 == 0) != (half == "even"):
            continue
        entry = json.loads(path.read_text(encoding="utf-8"))
        page_type = entry.get("_internal", {}).get("page_type", {}).get("primary", "")
        html_path = data_dir / "html" / f"{page_id}.html.gz"
        if page_type not in types or not html_path.exists():
            continue
        truth = entry["ground_truth"]
        pages.append(
            Page(
                page_id=page_id,
                # a few pages have no URL: give each one of its own, so it is still a web page
                url=(
                    f"{LOOPBACK_URL}{page_id}"
                    if loopback
                    else entry.get("url") or f"{MADE_UP_URL}{page_id}"
                ),
                page_type=page_type,
                html=gzip.decompress(html_path.read_bytes()),
                text=truth.get("main_content") or "",
                title=truth.get("title") or None,
                author=truth.get("author") or None,
                day=(truth.get("publish_date") or "")[:10] or None,
            )
        )
        if limit and len(pages) >= limit:
            break
    return pages


_TOKENS = re.compile(r"\w+")


def tokens(text: str | None) -> list[str]:
    return _TOKENS.findall(unicodedata.normalize("NFKC", text or "").casefold())


def word_f1(got: str | None, want: str | None) -> float:
    """Bag-of-words F1 of lowercased word tokens; empty output scores 0."""
    mine, theirs = Counter(tokens(got)), Counter(tokens(want))
    overlap = sum((mine & theirs).values())
    if not overlap:
        return 0.0
    precision = overlap / sum(mine.values())
    recall = overlap / sum(theirs.values())
    return 2 * precision * recall / (precision + recall)


_TYPOGRAPHY = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def same_text(got: str | None, want: str | None) -> bool:
    """Equal after case, Unicode, typographic quote and dash, and whitespace normalisation."""

    def norm(value: str | None) -> str:
        flat = unicodedata.normalize("NFKC", value or "").casefold().translate(_TYPOGRAPHY)
        return " ".join(flat.split())

    return bool(got) and norm(got) == norm(want)


def pipeline_outputs(pages: Sequence[Page]) -> dict[str, Output]:
    """Every page through the archive -> extract step -> DuckDB; what was stored, by page."""
    from tasks.raw_archive import WarcArchive
    from tasks.store import save_fetches
    from wirehouse.db import open_archive

    with tempfile.TemporaryDirectory() as tmp:
        ctx = RunContext(db_path=f"{tmp}/eval.duckdb", archive_dir=f"{tmp}/archive", run_id="eval")
        now = datetime.now(UTC)
        with WarcArchive(ctx.archive_dir, "eval") as archive:
            records = {
                page.page_id: archive.write_response(
                    page.url, 200, [("Content-Type", "text/html")], page.html, now
                )
                for page in pages
            }
        with open_archive(ctx.db_path) as conn:
            save_fetches(conn, "eval", [], list(records.values()))
        extract_pending(ctx, workers=WORKERS)
        with open_archive(ctx.db_path) as conn:
            site_passes(conn)  # as a run does before it groups
        with open_archive(ctx.db_path, read_only=True) as conn:
            articles = _rows(conn, "select * from articles")
            rejections = _rows(conn, "select * from rejections")
    return stored_outputs(
        {page_id: record.record_id for page_id, record in records.items()}, articles, rejections
    )


def served_outputs(pages: Sequence[Page]) -> dict[str, Output]:
    """Every page served on loopback at /p/<n> and put through ``wirehouse run``, as a
    user runs it; what its DuckDB file holds, by page."""
    from bench.pipeline import run_env, run_wirehouse, serve
    from wirehouse.db import open_archive

    repo = Path(__file__).resolve().parents[1]
    env = run_env()
    with tempfile.TemporaryDirectory() as tmp, serve([p.html for p in pages]) as port:
        urls = {f"http://127.0.0.1:{port}/p/{n}": page for n, page in enumerate(pages)}
        urls_file = Path(tmp) / "urls.txt"
        urls_file.write_text("\n".join(urls) + "\n", encoding="utf-8")
        db = Path(tmp) / "served.duckdb"
        ran = run_wirehouse(repo, db, urls_file, port, env)
        if ran.returncode != 0:
            raise RuntimeError(f"wirehouse run failed:\n{ran.output[-3000:]}")
        with open_archive(str(db), read_only=True) as conn:
            fetched = {
                row["url"]: row["record_id"]
                for row in _rows(conn, "select url, record_id from fetches")
            }
            articles = _rows(conn, "select * from articles")
            rejections = _rows(conn, "select * from rejections")
    records = {page.page_id: fetched.get(url) for url, page in urls.items()}
    return stored_outputs(records, articles, rejections)


def stored_outputs(
    records: dict[str, str | None],
    articles: list[dict[str, Any]],
    rejections: list[dict[str, Any]],
) -> dict[str, Output]:
    """By page id: its stored article, or why it has none (rejected, not fetched, or
    folded into another page's article: all scored as not kept)."""
    by_record = {row["record_id"]: row for row in articles}
    rejected = {row["record_id"]: row for row in rejections}
    outputs = {}
    for page_id, record_id in records.items():
        row = by_record.get(record_id) if record_id else None
        if row is None:
            why = rejected.get(record_id, {}) if record_id else {"reason": "not fetched"}
            outputs[page_id] = Output(False, kind=why.get("page_kind") or why.get("reason"))
            continue
        outputs[page_id] = Output(
            True,
            text=row["text"],
            title=row["title"],
            author=row["author"],
            day=_stored_day(row),
            kind=row.get("page_kind") or "article",
        )
    return outputs


def _rows(conn: Any, sql: str) -> list[dict[str, Any]]:
    cursor = conn.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _stored_day(row: dict[str, Any]) -> str | None:
    """The publisher's calendar day when stored, else the UTC day of the stored instant."""
    day = row.get("published_day")
    if isinstance(day, date):
        return day.isoformat()
    instant = row.get("page_date")
    if isinstance(instant, datetime):
        return instant.astimezone(UTC).date().isoformat()
    return None


def plain_output(page: Page) -> Output:
    """Plain trafilatura: ``extract`` with its defaults, ``bare_extraction`` for metadata."""
    import trafilatura

    try:
        text = trafilatura.extract(page.html, url=page.url) or ""
        doc = trafilatura.bare_extraction(page.html, url=page.url, with_metadata=True)
    except Exception:  # scored as nothing returned, as a user would get
        return Output(False)
    return Output(
        bool(text.strip()),
        text=text,
        title=getattr(doc, "title", None),
        author=getattr(doc, "author", None),
        day=(getattr(doc, "date", None) or "")[:10] or None,
    )


def plain_outputs(pages: Sequence[Page]) -> dict[str, Output]:
    with ProcessPoolExecutor(max_workers=WORKERS) as pool:
        found = list(pool.map(plain_output, pages, chunksize=8))
    return {page.page_id: out for page, out in zip(pages, found, strict=True)}


@dataclass
class Figures:
    """One system's figures on one set of pages."""

    pages: int = 0
    f1: float = 0.0
    dated: int = 0
    day_right: int = 0
    titled: int = 0
    title_right: int = 0
    title_close: int = 0
    authored: int = 0
    author_right: int = 0
    author_close: int = 0
    kept: int = 0

    def add(self, page: Page, out: Output) -> None:
        self.pages += 1
        self.kept += out.kept
        self.f1 += word_f1(out.text, page.text) if out.kept else 0.0
        if page.day:
            self.dated += 1
            self.day_right += out.kept and out.day == page.day
        if page.title:
            self.titled += 1
            self.title_right += out.kept and same_text(out.title, page.title)
            self.title_close += out.kept and word_f1(out.title, page.title) >= 0.8
        if page.author:
            self.authored += 1
            self.author_right += out.kept and same_text(out.author, page.author)
            self.author_close += out.kept and word_f1(out.author, page.author) >= 0.8

    def as_dict(self) -> dict[str, float | None]:
        def share(part: int, whole: int) -> float | None:
            return part / whole if whole else None

        return {
            "f1": self.f1 / self.pages if self.pages else None,
            "date": share(self.day_right, self.dated),
            "title": share(self.title_right, self.titled),
            "title~": share(self.title_close, self.titled),
            "author": share(self.author_right, self.authored),
            "author~": share(self.author_close, self.authored),
            "kept": share(self.kept, self.pages),
        }


def score(
    pages: Sequence[Page], ours: dict[str, Output], theirs: dict[str, Output]
) -> dict[str, tuple[Figures, Figures]]:
    """Figures per page type (and for all non-article pages), ours and trafilatura's."""
    table: dict[str, tuple[Figures, Figures]] = {}
    for page in pages:
        groups = [page.page_type] + (["(not article)"] if page.page_type != "article" else [])
        for group in groups:
            mine, plain = table.setdefault(group, (Figures(), Figures()))
            mine.add(page, ours[page.page_id])
            plain.add(page, theirs[page.page_id])
    order = [*TYPES, "(not article)"]
    return {name: table[name] for name in order if name in table}


def render(table: dict[str, tuple[Figures, Figures]]) -> str:
    """A Markdown table: each figure as wirehouse / trafilatura."""

    def cell(a: float | None, b: float | None) -> str:
        return "-" if a is None or b is None else f"{a:.3f} / {b:.3f}"

    head = (
        "| page type | pages | word F1 | date (day) | title | title ~ | author | author ~ "
        "| kept as article |"
    )
    lines = [head, "|---|---:|---|---|---|---|---|---|---|"]
    for name, (mine, plain) in table.items():
        a, b = mine.as_dict(), plain.as_dict()
        lines.append(
            f"| {name} | {mine.pages} | {cell(a['f1'], b['f1'])} "
            f"| {cell(a['date'], b['date'])} ({mine.dated}) "
            f"| {cell(a['title'], b['title'])} | {cell(a['title~'], b['title~'])} "
            f"| {cell(a['author'], b['author'])} ({mine.authored}) "
            f"| {cell(a['author~'], b['author~'])} | {cell(a['kept'], b['kept'])} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="only the first N pages (after filters)")
    parser.add_argument("--types", default=",".join(TYPES), help="comma-separated page types")
    parser.add_argument("--half", choices=("even", "odd"), help="only even or odd page ids")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--loopback", action="store_true", help="every page on one loopback host, at /p/<id>"
    )
    where.add_argument(
        "--served", action="store_true", help="served on loopback, through `wirehouse run`"
    )
    parser.add_argument("--dump", type=Path, help="write every page's outputs as JSON lines")
    args = parser.parse_args(argv)
    if not DATA_DIR.is_dir():
        print(f"no evaluation data at {DATA_DIR}: nothing to score", file=sys.stderr)
        return 1
    types = [t.strip() for t in args.types.split(",") if t.strip()]
    pages = load_pages(
        limit=args.limit, types=types, half=args.half, loopback=args.loopback or args.served
    )
    started = time.perf_counter()
    ours = served_outputs(pages) if args.served else pipeline_outputs(pages)
    pipeline_s = time.perf_counter() - started
    started = time.perf_counter()
    theirs = plain_outputs(pages)
    plain_s = time.perf_counter() - started
    half = f", {args.half} ids" if args.half else ""
    print(f"{len(pages)} pages from {DATA_DIR}{half}; each cell: wirehouse / trafilatura")
    print(render(score(pages, ours, theirs)))
    kinds = Counter((p.page_type, ours[p.page_id].kind) for p in pages if not ours[p.page_id].kept)
    print("not kept, by type and reason:", dict(sorted(kinds.items(), key=str)))
    print(f"time: pipeline {pipeline_s:.1f}s, plain trafilatura {plain_s:.1f}s ({WORKERS} procs)")
    if args.dump:
        with args.dump.open("w", encoding="utf-8") as out:
            for page in pages:
                row = {"page_id": page.page_id, "type": page.page_type, "url": page.url}
                row |= {"ours": asdict(ours[page.page_id]), "plain": asdict(theirs[page.page_id])}
                out.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
