"""Exporting the archive's tables to Parquet, from Python and from the command line."""

from __future__ import annotations

import duckdb
import pytest

from flows.cli import main
from flows.export import DEFAULT_TABLES, export_parquet
from tasks.run_context import RunContext, Sources, new_run_id
from tasks.steps.discover import discover
from tasks.steps.extract import extract_pending
from tasks.steps.fetch import fetch_and_archive
from tasks.steps.group import group_articles
from wirehouse.errors import InputError

PAGES = (
    # the comet wire text and its edited copy: a copy group with a link between them
    "http://www.dailybrief-now.example/2023/09/22/space-probe-beams-back-closest-images-of-comet.html",
    "http://www.pacificherald.example/science/2023-09-22/european-probe-returns-sharpest-images-of-comet.html",
    "http://www.gnn.example/2023/10/18/business/veridian-semiconductor-earnings.html",
    "http://www.gnn.example/",  # a front page: a rejection
)


@pytest.fixture(scope="module")
def archive_db(tmp_path_factory, example_hosts) -> str:
    tmp = tmp_path_factory.mktemp("export")
    ctx = RunContext(
        db_path=str(tmp / "news.duckdb"),
        archive_dir=str(tmp / "news-archive"),
        run_id=new_run_id(),
        allow_private_network=True,
        resolve=tuple(sorted(example_hosts.items())),
    )
    found = discover(ctx, Sources(urls=PAGES))
    fetch_and_archive(ctx, found.urls)
    extract_pending(ctx)
    group_articles(ctx)
    return ctx.db_path


def table_counts(db: str, tables: list[str]) -> dict[str, int]:
    with duckdb.connect(db, read_only=True) as conn:
        return {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for t in tables}


def test_every_default_table_is_written_with_all_its_rows(archive_db, tmp_path):
    out = tmp_path / "parquet"
    written = export_parquet(archive_db, str(out))
    assert list(written) == list(DEFAULT_TABLES)
    expected = table_counts(archive_db, list(DEFAULT_TABLES))
    assert written == expected
    assert expected["articles"] == 3 and expected["rejections"] == 1
    assert expected["article_links"] == 1 and expected["fetches"] >= len(PAGES)
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t}.parquet" for t in DEFAULT_TABLES)
    with duckdb.connect(archive_db, read_only=True) as conn:
        for table in DEFAULT_TABLES:
            path = str(out / f"{table}.parquet")
            assert conn.execute("select count(*) from read_parquet(?)", [path]).fetchone() == (
                written[table],
            )
            from_table = conn.execute(f"select * from {table} order by all").fetchall()
            from_file = conn.execute(
                "select * from read_parquet(?) order by all", [path]
            ).fetchall()
            assert from_file == from_table


def test_chosen_tables_only_and_a_second_export_overwrites(archive_db, tmp_path):
    out = tmp_path / "some"
    assert export_parquet(archive_db, str(out), ["runs", "articles"]) == {"runs": 0, "articles": 3}
    assert sorted(p.name for p in out.iterdir()) == ["articles.parquet", "runs.parquet"]
    assert export_parquet(archive_db, str(out), ["articles"]) == {"articles": 3}
    assert duckdb.sql(
        f"select count(*) from read_parquet('{out / 'articles.parquet'}')"
    ).fetchone() == (3,)


def test_export_opens_the_archive_read_only(archive_db, tmp_path):
    # DuckDB refuses a read-write connection next to a read-only one in the same process
    with duckdb.connect(archive_db, read_only=True):
        assert export_parquet(archive_db, str(tmp_path), ["stories"]) == table_counts(
            archive_db, ["stories"]
        )


def test_unknown_tables_are_refused_before_anything_is_written(archive_db, tmp_path):
    out = tmp_path / "never"
    with pytest.raises(InputError, match="cannot export 'secrets'") as info:
        export_parquet(archive_db, str(out), ["articles", "secrets"])
    assert info.value.reason == "unknown_table"
    assert "articles" in info.value.detail  # it names the tables there are
    with pytest.raises(InputError):
        export_parquet(archive_db, str(out), ["articles; drop table articles"])
    assert not out.exists()
    assert table_counts(archive_db, ["articles"]) == {"articles": 3}


def test_cli_export_prints_what_it_wrote(archive_db, tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["export", "--db", archive_db, "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(DEFAULT_TABLES)
    assert lines[0].split()[:3] == ["articles", "3", "rows"]
    assert all(f"{t}.parquet" in line for t, line in zip(DEFAULT_TABLES, lines, strict=True))
    assert (out / "fetches.parquet").is_file()

    assert main(["export", "--db", archive_db, "--out", str(out), "--table", "stories"]) == 0
    assert capsys.readouterr().out.split()[0] == "stories"


def test_cli_export_refuses_a_bad_table_or_a_missing_archive(archive_db, tmp_path, capsys):
    out = tmp_path / "bad"
    assert main(["export", "--db", archive_db, "--out", str(out), "--table", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot export 'nope'" in err
    assert not out.exists()
    missing = str(tmp_path / "missing.duckdb")
    assert main(["export", "--db", missing, "--out", str(out)]) == 2
    assert "no archive at" in capsys.readouterr().err
