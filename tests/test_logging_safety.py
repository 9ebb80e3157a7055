"""Logs and errors under hostile and unlucky input: tokens never written, odd payloads never crash
the error path, and a request from another workspace never reaches a listener."""

from __future__ import annotations

import io
import logging
import sys
import traceback
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import BoltResponse

from bot.app import FRIENDLY_ERROR, describe_request, handle_unexpected_error
from bot.local_slack import LocalSlack
from bot.logging_setup import configure_logging
from bot.request_guards import NOT_INSTALLED_HERE, Workspace

TOKEN = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx"
HOOK = "https://hooks.slack.com/services/T000/B000/SeCrEtSeCrEtSeCrEt"


@pytest.fixture
def written() -> Iterator[io.StringIO]:
    """What the app's own log handler writes, for the length of one test."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    saved_libraries = {name: logging.getLogger(name).level for name in ("slack_bolt", "slack_sdk", "urllib3")}
    configure_logging(logging.INFO)
    stream = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    try:
        yield stream
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        for name, level in saved_libraries.items():
            logging.getLogger(name).setLevel(level)


def _fail_with_token() -> None:
    token = TOKEN
    raise RuntimeError(f"Slack said no to token {token} at {HOOK}")


def test_a_token_in_an_exception_and_its_traceback_is_redacted(written: io.StringIO) -> None:
    try:
        _fail_with_token()
    except RuntimeError:
        logging.getLogger("bot.test").exception("Posting failed")
    output = written.getvalue()
    assert "Posting failed" in output and "RuntimeError" in output and "_fail_with_token" in output
    assert TOKEN not in output and "xoxb-1234567890" not in output
    assert "SeCrEtSeCrEt" not in output
    assert "xox?-[redacted]" in output


def test_a_token_in_exc_info_passed_as_an_exception_object_is_redacted(written: io.StringIO) -> None:
    error = ValueError(f"bad auth {TOKEN}")
    logging.getLogger("bot.test").error("Unexpected error while handling %s", {"type": "x"}, exc_info=error)
    assert TOKEN not in written.getvalue()
    assert "ValueError: bad auth xox?-[redacted]" in written.getvalue()


def test_a_record_with_ready_made_exc_text_and_stack_info_is_redacted(written: io.StringIO) -> None:
    # As a record arrives from another process (a queue, a socket handler): text already rendered.
    record = logging.LogRecord("bot.worker", logging.ERROR, __file__, 1, "Dispatch failed", None, None)
    record.exc_text = f"Traceback (most recent call last):\n  ...\nSlackApiError: invalid_auth for {TOKEN}"
    record.stack_info = f"Stack (most recent call last):\n  client = WebClient(token='{TOKEN}')"
    logging.getLogger("bot.worker").handle(record)
    output = written.getvalue()
    assert "Dispatch failed" in output and "SlackApiError: invalid_auth" in output and "WebClient" in output
    assert TOKEN not in output


def test_a_token_in_arguments_and_a_stack_is_redacted(written: io.StringIO) -> None:
    logging.getLogger("bot.test").warning("Token was %s", TOKEN, stack_info=True)
    assert TOKEN not in written.getvalue()
    assert "Token was xox?-[redacted]" in written.getvalue()


def test_a_message_whose_arguments_do_not_fit_does_not_break_the_caller(written: io.StringIO) -> None:
    saved = logging.raiseExceptions
    logging.raiseExceptions = False  # as in production: logging swallows its own formatting errors
    try:
        logging.getLogger("bot.test").warning("two %s %s", "one")
    finally:
        logging.raiseExceptions = saved


# ------------------------------------------------------------------ describe_request / errors

ODD_BODIES: list[Any] = [
    None,
    "payload=garbage",
    ["a", "list"],
    42,
    {},
    {"user": "U123"},
    {"user": ["U123"]},
    {"user": {"id": {"nested": True}}},
    {"actions": "button"},
    {"actions": [None]},
    {"actions": ["click"]},
    {"actions": [{"action_id": ["a"]}]},
    {"view": []},
    {"view": "modal", "callback_id": 7},
    {"event": "message"},
    {"event": ["message"]},
    {"team": "T123"},
    {"team": ["T123"]},
    {"type": {"not": "a string"}, "command": None},
    {"type": "view_submission", "view": None, "user": None, "team": None},
    {"command": "/mentoring", "user_id": "x" * 10_000},
]


@pytest.mark.parametrize("body", ODD_BODIES, ids=range(len(ODD_BODIES)))
def test_describe_request_takes_any_payload_shape(body: Any) -> None:
    described = describe_request(body)
    assert set(described) == {"type", "command", "action_id", "callback_id", "event", "user", "team"}
    assert all(value is None or (isinstance(value, str) and len(value) <= 80) for value in described.values())


def test_describe_request_still_describes_what_slack_sends() -> None:
    body = {
        "type": "block_actions", "user": {"id": "U1"}, "team": {"id": "T1"},
        "actions": [{"action_id": "schedule"}], "view": {"callback_id": "enrol"},
    }
    assert describe_request(body) == {
        "type": "block_actions", "command": None, "action_id": "schedule", "callback_id": "enrol",
        "event": None, "user": "U1", "team": "T1",
    }
    command = describe_request({"command": "/mentoring", "user_id": "U2", "team_id": "T2", "text": "secret words"})
    assert command["type"] == "command" and command["user"] == "U2" and "secret words" not in str(command)


class _Respond:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.calls: list[dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)
        if self.fail:
            raise ConnectionError("response_url unreachable")


@pytest.mark.listener_errors_expected
@pytest.mark.parametrize("body", ODD_BODIES, ids=range(len(ODD_BODIES)))
def test_the_error_handler_takes_any_payload_shape(body: Any, written: io.StringIO) -> None:
    error = KeyError("boom")
    answered = handle_unexpected_error(error, body, BoltResponse(status=200, body=""), _Respond())
    assert answered is not None and answered.status == 200
    assert handle_unexpected_error(error, body, None, _Respond(fail=True)) is None
    assert handle_unexpected_error(error, body, None, None) is None
    assert "Unexpected error while handling" in written.getvalue()


@pytest.mark.listener_errors_expected
def test_the_error_handler_still_answers_each_kind_kindly() -> None:
    error = RuntimeError("boom")
    pending = BoltResponse(status=200, body="")
    pushed = handle_unexpected_error(error, {"type": "view_submission"}, pending, None)
    assert pushed is not None and '"response_action": "push"' in pushed.body
    told = handle_unexpected_error(error, {"command": "/mentoring"}, pending, None)
    assert told is not None and FRIENDLY_ERROR in told.body
    respond = _Respond()
    assert handle_unexpected_error(error, {"response_url": "https://example.invalid/r"}, None, respond) is None
    assert respond.calls and respond.calls[0]["text"] == FRIENDLY_ERROR


# ------------------------------------------------------------------ workspaces


def test_workspace_rules_for_single_and_org_wide_installs() -> None:
    single = Workspace.from_auth_test({"team_id": "T1", "enterprise_id": None, "is_enterprise_install": False})
    assert single.admits("T1", None)
    assert not single.admits("T2", None)
    assert not single.admits("T1", "E9")  # no enterprise here: a request claiming one is not ours
    in_grid = Workspace.from_auth_test({"team_id": "T1", "enterprise_id": "E1"})
    assert in_grid.admits("T1", "E1") and in_grid.admits("T1", None)
    assert not in_grid.admits("T2", "E1") and not in_grid.admits("T1", "E2")
    org_wide = Workspace.from_auth_test({"team_id": None, "enterprise_id": "E1", "is_enterprise_install": True})
    assert org_wide.admits("T7", "E1") and org_wide.admits(None, "E1")
    assert not org_wide.admits("T7", "E2") and not org_wide.admits("T7", None)


def _command_from(slack: LocalSlack, user_id: str, team_id: str, **extra: str) -> bytes:
    emulator = slack.emulator
    form = {
        "token": emulator.verification_token, "team_id": team_id, "team_domain": "elsewhere",
        "channel_id": emulator.open_im(user_id), "channel_name": "directmessage", "user_id": user_id,
        "user_name": "someone", "command": "/mentoring", "text": "help", "api_app_id": emulator.app_id,
        "response_url": emulator.new_response_url(user_id, emulator.open_im(user_id)),
        "trigger_id": emulator.issue_trigger_id(user_id), **extra,
    }
    return urlencode(form).encode()


def test_a_signed_request_from_another_workspace_is_refused_and_logged_once(
    slack: LocalSlack, caplog: pytest.LogCaptureFixture
) -> None:
    amara = slack.person("amara")
    caplog.set_level(logging.WARNING, logger="bot.http")
    form = "application/x-www-form-urlencoded"
    answers = [amara.post_raw(_command_from(slack, amara.user_id, "T0ELSEWHERE"), form) for _ in range(3)]
    for answer in answers:
        assert answer.status == 200
        assert answer.text == NOT_INSTALLED_HERE
        assert "/mentoring join" not in answer.text
    refusals = [r for r in caplog.records if "T0ELSEWHERE" in r.getMessage()]
    assert len(refusals) == 1
    # A request that claims an enterprise the app is not installed in is refused too.
    claimed = amara.post_raw(_command_from(slack, amara.user_id, slack.emulator.team_id, enterprise_id="E0OTHER"), form)
    assert claimed.text == NOT_INSTALLED_HERE
    # The home workspace is served as before.
    assert "/mentoring join" in amara.command("/mentoring", "help").text


def test_traceback_module_text_matches_what_is_logged(written: io.StringIO) -> None:
    """The traceback the log shows is the standard one (only cleaned), so nothing is lost in triage."""
    try:
        _fail_with_token()
    except RuntimeError:
        expected = "".join(traceback.format_exception(*sys.exc_info())).replace(TOKEN, "xox?-[redacted]")
        logging.getLogger("bot.test").exception("Posting failed")
    expected = expected.replace(HOOK.removeprefix("https://hooks.slack.com/"), "[redacted]")
    assert expected.strip() in written.getvalue()
