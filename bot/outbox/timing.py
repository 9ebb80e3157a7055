"""Humane timing: when an outbox row may reach its people, decided once, as the row is enqueued.

Nothing is delivered outside the recipient's working days and hours (their own IANA zone and the
working hours of their profile, Monday to Friday 09:00-17:00 by default): a row due outside them is
held until they next start work. A message to a pair's group DM waits for a time inside both
people's hours (their next shared working time; if they share none in the coming fortnight, the
mentee's next working time, as the introduction does).

Two exceptions, both stated by the caller of :func:`bot.outbox.enqueue`:

- ``about``: the time of the event a message is about (a session reminder). When that event itself
  falls outside someone's working hours, a reminder for it may too.
- ``any_hour``: an answer to something the recipient has just done themselves (a receipt, their
  own export), which they expect at once.

Messages to people the programme holds no profile for (leads, speed-event guests, the leads'
channel) are not held: there are no working hours to respect. This is the only place a row's
deliver-at time is adjusted; the dispatcher sends what is due.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clock import as_utc
from bot.models import Enrolment, Pair

DEFAULT_START = time(9, 0)
DEFAULT_END = time(17, 0)
DEFAULT_DAYS = frozenset({0, 1, 2, 3, 4})
SHARED_SEARCH = timedelta(days=14)  # how far ahead to look for a time inside both people's hours
STEP = timedelta(minutes=15)


@dataclass(frozen=True)
class Hours:
    """One person's working week: local start and end on these weekdays (0 = Monday), in ``tz``."""

    tz: str = "UTC"
    start: time = DEFAULT_START
    end: time = DEFAULT_END
    days: frozenset[int] = field(default_factory=lambda: DEFAULT_DAYS)

    @classmethod
    def of(cls, enrolment: Enrolment) -> Hours:
        days = frozenset(enrolment.work_days) if enrolment.work_days else DEFAULT_DAYS
        start, end = enrolment.work_start or DEFAULT_START, enrolment.work_end or DEFAULT_END
        return cls(enrolment.tz or "UTC", start, end, days)

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    def _window(self, day: date) -> tuple[datetime, datetime] | None:
        """The working window of a local date in UTC (None on a day off or an empty day)."""
        if day.weekday() not in self.days or self.start == self.end:
            return None
        zone = self.zone
        starts = datetime.combine(day, self.start, tzinfo=zone).astimezone(UTC)
        end_day = day if self.end > self.start else day + timedelta(days=1)  # a shift past midnight
        ends = datetime.combine(end_day, self.end, tzinfo=zone).astimezone(UTC)
        return starts, ends

    def is_working(self, at: datetime) -> bool:
        at = as_utc(at)
        local = at.astimezone(self.zone).date()
        for day in (local - timedelta(days=1), local):
            window = self._window(day)
            if window is not None and window[0] <= at < window[1]:
                return True
        return False

    def next_working(self, at: datetime) -> datetime:
        """``at`` if it is working time, else the start of this person's next working day (UTC)."""
        at = as_utc(at)
        if self.is_working(at):
            return at
        day = at.astimezone(self.zone).date()
        for _ in range(15):
            window = self._window(day)
            if window is not None and window[0] >= at:
                return window[0]
            day += timedelta(days=1)
        return at  # no working days at all: nothing to wait for


def next_shared(people: Sequence[Hours], at: datetime) -> datetime | None:
    """The first instant from ``at`` inside everyone's working hours, within :data:`SHARED_SEARCH`."""
    at = as_utc(at)
    if all(person.is_working(at) for person in people):
        return at
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    probe = epoch + -(-(at - epoch) // STEP) * STEP
    # Jump from one person's next working time to the next: each start of someone's day is a candidate.
    limit = at + SHARED_SEARCH
    while probe <= limit:
        if all(person.is_working(probe) for person in people):
            return probe
        later = max(person.next_working(probe) for person in people)
        probe = later if later > probe else probe + STEP
    return None


def recipients(
    session: Session,
    *,
    programme_id: int | None,
    recipient_user_id: str | None,
    channel_id: str | None,
    pair_id: int | None,
) -> list[Enrolment]:
    """The people a row will reach whose working hours the programme knows (mentee last for a pair)."""
    if recipient_user_id:
        if programme_id is None:
            return []
        enrolment = session.scalar(
            select(Enrolment).where(Enrolment.programme_id == programme_id, Enrolment.user_id == recipient_user_id)
        )
        return [enrolment] if enrolment is not None else []
    if pair_id is None:
        return []  # a channel (the leads'): nobody's working day to keep to
    pair = session.get(Pair, pair_id)
    if pair is None or (channel_id and channel_id != pair.group_dm_channel_id):
        return []
    people = {
        e.user_id: e
        for e in session.scalars(
            select(Enrolment).where(
                Enrolment.programme_id == pair.programme_id,
                Enrolment.user_id.in_([pair.mentor_user_id, pair.mentee_user_id]),
            )
        )
    }
    return [people[u] for u in (pair.mentor_user_id, pair.mentee_user_id) if u in people]


def deliver_at(
    session: Session,
    send_at: datetime,
    *,
    programme_id: int | None,
    recipient_user_id: str | None,
    channel_id: str | None,
    pair_id: int | None,
    about: datetime | None = None,
    any_hour: bool = False,
) -> datetime:
    """When a row due at ``send_at`` may be delivered to its people (``send_at`` itself, or later)."""
    if any_hour:
        return send_at
    people = recipients(
        session, programme_id=programme_id, recipient_user_id=recipient_user_id, channel_id=channel_id, pair_id=pair_id
    )
    if not people:
        return send_at
    hours = [Hours.of(person) for person in people]
    if about is not None and not all(h.is_working(about) for h in hours):
        return send_at  # a reminder for a session that itself falls outside someone's day
    shared = next_shared(hours, send_at)
    if shared is not None:
        return shared
    return hours[-1].next_working(send_at)
