"""The reporting-line rule with what the database knows: manager links recorded in any programme.

A junior mentor is never matched with a senior mentee in their own management chain, even when
the link in between (a middle manager) was only ever recorded in another programme's enrolment.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.db import Database
from bot.errors import FieldErrors
from bot.matching import proposals
from bot.models import Enrolment, Programme, ProgrammeLead

LEAD = "U0LEAD"
JUNIOR, SENIOR, MIDDLE = "U0JUNIOR", "U0SENIOR", "U0MIDDLE"  # JUNIOR reports to MIDDLE, who reports to SENIOR


def programme(db: Database, name: str) -> int:
    with db.session() as session:
        row = Programme(name=name, created_by=LEAD, cross_organisation=False)
        session.add(row)
        session.flush()
        session.add(ProgrammeLead(programme_id=row.id, user_id=LEAD))
        return row.id


def enrol(db: Database, programme_id: int, user: str, role: str, department: str, manager: str | None = None) -> None:
    with db.session() as session:
        session.add(
            Enrolment(
                programme_id=programme_id, user_id=user, role=role, real_name=user[2:].title(),
                organisation="Acme", department=department, line_manager_id=manager,
                privacy_confirmed_at=datetime(2027, 1, 4, tzinfo=UTC),
            )
        )


def pairs_of(proposal: proposals.Proposal) -> set[tuple[str, str]]:
    return {(row.mentor_id, row.mentee_id) for row in proposal.pairs}


@pytest.mark.parametrize("recorded_in", ["another programme", "nowhere"])
def test_a_skip_level_manager_recorded_in_another_programme_is_honoured(db: Database, recorded_in: str) -> None:
    pilot = programme(db, "Pilot")
    enrol(db, pilot, JUNIOR, "mentor", "Engineering", manager=MIDDLE)
    enrol(db, pilot, SENIOR, "mentee", "Operations")
    if recorded_in == "another programme":  # MIDDLE was a mentee last year, and named SENIOR as manager then
        earlier = programme(db, "Earlier cohort")
        enrol(db, earlier, MIDDLE, "mentee", "Platform", manager=SENIOR)
    proposal = proposals.compute_proposal(db, pilot, LEAD)
    if recorded_in == "nowhere":  # the control: without that link, nothing stops the pair
        assert pairs_of(proposal) == {(JUNIOR, SENIOR)}
        return
    assert pairs_of(proposal) == set()
    reasons = {row.user_id: row.reason for row in proposal.waiting}
    assert set(reasons) == {JUNIOR, SENIOR}
    assert "reporting line" in reasons[JUNIOR] and "reporting line" in reasons[SENIOR]


def test_a_direct_manager_recorded_only_in_another_programme_is_honoured(db: Database) -> None:
    pilot, earlier = programme(db, "Pilot"), programme(db, "Earlier cohort")
    enrol(db, pilot, JUNIOR, "mentor", "Engineering")  # no manager given this time
    enrol(db, pilot, SENIOR, "mentee", "Operations")
    enrol(db, pilot, "U0OTHER", "mentee", "Finance")
    enrol(db, earlier, JUNIOR, "mentor", "Engineering", manager=SENIOR)
    proposal = proposals.compute_proposal(db, pilot, LEAD)
    assert pairs_of(proposal) == {(JUNIOR, "U0OTHER")}


def test_a_swap_across_a_reporting_line_from_another_programme_is_refused(db: Database) -> None:
    pilot, earlier = programme(db, "Pilot"), programme(db, "Earlier cohort")
    enrol(db, pilot, JUNIOR, "mentor", "Engineering", manager=MIDDLE)
    enrol(db, pilot, "U0MENTOR2", "mentor", "Design")
    enrol(db, pilot, SENIOR, "mentee", "Operations")
    enrol(db, pilot, "U0OTHER", "mentee", "Finance")
    enrol(db, earlier, MIDDLE, "mentee", "Platform", manager=SENIOR)
    proposal = proposals.compute_proposal(db, pilot, LEAD)
    assert pairs_of(proposal) == {(JUNIOR, "U0OTHER"), ("U0MENTOR2", SENIOR)}
    first, second = (row.id for row in proposal.pairs)
    with pytest.raises(FieldErrors) as refused:
        proposals.swap_partners(db, pilot, first, second, LEAD)
    assert "Senior is Junior's skip-level manager" in refused.value.errors["second"]
    assert pairs_of(proposals.current_proposal(db, pilot, LEAD)) == pairs_of(proposal)
