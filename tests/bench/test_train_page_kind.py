"""The page-shape model's fit: plain logistic regression, and a threshold kind to articles."""

from __future__ import annotations

import numpy as np

from bench.eval_wcxb import Page
from bench.train_page_kind import Sample, _cross_check, fit_logistic, likelihoods, threshold


def test_the_fit_separates_two_classes_and_reads_raw_features():
    rng = np.random.default_rng(7)
    lists = rng.normal([3.0, 100.0], [1.0, 10.0], size=(60, 2))
    articles = rng.normal([0.0, 100.0], [1.0, 10.0], size=(240, 2))
    features = np.vstack([lists, articles])
    labels = np.array([True] * 60 + [False] * 240)
    bias, weights = fit_logistic(features, labels, penalty=1.0)
    assert weights[0] > 0.5  # the first feature tells them apart ...
    assert abs(weights[1]) < 0.05  # ... the second is noise on another scale
    scored = likelihoods(bias, weights, features)
    assert scored[:60].mean() > 0.8 and scored[60:].mean() < 0.2
    # a heavier penalty shrinks the weights towards none
    _, shrunk = fit_logistic(features, labels, penalty=1000.0)
    assert 0 < shrunk[0] < weights[0]


def test_the_threshold_rejects_at_most_the_allowed_share_of_articles():
    articles = np.array([0.99, 0.97, 0.93, 0.6, 0.2] + [0.1] * 495)
    cut = threshold(articles, share=1 / 250)  # two of 500 may be rejected
    assert cut == 0.94 and int((articles >= cut).sum()) == 2
    assert threshold(articles, share=0.0) == 1.0  # none: above the highest
    assert threshold(np.array([0.1, 0.2]), share=0.5) == 0.5  # never below an even chance


def test_the_cross_check_counts_what_the_rules_and_the_model_each_decide():
    def page(page_id: str, page_type: str) -> Page:
        return Page(page_id, f"https://a.example/{page_id}", page_type, b"", "", None, None, None)

    pages = [page("0002", "article"), page("0004", "article"), page("0006", "listing"),
             page("0008", "listing"), page("0010", "product"), page("0001", "article")]  # fmt: skip
    shape = {"x": 2.0}  # likelihood 0.62: rejected at 0.5
    kept = [
        Sample("0002", False, {"x": 0.0}),  # an article the model keeps
        Sample("0004", False, {"x": 3.0}),  # ... and one it rejects
        Sample("0006", True, None),  # a list the model may not weigh: kept
        Sample("0008", True, shape),  # a list the model rejects
        Sample("0001", False, shape),  # the other half
    ]  # 0010, a product page, was rejected by the rules
    found = _cross_check(pages, kept, 0, -1.5, np.array([1.0]), 0.5, ["x"])
    assert found == "articles rejected 1 of 2; lists kept 1/3 (0.333)"
    # a half the model weighs nothing of
    unweighed = [Sample("0002", False, None), Sample("0006", True, None)]
    found = _cross_check(pages, unweighed, 0, -1.5, np.array([1.0]), 0.5, ["x"])
    assert found == "articles rejected 1 of 2; lists kept 1/3 (0.333)"
