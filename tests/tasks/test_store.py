"""Articles and rejections as stored: dates with their day and offset, page kinds."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

from tasks import store
from tasks.articles import save_extractions
from wirehouse.db import open_archive
from wirehouse.records import Extraction, RawRecord, Rejection

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


def _page(record_id: str, url: str, text: str, canonical: str | None = None) -> Extraction:
    return Extraction(
        record_id=record_id,
        url=url,
        canonical_url=canonical,
        title="Harbour road",
        author=None,
        page_date=None,
        sitename=None,
        language="en",
        text=text,
        boilerplate_ratio=0.5,
    )


def _fetched(conn, pages: list[tuple[Extraction, datetime]]) -> None:
    store.save_fetches(
        conn,
        "run",
        [],
        [
            RawRecord(
                page.record_id, page.url, "a.warc.gz", 0, 1, "sha", 200, "text/html", at, "fetch"
            )
            for page, at in pages
        ],
    )


def _versions(address: str, count: int) -> list[tuple[Extraction, datetime]]:
    """``count`` texts of one page, fetched an hour apart: record ids v0, v1, ..."""
    return [
        (
            _page(f"v{n}", address, f"The harbour road closes at {n} tonight."),
            FETCHED + timedelta(hours=n),
        )
        for n in range(count)
    ]


def _state(conn) -> tuple[list[tuple], list[tuple]]:
    articles = conn.execute("select url, record_id, text from articles").fetchall()
    pending = [row[0] for row in conn.execute(store.query("pending_records")).fetchall()]
    return articles, pending


def test_the_page_at_an_articles_address_holds_it_over_pages_claiming_it(tmp_path):
    # In either order, in one batch or across batches: an AMP copy and another page of the
    # site naming the article's address as theirs give way to the page at that address,
    # and, having given way, are not pending (extracted again by every run).
    address = "https://www.ledger.com/news/harbour"
    real = (_page("real", address, "The harbour road closes tonight."), FETCHED)
    amp = (_page("amp", "https://amp.ledger.com/harbour", "AMP copy.", address), FETCHED)
    later = FETCHED + timedelta(hours=1)
    claim = (_page("claim", "https://comments.ledger.com/c1", "Comments.", address), later)
    for n, batches in enumerate(
        [[[real, amp, claim]], [[claim, amp, real]], [[claim], [real], [amp]]]
    ):
        with open_archive(tmp_path / f"{n}.duckdb") as conn:
            _fetched(conn, [real, amp, claim])
            for batch in batches:
                save_extractions(conn, batch)
            articles, pending = _state(conn)
            superseded = conn.execute("select record_id from superseded_records").fetchall()
        assert articles == [(address, "real", "The harbour road closes tonight.")]
        assert pending == [] and sorted(superseded) == [("amp",), ("claim",)]


def test_a_page_fetched_again_with_new_text_keeps_the_newest(tmp_path):
    address = "https://www.ledger.com/news/harbour"
    versions = _versions(address, 3)
    with open_archive(tmp_path / "a.duckdb") as conn:
        _fetched(conn, versions)
        save_extractions(conn, versions[:2])
        save_extractions(conn, versions[2:])
        save_extractions(conn, versions[:1])  # an old copy extracted late does not win
        articles, pending = _state(conn)
    assert articles == [(address, "v2", "The harbour road closes at 2 tonight.")]
    assert pending == []


def test_an_article_forgotten_for_its_page_releases_the_copies_it_had_replaced(tmp_path):
    # Its newest page read again as a rejection (a teaser): the article goes, and its older
    # full copy, which had given way to it, is pending again rather than lost for ever.
    address = "https://www.ledger.com/news/harbour"
    versions = _versions(address, 2)
    with open_archive(tmp_path / "a.duckdb") as conn:
        _fetched(conn, versions)
        save_extractions(conn, versions)
        assert _state(conn)[1] == []
        teaser = Rejection("v1", address, "not_article", "a teaser", page_kind="paywall")
        store.save_reextractions(conn, [], [teaser])
        articles, pending = _state(conn)
    assert articles == [] and pending == ["v0"]
