"""Issue 15, item 2: a gentle start. Icebreakers carry a depth; the first meeting is light.

Amara (mentor) and Diana (mentee) are matched through the real app. Until they have held a
session, "Show an icebreaker" and "Another one" draw only light and personal questions (karaoke
songs, favourite food, the place they would most like to visit); questions that seek out their
differences join the draw once a session is held. They can always ask for a light, a personal or a
deeper one, and never get the same question twice (recorded per pair in the database).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from bot.content import FIRST_MEETING_DEPTHS, load_content
from bot.db import Database
from bot.emulator import Seen, validate_blocks
from bot.local_slack import LocalSlack
from bot.models import MentoringSession, PairIcebreaker
from tests.factory import MONDAY, Cast, make_cast, match_pair, replay_button

CONTENT = load_content()
BY_TEXT = {q.text: q for q in CONTENT.icebreakers.questions}
GENTLE = [q for q in CONTENT.icebreakers.questions if q.depth in FIRST_MEETING_DEPTHS]
DEEPER = [q for q in CONTENT.icebreakers.questions if q.depth == "deeper"]


@pytest.fixture
def cast(slack: LocalSlack) -> Cast:
    return make_cast(slack)


def icebreaker_messages(cast: Cast) -> list[Seen]:
    return [s for s in cast.mentor.seen() if s.channel == cast.group_dm() and s.text.startswith("Icebreaker: ")]


def asked(cast: Cast) -> list[str]:
    """The questions posted in the pair's conversation, in order (from each message's text fallback)."""
    return [
        m.text.removeprefix("Icebreaker: ")
        for m in cast.slack.emulator.messages_in(cast.group_dm())
        if m.text.startswith("Icebreaker: ")
    ]


def latest_in_pair_dm(cast: Cast) -> Seen:
    return [s for s in cast.mentor.seen() if s.channel == cast.group_dm()][-1]


def recorded(db: Database) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(PairIcebreaker.icebreaker_id).order_by(PairIcebreaker.id)))


def hold_first_session(cast: Cast, db: Database, clock: object) -> None:
    """Book the first session through the app, let it pass, and both say it happened."""
    cast.mentor.command("/mentoring", "schedule")
    offer = [s for s in cast.mentor.seen() if s.kind == "ephemeral" and "Times for" in s.text][-1]
    label = next(
        el["text"]["text"]
        for block in offer.blocks
        if (el := block.get("accessory")) and el.get("action_id") == "session_book"
    )
    cast.mentor.click(label, in_message=offer)
    cast.slack.deliver()
    with db.session() as session:
        booked = session.scalars(select(MentoringSession)).one()
        ends = booked.ends_at
    clock.move_to(ends + timedelta(hours=2))  # type: ignore[attr-defined]
    cast.slack.deliver()
    for person in (cast.mentor, cast.mentee):
        question = next(s for s in reversed(person.dms()) if s.has_button("Yes, we met"))
        person.click("Yes, we met", in_message=question)
    with db.session() as session:
        assert session.scalars(select(MentoringSession.status)).one() == "held"


def test_before_they_meet_every_icebreaker_is_light_or_personal(slack: LocalSlack, db: Database, cast: Cast) -> None:
    with freeze_time(MONDAY.replace(hour=10)):
        match_pair(cast)
        slack.deliver()
        cast.mentor.click("Show an icebreaker")
        first = icebreaker_messages(cast)[0]
        assert BY_TEXT[asked(cast)[0]].depth in FIRST_MEETING_DEPTHS
        assert "ones that bring out your differences come after your first session" in str(first.blocks)
        turn = 0
        while latest_in_pair_dm(cast).has_button("Another one"):
            cast.slack.pass_time(1)  # people ask a second apart at most (Slack's limits are on)
            (cast.mentee if turn % 2 else cast.mentor).click("Another one", in_message=latest_in_pair_dm(cast))
            turn += 1
            assert turn <= len(GENTLE), "the gentle draw must end when the light and personal ones run out"
        questions = asked(cast)
        assert sorted(questions) == sorted(q.text for q in GENTLE), "every light and personal one, once each"
        assert not {BY_TEXT[text].depth for text in questions} - FIRST_MEETING_DEPTHS
        # The gentle ones are used up: said kindly, and a deeper one is there for the asking.
        end = latest_in_pair_dm(cast)
        assert "every light and personal icebreaker" in end.text
        assert end.has_button("A deeper one") and not end.has_button("A light one")
        cast.mentee.click("A deeper one", in_message=end)
    latest = asked(cast)[-1]
    assert BY_TEXT[latest].depth == "deeper"
    assert recorded(db) == [BY_TEXT[text].id for text in asked(cast)]
    for message in icebreaker_messages(cast):
        assert validate_blocks(message.blocks) == []


def test_a_pair_can_ask_for_any_depth_before_they_meet(slack: LocalSlack, db: Database, cast: Cast) -> None:
    with freeze_time(MONDAY.replace(hour=10)):
        match_pair(cast)
        slack.deliver()
        cast.mentee.command("/mentoring", "icebreaker")
        for label, depth in (("A deeper one", "deeper"), ("A light one", "light"), ("A personal one", "personal")):
            message = latest_in_pair_dm(cast)
            assert message.has_button(label)
            cast.mentor.click(label, in_message=message)
            assert BY_TEXT[asked(cast)[-1]].depth == depth
            assert f"· {depth}" in str(latest_in_pair_dm(cast).blocks)
    assert len(set(asked(cast))) == len(asked(cast)) == 4


def test_after_a_session_is_held_questions_that_seek_differences_join_the_draw(
    slack: LocalSlack, db: Database, cast: Cast
) -> None:
    with freeze_time(MONDAY.replace(hour=10)) as clock:
        match_pair(cast)
        slack.deliver()
        cast.mentor.click("Show an icebreaker")
        hold_first_session(cast, db, clock)
        total = len(CONTENT.icebreakers.questions)
        for turn in range(total - 1):
            latest = icebreaker_messages(cast)[-1]
            cast.slack.pass_time(1)  # people ask a second apart at most (Slack's limits are on)
            (cast.mentee if turn % 2 else cast.mentor).click("Another one", in_message=latest)
        questions = asked(cast)
        assert len(questions) == len(set(questions)) == total, "every question once, never the same twice"
        depths_after = {BY_TEXT[text].depth for text in questions[1:]}
        assert "deeper" in depths_after
        # The bank is used up: no more buttons, said kindly.
        cast.mentor.click("Another one", in_message=icebreaker_messages(cast)[-1])
        assert f"You've explored all {total} icebreakers" in str(latest_in_pair_dm(cast).blocks)
    assert sorted(recorded(db)) == sorted(q.id for q in CONTENT.icebreakers.questions)


def test_replayed_and_double_clicked_buttons_never_repeat_a_question(
    slack: LocalSlack, db: Database, cast: Cast
) -> None:
    with freeze_time(MONDAY.replace(hour=10)):
        match_pair(cast)
        slack.deliver()
        pair_id = cast.pair_id(db)
        for person in (cast.mentor, cast.mentee, cast.mentor):
            replay_button(person, "another_icebreaker", str(pair_id))
            replay_button(person, "icebreaker_deeper", str(pair_id))
    shown = recorded(db)
    assert len(shown) == len(set(shown)) == 6
    depths = [CONTENT.icebreaker(i).depth for i in shown]
    assert depths[0::2] == [d for d in depths[0::2] if d in FIRST_MEETING_DEPTHS]
    assert set(depths[1::2]) == {"deeper"}


def test_someone_outside_the_pair_cannot_draw_one(slack: LocalSlack, db: Database, cast: Cast) -> None:
    with freeze_time(MONDAY.replace(hour=10)):
        match_pair(cast)
        slack.deliver()
        pair_id = cast.pair_id(db)
        replay_button(cast.outsider, "icebreaker_deeper", str(pair_id))
        replay_button(cast.outsider, "icebreaker_light", f"{pair_id}:<!channel>")
    assert recorded(db) == []
    assert not [s for s in cast.outsider.seen() if s.text.startswith("Icebreaker: ")]
