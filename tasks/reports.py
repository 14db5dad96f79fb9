"""What each step reports, and the run's summary built from them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from wirehouse.records import (
    RunSummary,
)


@dataclass(frozen=True, slots=True)
class DiscoveryReport:
    urls: list[str]
    problems: int
    unindexed_files: int = 0  # archive files no row points at (a killed run's)
    # The problems by reason: a run's summary and state said only "discovery: 1" where a
    # feed's host answered its robots.txt with a 500 (the cause was in a table artifact).
    reasons: dict[str, int] = field(default_factory=dict)
    # The URLs given on the command line or in a file: all fetched, whatever a host's budget.
    given: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class FetchReport:
    attempted: int  # URLs tried
    fetched: int  # URLs answered with a body
    not_modified: int  # URLs answered 304, or with a body we already had
    new_records: int  # bodies added to the WARC archive
    retries: int  # attempts beyond the first
    failures: dict[str, int]  # URLs that failed, by the reason of their last attempt
    resumed: int = 0  # URLs an interrupted run had fetched already: not fetched again
    commits: int = 0  # chunks committed
    new_articles: int = 0  # articles the pages fetched became (extracted as they came)
    rejected: dict[str, int] = field(default_factory=dict)  # pages that are no article
    # URLs left for the next run, by host: its crawl delay used the time a run gives it
    deferred: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class IngestReport:
    responses: int  # HTTP responses read
    new_records: int  # bodies added to the archive
    other_records: int  # records that are no page (metadata, requests, dns: lookups)
    skipped: dict[str, int]  # damaged or unusable records, by reason


@dataclass(frozen=True, slots=True)
class ExtractReport:
    extracted: int
    new_articles: int
    rejected: dict[str, int]
    unreadable: dict[str, int] = field(default_factory=dict)  # storage problems, by reason


@dataclass(frozen=True, slots=True)
class ReextractReport:
    records: int  # archived responses read again
    unchanged: int
    changed: int  # articles whose text changed
    new_articles: int  # pages rejected before, articles now
    now_rejected: int  # articles before, rejected now
    rejected_reasons: dict[str, int]
    unreadable: int = 0  # archived responses that could not be read back: left as they were


@dataclass(frozen=True, slots=True)
class IndexReport:
    files: int  # archive files read
    recovered: int  # responses that had no row, indexed now (their pages are then extracted)


@dataclass(frozen=True, slots=True)
class GroupReport:
    articles: int
    copies: int
    copy_groups: int
    stories: int
    new_stories: int
    regrouped: int = 0  # articles this run regrouped: its new ones and what is near them


@dataclass(frozen=True, slots=True)
class FurnitureReport:
    """What one furniture pass did (tasks/steps/furniture.py)."""

    weighed: int  # articles stored since the last pass
    lines_found: int  # lines newly known as a site's furniture
    texts_cleaned: int  # texts that lost furniture (new ones, and earlier ones of those sites)


@dataclass(frozen=True, slots=True)
class ListedTitlesReport:
    """What one listed-titles pass did (tasks/steps/listed_titles.py)."""

    read: int  # new and changed texts read against their sites' titles
    lists: int  # found to be lists of their sites' articles, and rejected
    texts_cleaned: int  # that lost lines that were other articles' titles


@dataclass(frozen=True, slots=True)
class ArchiveFigures:
    """How much the archive holds."""

    articles: int
    stories: int
    copy_groups: int
    raw_records: int
    fetches: int
    database_bytes: int


def summarize(
    run_id: str,
    found: DiscoveryReport,
    fetched: FetchReport,
    ingested: IngestReport | None,
    extracted: ExtractReport,
    grouped: GroupReport,
    failure_examples: dict[str, str] | None = None,
) -> RunSummary:
    """What a run did, from its steps' reports (failures by reason, WARC problems prefixed)."""
    failures = dict(fetched.failures)
    for reason, count in found.reasons.items():
        failures[f"discovery:{reason}"] = count
    if found.problems and not found.reasons:
        failures["discovery"] = found.problems
    if ingested:
        for reason, count in ingested.skipped.items():
            failures[f"warc:{reason}"] = count
    rejected = Counter(fetched.rejected)
    rejected.update(extracted.rejected)
    return RunSummary(
        run_id=run_id,
        discovered=len(found.urls) + (ingested.responses if ingested else 0),
        fetched=fetched.fetched + (ingested.new_records if ingested else 0),
        not_modified=fetched.not_modified,
        new_articles=fetched.new_articles + extracted.new_articles,
        rejected=sum(rejected.values()),
        new_stories=grouped.new_stories,
        failures=failures,
        rejected_reasons=dict(sorted(rejected.items())),
        failure_examples=failure_examples or {},
        warc_responses=ingested.responses if ingested else 0,
        warc_other_records=ingested.other_records if ingested else 0,
        copies_found=grouped.copies,
        stories=grouped.stories,
        articles=grouped.articles,
        deferred=dict(fetched.deferred),
    )
