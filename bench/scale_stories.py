"""How the dedupe + story grouping stage scales: time and peak memory at growing archive sizes.

For each size a synthetic archive is grown from the real Giveme5W1H texts (see
``bench.synth_news``: copies, edited syndicated copies, rewrites and distinct pseudo-events
over one year) and every stage runs in its own fresh process, so that each peak RSS belongs
to that stage alone:

1. build:   synthesise the articles and store them with ``save_extractions`` (the load step)
2. compute: ``article_sketches`` -> ``find_copy_links`` -> ``group_stories`` (pure compute)
3. group:   the pipeline's ``group_articles`` step (read, compute, write back)
4. next:    an hourly run's share: 1% more articles (at least 100), dated just after the
            archive's last day, stored untimed; then ``group_articles`` again, which
            regroups only them and what is dated near them

After stages 3 and 4 (untimed) the grouping tables are digested: a change meant only to
make grouping cheaper must print the same digests as the commit before it.

A stage that runs past ``--timeout`` (default 15 minutes), whose RSS passes
``--max-memory-mb`` (default half the machine's memory) or that leaves the machine with
less than 1.5 GB available is killed and reported as such, with the last step it finished;
later stages of that size are skipped. Near-linear scaling means the time ratio between
consecutive sizes stays close to the size ratio (exponent k in time ~ n^k close to 1).

    python -m bench.scale_stories [--sizes 10000,100000 | --quick] [--timeout S]
                                  [--max-memory-mb MB] [--tracemalloc]
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_SIZES = (10_000, 100_000)
QUICK_SIZES = (1_000, 5_000)
RESULT_TAG = "RESULT "
PROGRESS_TAG = "PROGRESS "
MIN_AVAILABLE_MB = 1500  # below this much free memory on the machine a stage is stopped
ROOT = Path(__file__).resolve().parents[1]  # where `-m bench.scale_stories` resolves


def _rss_mb() -> float:
    """This process's peak resident set so far (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    """CPU seconds (user + system) this process has used so far, with the processes it
    waited for and those still running under it (a worker pool's fork server and what it
    reaped of its workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime + _children_cpu_s() + _descendants_cpu_s(os.getpid())


def _descendants_cpu_s(pid: int) -> float:
    """CPU seconds of the processes running under ``pid`` and of the ones they reaped
    (from /proc; 0 where it cannot be read)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return 0.0
    for task in tasks:
        try:
            children = [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
        for child in children:
            try:
                stat = Path(f"/proc/{child}/stat").read_text()
            except OSError:
                continue
            # utime, stime, cutime, cstime: fields 14 to 17, after the ")" that ends the name
            fields = stat[stat.rindex(")") + 2 :].split()
            total += sum(int(v) for v in fields[11:15]) / tick + _descendants_cpu_s(child)
    return total


def _children_cpu_s() -> float:
    """CPU seconds of the processes this one waited for, and of those they waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _emit(result: dict[str, Any], code: str) -> None:
    print(RESULT_TAG + json.dumps({**result, "code": code}), flush=True)


def _progress(step: str, seconds: float) -> None:
    """A step finished: lets the parent say how far a stage got when it has to stop it."""
    print(f"{PROGRESS_TAG}{step} done after {seconds:.1f}s at {_rss_mb():.0f} MB", flush=True)


# --- child stages: each runs in a fresh interpreter --------------------------------------


def child_build(n: int, db_path: str, seed: int) -> dict[str, Any]:
    """Synthesise n articles (not timed with the load) and store them as the extract step does.

    The synthetic event of each article goes to a file beside the DB, for scoring."""
    from bench.newscluster import load_extractions
    from bench.synth_news import synthesise

    started = time.perf_counter()
    articles, events = synthesise(n, seed)
    synth_s = time.perf_counter() - started
    Path(db_path).with_suffix(".events.json").write_text(json.dumps(events), encoding="utf-8")
    _progress("synthesis", synth_s)
    started = time.perf_counter()
    stored = load_extractions(db_path, articles)
    load_s = time.perf_counter() - started
    return {
        "synth_s": synth_s,
        "load_s": load_s,
        "stored": stored,
        "events": len(set(events.values())),
        "rss_mb": _rss_mb(),
    }


def child_compute(db_path: str, trace: bool) -> dict[str, Any]:
    """The pure compute: sketches read once, then copy links and story grouping timed apart.

    With ``trace`` the compute runs under tracemalloc (which slows it several times), so
    only the traced peak of that run is worth reading."""
    import tracemalloc

    from bench.clustering import score
    from tasks.dedupe import find_copy_links
    from tasks.store import article_sketches
    from tasks.stories import group_stories
    from wirehouse.db import open_archive
    from wirehouse.settings import Settings

    settings = Settings().dedupe
    rss_start = _rss_mb()
    started = time.perf_counter()
    with open_archive(db_path, read_only=True) as conn:
        sketches = article_sketches(conn)
    read_s = time.perf_counter() - started
    rss_read = _rss_mb()
    _progress("article_sketches", read_s)
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    links = find_copy_links(sketches, settings)
    links_s = time.perf_counter() - started
    _progress("find_copy_links", links_s)
    started = time.perf_counter()
    result = group_stories(sketches, links, settings)
    stories_s = time.perf_counter() - started
    if trace:
        return {
            "traced_peak_mb": tracemalloc.get_traced_memory()[1] / 2**20,
            "traced_s": links_s + stories_s,
        }
    rss_end = _rss_mb()

    # Outside the timed part: how the stories compare with the synthetic events.
    with open_archive(db_path, read_only=True) as conn:
        record_of = dict(conn.execute("select article_id, record_id from articles").fetchall())
    events = json.loads(Path(db_path).with_suffix(".events.json").read_text(encoding="utf-8"))
    ordered = sorted(result.groupings, key=lambda g: g.article_id)
    scores = score(
        [g.story_id for g in ordered], [events[record_of[g.article_id]] for g in ordered]
    )
    story_sizes = Counter(g.story_id for g in result.groupings)
    return {
        "read_s": read_s,
        "links_s": links_s,
        "stories_s": stories_s,
        "articles": len(sketches),
        "links": dict(sorted(Counter(link.kind for link in links).items())),
        "copy_groups": sum(1 for c in result.copy_groups if c.member_count > 1),
        "stories": len(result.stories),
        "biggest_story": max(story_sizes.values(), default=0),
        "b3_p": scores.b3_p,
        "b3_r": scores.b3_r,
        "b3_f1": scores.b3_f1,
        "rss_start_mb": rss_start,
        "rss_read_mb": rss_read,
        "rss_mb": rss_end,
    }


# What a grouping decided, table by table, without the times it was written at: two
# commits that group one archive alike give one digest (a change meant to be faster only
# must not change it).
GROUPING_TABLES = {
    "articles": "select article_id, copy_group_id, story_id, is_group_origin, published_at,"
    " republished_at, grouped_sha256 from articles",
    "copy_groups": "select * from copy_groups",
    "stories": "select * exclude (created_at, updated_at) from stories",
    "story_vectors": "select * from story_vectors",
    "storylines": "select * exclude (created_at, updated_at) from storylines",
    "article_links": "select * from article_links",
    "story_merges": "select merged_story_id, into_story_id from story_merges",
    "domain_scores": "select * exclude (updated_at) from domain_scores",
    "term_counts": "select * from term_counts",
    "copy_fingerprints": "select * from copy_fingerprints",
}


def grouping_digest(db_path: str) -> str:
    """sha256 over the grouping tables' rows, each table in sorted order."""
    import hashlib

    from wirehouse.db import open_archive

    digest = hashlib.sha256()
    with open_archive(db_path, read_only=True) as conn:
        conn.execute("set enable_progress_bar = false")
        for name, sql in GROUPING_TABLES.items():
            digest.update(name.encode())
            for row in conn.execute(f"{sql} order by all").fetchall():
                digest.update(repr(row).encode())
    return digest.hexdigest()[:16]


def child_group(db_path: str, tmp: str) -> dict[str, Any]:
    """The pipeline's own group step, end to end."""
    from tasks.run_context import RunContext
    from tasks.steps.group import group_articles

    ctx = RunContext(db_path=db_path, archive_dir=str(Path(tmp) / "archive"), run_id="scale")
    rss_start = _rss_mb()
    cpu_start = _cpu_s()
    started = time.perf_counter()
    report = group_articles(ctx)
    group_s = time.perf_counter() - started
    step_cpu_s = _cpu_s() - cpu_start
    rss = _rss_mb()
    return {
        "group_s": group_s,
        "step_cpu_s": step_cpu_s,
        "articles": report.articles,
        "stories": report.stories,
        "copies": report.copies,
        "rss_start_mb": rss_start,
        "rss_mb": rss,
        "digest": grouping_digest(db_path),
    }


def child_next(n: int, db_path: str, tmp: str, seed: int) -> dict[str, Any]:
    """The next run on a grouped archive: 1% new articles dated after the last day."""
    import random
    from collections import defaultdict
    from dataclasses import replace
    from datetime import timedelta

    from bench.newscluster import load_extractions
    from bench.synth_news import SPAN_DAYS, START, synthesise
    from tasks.run_context import RunContext
    from tasks.steps.group import group_articles

    extra = max(100, n // 100)
    articles, events = synthesise(n + extra, seed)  # the first n are the stored ones
    rng = random.Random(seed + 1)
    by_event: defaultdict[int, list[int]] = defaultdict(list)
    for index in range(n, n + extra):
        by_event[events[articles[index].record_id]].append(index)
    end = START + timedelta(days=SPAN_DAYS)
    fresh = []
    for indices in by_event.values():
        dated = [articles[i].page_date for i in indices if articles[i].page_date]
        shift = end + timedelta(hours=rng.uniform(0, 24)) - min(dated) if dated else timedelta()
        for i in indices:
            date = articles[i].page_date
            fresh.append(replace(articles[i], page_date=date + shift if date else None))
    load_extractions(db_path, fresh)
    ctx = RunContext(db_path=db_path, archive_dir=str(Path(tmp) / "archive"), run_id="next")
    rss_start = _rss_mb()
    cpu_start = _cpu_s()
    started = time.perf_counter()
    report = group_articles(ctx)
    next_s = time.perf_counter() - started
    step_cpu_s = _cpu_s() - cpu_start
    rss = _rss_mb()
    return {
        "new": extra,
        "next_s": next_s,
        "step_cpu_s": step_cpu_s,
        "regrouped": report.regrouped,
        "articles": report.articles,
        "rss_start_mb": rss_start,
        "rss_mb": rss,
        "digest": grouping_digest(db_path),
    }


# --- parent: runs the stages and prints the table ----------------------------------------


@dataclass
class Stage:
    """One stage's outcome: its result, or why there is none."""

    result: dict[str, Any] | None = None
    problem: str | None = None  # "timed out after 900s", "failed: ...", "skipped"
    wall_s: float = 0.0
    cpu_s: float = 0.0  # user + system of the stage's process and every process it waited for


@dataclass
class SizeRun:
    n: int
    stages: dict[str, Stage] = field(default_factory=dict)

    def value(self, stage: str, key: str) -> Any:
        result = self.stages.get(stage, Stage()).result
        return None if result is None else result.get(key)


def _rss_of(pid: int) -> float:
    """Current resident set of a process in MB (0 when it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _available_mb() -> float:
    """MemAvailable of the whole machine in MB (inf when /proc/meminfo cannot be read)."""
    try:
        meminfo = Path("/proc/meminfo").read_text(encoding="ascii")
    except OSError:
        return math.inf
    for line in meminfo.splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024
    return math.inf


def default_memory_limit_mb() -> float:
    """Half the machine's memory: a runaway stage must not push other work into the OOM killer."""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return 8192.0
    return pages / 2 / 2**20


def run_stage(args: list[str], timeout: float, memory_limit_mb: float) -> Stage:
    """Run this module as a child for one stage; kill it at the timeout or the memory limit."""
    command = [sys.executable, "-m", "bench.scale_stories", "--child", *args]
    cpu_before = _children_cpu_s()
    started = time.perf_counter()
    problem = None
    peak = 0.0
    # Files, not pipes: a chatty child cannot block on a full pipe while we poll it.
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=err, text=True)
        while child.poll() is None:
            elapsed = time.perf_counter() - started
            rss = _rss_of(child.pid)
            peak = max(peak, rss)
            if elapsed > timeout:
                problem = f"timed out after {timeout:.0f}s"
            elif rss > memory_limit_mb:
                problem = (
                    f"stopped at {rss:.0f} MB RSS (limit {memory_limit_mb:.0f} MB)"
                    f" after {elapsed:.0f}s"
                )
            elif _available_mb() < MIN_AVAILABLE_MB:
                # Other work shares the machine: stop before the kernel's OOM killer picks.
                problem = (
                    f"stopped at {rss:.0f} MB RSS after {elapsed:.0f}s: the machine had"
                    f" less than {MIN_AVAILABLE_MB} MB available"
                )
            if problem:
                child.kill()
                child.wait()
                break
            time.sleep(0.5)
        wall = time.perf_counter() - started
        cpu = _children_cpu_s() - cpu_before
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if problem:
        steps = [
            line[len(PROGRESS_TAG) :]
            for line in stdout.splitlines()
            if line.startswith(PROGRESS_TAG)
        ]
        reached = f"; last step: {steps[-1]}" if steps else "; no step finished"
        return Stage(
            problem=f"{problem}, RSS seen up to {peak:.0f} MB{reached}", wall_s=wall, cpu_s=cpu
        )
    lines = [line for line in stdout.splitlines() if line.startswith(RESULT_TAG)]
    if child.returncode != 0 or not lines:
        tail = (stderr.strip().splitlines() or ["no output"])[-1]
        return Stage(problem=f"failed (exit {child.returncode}): {tail}", wall_s=wall, cpu_s=cpu)
    return Stage(result=json.loads(lines[-1][len(RESULT_TAG) :]), wall_s=wall, cpu_s=cpu)


def run_size(n: int, timeout: float, memory_limit_mb: float, seed: int, trace: bool) -> SizeRun:
    run = SizeRun(n)
    tmp = tempfile.mkdtemp(prefix=f"wirehouse-scale-{n}-")
    db_path = str(Path(tmp) / "scale.duckdb")
    try:
        plan = [
            ("build", ["build", str(n), db_path, "--seed", str(seed)]),
            ("compute", ["compute", str(n), db_path]),
            ("group", ["group", str(n), db_path]),
            ("next", ["next", str(n), db_path, "--seed", str(seed)]),
        ]
        if trace:
            plan.append(("trace", ["compute", str(n), db_path, "--tracemalloc"]))
        for name, args in plan:
            if any(s.problem for s in run.stages.values()):
                run.stages[name] = Stage(problem="skipped (an earlier stage did not finish)")
                continue
            print(f"  n={n}: {name} ...", file=sys.stderr, flush=True)
            run.stages[name] = stage = run_stage(args, timeout, memory_limit_mb)
            status = stage.problem or f"done in {stage.wall_s:.1f}s"
            print(f"  n={n}: {name} {status}", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return run


def _num(value: float | None, fmt: str, width: int) -> str:
    return f"{value:{width}{fmt}}" if value is not None else f"{'-':>{width}}"


def print_table(runs: list[SizeRun], timeout: float, memory_limit_mb: float) -> None:
    print(
        f"{'n':>7} {'synth s':>8} {'load s':>8} {'load/s':>7}"
        f" {'links s':>8} {'stories s':>9} {'compute/s':>9} {'RSS MB':>7}"
        f" {'group s':>8} {'group/s':>7} {'RSS MB':>7}"
    )
    print(
        f"{'':>33} {'-- compute: find_copy_links + group_stories --':>46} {'-- group_articles --':>24}"
    )
    for run in runs:
        load_s = run.value("build", "load_s")
        links_s = run.value("compute", "links_s")
        stories_s = run.value("compute", "stories_s")
        compute_s = links_s + stories_s if links_s is not None and stories_s is not None else None
        group_s = run.value("group", "group_s")
        print(
            f"{run.n:>7} {_num(run.value('build', 'synth_s'), '.1f', 8)}"
            f" {_num(load_s, '.1f', 8)} {_num(run.n / load_s if load_s else None, '.0f', 7)}"
            f" {_num(links_s, '.1f', 8)} {_num(stories_s, '.1f', 9)}"
            f" {_num(run.n / compute_s if compute_s else None, '.0f', 9)}"
            f" {_num(run.value('compute', 'rss_mb'), '.0f', 7)}"
            f" {_num(group_s, '.1f', 8)} {_num(run.n / group_s if group_s else None, '.0f', 7)}"
            f" {_num(run.value('group', 'rss_mb'), '.0f', 7)}"
        )
        for name, stage in run.stages.items():
            if stage.problem:
                print(f"{'':>7} {name}: {stage.problem}")

    print("\nwhat was found (sanity: stories must not collapse into a few):")
    for run in runs:
        compute = run.stages.get("compute", Stage()).result
        if not compute:
            continue
        print(
            f"  n={run.n}: {run.value('build', 'events')} synthetic events;"
            f" links {compute['links']}; {compute['copy_groups']} copy groups > 1;"
            f" {compute['stories']} stories (biggest {compute['biggest_story']});"
            f" B-cubed vs synthetic events P {compute['b3_p']:.3f} R {compute['b3_r']:.3f}"
            f" F1 {compute['b3_f1']:.3f}"
        )
        print(
            f"  {'':>{len(str(run.n)) + 3}}RSS after imports {compute['rss_start_mb']:.0f} MB,"
            f" after reading sketches {compute['rss_read_mb']:.0f} MB;"
            f" grouping code {compute['code']}"
        )
        traced = run.value("trace", "traced_peak_mb")
        if traced is not None:
            print(
                f"  {'':>{len(str(run.n)) + 3}}tracemalloc peak of the compute {traced:.0f} MB"
                f" (traced run took {run.value('trace', 'traced_s'):.1f}s)"
            )

    print("\nthe next run (1% new articles, dated after the archive's last day):")
    for run in runs:
        if run.value("next", "next_s") is None:
            continue
        print(
            f"  n={run.n}: {run.value('next', 'new')} new articles grouped in"
            f" {run.value('next', 'next_s'):.1f}s, regrouping {run.value('next', 'regrouped')}"
            f" of {run.value('next', 'articles')} articles; RSS {run.value('next', 'rss_mb'):.0f} MB"
        )

    print(
        "\neach stage's process, start to end (CPU = user + system, with every process it"
        " waited for; the step's own CPU, in its process, in brackets):"
    )
    for run in runs:
        for name, stage in run.stages.items():
            if stage.result is None:
                continue
            step = stage.result.get("step_cpu_s")
            print(
                f"  n={run.n} {name:>7}: wall {stage.wall_s:6.1f}s, CPU {stage.cpu_s:6.1f}s"
                + (f" (step {step:.1f}s)" if step is not None else "")
                + f", peak RSS {_num(stage.result.get('rss_mb'), '.0f', 5)} MB"
            )

    print("\ngrouping tables' digests (equal across commits: the grouping did not change):")
    for run in runs:
        print(
            f"  n={run.n}: after the first grouping {run.value('group', 'digest') or '-'},"
            f" after the next run {run.value('next', 'digest') or '-'}"
        )

    print("\ngrowth between consecutive sizes (near-linear: time ratio ~ size ratio, k ~ 1):")
    metrics = [
        ("load", lambda r: r.value("build", "load_s")),
        ("find_copy_links", lambda r: r.value("compute", "links_s")),
        ("group_stories", lambda r: r.value("compute", "stories_s")),
        ("group_articles", lambda r: r.value("group", "group_s")),
        ("next run", lambda r: r.value("next", "next_s")),
        ("compute RSS", lambda r: r.value("compute", "rss_mb")),
        ("group RSS", lambda r: r.value("group", "rss_mb")),
    ]
    for before, after in itertools.pairwise(runs):
        size_ratio = after.n / before.n
        parts = []
        for name, get in metrics:
            a, b = get(before), get(after)
            if a and b:
                parts.append(
                    f"{name} x{b / a:.1f} (k={math.log(b / a) / math.log(size_ratio):.2f})"
                )
            else:
                parts.append(f"{name} n/a")
        print(f"  {before.n} -> {after.n} (x{size_ratio:.0f}): " + ", ".join(parts))
    codes = sorted({s.result["code"] for r in runs for s in r.stages.values() if s.result})
    print(f"grouping code {', '.join(codes) or '?'} (bench.newscluster.code_fingerprint)")
    if len(codes) > 1:
        by_stage = ", ".join(
            f"{r.n} {name} {stage.result['code']}"
            for r in runs
            for name, stage in r.stages.items()
            if stage.result
        )
        print(f"  the code changed during the run, figures are mixed: {by_stage}")
    print(
        f"(each stage in a fresh process, stopped after {timeout:.0f}s or at"
        f" {memory_limit_mb:.0f} MB RSS; RSS MB = the stage's ru_maxrss)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default=",".join(map(str, DEFAULT_SIZES)), help="e.g. 10000,100000"
    )
    parser.add_argument("--quick", action="store_true", help=f"sizes {QUICK_SIZES}: a smoke run")
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="seconds one stage may run (default 900)"
    )
    parser.add_argument(
        "--max-memory-mb",
        type=float,
        default=default_memory_limit_mb(),
        help="kill a stage whose RSS passes this (default: half the machine's memory)",
    )
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument(
        "--tracemalloc", action="store_true", help="also trace the compute's Python peak (slower)"
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    from bench.newscluster import DATA_DIR, code_fingerprint

    if args.child:
        code = code_fingerprint()  # the code this process is about to import
        stage, n, db_path = args.child[0], int(args.child[1]), args.child[2]
        if stage == "build":
            _emit(child_build(n, db_path, args.seed), code)
        elif stage == "compute":
            _emit(child_compute(db_path, args.tracemalloc), code)
        elif stage == "group":
            _emit(child_group(db_path, str(Path(db_path).parent)), code)
        elif stage == "next":
            _emit(child_next(n, db_path, str(Path(db_path).parent), args.seed), code)
        else:
            parser.error(f"unknown stage {stage}")
        return 0

    if not (DATA_DIR / "data").is_dir():
        print(f"no texts to grow a corpus from at {DATA_DIR / 'data'}", file=sys.stderr)
        return 1
    sizes = QUICK_SIZES if args.quick else tuple(int(s) for s in args.sizes.split(",") if s)
    runs = [
        run_size(n, args.timeout, args.max_memory_mb, args.seed, args.tracemalloc) for n in sizes
    ]
    print_table(runs, args.timeout, args.max_memory_mb)
    return 0


if __name__ == "__main__":
    sys.exit(main())
