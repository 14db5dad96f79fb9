"""One typed settings object: defaults live here, the environment may override them.

Per-run values (which URLs, which DB) are flow parameters, not settings. Every field can be
set from the environment as ``WIREHOUSE_<FIELD NAME IN CAPITALS>``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from typing import Any

from wirehouse.errors import InputError

DEFAULT_USER_AGENT = "wirehouse/0.1 (+https://github.com/wirehouse/wirehouse; news archiver)"


def _parse_bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(raw)


@dataclass(frozen=True, slots=True)
class FetchSettings:
    """How wirehouse talks to web servers."""

    user_agent: str = DEFAULT_USER_AGENT
    max_concurrency: int = 32  # requests in flight across all hosts
    per_host_concurrency: int = 2  # requests in flight to any one host
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 20.0
    total_timeout_s: float = 60.0  # wall time for one request, body included
    max_redirects: int = 10
    max_body_bytes: int = 10_000_000  # after decompression
    max_feed_bytes: int = 50_000_000
    obey_robots: bool = True  # robots.txt Disallow and Crawl-delay, fetched once per host
    max_crawl_delay_s: float = 60.0  # a host asking for more is skipped, with a reason
    max_retries: int = 3  # only timeouts, connection errors, 408, 429, 502, 503, 504
    backoff_base_s: float = 0.5  # retry n waits a random time up to base * 2**n (full jitter)
    backoff_max_s: float = 30.0
    max_retry_after_s: float = 120.0  # a longer Retry-After is waited this long at most
    host_failure_limit: int = 5  # consecutive failures that pause a host for the run


@dataclass(frozen=True, slots=True)
class ExtractSettings:
    """What counts as an article."""

    min_words: int = 20  # shorter texts are rejected as "too_short" (a two-line brief passes)
    max_link_density: float = 0.6  # pages whose text is mostly link text are index pages
    recall_below_words: int = 400  # a shorter main text is extracted again, favouring recall
    recall_gain: float = 1.5  # ... and replaced when the second text is this many times longer


@dataclass(frozen=True, slots=True)
class DedupeSettings:
    """Thresholds of the dedupe and story stages, in one place."""

    shingle_size: int = 5  # words per shingle
    # Near-copy candidates: MinHash (one permutation, this many bins, a power of two), each
    # bin an LSH band; two texts share about bands * Jaccard keys, unrelated ones about 0.
    minhash_bands: int = 128
    min_shared_bands: int = 4  # a candidate pair shares at least this many band keys
    max_band_postings: int = 200  # a key held by more texts offers only its first this many
    max_copy_candidates: int = 50  # archive texts a new text is checked against, likeliest first
    copy_containment: float = 0.5  # share of the shorter text found in the longer one
    min_copy_shingles: int = 40  # a shorter text is a copy only when identical (same_text)
    # Stories and story lines are average-link clusters: two clusters join when their texts'
    # tf-idf cosine, averaged over all their pairs (0 for pairs never proposed), reaches:
    story_similarity: float = 0.15  # ... this, time-weighted: "same event"
    storyline_similarity: float = 0.08  # ... this, however far apart: "same story line"
    story_window_days: float = 4.0  # reports of one event are published close together
    story_decay_days: float = 3.0  # beyond the window, similarity fades with this scale
    story_vector_terms: int = 100  # a text's strongest terms kept in its tf-idf vector
    story_candidate_terms: int = 40  # of those, indexed to find candidate texts
    story_max_posting: int = 2000  # a term on more texts than this proposes no pairs
    story_max_candidates: int = 50  # candidates checked per text, most shared terms first
    # A run regroups its new articles with the stories dated this close to them that are
    # alike to one of them; other stories stay as they are. Stories need about
    # story_window_days + story_decay_days * ln(1 / story_similarity) (about 10 days).
    regroup_horizon_days: int = 30
    # A stored story is alike to a new text when their vectors' dot product over the new
    # text's story_candidate_terms strongest terms reaches this (well below
    # story_similarity, so no story a new text could join is missed) ...
    regroup_min_similarity: float = 0.03
    regroup_max_stories: int = 20  # ... the likeliest this many per new text
    # Story lines are drawn over stored story vectors (no texts read): the regrouped stories,
    # the stories this far around them that are alike to one of them, and the whole lines
    # of all those: a subject followed for months still joins one line.
    storyline_horizon_days: int = 365
    storyline_min_similarity: float = 0.04  # alike: this dot product over the strongest terms
    storyline_max_stories: int = 20  # ... the likeliest this many per regrouped story
    republish_gap_days: float = 3.0  # a copy dated this long after its origin is a republish
    rewrite_similarity: float = 0.4  # same facts (tf-idf cosine) ...
    rewrite_min_containment: float = 0.05  # ... and some shared wording: a derived rewrite

    def __post_init__(self) -> None:
        bands = self.minhash_bands
        if bands < 2 or bands > 4096 or bands & (bands - 1):
            raise InputError(f"minhash_bands must be a power of two from 2 to 4096, not {bands}")


@dataclass(frozen=True, slots=True)
class Settings:
    """All of wirehouse's tunables."""

    fetch: FetchSettings = FetchSettings()
    extract: ExtractSettings = ExtractSettings()
    dedupe: DedupeSettings = DedupeSettings()

    def with_user_agent(self, user_agent: str | None) -> Settings:
        """These settings with another User-Agent (None keeps the current one)."""
        if not user_agent:
            return self
        return replace(self, fetch=replace(self.fetch, user_agent=user_agent))

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Defaults overridden by WIREHOUSE_* variables (e.g. WIREHOUSE_USER_AGENT)."""
        env = os.environ if environ is None else environ
        parts: dict[str, Any] = {}
        for group in fields(cls):
            current = getattr(cls(), group.name)
            changes: dict[str, Any] = {}
            for item in fields(current):
                raw = env.get(f"WIREHOUSE_{item.name.upper()}")
                if raw is None:
                    continue
                kind = type(getattr(current, item.name))
                try:
                    changes[item.name] = _parse_bool(raw) if kind is bool else kind(raw)
                except ValueError as exc:
                    raise InputError(
                        f"WIREHOUSE_{item.name.upper()}={raw!r} is not a valid {kind.__name__}"
                    ) from exc
            parts[group.name] = replace(current, **changes)
        return cls(**parts)
