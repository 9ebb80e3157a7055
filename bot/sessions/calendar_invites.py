"""Calendar invites (.ics, RFC 5545) for sessions, made with ``icalendar``.

One event per session: its UID never changes, SEQUENCE goes up with every change, so a calendar
that imported the first invite updates (or, with METHOD:CANCEL, removes) the same event. Times
are written in the booker's IANA zone with a matching VTIMEZONE built from the tz database.
No sensitive text goes into an invite: only names, the programme and the session number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from bot.clock import now

PRODID = "-//Reverse Mentoring Bot//Sessions//EN"


@dataclass(frozen=True)
class Invite:
    uid: str
    sequence: int
    starts: datetime
    ends: datetime
    tz: str
    summary: str
    description: str
    cancelled: bool = False


def invite_ics(invite: Invite) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if invite.cancelled else "REQUEST")
    zone = ZoneInfo(invite.tz)
    event = Event()
    event.add("uid", invite.uid)
    event.add("sequence", invite.sequence)
    event.add("dtstamp", now())
    event.add("dtstart", invite.starts.astimezone(zone))
    event.add("dtend", invite.ends.astimezone(zone))
    event.add("summary", invite.summary)
    event.add("description", invite.description)
    event.add("status", "CANCELLED" if invite.cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


def invite_filename(number: int, cancelled: bool = False) -> str:
    return f"mentoring-session-{number}{'-cancelled' if cancelled else ''}.ics"
