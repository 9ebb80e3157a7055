"""Clock indirection for the emulator.

Every time read in the emulator goes through a :class:`Clock`. Wall-clock reads (``time()``,
``monotonic()``) look the time up through the :mod:`time` module *at call time*, so tests that
freeze or move time with freezegun drive timestamps, response_url expiry and request signatures.

What real Slack measures in real time, whatever the app's clock says — trigger_id expiry, the
3-second acknowledgement deadline, rate limits — goes through ``real_monotonic()``, which
freezegun does not patch. A :class:`ManualClock` drives both, for tests that need full control.
"""

from __future__ import annotations

import threading
import time


def real_monotonic() -> float:
    """Monotonic seconds that freezegun does not freeze (``clock_gettime`` is never patched)."""
    if hasattr(time, "clock_gettime") and hasattr(time, "CLOCK_MONOTONIC"):
        return time.clock_gettime(time.CLOCK_MONOTONIC)
    return time.monotonic()  # pragma: no cover - platforms without clock_gettime


class Clock:
    """Wall-clock and monotonic time, read through :mod:`time` on every call."""

    def time(self) -> float:
        """Seconds since the epoch (follows freezegun)."""
        return time.time()

    def monotonic(self) -> float:
        """A monotonic reading in seconds (follows freezegun)."""
        return time.monotonic()

    def real_monotonic(self) -> float:
        """Real elapsed time, even under freezegun (trigger expiry, ack deadline, rate limits)."""
        return real_monotonic()


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

    def real_monotonic(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``."""
        with self._lock:
            self._now += seconds


def real_wait(seconds: float) -> None:
    """Sleep for real, even when time is frozen (``Event.wait`` is not patched by freezegun)."""
    threading.Event().wait(seconds)
