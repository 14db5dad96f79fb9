"""The ``wirehouse`` command: run, demo, sql, export.

Exit codes: 0 done (failed URLs are recorded, not fatal), 1 the run itself failed,
2 a wrong argument or an unreadable input file.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from wirehouse.errors import InputError, WirehouseError

DEMO_FEED = "http://feeds.wirehouse.example/rss.xml"
DEMO_SITEMAP = "http://feeds.wirehouse.example/sitemap.xml"


def _quiet_prefect_defaults() -> None:
    # Nothing here reaches the internet, and a CLI run should not be buried in INFO logs.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


def _resolve_arg(text: str) -> tuple[str, str]:
    host, sep, address = text.partition("=")
    if not sep or not host or not address:
        raise argparse.ArgumentTypeError(f"expected HOST=ADDRESS[:PORT], got {text!r}")
    return host, address


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wirehouse", description="Scrape, clean and archive the news into DuckDB."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the archive flow once and print a summary")
    run.add_argument("--db", required=True, help="DuckDB file to write (created if missing)")
    run.add_argument("--archive", help="folder for the raw WARC archive (default: next to --db)")
    run.add_argument("--url", action="append", default=[], metavar="URL", help="a page to fetch")
    run.add_argument("--urls-file", metavar="FILE", help="a file with one URL per line")
    run.add_argument(
        "--feed", action="append", default=[], metavar="URL", help="an RSS/Atom/JSON feed"
    )
    run.add_argument("--sitemap", action="append", default=[], metavar="URL", help="a sitemap")
    run.add_argument("--warc", action="append", default=[], metavar="FILE", help="a WARC/ARC file")
    run.add_argument(
        "--allow-private-network",
        action="store_true",
        help="allow fetching loopback and private addresses (refused by default)",
    )
    run.add_argument(
        "--user-agent",
        metavar="UA",
        help="the User-Agent to send; name a way to reach you (default: WIREHOUSE_USER_AGENT "
        "or wirehouse's own)",
    )
    run.add_argument(
        "--resolve",
        action="append",
        default=[],
        type=_resolve_arg,
        metavar="HOST=ADDR[:PORT]",
        help="connect to ADDR for HOST, like curl --resolve",
    )

    demo = sub.add_parser("demo", help="archive the bundled example site, served on loopback")
    demo.add_argument("--db", default="demo.duckdb", help="DuckDB file (default: demo.duckdb)")

    server = sub.add_parser(
        "server",
        help="start a local Prefect server, deploy prefect.yaml and start a worker (Ctrl-C stops)",
    )
    server.add_argument("--port", type=int, default=4200, help="the server's port (4200)")
    server.add_argument(
        "--sources",
        default="sources.toml",
        help="the crawl configuration (default sources.toml; made from sources.example.toml)",
    )
    server.add_argument(
        "--api-url", help="use this Prefect server instead of starting one (or PREFECT_API_URL)"
    )
    server.add_argument("--no-worker", action="store_true", help="deploy only; start no worker")
    server.add_argument(
        "--home", help="folder for the server's SQLite database and logs (default .prefect/)"
    )

    sql = sub.add_parser("sql", help="run read-only SQL on the archive and print a table")
    sql.add_argument("--db", default="demo.duckdb", help="DuckDB file (default: demo.duckdb)")
    sql.add_argument("query", help="the SQL to run")
    sql.add_argument("--max-width", type=int, default=60, help="cut cells wider than this")

    export = sub.add_parser("export", help="write the archive's tables as Parquet files")
    export.add_argument("--db", default="demo.duckdb", help="DuckDB file (default: demo.duckdb)")
    export.add_argument("--out", required=True, metavar="DIR", help="folder for the .parquet files")
    export.add_argument(
        "--table",
        action="append",
        default=[],
        metavar="NAME",
        help="a table to export (repeatable; default: articles, stories, copy_groups, "
        "article_links, fetches, rejections)",
    )
    return parser


def format_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], max_width: int = 60) -> str:
    """A plain text table; long cells are cut with an ellipsis."""

    def cell(value: Any) -> str:
        text = "NULL" if value is None else str(value).replace("\n", " ")
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
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)


def run_sql(db: str, sql: str, max_width: int = 60) -> str:
    import duckdb

    from wirehouse.db import connect

    conn = connect(db, read_only=True)
    try:
        try:
            from tasks.search_index import load_fts

            load_fts(conn)  # so full-text search works here; plain SQL works without it
        except WirehouseError:
            pass
        cursor = conn.execute(sql)
        if cursor.description is None:
            return "(no result)"
        columns = [d[0] for d in cursor.description]
        return format_table(columns, cursor.fetchall(), max_width)
    except duckdb.Error as exc:
        raise InputError(str(exc).splitlines()[0], reason="bad_sql") from exc
    finally:
        conn.close()


def format_summary(summary: Any) -> str:
    failures = summary.failures or {}
    lines = [
        f"run {summary.run_id}",
        f"  fetched       {summary.fetched}",
        f"  not modified  {summary.not_modified}",
        f"  new articles  {summary.new_articles}",
        f"  not articles  {summary.rejected}",
        f"  copies found  {summary.copies_found}",
        f"  stories       {summary.stories} ({summary.new_stories} new)",
        f"  failures      {sum(failures.values())}"
        + (
            " (" + ", ".join(f"{k}: {v}" for k, v in sorted(failures.items())) + ")"
            if failures
            else ""
        ),
    ]
    return "\n".join(lines)


def _run_flow(**parameters: Any) -> Any:
    _quiet_prefect_defaults()
    from flows.archive import archive_flow

    return archive_flow(**parameters)


def cmd_run(args: argparse.Namespace) -> int:
    from tasks.pipeline import Sources

    sources = Sources(
        urls=tuple(args.url),
        urls_file=args.urls_file,
        feeds=tuple(args.feed),
        sitemaps=tuple(args.sitemap),
        warcs=tuple(args.warc),
    )
    if sources.is_empty():
        raise InputError("nothing to archive: give --url, --urls-file, --feed, --sitemap or --warc")
    sources.validate()
    summary = _run_flow(
        db=args.db,
        archive=args.archive,
        urls=list(args.url),
        urls_file=args.urls_file,
        feeds=list(args.feed),
        sitemaps=list(args.sitemap),
        warcs=list(args.warc),
        allow_private_network=args.allow_private_network,
        resolve=dict(args.resolve),
        user_agent=args.user_agent,
    )
    print(format_summary(summary))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from wirehouse.db import query
    from wirehouse.demo_site import serve_example_site

    print("serving the example site on loopback and archiving it ...", flush=True)
    with serve_example_site() as hosts:
        summary = _run_flow(
            db=args.db,
            feeds=[DEMO_FEED],
            sitemaps=[DEMO_SITEMAP],
            allow_private_network=True,
            resolve=hosts,
        )
    print(format_summary(summary))
    print()
    print(f"stories in {args.db}:")
    print(run_sql(args.db, query("story_summary"), max_width=70))
    print()
    print(f'try: wirehouse sql --db {args.db} "select domain, title from articles"')
    print(
        f'     wirehouse sql --db {args.db} "select * from storyline_stories where story_count > 1"'
    )
    return 0


def cmd_server(args: argparse.Namespace) -> int:
    from wirehouse import server

    server.check_port(args.port)
    sources = Path(args.sources)
    if not sources.exists() and args.sources == "sources.toml":
        example = server.PROJECT_DIR / "sources.example.toml"
        sources.write_text(example.read_text(encoding="utf-8"), encoding="utf-8")
        print(f"wrote {sources} from {example.name}: list your feeds and sitemaps there")
    _quiet_prefect_defaults()
    plan = server.plan(args.port, str(sources), args.api_url, args.home)
    return server.serve(plan, not args.no_worker)


def cmd_sql(args: argparse.Namespace) -> int:
    if not Path(args.db).exists():
        raise InputError(f"no archive at {args.db}: run `wirehouse demo` or `wirehouse run` first")
    print(run_sql(args.db, args.query, args.max_width))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from wirehouse.export import export_parquet

    if not Path(args.db).exists():
        raise InputError(f"no archive at {args.db}: run `wirehouse demo` or `wirehouse run` first")
    written = export_parquet(args.db, args.out, args.table or None)
    width = max(len(name) for name in written)
    for table, count in written.items():
        path = Path(args.out) / f"{table}.parquet"
        print(f"{table.ljust(width)}  {count:>8} row{'s' if count != 1 else ' '}  -> {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {
        "run": cmd_run,
        "demo": cmd_demo,
        "sql": cmd_sql,
        "server": cmd_server,
        "export": cmd_export,
    }
    handler = handlers[args.command]
    try:
        return handler(args)
    except InputError as exc:
        print(f"wirehouse: error: {exc.detail}", file=sys.stderr)
        return 2
    except WirehouseError as exc:
        print(f"wirehouse: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("wirehouse: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
