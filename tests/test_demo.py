"""The offline demo: a brief story a newcomer can follow (``make run``), and the full year behind ``--full``.

Both run offline against the local Slack emulator, through the real app, with time moved only by the
worker's own jobs on the simulated clock.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.content import load_content
from bot.demo.runner import Stage

DEMO = Path(__file__).resolve().parents[1] / "bot" / "demo"
RAW_ID = re.compile(r"\b[UWCGDF][A-Z0-9]{8,}\b")
MARKUP = ("<@", "<#", "<!", "<http")


@dataclass
class Played:
    story: str
    diana_payloads: list[str]
    diana_messages: list[tuple[datetime, str]]
    group_messages: int
    departments: dict[str, str]
    ids: dict[str, str]


def everything_seen_by(stage: Stage, name: str) -> Iterator[str]:
    """Every message, ephemeral, view and file that reached ``name`` in the emulator."""
    emulator = stage.world.emulator
    user_id = stage.cast[name].user_id
    for seen in emulator.seen_by(user_id):
        yield seen.text + json.dumps(seen.blocks, ensure_ascii=False)
        for file_id in seen.files:
            stored = emulator.file(file_id)
            if stored is not None:
                yield stored.bytes.decode("utf-8", "replace") + stored.title + stored.name
    for view in emulator._views.values():
        if view.user_id == user_id:
            yield json.dumps(view.data, ensure_ascii=False)
    for call in emulator.calls:
        if call.method == "views.publish" and call.args.get("user_id") == user_id:
            yield json.dumps(call.args, ensure_ascii=False)


def play(full: bool) -> Played:
    from bot.demo import run_demo

    found: dict[str, Any] = {}

    def inspect(stage: Stage) -> None:
        from bot.models import Enrolment

        found["diana"] = list(everything_seen_by(stage, "Diana"))
        found["diana_messages"] = [
            (datetime.fromtimestamp(float(s.ts), UTC), s.text) for s in stage.cast["Diana"].seen() if s.ts
        ]
        emulator = stage.world.emulator
        group_dms = {s.channel for name in stage.cast for s in stage.cast[name].seen() if s.kind == "mpim"}
        found["group"] = sum(len(emulator.messages_in(channel)) for channel in group_dms)
        with stage.world.db.session() as session:
            found["departments"] = {
                row.user_id: row.department for row in session.scalars(select(Enrolment)) if row.department
            }
        found["ids"] = {name: person.user_id for name, person in stage.cast.items()}

    out = io.StringIO()
    run_demo(out, full=full, inspect=inspect)
    ids = found["ids"]
    departments = {name: found["departments"].get(user_id, "") for name, user_id in ids.items()}
    return Played(out.getvalue(), found["diana"], found["diana_messages"], found["group"], departments, ids)


@pytest.fixture(scope="module")
def brief() -> Played:
    return play(full=False)


@pytest.fixture(scope="module")
def full() -> Played:
    return play(full=True)


def entries(story: str) -> list[tuple[str, list[str]]]:
    """Each printed message: its heading line and its body lines."""
    out: list[tuple[str, list[str]]] = []
    for line in story.splitlines():
        if line.startswith("[") and "] " in line:
            out.append((line, []))
        elif line.startswith("    ") and out:
            out[-1][1].append(line.strip())
        elif not line.startswith("    "):
            out.append(("", []))  # a scene, a narrator's note or a form ends the message
    return [entry for entry in out if entry[0]]


# ---------------------------------------------------------------------------------------------
# The brief story


def test_the_brief_demo_is_under_200_lines_and_tells_the_whole_story(brief: Played) -> None:
    story = brief.story
    assert len(story.splitlines()) < 200, len(story.splitlines())
    assert "python -m bot demo --full" in story.splitlines()[2]
    for scene in (
        "an admin starts a programme",
        "Chris says no",
        "Amara and Ben say yes",
        "A light first icebreaker",
        "book their first session",
        "agree how they will work together",
        "Diana pauses",
        "at-risk alert Lena acts on",
        "Recap: what each role saw",
    ):
        assert scene in story, scene
    assert story.rstrip().endswith("nothing left this machine.")


def test_no_raw_ids_slack_markup_or_doubled_words_reach_the_page(brief: Played, full: Played) -> None:
    for played in (brief, full):
        assert not RAW_ID.findall(played.story), RAW_ID.findall(played.story)[:5]
        for markup in MARKUP:
            assert markup not in played.story, markup
        assert "(a message with no text)" not in played.story and "(an empty message)" not in played.story
        doubled = re.search(r"\b([a-z]+) \1\b", played.story, re.IGNORECASE)
        assert doubled is None, played.story[max(0, doubled.start() - 80) : doubled.end() + 80] if doubled else ""


def test_each_group_message_is_printed_once_under_who_sees_it(brief: Played, full: Played) -> None:
    for played in (brief, full):
        group = [
            (heading.split("] ", 1)[1], tuple(body))
            for heading, body in entries(played.story)
            if "Group DM, seen by" in heading and "(the message updates)" not in heading
        ]
        assert group, "the story shows group messages"
        assert len(group) == len(set(group)), "a group message printed twice"
        assert all(" and " in heading for heading, _ in group), "the heading names everyone who sees it"
        # Never more group entries (printed or summed up as "the same") than the pairs' conversations hold.
        same = [line for line in played.story.splitlines() if line.startswith("[") and "group DM:" in line]
        assert len(group) + len(same) <= played.group_messages
    assert "Group DM, seen by Diana and Amara:" in brief.story
    assert "Private DM to Lena:" in brief.story and "Only Amara sees this" in brief.story


def test_file_uploads_are_described_in_words(brief: Played, full: Played) -> None:
    assert "[attached: a calendar invite for Session 1, Thu 07 Jan 2027 16:00 (Europe/London)]" in brief.story
    assert "[attached: an updated calendar invite for Session 2" in full.story, "the rescheduled session"
    assert "a chart:" in full.story, "the lead's report chart"


def test_the_decline_never_reveals_the_mentor_to_the_mentee(brief: Played, full: Played) -> None:
    story = brief.story
    chris = story.split("=== Chris says no")[1].split("\n=== ")[0]
    never_told = " ".join(load_content().promise("offer-declined-reply").split()[:3])  # a line's start
    assert f"won't go ahead. {never_told}" in chris, "Chris is told privately"
    assert "did not go ahead" in chris and "opened the next proposal" in chris, "the lead gets the next step"
    assert "*Amara* (mentor) with *Diana* (mentee)" in chris, "the next proposal"
    for played in (brief, full):
        assert played.diana_payloads, "the scan found nothing: it would prove nothing"
        for blob in played.diana_payloads:
            assert "Chris" not in blob and played.ids["Chris"] not in blob, blob[:300]
        for heading, body in entries(played.story):
            if "Diana" in heading.split("] ", 1)[1].split(":")[0]:
                assert not any("Chris" in line for line in body), (heading, body)
    # Diana hears of a match only once Amara has said yes: not a word naming a mentor before.
    said_yes = next(h for h, body in entries(story) if "Private DM to Amara" in h and "saying yes" in body[0])
    yes_at = datetime.strptime("2027 " + said_yes[1:].split(" UTC]")[0], "%Y %a %d %b %H:%M").replace(tzinfo=UTC)
    first_news = min(when for when, text in brief.diana_messages if "Amara" in text)
    assert first_news >= yes_at, (first_news, yes_at)


def test_the_story_keeps_its_order_and_a_match_across_functions(brief: Played) -> None:
    story = brief.story
    booked = story.index("*Session 1 is booked.")
    met = story.index("noted: the session took place")
    agreed = story.index("*Your contract is agreed.*")
    assert booked < met < agreed, "the contract is agreed after the first meeting"
    assert story.index("Show an icebreaker") if "Show an icebreaker" in story else True
    assert story.index("*Icebreaker*") < booked, "an icebreaker before the first session"
    assert brief.departments["Amara"] != brief.departments["Diana"], "a match across functions"
    # The first icebreaker is a light one, when the content says how deep each one goes.
    first = story.split("*Icebreaker*")[1].splitlines()[1].lstrip(" >").removesuffix(" ...")
    question = next((q for q in load_content().icebreakers.questions if q.text.startswith(first[:40])), None)
    assert question is not None, first
    depth = getattr(question, "depth", None)
    if depth is not None:
        assert str(depth) == "light", (question.id, depth)
    pause, resume = story.index("You're taking a break"), story.index("Welcome back")
    assert pause < resume
    partner = story[pause:resume]
    assert "is taking a short break" in partner and "2 weeks" not in partner.split("short break")[1][:200]
    rescue = story.split("at-risk alert Lena acts on ===")[1]
    for words in ("may need support", "Check in privately", "A private message from @Lena", "marked this handled"):
        assert words in rescue, words


def test_the_recap_says_what_each_role_saw(brief: Played) -> None:
    recap = brief.story.split("=== Recap: what each role saw ===")[1]
    for line in ("Lena (programme lead;", "Amara (mentor;", "Chris (mentor;", "Diana (mentee;", "Olu (admin;"):
        assert line in recap, line


def test_the_demo_never_writes_to_the_database_or_runs_a_job_by_hand() -> None:
    script = (DEMO / "script.py").read_text()
    for forbidden in (
        "session.add",
        ".flush(",
        "record_answer",
        "schedule_due_surveys",
        "enqueue",
        "run_periodic_jobs",
        "watch_new_pairs",
        "move_to(",
        "clock.tick",
        ".deliver(",
        "insert(",
        "update(",
    ):
        assert forbidden not in script, forbidden
    runner = (DEMO / "runner.py").read_text()
    assert "add_jobs(scheduler, world.runtime)" in runner, "the worker's own job list"


# ---------------------------------------------------------------------------------------------
# The full story


def test_the_full_demo_still_runs_and_keeps_its_promises(full: Played) -> None:
    from bot.demo.script import CONCERN_TEXT

    story = full.story
    assert "The end." in story
    assert "Did you mean `/mentoring join`?" in story
    assert "(private to Amara)" not in story.split("Lena sees")[-1], "the lead never sees off-limits topics"
    lead = [body for heading, body in entries(story) if "Private DM to Lena" in heading]
    assert not any("only Amara and Diana know this" in line for body in lead for line in body)
    concern = story.split("=== Amara raises a concern privately with Lena")[1].split("\n=== ")[0]
    assert "A concern has been raised in Inclusive Leadership 2027" in concern
    assert "The programme lead has closed your concern" in concern
    messages = [line for _, body in entries(concern) for line in body]
    assert messages and all(CONCERN_TEXT not in m for m in messages), "the text is only in Lena's modal"
    assert all("(leads only)" not in m for m in messages), "the outcome note stays with the leads"
    assert "*Round 1 has started.*" in story and "*Time to swap.*" in story
    assert "not enough responses to show (fewer than 5)" in story
    assert "Session 2 has moved" in story
    assert "gave different answers" in story, "the lead hears of conflicting answers"
    assert "(private to Grace)" not in story and "(private to Hugo)" not in story


def test_demo_command_needs_no_settings(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "ENCRYPTION", "DATABASE"))}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo"], capture_output=True, text=True, timeout=600, env=env, cwd=str(tmp_path)
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "The end." in result.stdout and len(result.stdout.splitlines()) < 200
