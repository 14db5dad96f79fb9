"""Story grouping quality on real news: wirehouse's stories vs gold events and a tf-idf baseline.

Reads ../shared/eval/giveme5w1h-news-cluster (199 articles, 34 hand-labelled events), stores
each article as the extract step would (``Extraction`` -> ``save_extractions`` -> DuckDB),
runs the pipeline's own ``group_articles`` step and scores two of its levels against the
gold ``newsCluster.EventId``: ``articles.story_id`` (one event, reports days apart) and the
story's ``storyline_id`` (stories on one subject, however far apart). The gold "events" are
story lines: event 70 holds the missile flights over Japan of 2017-08-29 and 2017-09-15
and their fallout into November, event 72 the Equifax breach from September to November;
so story lines are the level to compare, and stories are expected to split them.
Figures: pairwise P/R/F1 over all article pairs, B-cubed P/R/F1 (per-article means) and
ARI. In the same run a plain tf-idf single-link clustering (no dates, no copy detection) is
swept over a threshold grid; its best B-cubed F1 is an oracle figure, since the threshold
is picked on this very data.

    python -m bench.eval_stories [--setting NAME=VALUE ...] [--sweep NAME=V1,V2,...]
                                 [--show-errors N] [--level storylines|stories]
                                 [--baseline-sweep]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path

from bench.clustering import Scores, score, single_link, tfidf_matrix, threshold_grid
from bench.newscluster import (
    DATA_DIR,
    GROUPING_CODE,
    GoldArticle,
    code_fingerprint,
    load_extractions,
    load_gold,
    record_id_of,
)
from bench.newscluster import to_extraction as extraction_of
from tasks.reports import GroupReport
from tasks.run_context import RunContext
from tasks.steps.group import group_articles
from wirehouse.db import open_archive
from wirehouse.settings import DedupeSettings, Settings

BASELINE_GRID = threshold_grid(0.10, 0.60, 0.05)
HEADER = (
    f"{'':<44} {'stories':>7} {'pair P':>7} {'pair R':>7} {'pair F1':>7}"
    f" {'B3 P':>6} {'B3 R':>6} {'B3 F1':>6} {'ARI':>6}"
)


def row(name: str, s: Scores) -> str:
    return (
        f"{name:<44} {s.clusters:>7} {s.pair_p:7.3f} {s.pair_r:7.3f} {s.pair_f1:7.3f}"
        f" {s.b3_p:6.3f} {s.b3_r:6.3f} {s.b3_f1:6.3f} {s.ari:6.3f}"
    )


def _convert(name: str, raw: str) -> object:
    """A command-line value as the type of the DedupeSettings field it overrides."""
    known = {f.name for f in fields(DedupeSettings)}
    if name not in known:
        raise SystemExit(
            f"unknown DedupeSettings field {name!r}; known: {', '.join(sorted(known))}"
        )
    kind = type(getattr(DedupeSettings(), name))
    try:
        if kind is bool:
            if raw.lower() not in ("1", "0", "true", "false", "yes", "no"):
                raise ValueError(raw)
            return raw.lower() in ("1", "true", "yes")
        return kind(raw)
    except ValueError:
        raise SystemExit(f"{name}={raw!r} is not a valid {kind.__name__}") from None


def parse_settings(items: Sequence[str]) -> DedupeSettings:
    """``--setting name=value`` overrides applied to the default dedupe settings."""
    changes: dict[str, object] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        if not sep:
            raise SystemExit(f"--setting wants NAME=VALUE, got {item!r}")
        changes[name.strip()] = _convert(name.strip(), raw.strip())
    return replace(Settings().dedupe, **changes)  # type: ignore[arg-type]


def parse_sweep(spec: str) -> tuple[str, list[object]]:
    name, sep, raw = spec.partition("=")
    if not sep or not raw:
        raise SystemExit(f"--sweep wants NAME=V1,V2,..., got {spec!r}")
    return name.strip(), [_convert(name.strip(), v.strip()) for v in raw.split(",") if v.strip()]


@dataclass(frozen=True, slots=True)
class Grouped:
    """What one wirehouse grouping run decided, in gold-article order."""

    stories: list[str]
    storylines: list[str]
    copy_groups: list[str]
    report: GroupReport
    link_kinds: dict[str, int]
    seconds: float


def run_wirehouse(
    gold: Sequence[GoldArticle], dedupe: DedupeSettings, daily: bool = False
) -> Grouped:
    """Load the articles into a fresh archive and run the pipeline's group step on it:
    once over all of them, or (``daily``) once per publication day, in date order, as
    scheduled runs would meet them."""
    with tempfile.TemporaryDirectory(prefix="wirehouse-eval-stories-") as tmp:
        db_path = str(Path(tmp) / "eval.duckdb")
        ctx = RunContext(
            db_path=db_path,
            archive_dir=str(Path(tmp) / "archive"),
            run_id="eval",
            settings=Settings(dedupe=dedupe),
        )
        batches: dict[str, list[GoldArticle]] = defaultdict(list)
        for article in gold:
            day = f"{article.date_publish:%Y-%m-%d}" if article.date_publish and daily else ""
            batches[day].append(article)
        seconds = 0.0
        written = 0
        for _day, batch in sorted(batches.items()):
            written += load_extractions(db_path, (extraction_of(a) for a in batch))
            started = time.perf_counter()
            report = group_articles(ctx)
            seconds += time.perf_counter() - started
        if written != len(gold):
            raise SystemExit(f"stored {written} of {len(gold)} articles")
        with open_archive(db_path, read_only=True) as conn:
            # record_id is our hash of the file name, so the join cannot depend on URL rules.
            rows = conn.execute(
                "select a.record_id, a.story_id, s.storyline_id, a.copy_group_id"
                " from articles as a join stories as s using (story_id)"
            ).fetchall()
            kinds = dict(
                conn.execute(
                    "select kind, count(*) from article_links group by kind order by kind"
                ).fetchall()
            )
    by_record = {record_id: (story, line, group) for record_id, story, line, group in rows}
    if len(by_record) != len(gold):
        raise SystemExit(f"the archive holds {len(by_record)} articles, expected {len(gold)}")
    ordered = [by_record[record_id_of(a.file_name)] for a in gold]
    return Grouped(
        stories=[story for story, _, _ in ordered],
        storylines=[line for _, line, _ in ordered],
        copy_groups=[group for _, _, group in ordered],
        report=report,
        link_kinds=kinds,
        seconds=seconds,
    )


HELD_OUT_GRID = (0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.10, 0.12, 0.14)


def held_out_storylines(
    gold: Sequence[GoldArticle], dedupe: DedupeSettings
) -> tuple[Scores, list[float]]:
    """Story lines with ``storyline_similarity`` chosen on the other half of the events
    (two folds split by event id): a figure whose threshold never saw the articles it
    scores. Each half is clustered on its own, with half the events to confuse, so the
    figure says whether the threshold carries over, not how good all 34 events at once
    are. Returns the scores over both halves and the threshold each half was given."""
    halves = [[a for a in gold if a.event_id % 2 == side] for side in (0, 1)]
    predicted: list[str] = []
    labels: list[int] = []
    chosen: list[float] = []
    for index, half in enumerate(halves):
        other = halves[1 - index]
        other_labels = [a.event_id for a in other]

        def fit(
            threshold: float,
            articles: Sequence[GoldArticle] = other,
            labels_of: Sequence[int] = other_labels,
        ) -> float:
            run = run_wirehouse(articles, replace(dedupe, storyline_similarity=threshold))
            return score(run.storylines, labels_of).b3_f1

        best = max(HELD_OUT_GRID, key=lambda t: (fit(t), -abs(t - dedupe.storyline_similarity)))
        chosen.append(best)
        run = run_wirehouse(half, replace(dedupe, storyline_similarity=best))
        predicted += [f"{index}:{line}" for line in run.storylines]
        labels += [a.event_id for a in half]
    return score(predicted, labels), chosen


def baseline(gold: Sequence[GoldArticle]) -> list[tuple[float, Scores]]:
    """Plain tf-idf over title + text, cosine, single link: one score per grid threshold."""
    matrix = tfidf_matrix([f"{a.title}\n{a.text}" for a in gold])
    similarity = matrix @ matrix.T
    labels = [a.event_id for a in gold]
    return [(t, score(single_link(similarity, t), labels)) for t in BASELINE_GRID]


def describe(settings: DedupeSettings) -> str:
    """The fields that differ from the defaults, or "defaults"."""
    default = DedupeSettings()
    changed = [
        f"{f.name}={getattr(settings, f.name)}"
        for f in fields(settings)
        if getattr(settings, f.name) != getattr(default, f.name)
    ]
    return ", ".join(changed) or "defaults"


def show_errors(gold: Sequence[GoldArticle], stories: Sequence[str], limit: int) -> None:
    """The gold events split the most, and the stories that merged the most events."""
    by_event: dict[int, list[int]] = defaultdict(list)
    by_story: dict[str, list[int]] = defaultdict(list)
    for index, (article, story) in enumerate(zip(gold, stories, strict=True)):
        by_event[article.event_id].append(index)
        by_story[story].append(index)

    def pairs_within(members: list[int], key: Sequence[object]) -> int:
        return sum(c * (c - 1) // 2 for c in Counter(key[i] for i in members).values())

    events = [a.event_id for a in gold]
    splits = []
    for event, members in by_event.items():
        total = len(members) * (len(members) - 1) // 2
        missed = total - pairs_within(members, stories)
        if missed:
            splits.append((-missed, event, members))
    merges = []
    for story, members in by_story.items():
        total = len(members) * (len(members) - 1) // 2
        wrong = total - pairs_within(members, events)
        if wrong:
            merges.append((-wrong, story, members))

    def line(index: int, tag: str) -> str:
        article = gold[index]
        date = f"{article.date_publish:%Y-%m-%d}" if article.date_publish else "no date   "
        return f"    {tag:<22} {date} {article.source_domain[:24]:<24} {article.title[:70]}"

    print(f"\nbiggest split gold events (pairs missed), top {limit}:")
    for negative, event, members in sorted(splits)[:limit]:
        name = gold[members[0]].event
        parts = len({stories[i] for i in members})
        print(
            f"  event {event} {name}: {len(members)} articles in {parts} stories, {-negative} pairs missed"
        )
        for index in sorted(members, key=lambda i: (stories[i], gold[i].date_publish is None, i)):
            print(line(index, stories[index]))
    print(f"\nbiggest wrongly merged stories (wrong pairs), top {limit}:")
    for negative, story, members in sorted(merges)[:limit]:
        parts = Counter(events[i] for i in members)
        print(
            f"  {story}: {len(members)} articles from {len(parts)} events, {-negative} wrong pairs"
        )
        for index in sorted(members, key=lambda i: (events[i], i)):
            print(line(index, f"event {events[index]} {gold[index].event}"[:22]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a DedupeSettings field (repeatable), e.g. story_similarity=0.2",
    )
    parser.add_argument(
        "--sweep",
        metavar="NAME=V1,V2,...",
        help="also run the grouping once per value of one DedupeSettings field",
    )
    parser.add_argument(
        "--show-errors",
        type=int,
        default=0,
        metavar="N",
        help="list the N most split gold events and the N most merged stories",
    )
    parser.add_argument(
        "--no-held-out",
        action="store_true",
        help="skip the story-line figure with its threshold chosen on held-out events",
    )
    parser.add_argument(
        "--level",
        choices=("storylines", "stories"),
        default="storylines",
        help="which clustering --show-errors lists (default: storylines)",
    )
    parser.add_argument(
        "--baseline-sweep", action="store_true", help="print the baseline at every threshold"
    )
    args = parser.parse_args(argv)
    if not (DATA_DIR / "data").is_dir():
        print(f"no evaluation data at {DATA_DIR / 'data'}: nothing to score", file=sys.stderr)
        return 1
    dedupe = parse_settings(args.setting)
    sweep = parse_sweep(args.sweep) if args.sweep else None

    gold = load_gold()
    if not gold:
        print(f"no articles in {DATA_DIR / 'data'}: nothing to score", file=sys.stderr)
        return 1
    labels = [a.event_id for a in gold]
    grouped = run_wirehouse(gold, dedupe)
    stories = score(grouped.stories, labels)
    storylines = score(grouped.storylines, labels)
    baseline_scores = baseline(gold)
    best_t, best = max(baseline_scores, key=lambda ts: (ts[1].b3_f1, -ts[0]))

    print(f"{len(gold)} articles, {len(set(labels))} gold events, from {DATA_DIR}")
    print(f"wirehouse settings: {describe(dedupe)}")
    print(f"grouping code {code_fingerprint()} (sha256 of {', '.join(GROUPING_CODE)})")
    print(HEADER)
    print(row("gold events", score(labels, labels)))
    print(row("wirehouse stories (one event, days apart)", stories))
    print(row("wirehouse story lines (one subject)", storylines))
    daily = run_wirehouse(gold, dedupe, daily=True)
    print(row("  the same, one run per day in date order", score(daily.storylines, labels)))
    print(row("  stories, one run per day in date order", score(daily.stories, labels)))
    if not args.no_held_out:
        held_out, chosen = held_out_storylines(gold, dedupe)
        thresholds = "/".join(f"{t:.2f}" for t in chosen)
        print(row(f"  halves alone, t from the other ({thresholds})", held_out))
    print(row(f"tf-idf single link, best t={best_t:.2f} (oracle)", best))
    if args.baseline_sweep:
        for threshold, scores in baseline_scores:
            print(row(f"  tf-idf single link, t={threshold:.2f}", scores))

    group_sizes = Counter(grouped.copy_groups)
    multi = [size for size in group_sizes.values() if size > 1]
    print(
        f"copy groups: {len(group_sizes)} in all, {len(multi)} with more than one article"
        f" ({sum(multi)} articles); article_links by kind: {grouped.link_kinds or 'none'}"
    )
    print(
        f"group_articles: {grouped.report.articles} articles, {grouped.report.stories} stories,"
        f" {grouped.report.copies} copies, {grouped.seconds:.2f}s"
    )

    if sweep:
        name, values = sweep
        print(f"\nsweep of {name} (other settings as above):")
        print(HEADER)
        for value in values:
            run = run_wirehouse(gold, replace(dedupe, **{name: value}))  # type: ignore[arg-type]
            print(row(f"stories    {name}={value}", score(run.stories, labels)))
            print(row(f"storylines {name}={value}", score(run.storylines, labels)))

    if args.show_errors:
        chosen = grouped.storylines if args.level == "storylines" else grouped.stories
        show_errors(gold, chosen, args.show_errors)
    return 0


if __name__ == "__main__":
    sys.exit(main())
