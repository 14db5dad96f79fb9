"""Synthetic news archives grown from the 199 real Giveme5W1H texts, for scale benchmarks.

The corpus is a stream of events. Each event has an origin article and a heavy-tailed
number of follow-ups: verbatim copies on other domains, edited syndicated copies (a
paragraph or two cut, one word per sentence changed, a new headline, the carrier's
boilerplate line) and rewrites (sentences shuffled, 30% of words replaced). The first 199
events use a real text as it is; later ones are pseudo-events: sentences of one real
article mixed with sentences of two others, with every name and number mapped to tokens of
a synthetic vocabulary and half of the other words swapped (each choice fixed per event),
so that they read as distinct events rather than 34 stories told again. Dates spread over
a year, so the story window matters; domains come from a Zipf-weighted pool of 500.

With the default mixture about 30% of articles are copies (verbatim or edited) and 70% are
distinct texts (origins and rewrites). The stream only depends on the seed, so a smaller
corpus is a prefix of a bigger one.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bench.newscluster import GoldArticle, load_gold
from wirehouse.records import Extraction

START = datetime(2023, 1, 1, tzinfo=UTC)
SPAN_DAYS = 365.0
DOMAINS = 500
AGGREGATORS = 25  # domains that mostly carry copies
MAX_FOLLOW_UPS = 60
# Shares of an event's follow-ups; with the mean event size of about 2.4 this gives ~12%
# verbatim copies, ~17% edited copies, ~29% rewrites and ~42% origins overall.
FOLLOW_UP_KINDS = (("verbatim", 0.2), ("edited", 0.3), ("rewrite", 0.5))
WORD_SWAP = 0.5  # share of a pseudo-event's word types swapped for other words

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"[A-Za-z]+")
_EVENT_WORD = re.compile(r"\b(?:[A-Za-z][\w'’-]*|\d[\d,.]*\d|\d)\b")
_POOL_WORD = re.compile(r"\b[a-z]{3,}\b")
_SYLLABLES = [c + v for c in "bcdfghjklmnprstvwz" for v in ("a", "e", "i", "o", "u", "ai", "or")]
# Capitalised words that start sentences rather than name things: left as they are.
_COMMON_WORDS = """
a an and as at but by for from he her his i if in it its of on or she so that the their
then there these they this those to was we were what when where which while who with
after before during since until although however meanwhile also mr mrs ms dr
"""
_COMMON = frozenset(_COMMON_WORDS.split())
_KEEP = frozenset(["the", "a", "an", "of", "to", "and", "in"])  # never swapped
_BOILERPLATE = (
    "Copyright {year} {site}. All rights reserved. This material may not be republished.",
    "Sign up for the {site} newsletter to get the day's top stories in your inbox.",
    "This story was originally published by a partner of {site} and is republished here.",
    "Follow {site} on social media for the latest breaking news and updates.",
)


@dataclass(frozen=True, slots=True)
class _Text:
    title: str
    paragraphs: tuple[str, ...]


def _vocabulary(rng: random.Random, size: int) -> list[str]:
    """Pronounceable made-up names (Zorakin, Belitu, ...), unique, in a seeded order."""
    names: set[str] = set()
    while len(names) < size:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
        names.add(word.capitalize())
    ordered = sorted(names)
    rng.shuffle(ordered)
    return ordered


def _domains(rng: random.Random, vocabulary: Sequence[str]) -> list[str]:
    tlds = ("com", "com", "com", "co.uk", "net", "org", "news", "com.au", "de", "ie")
    found: list[str] = []
    seen: set[str] = set()
    for name in vocabulary:
        domain = (
            f"{name.lower()}{rng.choice(('', 'news', 'times', 'post', 'daily'))}.{rng.choice(tlds)}"
        )
        if domain not in seen:
            seen.add(domain)
            found.append(domain)
        if len(found) == DOMAINS:
            break
    return found


def _sentences(paragraph: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(paragraph) if s]


def _paragraphs(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split("\n") if p.strip())


def _slug(title: str) -> str:
    return "-".join(w.lower() for w in _WORD.findall(title)[:7]) or "story"


class Synthesiser:
    """A seeded stream of synthetic ``Extraction`` records (see the module docstring)."""

    def __init__(self, seed: int = 20240601, base: Sequence[GoldArticle] | None = None) -> None:
        self.rng = random.Random(seed)
        articles = list(base) if base is not None else load_gold()
        if not articles:
            raise ValueError("no real articles to grow a corpus from")
        self.base = [_Text(a.title, _paragraphs(a.text)) for a in articles]
        # Replacement words follow the real word frequencies, so edits stay plausible.
        self.pool = [w for a in articles for w in _POOL_WORD.findall(a.text)]
        self.names = _vocabulary(self.rng, 40_000)
        self.domains = _domains(self.rng, self.names[-5_000:])
        weights = [1 / (rank + 1) ** 0.8 for rank in range(len(self.domains))]
        self.domain_weights = weights
        self.aggregators = self.rng.sample(self.domains, AGGREGATORS)
        self.serial = 0
        self.event = 0
        self.event_of: dict[str, int] = {}  # record_id -> event number, to score against

    # --- text edits -------------------------------------------------------------------

    def _replace_words(self, text: str, share: float) -> str:
        rng, pool = self.rng, self.pool
        return _WORD.sub(lambda m: rng.choice(pool) if rng.random() < share else m[0], text)

    def _remap(self, text: str, mapping: dict[str, str]) -> str:
        """The event's own words: names and numbers become tokens of the synthetic vocabulary
        and half of the other words (but the commonest few) become other real words drawn by
        frequency; each choice is made once per word and kept for the whole event (an event
        repeats its key terms, as news does).

        Consistent within an event but independent across events, this leaves two
        pseudo-events grown from the same real text few shared 5-word shingles, as two
        reports of different events have, while some of their topic words still overlap."""

        def sub(match: re.Match[str]) -> str:
            word = match[0]
            if word not in mapping:
                if word[0].isdigit():
                    mapping[word] = str(self.rng.randint(2, 99_999))
                elif word[0].isupper():
                    common = word.lower() in _COMMON  # a sentence start, not a name
                    mapping[word] = word if common else self.rng.choice(self.names)
                elif word not in _KEEP and self.rng.random() < WORD_SWAP:
                    mapping[word] = self.rng.choice(self.pool)
                else:
                    mapping[word] = word
            return mapping[word]

        return _EVENT_WORD.sub(sub, text)

    def _pseudo_event(self) -> _Text:
        rng = self.rng
        primary, *others = rng.sample(self.base, 3)
        donors = [s for o in others for p in o.paragraphs for s in _sentences(p)] or [""]
        mapping: dict[str, str] = {}
        paragraphs = []
        for paragraph in primary.paragraphs:
            sentences = [
                rng.choice(donors) if rng.random() < 0.35 else s for s in _sentences(paragraph)
            ]
            paragraphs.append(self._remap(" ".join(s for s in sentences if s), mapping))
        title = self._remap(primary.title, mapping)
        return _Text(title, tuple(p for p in paragraphs if p))

    def _edited(self, origin: _Text, domain: str, date: datetime) -> _Text:
        rng = self.rng
        paragraphs = list(origin.paragraphs)
        if len(paragraphs) >= 4:
            for _ in range(rng.randint(1, 2)):
                paragraphs.pop(rng.randrange(len(paragraphs)))
        edited = []
        for paragraph in paragraphs:
            sentences = []
            for sentence in _sentences(paragraph):
                words = sentence.split(" ")
                spot = rng.randrange(len(words))
                words[spot] = rng.choice(self.pool)  # one word per sentence
                sentences.append(" ".join(words))
            edited.append(" ".join(sentences))
        template = _BOILERPLATE[int(hashlib.md5(domain.encode()).hexdigest(), 16) % 4]
        edited.append(template.format(year=date.year, site=domain.split(".")[0].capitalize()))
        return _Text(self._headline(origin.title), tuple(edited))

    def _rewrite(self, origin: _Text) -> _Text:
        sentences = [s for p in origin.paragraphs for s in _sentences(p)]
        self.rng.shuffle(sentences)
        paragraphs = [
            self._replace_words(" ".join(sentences[i : i + 3]), 0.3)
            for i in range(0, len(sentences), 3)
        ]
        return _Text(self._headline(origin.title), tuple(paragraphs))

    def _headline(self, title: str) -> str:
        prefix = self.rng.choice(("", "", "", "UPDATE: ", "WATCH: ", "Breaking: "))
        return prefix + self._replace_words(title, 0.3)

    # --- articles ---------------------------------------------------------------------

    def _domain(self, avoid: str | None = None, copy: bool = False) -> str:
        while True:
            if copy and self.rng.random() < 0.4:
                domain = self.rng.choice(self.aggregators)
            else:
                domain = self.rng.choices(self.domains, self.domain_weights)[0]
            if domain != avoid:
                return domain

    def _article(
        self,
        text: _Text,
        domain: str,
        date: datetime,
        canonical: str | None = None,
    ) -> Extraction:
        self.serial += 1
        record_id = hashlib.sha256(f"synthetic-{self.serial}".encode()).hexdigest()
        self.event_of[record_id] = self.event
        url = f"https://www.{domain}/{date:%Y/%m/%d}/{_slug(text.title)}-{self.serial}"
        return Extraction(
            record_id=record_id,
            url=url,
            canonical_url=canonical,
            title=text.title,
            author=None,
            page_date=None if self.rng.random() < 0.02 else date,
            sitename=domain,
            language="en",
            text="\n".join(text.paragraphs),
            boilerplate_ratio=round(self.rng.uniform(0.1, 0.6), 3),
            wire_marker=None,
        )

    def events(self) -> Iterator[list[Extraction]]:
        """Endless stream of events, each a list of articles (origin first)."""
        rng = self.rng
        real = list(self.base)
        rng.shuffle(real)
        kinds = [k for k, _ in FOLLOW_UP_KINDS]
        kind_weights = [w for _, w in FOLLOW_UP_KINDS]
        number = 0
        while True:
            origin = real[number] if number < len(real) else self._pseudo_event()
            number += 1
            when = START + timedelta(seconds=rng.uniform(0, SPAN_DAYS * 86_400))
            home = self._domain()
            self.event = number
            first = self._article(origin, home, when)
            articles = [first]
            size = min(int(rng.paretovariate(1.5)), MAX_FOLLOW_UPS + 1)
            for kind in rng.choices(kinds, kind_weights, k=size - 1):
                domain = self._domain(avoid=home, copy=kind != "rewrite")
                if kind == "verbatim":
                    # Most copies follow within hours; a few are republished weeks later.
                    late = rng.random() < 0.05
                    delay = rng.uniform(5, 90) * 86_400 if late else rng.expovariate(1 / 21_600)
                    date = when + timedelta(seconds=delay)
                    canonical = first.url if rng.random() < 0.25 else None
                    articles.append(self._article(origin, domain, date, canonical))
                elif kind == "edited":
                    date = when + timedelta(seconds=rng.expovariate(1 / 21_600))
                    articles.append(self._article(self._edited(origin, domain, date), domain, date))
                else:
                    date = when + timedelta(seconds=rng.uniform(0, 2 * 86_400))
                    articles.append(self._article(self._rewrite(origin), domain, date))
            yield articles

    def articles(self, n: int) -> Iterator[Extraction]:
        """The first ``n`` articles of the stream."""
        produced = 0
        for event in self.events():
            for article in event:
                if produced == n:
                    return
                produced += 1
                yield article


def synthesise(n: int, seed: int = 20240601) -> tuple[list[Extraction], dict[str, int]]:
    """The first ``n`` synthetic articles for ``seed``, and the event of each (by record_id)."""
    synthesiser = Synthesiser(seed)
    articles = list(synthesiser.articles(n))
    return articles, {a.record_id: synthesiser.event_of[a.record_id] for a in articles}
