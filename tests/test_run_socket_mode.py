"""`python -m bot run` as a real process, in Socket Mode, against the emulator's WebSocket.

The app is started exactly as a developer starts it (``SLACK_APP_TOKEN`` for Socket Mode,
``SLACK_API_URL`` pointing its Web API client, and so its ``apps.connections.open``, at the local
emulator; a fresh SQLite file), and people reach it only through Socket Mode envelopes: a slash
command, modal submissions, button clicks on a message and on App Home, App Home opened, and all of
it again after the emulator asks the app to reconnect. The test reads what each person sees in the
emulator and what the app's database holds. Nothing is timed: every wait polls with a generous
timeout, because the app does its work after ``ack()`` on its own threads.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.engine import Engine

from bot.content import load_content
from bot.crypto import generate_key
from bot.emulator import SimulatedUser, SlackEmulator, view_text
from bot.models import Enrolment, Programme

T = TypeVar("T")
CONTENT = load_content()
PATIENCE = 60.0  # seconds: generous, on a shared machine; a wait ends as soon as its condition holds


@dataclass
class RunningApp:
    emulator: SlackEmulator
    process: subprocess.Popen[str]
    engine: Engine
    log: list[str] = field(default_factory=list)

    def person(self, name: str, **attributes: Any) -> SimulatedUser:
        user_id = self.emulator.add_user(name=name, real_name=name.title(), **attributes)
        return SimulatedUser(self.emulator, "", "", user_id, timeout=PATIENCE, transport="socket_mode")

    def wait_for(self, what: str, predicate: Callable[[], T]) -> T:
        try:
            return self.emulator.wait_for(predicate, timeout=PATIENCE, interval=0.05)
        except TimeoutError:
            if self.process.poll() is not None:
                pytest.fail(f"the app exited ({self.process.returncode}) waiting for {what}:\n{self.output()}")
            pytest.fail(f"gave up waiting for {what}:\n{self.output()}")

    def output(self) -> str:
        return "\n".join(self.log[-60:])


def _read_output(process: subprocess.Popen[str], log: list[str]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        log.append(line.rstrip("\n"))


@pytest.fixture
def running(tmp_path: Path) -> Iterator[RunningApp]:
    emulator = SlackEmulator().start()  # as strict as Slack: scopes, membership, triggers, rate limits
    database = tmp_path / "run.db"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE", "ENCRYPTION", "ADMINS"))},
        "SLACK_BOT_TOKEN": emulator.bot_token,
        "SLACK_APP_TOKEN": emulator.app_token,
        "SLACK_API_URL": emulator.api_url,
        "DATABASE_URL": f"sqlite:///{database}",
        "ENCRYPTION_KEYS": generate_key(),
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        env=env,
        cwd=str(tmp_path),  # no .env here: only the settings above
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    log: list[str] = []
    reader = threading.Thread(target=_read_output, args=(process, log), daemon=True)
    reader.start()
    engine = create_engine(f"sqlite:///{database}")
    app = RunningApp(emulator, process, engine, log)
    try:
        app.wait_for("the app to connect over Socket Mode", lambda: emulator.socket_mode.connections == 1)
        yield app
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        reader.join(timeout=5)
        engine.dispose()
        emulator.stop()


def rows(app: RunningApp, query: Any) -> list[Any]:
    with app.engine.connect() as connection:
        return list(connection.execute(query).all())


def open_modal(app: RunningApp, person: SimulatedUser, callback_id: str) -> dict[str, Any]:
    return app.wait_for(
        f"{person.name}'s {callback_id} modal",
        lambda: person.modal if person.modal and person.modal.get("callback_id") == callback_id else None,
    )


def create_programme(app: RunningApp, admin: SimulatedUser, lead: SimulatedUser, name: str) -> None:
    assert admin.command("/mentoring", "programme new").answered
    open_modal(app, admin, "programme_form")
    admin.fill({"Programme name": name, "Organisation mode": "Across organisations",
                "Programme leads": [lead.user_id]})
    result = admin.submit()
    assert result.answered and not result.errors, result.errors
    app.wait_for("the programme form to close", lambda: admin.modal is None)


def join(app: RunningApp, person: SimulatedUser, role: str, organisation: str) -> None:
    assert person.command("/mentoring", "join").answered
    open_modal(app, person, "enrolment_form")
    fields: dict[str, Any] = {
        "I am joining as": "Mentor" if role == "mentor" else "Mentee",
        "Organisation": organisation,
        "Department or function": "Finance",
        "Privacy notice": True,
    }
    if role == "mentee":
        fields["Mentees: the state of inclusion in my part of the business today"] = "Early days."
        fields["Mentees: the gap in understanding I hope to close"] = "How policies land."
    person.fill(fields)
    result = person.submit()
    assert result.answered and not result.errors, result.errors


def guide_message(person: SimulatedUser, role: str) -> Any:
    return next((s for s in reversed(person.dms()) if s.has_button(f"Read the {role} guide")), None)


def test_python_m_bot_run_serves_people_over_socket_mode_and_after_a_reconnect(running: RunningApp) -> None:
    app, emulator = running, running.emulator
    assert emulator.calls_to("apps.connections.open")[0].ok  # with the app-level token, at the emulator

    # A slash command: answered in its acknowledgement, over the WebSocket.
    olu = app.person("olu", is_admin=True)
    help_answer = olu.command("/mentoring", "help")
    assert help_answer.answered and "/mentoring join" in help_answer.text

    # A modal submission: the admin creates a programme; the database holds it.
    lena = app.person("lena")
    create_programme(app, olu, lena, "Socket Pilot")
    assert [r.name for r in rows(app, select(Programme.name))] == ["Socket Pilot"]

    # Another, and a button on the message it leads to (answered through its response_url).
    amara = app.person("amara")
    join(app, amara, "mentor", "Acme")
    assert [(r.user_id, r.role) for r in rows(app, select(Enrolment.user_id, Enrolment.role))] == [
        (amara.user_id, "mentor")]
    confirmation = app.wait_for("amara's enrolment confirmation", lambda: guide_message(amara, "mentor"))
    assert "You're enrolled in Socket Pilot" in confirmation.text
    assert amara.click("Read the mentor guide", in_message=confirmation).answered
    title = CONTENT.guide_for("mentor").title
    app.wait_for("the mentor's guide, shown only to her",
                 lambda: [s for s in amara.seen() if s.kind == "ephemeral" and title in s.text])

    # App Home opened: the app publishes her home, and a button on it opens a modal.
    assert amara.open_home().answered
    home = app.wait_for("amara's App Home", lambda: amara.home)
    assert "Socket Pilot" in view_text(home)
    assert amara.click("Read the guide for my role", in_view=home["id"]).answered
    guide = app.wait_for("the guide modal", lambda: amara.modal)
    assert guide["title"]["text"] == "Your guide"
    amara.close_modal()

    # Slack asks the app to reconnect: it opens a new connection and keeps serving.
    assert emulator.socket_mode.disconnect("refresh_requested") == 1
    app.wait_for("a new Socket Mode connection",
                 lambda: emulator.socket_mode.connects == 2 and emulator.socket_mode.connections == 1)
    assert len(emulator.calls_to("apps.connections.open")) == 2  # a fresh URL, as Slack requires

    diana = app.person("diana")
    assert "/mentoring join" in diana.command("/mentoring", "help").text
    join(app, diana, "mentee", "Globex")
    enrolled = {r.user_id: r.role for r in rows(app, select(Enrolment.user_id, Enrolment.role))}
    assert enrolled == {amara.user_id: "mentor", diana.user_id: "mentee"}
    assert diana.open_home().answered
    app.wait_for("diana's App Home", lambda: "Socket Pilot" in view_text(diana.home))
    assert diana.click("Read the guide for my role").answered
    app.wait_for("diana's guide modal", lambda: diana.modal and diana.modal["title"]["text"] == "Your guide")

    # Every envelope was acknowledged (the emulator's plugin fails the test on a late or missing
    # ack) and no listener failed after acknowledging: the app logged no error at all.
    assert emulator.socket_mode.unknown_acks == []
    errors = [line for line in app.log if " ERROR " in line or "Traceback" in line]
    assert errors == [], app.output()
