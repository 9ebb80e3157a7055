"""Who sees what of a concern, at the service level (the block builders are tested elsewhere).

An anonymous reporter's id must not be anywhere in what a lead's view is built from, so no block
builder, export or future screen can show it by mistake; closed concerns leave the open list.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from bot.concerns import service as concerns
from bot.concerns.service import ConcernInput
from bot.db import Database
from bot.errors import FieldErrors, NotAllowed, NotFound
from bot.models import Enrolment, Pair, Programme, ProgrammeLead

LEAD, REPORTER, PARTNER, OUTSIDER = "U0LEAD", "U0REPORTER", "U0PARTNER", "U0OUTSIDER"


def world(db: Database, *, paired: bool) -> int:
    """A programme led by LEAD; REPORTER (a mentor) enrolled, paired with PARTNER if ``paired``."""
    with db.session() as session:
        programme = Programme(name="Pilot", created_by=LEAD)
        session.add(programme)
        session.flush()
        session.add(ProgrammeLead(programme_id=programme.id, user_id=LEAD))
        for user, role in ((REPORTER, "mentor"), (PARTNER, "mentee")):
            session.add(
                Enrolment(
                    programme_id=programme.id,
                    user_id=user,
                    role=role,
                    real_name=user.title(),
                    organisation="Acme",
                    department="Engineering" if role == "mentor" else "Finance",
                    status="matched" if paired else "waiting",
                )
            )
        if paired:
            pair = Pair(programme_id=programme.id, mentor_user_id=REPORTER, mentee_user_id=PARTNER, approved_by=LEAD)
            session.add(pair)
        return programme.id


def raise_one(db: Database, programme_id: int, identity: str, urgency: str = "this-week") -> int:
    details = "Something in our sessions made me uncomfortable."
    return concerns.raise_concern(db, REPORTER, ConcernInput(programme_id, details, urgency, identity)).id


def strings_in(value: Any, skip: frozenset[str] = frozenset()) -> Iterator[tuple[str, str]]:
    """Every string anywhere inside a result (dataclasses, lists, dicts), with where it was found."""
    if isinstance(value, str):
        yield "", value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            if item.name not in skip:
                for where, text in strings_in(getattr(value, item.name), skip):
                    yield f".{item.name}{where}", text
    elif isinstance(value, dict):
        for key, item in value.items():
            for where, text in strings_in(item, skip):
                yield f"[{key!r}]{where}", text
    elif isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            for where, text in strings_in(item, skip):
                yield f"[{index}]{where}", text


def mentions_of(user_id: str, value: Any, skip: frozenset[str] = frozenset()) -> list[str]:
    return [where for where, text in strings_in(value, skip) if user_id in text]


def every_lead_view(db: Database, concern_id: int) -> list[Any]:
    """What a lead gets back from each action they can take on a concern, in order."""
    return [
        concerns.open_for_lead(db, concern_id, LEAD),
        concerns.acknowledge(db, concern_id, LEAD),
        concerns.add_note(db, concern_id, LEAD, "Spoke to the pair's sponsor."),
        concerns.audit_trail(db, concern_id, LEAD),
        concerns.open_concerns_for_lead(db, LEAD),
        concerns.close(
            db, concern_id, LEAD, "Resolved with both people.", "We talked it through with both of you."
        ),
    ]


def test_a_lead_never_receives_an_anonymous_reporters_id(db: Database) -> None:
    concern_id = raise_one(db, world(db, paired=False), "anonymous")
    views = every_lead_view(db, concern_id)
    assert views[0].anonymous and views[0].reporter_user_id is None
    assert mentions_of(REPORTER, views) == []
    assert {entry.action for entry in views[-1].events} >= {"raised", "opened", "acknowledged", "closed"}


def test_an_anonymous_reporter_in_a_pair_appears_only_as_a_member_of_the_pair(db: Database) -> None:
    """The lead needs the pair to act on it (pause, rematch); nothing says which of the two spoke up."""
    concern_id = raise_one(db, world(db, paired=True), "anonymous")
    views = every_lead_view(db, concern_id)
    assert views[0].mentor_user_id == REPORTER and views[0].mentee_user_id == PARTNER
    pair_fields = frozenset({"mentor_user_id", "mentee_user_id", "mentor_name", "mentee_name"})
    assert mentions_of(REPORTER, views, skip=pair_fields) == []
    assert mentions_of(REPORTER.title(), views, skip=pair_fields) == []


def test_a_named_reporter_is_shown_to_the_lead(db: Database) -> None:
    concern_id = raise_one(db, world(db, paired=False), "named")
    view = concerns.open_for_lead(db, concern_id, LEAD)
    assert (view.anonymous, view.reporter_user_id) == (False, REPORTER)
    assert ".reporter_user_id" in mentions_of(REPORTER, view)
    assert [entry.actor_user_id for entry in view.events if entry.action == "raised"] == [REPORTER]


def test_an_anonymous_reporter_cannot_be_contacted(db: Database) -> None:
    concern_id = raise_one(db, world(db, paired=False), "anonymous")
    with pytest.raises(NotAllowed):
        concerns.contact_reporter(db, concern_id, LEAD)


def test_a_closed_concern_leaves_the_open_list_and_acknowledged_ones_stay(db: Database) -> None:
    programme_id = world(db, paired=False)
    urgent = raise_one(db, programme_id, "named", urgency="today")
    later = raise_one(db, programme_id, "anonymous", urgency="fyi")
    acknowledged = raise_one(db, programme_id, "named")
    concerns.acknowledge(db, acknowledged, LEAD)
    assert [s.id for s in concerns.open_concerns_for_lead(db, LEAD)] == [urgent, later, acknowledged]
    concerns.close(db, urgent, LEAD, "Handled on the day.", "We talked it through with both of you.")
    assert [s.id for s in concerns.open_concerns_for_lead(db, LEAD)] == [later, acknowledged]
    concerns.close(db, acknowledged, LEAD, "Done.", "We talked it through with both of you.")
    assert [(s.id, s.status) for s in concerns.open_concerns_for_lead(db, LEAD)] == [(later, "open")]
    with pytest.raises(NotAllowed):
        concerns.close(db, urgent, LEAD, "Twice.", "We talked it through with both of you.")


def test_nobody_but_a_lead_of_the_programme_can_read_a_concern(db: Database) -> None:
    concern_id = raise_one(db, world(db, paired=True), "named")
    for someone in (REPORTER, PARTNER, OUTSIDER):
        with pytest.raises(NotFound):
            concerns.open_for_lead(db, concern_id, someone)
        assert concerns.open_concerns_for_lead(db, someone) == []


SLACK_TEXT_INPUT_MAX = 3000  # the longest a Slack plain_text_input may be set to take (max_length)


def test_the_longest_text_a_slack_form_can_take_is_accepted_and_one_more_character_is_not(db: Database) -> None:
    programme_id = world(db, paired=False)
    longest, too_long = "x" * SLACK_TEXT_INPUT_MAX, "x" * (SLACK_TEXT_INPUT_MAX + 1)
    with pytest.raises(FieldErrors) as refused:
        concerns.raise_concern(db, REPORTER, ConcernInput(programme_id, too_long, "fyi", "named"))
    assert set(refused.value.errors) == {"details"}
    concern_id = concerns.raise_concern(db, REPORTER, ConcernInput(programme_id, longest, "fyi", "named")).id
    assert concerns.open_for_lead(db, concern_id, LEAD).details == longest
    with pytest.raises(FieldErrors) as refused:
        concerns.add_note(db, concern_id, LEAD, too_long)
    assert set(refused.value.errors) == {"note"}
    concerns.add_note(db, concern_id, LEAD, longest)
    with pytest.raises(FieldErrors) as refused:
        concerns.close(db, concern_id, LEAD, too_long, "Thank you for telling us.")
    assert set(refused.value.errors) == {"outcome_note"}
    concerns.close(db, concern_id, LEAD, longest, "Thank you for telling us.")
    assert concerns.open_for_lead(db, concern_id, LEAD).outcome_note == longest
