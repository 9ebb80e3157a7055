"""The slot finder: pure time-zone arithmetic, no database, no Slack."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from bot.sessions.slots import WorkingHours, candidate_starts, find_slots, overlap_per_week

HOUR = timedelta(hours=1)


def hours(tz: str, start: str = "09:00", end: str = "17:00", days: tuple[int, ...] = (0, 1, 2, 3, 4)) -> WorkingHours:
    return WorkingHours(tz, time.fromisoformat(start), time.fromisoformat(end), frozenset(days))


def inside_both(people: list[WorkingHours], starts: datetime, duration: timedelta = HOUR) -> bool:
    return all(p.contains(starts, starts + duration) for p in people)


def test_default_hours_in_one_zone_give_spread_slots_inside_the_day() -> None:
    people = [hours("Europe/London"), hours("Europe/London")]
    earliest = datetime(2027, 2, 1, 8, tzinfo=UTC)  # a Monday
    slots = find_slots(people, earliest, earliest + timedelta(days=14), HOUR)
    assert 3 <= len(slots) <= 5
    assert len({s.date() for s in slots}) == len(slots), "one slot per day while days are plentiful"
    assert all(inside_both(people, s) for s in slots)
    assert all(s.minute in (0, 30) for s in slots)
    assert slots == sorted(slots)


def test_london_and_sydney_default_hours_never_overlap() -> None:
    people = [hours("Europe/London"), hours("Australia/Sydney")]
    at = datetime(2027, 1, 11, tzinfo=UTC)
    assert overlap_per_week(people, at) == timedelta(0)
    assert find_slots(people, at, at + timedelta(days=14), HOUR) == []


@pytest.mark.parametrize(
    "when",
    [datetime(2027, 1, 11, tzinfo=UTC), datetime(2027, 4, 12, tzinfo=UTC), datetime(2027, 7, 12, tzinfo=UTC)],
)
def test_london_and_sydney_with_stretched_hours_meet_across_both_dst_changes(when: datetime) -> None:
    people = [hours("Europe/London", "07:30", "16:00"), hours("Australia/Sydney", "08:00", "19:30")]
    slots = find_slots(people, when, when + timedelta(days=14), HOUR)
    assert len(slots) >= 3
    for starts in slots:
        assert inside_both(people, starts)
        # the same instant is a weekday in both places
        assert starts.astimezone(people[0].zone).weekday() < 5
        assert starts.astimezone(people[1].zone).weekday() < 5


def test_half_hour_zones_are_handled() -> None:
    people = [hours("America/New_York", "08:00", "16:00"), hours("Asia/Kolkata", "11:00", "20:00")]
    at = datetime(2027, 3, 1, tzinfo=UTC)
    slots = find_slots(people, at, at + timedelta(days=14), HOUR)
    assert len(slots) >= 3 and all(inside_both(people, s) for s in slots)
    assert all(s.astimezone(people[1].zone).minute in (0, 30) for s in slots)


def test_the_week_new_york_springs_forward_shifts_the_overlap() -> None:
    people = [hours("America/New_York", "08:00", "16:00"), hours("Asia/Kolkata", "11:00", "20:00")]
    before = candidate_starts(people, datetime(2027, 3, 12, tzinfo=UTC), datetime(2027, 3, 13, tzinfo=UTC), HOUR)
    after = candidate_starts(people, datetime(2027, 3, 15, tzinfo=UTC), datetime(2027, 3, 16, tzinfo=UTC), HOUR)
    # EST (UTC-5): 13:00-15:30 UTC; EDT (UTC-4): 12:00-15:30 UTC.
    assert before[0].hour == 13 and after[0].hour == 12


def test_busy_times_are_avoided_and_working_days_respected() -> None:
    people = [hours("Europe/London", days=(1, 3)), hours("Europe/Berlin")]
    at = datetime(2027, 2, 1, tzinfo=UTC)
    busy = [(datetime(2027, 2, 2, 9, tzinfo=UTC), datetime(2027, 2, 2, 16, tzinfo=UTC))]
    slots = find_slots(people, at, at + timedelta(days=7), HOUR, busy)
    assert slots and all(s.astimezone(people[0].zone).weekday() in (1, 3) for s in slots)
    assert all(not (b0 < s + HOUR and s < b1) for s in slots for b0, b1 in busy)
