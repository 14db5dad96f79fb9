from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tasks.raw_archive import WarcArchive, read_payload, record_id_for
from wirehouse.errors import ParseError

WHEN = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def test_records_are_read_back_by_offset(tmp_path):
    bodies = [f"<p>page {i}</p>".encode() * (i + 1) for i in range(5)]
    with WarcArchive(tmp_path, "run1") as archive:
        records = [
            archive.write_response(
                f"https://a.example/{i}",
                200,
                [("Content-Type", "text/html"), ("Content-Encoding", "gzip")],
                body,
                WHEN,
            )
            for i, body in enumerate(bodies)
        ]
    assert len({r.warc_path for r in records}) == 1
    for record, body in zip(reversed(records), reversed(bodies), strict=True):
        payload, content_type = read_payload(
            record.warc_path, record.warc_offset, record.warc_length
        )
        assert payload == body
        assert content_type == "text/html"
    assert records[0].record_id == record_id_for("https://a.example/0", records[0].payload_sha256)


def test_files_roll_over_at_the_size_limit(tmp_path):
    with WarcArchive(tmp_path, "run2", max_file_bytes=1) as archive:
        first = archive.write_response("https://a.example/1", 200, [], b"x" * 100, WHEN)
        second = archive.write_response("https://a.example/2", 200, [], b"y" * 100, WHEN)
    assert first.warc_path != second.warc_path
    assert read_payload(second.warc_path, second.warc_offset, second.warc_length)[0] == b"y" * 100


def test_a_wrong_offset_is_a_parse_error(tmp_path):
    with WarcArchive(tmp_path, "run3") as archive:
        record = archive.write_response("https://a.example/1", 200, [], b"body", WHEN)
    # every wrong offset, not most: warcio read some of them as an empty record
    for shift in range(1, 40):
        with pytest.raises(ParseError):
            read_payload(record.warc_path, record.warc_offset + shift, record.warc_length)


def test_archive_files_are_standard_warc(tmp_path):
    """Any WARC reader reads what we write: warcio, and our own WARC input path."""
    from warcio.archiveiterator import ArchiveIterator

    from tasks.warc_input import WarcResponse, read_warc

    body = "<html><body>Grüße \\r\\n from the archive</body></html>".encode()
    with WarcArchive(tmp_path, "std") as archive:
        record = archive.write_response(
            "https://a.example/x?q=1", 200, [("Content-Type", "text/html; charset=utf-8"),
                                              ("X-Odd", "line\\r\\nbreak")], body, WHEN,
        )  # fmt: skip
    seen = []
    with open(record.warc_path, "rb") as handle:
        for parsed in ArchiveIterator(handle, check_digests=True):
            seen.append(
                (
                    parsed.rec_type,
                    parsed.rec_headers.get_header("WARC-Target-URI"),
                    parsed.rec_headers.get_header("WARC-Date"),
                    parsed.http_headers.get_statuscode(),
                    parsed.content_stream().read(),
                )
            )
    assert seen == [("response", "https://a.example/x?q=1", "2024-05-01T12:00:00Z", "200", body)]
    (again,) = list(read_warc(record.warc_path))
    assert isinstance(again, WarcResponse) and again.payload == body and again.status_code == 200
