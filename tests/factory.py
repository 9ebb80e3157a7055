"""The one place tests build worlds: people, programmes, pairs, sessions and events.

Steps are written as a person would do them in Slack where the story matters, and through the
services where only the resulting state does. No test module imports another; they import this.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from freezegun import freeze_time
from sqlalchemy import insert, select, update

from bot.clock import now
from bot.content import load_content
from bot.db import Database
from bot.emulator.server import message_text
from bot.local_slack import LocalSlack, Person
from bot.models import (
    Concern,
    Enrolment,
    MentoringSession,
    OutboxMessage,
    Pair,
    PairContract,
    PairSchedule,
    Programme,
    ProgrammeLead,
    Reflection,
)
from bot.programmes.enrolment import EnrolmentInput
from bot.programmes.service import ProgrammeInput
from bot.sessions import service as sessions


def create_programme(
    admin: Person, leads: list[Person], *, name: str = "Inclusive Leadership", cross: bool = True, **extra: Any
) -> None:
    answer = admin.command("/mentoring", "programme new")
    assert answer.status == 200, answer.body
    assert admin.modal is not None, "the programme form did not open"
    fields: dict[str, Any] = {
        "Programme name": name,
        "Organisation mode": "Across organisations" if cross else "Within one organisation",
        "Programme leads": [lead.user_id for lead in leads],
    }
    fields.update(extra)
    admin.fill(fields)
    result = admin.submit()
    assert result.ok and not result.errors, result.errors


def enrol(
    person: Person,
    role: str,
    organisation: str,
    department: str,
    *,
    manager: Person | None = None,
    topics: list[str] | None = None,
    programme: str = "",
    **extra: Any,
) -> None:
    person.command("/mentoring", f"join {programme}".strip())
    assert person.modal is not None, "the enrolment form did not open"
    fields: dict[str, Any] = {
        "I am joining as": "Mentor" if role == "mentor" else "Mentee",
        "Organisation": organisation,
        "Department or function": department,
        "Privacy notice": True,
    }
    if manager:
        fields["Line manager"] = manager.user_id
    if topics:
        fields["Perspectives I can share or want to learn about"] = topics
    if role == "mentee":
        fields["Mentees: the state of inclusion in my part of the business today"] = "Early days, honestly."
        fields["Mentees: the gap in understanding I hope to close"] = "How our policies land for new starters."
    fields.update(extra)
    person.fill(fields)
    result = person.submit()
    assert result.ok and not result.errors, result.errors


def texts_seen(person: Person) -> str:
    return "\n".join(seen.text for seen in person.seen())


def world_people(slack: LocalSlack, *names: str, **attrs: Any) -> list[Person]:
    return [slack.person(name, **attrs) for name in names]


@dataclass
class PairWorld:
    programme_id: int
    pair_id: int
    mentor: Person
    mentee: Person
    lead: Person

    @property
    def group(self) -> tuple[str, str]:
        return (self.mentor.user_id, self.mentee.user_id)


def hhmm(value: str) -> time:
    return time.fromisoformat(value)


def approve_pair_through_services(
    db: Database,
    *,
    programme: ProgrammeInput,
    lead: Person,
    mentor: tuple[Person, str, EnrolmentInput],
    mentee: tuple[Person, str, EnrolmentInput],
) -> tuple[int, int]:
    """A programme and one pair made as in Slack, but through the services: the lead creates the
    programme, both people enrol, the lead pins them together, approves, and the mentor accepts.
    Returns (programme id, pair id). Timed messages this queues are sent when a test delivers."""
    from bot.matching import consent, proposals
    from bot.programmes import enrolment
    from bot.programmes import service as programmes

    created = programmes.create_programme(db, programme, created_by=lead.user_id, by_admin=True)
    for person, real_name, data in (mentor, mentee):
        data.programme_id = created.id
        who = enrolment.Person(person.user_id, real_name, data.tz or "UTC")
        enrolment.enrol(db, who, data, known_topics=data.topics)
    proposals.set_rule(db, created.id, mentor[0].user_id, mentee[0].user_id, "pin", lead.user_id, admin=True)
    proposal = proposals.compute_proposal(db, created.id, lead.user_id, admin=True)
    assert [(r.mentor_id, r.mentee_id) for r in proposal.pairs] == [
        (mentor[0].user_id, mentee[0].user_id)
    ], proposal
    approval = proposals.approve_proposal(db, created.id, lead.user_id, admin=True)
    (offer,) = approval.offers
    answer = consent.accept_offer(db, offer.id, mentor[0].user_id)
    assert answer.pair_id is not None
    return created.id, answer.pair_id


def make_pair(
    slack: LocalSlack,
    db: Database,
    *,
    mentor: tuple[str, str, str, str] = ("amara", "Europe/London", "09:00", "17:00"),
    mentee: tuple[str, str, str, str] = ("diana", "Europe/London", "09:00", "17:00"),
    lead_name: str = "lena",
    programme: str = "Inclusive Leadership",
    **programme_settings: Any,
) -> PairWorld:
    """A programme with a lead, and an approved pair: (name, tz, work start, work end) per person."""
    lead = slack.person(lead_name)
    people: dict[str, tuple[Person, str, EnrolmentInput]] = {}
    for role, (name, tz, start, end) in (("mentor", mentor), ("mentee", mentee)):
        person = slack.person(name, tz=tz)
        people[role] = (
            person,
            name.title(),
            EnrolmentInput(
                programme_id=0,
                role=role,
                organisation="Acme" if role == "mentor" else "Globex",
                department="Finance",
                tz=tz,
                work_start=hhmm(start),
                work_end=hhmm(end),
                work_days=[0, 1, 2, 3, 4],
                inclusion_statement="x" if role == "mentee" else "",
                understanding_gap="y" if role == "mentee" else "",
                privacy_confirmed=True,
            ),
        )
    settings = ProgrammeInput(name=programme, lead_ids=[lead.user_id], cross_organisation=True, **programme_settings)
    programme_id, pair_id = approve_pair_through_services(
        db, programme=settings, lead=lead, mentor=people["mentor"], mentee=people["mentee"]
    )
    return PairWorld(programme_id, pair_id, people["mentor"][0], people["mentee"][0], lead)


def sessions_of(db: Database, pair_id: int) -> list[MentoringSession]:
    with db.session() as session:
        return list(
            session.scalars(
                select(MentoringSession).where(MentoringSession.pair_id == pair_id).order_by(MentoringSession.id)
            )
        )


def outbox_rows(db: Database, **filters: Any) -> list[OutboxMessage]:
    with db.session() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.send_at, OutboxMessage.id)
        for name, value in filters.items():
            query = query.where(getattr(OutboxMessage, name) == value)
        return list(session.scalars(query))


def group_messages(slack: LocalSlack, world: PairWorld) -> list[str]:
    channel = slack.emulator.group_dm(*world.group)
    if channel is None:
        return []
    return [text for m in slack.emulator.messages_in(channel) if (text := message_text(m))]


def private_texts(person: Person) -> list[str]:
    return [seen.text for seen in person.dms()]


CONTENT = load_content()


MONDAY = datetime(2027, 3, 1, tzinfo=UTC)  # Monday 1 March 2027 (GMT in London, EST in New York)


OFF_LIMITS = "OFFLIMITS-7f3a my brother's illness"


@dataclass
class Cast:
    slack: LocalSlack
    admin: Person
    lead: Person
    mentor: Person
    mentee: Person
    outsider: Person

    def pair_id(self, db: Database) -> int:
        with db.session() as session:
            return session.scalars(select(Pair.id)).one()

    def group_dm(self) -> str:
        channel = self.slack.emulator.group_dm(self.mentor.user_id, self.mentee.user_id)
        assert channel is not None, "the pair has no group DM yet"
        return channel

    def in_pair_dm(self) -> list[str]:
        return [m.text + "\n" + json.dumps(m.blocks or []) for m in self.slack.emulator.messages_in(self.group_dm())]


def make_cast(slack: LocalSlack, *, mentee_tz: str = "Europe/London", mentor_tz: str = "Europe/London") -> Cast:
    return Cast(
        slack,
        admin=slack.person("olu", real_name="Olu Admin", is_admin=True),
        lead=slack.person("lena", real_name="Lena Lead"),
        mentor=slack.person("amara", real_name="Amara Okafor", tz=mentor_tz, title="Data Analyst"),
        mentee=slack.person("diana", real_name="Diana Reyes", tz=mentee_tz, title="Chief Financial Officer"),
        outsider=slack.person("oscar", real_name="Oscar Outsider", tz="Europe/London"),
    )


def match_pair(cast: Cast, **programme: Any) -> dict[str, Any]:
    """A programme, Amara and Diana enrolled (from different organisations), and the lead approves.

    Returns the approved proposal view, so a test can replay its submission."""
    create_programme(cast.admin, [cast.lead], **programme)
    enrol(
        cast.mentor,
        "mentor",
        "Acme",
        "Finance",
        **{
            "Pronouns": "she/her",
            "What I can bring": "Five years on the front line of our customer service.",
            "Topics that are off limits for me": OFF_LIMITS,
        },
    )
    enrol(cast.mentee, "mentee", "Globex", "Strategy", **{"What I hope to get out of it": "A view from the floor."})
    cast.lead.command("/mentoring", "match")
    proposal = cast.lead.modal
    assert proposal is not None
    result = cast.lead.submit()  # "Approve all"
    assert result.ok and not result.errors
    accept_offer(cast)
    return proposal


def accept_offer(cast: Cast) -> None:
    """The mentor says yes to the match offered to them privately (the mentee hears of it only then)."""
    accept_offers(cast.slack, cast.mentor)


def accept_offers(slack: LocalSlack, *people: Person) -> int:
    """Each of ``people`` with a match offer in their DMs says yes; returns how many did.

    An offer waits for the mentor's working hours; stories that start outside them bring it forward,
    since what they are about comes after the acceptance."""
    with slack.db.session() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.kind == "match_offer", OutboxMessage.status == "pending")
            .values(send_at=now())
        )
    slack.deliver()
    accepted = 0
    for person in people:
        offer = next((seen for seen in reversed(person.dms()) if seen.has_button(ACCEPT_LABEL)), None)
        if offer is not None:
            assert person.click(ACCEPT_LABEL, in_message=offer).ok
            accepted += 1
    slack.deliver()
    return accepted


ACCEPT_LABEL = "Yes, I'd like this match"


def replay_button(person: Person, action_id: str, value: str) -> None:
    """A click on a pair's button, forged or replayed by someone who never saw the message."""
    emu = person.emu
    channel = emu.open_im(person.user_id)
    payload = person._base_interaction("block_actions")
    payload.update(
        {
            "container": {"type": "message", "message_ts": "1.000001", "channel_id": channel, "is_ephemeral": False},
            "trigger_id": emu.issue_trigger_id(person.user_id),
            "channel": {"id": channel, "name": "directmessage"},
            "response_url": emu.new_response_url(person.user_id, channel),
            "actions": [{"action_id": action_id, "block_id": "x", "type": "button", "value": value, "action_ts": "1"}],
        }
    )
    assert person._post_payload(payload).status == 200


def replay_view_action(person: Person, view: dict[str, Any], action_id: str, **extra: Any) -> None:
    payload = person._base_interaction("block_actions")
    payload.update(
        {
            "container": {"type": "view", "view_id": view["id"]},
            "trigger_id": person.emu.issue_trigger_id(person.user_id),
            "view": view,
            "actions": [{"action_id": action_id, "block_id": "x", "type": "button", "action_ts": "1", **extra}],
        }
    )
    assert person._post_payload(payload).status == 200


def replay_submission(person: Person, view: dict[str, Any]) -> None:
    payload = person._base_interaction("view_submission")
    payload.update({"trigger_id": person.emu.issue_trigger_id(person.user_id), "view": view})
    assert person._post_payload(payload).status == 200


SUPPORT = "Acme EAP: call 0800 000 111, any time"


@dataclass
class ConcernWorld:
    programme_id: int
    pair_id: int
    mentor: Person
    mentee: Person
    lead: Person
    backup: Person
    channel: str | None

    @property
    def people(self) -> list[Person]:
        return [self.mentor, self.mentee, self.lead, self.backup]


AROUND_THE_CLOCK: dict[str, Any] = {"work_start": time(0, 0), "work_end": time(23, 59), "work_days": list(range(7))}


def work_around_the_clock(db: Database) -> None:
    """For stories on the real clock that are not about timing: everyone enrolled so far works at any
    hour, so their prompts are not held for a working morning (tests/test_humane_timing.py is)."""
    with db.session() as session:
        session.execute(update(Enrolment).values(**AROUND_THE_CLOCK))


def build_world(
    slack: LocalSlack,
    db: Database,
    *,
    name: str = "Inclusive Leadership",
    prefix: str = "",
    channel: bool = True,
    off_limits: tuple[str, str] = ("", ""),
) -> ConcernWorld:
    """A programme with a lead, a backup lead, a leads' private channel and one active pair."""
    lead = slack.person(prefix + "lena", real_name=f"{prefix}Lena Lead")
    backup = slack.person(prefix + "bola", real_name=f"{prefix}Bola Backup")
    mentor = slack.person(prefix + "amara", real_name=f"{prefix}Amara Okafor")
    mentee = slack.person(prefix + "diana", real_name=f"{prefix}Diana Reyes", title="CFO")
    channel_id = (
        slack.emulator.add_channel(
            prefix + "leads", is_private=True, members=[lead.user_id, backup.user_id], bot_member=True
        )
        if channel
        else None
    )
    settings = ProgrammeInput(
        name=name,
        cross_organisation=True,
        lead_ids=[lead.user_id],
        backup_lead_id=backup.user_id,
        alerts_channel_id=channel_id,
        support_resources=SUPPORT,
    )
    people = []
    for person, role, real, secret in (
        (mentor, "mentor", f"{prefix}Amara Okafor", off_limits[0]),
        (mentee, "mentee", f"{prefix}Diana Reyes", off_limits[1]),
    ):
        data = EnrolmentInput(
            programme_id=0,
            role=role,
            organisation="Acme" if role == "mentor" else "Globex",
            department="Finance",
            off_limits=secret,
            inclusion_statement="x" if role == "mentee" else "",
            understanding_gap="y" if role == "mentee" else "",
            privacy_confirmed=True,
            # These worlds are not about timing and run on the real clock: their people work around
            # the clock, so prompts are not held for a working morning (tests/test_humane_timing.py is).
            **AROUND_THE_CLOCK,
        )
        people.append((person, real, data))
    programme_id, pair_id = approve_pair_through_services(
        db, programme=settings, lead=lead, mentor=people[0], mentee=people[1]
    )
    return ConcernWorld(programme_id, pair_id, mentor, mentee, lead, backup, channel_id)


def hold_session(db: Database, world: ConcernWorld, *, number: int = 1, hours_ago: int = 2) -> int:
    """A session that took place ``hours_ago`` hours ago: booked the day before through the sessions
    service (on a clock set back), then confirmed held through it (which runs its hook)."""
    starts_at = now() - timedelta(hours=hours_ago)
    with freeze_time(starts_at - timedelta(days=1)):
        booking = sessions.book_session(db, world.pair_id, world.mentor.user_id, starts_at, allow_outside_hours=True)
    session_id = booking.session.id
    with db.session() as session:
        assert session.get(MentoringSession, session_id).number == number, "sessions are numbered in order"
    sessions.record_answer(db, session_id, world.mentor.user_id, "yes")
    return session_id


def past_session(db: Database, world: ConcernWorld, number: int, days_ago: int) -> int:
    """A session booked for ``days_ago`` days ago that nobody has answered for yet. Written as a row,
    because the booking service rightly refuses times that have passed; the answers then go through
    the sessions service (``sessions.record_answer``), which runs the alerts."""
    with db.session() as session:
        row = MentoringSession(
            pair_id=world.pair_id,
            programme_id=world.programme_id,
            number=number,
            starts_at=now() - timedelta(days=days_ago, hours=2),
            ends_at=now() - timedelta(days=days_ago, hours=1),
            status="booked",
            ics_uid=f"{uuid.uuid4()}@test",
            booked_by=world.mentor.user_id,
        )
        session.add(row)
        session.flush()
        return row.id


def missed_twice(db: Database, world: ConcernWorld) -> None:
    """Two sessions in a row that did not happen: the pair is at risk, and the leads are alerted."""
    for number, days_ago in ((1, 21), (2, 0)):
        sessions.record_answer(db, past_session(db, world, number, days_ago), world.mentee.user_id, "no")


SPEED_START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # a Monday


SPEED_EVENT_DAY = "2027-03-10"  # 14:00 in London is 14:00 UTC in March


SPEED_MENTORS = [
    ("amara", "Amara Okafor", "Acme", "Europe/London", "Data Analyst"),
    ("ben", "Ben Hughes", "Globex", "America/New_York", "Graduate Engineer"),
    ("chloe", "Chloe Park", "Initech", "Asia/Kolkata", "Sales Associate"),
    ("dev", "Dev Patel", "Umbrella", "Europe/London", "Apprentice"),
]


SPEED_MENTEES = [
    ("diana", "Diana Reyes", "Acme", "Europe/London", "Chief Financial Officer"),
    ("evan", "Evan Stone", "Globex", "America/New_York", "VP Engineering"),
    ("farah", "Farah Khan", "Initech", "Asia/Kolkata", "Head of Sales"),
    ("gus", "Gus Moreau", "Umbrella", "Europe/Paris", "Managing Director"),
]


SPEED_NAMES = {handle: real_name for handle, real_name, *_ in SPEED_MENTORS + SPEED_MENTEES}


class SpeedWorld:
    def __init__(self, slack: LocalSlack) -> None:
        self.slack = slack
        self.admin = slack.person("olu", real_name="Olu Admin", is_admin=True)
        self.lead = slack.person("lena", real_name="Lena Lead", tz="Europe/London")
        self.people: dict[str, Person] = {}
        self.orgs: dict[str, str] = {}
        self.roles: dict[str, str] = {}
        for role, cast in (("mentor", SPEED_MENTORS), ("mentee", SPEED_MENTEES)):
            for handle, real_name, org, tz, title in cast:
                self.people[handle] = slack.person(handle, real_name=real_name, tz=tz, title=title)
                self.orgs[handle] = org
                self.roles[handle] = role

    def by_id(self, user_id: str) -> str:
        return next(handle for handle, person in self.people.items() if person.user_id == user_id)

    def ids(self, role: str) -> list[str]:
        return [self.people[h].user_id for h, r in self.roles.items() if r == role]


def create_event(world: SpeedWorld, *, name: str = "Spring Speed Mentoring", rounds: int = 2, **extra: Any) -> None:
    admin = world.admin
    admin.command("/mentoring", "event new")
    assert admin.modal is not None, "the event form did not open"
    fields: dict[str, Any] = {
        "Event name": name,
        "Date": SPEED_EVENT_DAY,
        "Start time": "14:00",
        "Time zone": "Europe/London",
        "Number of rounds": rounds,
        "Where": "The Atrium, 1 Main Street",
        "Event leads": [world.lead.user_id],
        "Mentors (junior colleagues)": world.ids("mentor"),
        "Mentees (senior leaders)": world.ids("mentee"),
    }
    fields.update(extra)
    admin.fill(fields)
    result = admin.submit()
    assert result.ok and not result.errors, result.errors


def say_yes(world: SpeedWorld, handle: str) -> None:
    person = world.people[handle]
    invitation = next(s for s in person.dms() if s.has_button("Yes, I'll be there"))
    person.click("Yes, I'll be there", in_message=invitation)
    assert person.modal is not None
    fields = {"My organisation": world.orgs[handle]}
    if world.roles[handle] == "mentee":
        fields["The state of inclusion in my business"] = f"SECRET-{handle}: early days."
        fields["The gap I want to understand"] = f"SECRET-{handle}: how promotion feels."
    person.fill(fields)
    result = person.submit()
    assert result.ok and not result.errors, result.errors


def seed_programme(
    db: Database,
    pairs: int,
    *,
    name: str = "Big Programme",
    lead: str = "ULEAD0001",
    held_per_pair: int = 2,
    at_risk_every: int = 7,
    waiting: int = 3,
    concerns: int = 2,
    start: datetime = datetime(2027, 3, 1, 9, 0, tzinfo=UTC),
) -> int:
    """A programme of ``pairs`` pairs, inserted in bulk: sessions, contracts, risk flags, reflections, concerns.

    The one builder that writes rows directly: it makes thousands of pairs for the scale tests and
    benchmarks, where going through the services would take minutes. Every other world is built
    through the services or through Slack."""
    with db.session() as session:
        programme = Programme(name=name, created_by="UADMIN", planned_sessions=6, created_at=start)
        session.add(programme)
        session.flush()
        pid = programme.id
        session.add(ProgrammeLead(programme_id=pid, user_id=lead))
        enrolments: list[dict[str, Any]] = []
        pair_rows: list[dict[str, Any]] = []
        for n in range(pairs):
            ids = {"mentor": f"UMEN{pid}X{n:06d}", "mentee": f"UMEE{pid}X{n:06d}"}
            for role, user_id in ids.items():
                enrolments.append(
                    {
                        "programme_id": pid,
                        "user_id": user_id,
                        "role": role,
                        "status": "matched",
                        "real_name": f"{role.title()} {n}",
                        "organisation": "Org",
                        "department": "Dept",
                        "created_at": start,
                        "updated_at": start,
                    }
                )
            pair_rows.append(
                {
                    "programme_id": pid,
                    "mentor_user_id": ids["mentor"],
                    "mentee_user_id": ids["mentee"],
                    "status": "active",
                    "approved_by": lead,
                    "created_at": start,
                    "group_dm_channel_id": f"G{n:08d}" if n % 3 else None,
                }
            )
        for n in range(waiting):
            enrolments.append(
                {
                    "programme_id": pid,
                    "user_id": f"UWAIT{pid}X{n:04d}",
                    "role": "mentor" if n % 2 else "mentee",
                    "status": "waiting",
                    "real_name": f"Waiting {n}",
                    "organisation": "Org",
                    "department": "Dept",
                    "created_at": start,
                    "updated_at": start,
                }
            )
        session.execute(insert(Enrolment), enrolments)
        session.execute(insert(Pair), pair_rows)
        pair_ids = list(session.scalars(select(Pair.id).where(Pair.programme_id == pid).order_by(Pair.id)))
        sessions_rows: list[dict[str, Any]] = []
        schedules: list[dict[str, Any]] = []
        contracts: list[dict[str, Any]] = []
        for n, pair_id in enumerate(pair_ids):
            for number in range(1, held_per_pair + 1):
                at = start + timedelta(days=21 * number)
                sessions_rows.append(
                    {
                        "pair_id": pair_id,
                        "programme_id": pid,
                        "number": number,
                        "starts_at": at,
                        "ends_at": at + timedelta(hours=1),
                        "status": "held",
                        "ics_uid": f"seed-{pid}-{pair_id}-{number}",
                        "booked_by": lead,
                        "created_at": start,
                        "updated_at": start,
                    }
                )
            risky = at_risk_every > 0 and n % at_risk_every == 0
            schedules.append(
                {
                    "pair_id": pair_id,
                    "programme_id": pid,
                    "window_starts": start,
                    "window_ends": start + timedelta(days=28),
                    "at_risk": risky,
                    "at_risk_reason": "no_session" if risky else None,
                    "at_risk_since": start + timedelta(days=n % 30) if risky else None,
                    "updated_at": start,
                }
            )
            if n % 2 == 0:
                contracts.append(
                    {
                        "pair_id": pair_id,
                        "terms": '{"mentor-goals": "x", "mentee-goals": "y"}',
                        "updated_by": lead,
                        "agreed_at": start,
                        "first_agreed_at": start,
                        "created_at": start,
                        "updated_at": start,
                    }
                )
        if sessions_rows:
            session.execute(insert(MentoringSession), sessions_rows)
        session.execute(insert(PairSchedule), schedules)
        if contracts:
            session.execute(insert(PairContract), contracts)
        held = session.execute(
            select(MentoringSession.id, MentoringSession.pair_id).where(MentoringSession.programme_id == pid)
        ).all()
        reflections = [
            {
                "session_id": session_id,
                "pair_id": pair_id,
                "programme_id": pid,
                "author_user_id": "UREFLECT",
                "role": "mentor",
                "takeaways": "t",
                "do_differently": "d",
                "created_at": start,
                "updated_at": start,
            }
            for session_id, pair_id in held[::3]
        ]
        if reflections:
            session.execute(insert(Reflection), reflections)
        for n in range(concerns):
            session.add(
                Concern(
                    programme_id=pid,
                    reporter_user_id="UREPORTER",
                    urgency=("today", "this-week", "fyi")[n % 3],
                    details="SECRET CONCERN TEXT",
                    status="open",
                    created_at=start + timedelta(days=n),
                )
            )
        return pid
