"""Clustering scores (pairwise, B-cubed, ARI) and a plain tf-idf single-link baseline.

Numpy only, so the benches depend on nothing the pipeline does not already install.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

_TOKEN = re.compile(r"\b\w\w+\b")  # scikit-learn's default token pattern


@dataclass(frozen=True, slots=True)
class Scores:
    """How well a predicted partition matches the gold one."""

    clusters: int
    pair_p: float
    pair_r: float
    pair_f1: float
    b3_p: float
    b3_r: float
    b3_f1: float
    ari: float


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def score(predicted: Sequence[Hashable], gold: Sequence[Hashable]) -> Scores:
    """Pairwise P/R/F1 over all unordered pairs, B-cubed P/R/F1 (per-item means) and ARI.

    With no predicted (or gold) pairs at all, pairwise precision (recall) is 1.0: nothing
    was wrongly joined (missed)."""
    if len(predicted) != len(gold):
        raise ValueError("predicted and gold labels differ in length")
    n = len(gold)
    cells = Counter(zip(predicted, gold, strict=True))
    pred_sizes = Counter(predicted)
    gold_sizes = Counter(gold)

    together = sum(_pairs(c) for c in cells.values())
    pred_pairs = sum(_pairs(c) for c in pred_sizes.values())
    gold_pairs = sum(_pairs(c) for c in gold_sizes.values())
    pair_p = together / pred_pairs if pred_pairs else 1.0
    pair_r = together / gold_pairs if gold_pairs else 1.0

    # B-cubed: an item in cell (s, g) sees cell/|s| precision and cell/|g| recall.
    b3_p = sum(c * c / pred_sizes[s] for (s, _g), c in cells.items()) / n if n else 0.0
    b3_r = sum(c * c / gold_sizes[g] for (_s, g), c in cells.items()) / n if n else 0.0

    total = _pairs(n)
    expected = pred_pairs * gold_pairs / total if total else 0.0
    best = (pred_pairs + gold_pairs) / 2
    ari = (together - expected) / (best - expected) if best != expected else 1.0
    return Scores(
        clusters=len(pred_sizes),
        pair_p=pair_p,
        pair_r=pair_r,
        pair_f1=_f1(pair_p, pair_r),
        b3_p=b3_p,
        b3_r=b3_r,
        b3_f1=_f1(b3_p, b3_r),
        ari=ari,
    )


def tfidf_matrix(docs: Sequence[str]) -> np.ndarray:
    """L2-normalised tf-idf rows (raw counts, smooth idf) over lowercased word tokens."""
    tokenised = [_TOKEN.findall(doc.lower()) for doc in docs]
    vocabulary = {term: i for i, term in enumerate(sorted({t for ts in tokenised for t in ts}))}
    counts = np.zeros((len(docs), len(vocabulary)), dtype=np.float64)
    for row, tokens in enumerate(tokenised):
        for term, tf in Counter(tokens).items():
            counts[row, vocabulary[term]] = tf
    df = (counts > 0).sum(axis=0)
    idf = np.log((1 + len(docs)) / (1 + df)) + 1
    weights = counts * idf
    norms = np.linalg.norm(weights, axis=1, keepdims=True)
    return np.asarray(weights / np.where(norms == 0, 1.0, norms))


def single_link(similarity: np.ndarray, threshold: float) -> list[int]:
    """Connected components of "cosine >= threshold"; each item labelled by its smallest index."""
    n = similarity.shape[0]
    adjacent = similarity >= threshold
    labels = [-1] * n
    for start in range(n):
        if labels[start] >= 0:
            continue
        labels[start] = start
        stack = [start]
        while stack:
            item = stack.pop()
            for other in np.flatnonzero(adjacent[item]).tolist():
                if labels[other] < 0:
                    labels[other] = start
                    stack.append(other)
    return labels


def threshold_grid(low: float, high: float, step: float) -> list[float]:
    """low, low+step, ..., high, rounded so that 0.1 + 0.05k prints as it should."""
    count = math.floor((high - low) / step + 1e-9) + 1
    return [round(low + i * step, 6) for i in range(count)]
