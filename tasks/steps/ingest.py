"""The ingest step: responses of WARC/ARC files into the archive, as if fetched; and what
stopped runs archived but never recorded."""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from tasks.chunked_load import ChunkedLoad
from tasks.raw_archive import (
    archive_files,
    index_archive_file,
    record_id_for,
    stored_path,
    unindexed_files,
)
from tasks.reports import IndexReport, IngestReport
from tasks.run_context import RunContext
from tasks.store import all_record_ids, archived_warc_paths, save_indexed_files, unfinished_runs
from tasks.urls import is_http_url, normalize_url
from tasks.warc_input import WarcResponse, read_warc
from wirehouse.records import (
    DiscoveryProblem,
)

logger = logging.getLogger("wirehouse.ingest")


# WARC records that are not pages at all: counted, neither archived nor reported as problems.
_NOT_PAGES = frozenset({"not_response", "no_http_headers"})
# Longer than any address a server takes (8 KB is the common limit of a request line).
MAX_URL_CHARS = 8 * 1024


def ingest_warcs(ctx: RunContext, paths: Sequence[str]) -> IngestReport:
    """Copy the responses of existing WARC/ARC files into the archive, as if fetched;
    damaged records are skipped with their reason, the rest of the file goes on. Records
    are committed in chunks as they are copied."""
    problems: Counter[str] = Counter()
    responses = other_records = new_records = 0
    with ctx.open() as conn:
        known = all_record_ids(conn)
    with ctx.warc_archive("-ingest") as archive:
        load = ChunkedLoad(ctx, archive)
        for path in paths:
            items = read_warc(path, max_payload_bytes=ctx.settings.fetch.max_body_bytes)
            while True:
                try:
                    item = next(items, None)
                except Exception as exc:  # the reader itself failed: the rest of this file
                    problem = DiscoveryProblem.from_exception(path, exc)
                    problems[problem.reason] += 1
                    load.add(problems=[problem], pages=0)
                    break
                if item is None:
                    break
                if not isinstance(item, WarcResponse):
                    if item.reason in _NOT_PAGES:
                        other_records += 1
                    else:
                        problems[item.reason] += 1
                        load.add(
                            problems=[DiscoveryProblem(item.source, item.reason, item.detail)],
                            pages=0,
                        )
                    continue
                responses += 1
                if not 200 <= item.status_code < 300:
                    # A crawl's archive keeps its redirects and error pages; fetched, neither
                    # would be a page (a recorded 404 page was stored as an article).
                    if 300 <= item.status_code < 400:
                        other_records += 1
                    else:
                        reason = f"http_{item.status_code}"
                        problems[reason] += 1
                        detail = f"HTTP {item.status_code}: {item.url[:300]}"
                        problem = DiscoveryProblem(item.source, reason, detail)
                        load.add(problems=[problem], pages=0)
                    continue
                if len(item.url) > MAX_URL_CHARS or not is_http_url(item.url):
                    # "http://[::1/", a port of 99999, a host of a megabyte: no page's address
                    problems["malformed"] += 1
                    detail = f"bad WARC-Target-URI {item.url[:200]!r}"
                    load.add(problems=[DiscoveryProblem(item.source, "malformed", detail)], pages=0)
                    continue
                url = normalize_url(item.url)  # once, as discovery does for fetched URLs
                record_id = record_id_for(url, hashlib.sha256(item.payload).hexdigest())
                if record_id in known:
                    continue
                known.add(record_id)
                record = archive.write_response(
                    url, item.status_code, item.headers, item.payload, item.fetched_at, "warc"
                )
                new_records += 1
                load.add(record=record)
        load.commit()
    return IngestReport(
        responses=responses,
        new_records=new_records,
        other_records=other_records,
        skipped=dict(sorted(problems.items())),
    )


def ingest_unrecorded(ctx: RunContext) -> IndexReport:
    """Index what stopped runs wrote to the archive but never recorded: the files no row
    points at, and the files of runs that never finished (their tails). Recovered responses
    become raw records like any other and are extracted by the next extract step."""
    with ctx.open() as conn:
        stored = archived_warc_paths(conn)
        stopped = unfinished_runs(conn, ctx.run_id)
        known = all_record_ids(conn)
    files = unindexed_files(ctx.archive_dir, stored)
    files += [
        path
        for path in archive_files(ctx.archive_dir)
        if path not in files and _written_by(path, stopped)
    ]
    return _index_files(ctx, files, known)


def index_stopped_runs_files(ctx: RunContext) -> IndexReport:
    """At a run's start, the files this archive's own stopped runs wrote and no row points
    at (a run stopped before its first commit: Ctrl-C, a kill, a crash), indexed: each was
    reported as `unindexed_archive_file` on every later run until the maintenance flow
    read it, which a user of the command line never runs. A file of a run this archive
    never had (another archive's, sharing the folder) is not taken: discover reports it."""
    with ctx.open() as conn:
        stored = archived_warc_paths(conn)
        stopped = unfinished_runs(conn, ctx.run_id)
        files = [
            path for path in unindexed_files(ctx.archive_dir, stored) if _written_by(path, stopped)
        ]
        known = all_record_ids(conn) if files else set()
    return _index_files(ctx, files, known)


def _written_by(path: Path, run_ids: Sequence[str]) -> bool:
    return any(f"-{run_id}-" in path.name for run_id in run_ids)


def _index_files(ctx: RunContext, files: Sequence[Path], known: set[str]) -> IndexReport:
    """The responses of ``files`` that ``known`` lacks, recorded; each file recorded as
    read through."""
    if not files:
        return IndexReport(files=0, recovered=0)
    load = ChunkedLoad(ctx)
    recovered = 0
    read_through: list[tuple[str, int]] = []
    for path in files:
        responses = 0
        for record in index_archive_file(path, ctx.db_dir):
            responses += 1
            if record.record_id not in known:
                known.add(record.record_id)
                recovered += 1
                load.add(record=record)
        read_through.append((stored_path(path, ctx.db_dir), responses))
    load.commit()
    with ctx.open(migrated=True) as conn:
        # A file whose every response was recorded from another file has no row pointing
        # at it: recorded as read, it is no longer reported as unindexed on every run.
        save_indexed_files(conn, read_through)
    return IndexReport(files=len(files), recovered=recovered)
