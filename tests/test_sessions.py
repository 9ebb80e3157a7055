"""Scheduling sessions end to end: offers in each person's zone, booking, invites, reminders,
the private "Did you meet?", rescheduling, cancelling, nudges and at-risk flags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from freezegun import freeze_time
from icalendar import Calendar

from bot.content import load_content
from bot.db import Database
from bot.errors import error_text
from bot.local_slack import LocalSlack, Person
from bot.sessions import service
from tests.factory import PairWorld, group_messages, make_pair, outbox_rows, private_texts, sessions_of

MONDAY = "2027-02-01 10:00:00"  # UTC, GMT in London, AEDT in Sydney
LONDON_SYDNEY = {
    "mentor": ("amara", "Europe/London", "07:30", "16:00"),
    "mentee": ("diana", "Australia/Sydney", "08:00", "19:30"),
}


def offers_seen(person: Person) -> str:
    latest = [s for s in person.seen() if s.kind == "ephemeral" and "Times for" in s.text]
    assert latest, f"{person.name} was offered no times; saw {[s.text[:80] for s in person.seen()]}"
    return latest[-1].text


def book_first_offer(person: Person) -> None:
    seen = [s for s in person.seen() if s.kind == "ephemeral" and "Times for" in s.text][-1]
    label = next(
        el["text"]["text"]
        for block in seen.blocks
        if (el := block.get("accessory")) and el.get("action_id") == "session_book"
    )
    person.click(label, in_message=seen)


def ics_files(slack: LocalSlack, world: PairWorld) -> list[Calendar]:
    channel = slack.emulator.group_dm(*world.group)
    assert channel is not None
    return [Calendar.from_ical(f.bytes) for f in slack.emulator.files_in(channel) if f.name.endswith(".ics")]


def event_of(calendar: Calendar) -> object:
    return next(c for c in calendar.walk("VEVENT"))


def test_offers_are_shown_in_each_persons_zone_and_either_can_book(slack: LocalSlack, db: Database) -> None:
    with freeze_time(MONDAY):
        world = make_pair(slack, db, mentor=LONDON_SYDNEY["mentor"], mentee=LONDON_SYDNEY["mentee"])
        amara, diana = world.mentor, world.mentee
        amara.command("/mentoring", "schedule")
        diana.command("/mentoring", "schedule")
        seen_by_amara, seen_by_diana = offers_seen(amara), offers_seen(diana)
        assert "Europe/London" in seen_by_amara and "Australia/Sydney" in seen_by_diana
        assert "GMT" in seen_by_amara and "AEDT" in seen_by_diana
        offer = service.offer_slots(db, world.pair_id, amara.user_id)
        assert 3 <= len(offer.slots) <= 5
        first = offer.slots[0]
        assert first >= datetime(2027, 2, 2, 10, tzinfo=UTC) and first <= datetime(2027, 2, 16, 10, tzinfo=UTC)

        book_first_offer(diana)  # the mentee books; either person may
        assert "Done: your session is booked for" in diana.seen()[-1].text
        slack.deliver()
        [booked] = sessions_of(db, world.pair_id)
        assert booked.status == "booked" and booked.number == 1 and booked.booked_by == diana.user_id
        notice = group_messages(slack, world)[-1]
        starts = booked.starts_at.replace(tzinfo=UTC)
        london, sydney = starts.astimezone(offer.viewer.zone), starts.astimezone(offer.partner.zone)
        assert f"Amara: {london:%a} {london.day} {london:%b %Y}, {london:%H:%M}" in notice
        assert f"Diana: {sydney:%a} {sydney.day} {sydney:%b %Y}, {sydney:%H:%M}" in notice
        [calendar] = ics_files(slack, world)
        event = event_of(calendar)
        assert calendar["METHOD"] == "REQUEST" and event["UID"] == booked.ics_uid  # type: ignore[index]
        assert event["SEQUENCE"] == 0 and event["STATUS"] == "CONFIRMED"  # type: ignore[index]
        assert event.decoded("DTSTART").astimezone(UTC) == starts  # type: ignore[attr-defined]
        assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Australia/Sydney"]

        amara.command("/mentoring", "schedule")
        assert "is booked for" in amara.seen()[-1].text and amara.seen()[-1].has_button("Reschedule")


def test_reminders_and_private_did_you_meet(slack: LocalSlack, db: Database) -> None:
    with freeze_time(MONDAY) as clock:
        world = make_pair(slack, db)
        amara, diana, lena = world.mentor, world.mentee, world.lead
        starts = datetime(2027, 2, 9, 11, tzinfo=UTC)
        service.book_session(db, world.pair_id, amara.user_id, starts)
        slack.deliver()
        clock.move_to(starts - timedelta(days=1))
        slack.deliver()
        assert "Reminder: session 1 is tomorrow" in group_messages(slack, world)[-1]
        clock.move_to(starts - timedelta(hours=1))
        slack.deliver()
        assert "Reminder: session 1 is in an hour" in group_messages(slack, world)[-1]
        clock.move_to(starts + timedelta(hours=2) - timedelta(seconds=1))
        assert slack.deliver() == 0
        clock.tick(timedelta(seconds=1))
        slack.deliver()
        for person, partner in ((amara, "Diana"), (diana, "Amara")):
            question = person.dms()[-1]
            assert f"Did you and {partner} meet for session 1" in question.text
            assert question.has_button("Yes, we met") and question.has_button("No, it didn't happen")
        amara.click("Yes, we met")
        diana.click("No, it didn't happen")
        [held] = sessions_of(db, world.pair_id)
        assert held.status == "held" and held.mentor_answer == "yes" and held.mentee_answer == "no"
        slack.deliver()
        assert not any("Yes, we met" in t or "took place" in t for t in private_texts(diana)), "answers stay private"
        assert not any("didn't happen" in t for t in private_texts(amara) if "Did you" not in t)
        alerts = [t for t in private_texts(lena) if "different answers" in t]
        assert len(alerts) == 1
        assert not any("different answers" in t for t in group_messages(slack, world)), "the pair isn't told"
        [prompt] = [t for t in group_messages(slack, world) if "Good to hear session 1 happened" in t]
        assert "Schedule our next session" in prompt
        # the next offer falls 21 to 28 days after the held session
        offer = service.offer_slots(db, world.pair_id, diana.user_id)
        assert all(starts + timedelta(days=21) <= s <= starts + timedelta(days=28) for s in offer.slots)
        assert offer.number == 2 and len(offer.slots) >= 3


def test_reschedule_and_cancel_update_the_same_calendar_event(slack: LocalSlack, db: Database) -> None:
    with freeze_time(MONDAY) as clock:
        world = make_pair(slack, db, mentor=LONDON_SYDNEY["mentor"], mentee=LONDON_SYDNEY["mentee"])
        amara = world.mentor
        amara.command("/mentoring", "schedule")
        book_first_offer(amara)
        slack.deliver()
        [booked] = sessions_of(db, world.pair_id)
        first_start = booked.starts_at.replace(tzinfo=UTC)
        reminders_before = {r.key for r in outbox_rows(db, topic=f"session:{booked.id}", status="pending")}
        amara.click("Reschedule")
        choices = [s for s in amara.seen() if s.kind == "ephemeral" and "move your session" in s.text][-1]
        labels = [
            b["accessory"]["text"]["text"] for b in choices.blocks if (b.get("accessory") or {}).get("type") == "button"
        ]
        amara.click(labels[-1], in_message=choices)
        slack.deliver()
        [moved] = sessions_of(db, world.pair_id)
        assert moved.ics_sequence == 1 and moved.starts_at.replace(tzinfo=UTC) != first_start
        assert "has moved" in group_messages(slack, world)[-1]
        pending = {r.key for r in outbox_rows(db, topic=f"session:{booked.id}", status="pending")}
        moved_with_it = {k for k in reminders_before if "agenda" in k}  # the agenda prompt moves, same key
        assert pending - moved_with_it and not (pending & reminders_before) - moved_with_it, (
            "old reminders cancelled, new ones in their place"
        )
        cancelled_rows = outbox_rows(db, topic=f"session:{booked.id}", status="cancelled")
        assert {r.key for r in cancelled_rows} >= reminders_before - {k for k in reminders_before if "agenda" in k}

        world.mentee.click("Cancel session")
        slack.deliver()
        [gone] = sessions_of(db, world.pair_id)
        assert gone.status == "cancelled" and gone.ics_sequence == 2
        assert "has been cancelled" in group_messages(slack, world)[-1]
        first, second, third = ics_files(slack, world)
        assert {str(event_of(c)["UID"]) for c in (first, second, third)} == {booked.ics_uid}  # type: ignore[index]
        assert [event_of(c)["SEQUENCE"] for c in (first, second, third)] == [0, 1, 2]  # type: ignore[index]
        assert third["METHOD"] == "CANCEL" and event_of(third)["STATUS"] == "CANCELLED"  # type: ignore[index]
        assert not outbox_rows(db, topic=f"session:{booked.id}", status="pending")
        clock.tick(timedelta(days=30))
        slack.deliver()
        assert not any("Reminder:" in t for t in group_messages(slack, world))


def test_no_overlap_says_so_and_a_custom_time_can_still_be_booked(slack: LocalSlack, db: Database) -> None:
    with freeze_time(MONDAY):
        world = make_pair(
            slack,
            db,
            mentor=("amara", "Europe/London", "09:00", "17:00"),
            mentee=("diana", "Australia/Sydney", "09:00", "17:00"),
        )
        diana = world.mentee
        diana.command("/mentoring", "schedule")
        answer = diana.seen()[-1]
        assert "don't overlap at all" in answer.text and "Australia/Sydney" in answer.text
        diana.click("Pick another time", in_message=answer)
        assert diana.modal is not None
        diana.fill({"Date": "2027-02-09", "Start time (your time)": "18:00"})
        result = diana.submit()
        head, tail = load_content().errors.texts["sessions.outside_working_hours"].split("{details}")
        assert result.errors["time"].startswith(head) and result.errors["time"].endswith(tail)
        assert "for you" in result.errors["time"] and "for Amara" in result.errors["time"]
        diana.fill({"Outside working hours": True})
        result = diana.submit()
        assert result.ok and not result.errors
        [booked] = sessions_of(db, world.pair_id)
        # 18:00 in Sydney (AEDT, UTC+11) on 9 Feb is 07:00 UTC
        assert booked.starts_at.replace(tzinfo=UTC) == datetime(2027, 2, 9, 7, tzinfo=UTC)


def test_downtime_skips_stale_reminders_but_still_asks_did_you_meet(slack: LocalSlack, db: Database) -> None:
    with freeze_time(MONDAY) as clock:
        world = make_pair(slack, db)
        starts = datetime(2027, 2, 9, 11, tzinfo=UTC)
        booking = service.book_session(db, world.pair_id, world.mentor.user_id, starts)
        slack.deliver()
        clock.move_to(starts + timedelta(hours=3))  # the app was down over the session
        slack.deliver()
        rows = {r.kind: r for r in outbox_rows(db, topic=f"session:{booking.session.id}")}
        assert rows[service.KIND_REMINDER_DAY].status == "skipped"
        assert rows[service.KIND_REMINDER_HOUR].status == "skipped"
        assert rows[service.KIND_DID_YOU_MEET].status == "sent"
        assert not any("Reminder:" in t for t in group_messages(slack, world))


def test_nudge_then_at_risk_when_nothing_is_booked(slack: LocalSlack, db: Database) -> None:
    with freeze_time(MONDAY) as clock:
        world = make_pair(slack, db)
        assert service.watch_new_pairs(db) == 1
        assert service.watch_new_pairs(db) == 0
        clock.tick(timedelta(days=14))
        slack.deliver()
        assert "You haven't booked your first session yet" in group_messages(slack, world)[-1]
        clock.tick(timedelta(days=7))
        slack.deliver()
        assert len([t for t in group_messages(slack, world) if "haven't booked" in t]) == 1, "nudged once"
        assert service.at_risk_pairs(db, world.programme_id) == []
        clock.tick(timedelta(days=7))
        slack.deliver()
        [flagged] = service.at_risk_pairs(db, world.programme_id)
        assert flagged.reason == "no_session" and flagged.pair_id == world.pair_id
        alerts = [t for t in private_texts(world.lead) if "may need support" in t]
        assert len(alerts) == 1


def test_a_booked_session_stops_the_nudge(slack: LocalSlack, db: Database) -> None:
    with freeze_time(MONDAY) as clock:
        world = make_pair(slack, db)
        service.watch_new_pairs(db)
        service.book_session(db, world.pair_id, world.mentee.user_id, datetime(2027, 2, 22, 11, tzinfo=UTC))
        clock.tick(timedelta(days=14))
        slack.deliver()
        assert not any("haven't booked" in t for t in group_messages(slack, world))


def test_two_sessions_in_a_row_that_did_not_happen_flag_the_pair(slack: LocalSlack, db: Database) -> None:
    with freeze_time(MONDAY) as clock:
        world = make_pair(slack, db)
        for day in (9, 23):
            starts = datetime(2027, 2, day, 11, tzinfo=UTC)
            booking = service.book_session(db, world.pair_id, world.mentor.user_id, starts)
            clock.move_to(starts + timedelta(hours=3))
            service.record_answer(db, booking.session.id, world.mentee.user_id, "no")
        slack.deliver()
        [flagged] = service.at_risk_pairs(db, world.programme_id)
        assert flagged.reason == "missed_twice"
        assert any("two sessions in a row did not happen" in t for t in private_texts(world.lead))
        # a held session clears the flag
        starts = datetime(2027, 3, 9, 11, tzinfo=UTC)
        booking = service.book_session(db, world.pair_id, world.mentor.user_id, starts)
        clock.move_to(starts + timedelta(hours=3))
        service.record_answer(db, booking.session.id, world.mentor.user_id, "yes")
        assert service.at_risk_pairs(db, world.programme_id) == []


def test_moved_answer_offers_rebooking_privately(slack: LocalSlack, db: Database) -> None:
    with freeze_time(MONDAY) as clock:
        world = make_pair(slack, db)
        starts = datetime(2027, 2, 9, 11, tzinfo=UTC)
        service.book_session(db, world.pair_id, world.mentor.user_id, starts)
        clock.move_to(starts + timedelta(hours=2))
        slack.deliver()
        world.mentee.click("No, we moved it")
        reply = next(s for s in reversed(world.mentee.dms()) if "Book the new time" in s.text)
        assert "Book the new time" in reply.text and reply.has_button("Schedule our next session")
        world.mentee.click("Schedule our next session", in_message=reply)
        assert "Times for" in world.mentee.seen()[-1].text
        [moved] = sessions_of(db, world.pair_id)
        assert moved.status == "cancelled" and moved.cancel_reason == "moved"


def test_journey_follow_ups_are_enqueued_as_sessions_move(slack: LocalSlack, db: Database) -> None:
    with freeze_time(MONDAY) as clock:
        world = make_pair(slack, db, planned_sessions=6)
        starts = datetime(2027, 2, 9, 11, tzinfo=UTC)
        booking = service.book_session(db, world.pair_id, world.mentor.user_id, starts)
        [agenda] = outbox_rows(db, kind=service.KIND_AGENDA)
        assert agenda.topic == f"session:{booking.session.id}" and agenda.recipient_user_id == world.mentee.user_id
        # three days before is a Saturday: the mentee is asked on Monday morning instead
        assert starts - timedelta(days=3) == datetime(2027, 2, 6, 11, tzinfo=UTC)
        assert agenda.send_at.replace(tzinfo=UTC) == datetime(2027, 2, 8, 9, tzinfo=UTC)
        assert agenda.payload["held_from"] == (starts - timedelta(days=3)).isoformat()
        clock.move_to(starts + timedelta(hours=3))
        service.record_answer(db, booking.session.id, world.mentee.user_id, "yes")
        assert len(outbox_rows(db, kind=service.KIND_CONTRACT_PROMPT)) == 1
    assert service.midpoint(6) == 3 and service.midpoint(4) is None


def test_profile_changes_working_hours_and_time_zone(slack: LocalSlack, db: Database) -> None:
    with freeze_time(MONDAY):
        world = make_pair(slack, db)
        amara = world.mentor
        amara.command("/mentoring", "profile")
        amara.click("Edit my profile")
        assert amara.modal is not None
        amara.fill({"My time zone": "Mars/Olympus", "Privacy notice": True})
        assert amara.submit().errors.get("tz") == error_text("enrolment.unknown_time_zone")

        amara.fill(
            {
                "My time zone": "Asia/Kolkata",
                "My working day starts": "10:00",
                "My working day ends": "18:30",
                "My working days": ["Monday", "Tuesday", "Wednesday"],
            }
        )
        result = amara.submit()
        assert result.ok and not result.errors, result.errors
        enrolment = service.viewer_enrolment(db, world.pair_id, amara.user_id)
        assert enrolment.tz == "Asia/Kolkata" and enrolment.work_days == [0, 1, 2]
        assert f"{enrolment.work_start:%H:%M}-{enrolment.work_end:%H:%M}" == "10:00-18:30"
        offer = service.offer_slots(db, world.pair_id, amara.user_id)
        for starts in offer.slots:
            local = starts.astimezone(offer.viewer.zone)
            assert local.weekday() in (0, 1, 2) and local.hour >= 10
