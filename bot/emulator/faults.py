"""Fault injection (errors, 5xx, 429, latency, dropped connections) and Slack's rate-limit tiers."""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass
from typing import Literal

from bot.emulator.clock import Clock

# Slack's published tiers (requests per minute) for the methods the emulator implements.
# Tier 1 is "1+ per minute": a reconnecting Socket Mode client may call apps.connections.open a
# few times in a row, so the emulator lets a small burst through.
TIER_LIMITS: dict[int, int] = {1: 3, 2: 20, 3: 50, 4: 100}
METHOD_TIERS: dict[str, int] = {
    "auth.test": 4,
    "users.info": 4,
    "users.lookupByEmail": 3,
    "users.list": 2,
    "conversations.open": 3,
    "conversations.info": 3,
    "conversations.members": 4,
    "conversations.history": 3,
    "conversations.replies": 3,
    "conversations.join": 3,
    "apps.connections.open": 1,
    "chat.postEphemeral": 4,
    "chat.update": 3,
    "chat.delete": 3,
    "views.open": 4,
    "views.update": 4,
    "views.push": 4,
    "views.publish": 4,
    "pins.add": 2,
    "pins.remove": 2,
    "files.getUploadURLExternal": 4,
    "files.completeUploadExternal": 4,
}
DEFAULT_TIER = 3
POST_MESSAGE_PER_SECOND = 1.0


@dataclass
class Fault:
    """What to do instead of answering normally."""

    kind: Literal["error", "drop"]
    status: int = 200
    error: str | None = None
    retry_after: int | None = None
    after_processing: bool = False  # for drops: run the method, then lose the answer


def default_error_for(status: int) -> str:
    if status == 429:
        return "ratelimited"
    if status == 503:
        return "service_unavailable"
    if status >= 500:
        return "internal_error"
    return "fatal_error"


class FaultPlan:
    """Queued one-shot faults, random faults and latency per method. Not locked: the emulator locks."""

    def __init__(self) -> None:
        self._queued: list[tuple[str, Fault, list[int]]] = []  # (method or "*", fault, [remaining])
        self._random_rate = 0.0
        self._random_statuses: tuple[int, ...] = (429, 500, 503)
        self._random_methods: set[str] | None = None
        self._rng = random.Random(0)
        self.latency: dict[str, float] = {}

    def fail_next(self, method: str, fault: Fault, count: int) -> None:
        self._queued.append((method, fault, [count]))

    def fail_randomly(self, rate: float, statuses: tuple[int, ...], seed: int | None,
                      methods: set[str] | None) -> None:
        self._random_rate = rate
        self._random_statuses = statuses
        self._random_methods = methods
        self._rng = random.Random(seed)

    def clear(self) -> None:
        self._queued.clear()
        self._random_rate = 0.0
        self.latency.clear()

    def take(self, method: str) -> Fault | None:
        for i, (m, fault, remaining) in enumerate(self._queued):
            if m in (method, "*"):
                remaining[0] -= 1
                if remaining[0] <= 0:
                    del self._queued[i]
                return fault
        if (
            self._random_rate > 0
            and (self._random_methods is None or method in self._random_methods)
            and self._rng.random() < self._random_rate
        ):
            status = self._rng.choice(self._random_statuses)
            return Fault("error", status=status, error=default_error_for(status),
                         retry_after=1 if status == 429 else None)
        return None

    def latency_for(self, method: str) -> float:
        return self.latency.get(method, self.latency.get("*", 0.0))


class RateLimiter:
    """Sliding one-minute windows per method tier, plus chat.postMessage's per-channel limit.

    ``speedup`` shrinks every window (a speed-up of 60 turns "per minute" into "per second").
    Time is the clock's *real* monotonic time: freezegun neither lifts nor freezes the limits; a
    story on a frozen clock may add simulated waits (:meth:`pass_time`), never take any away.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.enabled = True
        self.speedup = 1.0
        self.post_message_burst = 3
        self._windows: dict[str, deque[float]] = {}
        self._buckets: dict[str, tuple[float, float]] = {}  # channel -> (tokens, last refill)
        self._passed = 0.0  # simulated seconds added to real time (pass_time)
        self.refused = 0  # Web API calls answered 429 by the limits (not by an injected fault)

    def configure(self, enabled: bool, speedup: float, post_message_burst: int) -> None:
        self.enabled = enabled
        self.speedup = speedup
        self.post_message_burst = post_message_burst
        self._windows.clear()
        self._buckets.clear()

    def pass_time(self, seconds: float) -> None:
        self._passed += max(0.0, seconds)

    def check(self, method: str, channel: str | None = None) -> int | None:
        """Count a call; return ``Retry-After`` seconds if it is over the limit, else ``None``."""
        if not self.enabled:
            return None
        now = self.clock.real_monotonic() + self._passed
        if method == "chat.postMessage":
            return self._check_post_message(channel or "", now)
        limit = TIER_LIMITS[METHOD_TIERS.get(method, DEFAULT_TIER)]
        window = 60.0 / self.speedup
        calls = self._windows.setdefault(method, deque())
        while calls and calls[0] <= now - window:
            calls.popleft()
        if len(calls) >= limit:
            return max(1, math.ceil(calls[0] + window - now))
        calls.append(now)
        return None

    def _check_post_message(self, channel: str, now: float) -> int | None:
        rate = POST_MESSAGE_PER_SECOND * self.speedup
        capacity = float(max(1, self.post_message_burst))
        tokens, last = self._buckets.get(channel, (capacity, now))
        tokens = min(capacity, tokens + (now - last) * rate)
        if tokens < 1.0:
            self._buckets[channel] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / rate))
        self._buckets[channel] = (tokens - 1.0, now)
        return None
