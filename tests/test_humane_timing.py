"""Issue 15, humane timing: nothing reaches a person outside their working days and hours (except a
reminder for a session that itself falls then); "none booked yet" only when nothing is booked; the
baseline survey before the first session, never after; the first offer keeps to its two weeks."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from freezegun import freeze_time
from sqlalchemy import select, update

from bot.clock import now
from bot.db import Database
from bot.impact import surveys
from bot.local_slack import LocalSlack
from bot.models import Enrolment, OutboxMessage
from bot.outbox.timing import Hours, next_shared
from bot.sessions import service
from tests.factory import (
    accept_offers,
    create_programme,
    enrol,
    group_messages,
    make_pair,
    outbox_rows,
    private_texts,
    sessions_of,
)

FRIDAY = datetime(2027, 3, 5, tzinfo=UTC)  # Friday 5 March 2027: GMT in London, IST in Kolkata
MONDAY = datetime(2027, 3, 8, tzinfo=UTC)
LONDON = ("amara", "Europe/London", "09:00", "17:30")
KOLKATA = ("diana", "Asia/Kolkata", "09:00", "17:30")


def confirm_privacy(db: Database) -> None:
    """``make_pair`` builds its people in the database: they confirm the privacy notice here."""
    with db.session() as session:
        session.execute(update(Enrolment).values(privacy_confirmed_at=now()))


# ------------------------------------------------------------------------------------ the rule itself


def test_a_working_week_in_its_own_zone() -> None:
    london = Hours("Europe/London", time(9), time(17, 30))
    assert london.next_working(FRIDAY.replace(hour=10)) == FRIDAY.replace(hour=10)  # now is fine
    assert london.next_working(FRIDAY.replace(hour=17, minute=30)) == MONDAY.replace(hour=9)  # the end is out
    assert london.next_working(FRIDAY + timedelta(days=1, hours=12)) == MONDAY.replace(hour=9)  # Saturday
    assert london.next_working(MONDAY.replace(hour=3)) == MONDAY.replace(hour=9)  # the night
    # In British Summer Time the same 09:00 is 08:00 UTC.
    assert london.next_working(datetime(2027, 7, 3, 12, tzinfo=UTC)) == datetime(2027, 7, 5, 8, tzinfo=UTC)
    auckland = Hours("Pacific/Auckland", time(9), time(17, 30))
    # Friday 22:00 UTC is Saturday 11:00 in Auckland (NZDT, +13): held to Monday 09:00 there.
    assert auckland.next_working(FRIDAY.replace(hour=22)) == datetime(2027, 3, 7, 20, tzinfo=UTC)
    night_shift = Hours("UTC", time(22), time(6))
    tuesday = MONDAY + timedelta(days=1)
    assert night_shift.is_working(MONDAY.replace(hour=23)) and night_shift.is_working(tuesday.replace(hour=5))
    assert not night_shift.is_working(MONDAY.replace(hour=5)), "that shift began on Sunday night, a day off"
    assert not night_shift.is_working(tuesday.replace(hour=12))
    assert Hours("UTC", time(9), time(9)).next_working(MONDAY) == MONDAY, "no working hours: nothing to wait for"


def test_a_pair_waits_for_a_time_inside_both_working_days() -> None:
    auckland = Hours("Pacific/Auckland", time(9), time(17, 30))
    los_angeles = Hours("America/Los_Angeles", time(9), time(17, 30))
    # Friday 18:00 in Los Angeles is Saturday 15:00 in Auckland: the first shared time is
    # Monday 12:00 in Los Angeles, Tuesday 09:00 in Auckland.
    shared = next_shared([auckland, los_angeles], datetime(2027, 3, 6, 2, tzinfo=UTC))
    assert shared == datetime(2027, 3, 8, 20, tzinfo=UTC)
    assert next_shared([Hours("Pacific/Auckland", time(9), time(12)), Hours("Europe/London", time(9), time(12))],
                       FRIDAY) is None


# ------------------------------------------------------------------------------------ through the app


def test_a_prompt_due_at_night_waits_for_the_recipients_next_working_morning(slack: LocalSlack, db: Database) -> None:
    with freeze_time(FRIDAY.replace(hour=8)) as clock:
        world = make_pair(slack, db, mentor=LONDON, mentee=KOLKATA)
        amara, diana = world.mentor, world.mentee
        starts = FRIDAY.replace(hour=11)  # 11:00 in London, 16:30 in Kolkata
        service.book_session(db, world.pair_id, amara.user_id, starts)
        clock.move_to(starts + timedelta(hours=2))  # Friday 13:00 London, 18:30 Kolkata
        slack.deliver()
        assert any("Did you and Diana meet" in t for t in private_texts(amara))
        assert not any("Did you and Amara meet" in t for t in private_texts(diana)), "not on Friday evening"
        for saturday_and_sunday in (timedelta(days=1), timedelta(days=2)):
            clock.move_to(FRIDAY.replace(hour=12) + saturday_and_sunday)
            slack.deliver()
            assert not any("Did you and Amara meet" in t for t in private_texts(diana)), "not at the weekend"
        [held] = [r for r in outbox_rows(db, kind=service.KIND_DID_YOU_MEET) if r.recipient_user_id == diana.user_id]
        monday_morning = datetime(2027, 3, 8, 3, 30, tzinfo=UTC)  # 09:00 in Kolkata
        assert held.send_at.replace(tzinfo=UTC) == monday_morning
        assert held.payload["held_from"] == (starts + timedelta(hours=2)).isoformat()
        clock.move_to(monday_morning)
        slack.deliver()
        assert any("Did you and Amara meet" in t for t in private_texts(diana))


def test_a_reminder_for_a_session_outside_working_hours_comes_at_its_time(slack: LocalSlack, db: Database) -> None:
    with freeze_time(MONDAY.replace(hour=10)) as clock:
        world = make_pair(slack, db, mentor=LONDON, mentee=("diana", "Europe/London", "09:00", "17:30"))
        starts = datetime(2027, 3, 10, 7, 30, tzinfo=UTC)  # Wednesday 07:30, before either working day
        service.book_session(db, world.pair_id, world.mentor.user_id, starts, allow_outside_hours=True)
        slack.deliver()
        clock.move_to(starts - timedelta(hours=1))
        slack.deliver()
        assert "Reminder: session 1 is in an hour" in group_messages(slack, world)[-1], "the session is at 07:30"


def test_a_monday_morning_session_is_recalled_on_friday_not_at_the_weekend(slack: LocalSlack, db: Database) -> None:
    london = ("diana", "Europe/London", "09:00", "17:30")
    with freeze_time(datetime(2027, 3, 3, 10, tzinfo=UTC)) as clock:  # Wednesday
        world = make_pair(slack, db, mentor=LONDON, mentee=london)
        starts = MONDAY.replace(hour=9)
        service.book_session(db, world.pair_id, world.mentor.user_id, starts)
        slack.deliver()
        kinds = {r.kind: r for r in outbox_rows(db, topic=f"session:{sessions_of(db, world.pair_id)[0].id}")}
        assert service.KIND_REMINDER_HOUR not in kinds, "08:00 is before work: the Friday reminder is enough"
        assert kinds[service.KIND_REMINDER_DAY].send_at.replace(tzinfo=UTC) == FRIDAY.replace(hour=9)
        clock.move_to(FRIDAY.replace(hour=9))
        slack.deliver()
        reminder = group_messages(slack, world)[-1]
        assert "Reminder: session 1 is coming up" in reminder and "tomorrow" not in reminder
        before = len(group_messages(slack, world))
        clock.move_to(starts - timedelta(hours=1))
        slack.deliver()
        assert len(group_messages(slack, world)) == before, "nothing at the weekend or before work"


def test_no_none_booked_yet_an_hour_after_a_session(slack: LocalSlack, db: Database) -> None:
    with freeze_time(MONDAY.replace(hour=11, minute=30)) as clock:
        world = make_pair(slack, db, mentor=LONDON, mentee=("diana", "Europe/London", "09:00", "17:30"))
        service.watch_new_pairs(db)
        [nudge] = outbox_rows(db, kind=service.KIND_NUDGE)
        window_ends = nudge.send_at.replace(tzinfo=UTC)  # two weeks after the pair was made: Monday 11:30
        starts = window_ends - timedelta(hours=2)  # 09:30-10:30: "Did you meet?" comes as the window ends
        service.book_session(db, world.pair_id, world.mentor.user_id, starts)
        clock.move_to(window_ends)
        slack.deliver()
        everything = group_messages(slack, world) + private_texts(world.mentor) + private_texts(world.mentee)
        assert not any("booked" in t and "yet" in t for t in everything), "the session was booked and has just ended"
        [row] = outbox_rows(db, kind=service.KIND_NUDGE)
        assert row.status == "skipped"
        assert any("Did you and Diana meet" in t for t in private_texts(world.mentor))


def test_a_pair_with_nothing_booked_is_still_nudged_once(slack: LocalSlack, db: Database) -> None:
    with freeze_time(MONDAY.replace(hour=10)) as clock:
        world = make_pair(slack, db, mentor=LONDON, mentee=("diana", "Europe/London", "09:00", "17:30"))
        service.watch_new_pairs(db)
        clock.move_to(MONDAY.replace(hour=10) + timedelta(days=14))
        slack.deliver()
        assert sum("haven't booked your first session yet" in t for t in group_messages(slack, world)) == 1


def test_the_first_offer_keeps_to_the_two_weeks_it_names(slack: LocalSlack, db: Database) -> None:
    for day in range(7):  # whatever the weekday the pair asks on
        at = MONDAY.replace(hour=10) + timedelta(days=day)
        with freeze_time(at):
            world = make_pair(slack, db, mentor=LONDON, mentee=KOLKATA, programme=f"Offer {day}",
                              lead_name=f"lead{day}")
            offer = service.offer_slots(db, world.pair_id, world.mentor.user_id)
            assert offer.window.first and 3 <= len(offer.slots) <= 5
            assert all(at + timedelta(hours=24) <= s <= at + timedelta(days=14) for s in offer.slots), (
                day, offer.slots
            )
            world.mentor.command("/mentoring", "schedule")
            assert "in the next two weeks" in world.mentor.seen()[-1].text


def test_the_baseline_goes_out_on_the_mentors_yes_before_the_first_session(slack: LocalSlack, db: Database) -> None:
    with freeze_time(MONDAY.replace(hour=10)):
        admin = slack.person("olu", real_name="Olu Admin", is_admin=True)
        lead = slack.person("lena", real_name="Lena Lead")
        amara = slack.person("amara", real_name="Amara Okafor", tz="Europe/London")
        diana = slack.person("diana", real_name="Diana Reyes", tz="Europe/London")
        create_programme(admin, [lead], name="Pilot")
        enrol(amara, "mentor", "Acme", "Finance")
        enrol(diana, "mentee", "Globex", "Strategy")
        slack.deliver()
        assert surveys.schedule_due_surveys(db) == 0
        assert not any("Before you start" in t for t in private_texts(amara) + private_texts(diana))
        lead.command("/mentoring", "match")
        assert lead.submit().ok
        slack.deliver()
        assert not any("Before you start" in t for t in private_texts(diana)), "not before the mentor says yes"
        assert accept_offers(slack, amara) == 1
        slack.deliver()
        for person in (amara, diana):
            assert sum("Before you start" in t for t in private_texts(person)) == 1
        assert surveys.schedule_due_surveys(db) == 0, "asked once"


def test_the_baseline_is_never_sent_once_sessions_have_started(slack: LocalSlack, db: Database) -> None:
    with freeze_time(FRIDAY.replace(hour=18)) as clock:  # after work: the invitations wait for Monday 09:00
        world = make_pair(slack, db, mentor=LONDON, mentee=("diana", "Europe/London", "09:00", "17:30"))
        confirm_privacy(db)
        with db.session() as session:
            queued = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == surveys.INVITATION_KIND)).all()
        assert len(queued) == 2, "both invitations were queued on the mentor's yes (make_pair goes through it)"
        assert surveys.schedule_due_surveys(db) == 0
        starts = MONDAY.replace(hour=9)
        service.book_session(db, world.pair_id, world.mentor.user_id, starts)
        clock.move_to(starts)
        slack.deliver()
        for person in (world.mentor, world.mentee):
            assert not any("Before you start" in t for t in private_texts(person)), "the session has started"
        with db.session() as session:
            rows = list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == surveys.INVITATION_KIND)))
        assert {r.status for r in rows} == {"skipped"} and all("started" in (r.last_error or "") for r in rows)
        clock.move_to(starts + surveys.REMINDER_AFTER)
        slack.deliver()
        for person in (world.mentor, world.mentee):
            assert not any("survey" in t.lower() for t in private_texts(person)), "nor its reminder"
        assert surveys.schedule_due_surveys(db) == 0, "and the periodic job does not ask again"


def test_a_baseline_sent_before_the_session_is_not_chased_after_it(slack: LocalSlack, db: Database) -> None:
    with freeze_time(MONDAY.replace(hour=10)) as clock:
        world = make_pair(slack, db, mentor=LONDON, mentee=("diana", "Europe/London", "09:00", "17:30"))
        confirm_privacy(db)
        assert surveys.schedule_due_surveys(db) == 0, "both were queued on the mentor's yes (make_pair goes through it)"
        slack.deliver()
        assert all(any("Before you start" in t for t in private_texts(p)) for p in (world.mentor, world.mentee))
        service.book_session(db, world.pair_id, world.mentor.user_id, MONDAY.replace(hour=10) + timedelta(days=2))
        clock.move_to(MONDAY.replace(hour=10) + surveys.REMINDER_AFTER)
        slack.deliver()
        for person in (world.mentor, world.mentee):
            assert not any("gentle reminder" in t for t in private_texts(person))
