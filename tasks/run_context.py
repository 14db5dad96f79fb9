"""Where a run writes, what it archives, and how it may reach the network."""

from __future__ import annotations

import codecs
import logging
import secrets
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from tasks.fetch import FetchPolicy, StaticResolver, split_address
from tasks.listings import parse_url_list
from tasks.raw_archive import WarcArchive, resolve_warc_path
from tasks.shards import Shard
from tasks.urls import is_http_url
from wirehouse.db import open_archive
from wirehouse.ducklake import is_lake
from wirehouse.errors import InputError, check_utf8_path
from wirehouse.records import (
    Link,
)
from wirehouse.settings import Settings

logger = logging.getLogger("wirehouse.run_context")


@dataclass(frozen=True, slots=True)
class RunContext:
    """Where a run writes and how it may reach the network."""

    db_path: str
    archive_dir: str
    run_id: str
    settings: Settings = field(default_factory=Settings)
    allow_private_network: bool = False
    resolve: tuple[tuple[str, str], ...] = ()  # (host, "address[:port]") overrides
    shard: Shard | None = None  # only the hosts of this shard (``--shard K/N``)

    def __post_init__(self) -> None:
        # A wrong override is the caller's mistake, said before any work starts (it failed
        # mid-fetch, a traceback, or every request as "private_address").
        for host, address in self.resolve:
            try:
                split_address(address)
            except ValueError as exc:
                raise InputError(f"resolve {host}={address}: {exc}", reason="bad_resolve") from None

    @classmethod
    def for_archive(cls, db_path: str) -> RunContext:
        """A new run on an existing archive, with the environment's settings (for the flows
        that work on what is archived: re-extraction, maintenance). An archive that is not
        there is an InputError: a mistyped ``db`` made a new, empty archive there, and the
        run reported success."""
        if not is_lake(db_path) and not (db_path and Path(db_path).is_file()):
            raise InputError(f"no archive at {db_path!r}: give the db of an existing archive")
        settings = Settings.from_env()
        return cls(
            db_path=db_path,
            archive_dir=default_archive_dir(db_path, settings.archive.data_path),
            run_id=new_run_id(),
            settings=settings,
        )

    @property
    def is_lake(self) -> bool:
        """Whether the archive is a DuckLake (many writers) rather than a DuckDB file."""
        return is_lake(self.db_path)

    @property
    def db_dir(self) -> Path:
        """The folder stored WARC paths are relative to: the database's, or a DuckLake's
        local data path (the WARC archive's parent when the data path is s3://)."""
        if self.is_lake:
            data_path = self.settings.archive.data_path
            if data_path and "://" not in data_path:
                return Path(data_path).absolute()
            return Path(self.archive_dir).absolute().parent
        return Path(self.db_path).absolute().parent

    def owns(self, url: str) -> bool:
        """Whether this run archives the URL (its host is in the run's shard, if any)."""
        return self.shard is None or self.shard.owns(url)

    def warc_file(self, stored_path: str) -> Path:
        """Where a stored WARC path is now (StorageUnavailable when it is nowhere)."""
        return resolve_warc_path(stored_path, self.db_dir, self.archive_dir)

    def warc_archive(self, suffix: str = "") -> WarcArchive:
        """The run's WARC writer, its records naming files relative to the database."""
        return WarcArchive(self.archive_dir, self.run_id + suffix, relative_to=self.db_dir)

    def open(
        self, *, wait_s: float | None = None, migrated: bool = False
    ) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        """The archive, opened for writing; while another process holds the file it waits
        ``wait_s`` (default: the ``lock_wait_s`` setting), saying so."""
        wait = self.settings.archive.lock_wait_s if wait_s is None else wait_s
        data_path = self.settings.archive.data_path or None
        return open_archive(self.db_path, wait_s=wait, migrated=migrated, data_path=data_path)

    def policy(self) -> FetchPolicy:
        return FetchPolicy(self.settings.fetch, self.allow_private_network)

    def resolver(self) -> StaticResolver:
        return StaticResolver(dict(self.resolve))


def default_archive_dir(db: str, data_path: str = "") -> str:
    """The WARC archive lives next to the DB (demo.duckdb -> demo-archive/), or under a
    DuckLake's data path (<data path>/warc/). A DuckLake whose data path is s3:// needs a
    folder named for it (``--archive``): WARC files are written to a local or shared
    filesystem."""
    if is_lake(db):
        if not data_path:
            raise InputError(
                "a DuckLake archive needs --data-path (or WIREHOUSE_DATA_PATH): the folder "
                "its data files and raw WARC archive go to",
                reason="bad_archive_path",
            )
        if "://" in data_path:
            raise InputError(
                f"the data path {data_path} is not a local folder: give --archive DIR, a "
                "folder every worker mounts, for the raw WARC archive",
                reason="bad_archive_path",
            )
        return str(Path(data_path).absolute() / "warc")
    path = Path(db)
    return str(path.with_name(f"{path.stem}-archive"))


def new_run_id(now: datetime | None = None) -> str:
    """A sortable, unique run id: 20231015T120000Z-1a2b3c."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


@dataclass(frozen=True, slots=True)
class Sources:
    """What a run should archive."""

    urls: tuple[str, ...] = ()
    urls_file: str | None = None
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    warcs: tuple[str, ...] = ()

    def validate(self) -> None:
        """Raise InputError for a wrong argument, before any work starts."""
        for url in (*self.urls, *self.feeds, *self.sitemaps):
            if not is_http_url(url):
                raise InputError(f"not an http(s) URL: {url!r}", reason="bad_url")
        for path in (*([self.urls_file] if self.urls_file else []), *self.warcs):
            check_utf8_path(path, "--warc" if path in self.warcs else "--urls-file")
            candidate = Path(path)
            if not candidate.is_file():
                what = (
                    "no such file" if not candidate.exists()
                    else "a folder, not a file" if candidate.is_dir()
                    else "not a regular file (a device or a pipe)"
                )  # fmt: skip
                raise InputError(f"cannot read {path}: {what}", reason="unreadable_input")
        if self.urls_file:
            read_url_file(self.urls_file)

    def is_empty(self) -> bool:
        return not (self.urls or self.urls_file or self.feeds or self.sitemaps or self.warcs)


# A URL file past this is no list anyone wrote (a million URLs take 80 MB): it was read
# whole, twice, and a 2 GB file of NUL bytes took 4.3 GB before its error.
MAX_URL_FILE_BYTES = 1 << 30


def read_url_file(path: str) -> list[Link]:
    try:
        size = Path(path).stat().st_size
        if size > MAX_URL_FILE_BYTES:
            raise InputError(
                f"{path} is {size:,} bytes, over the {MAX_URL_FILE_BYTES:,} a URL file may "
                "be: split it over several runs",
                reason="unreadable_input",
            )
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(
            f"cannot read {path}: {exc.strerror or exc}", reason="unreadable_input"
        ) from exc
    # UTF-8 (a BOM or none), or UTF-16 with its BOM (what Windows editors save as "Unicode")
    wide = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    return parse_url_list(data.decode("utf-16" if wide else "utf-8-sig", errors="replace"))
