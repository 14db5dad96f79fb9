"""Full-text search over the articles, with DuckDB's fts extension.

The extension comes from the ``duckdb-extension-fts`` package (pinned to the duckdb version),
so nothing is downloaded at run time: it is loaded from the file inside that package.

The index is the extension's own layout (schema ``fts_main_articles``: docs, dict, terms,
and the ``match_bm25`` macro), kept as plain tables (migration 015) that
``update_search_index`` brings up to date with the articles: the docs of articles removed
or changed since go, the articles the index lacks are tokenized, stemmed and added in
batches. The extension's pragma rebuilt the whole index whenever anything changed, holding
all of it in memory at once; an update costs what changed. Tokens, stopwords, stems and
scores are the pragma's (``sql/queries/fts/create_search_macros.sql``); the corpus figures
BM25 needs (articles, average length, a term's article count) are counted at query time
from the tables, so no update has to keep them right. Between updates the index is a
snapshot.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb

from wirehouse.db import query, transaction
from wirehouse.errors import InputError, StorageError

EXTENSION_FILE = "fts.duckdb_extension"
# Articles tokenized per transaction: an update's memory grows with this, not the archive.
BATCH_SIZE = 250


def extension_path() -> Path:
    """The fts extension file that ships in ``duckdb-extension-fts`` for this duckdb version."""
    try:
        import duckdb_extension_fts
    except ImportError as exc:
        raise StorageError(
            f"full-text search needs the duckdb-extension-fts=={duckdb.__version__} package"
        ) from exc
    folder = Path(duckdb_extension_fts.__file__).resolve().parent / "extensions"
    return folder / f"v{duckdb.__version__}" / EXTENSION_FILE


def load_fts(conn: duckdb.DuckDBPyConnection) -> None:
    """Load the fts extension into this connection from the installed package's file."""
    path = extension_path()
    if not path.is_file():
        raise StorageError(
            f"no fts extension for duckdb {duckdb.__version__} at {path}: "
            f"install duckdb-extension-fts=={duckdb.__version__}"
        )
    literal = str(path).replace("'", "''")
    try:
        conn.execute(f"load '{literal}'")
    except duckdb.Error as exc:
        raise StorageError(f"cannot load the fts extension from {path}: {exc}") from exc


def _article_count(conn: duckdb.DuckDBPyConnection) -> int:
    row = conn.execute(query("count_articles")).fetchone()
    return int(row[0]) if row else 0


def _index_exists(conn: duckdb.DuckDBPyConnection) -> bool:
    row = conn.execute(query("search_index_exists")).fetchone()
    return bool(row and row[0])


@cache
def extension_stopwords() -> tuple[str, ...]:
    """The fts extension's English stopwords: the words its own index leaves out."""
    with duckdb.connect() as scratch:
        load_fts(scratch)
        scratch.execute(query("fts/scratch_table"))
        words = scratch.execute(query("fts/extension_stopwords")).fetchall()
    return tuple(str(word) for (word,) in words)


def _has_stopwords(conn: duckdb.DuckDBPyConnection) -> bool:
    return conn.execute(query("fts/has_stopwords")).fetchone() is not None


@dataclass(frozen=True, slots=True)
class IndexUpdate:
    """What one update of the index did: docs taken out, articles (re)indexed, in how many
    batches, and the articles it holds after."""

    removed: int
    added: int
    batches: int
    indexed: int


def update_search_index(
    conn: duckdb.DuckDBPyConnection, batch_size: int = BATCH_SIZE
) -> IndexUpdate:
    """Bring the index up to date with the articles: take out the docs of articles removed
    or changed since the last update, then index the articles it lacks, ``batch_size`` at a
    time, each batch committed on its own (memory is bounded by the batch, not the archive;
    a stopped update resumes where it stopped)."""
    if batch_size < 1:
        raise InputError(f"batch_size must be at least 1, got {batch_size}", reason="bad_batch")
    load_fts(conn)
    conn.execute(query("fts/plan_search_index_update"), {"batch_size": batch_size})
    row = conn.execute(query("fts/search_index_diff_size")).fetchone()
    removed, added, batches = (int(n) for n in row) if row else (0, 0, 0)
    if not _index_exists(conn) or removed or added:
        with transaction(conn):
            conn.execute(query("fts/create_search_macros"))
            if not _has_stopwords(conn):  # read from the extension once, when first indexed
                conn.execute(query("fts/save_stopwords"), {"words": list(extension_stopwords())})
            conn.execute(query("fts/forget_stale_search_docs"))
    with _one_thread(conn):
        for batch in range(batches):
            with transaction(conn):
                _take_batch(conn, batch)
                conn.execute(query("fts/index_search_batch"))
    conn.execute(query("fts/drop_search_update_tables"))
    size = conn.execute(query("fts/search_index_size")).fetchone()
    return IndexUpdate(removed, added, batches, int(size[0]) if size else 0)


# Any row position: a batch whose articles moved since the plan is read from the whole table.
_ALL_ROWS = {"first_row": 0, "last_row": 2**62}


def _take_batch(conn: duckdb.DuckDBPyConnection, batch: int) -> None:
    """Tokenize the articles of ``batch`` into search_batch_terms, reading only the rows of
    the articles table where the plan found them: each batch scanning the whole table costs
    a read of every text per batch (an hourly run's few batches over a big archive) and
    fills DuckDB's cache with them. Row positions are DuckDB's rowids; should a checkpoint
    have moved them since the plan, the batch comes up short and is read again from all
    rows."""
    row = conn.execute(query("fts/search_batch_rows"), {"batch": batch}).fetchone()
    first_row, last_row, planned = row if row else (None, None, 0)
    if first_row is not None:
        bounds = {"first_row": int(first_row), "last_row": int(last_row)}
        conn.execute(query("fts/take_search_batch"), {"batch": batch, **bounds})
        taken = conn.execute(query("fts/search_batch_size")).fetchone()
        if taken is not None and int(taken[0]) == int(planned):
            return
    conn.execute(query("fts/take_search_batch"), {"batch": batch, **_ALL_ROWS})


@contextmanager
def _one_thread(conn: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """DuckDB on one thread meanwhile. Tokenizing and stemming a batch on two threads took
    twice the CPU (1,476 texts: 0.45 s a batch of 250 against 0.23 s) and a sixth more
    memory, for little less time on a machine whose other core is extracting."""
    row = conn.execute(query("fts/threads")).fetchone()
    conn.execute(query("fts/set_threads"), {"threads": 1})
    try:
        yield
    finally:
        if row:
            conn.execute(query("fts/set_threads"), {"threads": int(row[0])})


def search(
    conn: duckdb.DuckDBPyConnection, terms: str, limit: int = 20
) -> list[tuple[str, str, str | None, float]]:
    """(article_id, domain, title, score) of the articles matching ``terms``, best first."""
    if limit < 1:
        raise InputError(f"limit must be at least 1, got {limit}", reason="bad_limit")
    if not _index_exists(conn):
        if _article_count(conn) == 0:
            return []
        raise StorageError(
            "the archive has no search index yet: a `wirehouse run` or the maintenance flow builds it"
        )
    load_fts(conn)
    rows = conn.execute(
        query("fts/search_articles"), {"terms": terms, "max_rows": limit}
    ).fetchall()
    return [(str(a), str(d), t, float(s)) for a, d, t, s in rows]
