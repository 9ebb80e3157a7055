"""Issue 15, item 1, for a break: "nobody is told why", and the lead sees every pause.

A pause has no reason field: Diana (mentee) tries to give one after the command and is refused, then
pauses for four weeks, keeps pausing when gently asked, and later resumes. Every payload the local
Slack recorded is then searched as in tests/test_promises_e2e.py: what Amara (her partner) and Lena
(the lead) were told about the break is no more than that it is one (and, for the lead, when), and
its dates reach Diana and the lead alone.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from bot.clock import as_utc
from bot.content import load_content
from bot.db import Database
from bot.emulator import view_text
from bot.local_slack import LocalSlack
from bot.models import ParticipationPause
from tests.factory import MONDAY, Cast, make_cast, match_pair
from tests.promises_helpers import PAUSE_PROMISES, deliveries, receivers

RUN = uuid.uuid4().hex[:8]
CONTENT = load_content()
PROMISES = {promise.id: promise for promise in CONTENT.promises.promises}
MORNING = MONDAY.replace(hour=10)
REASON = f"PA{RUN}-REASON"


@dataclass
class Break:
    cast: Cast
    ends: str  # the break's end, as a Slack date token names it
    refused: str  # the answer to a pause with a reason after it

    @property
    def slack(self) -> LocalSlack:
        return self.cast.slack


@pytest.fixture
def taken(slack: LocalSlack, db: Database) -> Iterator[Break]:
    cast = make_cast(slack)
    with freeze_time(MORNING) as clock:
        match_pair(cast)
        slack.deliver()
        refused = cast.mentee.command("/mentoring", f"pause 4 {REASON}").text
        assert "You're taking a break" in cast.mentee.command("/mentoring", "pause 4").text
        with db.session() as session:
            ends_at = session.scalars(select(ParticipationPause.ends_at)).one()
        assert ends_at is not None
        slack.deliver()
        cast.lead.open_home()
        clock.move_to(MORNING + timedelta(days=24, hours=1))  # two working days before the end
        slack.deliver()
        prompt = next(s for s in cast.mentee.dms() if s.has_button("Keep pausing"))
        assert cast.mentee.click("Keep pausing", in_message=prompt).ok
        slack.deliver()
        clock.move_to(MORNING + timedelta(weeks=6))  # a Monday morning: notices go at once
        slack.pass_time(1)
        assert "Welcome back" in cast.mentee.command("/mentoring", "resume").text
        slack.deliver()
        clock.tick(timedelta(days=1))
        slack.deliver()
        for person in (cast.lead, cast.mentor):
            person.open_home()
        yield Break(cast, f"<!date^{int(as_utc(ends_at).timestamp())}^", refused)


def test_pause_promises_are_all_checked_here() -> None:
    assert {p for p in PROMISES if p.startswith("pause-")} == set(PAUSE_PROMISES)
    assert PROMISES["pause-why"].visibility == ("author",)
    assert PROMISES["pause-lead-home"].visibility == ("author", "lead")


def test_a_break_has_no_reason_and_nobody_is_told_one(taken: Break) -> None:
    cast = taken.cast
    diana, amara, lena = cast.mentee.user_id, cast.mentor.user_id, cast.lead.user_id
    # No reason can be given: words after the length are refused, and reach nobody at all.
    assert "Usage" in taken.refused and "You're taking a break" not in taken.refused
    assert receivers(taken.slack, REASON) <= {diana}
    # The promise, in the gentle question she alone was asked; her answer goes to nobody else.
    assert receivers(taken.slack, CONTENT.promise("pause-why")) == {diana}
    for choice in ("Keep pausing", "Resume now"):  # her answer to the gentle question
        assert not receivers(taken.slack, choice) & {amara, lena}, f"{choice!r} reached the partner or the lead"
    # What the partner and the lead were told of it: that it is a break, and (to the lead) when; no more.
    partner = re.compile(
        r"Your partner in \*[^*]+\* is taking a short break from the programme\. Nothing is needed from you; "
        r"reminders pause meanwhile, and I'll let you know when it picks up again\."
        r"|Your pairing in \*[^*]+\* is back on after a short break\. Pick up whenever suits you both\."
    )
    lead = re.compile(
        r"Diana Reyes is taking a break from \*[^*]+\* until (<!date\^\d+\^[^>]*>|they resume)\. "
        r"No reason is asked or needed\.|Diana Reyes is back from a break in \*[^*]+\*\."
    )
    told = {amara: (partner, CONTENT.promise("this-message")), lena: (lead, CONTENT.promise("pause-lead-home"))}
    for person in (cast.mentor, cast.lead):
        notices = [s.blocks for s in person.seen() if s.blocks and "break" in json.dumps(s.blocks[0])]
        assert len(notices) >= 2, f"{person.user_id} was told of the break, and of its end"
        pattern, footer = told[person.user_id]
        for first, *rest in notices:
            assert pattern.fullmatch(first["text"]["text"]), f"{person.user_id} was told more: {first}"
            assert [(b["type"], [e["text"] for e in b["elements"]]) for b in rest] == [("context", [footer])], rest


def test_a_breaks_dates_reach_the_person_and_the_lead_who_sees_every_pause(taken: Break) -> None:
    cast = taken.cast
    diana, lena = cast.mentee.user_id, cast.lead.user_id
    assert receivers(taken.slack, taken.ends) == {diana, lena}, "not the partner, who hears only of a short break"
    words = CONTENT.promise("pause-lead-home")
    assert receivers(taken.slack, f"Diana Reyes is taking a break & {taken.ends} & {words}") == {lena}
    assert receivers(taken.slack, words) == {lena}
    # ... as her App Home does, while the break lasts (the story's end shows it over).
    homes = [blob for audience, blob in deliveries(taken.slack) if audience == {lena}]
    assert any("Diana Reyes (mentee) is taking a break" in blob for blob in homes)
    assert "taking a break" not in view_text(cast.lead.home or {}), "resumed: no longer shown as a break"
