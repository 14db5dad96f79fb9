"""Fit the page-shape model of ``tasks/page_kinds.py`` on the WCXB development split.

The page-kind rules catch lists of other pages by what they declare and by clear signs
(cards with prices, headline links without prose). What they keep is then weighed by the
page's shape as a whole (``page_shape``): a logistic model, fitted here on the development
split's articles against its listing, collection, product and service pages that the rules
keep and ``weighs_shape`` lets it weigh (links to other pages or prices; no article markup; an
address that does not date the page).

Each page goes through ``extract_page`` as in a run, twice: at its own address, and at the
address a loopback test server gives it (``http://127.0.0.1:8000/p/<id>``, which says
nothing, while the page's links still lead to its own site). What the pipeline passes to
``page_kind`` is recorded, so the features are exactly those a run computes. Features are
standardised for the fit (L2-penalised, the two classes weighed equally) and the weights are
then expressed on the raw features. The threshold is the lowest likelihood (in hundredths,
at least 0.5) at which at most one training article in 500 is rejected: rejecting an article
costs more than keeping a list. (One in 200 rejected five more of trafilatura-eval's 990
pages, real articles among them.)

It prints a cross-check (fitted on even page ids, scored on odd ones, and the reverse:
articles rejected and other pages still kept, out of all pages of the half, at either
address),
then the weights fitted on both halves, as code for ``tasks/page_kinds.py``, and says whether
the weights there are the same.

    python -m bench.train_page_kind [--penalty 30]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from bench.eval_wcxb import DATA_DIR, MADE_UP_URL, WORKERS, Page, load_pages
from tasks import page_kinds

# Not articles: lists of other pages, a shop's pages, and a service's own pages (landing,
# pricing and feature pages). Fitted with the service pages too, the model rejected 41 of
# the other pages the rules keep, fitted on one half of the split and scored on the other,
# rather than 19 lists and 3 service pages, and no article (1 before).
LIST_TYPES = ("listing", "collection", "product", "service")
ARTICLES_REJECTED_AT_MOST = 1 / 500
PENALTY = 100.0  # L2 on standardised weights: of 10, 30 and 100, the best even/odd cross-check

Matrix = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Sample:
    """One page the rules keep: whether it is a list of other pages, and its shape when the
    model may weigh it."""

    page_id: str
    is_list: bool
    shape: dict[str, float] | None


def _page_kind_inputs(page: Page) -> dict[str, Any] | None:
    """What ``extract_page`` passes to ``page_kind`` for this page (None: it stopped
    before, for another reason)."""
    from tasks import extract
    from wirehouse.settings import ExtractSettings

    seen: list[tuple[page_kinds.PageSignals, dict[str, Any]]] = []

    def record(signals: page_kinds.PageSignals, **kwargs: Any) -> tuple[str, str] | None:
        seen.append((signals, kwargs))
        return None

    original = extract.page_kind
    extract.page_kind = record
    try:
        extract.extract_page(page.html, page.url, "text/html", ExtractSettings())
    finally:
        extract.page_kind = original
    if not seen:
        return None
    signals, kwargs = seen[0]
    return {"signals": signals, **kwargs}


def _sample(page: Page) -> Sample | None:
    inputs = _page_kind_inputs(page)
    if inputs is None:
        return None
    signals, url = inputs["signals"], inputs["url"]
    rules = {k: inputs[k] for k in ("title", "main_text", "words", "dated_by_markup", "bylined")}
    if page_kinds.kind_by_rules(signals, url=url, **rules) is not None:
        return None
    is_list = page.page_type in LIST_TYPES
    if not page_kinds.weighs_shape(
        signals, url, main_text=inputs["main_text"], link_share=inputs["link_share"]
    ):
        return Sample(page.page_id, is_list, None)
    shape = page_kinds.page_shape(
        signals,
        url=url,
        title=inputs["title"],
        main_text=inputs["main_text"],
        dated_by_markup=inputs["dated_by_markup"],
        bylined=inputs["bylined"],
        visible_chars=inputs["visible_chars"],
        link_share=inputs["link_share"],
    )
    return Sample(page.page_id, is_list, shape)


def samples(pages: Sequence[Page]) -> list[Sample]:
    with ProcessPoolExecutor(WORKERS) as pool:
        return [s for s in pool.map(_sample, pages, chunksize=8) if s is not None]


def fit_logistic(
    features: Matrix, labels: npt.NDArray[np.bool_], penalty: float
) -> tuple[float, Matrix]:
    """(bias, weights) on the raw features of an L2-penalised logistic regression fitted
    by Newton's method on standardised features, both classes weighed equally."""
    mean, scale = features.mean(axis=0), features.std(axis=0)
    scale[scale == 0] = 1.0
    design = np.hstack([np.ones((len(features), 1)), (features - mean) / scale])
    target = labels.astype(np.float64)
    positive = max(target.mean(), 1e-9)
    weight = np.where(labels, 0.5 / positive, 0.5 / max(1 - positive, 1e-9))
    ridge = np.eye(design.shape[1]) * penalty
    ridge[0, 0] = 0.0  # the intercept is not penalised
    coef = np.zeros(design.shape[1])
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(design @ coef)))
        gradient = design.T @ (weight * (p - target)) + ridge @ coef
        hessian = (design * (weight * p * (1 - p))[:, None]).T @ design + ridge
        step = np.linalg.solve(hessian, gradient)
        coef -= step
        if np.abs(step).max() < 1e-10:
            break
    raw = coef[1:] / scale
    return float(coef[0] - (raw * mean).sum()), raw


def likelihoods(bias: float, weights: Matrix, features: Matrix) -> Matrix:
    return np.asarray(1.0 / (1.0 + np.exp(-(features @ weights + bias))), dtype=np.float64)


def threshold(article_likelihoods: Matrix, share: float = ARTICLES_REJECTED_AT_MOST) -> float:
    """The lowest likelihood, in hundredths and at least 0.5, that rejects at most
    ``ARTICLES_REJECTED_AT_MOST`` of these articles."""
    allowed = int(len(article_likelihoods) * share)
    ranked = np.sort(article_likelihoods)[::-1]
    above = float(ranked[allowed]) if allowed < len(ranked) else 0.0
    return max(0.5, np.floor(above * 100 + 1) / 100)


def _matrix(found: Sequence[Sample], names: Sequence[str]) -> Matrix:
    return np.array([[(s.shape or {})[n] for n in names] for s in found], dtype=np.float64)


def _cross_check(
    pages: Sequence[Page],
    kept: Sequence[Sample],
    half: int,
    bias: float,
    weights: Matrix,
    cut: float,
    names: Sequence[str],
) -> str:
    """What a model fitted on the other half does to this half's pages: articles rejected
    (by the rules or the model), lists kept (by both), out of all pages of the half."""
    mine = [s for s in kept if int(s.page_id) % 2 == half]
    weighed = [s for s in mine if s.shape is not None]
    rejected = likelihoods(bias, weights, _matrix(weighed, names)) >= cut if weighed else []
    by_model = {s.page_id for s, out in zip(weighed, rejected, strict=True) if out}
    articles = [p for p in pages if int(p.page_id) % 2 == half and p.page_type not in LIST_TYPES]
    lists = [p for p in pages if int(p.page_id) % 2 == half and p.page_type in LIST_TYPES]
    kept_ids = {s.page_id for s in mine} - by_model
    articles_rejected = sum(1 for p in articles if p.page_id not in kept_ids)
    lists_kept = sum(1 for p in lists if p.page_id in kept_ids)
    return (
        f"articles rejected {articles_rejected} of {len(articles)}; "
        f"lists kept {lists_kept}/{len(lists)} ({lists_kept / max(1, len(lists)):.3f})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--penalty", type=float, default=PENALTY)
    parser.add_argument(
        "--articles-rejected", type=float, default=ARTICLES_REJECTED_AT_MOST,
        help="the share of training articles the threshold may reject",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if not DATA_DIR.is_dir():
        print(f"no evaluation data at {DATA_DIR}", file=sys.stderr)
        return 1
    # Each page twice: at its own address, and at a loopback test server's, where the
    # address says nothing; a run meets both.
    # Not at its own address when the split gives it none: that one is made up, and so
    # would be the address features the model learnt from it.
    addressed = {
        "at their own addresses": [
            page
            for page in load_pages(types=("article", *LIST_TYPES))
            if not page.url.startswith(MADE_UP_URL)
        ],
        "on loopback": load_pages(types=("article", *LIST_TYPES), loopback=True),
    }
    kept_by = {where: samples(pages) for where, pages in addressed.items()}
    found = [s for kept in kept_by.values() for s in kept if s.shape is not None]
    names = sorted(found[0].shape or {})
    print(
        ", ".join(
            f"{where}: {len(addressed[where])} pages, the rules keep {len(kept)}, "
            f"{sum(1 for s in kept if s.shape is not None)} that the model may weigh"
            for where, kept in kept_by.items()
        )
    )
    for train in (0, 1):
        fit_on = [s for s in found if int(s.page_id) % 2 == train]
        labels = np.array([s.is_list for s in fit_on])
        bias, weights = fit_logistic(_matrix(fit_on, names), labels, args.penalty)
        cut = threshold(
            likelihoods(bias, weights, _matrix(fit_on, names))[~labels], args.articles_rejected
        )
        half = 1 - train
        print(
            f"fitted on {'even' if train == 0 else 'odd'} ids, threshold {cut:.2f}; on the "
            f"{'odd' if train == 0 else 'even'} ids:"
        )
        for where, kept in kept_by.items():
            print(
                f"  {where}: "
                + _cross_check(addressed[where], kept, half, bias, weights, cut, names)
            )
    labels = np.array([s.is_list for s in found])
    bias, weights = fit_logistic(_matrix(found, names), labels, args.penalty)
    cut = threshold(
        likelihoods(bias, weights, _matrix(found, names))[~labels], args.articles_rejected
    )
    fitted = {n: round(float(w), 4) for n, w in zip(names, weights, strict=True)}
    print("LIST_WEIGHTS: dict[str, float] = {")
    for name, weight in fitted.items():
        print(f'    "{name}": {weight},')
    print("}")
    print(f"LIST_BIAS = {round(bias, 4)}")
    print(f"LIST_LIKELIHOOD = {cut:.2f}")
    same = (
        fitted == page_kinds.LIST_WEIGHTS
        and round(bias, 4) == page_kinds.LIST_BIAS
        and f"{cut:.2f}" == f"{page_kinds.LIST_LIKELIHOOD:.2f}"
    )
    print("tasks/page_kinds.py has these weights" if same else "tasks/page_kinds.py differs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
