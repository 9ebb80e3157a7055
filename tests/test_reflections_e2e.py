"""Issue 6, reflections: private to their author, never lost, shared only by choice."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from freezegun import freeze_time
from sqlalchemy import event, select, text, update
from sqlalchemy.exc import OperationalError

from bot.clock import now
from bot.db import Database
from bot.emulator import view_text
from bot.errors import NotFound, error_text
from bot.local_slack import LocalSlack, Person
from bot.models import MentoringSession, Reflection
from bot.reflections import service as reflections
from tests.factory import ConcernWorld, build_world, hold_session

TAKEAWAYS = "What I will do differently"


def fill_reflection(person: Person, takeaways: str = "Listen more", share: bool = False, **more: object) -> None:
    fields: dict[str, object] = {
        "Key takeaways": takeaways,
        "What I will do differently": "Ask before assuming",
        "How safe did you feel to speak openly?": "4",
        "How useful was this session for you?": "5",
    }
    if share:
        fields["Share with my partner"] = True
    fields.update(more)
    person.fill(fields)


def reflections_in(db: Database) -> list[Reflection]:
    with db.session() as session:
        return list(session.scalars(select(Reflection).order_by(Reflection.id)))


def test_after_a_held_session_each_person_is_asked_privately_and_the_reflection_is_theirs(
    slack: LocalSlack, db: Database
) -> None:
    world = build_world(slack, db, channel=False)
    hold_session(db, world)
    slack.deliver()
    for person in (world.mentor, world.mentee):
        prompts = [s for s in person.seen() if s.has_button("Write my reflection")]
        assert len(prompts) == 1 and prompts[0].kind == "im", "a private DM, never the pair's conversation"
        assert prompts[0].has_button("Raise a concern")
    amara = world.mentor
    amara.click("Write my reflection")
    modal = amara.modal
    assert modal is not None
    share = next(b for b in modal["blocks"] if b.get("block_id") == "share_takeaways")
    assert "initial_options" not in share["element"], "sharing starts unticked"
    fill_reflection(amara, "MINE-ONLY takeaway")
    assert amara.submit().ok
    assert "Your reflection is saved" in view_text(amara.modal or {})
    [saved] = reflections_in(db)
    assert (saved.takeaways, saved.safety, saved.usefulness, saved.share_takeaways) == (
        "MINE-ONLY takeaway",
        4,
        5,
        False,
    )
    slack.deliver()
    for other in (world.mentee, world.lead, world.backup):
        assert "MINE-ONLY" not in "\n".join(s.text for s in other.seen())
    with db.engine.connect() as connection:
        raw = connection.execute(text("SELECT takeaways FROM reflections")).scalar()
        assert "MINE-ONLY" not in str(raw), "encrypted at rest"


def test_shared_takeaways_reach_the_partner_in_the_pair_dm_and_nothing_else_does(
    slack: LocalSlack, db: Database
) -> None:
    world = build_world(slack, db, channel=False)
    hold_session(db, world)
    slack.deliver()
    world.mentee.click("Write my reflection")
    fill_reflection(world.mentee, "SHARED-TAKEAWAY", share=True, **{TAKEAWAYS: "PRIVATE-DIFFERENTLY"})
    world.mentee.submit()
    slack.deliver()
    group = slack.emulator.group_dm(world.mentor.user_id, world.mentee.user_id)
    assert group is not None
    shared = [m for m in slack.emulator.messages_in(group) if "SHARED-TAKEAWAY" in json.dumps(m.blocks)]
    assert len(shared) == 1
    assert "Diana Reyes shared the key takeaways" in json.dumps(shared[0].blocks)
    everything = json.dumps([c.args for c in slack.emulator.calls])
    assert "PRIVATE-DIFFERENTLY" not in everything, "only the takeaways are ever shared"


def test_one_reminder_after_three_days_then_nothing(slack: LocalSlack, db: Database) -> None:
    start = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
    with freeze_time(start) as clock:
        world = build_world(slack, db, channel=False)
        hold_session(db, world)
        slack.deliver()
        world.mentor.click("Write my reflection")
        fill_reflection(world.mentor)
        world.mentor.submit()
        clock.move_to(start + timedelta(days=2, hours=23))
        slack.deliver()
        clock.move_to(start + timedelta(days=3))
        slack.deliver()
        clock.move_to(start + timedelta(days=10))
        slack.deliver()
    mentee_reminders = [s for s in world.mentee.dms() if "gentle reminder" in s.text]
    mentor_reminders = [s for s in world.mentor.dms() if "gentle reminder" in s.text]
    assert len(mentee_reminders) == 1, "one reminder for whoever has not reflected"
    assert mentor_reminders == [], "no reminder once reflected"


def test_reflect_and_reflections_commands_edit_and_delete(slack: LocalSlack, db: Database) -> None:
    world = build_world(slack, db, channel=False)
    amara = world.mentor
    assert "no session to reflect on yet" in amara.command("/mentoring", "reflect").text
    hold_session(db, world, number=1, hours_ago=48)
    hold_session(db, world, number=2, hours_ago=3)
    amara.command("/mentoring", "reflect")
    assert "Session 2" in view_text(amara.modal or {}), "the most recent session"
    fill_reflection(amara, "Second session thoughts")
    amara.submit()
    answer = amara.command("/mentoring", "reflections")
    assert "Second session thoughts" in answer.text or "Second session thoughts" in json.dumps(amara.seen()[-1].blocks)
    listing = amara.seen()[-1]
    amara.click("Edit", in_message=listing)
    assert "Second session thoughts" in json.dumps(amara.modal)
    amara.fill({"Key takeaways": "Edited thoughts"})
    amara.submit()
    [saved] = reflections_in(db)
    assert saved.takeaways == "Edited thoughts"
    amara.command("/mentoring", "reflections")
    amara.click("Delete", in_message=amara.seen()[-1])
    assert reflections_in(db) == []


def test_nobody_else_can_open_edit_or_delete_a_reflection(slack: LocalSlack, db: Database) -> None:
    world = build_world(slack, db, channel=False)
    other = build_world(slack, db, name="Other", prefix="x", channel=False)
    session_id = hold_session(db, world)
    slack.deliver()
    world.mentor.click("Write my reflection")
    fill_reflection(world.mentor, "AMARA-PRIVATE")
    world.mentor.submit()
    [saved] = reflections_in(db)
    world.mentor.command("/mentoring", "reflections")
    listing = world.mentor.seen()[-1]
    for intruder in (world.mentee, world.lead, other.mentor, other.lead):
        for action_id, value in (
            ("reflection_edit", saved.id),
            ("reflection_delete", saved.id),
            ("reflection_open", session_id),
        ):
            action = {
                "action_id": action_id,
                "block_id": "x",
                "type": "button",
                "value": str(value),
                "text": {"type": "plain_text", "text": "Edit"},
                "action_ts": "1",
            }
            intruder._send_message_action(listing, action)
        assert "AMARA-PRIVATE" not in json.dumps(slack.emulator.view_stack(intruder.user_id))
    assert len(reflections_in(db)) == 1
    # The partner opening the prompt for the same session gets their own (empty) form, not Amara's.
    world.mentee.click("Write my reflection")
    assert "AMARA-PRIVATE" not in json.dumps(world.mentee.modal)
    with pytest.raises(NotFound) as refused:
        reflections.reflection_target(db, session_id, other.mentor.user_id)
    assert refused.value.code == "reflections.session_not_yours"


def test_bad_input_gets_field_errors_and_odd_unicode_is_kept(slack: LocalSlack, db: Database) -> None:
    world = build_world(slack, db, channel=False)
    hold_session(db, world)
    slack.deliver()
    amara = world.mentor
    amara.click("Write my reflection")
    amara.fill({"Key takeaways": "   ", "What I will do differently": "y" * 3001})
    amara.submit(force=True)
    errors = amara.errors_by_label()
    assert errors["Key takeaways"] == error_text("reflections.answer_required")
    assert errors["What I will do differently"] == error_text("reflections.answer_too_long", max=3000, length=3001)
    assert reflections_in(db) == []
    odd = "مرحبا \u200f עברית 🏳️‍🌈 e\u0301 \U0001f9d1\u200d\U0001f9b1 <b>&lt;</b> *not bold*"
    amara.fill({"Key takeaways": odd, "What I will do differently": "Fine"})
    assert amara.submit().ok
    assert reflections_in(db)[0].takeaways == odd.strip()


def test_a_reflection_is_never_lost(slack: LocalSlack, db: Database) -> None:
    world = build_world(slack, db, channel=False)
    hold_session(db, world)
    slack.deliver()
    amara = world.mentor
    amara.click("Write my reflection")
    fill_reflection(amara, "Precious words", share=True)

    def fail(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO REFLECTIONS"):
            raise OperationalError(statement, None, Exception("simulated database failure"))

    event.listen(db.engine, "before_cursor_execute", fail)
    try:
        amara.submit()
    finally:
        event.remove(db.engine, "before_cursor_execute", fail)
    assert amara.errors_by_label()["Key takeaways"] == error_text("reflections.save_failed")

    assert amara.modal is not None and amara.modal["callback_id"] == "reflection_form", "the form stays open"
    assert reflections_in(db) == []
    # Slack fails every follow-up for a while: the save stands regardless.
    slack.emulator.fail_next("chat.postMessage", status=500, count=10)
    assert amara.submit().ok
    slack.deliver()
    [saved] = reflections_in(db)
    assert saved.takeaways == "Precious words" and saved.shared_at is not None


def _add_reflections(db: Database, world: ConcernWorld, ratings: list[tuple[str, str, int]]) -> None:
    with db.session() as session:
        held = session.scalars(select(MentoringSession)).first()
        assert held is not None
        for index, (author, role, safety) in enumerate(ratings):
            extra = MentoringSession(
                pair_id=world.pair_id,
                programme_id=world.programme_id,
                number=10 + index,
                starts_at=now(),
                ends_at=now(),
                status="held",
                ics_uid=f"agg-{index}-{author}-{uuid.uuid4().hex[:8]}",
                booked_by=author,
            )
            session.add(extra)
            session.flush()
            session.add(
                Reflection(
                    session_id=extra.id,
                    pair_id=world.pair_id,
                    programme_id=world.programme_id,
                    author_user_id=author,
                    role=role,
                    takeaways="t",
                    do_differently="d",
                    safety=safety,
                    usefulness=3,
                )
            )


def test_ratings_reach_the_lead_only_as_aggregates_over_five_people(slack: LocalSlack, db: Database) -> None:
    world = build_world(slack, db, channel=False)
    hold_session(db, world)
    _add_reflections(db, world, [(f"U{i}", "mentor", 2 + i % 3) for i in range(4)])
    with db.session() as session:
        aggregates = reflections.rating_aggregates(session, world.programme_id, min_group=1)
        assert aggregates.min_group == 5, "never fewer than five, whatever the caller asks"
        safety = aggregates.overall["safety"]
        assert safety.suppressed and safety.mean is None and safety.distribution is None and safety.people == 0
    _add_reflections(db, world, [("U4", "mentor", 5), ("U0", "mentor", 1)])  # five people, six answers
    with db.session() as session:
        aggregates = reflections.rating_aggregates(session, world.programme_id)
        safety = aggregates.overall["safety"]
        assert not safety.suppressed and safety.people == 5 and safety.responses == 6
        assert safety.distribution == {1: 1, 2: 2, 3: 1, 4: 1, 5: 1}
        assert aggregates.by_role["mentor"]["safety"].people == 5
        assert aggregates.by_role["mentee"]["safety"].suppressed is False  # nobody: nothing to hide
        completion = reflections.reflection_completion(session, world.programme_id)
        assert completion.completed == 6
    # Two mentees join: their ratings wait for a batch of five mentees, so the overall figure (the sum of
    # released groups) stays at the five mentors; the mentees are hidden, and so are the mentors.
    _add_reflections(db, world, [("M1", "mentee", 4), ("M2", "mentee", 5)])
    with db.session() as session:
        aggregates = reflections.rating_aggregates(session, world.programme_id)
        assert not aggregates.overall["safety"].suppressed and aggregates.overall["safety"].people == 5
        assert aggregates.by_role["mentee"]["safety"].suppressed
        assert aggregates.by_role["mentor"]["safety"].suppressed and aggregates.by_role["mentor"]["safety"].mean is None


def test_the_reflection_form_links_to_a_concern_without_losing_the_reflection(slack: LocalSlack, db: Database) -> None:
    world = build_world(slack, db, channel=False)
    hold_session(db, world)
    slack.deliver()
    amara = world.mentor
    amara.click("Write my reflection")
    fill_reflection(amara, "Half-written")
    amara.click("Raise a concern")
    stack = slack.emulator.view_stack(amara.user_id)
    assert [view["callback_id"] for view in stack] == ["reflection_form", "concern_form"]
    amara.close_modal()
    assert amara.modal is not None and amara.modal["callback_id"] == "reflection_form"
    assert amara.submit().ok
    assert reflections_in(db)[0].takeaways == "Half-written"


def _lead_sees(db: Database, programme_id: int) -> tuple[list[str], Any]:
    from bot.closeout.notifications import rating_lines

    with db.session() as session:
        return rating_lines(session, programme_id, 5), reflections.rating_aggregates(session, programme_id)


def test_rating_figures_change_only_in_batches_so_one_new_reflection_cannot_be_worked_out(
    slack: LocalSlack, db: Database
) -> None:
    """Two reports, before and after one more reflection, are identical: nothing about that
    reflection's ratings can be computed. Figures move only when five more people have rated."""
    world = build_world(slack, db, channel=False)
    hold_session(db, world)
    _add_reflections(db, world, [(f"U{i}", "mentor", 3) for i in range(5)])
    before_lines, before = _lead_sees(db, world.programme_id)
    assert before.by_role["mentor"]["safety"].people == 5 and before.overall["safety"].mean == 3.0
    assert any("mentors 3.0 (5 people)" in line for line in before_lines)

    _add_reflections(db, world, [("U5", "mentor", 1)])  # one new person: a 1 that would pull the mean down
    after_lines, after = _lead_sees(db, world.programme_id)
    assert after_lines == before_lines and after == before  # not a figure, a count or a distribution moved

    # The same person reflecting again and again never makes a batch on their own.
    _add_reflections(db, world, [("U5", "mentor", 1) for _ in range(6)])
    assert _lead_sees(db, world.programme_id)[1] == before
    # Editing an already released rating counts as new, and waits too.
    with db.session() as session:
        edited = update(Reflection).where(Reflection.author_user_id == "U0")
        session.execute(edited.values(safety=1, ratings_released=False))
    assert _lead_sees(db, world.programme_id)[1] == before

    # Four more people: five different people since the last release, and the figures move at once.
    _add_reflections(db, world, [(f"U{i}", "mentor", 5) for i in range(6, 10)])
    later_lines, later = _lead_sees(db, world.programme_id)
    assert later.by_role["mentor"]["safety"].people == 10 and later_lines != before_lines


def test_a_changed_rating_waits_for_the_next_release_and_an_unchanged_one_does_not(
    slack: LocalSlack, db: Database
) -> None:
    world = build_world(slack, db, channel=False)
    session_id = hold_session(db, world)

    def save(safety: int) -> bool:
        data = reflections.ReflectionInput("t", "d", safety=safety, usefulness=3)
        reflections.save_reflection(db, session_id, world.mentor.user_id, data)
        with db.session() as session:
            return bool(session.scalars(select(Reflection.ratings_released)).one())

    assert save(4) is False
    with db.session() as session:
        session.execute(update(Reflection).values(ratings_released=True))
    assert save(4) is True  # only the words changed: still released
    assert save(2) is False  # a new rating: new again
