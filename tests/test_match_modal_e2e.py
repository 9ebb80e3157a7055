"""`/mentoring match` opens a small "working on it" modal at once, then fills it with the proposal.

Slack's trigger id is good for 3 seconds of real time after the click, and a big programme takes
longer than that to match. The emulator expires trigger ids on its monotonic clock; these tests move
that clock on while the proposal is being worked out (as a slow solve would), so the order is
proved without waiting and without a wall-clock threshold.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from bot.content import load_content
from bot.db import Database
from bot.emulator import SlackEmulator, view_text
from bot.emulator.clock import Clock
from bot.local_slack import LocalSlack, Person
from bot.matching import proposals
from bot.matching.blocks import PROPOSAL_VIEW, WORKING_VIEW
from bot.models import Enrolment, ProposedPair
from bot.programmes import service as programmes

CONTENT = load_content()


class MovableClock(Clock):
    """Real time, plus however far a test has moved Slack's monotonic clock on."""

    def __init__(self) -> None:
        self.offset = 0.0
        self._lock = threading.Lock()

    def real_monotonic(self) -> float:
        with self._lock:
            return super().real_monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.offset += seconds


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def world(db: Database, clock: MovableClock) -> Iterator[LocalSlack]:
    emulator = SlackEmulator(clock=clock, rate_limits=False).start()
    local = LocalSlack(db, emulator=emulator).start(admins=[])
    try:
        yield local
    finally:
        local.stop()
        emulator.stop()


def programme_of(db: Database, lead: Person, mentors: int, mentees: int, *, name: str = "Pilot") -> int:
    """A cross-organisation programme led by ``lead`` with everyone waiting (inserted in bulk)."""
    programme = programmes.create_programme(
        db,
        programmes.ProgrammeInput(name=name, cross_organisation=True, lead_ids=[lead.user_id]),
        created_by="UADMIN",
        by_admin=True,
    )
    confirmed = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
    rows: list[dict[str, Any]] = []
    for role, prefix, count in (("mentor", "UMTR", mentors), ("mentee", "UMTE", mentees)):
        for n in range(count):
            rows.append({
                "programme_id": programme.id, "user_id": f"{prefix}{n:06d}", "role": role,
                "status": "waiting", "real_name": f"{role.title()} {n}", "organisation": f"Org {n % 7}",
                "department": f"Dept {n % 5}", "topics": [], "privacy_confirmed_at": confirmed,
                "created_at": confirmed, "updated_at": confirmed,
            })
    with db.session() as session:
        session.execute(insert(Enrolment), rows)
    return programme.id


def while_matching(monkeypatch: pytest.MonkeyPatch, during: Callable[[], None]) -> None:
    """Run ``during`` inside the proposal's computation, before it starts."""
    real = proposals.compute_proposal

    def slow(*args: Any, **kwargs: Any) -> proposals.Proposal:
        during()
        return real(*args, **kwargs)

    monkeypatch.setattr(proposals, "compute_proposal", slow)


def proposed_count(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(ProposedPair)) or 0)


def test_the_modal_opens_before_the_proposal_is_worked_out(
    world: LocalSlack, db: Database, clock: MovableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    lead = world.person("lena", real_name="Lena Lead")
    programme_of(db, lead, 3, 3, name="Pilot <!channel>")
    seen_while_working: list[dict[str, Any] | None] = []

    def slow_solve() -> None:
        seen_while_working.append(lead.modal)
        clock.advance(30)  # the solve takes 30 s of Slack's time: the command's trigger id is long dead

    while_matching(monkeypatch, slow_solve)
    answer = lead.command("/mentoring", "match")
    assert answer.ok and answer.body == ""  # acknowledged at once, with nothing to show in the channel

    (working,) = seen_while_working
    assert working is not None and working["callback_id"] == WORKING_VIEW
    assert "Working out the best matches for *Pilot &lt;!channel&gt;*" in view_text(working)
    assert lead.modal is not None and lead.modal["callback_id"] == PROPOSAL_VIEW
    assert lead.modal["id"] == working["id"]  # the same modal, updated in place
    assert "3 pairs proposed, 0 people waiting" in view_text(lead.modal)
    assert [c.method for c in world.emulator.calls if c.method.startswith("views.")] == ["views.open", "views.update"]
    assert all(c.ok for c in world.emulator.calls), [c.error for c in world.emulator.calls if not c.ok]
    assert proposed_count(db) == 3
    # The lead can approve from the updated modal as before.
    assert lead.submit().ok and lead.modal is None


def test_a_failed_computation_says_so_in_the_modal(
    world: LocalSlack, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    lead = world.person("lena", real_name="Lena Lead")
    programme_of(db, lead, 2, 2)

    def broken() -> None:
        raise RuntimeError("the solver fell over")

    while_matching(monkeypatch, broken)
    assert lead.command("/mentoring", "match").ok
    assert lead.modal is not None and lead.modal["callback_id"] == WORKING_VIEW
    shown = view_text(lead.modal)
    assert CONTENT.message("match_failed") in shown, shown
    assert lead.modal.get("submit") is None  # nothing to approve
    assert proposed_count(db) == 0


def test_closing_the_modal_while_it_works_is_fine(
    world: LocalSlack, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    lead = world.person("lena", real_name="Lena Lead")
    programme_of(db, lead, 2, 2)
    while_matching(monkeypatch, lambda: lead.close_modal() and None)
    assert lead.command("/mentoring", "match").ok
    assert lead.modal is None  # closed, and the late update does not reopen it
    (update,) = world.emulator.calls_to("views.update")
    assert update.error == "not_found"  # Slack's answer for a closed view; the app just stops there
    assert lead.dms() == []  # and does not pester the lead about it
    assert proposed_count(db) == 2  # the proposal is kept: "/mentoring match" again shows it


def test_a_trigger_that_expired_before_the_modal_opened_is_told_by_dm(
    world: LocalSlack, db: Database, clock: MovableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even the small modal can miss the trigger (a stalled process): the lead hears, privately."""
    lead = world.person("lena", real_name="Lena Lead")
    programme_of(db, lead, 2, 2)
    real_open = world.runtime.gateway.open_view if world.runtime else None
    assert real_open is not None

    def late_open(trigger_id: str, view: dict[str, Any]) -> str:
        clock.advance(4)
        return real_open(trigger_id, view)

    monkeypatch.setattr(world.runtime.gateway, "open_view", late_open)  # type: ignore[union-attr]
    assert lead.command("/mentoring", "match").ok
    assert world.emulator.calls_to("views.open")[0].error == "expired_trigger_id"
    assert lead.modal is None
    assert [s.text for s in lead.dms()] == [CONTENT.message("match_not_opened", programme="Pilot")]
    assert proposed_count(db) == 0  # nothing was worked out for a modal nobody can see


@pytest.mark.parametrize("size", [1500])
def test_a_big_programme_gets_its_proposal_in_the_modal(world: LocalSlack, db: Database, size: int) -> None:
    lead = world.person("lena", real_name="Lena Lead")
    programme_of(db, lead, size, size + 10, name="Everyone")
    assert lead.command("/mentoring", "match").ok
    views = [(c.method, c.ok) for c in world.emulator.calls if c.method.startswith("views.")]
    assert views == [("views.open", True), ("views.update", True)]
    assert lead.modal is not None and lead.modal["callback_id"] == PROPOSAL_VIEW
    assert f"{size} pairs proposed, 10 people waiting" in view_text(lead.modal)
    assert f"And {size - 40} more pairs, which are approved with these." in view_text(lead.modal)
    assert proposed_count(db) == size


def test_running_matching_again_says_it_is_working_then_shows_the_new_proposal(
    world: LocalSlack, db: Database, clock: MovableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    lead = world.person("lena", real_name="Lena Lead")
    programme_of(db, lead, 3, 3)
    assert lead.command("/mentoring", "match").ok
    first = lead.modal
    assert first is not None and first["callback_id"] == PROPOSAL_VIEW
    seen_while_working: list[dict[str, Any] | None] = []

    def slow_solve() -> None:
        seen_while_working.append(lead.modal)
        clock.advance(30)

    while_matching(monkeypatch, slow_solve)
    assert lead.click("Run matching again").ok
    (working,) = seen_while_working
    assert working is not None and working["callback_id"] == WORKING_VIEW and working["id"] == first["id"]
    assert lead.modal is not None and lead.modal["callback_id"] == PROPOSAL_VIEW
    assert "3 pairs proposed" in view_text(lead.modal)
    assert all(c.ok for c in world.emulator.calls), [c.error for c in world.emulator.calls if not c.ok]
