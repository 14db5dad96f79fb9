"""One typed, validated settings object: defaults live here, the environment may override them.

Per-run values (which URLs, which DB) are flow parameters, not settings. Every field can be
set from the environment as ``WIREHOUSE_<FIELD NAME IN CAPITALS>``; a value that does not fit
its field (``WIREHOUSE_PER_HOST_CONCURRENCY=0``, ``WIREHOUSE_OBEY_ROBOTS=maybe``) or an unknown
``WIREHOUSE_`` variable is an ``InputError`` naming the variable, raised before any work starts.

The groups are pydantic dataclasses: frozen, checked on construction (``dataclasses.replace``
checks again), cheap to pickle into worker processes.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import fields, replace
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, ValidationError
from pydantic.dataclasses import dataclass

from wirehouse.errors import InputError

DEFAULT_USER_AGENT = "wirehouse/0.1 (+https://github.com/wirehouse/wirehouse; news archiver)"
ENV_PREFIX = "WIREHOUSE_"
# WIREHOUSE_ variables that are not settings: deployment parameters read by prefect.yaml and
# `wirehouse server`.
NOT_SETTINGS = frozenset({"WIREHOUSE_PROJECT_DIR", "WIREHOUSE_SOURCES"})

# "inf" reads as a float, and an endless timeout or wait is a slip (a run that never ends).
_CONFIG = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)

# No count here goes past a billion (a body of 1 GB, a billion postings): a bigger number
# is a slip, and 1e30 overflowed a C integer in the middle of a run.
MAX_COUNT = 1_000_000_000
Count = Annotated[int, Field(ge=1, le=MAX_COUNT)]
Seconds = Annotated[float, Field(gt=0)]
Share = Annotated[float, Field(ge=0, le=1)]
# Spans counted back from now (timedelta, SQL intervals) end before year 1: 1e300 seconds
# was an OverflowError in the middle of a run, not a setting refused before it.
TEN_YEARS_S = 10 * 366 * 86_400.0


@dataclass(frozen=True, slots=True, config=_CONFIG)
class FetchSettings:
    """How wirehouse talks to web servers."""

    # A header value: printable ASCII on one line ("é" failed mid-run as UnicodeEncodeError).
    user_agent: Annotated[str, Field(min_length=1, max_length=500, pattern=r"^[\x20-\x7e]+$")] = (
        DEFAULT_USER_AGENT
    )
    max_concurrency: Annotated[int, Field(ge=1, le=10_000)] = 32  # requests in flight in all
    per_host_concurrency: Annotated[int, Field(ge=1, le=1_000)] = 2  # ... to any one host
    connect_timeout_s: Seconds = 10.0
    read_timeout_s: Seconds = 20.0
    total_timeout_s: Seconds = 60.0  # wall time for one request, body included
    max_redirects: Annotated[int, Field(ge=0, le=100)] = 10
    max_body_bytes: Count = 10_000_000  # after decompression
    max_feed_bytes: Count = 50_000_000  # feeds and sitemaps, after decompression
    obey_robots: bool = True  # robots.txt Disallow and Crawl-delay, fetched once per host
    max_crawl_delay_s: Annotated[float, Field(ge=0)] = 60.0  # a host asking for more is skipped
    # The time a run gives a host whose robots.txt asks for a pause between requests, from
    # its first request: at Crawl-delay 10, 61 pages. Its other listed pages wait for the
    # next runs, which fetch the pages never fetched first (one site's 1,000 new pages held
    # an hourly run for 3 hours). The URLs given on the command line or in a file are all
    # fetched.
    crawl_delay_budget_s: Seconds = 600.0
    max_retries: Annotated[int, Field(ge=0, le=20)] = 3  # only timeouts, connection errors, ...
    backoff_base_s: Annotated[float, Field(ge=0)] = 0.5  # retry n waits up to base * 2**n
    backoff_max_s: Annotated[float, Field(ge=0)] = 30.0
    max_retry_after_s: Annotated[float, Field(ge=0)] = 120.0  # longer: left for the next run
    host_failure_limit: Count = 5  # consecutive failures that pause a host for the run
    max_sitemaps: Count = 500  # sitemaps read per run, indexes included
    max_sitemap_depth: Count = 3  # sitemap index -> sitemap index -> sitemap
    max_links_per_listing: Count = (
        50_000  # URLs taken from one feed or sitemap (the protocol's cap)
    )
    # Pages of one host that feeds and sitemaps may have fetched in one run (the URLs given
    # on the command line or in a file are all fetched): the rest wait for the next runs,
    # which fetch the pages never fetched first, then the longest unvisited.
    max_pages_per_host: Count = 5_000


@dataclass(frozen=True, slots=True, config=_CONFIG)
class ArchiveSettings:
    """Where the archive is, and how a run keeps its work: commit often, wait for readers,
    never lose a chunk."""

    # The archive: a DuckDB file, or ducklake:postgres:<libpq conninfo> (WIREHOUSE_DB; the
    # command line's --db wins) ...
    db: str = ""
    # ... and for a DuckLake, where its Parquet files and the raw WARC archive go: a folder
    # every machine mounts at the same path, or s3://bucket/prefix (WIREHOUSE_DATA_PATH).
    data_path: str = ""
    # An s3:// data path: the S3-compatible endpoint (empty: AWS itself; for MinIO, Ceph or
    # others "http(s)://host:port"), its region and URL style. The keys are the usual
    # AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) variables.
    s3_endpoint: Annotated[str, Field(pattern=r"^(https?://[^/\s]+/?)?$")] = ""
    s3_region: Annotated[str, Field(pattern=r"^[a-z0-9-]*$")] = "us-east-1"
    s3_url_style: Literal["path", "vhost"] = "path"

    # The fetch and ingest steps commit what they did every this many pages or seconds,
    # whichever comes first: a kill loses at most one chunk.
    commit_every_pages: Count = 200
    commit_every_s: Seconds = 5.0
    # A run that finds the DuckDB file held by another process (a reader) waits this long,
    # saying so, before it gives up; what it committed stays.
    lock_wait_s: Annotated[float, Field(ge=0)] = 120.0
    # URLs fetched by a run that never finished (killed, crashed) this recently are not
    # fetched again by the next run: it carries on where that one stopped.
    resume_window_s: Annotated[float, Field(ge=0, le=TEN_YEARS_S)] = 86_400.0
    # A DuckLake keeps its snapshots (time travel, readers of an older state) this long; the
    # maintenance flow's checkpoint expires older ones and deletes the files only they need.
    snapshot_retention_s: Annotated[float, Field(ge=0, le=TEN_YEARS_S)] = 86_400.0

    def __post_init__(self) -> None:
        from wirehouse import ducklake  # the settings import nothing else at load time

        if self.db and ducklake.is_lake(self.db):
            ducklake.parse_location(self.db)
        if self.data_path:
            ducklake.check_data_path(self.data_path)


@dataclass(frozen=True, slots=True, config=_CONFIG)
class ExtractSettings:
    """What counts as an article."""

    min_words: Annotated[int, Field(ge=0)] = 20  # shorter texts are rejected as "too_short"
    max_link_density: Share = 0.6  # pages whose text is mostly link text are index pages
    # trafilatura's fast pass is kept when it finds this many words and this share of the
    # page's visible text; otherwise its full cascade (readability and jusText compared)
    # runs: on WCXB dev articles as good as always running it, at about 3/4 of the CPU.
    fast_pass_min_words: Annotated[int, Field(ge=0)] = 200
    fast_pass_min_share: Share = 0.4
    # ... and unless most of it is one line longer than this: a whole container read as one
    # paragraph (captions and widgets run in with the text)
    fast_pass_max_line_words: Annotated[int, Field(ge=1)] = 400
    # A main text this short, or under this share of the page's visible text, is extracted
    # again favouring recall (lists and blocks the balanced mode prunes as clutter) ...
    recall_below_words: Annotated[int, Field(ge=0)] = 400
    recall_below_share: Share = 0.65
    # ... and a short text is replaced when recall mode finds this many times its words
    # (the page then judged by it: the balanced reading missed the text) ...
    recall_gain: Annotated[float, Field(ge=1)] = 1.5
    # ... and any is stored as recall mode reads it, from the balanced reading's first line
    # to its last, when that holds this many times its words (the page still judged by the
    # balanced reading, which does not take a list page's teasers for prose)
    recall_store_gain: Annotated[float, Field(ge=1)] = 1.1
    # The article's body as its JSON-LD gives it (``articleBody``) replaces the text read
    # from the page when it holds this many times its words (the rest rendered by a script)
    markup_body_gain: Annotated[float, Field(ge=1)] = 1.5
    # A page of more block elements than this (what jusText starts a paragraph at: a <p>,
    # a heading, a <br>, ...) is read by the fast pass alone: the full cascade's jusText is
    # quadratic in a run of short paragraphs (a hostile page of 50,000 took 150 s); the
    # largest real page of the eval data has about 9,500.
    max_blocks_for_cascade: Annotated[int, Field(ge=0)] = 12_000
    # One page's extraction is cut after this long and the page rejected ("too_slow"): a
    # page a few MB long can make trafilatura's passes quadratic (300,000 tiny paragraphs
    # ran for over 5 minutes), and a run must not wait on it. Pages take well under 2 s;
    # under a second, a busy machine would reject good pages as too slow.
    max_extract_s: Annotated[float, Field(ge=1, le=86_400)] = 60.0  # at most a timer's range


@dataclass(frozen=True, slots=True, config=_CONFIG)
class DedupeSettings:
    """Thresholds of the dedupe and story stages, in one place."""

    shingle_size: Annotated[int, Field(ge=1, le=50)] = 5  # words per shingle
    # Near-copy candidates: MinHash (one permutation, this many bins, a power of two), each
    # bin an LSH band; two texts share about bands * Jaccard keys, unrelated ones about 0.
    minhash_bands: int = 128
    min_shared_bands: Count = 4  # a candidate pair shares at least this many band keys
    max_band_postings: Count = 200  # a key held by more texts offers only its first this many
    max_copy_candidates: Count = 50  # archive texts a new text is checked against
    copy_containment: Share = 0.5  # share of the shorter text found in the longer one
    min_copy_shingles: Annotated[int, Field(ge=0)] = 40  # shorter: a copy only when identical
    # Stories and story lines are average-link clusters: two clusters join when their texts'
    # tf-idf cosine, averaged over all their pairs (0 for pairs never proposed), reaches:
    story_similarity: Share = 0.15  # ... this, time-weighted: "same event"
    storyline_similarity: Share = 0.08  # ... this, however far apart: "same story line"
    story_window_days: Annotated[float, Field(ge=0)] = 4.0  # one event's reports are close
    story_decay_days: Seconds = 3.0  # beyond the window, similarity fades with this scale
    story_vector_terms: Count = 100  # a text's strongest terms kept in its tf-idf vector
    story_candidate_terms: Count = 40  # of those, indexed to find candidate texts
    story_max_posting: Count = 2000  # a term on more texts than this proposes no pairs
    story_max_candidates: Count = 50  # candidates checked per text, most shared terms first
    # A run regroups its new articles with the stories dated this close to them that are
    # alike to one of them; other stories stay as they are. Stories need about
    # story_window_days + story_decay_days * ln(1 / story_similarity) (about 10 days).
    regroup_horizon_days: Annotated[int, Field(ge=1, le=36_500)] = 30  # up to a century
    # A stored story is alike to a new text when their vectors' dot product over the new
    # text's story_candidate_terms strongest terms reaches this (well below
    # story_similarity, so no story a new text could join is missed) ...
    regroup_min_similarity: Share = 0.03
    regroup_max_stories: Count = 20  # ... the likeliest this many per new text
    # Story lines are drawn over stored story vectors (no texts read): the regrouped stories,
    # the stories this far around them that are alike to one of them, and the whole lines
    # of all those: a subject followed for months still joins one line.
    storyline_horizon_days: Count = 365
    storyline_min_similarity: Share = 0.04  # alike: this dot product over the strongest terms
    storyline_max_stories: Count = 20  # ... the likeliest this many per regrouped story
    republish_gap_days: Annotated[float, Field(ge=0, le=36_500)] = 3.0  # a copy this long after
    rewrite_similarity: Share = 0.4  # same facts (tf-idf cosine) ...
    rewrite_min_containment: Share = 0.05  # ... and some shared wording: a derived rewrite
    # DuckDB's memory while the group step holds the archive (its cache of the file's blocks
    # is let go past it): a first grouping reads every text, and holds it once, as Python
    # strings, not a second time in DuckDB's cache.
    group_db_memory_mb: Annotated[int, Field(ge=64, le=16_777_216)] = 512  # up to 16 TiB

    def __post_init__(self) -> None:
        bands = self.minhash_bands
        if bands < 2 or bands > 4096 or bands & (bands - 1):
            raise InputError(f"minhash_bands must be a power of two from 2 to 4096, not {bands}")


_GROUPS: dict[str, type[Any]] = {
    "fetch": FetchSettings,
    "archive": ArchiveSettings,
    "extract": ExtractSettings,
    "dedupe": DedupeSettings,
}


def env_name(field_name: str) -> str:
    """The environment variable of a setting: ``WIREHOUSE_MAX_RETRIES`` for ``max_retries``."""
    return f"{ENV_PREFIX}{field_name.upper()}"


def setting_names() -> dict[str, str]:
    """Every setting's environment variable, with the group it belongs to."""
    return {env_name(item.name): group for group, kind in _GROUPS.items() for item in fields(kind)}


@dataclass(frozen=True, slots=True)
class Settings:
    """All of wirehouse's tunables."""

    fetch: FetchSettings = FetchSettings()
    archive: ArchiveSettings = ArchiveSettings()
    extract: ExtractSettings = ExtractSettings()
    dedupe: DedupeSettings = DedupeSettings()

    def with_user_agent(self, user_agent: str | None) -> Settings:
        """These settings with another User-Agent (None keeps the current one)."""
        if not user_agent:
            return self
        try:
            return replace(self, fetch=replace(self.fetch, user_agent=user_agent))
        except ValidationError as exc:
            raise InputError(f"--user-agent {user_agent!r}: {_first_message(exc)}") from None

    def with_data_path(self, data_path: str | None) -> Settings:
        """These settings with another DuckLake data path (None keeps the current one)."""
        if not data_path:
            return self
        return replace(self, archive=replace(self.archive, data_path=data_path))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Defaults overridden by WIREHOUSE_* variables (e.g. WIREHOUSE_USER_AGENT).

        Raises InputError naming the first variable that is unknown or holds a bad value."""
        env = os.environ if environ is None else environ
        known = setting_names()
        for name in sorted(env):
            if name.startswith(ENV_PREFIX) and name not in known and name not in NOT_SETTINGS:
                close = difflib.get_close_matches(name, [*known, *NOT_SETTINGS], n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                raise InputError(f"{name} is not a wirehouse setting{hint}", reason="bad_setting")
        parts: dict[str, Any] = {}
        for group, kind in _GROUPS.items():
            changes = {
                item.name: env[env_name(item.name)]
                for item in fields(kind)
                if env_name(item.name) in env
            }
            try:
                parts[group] = kind(**changes)
            except ValidationError as exc:
                error = exc.errors()[0]
                field_name = str(error["loc"][0]) if error["loc"] else ""
                variable = env_name(field_name)
                raise InputError(
                    f"{variable}={env.get(variable, '')!r}: {_first_message(exc)}",
                    reason="bad_setting",
                ) from None
            except InputError as exc:  # a check across fields (__post_init__)
                names = ", ".join(f"{env_name(k)}={v!r}" for k, v in changes.items())
                raise InputError(f"{names}: {exc.detail}", reason="bad_setting") from None
        return cls(**parts)


def _first_message(exc: ValidationError) -> str:
    """Pydantic's first complaint, as a short lowercase phrase."""
    message = str(exc.errors()[0]["msg"])
    return message[:1].lower() + message[1:]
