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
    needed |= {"pins:write", "files:write", "groups:read", "im:history", "mpim:history", "groups:history"}
    assert needed <= scopes
    assert len(manifest["display_information"]["name"]) <= 35
