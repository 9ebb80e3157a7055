"""Issue 4 as a pair lives it: introduced once on a working morning, briefed, breaking the ice.

Amara (mentor, the junior colleague) and Diana (mentee, the senior leader) are matched by Lena,
the independent programme lead. Everything happens through the real app and the local Slack.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from bot.content import load_content
from bot.db import Database
from bot.emulator import validate_blocks
from bot.errors import error_text
from bot.journey import service as journey
from bot.local_slack import LocalSlack
from bot.models import OutboxMessage, Pair, PairIcebreaker
from bot.outbox.dispatcher import Dispatcher
from tests.factory import MONDAY, OFF_LIMITS, Cast, make_cast, match_pair, replay_button, replay_submission, texts_seen

FRIDAY_AFTERNOON = datetime(2027, 3, 5, 15, 0, tzinfo=UTC)
NEXT_MONDAY = datetime(2027, 3, 8, tzinfo=UTC)








@pytest.fixture
def cast(slack: LocalSlack) -> Cast:
    return make_cast(slack)


def introductions(cast: Cast) -> list[str]:
    return [text for text in cast.in_pair_dm() if "Meet your reverse mentoring partner" in text]


def outbox_rows(db: Database, kind: str) -> list[OutboxMessage]:
    with db.session() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)))


# ---------------------------------------------------------------------------------------------
# Introductions


def test_an_approved_pair_is_introduced_once_on_the_mentees_next_working_morning(
    slack: LocalSlack, db: Database, cast: Cast
) -> None:
    with freeze_time(FRIDAY_AFTERNOON) as clock:  # Friday 15:00 in London: the afternoon
        match_pair(cast)
        slack.deliver()
        # The private matched notice (with its decline button) comes at once...
        assert "You've been matched" in texts_seen(cast.mentor)
        matched = [s for s in cast.mentor.dms() if "You've been matched" in s.text]  # the baseline survey comes too
        assert matched and matched[-1].has_button("Decline or ask for a rematch")
        # ...the introduction waits for a humane hour: not Friday afternoon, not the weekend.
        assert slack.emulator.group_dm(cast.mentor.user_id, cast.mentee.user_id) is None
        clock.move_to(NEXT_MONDAY.replace(hour=9, minute=29))
        slack.deliver()
        assert slack.emulator.group_dm(cast.mentor.user_id, cast.mentee.user_id) is None
        clock.move_to(NEXT_MONDAY.replace(hour=9, minute=30))
        assert slack.deliver() >= 1

    [introduction] = introductions(cast)
    for expected in (
        "Amara Okafor",
        "she/her",
        "Data Analyst at Acme",
        "Diana Reyes",
        "Chief Financial Officer at Globex",
        "*The mentor:* *Amara Okafor*",
        "*The mentee:* *Diana Reyes*",
        "Five years on the front line",  # what each hopes to bring and get, from their profiles
        "every three to four weeks, about an hour each",  # the programme's shape, from its settings
        "Your first meeting",
        "Avoid the mentee's office",
    ):
        assert expected in introduction, expected
    assert OFF_LIMITS not in introduction, "off-limits topics never go into a shared conversation"
    message = slack.emulator.messages_in(cast.group_dm())[0]
    labels = ["Schedule our first session", "Show an icebreaker", "Agree our ways of working"]
    assert all(any(s.has_button(label) for s in cast.mentee.seen()) for label in labels)
    assert message.text.startswith("Meet your reverse mentoring partner")  # the notification text
    assert validate_blocks(message.blocks) == []
    schedule = next(
        e for b in message.blocks or [] if b["type"] == "actions" for e in b["elements"] if "Schedule" in str(e)
    )
    assert schedule["action_id"] == "schedule_session" and schedule["value"] == str(cast.pair_id(db))
    # The group DM is remembered for everything that follows.
    with db.session() as session:
        assert session.scalars(select(Pair.group_dm_channel_id)).one() == cast.group_dm()
    # The lead was not in it, and saw none of it.
    assert "Meet your reverse mentoring partner" not in texts_seen(cast.lead)


def test_one_introduction_per_pair_whatever_is_retried(slack: LocalSlack, db: Database, cast: Cast) -> None:
    with freeze_time(MONDAY.replace(hour=10)):  # a working morning in London: introduced at once
        proposal = match_pair(cast)
        pair_id = cast.pair_id(db)
        # The lead's approval arrives again (Slack retries a slow submission; a double click).
        replay_submission(cast.lead, proposal)
        replay_submission(cast.lead, proposal)
        # Something schedules the same pair again.
        with db.session() as session:
            pair = session.get(Pair, pair_id)
            assert pair is not None
            people = journey.load_pair(session, pair_id)
            assert people is not None
            journey.schedule_introduction(session, pair, people.mentor, people.mentee)
        # Two dispatchers (two worker processes) run at once, then again.
        runtime = slack.runtime
        assert runtime is not None
        workers = [Dispatcher(runtime, worker_id=f"w{n}", per_conversation_interval=0) for n in range(2)]
        threads = [threading.Thread(target=w.run_until_idle) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        slack.deliver()
        slack.deliver()
        for worker in workers:
            worker.close()

    assert len(introductions(cast)) == 1
    assert [row.status for row in outbox_rows(db, journey.INTRODUCTION)] == ["sent"]
    assert len(outbox_rows(db, journey.ROLE_BRIEFING)) == 2
    for person in (cast.mentor, cast.mentee):
        briefings = [s for s in person.dms() if "your briefing for" in s.text]
        assert len(briefings) == 1, person.name


@pytest.mark.parametrize(
    ("frozen", "tz", "expected_local"),
    [
        # Before the working day: later that morning.
        ("2027-03-02 07:00", "Europe/London", "2027-03-02 09:30"),
        # In the working morning: at once.
        ("2027-03-02 11:59", "Europe/London", "2027-03-02 11:59"),
        # Noon and after: the next working day.
        ("2027-03-02 12:00", "Europe/London", "2027-03-03 09:30"),
        # Friday evening in New York (Saturday in UTC): Monday morning in New York.
        ("2027-03-06 01:00", "America/New_York", "2027-03-08 09:30"),
        # Monday 03:30 UTC is Monday 09:00 in Kolkata: already a working morning there.
        ("2027-03-01 03:30", "Asia/Kolkata", "2027-03-01 09:00"),
        # Sunday 23:00 UTC is Monday 10:00 in Sydney: at once.
        ("2027-02-28 23:00", "Australia/Sydney", "2027-03-01 10:00"),
        # Across the clocks going forward in London (Sunday 28 March 2027): 09:30 BST on the Monday.
        ("2027-03-27 12:00", "Europe/London", "2027-03-29 09:30"),
        # A time zone Slack might send that we don't know: treated as UTC.
        ("2027-03-06 10:00", "Mars/Olympus_Mons", "2027-03-08 09:30"),
    ],
)
def test_the_next_working_morning_in_the_mentees_time_zone(frozen: str, tz: str, expected_local: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    with freeze_time(frozen):
        when = journey.next_working_morning(datetime.now(UTC), tz)
    try:
        zone = ZoneInfo(tz)
    except ZoneInfoNotFoundError:
        zone = ZoneInfo("UTC")
    assert when.tzinfo is not None
    assert when.astimezone(zone).strftime("%Y-%m-%d %H:%M") == expected_local


def test_the_introduction_follows_the_mentee_across_time_zones(slack: LocalSlack, db: Database) -> None:
    cast = make_cast(slack, mentee_tz="America/New_York", mentor_tz="Asia/Kolkata")
    with freeze_time("2027-03-01 13:00:00") as clock:  # Monday: 08:00 in New York, 18:30 in Kolkata
        match_pair(cast)
        slack.deliver()
        [intro] = outbox_rows(db, journey.INTRODUCTION)
        assert intro.send_at.replace(tzinfo=UTC) == datetime(2027, 3, 1, 14, 30, tzinfo=UTC)  # 09:30 in New York
        briefings = {row.recipient_user_id: row.send_at.replace(tzinfo=UTC) for row in outbox_rows(db, "role_briefing")}
        # Each private briefing arrives on its reader's own next working morning.
        assert briefings[cast.mentee.user_id] == datetime(2027, 3, 1, 14, 30, tzinfo=UTC)
        assert briefings[cast.mentor.user_id] == datetime(2027, 3, 2, 4, 0, tzinfo=UTC)  # Tuesday 09:30 in Kolkata
        clock.move_to("2027-03-01 14:30:00")
        slack.deliver()
        assert len(introductions(cast)) == 1
        assert not any("your briefing for" in s.text for s in cast.mentor.dms())
        clock.move_to("2027-03-02 04:00:00")
        slack.deliver()
        assert any("your briefing for" in s.text for s in cast.mentor.dms())


def test_a_pair_declined_before_its_introduction_is_not_introduced(slack: LocalSlack, db: Database, cast: Cast) -> None:
    with freeze_time(FRIDAY_AFTERNOON) as clock:
        match_pair(cast)
        # The mentor said yes, then stepped back before the introduction: the mentee never hears of it.
        notice = next(s for s in cast.mentor.dms() if "You've been matched" in s.text)
        cast.mentor.click("Decline or ask for a rematch", in_message=notice)
        clock.move_to(NEXT_MONDAY.replace(hour=9, minute=30))
        slack.deliver()
    assert slack.emulator.group_dm(cast.mentor.user_id, cast.mentee.user_id) is None
    assert {row.status for row in outbox_rows(db, journey.INTRODUCTION)} == {"skipped"}
    assert not any("your briefing for" in s.text for s in cast.mentor.dms())
    mentee_saw = texts_seen(cast.mentee)
    assert "Amara" not in mentee_saw and "matched" not in mentee_saw and "come to an end" not in mentee_saw


# ---------------------------------------------------------------------------------------------
# Role briefings and guides


def test_each_person_gets_the_briefing_for_their_own_role(slack: LocalSlack, db: Database, cast: Cast) -> None:
    with freeze_time(MONDAY.replace(hour=10)):
        match_pair(cast)
        slack.deliver()
    [mentor_briefing] = [s for s in cast.mentor.dms() if "your briefing for" in s.text]
    [mentee_briefing] = [s for s in cast.mentee.dms() if "your briefing for" in s.text]
    assert mentor_briefing.kind == mentee_briefing.kind == "im"
    for phrase in (
        "Your guide as a mentor",
        "Your experience is the expertise",
        "I'll come back to you on that",
        "You decide what you share",
        "/mentoring concern",
        "What you get from this",
    ):
        assert phrase in mentor_briefing.text, phrase
    for phrase in (
        "Your guide as a mentee",
        "Listen more than you speak",
        "Beware of role reversion",
        "not free training",
        "Keep it confidential",
        "Give credit where it's due",
    ):
        assert phrase in mentee_briefing.text, phrase
    assert "Your guide as a mentee" not in mentor_briefing.text
    assert "Your guide as a mentor" not in mentee_briefing.text
    # The partner's private notes reach the partner alone, in their own DM.
    assert OFF_LIMITS.replace("'", "&#39;") in mentee_briefing.text or OFF_LIMITS in mentee_briefing.text
    assert "How our policies land for new starters." in mentor_briefing.text  # the mentee's gap to close
    assert OFF_LIMITS not in texts_seen(cast.lead)


def test_read_the_guide_for_my_role_is_shown_only_to_whoever_clicked(
    slack: LocalSlack, db: Database, cast: Cast
) -> None:
    with freeze_time(MONDAY.replace(hour=10)):
        match_pair(cast)
        slack.deliver()
        cast.mentee.click("Read the guide for my role")
    [guide] = [s for s in cast.mentee.seen() if s.kind == "ephemeral" and "Your guide as a mentee" in s.text]
    assert guide.channel == cast.group_dm()
    assert not any(s.kind == "ephemeral" and "Your guide as" in s.text for s in cast.mentor.seen())


# ---------------------------------------------------------------------------------------------
# Icebreakers


def icebreakers_posted(cast: Cast) -> list[str]:
    return [
        m.text.removeprefix("Icebreaker: ")
        for m in cast.slack.emulator.messages_in(cast.group_dm())
        if m.text.startswith("Icebreaker: ")
    ]


def test_icebreakers_never_repeat_for_a_pair_across_forty_requests(slack: LocalSlack, db: Database, cast: Cast) -> None:
    with freeze_time(MONDAY.replace(hour=10)):
        match_pair(cast)
        slack.deliver()
        cast.mentor.click("Show an icebreaker")
        for turn in range(39):
            # They take turns asking for another, from the latest message in their conversation; once the
            # light and personal ones (all a first meeting draws) run out, they ask for deeper ones.
            latest = [s for s in cast.mentor.seen() if s.channel == cast.group_dm()][-1]
            gentle_left = latest.has_button("A light one") or latest.has_button("A personal one")
            slack.pass_time(1)  # people ask a second apart at most (Slack's limits are on)
            (cast.mentee if turn % 2 else cast.mentor).click("Another one" if gentle_left else "A deeper one")
        answer = cast.mentee.command("/mentoring", "icebreaker")
    assert "I've posted it in your pair conversation" in answer.text
    # They have not met yet, so the command's gentle draw finds none left and says so.
    assert "every light and personal icebreaker" in slack.emulator.messages_in(cast.group_dm())[-1].text
    asked = icebreakers_posted(cast)
    assert len(asked) == 40
    assert len(set(asked)) == 40, "a pair never gets the same question twice"
    kinds = {q.kind for q in load_content().icebreakers.questions if q.text in asked}
    assert len(kinds) == 5, "a spread of kinds, not forty from one"
    with db.session() as session:
        assert len(session.scalars(select(PairIcebreaker)).all()) == 40
    for message in slack.emulator.messages_in(cast.group_dm()):
        assert message.text and validate_blocks(message.blocks) == []


def test_a_programme_can_extend_the_bank_and_running_out_is_said_kindly(
    slack: LocalSlack, db: Database, cast: Cast, tmp_path: Path
) -> None:
    (tmp_path / "icebreakers.extend.yml").write_text(
        "questions:\n  - id: ours-01\n    kind: values\n    text: What would our company look like if you ran it?\n",
        encoding="utf-8",
    )
    ours = load_content(extra_folders=[tmp_path])
    with freeze_time(MONDAY.replace(hour=10)):
        match_pair(cast)
        pair_id = cast.pair_id(db)
        total = len(ours.icebreakers.questions)
        # Untagged, a programme's own question counts as deeper: drawn when asked for, not by default.
        picks = [journey.next_icebreaker(db, ours, pair_id, cast.mentor.user_id, "deeper") for _ in range(26)]
        picks += [journey.next_icebreaker(db, ours, pair_id, cast.mentor.user_id) for _ in range(total - 26 + 1)]
    shown = [p.icebreaker.id for p in picks if p.icebreaker]
    assert len(shown) == len(set(shown)) == total == 53
    assert "ours-01" in shown
    assert picks[-1].icebreaker is None
    from bot.journey.blocks import icebreaker_message

    _, blocks = icebreaker_message(ours, picks[-1])
    assert "You've explored all 53 icebreakers" in json.dumps(blocks)
    assert validate_blocks(blocks) == []


def test_the_icebreaker_command_needs_a_partner(slack: LocalSlack, db: Database, cast: Cast) -> None:
    answer = cast.outsider.command("/mentoring", "icebreaker")
    assert "You don't have a partner yet" in answer.text


# ---------------------------------------------------------------------------------------------
# Buttons replayed by someone outside the pair




def test_someone_outside_the_pair_is_refused_and_nothing_changes(slack: LocalSlack, db: Database, cast: Cast) -> None:
    with freeze_time(MONDAY.replace(hour=10)):
        match_pair(cast)
        slack.deliver()
        pair_id = cast.pair_id(db)
        before = len(slack.emulator.messages_in(cast.group_dm()))
        for action_id, value in [
            ("show_icebreaker", str(pair_id)),
            ("another_icebreaker", str(pair_id)),
            ("read_my_guide", str(pair_id)),
            ("start_contracting", str(pair_id)),
            ("open_contract", str(pair_id)),
            ("agree_contract", f"{pair_id}:1"),
            ("edit_contract", str(pair_id)),
            ("open_agenda", f"{pair_id}:"),
            ("show_icebreaker", "not-a-number"),
            ("show_icebreaker", "99999"),
        ]:
            replay_button(cast.outsider, action_id, value)
    refusals = [s.text for s in cast.outsider.seen() if s.kind == "ephemeral"]
    assert len(refusals) == 10
    assert sum(error_text("journey.not_a_member") in text for text in refusals) >= 8
    assert any(error_text("journey.pair_not_found") in text for text in refusals)

    assert cast.outsider.modal is None
    assert len(slack.emulator.messages_in(cast.group_dm())) == before
    with db.session() as session:
        assert session.scalars(select(PairIcebreaker)).all() == []
    assert "Your guide as" not in texts_seen(cast.outsider)
