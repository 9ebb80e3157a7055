"""What the app is made of, listed once and explicitly: every outbox kind, gathered at start.

Nothing registers itself by being imported. A new timed message is a ``Kind`` in its feature's
``notifications`` module; that module's ``KINDS`` is listed here once.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from bot.closeout import notifications as closeout
from bot.concerns import notifications as concerns
from bot.impact import notifications as impact
from bot.induction import notifications as induction
from bot.journey import notifications as journey
from bot.matching import notifications as matching
from bot.outbox import Kind
from bot.outbox import notifications as outbox
from bot.programmes import notifications as programmes
from bot.reflections import notifications as reflections
from bot.sessions import notifications as sessions
from bot.speed_events import notifications as speed_events

FEATURE_KINDS: tuple[Mapping[str, Kind], ...] = (
    programmes.KINDS,
    matching.KINDS,
    journey.KINDS,
    sessions.KINDS,
    reflections.KINDS,
    concerns.KINDS,
    impact.KINDS,
    closeout.KINDS,
    speed_events.KINDS,
    induction.KINDS,
    outbox.KINDS,
)


def outbox_kinds(*extra: Mapping[str, Kind]) -> dict[str, Kind]:
    """Every kind by name; a name claimed twice is a mistake caught at start."""
    kinds: dict[str, Kind] = {}
    for group in (*FEATURE_KINDS, *extra):
        for name, kind in group.items():
            if name in kinds:
                raise ValueError(f"outbox kind {name!r} is defined twice")
            kinds[name] = kind
    return kinds


OUTBOX_KINDS: Mapping[str, Kind] = MappingProxyType(outbox_kinds())
