"""Agendas: the mentee sets the agenda, the mentor adds to it, and the mentee is asked before a session."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import Text, select
from sqlalchemy import cast as sql_cast

from bot.db import Database
from bot.emulator import message_text, validate_blocks, validate_view, view_text
from bot.errors import error_text
from bot.journey import service as journey
from bot.local_slack import LocalSlack
from bot.models import Agenda, AgendaItem, MentoringSession, OutboxMessage
from tests.factory import MONDAY, Cast, make_cast, match_pair, replay_button, texts_seen


@pytest.fixture
def cast(slack: LocalSlack) -> Cast:
    return make_cast(slack)

MENTEE_ITEM = "How did the hybrid working policy land in your team? AGENDA-5d1e"
MENTOR_ITEM = "I'd like your view on how promotion decisions are really made."


def matched(slack: LocalSlack, cast: Cast) -> None:
    match_pair(cast)
    slack.deliver()


def agenda_posts(cast: Cast) -> list[str]:
    messages = cast.slack.emulator.messages_in(cast.group_dm())
    return [message_text(m) for m in messages if m.text.startswith("Agenda for your next session")]


def test_the_mentee_sets_the_agenda_and_the_mentor_adds_to_it(slack: LocalSlack, db: Database, cast: Cast) -> None:
    with freeze_time(MONDAY.replace(hour=10)):
        matched(slack, cast)
        # Before there is an agenda, the mentor is told kindly who sets it.
        answer = cast.mentor.command("/mentoring", "agenda")
        assert "Diana Reyes sets the agenda as mentee" in answer.text
        assert cast.mentor.modal is None

        cast.mentee.command("/mentoring", "agenda")
        form = cast.mentee.modal
        assert form is not None and validate_view(form) == []
        assert "Something you tried since the last session" in view_text(form)  # ideas from content
        cast.mentee.fill({"What would you like to talk about?": MENTEE_ITEM})
        assert cast.mentee.submit().ok
        [posted] = agenda_posts(cast)
        assert "AGENDA-5d1e" in posted and "Diana Reyes" in posted

        cast.mentor.click("Add to the agenda")
        addition = cast.mentor.modal
        assert addition is not None and "AGENDA-5d1e" in view_text(addition)
        cast.mentor.fill({"Anything you would like to add?": MENTOR_ITEM})
        assert cast.mentor.submit().ok

        # The mentor can also add with the command, to the latest agenda.
        cast.mentor.command("/mentoring", "agenda")
        assert cast.mentor.modal is not None and cast.mentor.modal["callback_id"] == "agenda_addition_form"
        cast.mentor.close_modal()

    [updated] = agenda_posts(cast)  # the same message, updated in place
    assert "AGENDA-5d1e" in updated and "promotion decisions" in updated
    assert updated.index("AGENDA-5d1e") < updated.index("promotion decisions")
    message = next(m for m in slack.emulator.messages_in(cast.group_dm()) if m.text.startswith("Agenda"))
    assert message.edited and validate_blocks(message.blocks) == []
    assert "AGENDA-5d1e" not in texts_seen(cast.lead)
    with db.session() as session:
        raw = session.execute(select(sql_cast(AgendaItem.text, Text))).scalars().all()
    assert len(raw) == 2 and not any("AGENDA" in value for value in raw), "agenda items are encrypted at rest"


def test_agenda_forms_check_their_input(slack: LocalSlack, db: Database, cast: Cast) -> None:
    with freeze_time(MONDAY.replace(hour=10)):
        matched(slack, cast)
        cast.mentee.command("/mentoring", "agenda")
        cast.mentee.fill({"What would you like to talk about?": "   "})
        cast.mentee.submit(force=True)
        errors = cast.mentee.errors_by_label()
        assert errors["What would you like to talk about?"] == error_text("journey.agenda_required")
        cast.mentee.fill({"What would you like to talk about?": "y" * 2001})
        cast.mentee.submit(force=True)
        assert cast.mentee.errors_by_label()["What would you like to talk about?"] == error_text(
            "journey.agenda_too_long", max=2000, length=2001
        )
        # The mentor cannot set the agenda, even by replaying the mentee's button.
        replay_button(cast.mentor, "open_agenda", f"{cast.pair_id(db)}:")
        assert error_text("journey.agenda_mentee_first") in cast.mentor.seen()[-1].text

        assert cast.mentor.modal is None
    with db.session() as session:
        assert session.scalars(select(Agenda)).all() == []


def book_session(db: Database, cast: Cast, starts_in: timedelta) -> int:
    """A booked session, as the sessions feature would record it."""
    with db.session() as session:
        pair_id = cast.pair_id(db)
        people = journey.load_pair(session, pair_id)
        assert people is not None
        starts = MONDAY.replace(hour=10) + starts_in
        meeting = MentoringSession(
            pair_id=pair_id,
            programme_id=people.pair.programme_id,
            number=1,
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            status="booked",
            ics_uid=f"test-{pair_id}-{starts.isoformat()}",
            booked_by=cast.mentee.user_id,
        )
        session.add(meeting)
        session.flush()
        return meeting.id


def test_the_mentee_is_asked_privately_for_the_agenda_before_a_session(
    slack: LocalSlack, db: Database, cast: Cast
) -> None:
    with freeze_time(MONDAY.replace(hour=10)) as clock:
        matched(slack, cast)
        session_id = book_session(db, cast, timedelta(days=7, hours=4))  # Monday 8 March, 14:00 in London
        ask_at = MONDAY.replace(hour=10) + timedelta(days=4)
        with db.session() as session:
            assert journey.enqueue_agenda_request(session, cast.pair_id(db), ask_at, session_id=session_id)
            assert not journey.enqueue_agenda_request(session, cast.pair_id(db), ask_at, session_id=session_id)
        clock.move_to(ask_at)
        slack.deliver()
        [request] = [s for s in cast.mentee.dms() if "What would you like to talk about" in s.text]
        assert "Your next session with Amara Okafor is on" in request.text
        assert "Monday 8 March at 14:00" in json.dumps(request.blocks)  # the fallback, in her own time zone
        assert not any("What would you like to talk about" in s.text for s in cast.mentor.seen())

        cast.mentee.click("Set the agenda", in_message=request)
        assert cast.mentee.modal is not None
        cast.mentee.fill({"What would you like to talk about?": MENTEE_ITEM})
        assert cast.mentee.submit().ok
        # Setting it again for the same session replaces her part rather than starting another agenda.
        cast.mentee.click("Set the agenda", in_message=request)
        cast.mentee.fill({"What would you like to talk about?": "Changed my mind: promotions."})
        assert cast.mentee.submit().ok
        slack.deliver()
    with db.session() as session:
        agendas = session.scalars(select(Agenda)).all()
        assert [a.session_id for a in agendas] == [session_id]
        assert [item.text for item in agendas[0].items] == ["Changed my mind: promotions."]
        statuses = {
            row.payload.get("session_id"): row.status
            for row in session.scalars(select(OutboxMessage).where(OutboxMessage.kind == journey.AGENDA_REQUEST))
        }
    assert statuses == {session_id: "sent"}
    [posted] = agenda_posts(cast)
    assert "Changed my mind: promotions." in posted and "AGENDA-5d1e" not in posted
    assert "Your session on" in posted


def test_an_agenda_set_ahead_of_time_is_for_the_next_session_and_no_one_asks_again(
    slack: LocalSlack, db: Database, cast: Cast
) -> None:
    with freeze_time(MONDAY.replace(hour=10)) as clock:
        matched(slack, cast)
        session_id = book_session(db, cast, timedelta(days=7))
        ask_at = MONDAY.replace(hour=10) + timedelta(days=4)
        with db.session() as session:
            journey.enqueue_agenda_request(session, cast.pair_id(db), ask_at, session_id=session_id)
        cast.mentee.command("/mentoring", "agenda")
        assert "Your next session with Amara Okafor is on" in view_text(cast.mentee.modal)
        cast.mentee.fill({"What would you like to talk about?": MENTEE_ITEM})
        assert cast.mentee.submit().ok
        clock.move_to(ask_at)
        slack.deliver()
    assert not any("What would you like to talk about" in s.text for s in cast.mentee.dms())
    with db.session() as session:
        assert session.scalars(select(Agenda.session_id)).all() == [session_id]
        row = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == journey.AGENDA_REQUEST)).one()
        assert row.status == "skipped" and "already set" in (row.last_error or "")


def test_an_agenda_request_for_a_cancelled_session_is_not_sent(slack: LocalSlack, db: Database, cast: Cast) -> None:
    with freeze_time(MONDAY.replace(hour=10)):
        matched(slack, cast)
        session_id = book_session(db, cast, timedelta(days=7))
        with db.session() as session:
            journey.enqueue_agenda_request(session, cast.pair_id(db), MONDAY.replace(hour=10), session_id=session_id)
            meeting = session.get(MentoringSession, session_id)
            assert meeting is not None
            meeting.status = "cancelled"
        slack.deliver()
    assert not any("What would you like to talk about" in s.text for s in cast.mentee.dms())
