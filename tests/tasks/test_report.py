"""The run's markdown summary, as the Prefect UI shows it (a plain function, no Prefect)."""

from __future__ import annotations

from tasks.report import summary_markdown
from wirehouse.records import RunSummary


def test_the_summary_says_why_pages_were_not_articles_bot_checks_among_them():
    summary = RunSummary(
        run_id="r1",
        discovered=12,
        fetched=12,
        new_articles=7,
        rejected=5,
        rejected_reasons={"index_page": 1, "unavailable blocked": 3, "unavailable not_found": 1},
        failures={"http_404": 1},
    )
    markdown = summary_markdown(summary, "news.duckdb", [])
    assert "| pages that are not articles | 5 |" in markdown
    section = markdown.split("## Not articles by reason")[1]
    # the most frequent first: a site answering bot checks is what the user acts on
    assert section.index("`unavailable blocked` | 3") < section.index("`index_page` | 1")
    assert "## Failures by reason" in markdown and "`http_404` | 1" in markdown
    assert "Not articles by reason" not in summary_markdown(RunSummary(run_id="r2"), "db", [])
