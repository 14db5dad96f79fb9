"""The Giveme5W1H news_cluster articles as the pipeline stores them (shared by the story benches).

Each article becomes the ``Extraction`` the extract step would have produced for it and is
written with ``tasks.articles.save_extractions``, so grouping reads it exactly as it reads a
fetched page.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tasks.articles import save_extractions
from wirehouse.db import open_archive
from wirehouse.records import Extraction

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "eval" / "giveme5w1h-news-cluster"
# Any fixed instant: fetched_at only fills first_seen_at, and a constant keeps runs identical.
FETCHED_AT = datetime(2019, 1, 1, tzinfo=UTC)
LOAD_BATCH = 500  # rows per save_extractions call, as the extract step batches them


@dataclass(frozen=True, slots=True)
class GoldArticle:
    """One labelled article of the evaluation set."""

    file_name: str
    url: str
    title: str
    text: str
    authors: tuple[str, ...]
    date_publish: datetime | None
    source_domain: str
    event_id: int
    event: str


def parse_date(raw: object) -> datetime | None:
    """news-please dates ("2017-09-15T00:00:00", naive) as tz-aware UTC; None if absent."""
    if not isinstance(raw, str) or not raw or raw == "None":
        return None
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def load_gold(data_dir: Path = DATA_DIR) -> list[GoldArticle]:
    """Every ``data/*.json`` article, sorted by file name (a stable order)."""
    articles = []
    for path in sorted((data_dir / "data").glob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        cluster = raw["newsCluster"]
        # `text` is the full body; a few news-please records only have the teaser.
        text = raw.get("text") or raw.get("description") or ""
        articles.append(
            GoldArticle(
                file_name=path.name,
                url=raw["url"],
                title=raw.get("title") or "",
                text=text,
                authors=tuple(a for a in raw.get("authors") or () if a),
                date_publish=parse_date(raw.get("date_publish")),
                source_domain=raw.get("source_domain") or "",
                event_id=int(cluster["EventId"]),
                event=str(cluster.get("Event") or ""),
            )
        )
    return articles


GROUPING_CODE = ("tasks/dedupe.py", "tasks/stories.py", "tasks/store.py", "tasks/steps/group.py")


def code_fingerprint() -> str:
    """A short hash of the grouping code as it is on disk now, printed with the figures so
    that numbers measured on different versions of a changing working tree are not mixed."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for name in GROUPING_CODE:
        path = root / name
        digest.update(path.read_bytes() if path.exists() else b"missing")
    return digest.hexdigest()[:12]


def record_id_of(file_name: str) -> str:
    """A stable stand-in for the WARC record id: the hash of the file name."""
    return hashlib.sha256(file_name.encode("utf-8")).hexdigest()


def to_extraction(article: GoldArticle) -> Extraction:
    """What the extract step would have stored for this article."""
    return Extraction(
        record_id=record_id_of(article.file_name),
        url=article.url,
        canonical_url=None,
        title=article.title or None,
        author=", ".join(article.authors) or None,
        page_date=article.date_publish,
        sitename=article.source_domain or None,
        language="en",
        text=article.text,
        boilerplate_ratio=0.3,
        wire_marker=None,
    )


def load_extractions(db_path: str, extractions: Iterable[Extraction]) -> int:
    """Write extractions into the archive at ``db_path`` in extract-step-sized batches."""
    written = 0
    batch: list[Extraction] = []
    with open_archive(db_path) as conn:
        for extraction in extractions:
            batch.append(extraction)
            if len(batch) >= LOAD_BATCH:
                written += save_extractions(conn, [(e, FETCHED_AT) for e in batch])[0]
                batch = []
        if batch:
            written += save_extractions(conn, [(e, FETCHED_AT) for e in batch])[0]
    return written
