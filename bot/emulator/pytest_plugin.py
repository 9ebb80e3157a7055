"""A pytest plugin: a test fails when the app did something real Slack would show as a failure.

Today that is an answer Slack gave up on (over 3 seconds of real time, or no Socket Mode ack),
as recorded by the simulated users in ``emu.problems()``. Enable it with
``pytest_plugins = ["bot.emulator.pytest_plugin"]`` in a conftest. A test that provokes a problem
on purpose marks itself ``@pytest.mark.slack_problems_expected`` (or calls ``emu.clear_problems()``).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from bot.emulator.core import LIVE_EMULATORS


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slack_problems_expected: the test provokes slow answers on purpose (the emulator plugin "
        "does not fail it)")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, Any]:
    before = {id(e): len(e._problems) for e in list(LIVE_EMULATORS)}
    result = yield
    if item.get_closest_marker("slack_problems_expected") is None:
        new = []
        for emu in list(LIVE_EMULATORS):
            with emu._lock:
                new.extend(emu._problems[before.get(id(emu), 0):])
        if new:
            lines = "\n".join(f"  - {p}" for p in new)
            pytest.fail(f"the app failed people the way real Slack would show it:\n{lines}", pytrace=False)
    return result
