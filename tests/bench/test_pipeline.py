"""bench.pipeline on a tiny corpus, so that the benchmark cannot rot."""

from __future__ import annotations

import pytest

from bench import pipeline


@pytest.mark.slow
def test_the_pipeline_benchmark_runs_and_prints_its_figures(capsys):
    if not pipeline.WCXB.is_dir():
        pytest.skip(f"evaluation data not available: {pipeline.WCXB}")
    assert pipeline.main(["--limit", "6", "--scale", "2"]) == 0
    out = capsys.readouterr().out
    for line in ("wirehouse run", "bare extract loop", "ratio", "CPU", "peak memory"):
        assert line in out
    assert "second run" in out and "x2 pages" in out
    assert "new articles  6" in out and "failures      0" in out
