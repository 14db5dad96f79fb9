"""What the command line shows: the run's summary, its exit code, tables of query results.

Exit codes (``wirehouse run --help`` and the README say the same):

    0  archived what it could and nothing failed
    3  finished, but some URLs, listings or WARC records failed (counted in the summary)
    1  nothing could be archived (the top reasons, and what to do, are printed)
    2  a wrong argument or setting (nothing was started)
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

from tasks.progress import Snapshot, snapshot
from wirehouse.records import RunSummary

EXIT_OK = 0
EXIT_NOTHING_ARCHIVED = 1
EXIT_USAGE = 2
EXIT_SOME_FAILED = 3

EXIT_CODES_HELP = (
    "exit codes: 0 archived what it could and nothing failed; 3 finished with some "
    "failures (counted in the summary); 1 nothing could be archived (the top reasons and "
    "what to do are printed); 2 a wrong argument or setting"
)

# What a user can do about the most common reasons nothing could be archived.
HINTS = {
    "private_address": "the host resolves to a private or loopback address: pass "
    "--allow-private-network to fetch it (a local or test site)",
    "dns_error": "the host name does not resolve: check it, or map it with "
    "--resolve HOST=ADDR[:PORT]",
    "connection_error": "the server did not answer: is it up, and is the port right?",
    "timeout": "the server was too slow: try again later, or raise WIREHOUSE_TOTAL_TIMEOUT_S",
    "robots_unreachable": "the site's robots.txt could not be read, so the site is treated "
    "as closed (RFC 9309): try again later",
    "robots_disallowed": "the site's robots.txt forbids these pages to our user agent",
    "wrong_type": "the server sent a content type that is not a page here (HTML for pages; "
    "a feed or sitemap type for --feed and --sitemap)",
    "malformed_feed": "the --feed URL is not an RSS, Atom or JSON feed",
    "malformed_sitemap": "the --sitemap URL is not a sitemap",
    "http_404": "the server has no such page",
    "http_403": "the server refused us: it may not want to be crawled",
    "too_large": "the body is over the size limit (WIREHOUSE_MAX_BODY_BYTES, "
    "WIREHOUSE_MAX_FEED_BYTES)",
    "bad_redirect": "the server redirected to something that is not a URL",
}


def exit_code(summary: RunSummary) -> int:
    """0, 3 or 1: see the module docstring."""
    if summary.failed and not summary.answered:
        return EXIT_NOTHING_ARCHIVED
    return EXIT_SOME_FAILED if summary.failed else EXIT_OK


def _counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def format_summary(summary: RunSummary, db: str = "", archive_dir: str = "") -> str:
    """This run's figures, then the archive's, each labelled; the three most common failure
    reasons with an example each; what to do when nothing could be archived."""
    failures = summary.failures or {}
    where = f" -> {db}" + (f" (raw responses in {archive_dir})" if archive_dir else "")
    lines = [
        f"run {summary.run_id}{where if db else ''}",
        "this run:",
        f"  found         {summary.discovered - summary.warc_responses} URLs",
    ]
    if summary.warc_responses or summary.warc_other_records:
        lines.append(
            f"  read          {summary.warc_responses} pages from WARC files "
            f"({summary.warc_other_records} other records: requests, metadata, DNS)"
        )
    lines += [
        f"  archived      {summary.fetched} new pages ({summary.not_modified} unchanged)",
        f"  new articles  {summary.new_articles}",
        f"  not articles  {summary.rejected}"
        + (f" ({_counts(summary.rejected_reasons)})" if summary.rejected_reasons else ""),
        f"  new stories   {summary.new_stories}",
        f"  failures      {sum(failures.values())}"
        + (f" ({_counts(failures)})" if failures else ""),
    ]
    top = sorted(summary.failure_examples.items(), key=lambda kv: -failures.get(kv[0], 0))[:3]
    width = max((len(reason) for reason, _ in top), default=0)
    for reason, example in top:
        lines.append(f"    {reason.ljust(width)}  e.g. {shown(_cut(example, 200))}")
    if summary.deferred:
        hosts = sorted(summary.deferred.items(), key=lambda kv: (-kv[1], kv[0]))
        named = ", ".join(f"{shown(_cut(host, 100))} {n}" for host, n in hosts[:3])
        lines.append(
            f"  deferred      {sum(summary.deferred.values())} ({named}"
            f"{', ...' if len(hosts) > 3 else ''}; left for the next run: robots.txt asks "
            "for a pause between requests, and the time a run gives a host is spent, "
            "WIREHOUSE_CRAWL_DELAY_BUDGET_S)"
        )
    lines += [
        "the archive now:",
        f"  articles      {summary.articles}",
        f"  stories       {summary.stories}",
        f"  copies        {summary.copies_found} (articles that copy another's text)",
    ]
    if exit_code(summary) == EXIT_NOTHING_ARCHIVED:
        lines.append("nothing could be archived:")
        for reason, _ in top or sorted(failures.items())[:3]:
            hint = HINTS.get(
                reason.removeprefix("warc:"), "see the fetches and discovery_problems tables"
            )
            lines.append(f"  {reason}: {hint}")
    return "\n".join(lines)


# Characters a terminal acts on rather than shows: ESC starts a sequence that can retitle
# the window or rewrite the screen, BEL rings, a bidi override turns the rest of the line
# around. A page's title or byline may carry them (stored as the page wrote them); a table
# shows them as escapes.
_ACTING = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _cut(text: str, limit: int) -> str:
    """``text`` cut at ``limit`` characters with an ellipsis (a feed's URL can be 5 MB)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shown(text: str) -> str:
    """``text`` with the characters a terminal would act on written as escapes ("\\u001b")."""
    return _ACTING.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


def format_table(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    max_width: int = 60,
    *,
    rows_in_all: int | None = None,
) -> str:
    """A plain text table; long cells are cut with an ellipsis. ``rows_in_all``: the rows
    of the result, when only the first of them are shown."""

    def cell(value: Any) -> str:
        text = "NULL" if value is None else shown(str(value).replace("\n", " "))
        return text if len(text) <= max_width else text[: max_width - 1] + "…"

    body = [[cell(v) for v in row] for row in rows]
    widths = [len(c) for c in columns]
    for row in body:
        widths = [max(w, len(v)) for w, v in zip(widths, row, strict=True)]
    line = "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()
    rule = "  ".join("-" * w for w in widths)
    out = [line, rule]
    for row in body:
        out.append("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    total = len(rows) if rows_in_all is None else rows_in_all
    count = f"({total} row{'s' if total != 1 else ''}"
    if total > len(rows):
        count += f"; the first {len(rows)} shown: --format csv or json prints them all"
    out.append(count + ")")
    return "\n".join(out)


FORMATS = ("table", "csv", "json", "markdown")


def _plain(value: Any) -> Any:
    """A cell as JSON and CSV want it: numbers and text as they are, the rest as text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


TABLE_ROWS = 10_000  # rows a table holds to size its columns (the rest are counted)


def render(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str, max_width: int | None
) -> str:
    """One result in the chosen format; ``max_width`` cuts table cells (None: no cut)."""
    import io

    out = io.StringIO()
    write_result(out, columns, [rows], fmt, max_width)
    return out.getvalue()


def write_result(
    out: TextIO,
    columns: Sequence[str],
    batches: Iterable[Sequence[Sequence[Any]]],
    fmt: str,
    max_width: int | None,
) -> None:
    """One result written as its rows come, batch by batch, with no line end after it: CSV
    and JSON stream every row in little memory; a table sizes its columns on the first
    ``TABLE_ROWS`` rows it shows, and counts the rest."""
    if fmt == "csv":
        import csv
        import io

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        held = ""  # the last line's end, written only before another line

        def flush() -> None:
            nonlocal held
            text = buffer.getvalue()
            if not text:
                return
            out.write(held + text[:-1])
            held = text[-1:]
            buffer.seek(0)
            buffer.truncate()

        for batch in batches:
            for row in batch:
                writer.writerow(
                    [json.dumps(v) if isinstance(v, list | dict) else _plain(v) for v in row]
                )
            flush()
        flush()  # the header of a result without rows
        return
    if fmt == "json":
        out.write("[")
        separator = ""
        for batch in batches:
            for row in batch:
                out.write(separator)
                out.write(
                    json.dumps(
                        dict(zip(columns, map(_plain, row), strict=True)), ensure_ascii=False
                    )
                )
                separator = ", "
        out.write("]")
        return
    if fmt == "markdown":

        def cell(value: Any) -> str:
            text = "NULL" if value is None else shown(str(value))
            return text.replace("|", "\\|").replace("\n", " ")

        out.write("| " + " | ".join(columns) + " |\n|" + "|".join("---" for _ in columns) + "|")
        for batch in batches:
            for row in batch:
                out.write("\n| " + " | ".join(cell(v) for v in row) + " |")
        return
    shown_rows: list[Sequence[Any]] = []
    more = 0
    for batch in batches:
        room = TABLE_ROWS - len(shown_rows)
        shown_rows.extend(batch[:room])
        more += max(0, len(batch) - room)
    width = max_width if max_width is not None else 10**9
    out.write(format_table(columns, shown_rows, width, rows_in_all=len(shown_rows) + more))


def progress_line(snap: Snapshot, now: float) -> str:
    """One line of a run's progress: its step, pages fetched of those found, the rate and
    what is left, what became articles, what failed, and the time so far."""
    counts = snap.counts
    done = sum(counts.get(what, 0) for what in ("fetched", "unchanged", "failed", "deferred"))
    parts = [f"{snap.step or 'starting'}"]
    if snap.total:
        parts.append(f"{done}/{snap.total} URLs")
        fetching = now - snap.step_started if snap.step == "fetch" else 0.0
        if snap.step == "fetch" and done and fetching > 0:
            rate = done / fetching
            left = (snap.total - done) / rate if rate else 0.0
            parts.append(f"{rate:.1f}/s, about {left:.0f}s left")
    elif counts.get("discovered"):
        parts.append(f"{counts['discovered']} URLs found")
    parts.append(f"{counts.get('extracted', 0)} articles")
    if counts.get("rejected"):
        parts.append(f"{counts['rejected']} not articles")
    if counts.get("unchanged"):
        parts.append(f"{counts['unchanged']} unchanged")
    if counts.get("failed"):
        parts.append(f"{counts['failed']} failed")
    if counts.get("deferred"):
        parts.append(f"{counts['deferred']} left for the next run")
    parts.append(f"{now - snap.started:.0f}s")
    return " · ".join(parts)


class ProgressDisplay:
    """Shows a run's progress while it works: a live line on a terminal; in a pipe or a log,
    a plain line as each step starts and every ``every_s`` seconds; nothing when quiet."""

    def __init__(self, stream: TextIO, *, quiet: bool = False, every_s: float = 10.0) -> None:
        self._stream = stream
        self._quiet = quiet
        self._every = every_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._live: Any = None

    def __enter__(self) -> ProgressDisplay:
        if self._quiet:
            return self
        if self._stream.isatty():
            from rich.console import Console
            from rich.live import Live
            from rich.text import Text

            console = Console(file=self._stream)
            self._live = Live(
                Text("starting"),
                console=console,
                refresh_per_second=4,
                transient=True,
                get_renderable=lambda: Text(progress_line(snapshot(), time.monotonic())),
            )
            self._live.start()
            return self
        self._thread = threading.Thread(target=self._lines, name="progress", daemon=True)
        self._thread.start()
        return self

    def _lines(self) -> None:
        """A line when the run enters a step, and every ``every_s`` seconds within one."""
        last_step, last_line = None, 0.0
        while True:
            snap, now = snapshot(), time.monotonic()
            if snap.step != last_step or now - last_line >= self._every:
                print(f"wirehouse: {progress_line(snap, now)}", file=self._stream, flush=True)
                last_step, last_line = snap.step, now
            if self._stop.wait(0.25):
                return

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._live is not None:
            self._live.stop()
        if self._thread is not None:
            self._thread.join(timeout=1)
