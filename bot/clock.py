"""The one clock of the app.

Everything that needs "now" calls :func:`now`, so tests (and the offline demo) can freeze and move
time with freezegun and the whole app, Bolt's signature checks included, follows.
"""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current time as a timezone-aware UTC datetime."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Treat a naive datetime (as SQLite hands back) as UTC; convert an aware one to UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
