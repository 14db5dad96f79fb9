"""The group step's one pass over its new texts: what each adds to the archive's document
frequencies, its MinHash keys (to find its copies anywhere in the archive) and its probe
(its tf-idf vector's strongest terms, to find the stored stories it may join).

Each text is read once for all three. A big run (a first grouping of a whole archive) hands
its texts to the worker pool in slices; what comes back is small: the slice's document
frequencies summed, and per text its keys and its probe. The shingles the keys are made
from go to a scratch file when asked (``tasks.shingle_spill``), for finding copies later.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

import numpy as np

from tasks.dedupe import ShingleHasher, minhash_keys
from tasks.shingle_spill import ShingleFile, ShingleSpill, SpilledShingles
from tasks.story_vectors import terms_and_probe
from tasks.workers import process_pool
from wirehouse.records import ArticleSketch, TermCounts
from wirehouse.settings import DedupeSettings


@dataclass(slots=True)
class TextPass:
    """What a pass over some texts found: document frequencies summed over them, per text
    (by article id) its MinHash keys, its probe and, when asked for, its terms; and the
    files its shingles were written to, when asked for."""

    holding: Counter[str] = field(default_factory=Counter)
    keys: dict[str, np.ndarray] = field(default_factory=dict)
    probes: dict[str, dict[str, float]] = field(default_factory=dict)
    terms: dict[str, dict[str, float]] = field(default_factory=dict)
    spilled: list[SpilledShingles] = field(default_factory=list)

    def add(self, other: TextPass) -> None:
        self.holding.update(other.holding)
        self.keys.update(other.keys)
        self.probes.update(other.probes)
        self.terms.update(other.terms)
        self.spilled.extend(other.spilled)


@dataclass(frozen=True, slots=True)
class PassSetting:
    """What every text of a pass is read against."""

    stored: TermCounts  # the archive's document frequencies before the run (for probes)
    settings: DedupeSettings
    keep_terms: bool = False  # hand back each text's terms too (a small run's vectors)


def pass_over(
    sketches: Sequence[ArticleSketch],
    setting: PassSetting,
    hasher: ShingleHasher | None = None,
    spill_to: str | None = None,
) -> TextPass:
    """Terms, probe and MinHash keys of each text, one reading of it for all; with
    ``spill_to``, the texts' shingles written to a new file there (``ShingleFile``)."""
    hasher = hasher or ShingleHasher(setting.settings.shingle_size)
    found = TextPass()
    spill = ShingleFile(spill_to) if spill_to is not None else None
    for sketch in sketches:
        terms, probe = terms_and_probe(sketch, setting.stored, setting.settings)
        found.holding.update(terms.keys())
        found.probes[sketch.article_id] = probe
        if setting.keep_terms:
            found.terms[sketch.article_id] = terms
        made = hasher.shingles(sketch.text)
        found.keys[sketch.article_id] = minhash_keys(made, setting.settings)
        if spill is not None:
            spill.write(sketch.article_id, made)
    if spill is not None:
        found.spilled.append(spill.done())
    return found


# A worker keeps one hasher a shingle size while it lives, so that its cache of word
# hashes is warm after its first slice.
_worker_hashers: dict[int, ShingleHasher] = {}


def _pass_in_worker(
    sketches: Sequence[ArticleSketch], setting: PassSetting, spill_to: str | None
) -> TextPass:
    size = setting.settings.shingle_size
    hasher = _worker_hashers.setdefault(size, ShingleHasher(size))
    return pass_over(sketches, setting, hasher, spill_to)


class TextPassPool:
    """``pass_over`` in the worker pool, a slice of texts a job; results come back in the
    order the slices went in. A slice carries ``setting`` along (the archive's document
    frequencies, when there are any), so slices are large. With ``spill``, each slice's
    shingles are written to a new file of it."""

    def __init__(
        self,
        workers: int,
        setting: PassSetting,
        slice_texts: int,
        spill: ShingleSpill | None = None,
    ) -> None:
        self._pool = process_pool(workers)
        self._setting = setting
        self._slice = slice_texts
        self._spill = spill

    def __enter__(self) -> TextPassPool:
        return self

    def __exit__(self, *_: object) -> None:
        self._pool.shutdown(cancel_futures=True)

    def run(self, sketches: Sequence[ArticleSketch]) -> Iterator[TextPass]:
        spill = self._spill
        jobs: list[Future[TextPass]] = [
            self._pool.submit(
                _pass_in_worker,
                sketches[start : start + self._slice],
                self._setting,
                spill.new_path() if spill is not None else None,
            )
            for start in range(0, len(sketches), self._slice)
        ]
        for job in jobs:
            yield job.result()
