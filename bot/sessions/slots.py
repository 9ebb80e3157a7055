"""Finding session times that suit both people: pure functions, no database, no Slack.

Every time here is a timezone-aware datetime. Each person's working hours are local wall-clock
times in their own IANA zone (``zoneinfo``), so daylight-saving changes in either hemisphere are
handled by converting each candidate instant into each person's zone, never by fixed offsets.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

DEFAULT_START = time(9, 0)
DEFAULT_END = time(17, 0)
DEFAULT_DAYS = (0, 1, 2, 3, 4)  # Monday to Friday
STEP = timedelta(minutes=15)
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def is_valid_zone(name: str) -> bool:
    if not name or name != name.strip():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def known_zones() -> set[str]:
    return set(available_timezones())


@dataclass(frozen=True)
class WorkingHours:
    """One person's working day: local start and end, on these weekdays (0 = Monday), in ``tz``."""

    tz: str
    start: time = DEFAULT_START
    end: time = DEFAULT_END
    days: frozenset[int] = field(default_factory=lambda: frozenset(DEFAULT_DAYS))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    def local(self, instant: datetime) -> datetime:
        return instant.astimezone(self.zone)

    def contains(self, starts: datetime, ends: datetime) -> bool:
        """True if the whole of ``[starts, ends)`` falls inside one of this person's working days."""
        local_start, local_end = self.local(starts), self.local(ends)
        if local_start.weekday() not in self.days or local_end.date() != local_start.date():
            return False
        return self.start <= local_start.time() and local_end.time() <= self.end

    def describe(self) -> str:
        days = sorted(self.days)
        if days == list(range(5)):
            day_text = "Mon–Fri"
        elif len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
            day_text = f"{DAY_NAMES[days[0]]}–{DAY_NAMES[days[-1]]}"
        else:
            day_text = ", ".join(DAY_NAMES[d] for d in days) or "no days"
        return f"{self.start:%H:%M}–{self.end:%H:%M} {day_text} ({self.tz})"


Busy = tuple[datetime, datetime]


def _ceil_to_step(instant: datetime, step: timedelta = STEP) -> datetime:
    instant = instant.astimezone(UTC)
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    steps = -(-(instant - epoch) // step)  # ceiling division
    return epoch + steps * step


def _clashes(starts: datetime, ends: datetime, busy: Iterable[Busy], gap: timedelta) -> bool:
    return any(starts < b_end + gap and b_start - gap < ends for b_start, b_end in busy)


def candidate_starts(
    people: Sequence[WorkingHours],
    earliest: datetime,
    latest: datetime,
    duration: timedelta,
    busy: Iterable[Busy] = (),
    *,
    gap: timedelta = timedelta(0),
) -> list[datetime]:
    """Every start on the 15-minute grid in ``[earliest, latest]`` that suits everyone, in order."""
    busy = list(busy)
    found: list[datetime] = []
    at = _ceil_to_step(earliest)
    while at <= latest:
        ends = at + duration
        if all(person.contains(at, ends) for person in people) and not _clashes(at, ends, busy, gap):
            found.append(at)
        at += STEP
    return found


def _comfort(people: Sequence[WorkingHours], starts: datetime, duration: timedelta) -> tuple[int, float]:
    """Lower is better: round local times first, then times near the middle of everyone's day."""
    unround = 0
    worst = 0.0
    for person in people:
        local = person.local(starts)
        if local.minute not in (0, 30):
            unround += 1
        day_start = datetime.combine(local.date(), person.start).timestamp()
        day_end = datetime.combine(local.date(), person.end).timestamp()
        middle = (day_start + day_end) / 2
        session_middle = datetime.combine(local.date(), local.time()).timestamp() + duration.total_seconds() / 2
        worst = max(worst, abs(session_middle - middle))
    return unround, worst


def find_slots(
    people: Sequence[WorkingHours],
    earliest: datetime,
    latest: datetime,
    duration: timedelta,
    busy: Iterable[Busy] = (),
    *,
    count: int = 4,
    gap: timedelta = timedelta(0),
) -> list[datetime]:
    """Up to ``count`` good starts, spread over different days of the window, earliest first.

    Each start is inside everyone's working day for the whole ``duration`` and clashes with
    nothing in ``busy``. One slot per day while there are days to spare, at the most comfortable
    time of that day for both people; more per day only when the window has few good days.
    """
    candidates = candidate_starts(people, earliest, latest, duration, busy, gap=gap)
    if not candidates:
        return []
    by_day: dict[date, list[datetime]] = {}
    for start in candidates:
        by_day.setdefault(start.date(), []).append(start)
    days = sorted(by_day)
    if len(days) > count:
        picks = sorted({round(i * (len(days) - 1) / (count - 1)) for i in range(count)}) if count > 1 else [0]
        days = [days[i] for i in picks]
    chosen: list[datetime] = []
    for day in days:
        chosen.append(min(by_day[day], key=lambda s: _comfort(people, s, duration)))
    if len(chosen) < count:  # few good days: add more times on them, apart from the ones chosen
        extra = sorted(
            (s for s in candidates if s not in chosen and all(abs(s - c) >= duration for c in chosen)),
            key=lambda s: _comfort(people, s, duration),
        )
        for start in extra:
            if len(chosen) >= count:
                break
            if all(abs(start - c) >= duration for c in chosen):
                chosen.append(start)
    return sorted(chosen[:count])


def overlap_per_week(people: Sequence[WorkingHours], around: datetime) -> timedelta:
    """How much working time everyone shares in the week from ``around`` (15-minute resolution)."""
    at = _ceil_to_step(around)
    total = timedelta(0)
    for _ in range(7 * 24 * 4):
        if all(person.contains(at, at + STEP) for person in people):
            total += STEP
        at += STEP
    return total


def parse_hhmm(value: str | None) -> time | None:
    if not value:
        return None
    try:
        hours, minutes = value.strip().split(":")[:2]
        return time(int(hours), int(minutes))
    except ValueError:
        return None
