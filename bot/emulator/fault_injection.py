"""Fault injection and rate-limit switches: what a test calls to make "Slack" misbehave."""

from __future__ import annotations

from collections.abc import Iterable

from bot.emulator.core import EmulatorCore
from bot.emulator.faults import Fault, default_error_for


class FaultInjection(EmulatorCore):
    def fail_next(self, method: str, error: str | None = None, status: int = 200, count: int = 1,
                  retry_after: int | None = None) -> None:
        """Make the next ``count`` calls of ``method`` (or ``"*"``) fail.

        ``status=200`` answers ``{"ok": false, "error": error}``; 5xx answers that status; 429 adds a
        ``Retry-After`` header (``retry_after`` seconds, default 1).
        """
        if status == 429 and retry_after is None:
            retry_after = 1
        with self._lock:
            self._faults.fail_next(
                method, Fault("error", status=status, error=error or default_error_for(status),
                              retry_after=retry_after), count)

    def fail_randomly(self, rate: float = 0.2, statuses: tuple[int, ...] = (429, 500, 503),
                      seed: int | None = None, methods: Iterable[str] | None = None) -> None:
        """Fail a random fraction of calls (``rate=0`` switches it off)."""
        with self._lock:
            self._faults.fail_randomly(rate, tuple(statuses), seed, set(methods) if methods else None)

    def set_latency(self, seconds: float, method: str = "*") -> None:
        """Delay answers to ``method`` (or every method) by real ``seconds``."""
        with self._lock:
            if seconds <= 0:
                self._faults.latency.pop(method, None)
            else:
                self._faults.latency[method] = seconds

    def drop_next_connection(self, method: str = "*", count: int = 1, after_processing: bool = False) -> None:
        """Close the socket without answering. ``after_processing=True`` runs the method first."""
        with self._lock:
            self._drops.append((method, [count], after_processing))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._drops.clear()

    def enforce_rate_limits(self, enabled: bool = True, speedup: float = 1.0, post_message_burst: int = 3) -> None:
        """Slack's method tiers (per minute) and chat.postMessage's ~1 per second per channel, with a
        small burst. **On by default**, at Slack's speed; ``enabled=False`` switches them off and
        ``speedup`` shrinks every window (60 turns "per minute" into "per second"). Limits are
        measured in real time, so a frozen clock neither escapes them nor stays stuck in them."""
        with self._lock:
            self.rate_limiter.configure(enabled, speedup, post_message_burst)

    def let_time_pass_for_limits(self, seconds: float) -> None:
        """Count ``seconds`` as passed for the rate limits only (trigger ids and the 3-second deadline
        keep real time): for a story on a frozen clock that waits for a turn Slack allows, the same
        wait on the app's clock, without sleeping through it. Never moves the limits' time back."""
        with self._lock:
            self.rate_limiter.pass_time(seconds)

    def rate_limits(self, enabled: bool) -> None:
        """Switch rate limits on (Slack's speed) or off."""
        self.enforce_rate_limits(enabled)
