"""Full-text search over articles of the bundled example site, with fts loaded from the wheel."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import duckdb_extension_fts
import pytest

from tasks.run_context import RunContext, Sources, new_run_id
from tasks.search_index import extension_path, load_fts, refresh_search_index, search
from tasks.steps.discover import discover
from tasks.steps.extract import extract_pending
from tasks.steps.fetch import fetch_and_archive
from tasks.steps.group import group_articles
from wirehouse.db import open_archive
from wirehouse.errors import InputError, StorageError

MANIFEST = json.loads(
    (Path(__file__).resolve().parents[2] / "examples" / "manifest.json").read_text()
)
ARTICLES = [e for e in MANIFEST if e["kind"] == "article"]
SOCHI = {e["url"] for e in ARTICLES if e["event"] == "putin-lukashenko-sochi"}
COMET = {e["url"] for e in ARTICLES if e["event"] == "comet-probe"}
OTHERS = [e["url"] for e in ARTICLES if e["url"] not in SOCHI]


def archive(db_path: str, hosts: dict[str, str], urls: list[str]) -> None:
    """Fetch, extract and group the given example pages into the archive at ``db_path``."""
    ctx = RunContext(
        db_path=db_path,
        archive_dir=db_path.removesuffix(".duckdb") + "-archive",
        run_id=new_run_id(),
        allow_private_network=True,
        resolve=tuple(sorted(hosts.items())),
    )
    found = discover(ctx, Sources(urls=tuple(urls)))
    fetch_and_archive(ctx, found.urls)
    extract_pending(ctx)
    group_articles(ctx)


def urls_of(conn: duckdb.DuckDBPyConnection, hits: list[tuple[str, str, str | None, float]]):
    by_id = dict(conn.execute("select article_id, url from articles").fetchall())
    return [by_id[article_id] for article_id, *_ in hits]


@pytest.fixture(scope="module")
def example_db(tmp_path_factory, example_hosts) -> str:
    db = str(tmp_path_factory.mktemp("search") / "news.duckdb")
    archive(db, example_hosts, [e["url"] for e in ARTICLES])
    return db


def test_the_extension_file_ships_in_the_wheel():
    path = extension_path()
    assert path.is_file()
    assert path.name == "fts.duckdb_extension"
    assert f"v{duckdb.__version__}" in path.parts
    with duckdb.connect() as conn:
        load_fts(conn)
        loaded = conn.execute(
            "select loaded from duckdb_extensions() where extension_name = 'fts'"
        ).fetchall()
    assert loaded == [(True,)]


def test_search_finds_the_sochi_story_and_nothing_unrelated(example_db):
    with open_archive(example_db) as conn:
        articles = conn.execute("select count(*) from articles").fetchone()
        assert refresh_search_index(conn) == len(ARTICLES) == articles[0]
        hits = search(conn, "Lukashenko")
        assert set(urls_of(conn, hits)) == SOCHI  # all five, and no other article
        scores = [score for *_, score in hits]
        assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)
        domains = {domain for _, domain, _, _ in hits}
        assert domains == {
            "pacificherald.example",
            "dailybrief-now.example",
            "assetbase.example",
            "capitolledger.example",
            "gnn.example",
        }
        comet = search(conn, "comet probe")
        assert set(urls_of(conn, comet)[:2]) == COMET
        assert not SOCHI & set(urls_of(conn, comet))
        assert search(conn, "zeppelinxyz") == []


def test_limit_cuts_the_best_first_list(example_db):
    with open_archive(example_db) as conn:
        refresh_search_index(conn)
        everything = search(conn, "Lukashenko")
        assert search(conn, "Lukashenko", limit=2) == everything[:2]
        with pytest.raises(InputError, match="limit"):
            search(conn, "Lukashenko", limit=0)


def test_refreshing_twice_gives_the_same_answers(example_db):
    with open_archive(example_db) as conn:
        first_count = refresh_search_index(conn)
        first = search(conn, "Lukashenko Sochi")
        assert refresh_search_index(conn) == first_count
        assert search(conn, "Lukashenko Sochi") == first
    # the index is kept in the file: a fresh read-only connection searches it too
    with duckdb.connect(example_db, read_only=True) as conn:
        assert search(conn, "Lukashenko Sochi") == first


def test_new_articles_are_found_after_a_refresh(tmp_path, example_hosts):
    db = str(tmp_path / "news.duckdb")
    archive(db, example_hosts, OTHERS)
    with open_archive(db) as conn:
        assert refresh_search_index(conn) == len(OTHERS)
        assert search(conn, "Lukashenko") == []
    archive(db, example_hosts, sorted(SOCHI))
    with open_archive(db) as conn:
        assert search(conn, "Lukashenko") == []  # the index is a snapshot
        assert refresh_search_index(conn) == len(ARTICLES)
        assert set(urls_of(conn, search(conn, "Lukashenko"))) == SOCHI


def test_an_empty_archive_indexes_nothing(tmp_path):
    with open_archive(tmp_path / "empty.duckdb") as conn:
        assert refresh_search_index(conn) == 0
        assert refresh_search_index(conn) == 0
        assert search(conn, "Lukashenko") == []
        schemas = conn.execute(
            "select count(*) from duckdb_schemas() where schema_name = 'fts_main_articles'"
        ).fetchone()
        assert schemas == (0,)


def test_searching_before_any_refresh_says_so(example_db, tmp_path):
    with duckdb.connect(str(tmp_path / "copy.duckdb")) as conn:
        # the articles without their index
        conn.execute(f"attach '{example_db}' as source (read_only)")
        conn.execute("create table articles as select * from source.articles")
        conn.execute("detach source")
        with pytest.raises(StorageError, match="no search index"):
            search(conn, "Lukashenko")


def test_a_missing_extension_file_is_a_storage_error(tmp_path, monkeypatch):
    monkeypatch.setattr(duckdb_extension_fts, "__file__", str(tmp_path / "__init__.py"))
    with duckdb.connect() as conn, pytest.raises(StorageError, match="no fts extension") as info:
        load_fts(conn)
    assert str(tmp_path) in info.value.detail
    assert f"duckdb-extension-fts=={duckdb.__version__}" in info.value.detail


def test_the_index_is_rebuilt_only_when_articles_changed(tmp_path, example_hosts):
    db = str(tmp_path / "news.duckdb")
    archive(db, example_hosts, OTHERS[:3])
    with open_archive(db) as conn:
        assert refresh_search_index(conn) == 3
        (built,) = conn.execute("select built_at from search_index_state").fetchone()
        assert refresh_search_index(conn) == 3  # nothing changed: left alone
        assert conn.execute("select built_at from search_index_state").fetchone() == (built,)
        conn.execute(
            "update articles set title = 'Zanzibar ferry timetable' where article_id = "
            "(select min(article_id) from articles)"
        )
        assert refresh_search_index(conn) == 3  # a title changed: rebuilt
        (rebuilt,) = conn.execute("select built_at from search_index_state").fetchone()
        assert rebuilt > built
        assert len(search(conn, "Zanzibar")) == 1
