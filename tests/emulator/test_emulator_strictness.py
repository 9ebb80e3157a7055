"""The emulator is as strict as Slack: scopes, membership, views, trigger ids, metadata, token types."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from freezegun import freeze_time
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.emulator import SlackEmulator
from bot.emulator.scopes import manifest_bot_scopes


def error_of(call: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as info:
        call(**kwargs)
    return dict(info.value.response.data)


def modal(title: str = "Join", **extra: Any) -> dict[str, Any]:
    return {"type": "modal", "title": {"type": "plain_text", "text": title}, "blocks": [], **extra}


# ------------------------------------------------------------------------------ scopes


def test_bot_scopes_come_from_the_manifest(emu: SlackEmulator, client: WebClient) -> None:
    manifest = manifest_bot_scopes()
    assert "chat:write" in manifest and emu.bot_scopes == manifest
    res = client.auth_test()
    assert res.headers["x-oauth-scopes"] == ",".join(manifest)  # sent with every answer


def test_missing_scope_names_what_is_needed_and_provided() -> None:
    with SlackEmulator(scopes=["chat:write"], rate_limits=False) as emu:
        client = WebClient(token=emu.bot_token, base_url=emu.api_url)
        uid = emu.add_user(name="amara", email="amara@example.com")
        err = error_of(client.users_info, user=uid)
        assert err == {"ok": False, "error": "missing_scope", "needed": "users:read", "provided": "chat:write"}
        assert error_of(client.users_lookupByEmail, email="amara@example.com")["needed"] == "users:read.email"
        assert error_of(client.conversations_open, users=uid)["needed"] == "im:write"
        other = emu.add_user(name="bo")
        assert error_of(client.conversations_open, users=[uid, other])["needed"] == "mpim:write"
        assert error_of(client.files_getUploadURLExternal, filename="a.txt", length=1)["needed"] == "files:write"
        posted = client.chat_postMessage(channel=uid, text="hi")  # chat:write is granted
        assert posted.headers["x-oauth-scopes"] == "chat:write"
        assert error_of(client.pins_add, channel=posted["channel"], timestamp=posted["ts"])["needed"] == "pins:write"


def test_conversation_scopes_depend_on_the_conversation_type(emu: SlackEmulator, client: WebClient) -> None:
    # manifest: groups:read; no *:history (least privilege), no channels:*, im:read, mpim:read
    a, b = emu.add_user(name="a"), emu.add_user(name="b")
    im = client.conversations_open(users=a)["channel"]["id"]
    mpim = client.conversations_open(users=[a, b])["channel"]["id"]
    assert error_of(client.conversations_history, channel=im)["needed"] == "im:history"
    assert error_of(client.conversations_history, channel=mpim)["needed"] == "mpim:history"
    assert error_of(client.conversations_info, channel=im)["needed"] == "im:read"
    public = emu.add_channel("general", members=[a], bot_member=True)
    assert error_of(client.conversations_history, channel=public)["needed"] == "channels:history"
    assert error_of(client.conversations_info, channel=public)["needed"] == "channels:read"
    private = emu.add_channel("leads", is_private=True, members=[a], bot_member=True)
    assert client.conversations_info(channel=private)["channel"]["is_private"] is True
    assert error_of(client.conversations_history, channel=private)["needed"] == "groups:history"
    # An operator who opts in to the dispatcher's history check adds the scopes and reinstalls.
    emu.set_scopes([*emu.bot_scopes, "im:history", "mpim:history", "groups:history"])
    assert client.conversations_history(channel=im)["ok"] and client.conversations_history(channel=mpim)["ok"]
    assert client.conversations_history(channel=private)["ok"]


def test_users_read_email_controls_the_email_field() -> None:
    with SlackEmulator(scopes=["users:read"], rate_limits=False) as emu:
        client = WebClient(token=emu.bot_token, base_url=emu.api_url)
        uid = emu.add_user(name="amara", email="amara@example.com")
        assert "email" not in client.users_info(user=uid)["user"]["profile"]
        emu.set_scopes(["users:read", "users:read.email"])
        assert client.users_info(user=uid)["user"]["profile"]["email"] == "amara@example.com"


# ------------------------------------------------------------------------------ membership


def test_new_channels_do_not_contain_the_bot(emu: SlackEmulator, client: WebClient) -> None:
    emu.set_scopes(sorted(set(emu.bot_scopes) - {"chat:write.public"}))  # a bot that must be invited
    a = emu.add_user(name="a")
    public = emu.add_channel("news", members=[a])
    private = emu.add_channel("leads", is_private=True, members=[a])
    assert emu.bot_user_id not in (emu.conversation(public).members)  # type: ignore[union-attr]
    assert error_of(client.chat_postMessage, channel=public, text="x")["error"] == "not_in_channel"
    assert error_of(client.chat_postMessage, channel=private, text="x")["error"] == "channel_not_found"
    assert error_of(client.conversations_info, channel=private)["error"] == "channel_not_found"
    assert error_of(client.chat_postEphemeral, channel=public, user=a, text="x")["error"] == "not_in_channel"
    emu.invite_bot(private)
    assert client.chat_postMessage(channel=private, text="now I can")["ok"]
    emu.remove_bot(private)
    assert error_of(client.chat_postMessage, channel=private, text="x")["error"] == "channel_not_found"


def test_chat_write_public_posts_without_joining() -> None:
    with SlackEmulator(scopes=["chat:write", "chat:write.public"], rate_limits=False) as emu:
        client = WebClient(token=emu.bot_token, base_url=emu.api_url)
        public = emu.add_channel("news")
        private = emu.add_channel("secret", is_private=True)
        assert client.chat_postMessage(channel=public, text="announcement")["ok"]
        assert error_of(client.chat_postMessage, channel=private, text="x")["error"] == "channel_not_found"


def test_conversations_join_needs_channels_join_and_a_public_channel() -> None:
    with SlackEmulator(scopes=["chat:write"], rate_limits=False) as emu:
        client = WebClient(token=emu.bot_token, base_url=emu.api_url)
        public = emu.add_channel("news")
        assert error_of(client.conversations_join, channel=public)["needed"] == "channels:join"
        emu.set_scopes(["chat:write", "channels:join"])
        joined = client.conversations_join(channel=public)
        assert joined["channel"]["id"] == public and joined["channel"]["is_member"] is True
        assert client.conversations_join(channel=public)["warning"] == "already_in_channel"
        assert client.chat_postMessage(channel=public, text="hello")["ok"]
        private = emu.add_channel("secret", is_private=True)
        assert error_of(client.conversations_join, channel=private)["error"] == "channel_not_found"
        emu.invite_bot(private)
        assert error_of(client.conversations_join, channel=private)["error"] == \
            "method_not_supported_for_channel_type"


# ------------------------------------------------------------------------------ views and triggers


def test_views_update_and_push_need_a_view_on_screen(emu: SlackEmulator, client: WebClient) -> None:
    uid = emu.add_user(name="amara")
    view = client.views_open(trigger_id=emu.issue_trigger_id(uid), view=modal(external_id="x1"))["view"]
    stale = view["hash"]
    client.views_update(view_id=view["id"], hash=stale, view=modal("Two", external_id="x1"))
    assert error_of(client.views_update, view_id=view["id"], hash=stale, view=modal())["error"] == "hash_conflict"
    emu.pop_view(uid)  # the person closes the modal
    assert error_of(client.views_update, view_id=view["id"], view=modal())["error"] == "not_found"
    assert error_of(client.views_update, external_id="x1", view=modal())["error"] == "not_found"
    assert error_of(client.views_update, view_id="VUNKNOWN00", view=modal())["error"] == "not_found"
    assert error_of(client.views_push, trigger_id=emu.issue_trigger_id(uid), view=modal())["error"] == "not_found"


def test_trigger_ids_expire_after_three_real_seconds_even_under_freezegun(emu: SlackEmulator,
                                                                          client: WebClient) -> None:
    uid = emu.add_user(name="amara")
    assert emu.trigger_ttl_seconds == 3.0
    emu.trigger_ttl_seconds = 0.2  # the same rule, shortened so the test is quick
    with freeze_time("2030-01-01 09:00:00"):
        trigger = emu.issue_trigger_id(uid)
        threading.Event().wait(0.3)  # real time passes; the frozen clock does not move
        assert error_of(client.views_open, trigger_id=trigger, view=modal())["error"] == "expired_trigger_id"
    used = emu.issue_trigger_id(uid)
    client.views_open(trigger_id=used, view=modal())
    assert error_of(client.views_open, trigger_id=used, view=modal())["error"] == "exchanged_trigger_id"
    assert error_of(client.views_open, trigger_id="1.2.3", view=modal())["error"] == "invalid_trigger_id"


# ------------------------------------------------------------------------------ metadata and tokens


def test_metadata_only_with_include_all_metadata(emu: SlackEmulator, client: WebClient) -> None:
    emu.set_scopes([*emu.bot_scopes, "im:history"])  # the manifest has none: the history check's opt-in
    uid = emu.add_user(name="amara")
    meta = {"event_type": "outbox_row", "event_payload": {"row": 7}}
    posted = client.chat_postMessage(channel=uid, text="hi", metadata=meta)
    channel = posted["channel"]
    client.chat_postMessage(channel=channel, text="reply", thread_ts=posted["ts"], metadata=meta)
    assert "metadata" not in client.conversations_history(channel=channel)["messages"][0]
    assert client.conversations_history(channel=channel, include_all_metadata=True)["messages"][0]["metadata"] == meta
    replies = client.conversations_replies(channel=channel, ts=posted["ts"])["messages"]
    assert [m["text"] for m in replies] == ["hi", "reply"] and all("metadata" not in m for m in replies)
    with_meta = client.conversations_replies(channel=channel, ts=posted["ts"], include_all_metadata=True)
    assert all(m["metadata"] == meta for m in with_meta["messages"])


def test_token_types(emu: SlackEmulator) -> None:
    bot = WebClient(token=emu.bot_token, base_url=emu.api_url)
    app = WebClient(token=emu.app_token, base_url=emu.api_url)
    assert emu.app_token.startswith("xapp-") and emu.bot_token.startswith("xoxb-")
    assert error_of(bot.apps_connections_open, app_token=emu.bot_token)["error"] == "not_allowed_token_type"
    assert error_of(app.auth_test)["error"] == "not_allowed_token_type"
    assert error_of(app.chat_postMessage, channel="C1", text="x")["error"] == "not_allowed_token_type"
    assert bot.apps_connections_open(app_token=emu.app_token)["url"].startswith("ws://127.0.0.1:")
