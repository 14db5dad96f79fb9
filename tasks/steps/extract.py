"""The extract step: archived responses to articles or rejections, in a pool of worker
processes; and re-extraction of the whole archive."""

from __future__ import annotations

import logging
import signal
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from types import FrameType

from tasks import progress
from tasks.articles import outcomes, save_extractions
from tasks.dedupe import text_sha256
from tasks.listed_titles import REJECTION_REASON as LISTS_ITS_SITE
from tasks.raw_archive import read_payload
from tasks.reports import ExtractReport, ReextractReport
from tasks.run_context import RunContext
from tasks.store import (
    count_articles,
    extraction_state,
    pending_records,
    save_problems,
    save_reextractions,
)
from tasks.workers import Lost, in_pool_worker, map_in_batches
from wirehouse.errors import ParseError, StorageUnavailable
from wirehouse.records import (
    DiscoveryProblem,
    Extraction,
    PendingRecord,
    Rejection,
    UnreadableRecord,
)
from wirehouse.settings import ExtractSettings

logger = logging.getLogger("wirehouse.extract")


EXTRACT_BATCH = 500  # records per load transaction: bounded memory, short write locks
PARALLEL_FROM = 64  # below this many pages, one worker: more start up slower than they save

Outcome = Extraction | Rejection | UnreadableRecord


# One page at a time per process. trafilatura's passes over lxml trees are not safe to run
# in several threads at once: a cold process extracting six pages in six threads aborted
# with "double free or corruption" or a segfault in 5 of 36 tries; with this lock, 0 of 40.
# In a pool worker the lock is never contended; in a run's own process it is what keeps
# the process alive whatever calls in from which thread.
_one_page_at_a_time = threading.Lock()


class _TooSlow(BaseException):
    """Raised into an extraction that ran out of time. Not an Exception: trafilatura's own
    ``except Exception`` blocks must not swallow it and carry on with the page."""


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block after ``seconds`` (SIGALRM), in a pool's worker process only:
    a run's own process may be a Prefect flow run, whose timeouts use the same signal and
    timer. (Runs extract every page in workers; a caller of ``extract_body`` of its own,
    outside a pool, gets no limit.) Python code is cut at once; a single C call (one lxml
    parse) is not, and is stopped with its worker by the pool (``hard_limit_s``).

    The signal comes again every quarter second until the block ends: one that lands in a
    finalizer (a ``__del__`` run by the garbage collector) is printed and dropped by
    Python, and a page that ran past its time is rejected even if every one was."""
    if not in_pool_worker() or threading.current_thread() is not threading.main_thread():
        yield
        return
    expired = False

    def expire(signum: int, frame: FrameType | None) -> None:
        nonlocal expired
        expired = True
        raise _TooSlow

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.25)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    if expired:
        raise _TooSlow


def extract_body(
    body: bytes, url: str, content_type: str | None, settings: ExtractSettings, record_id: str
) -> Extraction | Rejection:
    """Extract a body in hand (runs in a worker process as pages arrive): one page's
    surprise is its rejection, never the batch's, and so is a page that takes longer than
    ``max_extract_s``."""
    # Imported here: the workers have it loaded already (tasks/worker_preload.py), and the
    # run's own process, which mostly fetches, then never loads trafilatura at all.
    from tasks.extract import extract_page

    try:
        with _one_page_at_a_time, _time_limit(settings.max_extract_s):
            return extract_page(body, url, content_type, settings, record_id)
    except _TooSlow:
        detail = f"extraction took over {settings.max_extract_s:g}s (WIREHOUSE_MAX_EXTRACT_S)"
        return Rejection(record_id, url, "too_slow", detail)
    except Exception as exc:
        return Rejection(record_id, url, "extraction_failed", f"{type(exc).__name__}: {exc}")


def extract_record(record: PendingRecord, settings: ExtractSettings) -> Outcome:
    """Read one archived response back and extract it (runs in a worker process). A record
    that cannot be read is a storage problem, never a verdict on the page."""
    try:
        body, stored_type = read_payload(record.warc_path, record.warc_offset, record.warc_length)
    except (ParseError, StorageUnavailable) as exc:
        return UnreadableRecord(record.record_id, record.url, exc.reason, exc.detail)
    return extract_body(
        body, record.url, stored_type or record.content_type, settings, record.record_id
    )


def hard_limit_s(settings: ExtractSettings) -> float:
    """How long a page may be with the worker pool before its worker is stopped: the limit
    cuts Python code at ``max_extract_s``, but not a single C call (lxml parsing a tag of
    200,000 attributes runs for minutes); a page may also wait behind one other page."""
    return 2 * settings.max_extract_s + 10


def lost_page(url: str, record_id: str, why: Lost, settings: ExtractSettings) -> Rejection:
    """The rejection of a page whose worker was stopped or died: recorded, so that the page
    is not handed out again on every run."""
    if why == "timed_out":
        detail = (
            f"extraction ran past {hard_limit_s(settings):g}s in one call and its worker "
            f"was stopped (WIREHOUSE_MAX_EXTRACT_S={settings.max_extract_s:g})"
        )
        return Rejection(record_id, url, "too_slow", detail)
    detail = "the worker process extracting it died, twice"
    return Rejection(record_id, url, "extraction_failed", detail)


def extract_in_batches(
    records: Sequence[PendingRecord], settings: ExtractSettings, workers: int | None = None
) -> Iterator[list[tuple[PendingRecord, Outcome]]]:
    """Extract records batch by batch (a batch is one load transaction); large jobs in the
    worker pool, records, not bodies, sent to the workers."""

    def lost(record: PendingRecord, why: Lost) -> Outcome:
        return lost_page(record.url, record.record_id, why, settings)

    yield from map_in_batches(
        extract_record, records, settings, EXTRACT_BATCH, workers,
        parallel_from=PARALLEL_FROM, hard_limit_s=hard_limit_s(settings), lost=lost,
    )  # fmt: skip


def _located(ctx: RunContext, records: Sequence[PendingRecord]) -> list[PendingRecord]:
    """The records with their WARC paths resolved from the database's folder."""
    found: dict[str, str] = {}
    located = []
    for record in records:
        path = found.get(record.warc_path)
        if path is None:
            try:
                path = str(ctx.warc_file(record.warc_path))
            except StorageUnavailable:
                path = record.warc_path  # reading it fails, and says so, per record
            found[record.warc_path] = path
        located.append(replace(record, warc_path=path))
    return located


def _storage_problems(
    ctx: RunContext, unreadable: Sequence[UnreadableRecord]
) -> list[DiscoveryProblem]:
    if unreadable:
        logger.warning(
            "%d archived responses could not be read back (first: %s); they are tried again "
            "next run",
            len(unreadable),
            unreadable[0].detail,
        )
    return [DiscoveryProblem(u.url, u.reason, u.detail) for u in unreadable]


def extract_pending(ctx: RunContext, workers: int | None = None) -> ExtractReport:
    """Extract every archived response not yet turned into an article or a rejection (of
    the run's shard only, so no two shards write one article). Responses that cannot be
    read back stay pending and are reported."""
    with ctx.open() as conn:
        pending = _located(ctx, [r for r in pending_records(conn) if ctx.owns(r.url)])
        before = count_articles(conn)
    if not pending:  # the usual case: the fetch step extracted every page as it came
        return ExtractReport(extracted=0, new_articles=0, rejected={}, unreadable={})
    rejected: Counter[str] = Counter()
    unreadable: list[UnreadableRecord] = []
    extracted = 0
    for batch in extract_in_batches(pending, ctx.settings.extract, workers):
        rejected.update(o.counted_as for _, o in batch if isinstance(o, Rejection))
        progress.count("extracted", sum(1 for _, o in batch if isinstance(o, Extraction)))
        progress.count("rejected", sum(1 for _, o in batch if isinstance(o, Rejection)))
        unreadable.extend(o for _, o in batch if isinstance(o, UnreadableRecord))
        kept = [(o, r.fetched_at) for r, o in batch if not isinstance(o, UnreadableRecord)]
        with ctx.open(migrated=True) as conn:
            written, _ = save_extractions(conn, kept)  # the articles' identity is derived there
        extracted += written
    with ctx.open(migrated=True) as conn:
        save_problems(conn, ctx.run_id, _storage_problems(ctx, unreadable))
        after = count_articles(conn)
    return ExtractReport(
        extracted=extracted,
        new_articles=after - before,
        rejected=dict(sorted(rejected.items())),
        unreadable=dict(sorted(Counter(u.reason for u in unreadable).items())),
    )


def reextract(ctx: RunContext, workers: int | None = None) -> ReextractReport:
    """Extract every archived response again (after a trafilatura upgrade, say) and keep
    what changed: new texts, pages that became articles, articles that became rejections.
    A response that cannot be read back (its WARC file missing or damaged) leaves its
    article or rejection as it was, and is reported."""
    with ctx.open() as conn:
        state = extraction_state(conn)
    records = _located(ctx, [record for record, _, _ in state])
    before = {
        record.record_id: (article_sha, rejection) for record, article_sha, rejection in state
    }
    unchanged = changed = new_articles = now_rejected = 0
    reasons: Counter[str] = Counter()
    unreadable: list[UnreadableRecord] = []
    for batch in extract_in_batches(records, ctx.settings.extract, workers):
        keep: list[tuple[Extraction | Rejection, datetime]] = []
        for record, outcome in batch:
            article_sha, rejection = before[record.record_id]
            if isinstance(outcome, UnreadableRecord):
                unreadable.append(outcome)
                continue
            if rejection == LISTS_ITS_SITE and not isinstance(outcome, Rejection):
                # The archive found the page to list its site's articles; one page read
                # again cannot overturn what the site showed.
                unchanged += 1
                continue
            if isinstance(outcome, Rejection):
                if rejection == outcome.reason:
                    unchanged += 1
                    continue
                now_rejected += article_sha is not None
                reasons[outcome.counted_as] += 1
            elif article_sha == text_sha256(outcome.text):
                unchanged += 1
                continue
            elif article_sha is None:
                new_articles += 1
            else:
                changed += 1
            keep.append((outcome, record.fetched_at))
        if keep:
            with ctx.open(migrated=True) as conn:
                save_reextractions(conn, *outcomes(keep))
    if unreadable:
        with ctx.open(migrated=True) as conn:
            save_problems(conn, ctx.run_id, _storage_problems(ctx, unreadable))
    return ReextractReport(
        records=len(records),
        unchanged=unchanged,
        changed=changed,
        new_articles=new_articles,
        now_rejected=now_rejected,
        rejected_reasons=dict(sorted(reasons.items())),
        unreadable=len(unreadable),
    )
