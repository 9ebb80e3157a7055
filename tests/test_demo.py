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
    assert "The end." in story


def test_demo_command_needs_no_settings(tmp_path: object) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "ENCRYPTION", "DATABASE"))}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo"], capture_output=True, text=True, timeout=300, env=env, cwd=str(tmp_path)
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "The end." in result.stdout
