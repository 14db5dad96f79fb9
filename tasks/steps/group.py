"""The group step: copies, origins, stories and story lines for what is new or changed."""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack

import duckdb
import numpy as np

from tasks.dedupe import (
    ShingleHasher,
    TextReader,
    find_copy_links,
    held_texts,
    minhash_keys,
    texts_in,
    verified_copies,
)
from tasks.origins import AGGREGATOR_COPY_SHARE, AGGREGATOR_MIN_COPIES
from tasks.reports import GroupReport
from tasks.run_context import RunContext
from tasks.shingle_spill import ShingleSpill
from tasks.steps.site_passes import site_passes
from tasks.store import (
    TEXTS_COUNTED,
    all_article_ids,
    article_sketches,
    article_texts,
    copy_fingerprints_of,
    count_articles,
    grouping_partners,
    grouping_totals,
    grouping_working_set,
    known_aggregators,
    pending_grouping,
    previous_grouping,
    replace_fingerprints,
    save_grouping,
    site_furniture_of,
    story_vectors_of,
    storyline_neighbours,
    term_counts,
    unsketched_articles,
)
from tasks.stories import group_stories
from tasks.story_vectors import strongest_terms, terms_of
from tasks.storylines import storylines
from tasks.text_pass import PassSetting, TextPass, TextPassPool, pass_over
from wirehouse.db import grouping_lock, query, transaction
from wirehouse.records import (
    ArticleSketch,
    PreviousGrouping,
    StoredStory,
    StoryForLine,
    StorylineResult,
    StoryResult,
    StoryVector,
    TermCounts,
)
from wirehouse.settings import DedupeSettings

logger = logging.getLogger("wirehouse.group")


def group_articles(ctx: RunContext) -> GroupReport:
    """Group the articles that are new or changed since the last run, one grouping at a
    time over the whole archive (on DuckLake: under the catalog's grouping lock, waiting
    for a grouping under way). A shard run on DuckLake leaves it to the one grouping after
    the shards (``wirehouse group``, the crawl's fan-out) and reports the archive as it is.
    """
    if ctx.is_lake and ctx.shard is not None:
        logger.info("shard %s: grouping is left to the run after the shards", ctx.shard)
        with ctx.open() as conn:
            totals = grouping_totals(conn)
        return GroupReport(totals.articles, totals.copies, totals.copy_groups, totals.stories, 0)
    with grouping_lock(ctx.db_path):
        return _group_articles(ctx)


def _group_articles(ctx: RunContext) -> GroupReport:
    """Group the articles that are new or changed since the last run.

    Their MinHash keys go to the archive first, so their copies are found anywhere in it;
    the stored stories dated near them that their tf-idf probes are alike to are the
    stories they may join. Those, the new articles and their copies are the working set,
    regrouped with what earlier runs joined kept joined; story lines are then drawn again
    from stored story vectors. Other stories stay as they are, so a run costs what its
    new articles touch, not what the archive holds."""
    db = _StepConnection(ctx)
    try:
        with ShingleSpill() as spill:
            return _group(db, ctx.settings.dedupe, spill)
    finally:
        db.release()


def _group(db: _StepConnection, settings: DedupeSettings, spill: ShingleSpill) -> GroupReport:
    """What ``group_articles`` does, over the step's one connection; the new texts'
    shingles are kept in ``spill`` from the first pass over them until the story links.
    What the archive knows of each site is applied to its texts first: its furniture and
    its other articles' titles go (tasks/steps/site_passes.py)."""
    site_passes(db.conn())
    pending = pending_grouping(db.conn())
    if not pending:
        totals = grouping_totals(db.conn())
        return GroupReport(totals.articles, totals.copies, totals.copy_groups, totals.stories, 0)
    stored = term_counts(db.conn())
    afresh = _counts_drifted(stored, len(pending), count_articles(db.conn()))
    if afresh:
        stored = _count_terms(db, sorted(set(all_article_ids(db.conn())) - set(pending)))
    # The new texts, a chunk at a time (a first run over a big archive holds one chunk of
    # texts, not all): their terms are counted into the archive's document frequencies,
    # their MinHash keys stored, and their probes (strongest terms) kept to find the
    # stored stories they may join. A small run keeps their terms too (see HOLD_TERMS),
    # for their vectors.
    found = _pass_over_pending(
        db, pending, PassSetting(stored, settings, keep_terms=len(pending) <= HOLD_TERMS), spill
    )
    new_counts: Counter[str] = Counter({TEXTS_COUNTED: len(pending)})
    new_counts.update(found.holding)
    if afresh:  # what is saved replaces the stored counts: it holds every text's terms
        new_counts.update(stored.holding)
        new_counts[TEXTS_COUNTED] += stored.texts
    probes = found.probes
    # The keys made here are kept (about 1 KB a text) so that finding copies in the working
    # set hashes no text again; the working set's other articles' keys are read back.
    keys = found.keys
    terms_of_pending = found.terms
    del found
    hasher = ShingleHasher(settings.shingle_size)

    def minhash_keys_of(sketch: ArticleSketch) -> np.ndarray:
        return minhash_keys(hasher.shingles(sketch.text), settings)

    missing = unsketched_articles(db.conn())
    _store_minhash_keys(db, missing, minhash_keys_of)
    partners = grouping_partners(
        db.conn(),
        settings.min_shared_bands,
        settings.max_band_postings,
        settings.max_copy_candidates,
    )
    to_verify = sorted({a for p, o, sure in partners if not sure for a in (p, o)})
    copies = verified_copies(
        partners, _reader(db, [a for a in to_verify if a not in spill]), settings, spill.read
    )
    holding = Counter() if afresh else Counter(stored.holding)
    holding.update(new_counts)
    counts = TermCounts(holding.pop(TEXTS_COUNTED) + (0 if afresh else stored.texts), holding)
    working_set = grouping_working_set(db.conn(), probes, sorted(copies), settings)
    whole = len(working_set) <= WHOLE_TEXTS_UP_TO
    sketches = article_sketches(db.conn(), working_set, with_texts=whole)
    texts = texts_in(sketches) if whole else db.texts
    stored_keys = copy_fingerprints_of(db.conn(), [a for a in working_set if a not in keys])
    keys.update((a, np.array(k, dtype=np.uint64)) for a, k in stored_keys.items())
    del stored_keys
    previous = previous_grouping(db.conn(), working_set)
    aggregators = known_aggregators(db.conn())
    furniture = site_furniture_of(db.conn(), working_set)
    if whole:
        db.release(before_work=len(sketches))
    links = find_copy_links(sketches, settings, keys, texts, spill.read, furniture)
    keys.clear()
    result = group_stories(
        sketches,
        links,
        settings,
        previous,
        frozenset(pending),
        aggregators,
        counts,
        terms_of_pending,
        os.cpu_count() or 1,
        texts,
        spill.read,
    )
    spill.close()
    terms_of_pending.clear()
    del holding, counts, sketches, texts  # any texts held go before story lines and writes
    old_ids = set(previous.story.values())
    days = {s.story_id: s.first_published_at for s in result.stories}
    # Lines may change around the stories that gained or lost articles; the stories that
    # were only read as candidates keep their lines (kept whole, not searched around).
    touched = set(pending) | copies
    changed = {g.story_id for g in result.groupings if g.article_id in touched}
    changed |= {kept for _merged, kept in result.merges}
    neighbours = storyline_neighbours(
        db.conn(),
        {
            v.story_id: strongest_terms(v.terms, settings.story_candidate_terms)
            for v in result.story_vectors
            if v.story_id in changed
        },
        days,
        sorted(old_ids | set(days)),
        settings,
    )
    kept = [n.story_id for n in neighbours if n.story_id not in old_ids]
    vectors = story_vectors_of(db.conn(), kept)
    db.release(before_work=len(result.stories) + len(neighbours))
    lines = _draw_storylines(result, previous, neighbours, vectors, settings)
    conn = db.conn()
    save_grouping(
        conn,
        result,
        links,
        working_set,
        lines,
        (AGGREGATOR_COPY_SHARE, AGGREGATOR_MIN_COPIES),
        new_counts,
        afresh,
    )
    totals = grouping_totals(conn)
    return GroupReport(
        articles=totals.articles,
        copies=totals.copies,
        copy_groups=totals.copy_groups,
        stories=totals.stories,
        new_stories=sum(1 for s in result.stories if s.story_id not in old_ids),
        regrouped=len(working_set),
    )


# Texts (or stories) the step works on between two database phases below which it keeps the
# file: such work takes well under a second, while reopening costs an open and a lock. Above
# it the step lets the file go (DuckDB lets no other process open a file held for writing)
# so that a reader waiting for it gets in, as it does between a long step's chunk commits.
HOLD_ACROSS_WORK = 200


# A working set of up to this many texts is read whole, once, and the file let go during
# the work on it: DuckDB holds several times the texts it reads while it reads them and
# keeps its cache while the file is open, so reading small sets window by window through
# the held file costs more memory than holding their texts (10k articles: 491 MB against
# 433 MB; 3,144: 351 against 322). A bigger one is read a window at a time (TEXT_WINDOW)
# through the held file, where holding every text would cost more (100k: 1.8 GB against
# 2.2 GB) and a read after letting the file go is slow (a cold cache: 0.5 s against 0.05 s).
WHOLE_TEXTS_UP_TO = 20_000


def _reader(db: _StepConnection, article_ids: Sequence[str]) -> TextReader:
    """A ``TextReader`` for work on these articles: their texts read now, whole, and the
    file let go during the work if they are few; else reads through the held file."""
    if len(article_ids) > WHOLE_TEXTS_UP_TO:
        return db.texts
    texts = article_texts(db.conn(), article_ids)
    db.release(before_work=len(texts))
    return held_texts(texts)


class _StepConnection:
    """The group step's connection to the archive: opened when first needed, kept across
    phases (each write commits its own transaction), let go before long work that needs no
    database and opened again after it (without the migration check the step already made)."""

    def __init__(self, ctx: RunContext) -> None:
        self._ctx = ctx
        self._held: ExitStack | None = None
        self._conn: duckdb.DuckDBPyConnection | None = None
        self.opens = 0

    def conn(self) -> duckdb.DuckDBPyConnection:
        if self._conn is None:
            held = ExitStack()
            conn = held.enter_context(self._ctx.open(migrated=self.opens > 0))
            memory = self._ctx.settings.dedupe.group_db_memory_mb
            conn.execute(f"set memory_limit = '{int(memory)}MB'")
            self._conn = conn
            self._held = held
            self.opens += 1
        return self._conn

    def texts(self, article_ids: Sequence[str]) -> dict[str, str]:
        """The texts of the given articles (a ``TextReader``). The file is kept between
        reads: the work between two takes about as long as a read after reopening (a cold
        cache: measured 0.5 s a window of texts at 100k articles, against 0.05 s warm)."""
        return article_texts(self.conn(), article_ids)

    def release(self, before_work: int | None = None) -> None:
        """Let the file go; before ``before_work`` texts of work without the database, only
        when that is much (more than ``HOLD_ACROSS_WORK``)."""
        if before_work is not None and before_work <= HOLD_ACROSS_WORK:
            return
        if self._held is not None:
            held, self._held, self._conn = self._held, None, None
            held.close()


GROUPING_CHUNK = 5_000  # texts read at a time where a run only needs each one once
# A run with this many new texts or more reads them in the worker pool (one process a
# core), a slice of a chunk a job; a smaller one is not worth starting the pool for.
POOL_FROM = 5_000
POOL_SLICE = 1_250
# A run with at most this many new texts keeps their terms (measured: about 55 KB a text
# as Python dicts, so at most ~30 MB); a larger one counts them again rather than let
# its memory grow with its size.
HOLD_TERMS = 500


# The document frequencies count a text again each time it changes (a live blog, a
# corrected story), and never forget a text that went: they are counted afresh from every
# text when the texts they count stray this far from the articles the archive holds. The
# recount costs a pass over the archive, once per quarter of it edited or forgotten.
COUNTS_DRIFT = 1.25


def _counts_drifted(stored: TermCounts, pending: int, articles: int) -> bool:
    """Whether the counts, with the pending texts added, stray from the articles held by
    more than ``COUNTS_DRIFT`` either way (an archive that lost them counts too few)."""
    counted = stored.texts + pending
    return counted > COUNTS_DRIFT * articles or counted * COUNTS_DRIFT < articles


def _in_chunks(db: _StepConnection, article_ids: Sequence[str]) -> Iterator[list[ArticleSketch]]:
    """The articles' sketches with their texts, ``GROUPING_CHUNK`` at a time, the archive
    let go while each chunk is worked on."""
    for start in range(0, len(article_ids), GROUPING_CHUNK):
        sketches = article_sketches(db.conn(), article_ids[start : start + GROUPING_CHUNK])
        db.release(before_work=len(sketches))
        yield sketches
        del sketches  # a chunk goes before the next is read (where the caller lets it go)


def _count_terms(db: _StepConnection, article_ids: Sequence[str]) -> TermCounts:
    """The document frequencies of these articles' texts, read a chunk at a time."""
    holding: Counter[str] = Counter()
    for sketches in _in_chunks(db, article_ids):
        for sketch in sketches:
            holding.update(terms_of(sketch).keys())
    return TermCounts(len(article_ids), holding)


def _pass_over_pending(
    db: _StepConnection, article_ids: Sequence[str], setting: PassSetting, spill: ShingleSpill
) -> TextPass:
    """``pass_over`` the pending texts, reading them a chunk at a time (in the worker pool
    for a big run), each chunk's MinHash keys stored as soon as they are made and its
    shingles kept in ``spill``."""
    found = TextPass()
    hasher = ShingleHasher(setting.settings.shingle_size)
    workers = os.cpu_count() or 1
    with ExitStack() as stack:
        pool = (
            stack.enter_context(TextPassPool(workers, setting, POOL_SLICE, spill))
            if workers > 1 and len(article_ids) >= POOL_FROM
            else None
        )
        for sketches in _in_chunks(db, article_ids):
            chunk = TextPass()
            parts = (
                pool.run(sketches)
                if pool
                else [pass_over(sketches, setting, hasher, spill.new_path())]
            )
            for part in parts:
                chunk.add(part)
            del sketches
            for spilled in chunk.spilled:
                spill.add(spilled)
            chunk.spilled.clear()
            replace_fingerprints(db.conn(), chunk.keys)
            found.add(chunk)
    return found


def _store_minhash_keys(
    db: _StepConnection,
    article_ids: Sequence[str],
    keys_of: Callable[[ArticleSketch], np.ndarray],
) -> None:
    """Store the MinHash keys ``keys_of`` gives for each article, reading their texts a
    chunk at a time. Pending articles get theirs when grouped; grouped articles without
    any (an archive whose keys a migration cleared) get theirs here too."""
    for sketches in _in_chunks(db, article_ids):
        keys = {sketch.article_id: keys_of(sketch) for sketch in sketches}
        replace_fingerprints(db.conn(), keys)


def mark_all_for_regrouping(ctx: RunContext) -> int:
    """Have the next grouping regroup the whole archive from scratch (after the dedupe
    settings changed, say). Ids are kept where clusters still hold their articles, but
    nothing is held together: a story the new settings split gets a new id for its
    younger part. Returns the number of articles marked."""
    with ctx.open() as conn, transaction(conn):
        conn.execute(query("mark_all_for_regrouping"))
        return count_articles(conn)


def _draw_storylines(
    result: StoryResult,
    previous: PreviousGrouping,
    neighbours: Sequence[StoredStory],
    vectors: Mapping[str, dict[str, float]],
    settings: DedupeSettings,
) -> StorylineResult:
    """Story lines over the regrouped stories and the stored stories near them. A
    regrouped story inherits the line its articles' old stories were in."""
    old_line = {n.story_id: n.storyline_id for n in neighbours if n.storyline_id}
    age = {
        n.storyline_id: (n.storyline_created_at,)
        for n in neighbours
        if n.storyline_id and n.storyline_created_at
    }
    previous_line: dict[str, str] = {}
    for grouping in result.groupings:
        line = old_line.get(previous.story.get(grouping.article_id, ""))
        current = previous_line.get(grouping.story_id)
        if line and (
            current is None or (age.get(line, ()), line) < (age.get(current, ()), current)
        ):
            previous_line[grouping.story_id] = line
    regrouped = {s.story_id for s in result.stories} | set(previous.story.values())
    stories = [
        StoryForLine(s.story_id, s.title, s.first_published_at, s.article_count, vector)
        for s, vector in zip(result.stories, _vectors_by_story(result), strict=True)
    ]
    for n in neighbours:
        if n.story_id not in regrouped:
            previous_line.setdefault(n.story_id, n.storyline_id or "")
            vector = StoryVector(n.story_id, n.texts, vectors.get(n.story_id, {}))
            stories.append(
                StoryForLine(n.story_id, n.title, n.first_published_at, n.article_count, vector)
            )
    previous_line = {story: line for story, line in previous_line.items() if line}
    return storylines(stories, settings, previous_line, age)


def _vectors_by_story(result: StoryResult) -> list[StoryVector]:
    by_id = {v.story_id: v for v in result.story_vectors}
    return [by_id[s.story_id] for s in result.stories]
