"""The dates a page, a feed or an archive can carry: none before the web's news, none days
past the moment they are read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EARLIEST = datetime(1995, 1, 1, tzinfo=UTC)
# A date this far past the moment it is read is no publication or fetch date (an event's, a
# typo's, a hostile feed's "2286").
FUTURE_SLACK = timedelta(days=2)


def plausible(at: datetime, now: datetime | None = None) -> bool:
    """Whether an aware datetime can be a publication or fetch date, read at ``now``."""
    return EARLIEST <= at <= (now or datetime.now(UTC)) + FUTURE_SLACK
