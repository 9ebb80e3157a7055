"""Issue 14, pausing without a reason: from the command or App Home, prompts stop, the partner is told
only that it's a short break, the lead sees it, a gentle prompt before the end, and it resumes itself.
"""

from __future__ import annotations

from datetime import timedelta

from freezegun import freeze_time
from sqlalchemy import select

from bot.db import Database
from bot.emulator import view_text
from bot.journey import service as journey
from bot.local_slack import LocalSlack
from bot.models import OutboxMessage, Pair, ParticipationPause
from bot.programmes import pauses
from tests.factory import MONDAY, make_cast, match_pair, texts_seen

MORNING = MONDAY.replace(hour=10)  # Monday 1 March 2027, 10:00 in London
BREAK = "is taking a short break from the programme"


def pair_status(db: Database) -> str:
    with db.session() as session:
        return session.scalars(select(Pair.status)).one()


def test_a_four_week_pause_from_the_command_stops_prompts_and_resumes_by_itself(
    slack: LocalSlack, db: Database
) -> None:
    cast = make_cast(slack)
    with freeze_time(MORNING) as clock:
        match_pair(cast)
        slack.deliver()
        pair_id = cast.pair_id(db)
        answer = cast.mentee.command("/mentoring", "pause 4")
        assert "You're taking a break" in answer.text and "No reason needed" in answer.text
        assert pair_status(db) == "paused"
        # A prompt for the pair that comes due meanwhile is skipped, not sent.
        with db.session() as session:
            journey.enqueue_contract_prompt(session, pair_id, MORNING + timedelta(days=3))
        slack.deliver()
        partner_saw = texts_seen(cast.mentor)
        assert BREAK in partner_saw
        assert "4 weeks" not in partner_saw and "reason" not in partner_saw.split(BREAK)[-1].split("\n")[0]
        assert "Diana Reyes is taking a break" in texts_seen(cast.lead)
        cast.lead.open_home()
        assert "Diana Reyes (mentee) is taking a break until 29 Mar" in view_text(cast.lead.home or {})
        clock.move_to(MORNING + timedelta(days=3, hours=1))
        slack.deliver()
        with db.session() as session:
            [prompt] = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == journey.CONTRACT_PROMPT))
            assert prompt.status == "skipped"
        # Two working days before the end (Thursday 25 March), a gentle, private question.
        clock.move_to(MORNING + timedelta(days=24, hours=-1))
        slack.deliver()
        assert "Resume now" not in texts_seen(cast.mentee)
        clock.move_to(MORNING + timedelta(days=24, hours=1))
        slack.deliver()
        [prompt_message] = [s for s in cast.mentee.dms() if s.has_button("Keep pausing")]
        assert prompt_message.has_button("Resume now")
        assert "Keep pausing" not in texts_seen(cast.mentor)
        # No answer: at the end of the four weeks it resumes by itself and both are told.
        clock.move_to(MORNING + timedelta(weeks=4, minutes=1))
        slack.deliver()
    assert pair_status(db) == "active"
    assert "Your break has come to its end" in texts_seen(cast.mentee)
    assert "is back on after a short break" in texts_seen(cast.mentor)
    with db.session() as session:
        assert session.scalars(select(ParticipationPause.ended_at)).one() is not None


def test_pause_and_resume_from_app_home_and_keep_pausing(slack: LocalSlack, db: Database) -> None:
    cast = make_cast(slack)
    with freeze_time(MORNING) as clock:
        match_pair(cast)
        slack.deliver()
        cast.mentor.open_home()
        cast.mentor.click("Pause 2 weeks")
        assert pair_status(db) == "paused"
        assert "You're taking a break" in texts_seen(cast.mentor)
        assert "Resume now" in view_text(cast.mentor.home or {})
        slack.deliver()
        assert BREAK in texts_seen(cast.mentee)
        assert "Amara Okafor is taking a break" in texts_seen(cast.lead)
        # The gentle prompt; "Keep pausing" makes it open-ended: no automatic end.
        clock.move_to(MORNING + timedelta(days=10, hours=1))  # Thursday 11 March: two working days before
        slack.deliver()
        cast.mentor.click("Keep pausing")
        clock.move_to(MORNING + timedelta(days=30))
        slack.deliver()
        assert pair_status(db) == "paused"
        # Resume from App Home: the partner is told, the lead too.
        cast.mentor.open_home()
        cast.mentor.click("Resume now", in_view=(cast.mentor.home or {}).get("id"))
        slack.deliver()
    assert pair_status(db) == "active"
    assert "is back on after a short break" in texts_seen(cast.mentee)
    assert "Amara Okafor is back from a break" in texts_seen(cast.lead)
    assert cast.mentor.command("/mentoring", "resume").text.startswith("You're not on a break")


def test_a_lead_pauses_and_resumes_a_pair_from_app_home(slack: LocalSlack, db: Database) -> None:
    cast = make_cast(slack)
    with freeze_time(MORNING.replace(hour=16)) as clock:  # Monday 16:00: notices wait for the morning
        match_pair(cast)
        slack.deliver()
        cast.lead.open_home()
        cast.lead.click("Pause pair")
        assert pair_status(db) == "paused"
        slack.deliver()
        assert BREAK not in texts_seen(cast.mentee), "not at once: on each person's next working morning"
        clock.move_to(MORNING + timedelta(days=1))
        slack.deliver()
        for person in (cast.mentor, cast.mentee):
            assert BREAK in texts_seen(person) and "lead" not in texts_seen(person).split(BREAK)[-1][:120]
        cast.lead.open_home()
        cast.lead.click("Resume pair")
        assert pair_status(db) == "active"
    with db.session() as session:
        assert {p.by_lead for p in session.scalars(select(ParticipationPause))} == {True}
    assert pauses.WEEKS == (2, 4, 8)
