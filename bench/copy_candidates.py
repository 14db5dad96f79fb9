"""Near-copy candidates: which edited copies each candidate generator finds, at what cost.

The 199 real Giveme5W1H texts are the originals; each is copied the ways syndication copies
a text (a paragraph cut and a word per sentence changed, an excerpt of its first third,
buried in twice its length of other text, ...), and every pair among originals and copies
whose shingle containment reaches ``copy_containment`` is a true copy. Each generator is
scored on the same texts, in the same run:

- all pairs:       every pair verified (exact, quadratic: the baseline for recall)
- minhash lsh:     what wirehouse uses (``tasks.dedupe.minhash_keys`` + ``copy_candidates``)
- sampled hashes:  the earlier design, shingle hashes with hash % 4 == 0 shared 3 times

and prints, per edit: the median Jaccard and containment of the copies, each generator's
recall of true copies; then candidates to verify per text, keys stored per text, and time.

    python -m bench.copy_candidates [--seed N]
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Sequence

import numpy as np

from bench.newscluster import DATA_DIR, load_gold
from tasks.dedupe import ShingleHasher, containment, copy_candidates, copy_score, minhash_keys
from wirehouse.settings import DedupeSettings

Edit = Callable[[str, random.Random, Sequence[str]], str]


def _paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n") if p.strip()]


def _change_words(text: str, rng: random.Random, per_sentence: int) -> str:
    sentences = []
    for sentence in text.split(". "):
        words = sentence.split(" ")
        for _ in range(per_sentence):
            words[rng.randrange(len(words))] = rng.choice(("reportedly", "also", "now", "then"))
        sentences.append(" ".join(words))
    return ". ".join(sentences)


def _cut_and_edit(text: str, rng: random.Random, others: Sequence[str]) -> str:
    paragraphs = _paragraphs(text)
    for _ in range(min(2, len(paragraphs) - 2)):
        paragraphs.pop(rng.randrange(len(paragraphs)))
    return _change_words("\n".join(paragraphs), rng, 1)


def _excerpt(text: str, rng: random.Random, others: Sequence[str]) -> str:
    paragraphs = _paragraphs(text)
    return "\n".join(paragraphs[: max(1, len(paragraphs) // 3)])


def _buried(text: str, rng: random.Random, others: Sequence[str]) -> str:
    around = [rng.choice(others) for _ in range(2)]
    return "\n".join([around[0], _change_words(text, rng, 1), around[1]])


EDITS: dict[str, Edit] = {
    "cut 2 paragraphs, 1 word/sentence": _cut_and_edit,
    "2 words changed per sentence": lambda t, rng, o: _change_words(t, rng, 2),
    "first third only (excerpt)": _excerpt,
    "edited, buried in 2x other text": _buried,
}


def _sampled_hash_pairs(shingles: Sequence[np.ndarray]) -> set[tuple[int, int]]:
    """The earlier generator: shingle hashes with hash % 4 == 0 as keys, 3 shared."""
    postings: defaultdict[int, list[int]] = defaultdict(list)
    for index, hashes in enumerate(shingles):
        for key in hashes[hashes % np.uint64(4) == 0].tolist():
            postings[key].append(index)
    shared: defaultdict[tuple[int, int], int] = defaultdict(int)
    for holders in postings.values():
        if 2 <= len(holders) <= 200:
            for i, a in enumerate(holders):
                for b in holders[i + 1 :]:
                    shared[(a, b)] += 1
    return {pair for pair, count in shared.items() if count >= 3}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    gold = load_gold()
    if not gold:
        print(f"no articles under {DATA_DIR}")
        return 1
    settings = DedupeSettings()
    hasher = ShingleHasher(settings.shingle_size)
    rng = random.Random(args.seed)
    originals = [a.text for a in gold if len(a.text.split()) >= 80]
    texts = list(originals)
    copies_by_edit: dict[str, list[tuple[int, int]]] = {}  # edit -> (original, copy)
    for name, edit in EDITS.items():
        copies_by_edit[name] = []
        for index, original in enumerate(originals):
            copies_by_edit[name].append((index, len(texts)))
            texts.append(edit(original, rng, originals))
    shingles = [hasher.shingles(t) for t in texts]
    print(f"{len(originals)} real texts from {DATA_DIR} and {len(texts) - len(originals)} copies")

    started = time.perf_counter()
    true_pairs = {
        (a, b)
        for a, b in itertools.combinations(range(len(texts)), 2)
        if copy_score(shingles[a], shingles[b], settings) is not None
    }
    exact_s = time.perf_counter() - started

    started = time.perf_counter()
    keys = [minhash_keys(s, settings) for s in shingles]
    lsh = {(a, b) for _, a, b in copy_candidates(keys, settings)}
    lsh_s = time.perf_counter() - started

    started = time.perf_counter()
    sampled = _sampled_hash_pairs(shingles)
    sampled_s = time.perf_counter() - started

    generators = {"all pairs": true_pairs, "minhash lsh": lsh, "sampled hashes": sampled}
    print(
        f"\n{'edit (copy vs its original)':36} {'J':>5} {'C':>5}"
        + "".join(f" {name:>15}" for name in generators)
    )
    for name in EDITS:
        pairs = [pair for pair in copies_by_edit[name] if pair in true_pairs]
        jaccard = [
            np.intersect1d(shingles[o], shingles[c]).size
            / np.union1d(shingles[o], shingles[c]).size
            for o, c in pairs
        ]
        contained = [containment(shingles[o], shingles[c]) for o, c in pairs]
        recalls = "".join(
            f" {sum(p in found for p in pairs) / max(len(pairs), 1):>15.3f}"
            for found in generators.values()
        )
        print(
            f"{name:36} {statistics.median(jaccard):>5.2f} {statistics.median(contained):>5.2f}"
            + recalls
        )
    print(
        f"{'all true copy pairs':48}"
        + "".join(
            f" {len(found & true_pairs) / len(true_pairs):>15.3f}" for found in generators.values()
        )
    )
    print(
        f"{'candidates to verify per text':48}"
        + "".join(f" {len(found) / len(texts):>15.2f}" for found in generators.values())
    )
    print(
        f"{'false candidates per text':48}"
        + "".join(
            f" {len(found - true_pairs) / len(texts):>15.2f}" for found in generators.values()
        )
    )
    stored = [
        sum(s.size for s in shingles),
        sum(k.size for k in keys),
        sum(int((s % np.uint64(4) == 0).sum()) for s in shingles),
    ]
    print(
        f"{'keys stored per text':48}"
        + "".join(f" {count / len(texts):>15.1f}" for count in stored)
    )
    print(
        f"{'seconds (candidates; all pairs: verification)':48}"
        + "".join(f" {seconds:>15.2f}" for seconds in (exact_s, lsh_s, sampled_s))
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
