"""The ``wirehouse`` command: run, group, demo, sql, export, server.

``--db`` names a DuckDB file or a DuckLake (``ducklake:postgres:<libpq conninfo>``, with
``--data-path``); WIREHOUSE_DB and WIREHOUSE_DATA_PATH give them when not on the line.

Exit codes (``flows.terminal``): 0 archived what it could and nothing failed, 3 finished
with some failures, 1 nothing could be archived (or the run could not complete), 2 a wrong
argument or setting.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from flows.terminal import (
    EXIT_CODES_HELP,
    EXIT_NOTHING_ARCHIVED,
    EXIT_SOME_FAILED,
    FORMATS,
    ProgressDisplay,
    exit_code,
    format_summary,
    render,
    write_result,
)
from wirehouse.errors import InputError, WirehouseError, check_utf8_path
from wirehouse.records import RunSummary

if TYPE_CHECKING:
    import duckdb

    from tasks.run_context import RunContext, Sources
    from wirehouse.settings import Settings

DEMO_FEED = "http://feeds.wirehouse.example/rss.xml"
DEMO_SITEMAP = "http://feeds.wirehouse.example/sitemap.xml"


def _quiet_prefect_defaults() -> None:
    # Nothing here reaches the internet, and a CLI run should not be buried in INFO logs.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    # Runs log at INFO to the Prefect API (the UI's Logs tab tells the run's story); only
    # the console handler is kept to warnings, so the terminal is not buried in them.
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    # wirehouse's own log lines go to the run's logs in the Prefect UI too.
    os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "wirehouse")
    # A temporary server (``--prefect`` with no server set up) takes 12-19 s to start on a
    # small machine, and longer on a busy one: Prefect's default 20 s is not enough.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "300")


_log = logging.getLogger("wirehouse")
# Libraries that log what is no news to a user (trafilatura's "empty HTML tree", warcio's
# warnings): kept off the terminal.
_NOISY = ("trafilatura", "htmldate", "courlan", "justext", "warcio", "charset_normalizer")


def _setup_logging(verbosity: int) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("wirehouse: %(message)s"))
    _log.handlers[:] = [handler]
    _log.propagate = False
    _log.setLevel({-1: logging.ERROR, 0: logging.WARNING}.get(verbosity, logging.INFO))
    for name in _NOISY:
        logging.getLogger(name).setLevel(logging.CRITICAL if verbosity < 2 else logging.DEBUG)


def _resolve_arg(text: str) -> tuple[str, str]:
    host, sep, address = text.partition("=")
    if not sep or not host or not address:
        raise argparse.ArgumentTypeError(f"expected HOST=ADDRESS[:PORT], got {text!r}")
    return host, address


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wirehouse", description="Scrape, clean and archive the news into DuckDB."
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="say more (-vv: library logs too)"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="errors only")
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(dest="command", required=True)
    prefect_help = (
        "report the run to Prefect (default: when PREFECT_API_URL is set or `wirehouse "
        "server` runs; --prefect with neither starts a temporary server)"
    )

    run = sub.add_parser(
        "run", help="run the archive flow once and print a summary", epilog=EXIT_CODES_HELP
    )
    run.add_argument("--db", help=DB_HELP + " to write (created if missing)")
    _add_data_path(run)
    run.add_argument(
        "--archive",
        help="folder for the raw WARC archive (default: next to --db, or <data path>/warc)",
    )
    run.add_argument("--url", action="append", default=[], metavar="URL", help="a page to fetch")
    run.add_argument("--urls-file", metavar="FILE", help="a file with one URL per line")
    run.add_argument(
        "--feed", action="append", default=[], metavar="URL", help="an RSS/Atom/JSON feed"
    )
    run.add_argument("--sitemap", action="append", default=[], metavar="URL", help="a sitemap")
    run.add_argument("--warc", action="append", default=[], metavar="FILE", help="a WARC/ARC file")
    _add_network_options(run)
    run.add_argument(
        "--shard",
        metavar="K/N",
        help="archive only the hosts in shard K of N (a stable hash of the host); on a "
        "DuckLake, shards run at once and grouping is left to `wirehouse group` after them",
    )
    run.add_argument(
        "--prefect", action=argparse.BooleanOptionalAction, default=None, help=prefect_help
    )

    group = sub.add_parser(
        "group",
        help="group what is new into copies, stories and story lines (one grouping at a time; "
        "after shard runs on a DuckLake)",
    )
    group.add_argument("--db", help=DB_HELP)
    _add_data_path(group)

    demo = sub.add_parser("demo", help="archive the bundled example site, served on loopback")
    demo.add_argument("--db", default="demo.duckdb", help="DuckDB file (default: demo.duckdb)")
    demo.add_argument(
        "--prefect", action=argparse.BooleanOptionalAction, default=None, help=prefect_help
    )

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
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="start N workers of the pool (shard runs go to them at once; default 1)",
    )
    server.add_argument(
        "--home", help="folder for the server's SQLite database and logs (default .prefect/)"
    )

    sql = sub.add_parser(
        "sql", help="run read-only SQL on the archive and print every statement's result"
    )
    sql.add_argument("--db", help=DB_HELP + " (default: WIREHOUSE_DB, else demo.duckdb)")
    sql.add_argument("query", help="the SQL to run (several statements: each result printed)")
    _add_format(sql)

    discover = sub.add_parser(
        "discover",
        help="list the URLs feeds, sitemaps and URL files would yield, fetching no page",
        epilog=EXIT_CODES_HELP,
    )
    discover.add_argument("--url", action="append", default=[], metavar="URL")
    discover.add_argument("--urls-file", metavar="FILE")
    discover.add_argument("--feed", action="append", default=[], metavar="URL")
    discover.add_argument("--sitemap", action="append", default=[], metavar="URL")
    _add_network_options(discover)
    _add_format(discover)

    runs = sub.add_parser("runs", help="the latest runs: what they did and how they ended")
    runs.add_argument("--db", help=DB_HELP + " (default: WIREHOUSE_DB, else demo.duckdb)")
    runs.add_argument("--limit", type=int, default=10, help="how many runs (10)")
    _add_format(runs)

    export = sub.add_parser("export", help="write the archive's tables as Parquet files")
    export.add_argument("--db", help=DB_HELP + " (default: WIREHOUSE_DB, else demo.duckdb)")
    export.add_argument("--out", required=True, metavar="DIR", help="folder for the .parquet files")
    export.add_argument(
        "--table",
        action="append",
        default=[],
        metavar="NAME",
        help="a table or view to export (repeatable; default: articles, stories, "
        "copy_groups, article_links, fetches, rejections)",
    )
    export.add_argument(
        "--all", action="store_true", help="every table and view (story lines, runs, problems, ...)"
    )
    return parser


DB_HELP = "the archive: a DuckDB file, or ducklake:postgres:<libpq conninfo> (WIREHOUSE_DB)"


def _add_data_path(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--data-path",
        metavar="DIR|s3://...",
        help="a DuckLake's data files (a folder all workers mount, or s3://bucket/prefix); "
        "default WIREHOUSE_DATA_PATH",
    )


def _add_format(command: argparse.ArgumentParser) -> None:
    command.add_argument("--format", choices=FORMATS, default="table", help="output format (table)")
    command.add_argument(
        "--max-width",
        type=int,
        default=None,
        help="cut table cells wider than this (default: 60 on a terminal, no cut in a pipe)",
    )


def _add_network_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--allow-private-network",
        action="store_true",
        help="allow fetching loopback and private addresses (refused by default)",
    )
    command.add_argument(
        "--user-agent",
        metavar="UA",
        help="the User-Agent to send; name a way to reach you (default: WIREHOUSE_USER_AGENT "
        "or wirehouse's own)",
    )
    command.add_argument(
        "--resolve",
        action="append",
        default=[],
        type=_resolve_arg,
        metavar="HOST=ADDR[:PORT]",
        help="connect to ADDR for HOST, like curl --resolve",
    )


class _VersionAction(argparse.Action):
    """``--version``: the installed version, looked up only when asked for (reading the
    installed packages' metadata costs more than half a second at every start)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        print(f"wirehouse {_version()}")  # on stdout, as argparse's own version action
        parser.exit()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("wirehouse")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _width(args: argparse.Namespace) -> int | None:
    """Table cells are cut on a terminal (60 by default), never in a pipe unless asked."""
    if args.max_width is not None:
        if args.max_width < 1:
            raise InputError(f"--max-width {args.max_width}: cells need at least 1 character")
        return int(args.max_width)
    return 60 if sys.stdout.isatty() else None


def run_sql(
    db: str,
    sql: str,
    max_width: int | None = 60,
    fmt: str = "table",
    parameters: dict[str, object] | None = None,
) -> str:
    """Every statement's result, in order, in the chosen format (read-only); ``parameters``
    fill the ``$name`` placeholders of a named query."""
    import io

    out = io.StringIO()
    write_sql(out, db, sql, max_width, fmt, parameters)
    return out.getvalue()


SQL_BATCH_ROWS = 10_000  # rows fetched at a time: a result of millions streams in little memory


def _batches(cursor: duckdb.DuckDBPyConnection) -> Iterator[list[Any]]:
    while batch := cursor.fetchmany(SQL_BATCH_ROWS):
        yield batch


def write_sql(
    out: TextIO,
    db: str,
    sql: str,
    max_width: int | None = 60,
    fmt: str = "table",
    parameters: dict[str, object] | None = None,
) -> None:
    """``run_sql``, written to ``out`` as the rows come (no line end after the last)."""
    import duckdb

    from wirehouse.db import connect, interrupted_by_ctrl_c
    from wirehouse.ducklake import is_lake

    conn = connect(db, read_only=True)
    try:
        try:
            from tasks.search_index import load_fts

            load_fts(conn)  # so full-text search works here; plain SQL works without it
        except WirehouseError:
            pass
        if is_lake(db):
            # every statement reads the one snapshot that was current when the first began
            conn.execute("begin transaction")
        else:
            # Read-only for files too, not only tables: `COPY ... TO` the archive's own file
            # destroyed it, and read_csv('/etc/passwd') read any file; nor may a statement
            # change the settings back (or ask for 100,000 threads). A DuckLake reads its
            # data files, so it keeps its file access.
            conn.execute("set enable_external_access = false")
            conn.execute("set lock_configuration = true")
        separator = ""
        with interrupted_by_ctrl_c(conn):
            for statement in conn.extract_statements(sql):
                cursor = (
                    conn.execute(statement, parameters) if parameters else conn.execute(statement)
                )
                if cursor.description is None:
                    continue
                columns = [d[0] for d in cursor.description]
                out.write(separator)
                write_result(out, columns, _batches(cursor), fmt, max_width)
                separator = "\n\n"
        if not separator:
            out.write("(no result)")
    except duckdb.Error as exc:
        raise InputError(str(exc).splitlines()[0], reason="bad_sql") from exc
    finally:
        conn.close()


LOCAL_SERVER = "http://127.0.0.1:4200/api"  # where `wirehouse server` starts Prefect


def prefect_api_url() -> str | None:
    """The Prefect API a run would report to: PREFECT_API_URL, else a local `wirehouse
    server` answering on its default port, else None."""
    configured = os.environ.get("PREFECT_API_URL")
    if configured:
        return configured
    import httpx

    try:
        answer = httpx.get(f"{LOCAL_SERVER}/health", timeout=0.5, trust_env=False)
    except httpx.HTTPError:
        return None
    return LOCAL_SERVER if answer.status_code == 200 else None


def _db(args: argparse.Namespace, default: str | None = None) -> str:
    """The archive a command works on: --db, else WIREHOUSE_DB, else ``default``; checked."""
    from wirehouse.ducklake import is_lake, parse_location
    from wirehouse.settings import Settings

    db = args.db if args.db is not None else (Settings.from_env().archive.db or default)
    if db is None:
        raise InputError("give --db (a DuckDB file or ducklake:postgres:...) or WIREHOUSE_DB")
    if is_lake(db):
        parse_location(db)
        return str(db)
    return _check_db(db)


def _check_db(db: str) -> str:
    if not db or not db.strip() or db.endswith(("/", os.sep)) or Path(db).is_dir():
        raise InputError(f"--db needs a database file name, not {db!r} (e.g. --db news.duckdb)")
    if Path(check_utf8_path(db, "--db")).exists() and not Path(db).is_file():
        # DuckDB waits for ever to open a pipe, and fails to sync a device after the work
        raise InputError(f"--db {db}: not a regular file (a device or a pipe)")
    return db


def _settings(args: argparse.Namespace) -> Settings:
    from wirehouse.settings import Settings

    settings = Settings.from_env().with_data_path(getattr(args, "data_path", None))
    return settings.with_user_agent(getattr(args, "user_agent", None))


def _reachable(ctx: RunContext) -> None:
    """Open (create, migrate) the archive now, so a bad path or an unreachable catalog
    fails before anything starts."""
    from wirehouse.errors import StorageUnavailable

    try:
        with ctx.open():
            pass
    except StorageUnavailable as exc:
        if exc.reason != "catalog_unreachable":
            raise
        raise InputError(exc.detail, reason=exc.reason) from exc


def _context(args: argparse.Namespace, sources: Sources) -> RunContext:
    """Every check that needs no flow, before anything starts: arguments, settings, the
    run lock and the archive (created and migrated, so a bad path fails now)."""
    from tasks.run_context import RunContext, default_archive_dir, new_run_id
    from tasks.shards import Shard

    sources.validate()
    settings = _settings(args)
    shard = Shard.parse(args.shard) if getattr(args, "shard", None) else None
    if shard and sources.warcs:
        raise InputError("--warc files are ingested by one run: give them without --shard")
    archive = args.archive and check_utf8_path(args.archive, "--archive")
    if archive and "://" not in archive and Path(archive).exists() and not Path(archive).is_dir():
        # found only once pages were fetched, before (exit 1)
        raise InputError(f"--archive {archive}: a file is there; --archive names a folder")
    ctx = RunContext(
        db_path=args.db,
        archive_dir=args.archive or default_archive_dir(args.db, settings.archive.data_path),
        run_id=new_run_id(),
        settings=settings,
        allow_private_network=args.allow_private_network,
        resolve=tuple(sorted(dict(args.resolve).items())),
        shard=shard,
    )
    _reachable(ctx)
    return ctx


def _archive(ctx: RunContext, sources: Sources, use_prefect: bool | None) -> RunSummary:
    """Run the archive steps: as a Prefect flow run when a Prefect server is there (or
    ``--prefect`` asks for one), else in this process, with no Prefect at all."""
    from tasks import sequence

    api_url = prefect_api_url() if use_prefect is not False else None
    if use_prefect is None and api_url is None:
        _log.warning(
            "this run is not reported to Prefect (no server found): start `wirehouse server` "
            "or set PREFECT_API_URL to follow runs in the Prefect UI"
        )
        return sequence.archive(ctx, sources)
    if use_prefect is False:
        return sequence.archive(ctx, sources)
    if api_url:
        os.environ["PREFECT_API_URL"] = api_url
    _quiet_prefect_defaults()
    from flows.archive import RunFailed, archive_flow

    state = archive_flow(
        db=ctx.db_path,
        archive=ctx.archive_dir,
        urls=list(sources.urls),
        urls_file=sources.urls_file,
        feeds=list(sources.feeds),
        sitemaps=list(sources.sitemaps),
        warcs=list(sources.warcs),
        allow_private_network=ctx.allow_private_network,
        resolve=dict(ctx.resolve),
        user_agent=ctx.settings.fetch.user_agent,
        data_path=ctx.settings.archive.data_path or None,
        shard=str(ctx.shard) if ctx.shard else None,
        return_state=True,
    )
    # A run with failures may end Failed and still have its summary: the exit code says so.
    found = state.result(raise_on_failure=False)
    result: object = found.result if isinstance(found, RunFailed) else found
    if isinstance(result, BaseException):
        raise result
    if not isinstance(result, RunSummary):
        raise WirehouseError(f"the flow run ended {state.name}: {state.message}")
    return result


def cmd_run(args: argparse.Namespace) -> int:
    from tasks.run_context import Sources
    from wirehouse.runlock import run_lock

    sources = Sources(
        urls=tuple(args.url),
        urls_file=args.urls_file,
        feeds=tuple(args.feed),
        sitemaps=tuple(args.sitemap),
        warcs=tuple(args.warc),
    )
    if sources.is_empty():
        raise InputError("nothing to archive: give --url, --urls-file, --feed, --sitemap or --warc")
    args.db = _db(args)
    with run_lock(args.db):
        ctx = _context(args, sources)
        with ProgressDisplay(sys.stderr, quiet=args.quiet):
            summary = _archive(ctx, sources, args.prefect)
    print(format_summary(summary, ctx.db_path, ctx.archive_dir))
    return exit_code(summary)


def cmd_demo(args: argparse.Namespace) -> int:
    from flows.demo_site import serve_example_site
    from tasks.run_context import Sources
    from wirehouse.db import query
    from wirehouse.runlock import run_lock

    print("serving the example site on loopback and archiving it ...", flush=True)
    _log.info("the example site is served on loopback; its hosts resolve there")
    sources = Sources(feeds=(DEMO_FEED,), sitemaps=(DEMO_SITEMAP,))
    with run_lock(_check_db(args.db)), serve_example_site() as hosts:
        args.archive, args.user_agent, args.allow_private_network = None, None, True
        args.resolve = sorted(hosts.items())
        ctx = _context(args, sources)
        with ProgressDisplay(sys.stderr, quiet=args.quiet):
            summary = _archive(ctx, sources, args.prefect)
    print(format_summary(summary, ctx.db_path, ctx.archive_dir))
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
    from flows import server

    server.check_port(args.port)
    if not 1 <= args.workers <= 64:
        raise InputError(f"--workers {args.workers}: from 1 to 64")
    sources = Path(args.sources)
    if not sources.exists() and args.sources == "sources.toml":
        example = server.PROJECT_DIR / "sources.example.toml"
        sources.write_text(example.read_text(encoding="utf-8"), encoding="utf-8")
        print(f"wrote {sources} from {example.name}: list your feeds and sitemaps there")
    _quiet_prefect_defaults()
    plan = server.plan(args.port, str(sources), args.api_url, args.home)
    return server.serve(plan, 0 if args.no_worker else args.workers)


def cmd_group(args: argparse.Namespace) -> int:
    """Group what is pending, by hand (after shard runs on a DuckLake, say)."""
    from tasks.run_context import RunContext, new_run_id
    from tasks.steps.group import group_articles
    from wirehouse.ducklake import is_lake
    from wirehouse.runlock import run_lock

    db = _db(args)
    if not is_lake(db) and not Path(db).exists():  # a mistyped name would become an archive
        raise InputError(f"no archive at {db}: run `wirehouse run` first")
    settings = _settings(args)
    ctx = RunContext(
        db_path=db,
        archive_dir="",  # grouping reads no WARC file
        run_id=new_run_id(),
        settings=settings,
    )
    _reachable(ctx)
    with run_lock(db):
        report = group_articles(ctx)
    print(
        f"grouped: {report.regrouped} articles regrouped, {report.new_stories} new stories; "
        f"the archive holds {report.articles} articles in {report.stories} stories "
        f"({report.copies} copies in {report.copy_groups} copy groups)"
    )
    return 0


def _existing(db: str | None) -> str:
    from wirehouse.ducklake import is_lake

    db = db or _default_db()
    if is_lake(db):
        return _lake_for_reading(db)
    if not Path(_check_db(db)).exists():
        raise InputError(f"no archive at {db}: run `wirehouse demo` or `wirehouse run` first")
    return db


def _default_db() -> str:
    from wirehouse.settings import Settings

    return Settings.from_env().archive.db or "demo.duckdb"


def _lake_for_reading(db: str) -> str:
    """A DuckLake location checked, and its catalog reached (InputError when it is not)."""
    from wirehouse.db import connect
    from wirehouse.ducklake import parse_location
    from wirehouse.errors import StorageUnavailable

    parse_location(db)
    try:
        connect(db, read_only=True).close()
    except StorageUnavailable as exc:
        raise InputError(exc.detail, reason=exc.reason) from exc
    return db


def cmd_sql(args: argparse.Namespace) -> int:
    write_sql(sys.stdout, _existing(args.db), args.query, _width(args), args.format)
    print()
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    if not 1 <= args.limit <= MAX_RUNS_LIMIT:
        raise InputError(f"--limit must be from 1 to {MAX_RUNS_LIMIT:,}, not {args.limit}")
    from wirehouse.db import query
    from wirehouse.ducklake import is_lake
    from wirehouse.runlock import held_since

    db = _existing(args.db)
    # A run that never finished is running only while a live process holds the run lock,
    # and started after it took it: an interrupted run was "stopped ... or still running"
    # for ever.
    lake = is_lake(db)
    parameters = {
        "max_rows": args.limit,
        "running_since": None if lake else held_since(db),
        "lock_known": not lake,
    }
    print(run_sql(db, query("recent_runs"), _width(args), args.format, parameters))
    return 0


def cmd_discover(args: argparse.Namespace) -> int:
    """What the sources would yield: their URLs (with the listing's title and date hints),
    and every listing that could not be read; no page is fetched, nothing is stored."""
    from tasks.run_context import RunContext, Sources
    from tasks.steps.discover import find_links
    from wirehouse.settings import Settings

    sources = Sources(
        urls=tuple(args.url),
        urls_file=args.urls_file,
        feeds=tuple(args.feed),
        sitemaps=tuple(args.sitemap),
    )
    if sources.is_empty():
        raise InputError("nothing to discover: give --url, --urls-file, --feed or --sitemap")
    sources.validate()
    ctx = RunContext(
        db_path="",
        archive_dir="",
        run_id="discover",
        settings=Settings.from_env().with_user_agent(args.user_agent),
        allow_private_network=args.allow_private_network,
        resolve=tuple(sorted(dict(args.resolve).items())),
    )
    links, _attempts, problems, _robots = find_links(ctx, sources)
    unique = list({link.url: link for link in links}.values())
    rows = [
        (link.url, link.source, link.source_url, link.title, link.published_at) for link in unique
    ]
    columns = ["url", "source", "listed_by", "title", "published_at"]
    print(render(columns, rows, args.format, _width(args)))
    for problem in problems:
        _log.warning("%s: %s (%s)", problem.source_url, problem.reason, problem.detail)
    if problems and not unique:
        return EXIT_NOTHING_ARCHIVED
    return EXIT_SOME_FAILED if problems else 0


def cmd_export(args: argparse.Namespace) -> int:
    from flows.export import export_parquet

    db = _existing(args.db)
    if not args.out.strip():
        raise InputError("--out is empty: it names the folder for the .parquet files")
    if Path(args.out).exists() and not Path(args.out).is_dir():
        raise InputError(f"--out {args.out}: a file is there; --out names a folder")
    written = export_parquet(db, args.out, args.table or None, everything=args.all)
    width = max(len(name) for name in written)
    for table, count in written.items():
        path = Path(args.out) / f"{table}.parquet"
        print(f"{table.ljust(width)}  {count:>8} row{'s' if count != 1 else ' '}  -> {path}")
    return 0


MAX_RUNS_LIMIT = 1_000_000  # past a SQL integer's range was DuckDB's conversion error


def main(argv: Sequence[str] | None = None) -> int:
    # What a page or feed wrote is printed as it was stored; a character the terminal's
    # encoding cannot show (a lone surrogate from a JSON Feed) is escaped, not a traceback.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {
        "run": cmd_run,
        "group": cmd_group,
        "demo": cmd_demo,
        "sql": cmd_sql,
        "server": cmd_server,
        "export": cmd_export,
        "discover": cmd_discover,
        "runs": cmd_runs,
    }
    handler = handlers[args.command]
    _setup_logging(-1 if args.quiet else args.verbose)
    try:
        return handler(args)
    except InputError as exc:
        print(f"wirehouse: error: {exc.detail}", file=sys.stderr)
        return 2
    except WirehouseError as exc:
        print(f"wirehouse: error: {exc.detail}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("wirehouse: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`wirehouse sql ... | head`): stop as a tool killed by SIGPIPE
        # does, quietly (it was a traceback). Python flushes stdout again at exit; that write
        # goes nowhere.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    except RuntimeError as exc:
        # DuckDB stops a query at Ctrl-C and says so as a RuntimeError (it was a traceback)
        if str(exc) != "Query interrupted":
            raise
        print("wirehouse: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        # DuckDB cannot read or write the archive's file (cut short, damaged, a full disk): a
        # storage problem, said in one line like the others (it was a traceback).
        duckdb = sys.modules.get("duckdb")
        full = "No space left on device" in str(exc)  # any error of a commit that could not grow
        storage = duckdb is not None and isinstance(
            exc, duckdb.Error if full else duckdb.IOException
        )
        if not storage:
            raise
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if full:
            first = f"no space left on its disk: free some and run again ({first})"
        print(f"wirehouse: error: the archive cannot be read or written: {first}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
