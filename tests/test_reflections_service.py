"""A reflection belongs to its author, at the service level: only they can open it to edit, change
or delete it; the partner and the lead get "not found" and the author's words stay as written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.errors import FieldErrors, NotFound
from bot.models import Enrolment, MentoringSession, Pair, Programme, ProgrammeLead, Reflection
from bot.reflections import service as reflections
from bot.reflections.service import ReflectionInput

LEAD, MENTOR, MENTEE, OUTSIDER = "U0LEAD", "U0MENTOR", "U0MENTEE", "U0OUTSIDER"


def held_session(db: Database) -> int:
    """A pair (MENTOR junior, MENTEE senior) in a programme led by LEAD, with one session held."""
    with db.session() as session:
        programme = Programme(name="Pilot", created_by=LEAD)
        session.add(programme)
        session.flush()
        session.add(ProgrammeLead(programme_id=programme.id, user_id=LEAD))
        for user, role in ((MENTOR, "mentor"), (MENTEE, "mentee")):
            session.add(
                Enrolment(
                    programme_id=programme.id, user_id=user, role=role, real_name=user.title(),
                    organisation="Acme", department=role, status="matched",
                )
            )
        pair = Pair(programme_id=programme.id, mentor_user_id=MENTOR, mentee_user_id=MENTEE, approved_by=LEAD)
        session.add(pair)
        session.flush()
        starts = datetime(2027, 2, 1, 10, 0, tzinfo=UTC)
        held = MentoringSession(
            pair_id=pair.id, programme_id=programme.id, number=1, starts_at=starts,
            ends_at=starts + timedelta(hours=1), status="held", ics_uid=f"pair-{pair.id}-1", booked_by=MENTEE,
        )
        session.add(held)
        session.flush()
        return held.id


MINE = ReflectionInput(takeaways="Flexible hours land unevenly.", do_differently="Ask before assuming.", safety=4)


def stored(db: Database, reflection_id: int) -> tuple[str, str, str, int | None]:
    with db.session() as session:
        row = session.get(Reflection, reflection_id)
        assert row is not None
        return row.author_user_id, row.takeaways, row.do_differently, row.safety


def test_the_author_can_open_their_reflection_to_edit_and_change_it(db: Database) -> None:
    session_id = held_session(db)
    saved = reflections.save_reflection(db, session_id, MENTEE, MINE)
    target = reflections.target_for_edit(db, saved.id, MENTEE)
    assert target.existing is not None and target.existing.takeaways == MINE.takeaways
    assert (target.role, target.partner_id) == ("mentee", MENTOR)
    again = reflections.save_reflection(db, session_id, MENTEE, ReflectionInput("Changed my mind.", "Listen more."))
    assert (again.id, again.created) == (saved.id, False)
    assert stored(db, saved.id) == (MENTEE, "Changed my mind.", "Listen more.", None)


@pytest.mark.parametrize("someone", [MENTOR, LEAD, OUTSIDER])
def test_nobody_else_can_open_edit_or_delete_a_reflection(db: Database, someone: str) -> None:
    session_id = held_session(db)
    saved = reflections.save_reflection(db, session_id, MENTEE, MINE)
    with pytest.raises(NotFound):
        reflections.target_for_edit(db, saved.id, someone)
    with pytest.raises(NotFound):
        reflections.delete_reflection(db, saved.id, someone)
    assert all(mine.reflection.id != saved.id for mine in reflections.my_reflections(db, someone))
    assert stored(db, saved.id) == (MENTEE, MINE.takeaways, MINE.do_differently, 4)


def test_the_partner_saving_on_the_same_session_writes_their_own_reflection(db: Database) -> None:
    session_id = held_session(db)
    theirs = reflections.save_reflection(db, session_id, MENTEE, MINE)
    mine = reflections.save_reflection(db, session_id, MENTOR, ReflectionInput("My own view.", "Speak up."))
    assert mine.created and mine.id != theirs.id
    assert stored(db, theirs.id) == (MENTEE, MINE.takeaways, MINE.do_differently, 4)
    assert [m.reflection.takeaways for m in reflections.my_reflections(db, MENTOR)] == ["My own view."]


def test_people_outside_the_pair_cannot_reflect_on_its_session(db: Database) -> None:
    session_id = held_session(db)
    for someone in (LEAD, OUTSIDER):
        with pytest.raises(NotFound):
            reflections.reflection_target(db, session_id, someone)
        with pytest.raises(NotFound):
            reflections.save_reflection(db, session_id, someone, MINE)
    with db.session() as session:
        assert session.scalars(select(Reflection)).all() == []


def test_only_the_author_deletes_their_reflection(db: Database) -> None:
    session_id = held_session(db)
    saved = reflections.save_reflection(db, session_id, MENTEE, MINE)
    reflections.delete_reflection(db, saved.id, MENTEE)
    with pytest.raises(NotFound):
        reflections.target_for_edit(db, saved.id, MENTEE)


def test_the_longest_text_a_slack_form_can_take_is_kept_and_one_more_character_is_refused(db: Database) -> None:
    session_id = held_session(db)
    longest = "x" * 3000  # a Slack plain_text_input's largest max_length
    with pytest.raises(FieldErrors) as refused:
        reflections.save_reflection(db, session_id, MENTEE, ReflectionInput(longest + "x", "Listen more."))
    assert set(refused.value.errors) == {"takeaways"}
    saved = reflections.save_reflection(db, session_id, MENTEE, ReflectionInput(longest, longest, longest))
    assert stored(db, saved.id)[1:3] == (longest, longest)
