"""One error tree for wirehouse; each error says whether a retry can help.

    WirehouseError                 (base: .retryable, .url)
    ├── InputError                 terminal: a wrong argument, an unreadable input file
    ├── FetchError
    │   ├── TransientFetchError    retryable: timeout, connection reset, 429, 502/503/504
    │   └── TerminalFetchError     terminal: refused by policy, 4xx, too large, not HTML
    ├── ParseError                 terminal: a malformed feed, sitemap or WARC record
    └── StorageError               terminal: the DuckDB file cannot be opened or migrated
        └── StorageUnavailable     retryable: the DB is held by another process, an archive
                                   file is missing; the work waits, nothing is judged by it

Every error carries a short machine-readable ``reason`` (stored in the ``fetches.error`` and
``rejections.reason`` columns) and a human ``detail``.
"""

from __future__ import annotations


class WirehouseError(Exception):
    """Base of every error wirehouse raises on purpose."""

    retryable: bool = False
    reason: str = "error"

    def __init__(self, detail: str, *, url: str | None = None, reason: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.url = url
        if reason is not None:
            self.reason = reason

    def __str__(self) -> str:
        where = f" ({self.url})" if self.url else ""
        return f"{self.reason}: {self.detail}{where}"


class InputError(WirehouseError):
    """A wrong argument or an input file that cannot be read."""

    reason = "bad_input"


def check_utf8_path(path: str, option: str) -> str:
    """``path``, unless it holds bytes that are no UTF-8 (Python gives them as surrogates,
    which DuckDB and the runs table cannot take: each was a traceback)."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(
            f"{option} {path!r}: the path is not valid UTF-8; rename it", reason="bad_path"
        ) from None
    return path


class FetchError(WirehouseError):
    """Fetching a URL failed."""

    reason = "fetch_failed"

    def __init__(
        self,
        detail: str,
        *,
        url: str | None = None,
        reason: str | None = None,
        status_code: int | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(detail, url=url, reason=reason)
        self.status_code = status_code
        self.retry_after_s = retry_after_s


class TransientFetchError(FetchError):
    """A failure that may go away if we try again later."""

    retryable = True


class TerminalFetchError(FetchError):
    """A failure that a retry cannot fix (policy refusal, 4xx, oversize, wrong type)."""


class ParseError(WirehouseError):
    """A feed, sitemap or WARC record that cannot be parsed."""

    reason = "malformed"


class StorageError(WirehouseError):
    """The archive database cannot be opened, locked or migrated."""

    reason = "storage"


class StorageUnavailable(StorageError):
    """Storage that is there but cannot be used now: the DuckDB file held by another
    process, a WARC file missing from the archive. Never a verdict on a page."""

    retryable = True
    reason = "storage_unavailable"
