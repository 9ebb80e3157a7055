"""Fixtures for the emulator's own fidelity tests."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:  # the project is not installed into the venv
    sys.path.insert(0, _ROOT)

from slack_sdk import WebClient  # noqa: E402

from bot.emulator import SlackEmulator  # noqa: E402


@pytest.fixture
def emu() -> Iterator[SlackEmulator]:
    """An emulator as strict as Slack, except rate limits: its own fidelity tests post in bursts.

    (Rate limits are on by default; tests of them build their own emulator.)
    """
    with SlackEmulator(rate_limits=False) as emulator:
        yield emulator


@pytest.fixture
def client(emu: SlackEmulator) -> WebClient:
    client = WebClient(token=emu.bot_token, base_url=emu.api_url, timeout=5)
    client.retry_handlers = []  # tests add the handlers they exercise
    return client
