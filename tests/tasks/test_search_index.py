"""Full-text search over articles of the bundled example site, with fts loaded from the wheel."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import duckdb_extension_fts
import pytest

from tasks.run_context import RunContext, Sources, new_run_id
from tasks.search_index import (
    IndexUpdate,
    extension_path,
    extension_stopwords,
    load_fts,
    search,
    update_search_index,
)
from tasks.steps.discover import discover
from tasks.steps.extract import extract_pending
from tasks.steps.fetch import fetch_and_archive
from tasks.steps.group import group_articles
from tasks.store import save_reextractions
from wirehouse.db import open_archive
from wirehouse.errors import InputError, StorageError
from wirehouse.records import Rejection

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
        assert update_search_index(conn).indexed == len(ARTICLES) == articles[0]
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
        update_search_index(conn)
        everything = search(conn, "Lukashenko")
        assert search(conn, "Lukashenko", limit=2) == everything[:2]
        with pytest.raises(InputError, match="limit"):
            search(conn, "Lukashenko", limit=0)


def test_refreshing_twice_gives_the_same_answers(example_db):
    with open_archive(example_db) as conn:
        first_count = update_search_index(conn).indexed
        first = search(conn, "Lukashenko Sochi")
        assert update_search_index(conn).indexed == first_count
        assert search(conn, "Lukashenko Sochi") == first
    # the index is kept in the file: a fresh read-only connection searches it too
    with duckdb.connect(example_db, read_only=True) as conn:
        assert search(conn, "Lukashenko Sochi") == first


def test_new_articles_are_found_after_a_refresh(tmp_path, example_hosts):
    db = str(tmp_path / "news.duckdb")
    archive(db, example_hosts, OTHERS)
    with open_archive(db) as conn:
        assert update_search_index(conn).indexed == len(OTHERS)
        assert search(conn, "Lukashenko") == []
    archive(db, example_hosts, sorted(SOCHI))
    with open_archive(db) as conn:
        assert search(conn, "Lukashenko") == []  # the index is a snapshot
        assert update_search_index(conn).indexed == len(ARTICLES)
        assert set(urls_of(conn, search(conn, "Lukashenko"))) == SOCHI


def test_an_empty_archive_indexes_nothing(tmp_path):
    with open_archive(tmp_path / "empty.duckdb") as conn:
        assert update_search_index(conn).indexed == 0
        assert update_search_index(conn).indexed == 0
        assert search(conn, "Lukashenko") == []
        assert conn.execute("select count(*) from fts_main_articles.docs").fetchone() == (0,)
        assert conn.execute("select count(*) from fts_main_articles.terms").fetchone() == (0,)


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


def index_content(conn: duckdb.DuckDBPyConnection) -> tuple[set[tuple], set[tuple], tuple]:
    """What BM25 reads of an index, whichever built it: each article's length, each
    (article, field, term) count, and the number of articles with their average length."""
    docs = set(conn.execute("select name, len from fts_main_articles.docs").fetchall())
    counts = set(
        conn.execute(
            "select docs.name, fields.field, dict.term, count(*) from fts_main_articles.terms"
            " join fts_main_articles.docs using (docid) join fts_main_articles.dict using (termid)"
            " join fts_main_articles.fields using (fieldid) group by all"
            if "tf" not in _columns(conn, "terms")
            else "select docs.name, fields.field, dict.term, terms.tf"
            " from fts_main_articles.terms join fts_main_articles.docs using (docid)"
            " join fts_main_articles.dict using (termid) join fts_main_articles.fields using (fieldid)"
        ).fetchall()
    )
    corpus = conn.execute("select count(*), avg(len) from fts_main_articles.docs").fetchone()
    return docs, counts, tuple(corpus or ())


def _columns(conn: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [
        column
        for (column,) in conn.execute(
            "select column_name from duckdb_columns()"
            " where schema_name = 'fts_main_articles' and table_name = ?",
            [table],
        ).fetchall()
    ]


def pragma_index(db: str, tmp_path: Path) -> str:
    """A copy of the archive at ``db`` with the index the fts extension's pragma builds whole."""
    copy = str(tmp_path / "pragma.duckdb")
    shutil.copyfile(db, copy)
    with duckdb.connect(copy) as conn:
        load_fts(conn)
        conn.execute(
            "pragma create_fts_index('articles', 'article_id', 'title', 'text', overwrite = 1)"
        )
    return copy


QUERIES = ["Lukashenko", "Lukashenko Sochi", "comet probe", "the president's visit", "Río São"]
BM25_CALLS = [
    "fts_main_articles.match_bm25(article_id, 'comet probe landing', fields := 'title')",
    "fts_main_articles.match_bm25(article_id, 'comet probe landing', conjunctive := true)",
    "fts_main_articles.match_bm25(article_id, 'Lukashenko talks', k := 2.0, b := 0.5)",
]


def scored(conn: duckdb.DuckDBPyConnection, call: str) -> list[tuple[str, float]]:
    """(article_id, score) of the articles the BM25 ``call`` scores, best first."""
    return conn.execute(
        f"select article_id, {call} as score from articles"
        " where score is not null order by score desc, article_id"
    ).fetchall()


def ranking(scores: list[tuple[str, float]]) -> list[str]:
    """Article ids best first, ties within float noise (the order DuckDB sums a score's
    parts in) broken by id."""
    return [
        article_id for article_id, score in sorted(scores, key=lambda s: (-round(s[1], 9), s[0]))
    ]


def test_the_index_ranks_as_the_extensions_own_index(example_db, tmp_path):
    with open_archive(example_db) as conn:
        update_search_index(conn)
        ours = index_content(conn)
        answers = {terms: search(conn, terms, limit=100) for terms in QUERIES}
        calls = {call: scored(conn, call) for call in BM25_CALLS}
    with duckdb.connect(pragma_index(example_db, tmp_path)) as conn:
        # the same lengths, term counts and corpus figures: every BM25 score is the same
        assert index_content(conn) == ours
        assert ours[0] and ours[1]
        for terms, hits in answers.items():
            theirs = {a: score for a, _, _, score in search(conn, terms, limit=100)}
            mine = {a: score for a, _, _, score in hits}
            assert theirs == pytest.approx(mine, rel=1e-12), terms
            assert ranking(list(theirs.items())) == ranking(list(mine.items())), terms
        assert any(answers.values())
        for call, rows in calls.items():
            assert dict(scored(conn, call)) == pytest.approx(dict(rows), rel=1e-12), call
            assert ranking(scored(conn, call)) == ranking(rows), call
            assert rows, call


def test_an_update_indexes_only_what_changed(tmp_path, example_hosts):
    db = str(tmp_path / "news.duckdb")
    archive(db, example_hosts, OTHERS[:3])
    with open_archive(db) as conn:
        assert update_search_index(conn) == IndexUpdate(removed=0, added=3, batches=1, indexed=3)
        assert update_search_index(conn) == IndexUpdate(removed=0, added=0, batches=0, indexed=3)
        conn.execute(
            "update articles set title = 'Zanzibar ferry timetable' where article_id = "
            "(select min(article_id) from articles)"
        )
        assert update_search_index(conn) == IndexUpdate(removed=1, added=1, batches=1, indexed=3)
        assert len(search(conn, "Zanzibar")) == 1
        assert conn.execute(
            "select count(distinct name) = count(*) from fts_main_articles.docs"
        ).fetchone() == (True,)


def test_added_changed_and_removed_articles_leave_the_index_as_a_fresh_build(
    tmp_path, example_hosts
):
    db = str(tmp_path / "news.duckdb")
    archive(db, example_hosts, OTHERS)
    with open_archive(db) as conn:
        assert update_search_index(conn, batch_size=4).batches == -(-len(OTHERS) // 4)
    archive(db, example_hosts, sorted(SOCHI))  # five articles more
    with open_archive(db) as conn:
        added = update_search_index(conn, batch_size=2)
        assert (added.removed, added.added, added.batches) == (0, len(SOCHI), 3)
        assert set(urls_of(conn, search(conn, "Lukashenko"))) == SOCHI
        # re-extraction: one Sochi page is now rejected (its article forgotten), and one
        # comet article's text changed
        gone, url = conn.execute(
            "select record_id, url from articles where url = ?", [sorted(SOCHI)[0]]
        ).fetchone()
        save_reextractions(conn, [], [Rejection(gone, url, "not_article", "re-extracted")])
        conn.execute(
            "update articles set text = text || ' Zanzibar ferries resumed.',"
            " text_sha256 = sha256(text || ' Zanzibar ferries resumed.')"
            " where url = ?",
            [sorted(COMET)[0]],
        )
        changed = update_search_index(conn, batch_size=2)
        assert (changed.removed, changed.added, changed.indexed) == (2, 1, len(ARTICLES) - 1)
        assert set(urls_of(conn, search(conn, "Lukashenko"))) == SOCHI - {url}
        assert urls_of(conn, search(conn, "Zanzibar")) == [sorted(COMET)[0]]
        updated = index_content(conn)
    fresh = tmp_path / "fresh.duckdb"
    shutil.copyfile(db, fresh)
    with duckdb.connect(str(fresh)) as conn:
        conn.execute(
            "delete from fts_main_articles.terms; delete from fts_main_articles.docs;"
            " delete from fts_main_articles.dict"
        )
        assert update_search_index(conn).added == len(ARTICLES) - 1
        assert index_content(conn) == updated
    with duckdb.connect(pragma_index(db, tmp_path)) as conn:
        assert index_content(conn) == updated


def test_a_batch_size_below_one_is_refused(tmp_path):
    with open_archive(tmp_path / "a.duckdb") as conn, pytest.raises(InputError, match="batch"):
        update_search_index(conn, batch_size=0)


def test_the_stopwords_are_the_extensions(tmp_path):
    words = extension_stopwords()
    assert {"the", "and", "hello"} <= set(words) and len(words) > 500
    with open_archive(tmp_path / "a.duckdb") as conn:
        update_search_index(conn)
        update_search_index(conn)
        stored = conn.execute("select sw from fts_main_articles.stopwords order by sw").fetchall()
    assert [word for (word,) in stored] == sorted(set(words))


def test_an_archive_with_the_pragmas_index_is_indexed_anew_after_migration_015(
    example_db, tmp_path
):
    db = pragma_index(example_db, tmp_path)  # as archives were before migration 015
    with duckdb.connect(db) as conn:
        conn.execute("delete from schema_migrations where version = 15")
        conn.execute(
            "create table search_index_state (fingerprint varchar not null,"
            " built_at timestamptz not null)"
        )
        assert "tf" not in _columns(conn, "terms")
    with open_archive(db) as conn:  # migrated: the pragma's index gives way to the tables
        assert "tf" in _columns(conn, "terms")
        with pytest.raises(StorageError, match="no search index"):
            search(conn, "Lukashenko")
        assert update_search_index(conn).added == len(ARTICLES)
        assert set(urls_of(conn, search(conn, "Lukashenko"))) == SOCHI


def test_a_batch_whose_rows_moved_since_the_plan_is_read_from_the_whole_table(
    example_db, tmp_path, monkeypatch
):
    # Batches read their texts from the row positions the plan found; should a checkpoint
    # have moved the rows meanwhile, the batch comes up short and is read again from all.
    import tasks.search_index as search_index

    indexed = []
    real_query = search_index.query
    for moved in (False, True):
        copy = str(tmp_path / f"moved-{moved}.duckdb")
        shutil.copyfile(example_db, copy)

        def query(name: str, moved: bool = moved) -> str:
            sql = real_query(name)
            if moved and name == "fts/search_batch_rows":
                sql = sql.replace("min(row_position)", "min(row_position) + 1000")
            return sql

        monkeypatch.setattr(search_index, "query", query)
        with open_archive(copy) as conn:
            conn.execute("delete from fts_main_articles.docs")
            update = update_search_index(conn, batch_size=2)
            assert update.batches > 1 and update.added == update.indexed
            indexed.append(index_content(conn))
    assert indexed[0] == indexed[1]
    assert indexed[0][0]
