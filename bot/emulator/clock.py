"""Clock indirection for the emulator.

Every time read in the emulator goes through a :class:`Clock`, which looks the time up
through the :mod:`time` module *at call time*. Tests that freeze or move time with
freezegun therefore drive trigger_id expiry, rate limits and request signatures, and
tests that need full control can swap in a :class:`ManualClock`.
"""

from __future__ import annotations

import threading
import time


class Clock:
    """Wall-clock and monotonic time, read through :mod:`time` on every call."""

    def time(self) -> float:
        """Seconds since the epoch (follows freezegun)."""
        return time.time()

    def monotonic(self) -> float:
        """A monotonic reading in seconds (follows freezegun)."""
        return time.monotonic()


class ManualClock(Clock):
    """A clock that only moves when told to; handy for rate-limit tests."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def time(self) -> float:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``."""
        with self._lock:
            self._now += seconds


def real_wait(seconds: float) -> None:
    """Sleep for real, even when time is frozen (``Event.wait`` is not patched by freezegun)."""
    threading.Event().wait(seconds)
