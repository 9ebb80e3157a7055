"""An answer Slack would have given up on (3 seconds) is recorded, shown as Slack shows it, and fails the test."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from bot.emulator import SimulatedUser, SlackEmulator, simulated

SECRET = "slow-signing-secret"
SLOW = 0.4  # the app's delay; the deadline is shortened below it so the tests stay quick
MODAL = {"type": "modal", "callback_id": "slow", "title": {"type": "plain_text", "text": "Slow"},
         "submit": {"type": "plain_text", "text": "Send"},
         "blocks": [{"type": "input", "block_id": "b", "label": {"type": "plain_text", "text": "Why"},
                     "element": {"type": "plain_text_input", "action_id": "a"}}]}


def slow_app(emu: SlackEmulator) -> App:
    app = App(signing_secret=SECRET, client=WebClient(token=emu.bot_token, base_url=emu.api_url),
              process_before_response=True)

    @app.command("/slow")
    def slow(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        if command["text"] == "modal":
            client.views_open(trigger_id=command["trigger_id"], view=MODAL)
            ack()
            return
        threading.Event().wait(SLOW)
        ack(text="Here you are")

    @app.view("slow")
    def submitted(ack: Ack) -> None:
        threading.Event().wait(SLOW)
        ack(response_action="errors", errors={"b": "never shown"})

    return app


@pytest.fixture
def short_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(simulated, "ACK_DEADLINE_SECONDS", SLOW / 2)


@pytest.fixture
def person(emu: SlackEmulator, short_deadline: None) -> Iterator[SimulatedUser]:
    from wsgiref.simple_server import make_server

    server = make_server("127.0.0.1", 0, SlackRequestHandler(slow_app(emu)))
    server.RequestHandlerClass.log_message = lambda *a: None  # type: ignore[method-assign]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/slack/events"
        yield SimulatedUser(emu, url, SECRET, emu.add_user(name="amara"))
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slack_problems_expected
def test_a_slow_slash_command_shows_slacks_error_not_the_late_answer(emu: SlackEmulator,
                                                                    person: SimulatedUser) -> None:
    res = person.command("/slow", "now")
    assert res.ok and res.too_slow and not res.answered
    [problem] = emu.slow_answers
    assert problem.request == "slash_command /slow now" and problem.elapsed >= SLOW
    assert problem.user_id == person.user_id and problem.transport == "http"
    seen = [s.text for s in person.seen()]
    assert seen == ['/slow failed with the error "operation_timeout"']  # not "Here you are"
    assert emu.problems() == [problem]


@pytest.mark.slack_problems_expected
def test_a_slow_view_submission_leaves_the_modal_open(emu: SlackEmulator, person: SimulatedUser) -> None:
    person.command("/slow", "modal")
    person.fill({"Why": "because"})
    res = person.submit()
    assert res.too_slow and res.errors == {}  # the late response_action is ignored
    assert person.modal is not None and person.modal["callback_id"] == "slow"
    [problem] = emu.slow_answers
    assert problem.request == "view_submission slow" and "We had some trouble connecting" in problem.detail


def test_the_plugin_fails_a_test_that_leaves_a_slow_answer(tmp_path: Path) -> None:
    here = Path(__file__).resolve()
    test = tmp_path / "test_story.py"
    test.write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(here.parents[2])!r})
        sys.path.insert(0, {str(here.parent)!r})
        from bot.emulator import SlackEmulator
        from bot.emulator.state import Problem

        def test_story():
            with SlackEmulator(rate_limits=False) as emu:
                emu.record_problem(Problem("slow_answer", "U1", "slash_command /slow", 3.4, "too slow"))

        def test_quiet_story():
            with SlackEmulator(rate_limits=False):
                pass
    """))
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "bot.emulator.pytest_plugin", "-p",
                          "no:cacheprovider", str(test)], capture_output=True, text=True, cwd=tmp_path,
                         env={"PYTHONPATH": str(here.parents[2]), "PATH": "/usr/bin:/bin"}, timeout=60)
    assert "1 failed, 1 passed" in run.stdout, run.stdout + run.stderr
    assert "slash_command /slow took 3.40s" in run.stdout
