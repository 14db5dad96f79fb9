"""The crawl configuration: what the scheduled crawl archives, in a TOML file.

# sources.toml
db = "archive/news.duckdb"          # relative paths are relative to this file
archive = "archive/warc"            # optional; default: next to the DB
feeds = ["https://example.com/rss.xml"]
sitemaps = ["https://example.com/sitemap.xml", "https://example.org/robots.txt"]
urls = ["https://example.com/a-page.html"]
urls_file = "more-urls.txt"         # optional; one URL per line
user_agent = "my-archive/1.0 (+https://example.org/contact)"   # optional
allow_private_network = false       # optional
# db = "ducklake:postgres:dbname=news host=db.internal"   # a DuckLake instead of a file ...
# data_path = "/mnt/lake"           # ... its data files and WARC archive (or s3://...)
# shards = 4                        # a DuckLake crawl fans out to this many shard runs
[resolve]                           # optional; like curl --resolve
"news.example" = "127.0.0.1:8080"
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wirehouse.ducklake import is_lake
from wirehouse.errors import InputError

_KNOWN = {
    "db", "archive", "feeds", "sitemaps", "urls", "urls_file", "user_agent",
    "allow_private_network", "resolve", "data_path", "shards",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class CrawlConfig:
    """One crawl's sources and where it archives them."""

    db: str
    archive: str | None = None
    feeds: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    urls_file: str | None = None
    user_agent: str | None = None
    allow_private_network: bool = False
    resolve: dict[str, str] = field(default_factory=dict)
    data_path: str | None = None  # a DuckLake's data files (a shared folder, or s3://...)
    shards: int = 1  # shard runs the crawl fans out to (a DuckLake only)


def _strings(data: dict[str, Any], key: str, path: Path) -> list[str]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{path}: {key} must be a list of strings", reason="bad_config")
    return list(value)


def load_crawl_config(path: str | Path) -> CrawlConfig:
    """Read and check a crawl configuration file; InputError says what is wrong."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}", reason="bad_config") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path} is not valid TOML: {exc}", reason="bad_config") from exc
    unknown = sorted(set(data) - _KNOWN)
    if unknown:
        raise InputError(f"{path}: unknown setting(s) {', '.join(unknown)}", reason="bad_config")
    if not isinstance(data.get("db"), str):
        raise InputError(f'{path}: db = "PATH" is required', reason="bad_config")
    base = path.resolve().parent

    def local(value: object, key: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise InputError(f"{path}: {key} must be a string", reason="bad_config")
        return str(base / value)

    resolve = data.get("resolve", {})
    if not isinstance(resolve, dict) or not all(isinstance(v, str) for v in resolve.values()):
        raise InputError(f"{path}: [resolve] maps host names to addresses", reason="bad_config")
    private = data.get("allow_private_network", False)
    if not isinstance(private, bool):
        raise InputError(
            f"{path}: allow_private_network must be true or false", reason="bad_config"
        )
    shards = data.get("shards", 1)
    if not isinstance(shards, int) or isinstance(shards, bool) or not 1 <= shards <= 1024:
        raise InputError(
            f"{path}: shards must be a whole number from 1 to 1024", reason="bad_config"
        )
    if shards > 1 and not is_lake(data["db"]):
        raise InputError(
            f'{path}: shards = {shards} needs a DuckLake (db = "ducklake:postgres:..."): a '
            "DuckDB file takes one writer",
            reason="bad_config",
        )
    data_path = data.get("data_path")
    if data_path is not None and not isinstance(data_path, str):
        raise InputError(f"{path}: data_path must be a string", reason="bad_config")
    user_agent = data.get("user_agent")
    if user_agent is not None and not isinstance(user_agent, str):
        raise InputError(f"{path}: user_agent must be a string", reason="bad_config")
    return CrawlConfig(
        db=data["db"] if is_lake(data["db"]) else str(base / data["db"]),
        archive=local(data.get("archive"), "archive"),
        feeds=_strings(data, "feeds", path),
        sitemaps=_strings(data, "sitemaps", path),
        urls=_strings(data, "urls", path),
        urls_file=local(data.get("urls_file"), "urls_file"),
        user_agent=user_agent,
        allow_private_network=private,
        resolve=dict(resolve),
        data_path=data_path if data_path is None or "://" in data_path else str(base / data_path),
        shards=shards,
    )
