"""`python -m bot serve` as a real process, pointed at the emulator: signed requests in, unsigned out."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.crypto import generate_key
from bot.emulator import SimulatedUser, SlackEmulator

SECRET = "serve-test-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[SlackEmulator, str, subprocess.Popen[str]]]:
    emulator = SlackEmulator().start()
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE", "ENCRYPTION"))},
        "SLACK_BOT_TOKEN": emulator.bot_token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": emulator.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "ENCRYPTION_KEYS": generate_key(),
        "PORT": str(port),
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1"],
        env=env,
        cwd=str(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stdout.read() if process.stdout else ""
                    pytest.fail(f"the server did not start: {output[-2000:]}")
                time.sleep(0.2)
        yield emulator, base, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        emulator.stop()


def test_served_app_answers_signed_help_and_refuses_unsigned(
    served: tuple[SlackEmulator, str, subprocess.Popen[str]],
) -> None:
    emulator, base, _ = served
    amara = SimulatedUser(emulator, base + "/slack/events", SECRET, emulator.add_user("amara"))
    answer = amara.command("/mentoring", "help")
    assert answer.status == 200
    assert "/mentoring join" in answer.text
    refused = amara.unsigned().command("/mentoring", "help")
    assert refused.status == 401
    assert amara.forged().command("/mentoring", "help").status == 401
    # Every Web API call the server made went to the emulator (auth.test at start, nothing else needed here).
    assert emulator.calls_to("auth.test")
