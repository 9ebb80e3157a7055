"""The suite-wide words check (tests/words.py) catches what it promises, and spares plain English.

It runs after every test (tests/conftest.py); these tests prove each rule on its own, so a rule
that silently stopped matching would show up here rather than let broken words through.
"""

from __future__ import annotations

import pytest

from bot.concerns.service import REOPEN_WINDOW
from bot.content import load_content
from bot.journey.blocks import programme_shape
from bot.models import Programme
from bot.speed_events.records import WRAP_UP_MINUTES
from tests.words import Settings, payload_problems, text_problems

SETTINGS = Settings(round_minutes={20}, briefing_minutes={15}, session_minutes={45}, cadences={(21, 28)})


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Your partner is UGEV49GW1UN.", "raw id"),
        ("Posted in C0123ABCD9 for you.", "raw id"),
        ("• `felt-heard` (mentors): Baseline 3.2", "internal key 'felt-heard'"),
        ("Icebreaker life-01 is next", "internal key 'life-01'"),
        ("The pair no_session for weeks", "internal key 'no_session'"),
        ("Hello {partner}, welcome", "unformatted placeholder"),
        ("*Title:* None", "None shown as a value"),
        ("Please read the the guide", "doubled word"),
        ("Each round lasts 30 minutes. When the round ends", "contradicts the round length"),
        ("*Round 1 has started.* You have 30 minutes.", "contradicts the round length"),
        ("starts at 10:00 with a 30-minute briefing.", "contradicts the briefing length"),
        ("Six sessions, every three to four weeks, about 60 minutes each.", "contradicts the session length"),
        ("Your next one is best 14 to 21 days after it", "contradicts the days between sessions"),
        ("Six sessions, every two to three weeks, about 45 minutes each.", "every 2 to 3 weeks contradicts"),
        ("Round 2: 4 minutes left in this round.", "contradicts the wrap-up time"),
        ("This concern was closed more than 14 days ago", "contradicts the days a concern can be reopened"),
        ("You have raised 1 concerns.", "one and many"),
        ("3 pair(s) proposed", "one and many"),
        ("Over 2 session in Pilot", "one and many"),
    ],
)
def test_each_rule_catches_what_it_names(text: str, problem: str) -> None:
    found = text_problems(text, SETTINGS)
    assert any(problem in p for p in found), found


@pytest.mark.parametrize(
    "text",
    [
        "Only you can see this. <@UGEV49GW1UN> asked for it in <#C0123ABCD9>.",
        "Please answer by <!date^1804154400^{date_long_pretty} at {time}|Thursday 4 March at 10:00>.",
        "A canary they typed: &lt;@U0CANARY&gt; stays escaped.",
        ":white_check_mark: Agreed by you both.",
        "None is booked yet, and none of us minds.",
        "Topics that are off limits for me",
        "Use `/mentoring my-data` or `/mentoring delete-my-data`.",
        f"Each round lasts 20 minutes. Round 1: {WRAP_UP_MINUTES} minutes left in this round.",
        f"This concern was closed more than {REOPEN_WINDOW.days} days ago.",
        "You have raised 1 concern. 2 people are waiting; 1 person is paired.",
        "Mail help_desk@example.com or see https://example.com/a_b_c for more.",
    ],
)
def test_plain_english_and_the_apps_own_markup_pass(text: str) -> None:
    assert text_problems(text, SETTINGS) == []


def test_only_words_people_read_are_checked() -> None:
    payload = {
        "channel": "C0123ABCD9",
        "text": "A fine message.",
        "blocks": [
            {"type": "actions", "elements": [{"type": "button", "action_id": "no_such_key", "value": "life-01",
                                              "text": {"type": "plain_text", "text": "Another one"}}]},
            {"type": "section", "text": {"type": "mrkdwn", "text": "Hello {name}"}},
        ],
    }  # fmt: skip
    found = payload_problems("chat.postMessage", payload, SETTINGS)
    assert [p.problem for p in found] == ["unformatted placeholder '{name}'"]
    assert found[0].where == "chat.postMessage blocks[1].text.text"


def test_the_programme_shape_and_the_speed_briefing_say_their_settings() -> None:
    programme = Programme(name="P", created_by="U1", cadence_min_days=14, cadence_max_days=21, session_minutes=45,
                          planned_sessions=1)  # fmt: skip
    shape = programme_shape(programme)
    assert shape.startswith("1 session, every two to three weeks, about 45 minutes each")
    assert text_problems(shape, Settings(session_minutes={45}, cadences={(14, 21)})) == []
    briefing = " ".join(part.body for part in load_content().speed_event.briefing.sections)
    assert "{minutes}" in briefing and "30 minutes" not in briefing
