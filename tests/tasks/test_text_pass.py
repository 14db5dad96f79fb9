"""One pass over the new texts: the same findings in the worker pool as in process."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from tasks.dedupe import ShingleHasher, minhash_keys
from tasks.story_vectors import terms_and_probe, terms_of
from tasks.text_pass import PassSetting, TextPassPool, pass_over
from tasks.urls import domain_of
from tests.tasks.test_incremental_grouping import text_about
from wirehouse.records import ArticleSketch, TermCounts
from wirehouse.settings import DedupeSettings

SETTINGS = DedupeSettings()


def sketch(key: str, text: str) -> ArticleSketch:
    return ArticleSketch(
        article_id=f"a-{key}", url=f"https://{key}.example/x", canonical_url=None,
        domain=domain_of(f"https://{key}.example/x"), title=f"{key} news",
        page_date=datetime(2024, 5, 2, tzinfo=UTC), text=text, text_sha256=key,
        word_count=len(text.split()), boilerplate_ratio=0.1, wire_marker=None,
        first_seen_at=datetime(2024, 5, 2, tzinfo=UTC),
    )  # fmt: skip


SKETCHES = [
    sketch(f"{topic}{n}", text_about(topic, n))
    for topic in ("volcano", "harbour", "election")
    for n in range(4)
]
STORED = TermCounts(3, {"volcanoia": 2, "harbourer": 1, "electionist": 3})


def test_a_pass_counts_each_text_once_and_makes_its_keys_and_probe():
    found = pass_over(SKETCHES, PassSetting(STORED, SETTINGS))
    expected_df: dict[str, int] = {}
    for item in SKETCHES:
        for term in terms_of(item):
            expected_df[term] = expected_df.get(term, 0) + 1
    assert dict(found.holding) == expected_df
    hasher = ShingleHasher(SETTINGS.shingle_size)
    for item in SKETCHES:
        keys = minhash_keys(hasher.shingles(item.text), SETTINGS)
        assert np.array_equal(found.keys[item.article_id], keys)
        assert found.probes[item.article_id] == terms_and_probe(item, STORED, SETTINGS)[1]
        assert found.probes[item.article_id]  # the stored counts make a probe
    assert found.terms == {}  # not asked for


def test_a_pass_hands_back_the_terms_when_asked():
    found = pass_over(SKETCHES[:2], PassSetting(STORED, SETTINGS, keep_terms=True))
    assert found.terms == {item.article_id: terms_of(item) for item in SKETCHES[:2]}


def test_the_worker_pool_finds_what_a_pass_here_finds_in_the_same_order():
    setting = PassSetting(STORED, SETTINGS)
    here = pass_over(SKETCHES, setting)
    with TextPassPool(2, setting, slice_texts=5) as pool:
        parts = list(pool.run(SKETCHES))
    assert len(parts) == 3  # 12 texts, 5 a slice
    assert [a for part in parts for a in part.keys] == [s.article_id for s in SKETCHES]
    merged = parts[0]
    for part in parts[1:]:
        merged.add(part)
    assert merged.holding == here.holding
    assert merged.probes == here.probes
    assert list(merged.keys) == list(here.keys)
    assert all(np.array_equal(merged.keys[a], here.keys[a]) for a in here.keys)
