"""App Home: the lead's dashboard (fixed queries, within Slack's block limit) and a participant's own view."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, select

from bot.content import load_content
from bot.db import Database
from bot.emulator import view_text
from bot.emulator.blockkit import validate_view
from bot.errors import error_text
from bot.home import service as dashboard
from bot.home.blocks import MAX_BLOCKS, home_view, pair_page_size
from bot.local_slack import LocalSlack, Person
from bot.models import (
    Enrolment,
    Pair,
)
from tests.factory import accept_offers, create_programme, enrol, seed_programme, texts_seen, work_around_the_clock

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)

CONTENT = load_content()




@contextmanager
def counting_queries(db: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def dashboard_queries(db: Database, programme_id: int) -> tuple[int, dashboard.LeadDashboard]:
    with counting_queries(db) as statements, db.session() as session:
        board = dashboard.lead_dashboard(session, programme_id, page_size=15, at=START + timedelta(days=60))
    return len(statements), board


def test_the_lead_dashboard_takes_the_same_number_of_queries_for_10_or_1000_pairs(db: Database) -> None:
    small = seed_programme(db, 10, name="Small", lead="ULEADSMALL")
    large = seed_programme(db, 1000, name="Large", lead="ULEADLARGE")
    small_count, small_board = dashboard_queries(db, small)
    large_count, large_board = dashboard_queries(db, large)
    assert small_count == large_count <= 12, (small_count, large_count)
    assert small_board.pairs_total == 10 and large_board.pairs_total == 1000
    assert large_board.sessions_held == 2000 and large_board.sessions_planned == 6000
    assert large_board.at_risk == len(range(0, 1000, 7))
    assert large_board.contract_agreed == 500
    assert large_board.waiting == {"mentee": 2, "mentor": 1}
    assert large_board.open_concerns == 2
    # At risk first: the whole first page is at-risk pairs, longest at risk first.
    assert all(row.at_risk for row in large_board.rows)
    since = [row.at_risk_since for row in large_board.rows]
    assert since == sorted(since)  # type: ignore[type-var]
    # The view fits Slack's limit and passes Slack's own checks.
    view = home_view(CONTENT, boards=[large_board])
    assert len(view["blocks"]) <= MAX_BLOCKS
    assert validate_view(view) == []
    assert "SECRET CONCERN TEXT" not in str(view)


def test_many_programmes_still_fit_in_one_home_view(db: Database) -> None:
    ids = [seed_programme(db, 40, name=f"P{n}", lead="ULEADMANY", concerns=0) for n in range(5)]
    size = pair_page_size(0, len(ids))
    boards = dashboard.lead_dashboards(db, "ULEADMANY", page_size=size)
    view = home_view(CONTENT, boards=boards)
    assert len(view["blocks"]) <= MAX_BLOCKS
    assert validate_view(view) == []


def test_lead_pages_through_pairs_at_risk_first(slack: LocalSlack, db: Database) -> None:
    lead = slack.person("lena", real_name="Lena Lead")
    programme_id = seed_programme(db, 60, name="Paging", lead=lead.user_id)
    lead.open_home()
    home = lead.home
    assert home is not None
    shown = view_text(home)
    assert "Paging: programme lead" in shown
    assert "Pairs, at risk first: 1-15 of 60" in shown
    assert "At risk" in shown and "no session booked in time" in shown
    assert "SECRET CONCERN TEXT" not in shown
    assert "Urgent (today): 1" in shown
    lead.click("Next page")
    assert "16-30 of 60" in view_text(lead.home or {})
    lead.click("Previous page")
    assert "1-15 of 60" in view_text(lead.home or {})
    assert programme_id


# ---------------------------------------------------------------------------------- participants


def matched_world(slack: LocalSlack) -> dict[str, Person]:
    cast = {
        "admin": slack.person("olu", real_name="Olu Admin", is_admin=True),
        "lead": slack.person("lena", real_name="Lena Lead"),
        "amara": slack.person("amara", real_name="Amara Okafor", title="Analyst"),
        "diana": slack.person("diana", real_name="Diana Reyes", title="CFO"),
    }
    create_programme(cast["admin"], [cast["lead"]], name="Inclusive Leadership")
    enrol(cast["amara"], "mentor", "Acme", "Finance")
    enrol(cast["diana"], "mentee", "Globex", "Strategy")
    work_around_the_clock(slack.db)
    cast["lead"].command("/mentoring", "match")
    assert cast["lead"].submit().ok
    assert accept_offers(slack, cast["amara"]) == 1
    return cast


def test_a_participant_sees_their_partner_guide_and_support(slack: LocalSlack, db: Database) -> None:
    cast = matched_world(slack)
    amara = cast["amara"]
    amara.open_home()
    shown = view_text(amara.home or {})
    assert "Inclusive Leadership" in shown
    assert "You are the *mentor*" in shown
    assert "Your mentee: *Diana Reyes*" in shown
    assert "Sessions held: 0 of 6" in shown
    assert "Support, if you need it" in shown
    assert "Raise a concern" in str(amara.home)
    amara.click("Read the guide for my role")
    assert amara.modal is not None and "mentor" in view_text(amara.modal).lower()


def test_leaving_from_app_home_is_private_and_tells_partner_and_lead(slack: LocalSlack, db: Database) -> None:
    cast = matched_world(slack)
    diana, amara, lead = cast["diana"], cast["amara"], cast["lead"]
    diana.open_home()
    diana.click("Leave the programme")
    slack.deliver()
    assert "You have left *Inclusive Leadership*" in texts_seen(diana)
    partner_text = texts_seen(amara)
    assert "Your pairing in *Inclusive Leadership* has come to an end" in partner_text
    assert "Diana" not in partner_text.split("has come to an end")[-1]
    assert "Diana Reyes" in texts_seen(lead) and "has left *Inclusive Leadership*" in texts_seen(lead)
    with db.session() as session:
        statuses = {e.user_id: e.status for e in session.scalars(select(Enrolment))}
        assert statuses[diana.user_id] == "left" and statuses[amara.user_id] == "waiting"
        assert session.scalar(select(Pair.status)) == "ended"
    assert "Leave the programme" not in str(diana.home)  # her home no longer shows the programme
    # The lead's home shows the pair as ended and Amara waiting again.
    lead.open_home()
    shown = view_text(lead.home or {})
    assert "1 mentor, 0 mentees" in shown


def test_leave_command_needs_no_reason_and_is_idempotent(slack: LocalSlack, db: Database) -> None:
    cast = matched_world(slack)
    amara = cast["amara"]
    answer = amara.command("/mentoring", "leave")
    assert "You have left *Inclusive Leadership*" in answer.text
    again = amara.command("/mentoring", "leave")
    assert error_text("data_rights.nothing_to_leave") in again.text

