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
[resolve]                           # optional; like curl --resolve
"news.example" = "127.0.0.1:8080"
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wirehouse.errors import InputError

_KNOWN = {
    "db", "archive", "feeds", "sitemaps", "urls", "urls_file", "user_agent",
    "allow_private_network", "resolve",
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
    user_agent = data.get("user_agent")
    if user_agent is not None and not isinstance(user_agent, str):
        raise InputError(f"{path}: user_agent must be a string", reason="bad_config")
    return CrawlConfig(
        db=str(base / data["db"]),
        archive=local(data.get("archive"), "archive"),
        feeds=_strings(data, "feeds", path),
        sitemaps=_strings(data, "sitemaps", path),
        urls=_strings(data, "urls", path),
        urls_file=local(data.get("urls_file"), "urls_file"),
        user_agent=user_agent,
        allow_private_network=private,
        resolve=dict(resolve),
    )
