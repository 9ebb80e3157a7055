"""The committed app manifest is valid and declares what the app relies on."""

from __future__ import annotations

from pathlib import Path

import yaml

MANIFEST = Path(__file__).resolve().parent.parent / "manifest.yml"


def test_manifest_declares_the_command_events_shortcut_and_scopes() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    features, settings = manifest["features"], manifest["settings"]
    assert [c["command"] for c in features["slash_commands"]] == ["/mentoring"]
    assert features["app_home"]["home_tab_enabled"] is True
    assert [s["callback_id"] for s in features["shortcuts"]] == ["raise_concern"]
    assert settings["interactivity"]["is_enabled"] and settings["socket_mode_enabled"]
    assert "app_home_opened" in settings["event_subscriptions"]["bot_events"]
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    needed = {"commands", "chat:write", "im:write", "mpim:write", "users:read", "users:read.email"}
    needed |= {"pins:write", "files:write", "groups:read"}
    assert needed <= scopes
    # Least privilege: the app cannot read the pairs' conversations unless an operator opts in.
    assert not {s for s in scopes if s.endswith(":history")}
    assert len(manifest["display_information"]["name"]) <= 35


def test_the_bot_display_name_keeps_to_slacks_manifest_rules() -> None:
    """Slack's app manifest reference: the bot user's display_name is at most 80 characters of
    lower-case letters, digits, ``-``, ``_`` and ``.``; anything else is refused when the app is created."""
    import re

    import yaml

    manifest = yaml.safe_load((Path(__file__).resolve().parents[1] / "manifest.yml").read_text())
    name = manifest["features"]["bot_user"]["display_name"]
    assert re.fullmatch(r"[a-z0-9._-]{1,80}", name), name
