"""Articles and rejections as stored: dates with their day and offset, page kinds."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

from tasks import store
from tasks.articles import save_extractions
from wirehouse.db import open_archive
from wirehouse.records import Extraction, Rejection

FETCHED = datetime(2024, 3, 12, tzinfo=UTC)


def test_sketches_come_sorted_and_copies_share_one_text(tmp_path, monkeypatch):
    # more rows than one fetch, so that rows of several fetches share texts too
    monkeypatch.setattr(store, "SKETCHES_FETCHED", 2)
    wire = "Storm closes the harbour road; ferries wait for the tide to turn tonight."
    texts = [wire, "The council approved the budget for the new library wing.", wire, wire]
    pages = [
        (
            Extraction(
                record_id=f"r{n}",
                url=f"https://site{n}.example.com/news/{n}",
                canonical_url=None,
                title=f"Page {n}",
                author=None,
                page_date=None,
                sitename=None,
                language="en",
                text=text,
                boilerplate_ratio=0.5,
            ),
            FETCHED,
        )
        for n, text in enumerate(texts)
    ]
    with open_archive(tmp_path / "a.duckdb") as conn:
        save_extractions(conn, pages)
        sketches = store.article_sketches(conn)
    assert [s.article_id for s in sketches] == sorted(s.article_id for s in sketches)
    copies = [s.text for s in sketches if s.text == wire]
    assert len(copies) == 3
    assert all(text is copies[0] for text in copies)  # one string, not three
    assert sorted(s.text for s in sketches) == sorted(texts)
    # without their texts, read by id where they are needed
    with open_archive(tmp_path / "a.duckdb") as conn:
        bare = store.article_sketches(conn, with_texts=False)
        read = store.article_texts(conn, [s.article_id for s in sketches[:2]] + ["gone"])
    assert bare == [replace(s, text="") for s in sketches]
    assert read == {s.article_id: s.text for s in sketches[:2]}


def test_dates_are_stored_with_the_publishers_day_offset_and_source(tmp_path):
    eastern = timezone(timedelta(hours=-5))
    article = Extraction(
        record_id="r1",
        url="https://ledger.example.com/news/ferry",
        canonical_url=None,
        title="Ferry",
        author=None,
        page_date=datetime(2024, 3, 9, 23, 30, tzinfo=eastern),
        sitename=None,
        language="en",
        text="The harbour council voted to approve a new ferry timetable.",
        boilerplate_ratio=0.5,
        published_day=date(2024, 3, 9),
        utc_offset_minutes=-300,
        modified_at=datetime(2024, 3, 11, 8, 15, tzinfo=eastern),
        date_source="json-ld",
    )
    listing = Rejection(
        "r2", "https://shop.example.com/c/kettles", "not_article", "24 cards", page_kind="listing"
    )
    with open_archive(tmp_path / "a.duckdb") as conn:
        assert save_extractions(conn, [(article, FETCHED), (listing, FETCHED)]) == (1, 1)
        row = conn.execute(
            "select published_at, published_day, published_utc_offset_minutes, modified_at,"
            " date_source, page_date from articles"
        ).fetchone()
        kind = conn.execute("select reason, page_kind from rejections").fetchone()
    assert row is not None
    published_at, day, offset, modified_at, source, page_date = row
    assert published_at == page_date == datetime(2024, 3, 10, 4, 30, tzinfo=UTC)  # an instant
    assert (day, offset, source) == (date(2024, 3, 9), -300, "json-ld")
    assert modified_at == datetime(2024, 3, 11, 13, 15, tzinfo=UTC)
    assert kind == ("not_article", "listing")


def test_new_fingerprints_replace_the_old_ones_and_an_article_with_none_keeps_none(tmp_path):
    import numpy as np

    from tasks.store import copy_fingerprints_of, replace_fingerprints

    with open_archive(tmp_path / "a.duckdb") as conn:
        replace_fingerprints(conn, {"a1": np.array([3, 1], dtype=np.uint64), "a2": [7]})
        replace_fingerprints(conn, {"a1": np.array([2**64 - 1], dtype=np.uint64), "a2": []})
        assert copy_fingerprints_of(conn, ["a1", "a2"]) == {"a1": [2**64 - 1]}
