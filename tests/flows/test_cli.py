"""The command line: argument errors, sql, and one real `wirehouse demo` in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from flows.cli import main
from flows.terminal import format_table, render
from tasks.run_context import RunContext, Sources
from tasks.steps.discover import discover
from tasks.steps.extract import extract_pending
from tasks.steps.fetch import fetch_and_archive

REPO = Path(__file__).resolve().parents[2]


def test_run_needs_something_to_archive(tmp_path, capsys):
    assert main(["run", "--db", str(tmp_path / "a.duckdb")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nothing to archive" in err


def test_run_refuses_an_unreadable_urls_file(tmp_path, capsys):
    assert (
        main(["run", "--db", str(tmp_path / "a.duckdb"), "--urls-file", str(tmp_path / "nope.txt")])
        == 2
    )
    assert "cannot read" in capsys.readouterr().err
    assert not (tmp_path / "a.duckdb").exists()
    for path, says in [(tmp_path, "a folder, not a file"), ("/dev/zero", "not a regular file")]:
        assert main(["run", "--db", str(tmp_path / "a.duckdb"), "--urls-file", str(path)]) == 2
        assert says in capsys.readouterr().err


def test_a_pipe_as_the_archive_is_refused_at_once_not_waited_on(tmp_path, capsys):
    # DuckDB waited for ever to open it, in every command
    pipe = tmp_path / "news.duckdb"
    os.mkfifo(pipe)
    for argv in (["sql", "select 1"], ["runs"], ["group"], ["run", "--url", "http://x.example/"]):
        assert main([argv[0], "--db", str(pipe), *argv[1:]]) == 2
        assert "not a regular file (a device or a pipe)" in capsys.readouterr().err


def test_a_db_that_is_no_archive_is_a_wrong_argument_before_any_work(tmp_path, capsys):
    # a file of other bytes exited 1 like a damaged archive; another program's DuckDB
    # file was migrated into an archive
    other = tmp_path / "notes.duckdb"
    other.write_text("my notes\n" * 1000)
    theirs = tmp_path / "theirs.duckdb"
    with duckdb.connect(str(theirs)) as conn:
        conn.execute("create table prices (x integer)")
    for path, says in [(other, "is not a DuckDB database file"), (theirs, "tables (prices)")]:
        assert main(["run", "--db", str(path), "--url", "http://x.example/a"]) == 2
        assert says in capsys.readouterr().err
        assert not Path(f"{path}-archive").exists()
    with duckdb.connect(str(theirs)) as conn:
        assert conn.execute("show tables").fetchall() == [("prices",)]


def test_a_urls_file_past_the_size_a_list_of_urls_has_is_refused_unread(
    tmp_path, capsys, monkeypatch
):
    from tasks import run_context

    monkeypatch.setattr(run_context, "MAX_URL_FILE_BYTES", 1000)
    urls = tmp_path / "urls.txt"
    with urls.open("wb") as out:
        out.truncate(1001)  # a sparse file of NUL bytes: 2 GB of them took 4.3 GB to refuse
    assert main(["run", "--db", str(tmp_path / "a.duckdb"), "--urls-file", str(urls)]) == 2
    assert "1,001 bytes, over the 1,000 a URL file may be" in capsys.readouterr().err


def test_a_urls_file_saved_as_utf16_or_with_a_bom_is_read(tmp_path, capsys):
    import json as jsonlib

    urls = "https://a.example.com/1\r\nhttps://b.example.com/é\r\n"
    for n, data in enumerate([urls.encode("utf-16"), b"\xef\xbb\xbf" + urls.encode()]):
        path = tmp_path / f"urls{n}.txt"
        path.write_bytes(data)
        assert main(["discover", "--urls-file", str(path), "--format", "json"]) == 0
        found = [row["url"] for row in jsonlib.loads(capsys.readouterr().out)]
        assert found == ["https://a.example.com/1", "https://b.example.com/%C3%A9"]


def test_run_refuses_a_bad_url(tmp_path, capsys):
    assert main(["run", "--db", str(tmp_path / "a.duckdb"), "--url", "javascript:alert(1)"]) == 2
    assert "not an http(s) URL" in capsys.readouterr().err


def test_wrong_option_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--no-such-option"])
    assert exit_info.value.code == 2


def test_sql_prints_a_table_and_refuses_writes(tmp_path, example_hosts, capsys):
    ctx = RunContext(
        db_path=str(tmp_path / "a.duckdb"),
        archive_dir=str(tmp_path / "arch"),
        run_id="r1",
        allow_private_network=True,
        resolve=tuple(example_hosts.items()),
    )
    url = "http://www.gnn.example/2023/10/18/business/veridian-semiconductor-earnings.html"
    found = discover(ctx, Sources(urls=(url,)))
    fetch_and_archive(ctx, found.urls)
    extract_pending(ctx)
    assert (
        main(["sql", "--db", ctx.db_path, "select domain, word_count > 100 as long from articles"])
        == 0
    )
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["domain", "long"]
    assert "gnn.example" in out and "(1 row)" in out
    assert main(["sql", "--db", ctx.db_path, "delete from articles"]) == 2
    assert "read-only" in capsys.readouterr().err.lower()
    assert main(["sql", "--db", ctx.db_path, "select nonsense from nowhere"]) == 2
    # nor files: COPY TO the archive's own file destroyed it; nor settings
    secret = tmp_path / "secret.txt"
    secret.write_text("a,b\n1,2\n")
    for statement in (
        f"copy (select 1) to '{ctx.db_path}'",
        f"copy (select 1) to '{tmp_path / 'out.csv'}'",
        f"select * from read_csv('{secret}')",
        "set threads = 100000",
        "set enable_external_access = true",
    ):
        assert main(["sql", "--db", ctx.db_path, statement]) == 2, statement
        capsys.readouterr()
    assert not (tmp_path / "out.csv").exists()
    assert main(["sql", "--db", ctx.db_path, "select count(*) as n from articles"]) == 0
    assert "(1 row)" in capsys.readouterr().out


def test_an_archive_damaged_past_its_first_blocks_is_one_line_not_a_traceback(
    tmp_path, capsys, monkeypatch
):
    # An archive cut short or zeroed past its first blocks opens, and fails at the first
    # read of a damaged block, mid-command (a red-team probe: a traceback from the run's
    # first write). Any command: here `runs`, made to meet such a block.
    import duckdb

    def damaged(args):
        raise duckdb.IOException(
            "IO Error: Corrupt database file: computed checksum 5381 does not match stored "
            "checksum 0 in block at location 10498048\nmore detail"
        )

    monkeypatch.setattr("flows.cli.cmd_runs", damaged)
    assert main(["runs", "--db", str(tmp_path / "news.duckdb")]) == 1
    err = capsys.readouterr().err
    assert err == (
        "wirehouse: error: the archive cannot be read or written: IO Error: Corrupt database "
        "file: computed checksum 5381 does not match stored checksum 0 in block at location "
        "10498048\n"
    )


def test_sql_on_a_missing_archive(tmp_path, capsys):
    assert main(["sql", "--db", str(tmp_path / "none.duckdb"), "select 1"]) == 2
    assert "wirehouse demo" in capsys.readouterr().err


def test_group_on_a_mistyped_archive_makes_none(tmp_path, capsys):
    missing = tmp_path / "nwes.duckdb"
    assert main(["group", "--db", str(missing)]) == 2
    assert "no archive at" in capsys.readouterr().err
    assert not missing.exists()


def test_export_to_a_file_or_tables_cut_to_nothing_are_one_line_errors(small_archive, capsys):
    taken = Path(small_archive).with_name("taken.txt")
    taken.write_text("mine")
    assert main(["export", "--db", small_archive, "--out", str(taken)]) == 2
    assert "a file is there" in capsys.readouterr().err and taken.read_text() == "mine"
    assert main(["sql", "--db", small_archive, "--max-width", "0", "select 1"]) == 2
    assert "--max-width 0" in capsys.readouterr().err
    # a folder that cannot be made (a file on its way), or none at all: it was a traceback
    # from mkdir, or an export into the current folder
    assert main(["export", "--db", small_archive, "--out", str(taken / "x")]) == 2
    assert "cannot create the folder: Not a directory" in capsys.readouterr().err
    assert main(["export", "--db", small_archive, "--out", ""]) == 2
    assert "--out is empty" in capsys.readouterr().err


def test_format_table_cuts_long_cells():
    table = format_table(["a", "b"], [(1, "x" * 100), (None, "short")], max_width=10)
    lines = table.splitlines()
    assert lines[2] == "1     xxxxxxxxx…"
    assert lines[3].startswith("NULL")
    assert lines[-1] == "(2 rows)"


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_a_cell_shows_what_a_terminal_would_act_on_as_escapes(fmt):
    # A page's byline carried ESC ] 0 ; ... BEL (retitles the terminal), stored as written.
    title = "Ferry vote\x1b]0;pwned\x07 \u202eevil"
    out = render(["title"], [(title,)], fmt, None)
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "Ferry vote\\u001b]0;pwned\\u0007 \\u202eevil" in out


@pytest.mark.slow
def test_demo_command_end_to_end(tmp_path):
    """`wirehouse demo` in its own process, with no Prefect server set up: it runs in-process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(tmp_path / "prefect"), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    db = tmp_path / "demo.duckdb"
    done = subprocess.run(
        [sys.executable, "-m", "flows.cli", "demo", "--db", str(db)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "stories in" in done.stdout
    assert "Putin meets leader of Belarus" in done.stdout
    assert "new articles  16" in done.stdout
    assert (tmp_path / "demo-archive").is_dir()


def _cli_in_fresh_process(args: list[str], env: dict[str, str] | None = None, **kw: object):
    """Run main() in a new interpreter; report its exit code, output, and whether Prefect
    was imported on the way."""
    script = (
        "import sys\n"
        "from flows.cli import main\n"
        f"code = main({args!r})\n"
        "print('PREFECT-IMPORTED' if 'prefect' in sys.modules else 'NO-PREFECT')\n"
        "sys.exit(code)\n"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "WIREHOUSE_"))}
    return subprocess.run(
        [sys.executable, "-c", script],
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        **kw,
    )


@pytest.mark.parametrize(
    ("env", "args", "message"),
    [
        ({"WIREHOUSE_PER_HOST_CONCURRENCY": "0"}, [], "WIREHOUSE_PER_HOST_CONCURRENCY='0'"),
        ({"WIREHOUSE_OBEY_ROBOTS": "maybe"}, [], "WIREHOUSE_OBEY_ROBOTS='maybe'"),
        ({"WIREHOUSE_MAX_RETRYS": "1"}, [], "did you mean WIREHOUSE_MAX_RETRIES"),
        ({"WIREHOUSE_RESUME_WINDOW_S": "1e300"}, [], "WIREHOUSE_RESUME_WINDOW_S='1e300'"),
        ({"WIREHOUSE_SNAPSHOT_RETENTION_S": "inf"}, [], "WIREHOUSE_SNAPSHOT_RETENTION_S='inf'"),
        ({"WIREHOUSE_MAX_EXTRACT_S": "1e12"}, [], "WIREHOUSE_MAX_EXTRACT_S='1e12'"),
        ({"WIREHOUSE_MAX_EXTRACT_S": "1e-9"}, [], "WIREHOUSE_MAX_EXTRACT_S='1e-9'"),
        ({}, ["--db", ""], "--db needs a database file name"),
        ({}, ["--url", "ftp://x.example/"], "not an http(s) URL"),
        ({}, ["--db", "ducklake:sqlite:x.db"], "ducklake:postgres:<libpq conninfo>"),
        ({}, ["--db", "ducklake:postgres:not a conninfo"], "must be a libpq conninfo"),
        ({}, ["--shard", "5/4"], "--shard 5/4: K/N needs 1 <= K <= N"),
        ({}, ["--shard", "two"], "expected K/N"),
        ({}, ["--archive", "/dev/null"], "--archive /dev/null: a file is there"),
        ({}, ["--db", "/dev/null"], "--db /dev/null: not a regular file"),
        ({}, ["--db", "n\udcff.duckdb"], "the path is not valid UTF-8"),
        ({}, ["--archive", "a\udcff"], "the path is not valid UTF-8"),
        ({}, ["--warc", "w\udcff.warc"], "the path is not valid UTF-8"),
        (
            {"WIREHOUSE_DATA_PATH": "/tmp/wirehouse-unreachable-lake"},
            ["--db", "ducklake:postgres:host=127.0.0.1 port=9 user=x dbname=x connect_timeout=5"],
            "cannot reach the DuckLake catalog",
        ),
        ({}, ["--db", "ducklake:postgres:dbname=x"], "needs --data-path"),
        ({"WIREHOUSE_REPUBLISH_GAP_DAYS": "inf"}, [], "WIREHOUSE_REPUBLISH_GAP_DAYS='inf'"),
        ({"WIREHOUSE_REGROUP_HORIZON_DAYS": "999999999"}, [], "WIREHOUSE_REGROUP_HORIZON_DAYS"),
        ({}, ["--user-agent", "nouvelles-é/1.0"], "--user-agent 'nouvelles-é/1.0'"),
        ({}, ["--resolve", "x.example=127.0.0.1:abc"], "'abc' is not a port"),
        ({}, ["--resolve", "x.example=127.0.0.1:99999"], "'99999' is not a port"),
        ({}, ["--resolve", "x.example=999.1.1.1"], "'999.1.1.1' is not an IP address"),
        ({}, ["--resolve", "x.example=[::1"], "is not [IPv6]:PORT"),
        (
            {"WIREHOUSE_GROUP_DB_MEMORY_MB": "99999999999999"},
            [],
            "WIREHOUSE_GROUP_DB_MEMORY_MB='99999999999999'",
        ),
    ],
)
def test_bad_settings_and_arguments_answer_in_one_line_before_prefect(tmp_path, env, args, message):
    argv = ["run", "--db", str(tmp_path / "a.duckdb"), "--url", "http://x.example/", *args]
    done = _cli_in_fresh_process(argv, env)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and message in done.stderr, done.stderr
    assert "NO-PREFECT" in done.stdout


def test_a_busy_archive_answers_at_once_in_one_line(tmp_path):
    import fcntl

    db = tmp_path / "a.duckdb"
    with open(f"{db}.lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another run is writing
        done = _cli_in_fresh_process(["run", "--db", str(db), "--url", "http://x.example/"])
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "another run is writing to" in done.stderr
    assert "NO-PREFECT" in done.stdout


def test_an_archive_on_a_read_only_disk_answers_in_one_line():
    # /sys refuses new files even to root: a read-only disk for every user
    done = _cli_in_fresh_process(
        ["run", "--db", "/sys/wirehouse/a.duckdb", "--url", "http://x.example/"]
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "/sys/wirehouse" in done.stderr, done.stderr
    assert "NO-PREFECT" in done.stdout


def test_a_run_without_a_prefect_server_starts_none(tmp_path, example_hosts):
    """No PREFECT_API_URL and no `wirehouse server`: the steps run in-process, and the run
    says in one line that it is not reported to Prefect."""
    url = "http://www.gnn.example/2023/10/18/business/veridian-semiconductor-earnings.html"
    resolve = [f"--resolve={host}={address}" for host, address in example_hosts.items()]
    done = _cli_in_fresh_process(
        [
            "run",
            "--db",
            str(tmp_path / "a.duckdb"),
            "--url",
            url,
            "--allow-private-network",
            *resolve,
        ],
        {"PREFECT_HOME": str(tmp_path / "prefect")},
    )
    assert done.returncode == 0, done.stderr
    assert "NO-PREFECT" in done.stdout and "new articles  1" in done.stdout
    assert "not reported to Prefect" in done.stderr
    assert not (tmp_path / "prefect").exists()  # no temporary server, no Prefect database


def _page(title: str) -> str:
    sentence = f"{title}: the council met on Tuesday and agreed the plan after a long debate. "
    return f"<html><head><title>{title}</title></head><body><article><p>{sentence * 6}</p></article></body></html>"


def _run(db, *args: str) -> list[str]:
    return ["run", "--no-prefect", "--db", str(db), "--allow-private-network", *args]


def test_exit_0_when_everything_was_archived(tmp_path, local_server, capsys):
    local_server.page("/a", _page("Page A"))
    assert main(_run(tmp_path / "a.duckdb", "--url", local_server.url("/a"))) == 0
    out = capsys.readouterr().out
    assert "this run:" in out and "the archive now:" in out
    assert "new articles  1" in out and "failures      0" in out


def test_pages_left_for_the_next_run_by_a_crawl_delay_are_no_failure(
    tmp_path, local_server, capsys, monkeypatch
):
    # What a host's crawl delay leaves for the next run is said, and is no failure (exit 0):
    # an hourly crawl of a site asking for 10 s between requests is no failed run
    monkeypatch.setenv("WIREHOUSE_CRAWL_DELAY_BUDGET_S", "0.5")
    local_server.page("/robots.txt", "User-agent: *\nCrawl-delay: 0.3\n", "text/plain")
    locs = ""
    for n in range(5):
        local_server.page(f"/p{n}", _page(f"Page {n}"))
        locs += f"<url><loc>{local_server.url(f'/p{n}')}</loc></url>"
    sitemap = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'
    local_server.page("/sitemap.xml", sitemap, "application/xml")
    args = _run(tmp_path / "a.duckdb", "--sitemap", local_server.url("/sitemap.xml"))
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "failures      0" in out
    (line,) = [line for line in out.splitlines() if "deferred" in line]
    assert line.startswith("  deferred      3 (127.0.0.1 3; left for the next run"), line


def test_exit_3_when_some_failed_with_an_example_of_each_reason(tmp_path, local_server, capsys):
    local_server.page("/a", _page("Page A"))
    missing = local_server.url("/missing")
    assert main(_run(tmp_path / "a.duckdb", "--url", local_server.url("/a"), "--url", missing)) == 3
    out = capsys.readouterr().out
    assert "failures      1 (http_404: 1)" in out
    assert f"http_404  e.g. {missing}" in out
    # a listed URL of megabytes is cut in the summary, as a table cell is
    long = local_server.url("/missing?" + "q" * 100_000)
    assert main(_run(tmp_path / "a.duckdb", "--url", long)) == 1
    (example,) = [line for line in capsys.readouterr().out.splitlines() if "e.g." in line]
    assert len(example) < 300 and example.endswith("…")


def test_exit_1_when_nothing_could_be_archived_says_what_to_do(tmp_path, local_server, capsys):
    local_server.page("/a", _page("Page A"))
    db = tmp_path / "a.duckdb"
    argv = ["run", "--no-prefect", "--db", str(db), "--url", local_server.url("/a")]
    assert main(argv) == 1  # loopback, without --allow-private-network
    out = capsys.readouterr().out
    assert "nothing could be archived:" in out
    assert "private_address: the host resolves to a private or loopback address: pass " in out
    assert "--allow-private-network" in out


def test_a_feed_sent_as_x_rss_xml_is_read(tmp_path, local_server, capsys):
    local_server.page("/a", _page("Page A"))
    feed = f"<rss version='2.0'><channel><item><link>{local_server.url('/a')}</link></item></channel></rss>"
    local_server.page("/feed", feed, content_type="application/x-rss+xml")
    assert main(_run(tmp_path / "a.duckdb", "--feed", local_server.url("/feed"))) == 0
    assert "new articles  1" in capsys.readouterr().out


def test_run_help_documents_the_exit_codes(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "exit codes: 0 archived what it could and nothing failed; 3 finished with some" in out


@pytest.fixture
def small_archive(tmp_path, local_server) -> str:
    for name in ("a", "b"):
        local_server.page(f"/{name}", _page(f"Page {name.upper()} " + "with a long headline " * 5))
    db = str(tmp_path / "small.duckdb")
    urls = ("--url", local_server.url("/a"), "--url", local_server.url("/b"))
    assert main(_run(db, *urls)) == 0
    return db


def test_sql_formats_parse_back(small_archive, capsys):
    import csv
    import io
    import json as jsonlib

    query = "select url, title, word_count from articles order by url"
    capsys.readouterr()
    assert main(["sql", "--db", small_archive, "--format", "json", query]) == 0
    rows = jsonlib.loads(capsys.readouterr().out)
    assert [sorted(r) for r in rows] == [["title", "url", "word_count"]] * 2
    assert len(rows[0]["title"]) > 60  # not cut
    assert main(["sql", "--db", small_archive, "--format", "csv", query]) == 0
    parsed = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["title"] for r in parsed] == [r["title"] for r in rows]
    assert main(["sql", "--db", small_archive, "--format", "markdown", query]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "| url | title | word_count |" and lines[1] == "|---|---|---|"
    assert [line.split(" | ")[1] for line in lines[2:]] == [r["title"] for r in rows]
    # a table in a pipe is not cut; --max-width cuts it
    assert main(["sql", "--db", small_archive, query]) == 0
    assert rows[0]["title"] in capsys.readouterr().out
    assert main(["sql", "--db", small_archive, "--max-width", "20", query]) == 0
    assert rows[0]["title"] not in capsys.readouterr().out


def test_sql_streams_a_large_result_and_a_table_shows_its_first_rows(
    small_archive, capsys, monkeypatch
):
    # Fetched in batches (a result of millions once took 2.3 GB before the first line);
    # a table holds only the rows it shows, and says how many there were.
    import csv
    import io
    import json as jsonlib

    from flows import cli, terminal

    monkeypatch.setattr(cli, "SQL_BATCH_ROWS", 7)
    monkeypatch.setattr(terminal, "TABLE_ROWS", 10)
    query = "select n, 'row ' || n as label from range(25) t(n) order by n"
    capsys.readouterr()
    assert main(["sql", "--db", small_archive, "--format", "csv", query]) == 0
    out = capsys.readouterr().out
    assert list(csv.reader(io.StringIO(out))) == [["n", "label"]] + [
        [str(n), f"row {n}"] for n in range(25)
    ]
    assert out.endswith("row 24\n")
    assert main(["sql", "--db", small_archive, "--format", "json", query]) == 0
    assert jsonlib.loads(capsys.readouterr().out) == [
        {"n": n, "label": f"row {n}"} for n in range(25)
    ]
    assert main(["sql", "--db", small_archive, "--format", "csv", query + " limit 0"]) == 0
    assert capsys.readouterr().out == "n,label\n"
    assert main(["sql", "--db", small_archive, query]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2].split() == ["0", "row", "0"] and lines[11].split() == ["9", "row", "9"]
    assert lines[12] == "(25 rows; the first 10 shown: --format csv or json prints them all)"


def test_sql_prints_every_statements_result(small_archive, capsys):
    capsys.readouterr()
    sql = "select count(*) as articles from articles; select count(*) as runs from runs"
    assert main(["sql", "--db", small_archive, "--format", "json", sql]) == 0
    first, second = capsys.readouterr().out.strip().split("\n\n")
    assert first == '[{"articles": 2}]' and second == '[{"runs": 1}]'


def test_a_reader_that_stops_early_ends_sql_quietly(small_archive):
    # `wirehouse sql ... | head -1` printed a BrokenPipeError traceback, exit 1
    query = "select range as n from range(200000)"
    for fmt in ("table", "csv"):
        reader = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "flows.cli",
                "sql",
                "--db",
                small_archive,
                "--format",
                fmt,
                query,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert reader.stdout is not None and reader.stderr is not None
        assert reader.stdout.readline().strip() == b"n"
        reader.stdout.close()  # as `head -1` does once it has its line
        assert reader.wait(timeout=60) == 141  # 128 + SIGPIPE, as a tool killed by it
        assert reader.stderr.read() == b""


def test_runs_lists_the_latest_runs(small_archive, capsys):
    import json as jsonlib

    capsys.readouterr()
    assert main(["runs", "--db", small_archive, "--format", "json"]) == 0
    (run,) = jsonlib.loads(capsys.readouterr().out)
    assert run["state"] == "finished" and run["new_articles"] == 2 and run["fetched"] == 2
    # past a SQL integer, the limit was DuckDB's conversion error
    assert main(["runs", "--db", small_archive, "--limit", "9" * 23]) == 2
    assert "--limit must be from 1 to 1,000,000" in capsys.readouterr().err


def test_runs_tells_a_running_run_from_one_that_was_stopped(tmp_path, capsys):
    # an interrupted run was "stopped (killed, crashed, or still running)" for ever
    import json as jsonlib
    import time

    from tasks.store import start_run
    from wirehouse.db import open_archive
    from wirehouse.runlock import run_lock

    db = tmp_path / "news.duckdb"

    def states() -> dict[str, str]:
        capsys.readouterr()
        assert main(["runs", "--db", str(db), "--format", "json"]) == 0
        return {run["run_id"]: run["state"] for run in jsonlib.loads(capsys.readouterr().out)}

    with open_archive(db) as conn:
        start_run(conn, "interrupted", {})
    time.sleep(0.05)
    with run_lock(db):
        with open_archive(db) as conn:
            start_run(conn, "current", {})
        assert states() == {
            "current": "running",
            "interrupted": "stopped (interrupted, killed or crashed)",
        }
    assert set(states().values()) == {"stopped (interrupted, killed or crashed)"}
    Path(f"{db}.lock").write_text("pid 999999999")  # a killed run's, its process gone
    assert set(states().values()) == {"stopped (interrupted, killed or crashed)"}


def test_discover_lists_what_a_feed_would_yield_without_fetching(tmp_path, local_server, capsys):
    import json as jsonlib

    items = "".join(
        f"<item><title>Item {i}</title><link>{local_server.url(f'/p{i}')}</link></item>"
        for i in range(3)
    )
    local_server.page("/feed", f"<rss><channel>{items}</channel></rss>", "application/rss+xml")
    args = ["discover", "--feed", local_server.url("/feed"), "--allow-private-network"]
    assert main([*args, "--format", "json"]) == 0
    found = jsonlib.loads(capsys.readouterr().out)
    assert [f["url"] for f in found] == [local_server.url(f"/p{i}") for i in range(3)]
    assert found[0]["title"] == "Item 0" and found[0]["listed_by"] == local_server.url("/feed")
    assert not any(path.startswith("/p") for path, _, _ in local_server.requests)
    assert main(["discover", "--feed", local_server.url("/nope"), "--allow-private-network"]) == 1


def test_discover_prints_a_title_no_encoding_can_hold_escaped(local_server):
    feed = '{"version": "https://jsonfeed.org/version/1.1", "items": [{"url": "%s", "title": "a\\ud800b"}]}'
    local_server.page("/feed", feed % local_server.url("/p"), "application/feed+json")
    args = ["discover", "--feed", local_server.url("/feed"), "--allow-private-network"]
    for fmt in ("table", "json"):
        done = _cli_in_fresh_process([*args, "--format", fmt])
        assert done.returncode == 0, done.stderr[-2000:]
        assert "a\\ud800b" in done.stdout


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith("wirehouse ")


def _demo_run_argv(db, example_hosts) -> list[str]:
    url = "http://www.gnn.example/2023/10/18/business/veridian-semiconductor-earnings.html"
    resolve = [f"--resolve={host}={address}" for host, address in example_hosts.items()]
    return [
        "run",
        "--no-prefect",
        "--db",
        str(db),
        "--url",
        url,
        "--allow-private-network",
        *resolve,
    ]


def test_progress_in_a_pipe_is_plain_lines_from_the_first_second(tmp_path, example_hosts):
    done = _cli_in_fresh_process(_demo_run_argv(tmp_path / "a.duckdb", example_hosts))
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert lines[0].startswith("wirehouse: starting")
    steps = [line.split(" · ")[0].removeprefix("wirehouse: ") for line in lines if " · " in line]
    order = ["starting", "discover", "fetch", "ingest", "extract", "group", "index", "done"]
    assert steps[0] == "starting" and "fetch" in steps
    assert steps == sorted(steps, key=order.index)  # steps shorter than a poll may not show
    assert "\x1b[" not in done.stderr  # no terminal codes in a pipe
    assert "1/1 URLs" in done.stderr and "1 articles" in done.stderr


def test_progress_on_a_terminal_is_a_live_line(tmp_path, example_hosts):
    import pty

    leader, follower = pty.openpty()
    script = (
        "import sys\nfrom flows.cli import main\n"
        f"sys.exit(main({_demo_run_argv(tmp_path / 'a.duckdb', example_hosts)!r}))\n"
    )
    run = subprocess.Popen(
        [sys.executable, "-c", script], stdin=follower, stdout=follower, stderr=follower
    )
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    assert run.wait(timeout=120) == 0
    os.close(leader)
    text = seen.decode("utf-8", "replace")
    assert "\x1b[" in text  # redrawn in place
    assert "URLs" in text and "new articles  1" in text


def test_quiet_shows_no_progress(tmp_path, example_hosts):
    argv = _demo_run_argv(tmp_path / "a.duckdb", example_hosts)
    done = _cli_in_fresh_process(["-q", *argv])
    assert done.returncode == 0
    assert done.stderr == ""


def test_ctrl_c_during_a_query_is_an_interruption_not_a_traceback(small_archive):
    import signal
    import time

    # DuckDB stops the query and raises RuntimeError("Query interrupted"): it was a
    # traceback and exit 1
    endless = "select sum(i) from range(100000000000) t(i)"
    command = [sys.executable, "-m", "flows.cli", "sql", "--db", small_archive, endless]
    running = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    time.sleep(4)  # past the start, into the query
    running.send_signal(signal.SIGINT)
    _, err = running.communicate(timeout=60)
    assert (running.returncode, err) == (130, "wirehouse: interrupted\n")


def test_a_full_disk_under_the_database_is_one_line(monkeypatch, capsys):
    # A commit that could not grow the WAL was DuckDB's TransactionException, a traceback
    import duckdb

    from flows import cli

    def full(args: object) -> int:
        raise duckdb.TransactionException(
            'TransactionContext Error: Failed to commit: Could not write file "n.duckdb.wal": '
            "No space left on device"
        )

    monkeypatch.setattr(cli, "cmd_runs", full)
    assert main(["runs", "--db", "n.duckdb"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("wirehouse: error: the archive cannot be read or written: no space left")
    assert len(err.splitlines()) == 1
