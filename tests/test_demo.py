"""The offline demo runs without credentials and tells the story so far."""

from __future__ import annotations

import io
import os
import subprocess
import sys


def test_demo_runs_offline_and_shows_each_act() -> None:
    from bot.demo import run_demo

    out = io.StringIO()
    run_demo(out)
    story = out.getvalue()
    assert "[Mon 04 Jan 2027 09:00 UTC] Amara sees (only you can see this)" in story
    assert "Did you mean `/mentoring join`?" in story
    assert "You're enrolled in Inclusive Leadership 2027" in story
    assert "You've been matched in *Inclusive Leadership 2027*" in story
    assert "(private to Amara)" not in story.split("Lena sees")[-1], "the lead never sees off-limits topics"
    # The pair's journey: introduced on a working morning, briefed, an icebreaker, a contract agreed.
    assert "[Tue 05 Jan 2027 14:30 UTC] Evan sees (group DM):\n    Meet your reverse mentoring partner" in story
    assert "[Wed 06 Jan 2027 09:30 UTC] Diana sees (group DM):\n    Meet your reverse mentoring partner" in story
    assert "Amara sees (private DM):\n    Your guide as a mentor" in story
    assert "Diana sees (private DM):\n    Your guide as a mentee" in story
    assert "*Icebreaker* ·" in story
    assert "*Your contract is agreed.*" in story
    assert "Lena, the lead, can see only that a contract exists (agreed: yes)" in story
    lead_sections = [part for part in story.split("\n[") if "] Lena sees" in part.split("\n")[0]]
    assert not any("only Amara and Diana know this" in part for part in lead_sections), "contract text stays private"
    # A reverse speed mentoring event: timed rounds in each person's own time zone, a swap, feedback, a summary.
    assert "[Tue 19 Jan 2027 14:10 UTC] Tom sees (private DM):\n    *Round 1 has started.*" in story
    assert "The round ends at 09:30 your time." in story, "Tom's round, in New York time"
    assert "*Time to swap.*" in story and "*Round 2 has started.*" in story
    assert "not enough responses to show (fewer than 5)" in story
    speed = story.split("reverse speed mentoring event: people from different organisations")[-1]
    assert "(private to Grace)" not in speed and "(private to Hugo)" not in speed, "private answers stay private"
    # Sessions (issue 5): booked in each person's zone, invite, reminders, private check-ins, months of rhythm.
    sessions = story.split("Ben (mentor) and Evan (mentee) find a time for their first session")[-1]
    assert "*Session 1 is booked. Add the calendar invite below to your calendar.*" in sessions
    assert "• Ben: Tue 26 Jan 2027, 12:00–13:00 EST" in sessions
    assert "DTSTART;TZID=America/New_York:20270126T120000" in sessions and "SEQUENCE:0" in sessions
    assert "[Mon 25 Jan 2027 17:00 UTC] Ben sees (group DM):\n    *Reminder: session 1 is tomorrow.*" in sessions
    assert "[Tue 26 Jan 2027 16:00 UTC] Evan sees (group DM):\n    *Reminder: session 1 is in an hour.*" in sessions
    assert "[Tue 26 Jan 2027 19:00 UTC] Ben sees (private DM):\n    *Did you and Evan meet for session 1" in sessions
    assert "Session 2 has moved" in sessions and "SEQUENCE:1" in sessions
    assert "#2 Tue 23 Feb 17:00 UTC held" in sessions and "EDT" in sessions, "a DST change on the way"
    lead_view = [part for part in sessions.split("\n[") if "] Lena sees" in part.split("\n")[0]]
    assert any("gave different answers" in part for part in lead_view), "the lead hears of conflicting answers"
    pair_view = [part for part in sessions.split("\n[") if "] Ben sees" in part.split("\n")[0]]
    assert not any("didn't happen" in part and "Thanks" in part for part in pair_view), "Evan's answer stays private"
    assert "The end." in story


def test_demo_command_needs_no_settings(tmp_path: object) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "ENCRYPTION", "DATABASE"))}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo"], capture_output=True, text=True, timeout=300, env=env, cwd=str(tmp_path)
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "The end." in result.stdout


def test_demo_shows_a_private_reflection_a_shared_takeaway_and_a_concern_handled() -> None:
    from bot.demo import run_demo
    from bot.demo.script import CONCERN_TEXT

    out = io.StringIO()
    run_demo(out)
    story = out.getvalue()
    reflections = story.split("=== After their session, Amara and Diana each reflect, privately ===")[1]
    reflections = reflections.split("\n=== ")[0]
    assert "Write my reflection" in reflections
    assert "Amara shared the key takeaways from their reflection" in reflections
    assert "(private to Amara)" not in reflections and "(private to Diana)" not in reflections
    concern = story.split("=== Amara raises a concern privately with Lena, the independent lead ===")[1]
    concern = concern.split("\n=== ")[0].split("\nThe end.")[0]
    assert "A concern has been raised in Inclusive Leadership 2027" in concern
    assert "The programme lead has seen your concern" in concern
    assert "The programme lead has closed your concern" in concern
    messages = [paragraph for paragraph in concern.split("\n\n") if paragraph.startswith("[")]
    assert messages and all(CONCERN_TEXT not in m for m in messages), "the text is only in Lena's modal"
    assert all("(leads only)" not in m for m in messages), "the outcome note stays with the leads"
    assert not any("Diana sees" in m for m in messages), "Diana is never told"
