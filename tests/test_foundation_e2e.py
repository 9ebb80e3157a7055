"""The foundation as Slack exercises it: signed requests over HTTP to the real Bolt app."""

from __future__ import annotations

import json
import logging
import re
import urllib.request

import pytest
from freezegun import freeze_time

from bot.local_slack import LocalSlack


def test_help_is_a_private_well_formatted_answer(slack: LocalSlack) -> None:
    amara = slack.person("amara")
    answer = amara.command("/mentoring", "help")
    assert answer.status == 200
    assert "/mentoring join" in answer.text
    assert "For programme leads" in answer.text
    body = answer.json
    assert body.get("response_type", "ephemeral") == "ephemeral"
    assert body["blocks"][0]["type"] == "header"
    # Only Amara saw it, as an ephemeral answer.
    seen = [s for s in amara.seen() if "/mentoring join" in s.text]
    assert seen and all(s.kind == "ephemeral" for s in seen)
    bea = slack.person("bea")
    assert not any("/mentoring join" in s.text for s in bea.seen())


def test_bare_command_shows_help(slack: LocalSlack) -> None:
    assert "/mentoring join" in slack.person("amara").command("/mentoring", "").text


def test_unknown_sub_command_gets_usage_not_an_error(slack: LocalSlack) -> None:
    answer = slack.person("amara").command("/mentoring", "hlep me")
    assert answer.status == 200
    assert "I don't know `/mentoring hlep`" in answer.text
    assert "Did you mean `/mentoring help`?" in answer.text
    assert "Usage: `/mentoring &lt;command&gt;`" in answer.text  # shown as <command>: escaped for mrkdwn


def test_help_lists_only_commands_that_exist(slack: LocalSlack) -> None:
    """Help never promises a sub-command the app would answer with "I don't know"."""
    listed = set(re.findall(r"/mentoring ([a-z-]+)", slack.person("amara").command("/mentoring", "help").text))
    usage = slack.person("zed").command("/mentoring", "zzzz-nothing").text
    registered = set(re.findall(r"`([a-z-]+)`", usage.split("Commands:")[1]))
    assert listed and listed <= registered


@pytest.mark.parametrize("variant", ["unsigned", "forged", "stale"])
def test_requests_without_a_valid_signature_are_refused(slack: LocalSlack, variant: str) -> None:
    amara = slack.person("amara")
    answer = getattr(amara, variant)().command("/mentoring", "help")
    assert answer.status == 401
    assert "/mentoring join" not in answer.body


def test_signature_follows_the_frozen_clock(slack: LocalSlack) -> None:
    with freeze_time("2027-03-01 09:00:00"):
        assert slack.person("amara").command("/mentoring", "help").status == 200


def test_retried_event_has_one_effect(slack: LocalSlack) -> None:
    amara = slack.person("amara")
    event = {"type": "app_home_opened", "user": amara.user_id, "tab": "home", "channel": "D1"}
    amara.send_event(event, event_id="Ev0001")
    amara.send_event(event, event_id="Ev0001", retry_num=1)
    amara.send_event(event, event_id="Ev0001", retry_num=2)
    assert len(slack.emulator.calls_to("views.publish")) == 1
    assert amara.home is not None and "Reverse mentoring" in json.dumps(amara.home)


def test_app_home_is_published_on_open(slack: LocalSlack) -> None:
    amara = slack.person("amara")
    amara.open_home()
    assert amara.home is not None
    assert "/mentoring help" in json.dumps(amara.home)


def test_healthz_reports_app_and_database(slack: LocalSlack) -> None:
    with urllib.request.urlopen(slack.base_url + "/healthz", timeout=5) as response:
        assert response.status == 200
        assert json.loads(response.read()) == {"ok": True, "database": "up"}


@pytest.mark.listener_errors_expected
def test_unexpected_error_is_friendly_and_logged_without_text(
    slack: LocalSlack, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.home.help_blocks as help_blocks

    monkeypatch.setattr(help_blocks, "difflib", None)  # the unknown-command path now fails
    with caplog.at_level(logging.ERROR):
        answer = slack.person("amara").command("/mentoring", "secret-words-typed-here")
    assert answer.status == 200
    assert "something went wrong" in answer.text
    assert "Unexpected error while handling" in caplog.text
    assert "secret-words-typed-here" not in caplog.text


@pytest.mark.listener_errors_expected
def test_the_suite_notices_a_listener_that_raises_after_ack(
    slack: LocalSlack, monkeypatch: pytest.MonkeyPatch, listener_failures: list[str]
) -> None:
    """tests/conftest.py fails any test in which a listener raised; this shows it sees one after ack()."""
    from handlers import home

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("broken after ack")

    monkeypatch.setattr(home, "publish_home", broken)
    before = len(listener_failures)
    slack.person("amara").open_home()
    failed = listener_failures[before:]
    assert failed and "RuntimeError: broken after ack" in failed[0]
    assert "app_home_opened" in failed[0]


def test_help_includes_multi_word_sub_commands(slack: LocalSlack) -> None:
    text = slack.person("amara").command("/mentoring", "help").text
    assert "/mentoring programme new" in text
    assert "/mentoring event new" in text
