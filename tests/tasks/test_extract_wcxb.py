"""Quality gate: a fixed slice of the WCXB dev split through the pipeline vs plain trafilatura.

The slice is chosen by rule, not by result: every 25th article and every 10th listing,
collection and product page, in id order. Each page goes through the pipeline's own path
(WARC archive, extract step, DuckDB) under its real URL, and again served on loopback at
an address that says nothing (/p/<n>) through the whole ``wirehouse run`` command, as a
user or a held-out benchmark runs it; and through plain trafilatura in the same test. The
pipeline may not fall below trafilatura on any figure, either way.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.eval_wcxb import (
    Figures,
    Page,
    load_pages,
    pipeline_outputs,
    plain_output,
    served_outputs,
)

WCXB = Path(__file__).resolve().parents[3] / "shared" / "eval" / "wcxb-dev"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=["archived", "served"])
def figures(request: pytest.FixtureRequest) -> dict[str, tuple[Figures, Figures]]:
    if not (WCXB / "ground-truth").is_dir():
        pytest.skip(f"shared eval data not available: {WCXB}")
    served = request.param == "served"
    articles = load_pages(WCXB, types=["article"], loopback=served)[::25]
    others = load_pages(WCXB, types=["listing", "collection", "product"], loopback=served)[::10]
    pages: list[Page] = articles + others
    ours = served_outputs(pages) if served else pipeline_outputs(pages)
    table: dict[str, tuple[Figures, Figures]] = {}
    for page in pages:
        group = "article" if page.page_type == "article" else "other"
        mine, plain = table.setdefault(group, (Figures(), Figures()))
        mine.add(page, ours[page.page_id])
        plain.add(page, plain_output(page))
    return table


def test_article_text_dates_titles_and_authors_are_no_worse_than_trafilatura(figures):
    mine, plain = (f.as_dict() for f in figures["article"])
    assert figures["article"][0].pages >= 30
    for name in ("f1", "date", "title", "author"):
        assert mine[name] is not None and plain[name] is not None
        assert mine[name] >= plain[name] - 1e-9, (name, mine[name], plain[name])


def test_articles_are_kept_and_other_pages_are_not(figures):
    mine_articles = figures["article"][0].as_dict()
    mine_other, plain_other = (f.as_dict() for f in figures["other"])
    assert mine_articles["kept"] is not None and mine_articles["kept"] >= 0.95
    assert mine_other["kept"] is not None and plain_other["kept"] is not None
    assert mine_other["kept"] <= 0.5 < plain_other["kept"]
