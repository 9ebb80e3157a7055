"""Fidelity of the emulator's Web API, exercised through the real slack_sdk WebClient."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from freezegun import freeze_time
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.emulator import SlackEmulator, flatten_text


def error_of(call: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as info:
        call(**kwargs)
    return dict(info.value.response.data)


def modal(title: str = "Join", blocks: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    view: dict[str, Any] = {"type": "modal", "title": {"type": "plain_text", "text": title},
                            "blocks": blocks or []}
    view.update(extra)
    return view


def section(text: str, block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    if block_id:
        block["block_id"] = block_id
    return block


# ------------------------------------------------------------------------------ auth & users


def test_auth_test_and_bad_tokens(emu: SlackEmulator, client: WebClient) -> None:
    res = client.auth_test()
    assert res["user_id"] == emu.bot_user_id and res["team_id"] == "T0EMULATOR" and res["bot_id"]
    assert error_of(WebClient(token="xoxb-wrong", base_url=emu.api_url).auth_test)["error"] == "invalid_auth"
    assert error_of(WebClient(base_url=emu.api_url).auth_test)["error"] == "not_authed"


def test_unknown_method(client: WebClient) -> None:
    assert error_of(client.api_call, api_method="mentoring.doesNotExist")["error"] == "unknown_method"


def test_users_info_shape_and_errors(emu: SlackEmulator, client: WebClient) -> None:
    uid = emu.add_user(name="amara", real_name="Amara Okafor", tz="Asia/Kolkata", title="Analyst",
                       email="amara@example.com")
    user = client.users_info(user=uid)["user"]
    assert user["id"] == uid and user["name"] == "amara" and user["real_name"] == "Amara Okafor"
    assert user["tz"] == "Asia/Kolkata" and user["tz_offset"] == 19800 and user["tz_label"]
    assert user["profile"]["title"] == "Analyst" and user["profile"]["email"] == "amara@example.com"
    assert user["is_bot"] is False and user["deleted"] is False and user["is_admin"] is False
    emu.set_user(uid, deleted=True)
    assert client.users_info(user=uid)["user"]["deleted"] is True
    assert error_of(client.users_info, user="UNOBODY")["error"] == "user_not_found"


def test_lookup_by_email(emu: SlackEmulator, client: WebClient) -> None:
    uid = emu.add_user(name="bo", email="Bo@Example.com")
    assert client.users_lookupByEmail(email="bo@example.com")["user"]["id"] == uid
    assert error_of(client.users_lookupByEmail, email="nobody@example.com")["error"] == "users_not_found"


# ------------------------------------------------------------------------------ conversations


def test_conversations_open_im_and_mpim(emu: SlackEmulator, client: WebClient) -> None:
    emu.set_scopes([*emu.bot_scopes, "im:read", "mpim:read"])  # beyond the manifest, to read them back
    a, b, c = (emu.add_user(name=n) for n in ("a", "b", "c"))
    im = client.conversations_open(users=a)["channel"]["id"]
    assert im.startswith("D") and emu.im_channel(a) == im
    again = client.conversations_open(users=[a])
    assert again["channel"]["id"] == im and again["already_open"] is True
    group = client.conversations_open(users=[a, b, c])["channel"]["id"]
    assert group.startswith("G") and emu.group_dm(a, b, c) == group
    assert client.conversations_open(users=f"{c},{b},{a}")["channel"]["id"] == group
    members = client.conversations_members(channel=group)["members"]
    assert set(members) == {a, b, c, emu.bot_user_id}
    info = client.conversations_info(channel=group)["channel"]
    assert info["is_mpim"] is True and info["is_private"] is True
    assert client.conversations_info(channel=im)["channel"]["user"] == a
    full = client.conversations_open(users=a, return_im=True)["channel"]
    assert full["is_im"] is True


def test_conversations_open_errors(emu: SlackEmulator, client: WebClient) -> None:
    users = [emu.add_user(name=f"u{i}") for i in range(9)]
    assert error_of(client.conversations_open, users=users)["error"] == "too_many_users"
    assert error_of(client.conversations_open, users=["UNOBODY"])["error"] == "user_not_found"
    emu.set_user(users[0], deleted=True)
    assert error_of(client.conversations_open, users=[users[0]])["error"] == "user_disabled"
    assert error_of(client.api_call, api_method="conversations.open")["error"] == "users_list_not_supplied"


def test_conversations_info_and_members_paging(emu: SlackEmulator, client: WebClient) -> None:
    users = [emu.add_user(name=f"m{i}") for i in range(5)]
    cid = emu.add_channel(name="leads", is_private=True, members=users, bot_member=True)
    info = client.conversations_info(channel=cid)["channel"]
    assert info["name"] == "leads" and info["is_private"] is True and info["is_member"] is True
    page1 = client.conversations_members(channel=cid, limit=4)
    cursor = page1["response_metadata"]["next_cursor"]
    page2 = client.conversations_members(channel=cid, limit=4, cursor=cursor)
    assert page1["members"] + page2["members"] == [*users, emu.bot_user_id]
    assert page2["response_metadata"]["next_cursor"] == ""
    assert error_of(client.conversations_info, channel="CNOPE")["error"] == "channel_not_found"


# ------------------------------------------------------------------------------ chat


def test_post_message_to_user_id_lands_in_the_dm(emu: SlackEmulator, client: WebClient) -> None:
    uid = emu.add_user(name="amara")
    res = client.chat_postMessage(channel=uid, text="Welcome", blocks=[section("Hello *Amara*")])
    assert res["channel"] == emu.im_channel(uid) and res["ts"] == res["message"]["ts"]
    assert res["message"]["blocks"][0]["block_id"]  # Slack assigns block ids
    [msg] = emu.messages_in(res["channel"])
    assert msg.text == "Welcome" and msg.user == emu.bot_user_id


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_post_message_errors(emu: SlackEmulator, client: WebClient) -> None:
    uid = emu.add_user(name="amara")
    assert error_of(client.chat_postMessage, channel=uid)["error"] == "no_text"
    assert error_of(client.chat_postMessage, channel="CNOPE", text="x")["error"] == "channel_not_found"
    archived = emu.add_channel(name="old", is_archived=True, bot_member=True)
    assert error_of(client.chat_postMessage, channel=archived, text="x")["error"] == "is_archived"
    secret = emu.add_channel(name="secret", is_private=True, members=[uid], bot_is_member=False)
    assert error_of(client.chat_postMessage, channel=secret, text="x")["error"] == "channel_not_found"
    assert error_of(client.chat_postMessage, channel=uid, text="x" * 40_001)["error"] == "msg_too_long"
    assert error_of(client.api_call, api_method="chat.postMessage",
                    params={"channel": uid, "blocks": "not json"})["error"] == "invalid_blocks_format"
    assert error_of(client.api_call, api_method="chat.postMessage",
                    params={"channel": uid, "blocks": '{"type": "divider"}'})["error"] == "invalid_blocks_format"


def test_invalid_blocks_like_slack(emu: SlackEmulator, client: WebClient) -> None:
    uid = emu.add_user(name="amara")
    too_many = error_of(client.chat_postMessage, channel=uid, text="x", blocks=[{"type": "divider"}] * 51)
    assert too_many["error"] == "invalid_blocks"
    assert any("no more than 50 items allowed" in e for e in too_many["errors"])
    assert too_many["response_metadata"]["messages"][0].startswith("[ERROR] ")

    long_text = error_of(client.chat_postMessage, channel=uid, text="x", blocks=[section("y" * 3001)])
    assert long_text["error"] == "invalid_blocks"
    assert "must be less than 3001 characters [json-pointer:/blocks/0/text/text]" in long_text["errors"]

    dup = error_of(client.chat_postMessage, channel=uid, text="x",
                   blocks=[section("a", block_id="same"), section("b", block_id="same")])
    assert dup["error"] == "invalid_blocks" and any("duplicate block_id" in e for e in dup["errors"])

    button = {"type": "actions", "elements": [
        {"type": "button", "text": {"type": "plain_text", "text": "b" * 76}, "action_id": "go"}]}
    assert error_of(client.chat_postMessage, channel=uid, text="x", blocks=[button])["error"] == "invalid_blocks"
    header = {"type": "header", "text": {"type": "mrkdwn", "text": "not plain"}}
    assert error_of(client.chat_postMessage, channel=uid, text="x", blocks=[header])["error"] == "invalid_blocks"
    an_input = {"type": "input", "label": {"type": "plain_text", "text": "Name"},
                "element": {"type": "plain_text_input", "action_id": "n"}}
    assert error_of(client.chat_postMessage, channel=uid, text="x", blocks=[an_input])["error"] == "invalid_blocks"
    # exactly at the limits is fine
    client.chat_postMessage(channel=uid, text="x", blocks=[section("y" * 3000)] + [{"type": "divider"}] * 49)
    assert len(emu.messages_in(emu.im_channel(uid) or "")) == 1


def test_post_ephemeral(emu: SlackEmulator, client: WebClient) -> None:
    a, b = emu.add_user(name="a"), emu.add_user(name="b")
    cid = emu.add_channel(name="general", members=[a], bot_member=True)
    res = client.chat_postEphemeral(channel=cid, user=a, text="only you")
    assert res["message_ts"]
    assert [s.text for s in emu.seen_by(a) if s.kind == "ephemeral"] == ["only you"]
    assert emu.seen_by(b) == [] and emu.messages_in(cid) == []
    assert error_of(client.chat_postEphemeral, channel=cid, user=b, text="x")["error"] == "user_not_in_channel"


def test_update_and_delete(emu: SlackEmulator, client: WebClient) -> None:
    uid = emu.add_user(name="amara")
    posted = client.chat_postMessage(channel=uid, text="v1", blocks=[section("first")])
    channel, ts = posted["channel"], posted["ts"]
    updated = client.chat_update(channel=channel, ts=ts, text="v2")
    assert updated["ts"] == ts and updated["text"] == "v2"
    [msg] = emu.messages_in(channel)
    assert msg.text == "v2" and flatten_text(msg.blocks) == "first"  # blocks kept when not given
    client.chat_update(channel=channel, ts=ts, text="v3", blocks=[section("second")])
    assert flatten_text(emu.messages_in(channel)[0].blocks) == "second"
    assert error_of(client.chat_update, channel=channel, ts="1.000001", text="x")["error"] == "message_not_found"
    mine = emu.user_message(uid, channel, "from a person")
    assert error_of(client.chat_update, channel=channel, ts=mine.ts, text="x")["error"] == "cant_update_message"
    assert client.chat_delete(channel=channel, ts=ts)["ts"] == ts
    assert error_of(client.chat_delete, channel=channel, ts=ts)["error"] == "message_not_found"


def test_pins(emu: SlackEmulator, client: WebClient) -> None:
    uid = emu.add_user(name="amara")
    posted = client.chat_postMessage(channel=uid, text="pin me")
    client.pins_add(channel=posted["channel"], timestamp=posted["ts"])
    assert emu.messages_in(posted["channel"])[0].pinned
    assert error_of(client.pins_add, channel=posted["channel"], timestamp=posted["ts"])["error"] == "already_pinned"
    assert error_of(client.pins_add, channel=posted["channel"], timestamp="1.2")["error"] == "message_not_found"


# ------------------------------------------------------------------------------ views


def test_views_open_and_trigger_rules(emu: SlackEmulator, client: WebClient) -> None:
    uid = emu.add_user(name="amara")
    with freeze_time("2030-01-01 09:00:00") as frozen:
        trigger = emu.issue_trigger_id(uid)
        view = client.views_open(trigger_id=trigger, view=modal(private_metadata="42", callback_id="join"))["view"]
        assert view["id"].startswith("V") and view["hash"] and view["state"] == {"values": {}}
        assert view["private_metadata"] == "42" and view["root_view_id"] == view["id"]
        assert emu.open_view(uid)["id"] == view["id"]  # type: ignore[index]
        assert error_of(client.views_open, trigger_id=trigger, view=modal())["error"] == "exchanged_trigger_id"

        # Expiry is real time: moving the app's frozen clock neither expires a trigger...
        fresh = emu.issue_trigger_id(uid)
        frozen.tick(3600)
        client.views_open(trigger_id=fresh, view=modal())
    assert error_of(client.views_open, trigger_id="123.456.abc", view=modal())["error"] == "invalid_trigger_id"
    missing = error_of(client.api_call, api_method="views.open", json={"view": modal()})
    assert missing["error"] == "invalid_arguments"
    assert "trigger_id" in missing["response_metadata"]["messages"][0]


def test_invalid_views(emu: SlackEmulator, client: WebClient) -> None:
    uid = emu.add_user(name="amara")

    def open_error(view: dict[str, Any]) -> dict[str, Any]:
        return error_of(client.views_open, trigger_id=emu.issue_trigger_id(uid), view=view)

    too_many = open_error(modal(blocks=[{"type": "divider"}] * 101))
    assert too_many["error"] == "invalid_arguments"
    assert any("no more than 100 items" in m for m in too_many["response_metadata"]["messages"])
    assert open_error(modal(title="t" * 25))["error"] == "invalid_arguments"
    no_title = {"type": "modal", "blocks": []}
    assert "missing required field: title" in open_error(no_title)["response_metadata"]["messages"][0]
    an_input = {"type": "input", "label": {"type": "plain_text", "text": "Name"},
                "element": {"type": "plain_text_input", "action_id": "n", "max_length": 3001}}
    assert open_error(modal(blocks=[an_input]))["error"] == "invalid_arguments"  # no submit + max_length
    assert open_error(modal(private_metadata="m" * 3001))["error"] == "invalid_arguments"
    assert open_error({"type": "dialog", "blocks": []})["error"] == "invalid_arguments"
    # 100 blocks is allowed
    client.views_open(trigger_id=emu.issue_trigger_id(uid), view=modal(blocks=[{"type": "divider"}] * 100))


def test_views_update_push_publish(emu: SlackEmulator, client: WebClient) -> None:
    uid = emu.add_user(name="amara")
    first = client.views_open(trigger_id=emu.issue_trigger_id(uid), view=modal("One", external_id="ext-1"))["view"]
    updated = client.views_update(view_id=first["id"], hash=first["hash"],
                                  view=modal("One v2", external_id="ext-1"))["view"]
    assert updated["id"] == first["id"] and updated["hash"] != first["hash"]
    assert error_of(client.views_update, view_id=first["id"], hash=first["hash"], view=modal())["error"] == \
        "hash_conflict"
    assert error_of(client.views_update, view_id="VNOPE", view=modal())["error"] == "not_found"
    client.views_update(external_id="ext-1", view=modal("By external", external_id="ext-1"))
    assert emu.open_view(uid)["title"]["text"] == "By external"  # type: ignore[index]

    second = client.views_push(trigger_id=emu.issue_trigger_id(uid), view=modal("Two"))["view"]
    assert second["previous_view_id"] == first["id"] and second["root_view_id"] == first["id"]
    client.views_push(trigger_id=emu.issue_trigger_id(uid), view=modal("Three"))
    assert [v["title"]["text"] for v in emu.view_stack(uid)] == ["By external", "Two", "Three"]
    assert error_of(client.views_push, trigger_id=emu.issue_trigger_id(uid), view=modal("Four"))["error"] == \
        "push_limit_reached"

    home = {"type": "home", "blocks": [section("Your programmes")]}
    published = client.views_publish(user_id=uid, view=home)["view"]
    assert published["type"] == "home" and flatten_text(emu.home_view(uid)["blocks"]) == "Your programmes"  # type: ignore[index]
    again = client.views_publish(user_id=uid, view=home, hash=published["hash"])["view"]
    assert again["id"] == published["id"]
    assert error_of(client.views_publish, user_id=uid, view=home, hash=published["hash"])["error"] == \
        "hash_conflict"
    bad_user = error_of(client.views_publish, user_id="UNOBODY", view=home)
    assert bad_user["error"] == "invalid_arguments"
    assert error_of(client.views_publish, user_id=uid, view=modal())["error"] == "invalid_arguments"


# ------------------------------------------------------------------------------ files


def test_files_upload_v2_end_to_end(emu: SlackEmulator, client: WebClient) -> None:
    uid = emu.add_user(name="amara")
    im = client.conversations_open(users=uid)["channel"]["id"]
    res = client.files_upload_v2(channel=im, content=b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
                                 filename="session.ics", title="Your session", initial_comment="Calendar invite")
    assert res["file"]["name"] == "session.ics" and res["file"]["title"] == "Your session"
    [stored] = emu.files_in(im)
    assert stored.bytes.startswith(b"BEGIN:VCALENDAR") and stored.title == "Your session"
    [seen] = emu.seen_by(uid)
    assert seen.files == [stored.id] and seen.text == "Calendar invite"
    # the private URL serves the bytes back
    with urllib.request.urlopen(res["file"]["url_private"], timeout=5) as resp:
        assert resp.read() == stored.bytes
    assert [c.method for c in emu.calls][-3:] == [
        "files.getUploadURLExternal", "files.upload_url", "files.completeUploadExternal"]


def test_file_upload_errors(emu: SlackEmulator, client: WebClient) -> None:
    assert error_of(client.api_call, api_method="files.getUploadURLExternal",
                    params={"filename": "x.txt"})["error"] == "invalid_arguments"
    pending = client.files_getUploadURLExternal(filename="x.txt", length=3)
    assert error_of(client.files_completeUploadExternal,
                    files=[{"id": pending["file_id"], "title": "x"}])["error"] == "file_not_found"


# ------------------------------------------------------------------------------ transports and recording


def test_accepts_get_form_and_json(emu: SlackEmulator) -> None:
    uid = emu.add_user(name="amara")
    base = emu.api_url
    with urllib.request.urlopen(f"{base}users.info?token={emu.bot_token}&user={uid}", timeout=5) as resp:
        assert json.loads(resp.read())["user"]["id"] == uid
    body = json.dumps({"channel": uid, "text": "json post"}).encode()
    req = urllib.request.Request(f"{base}chat.postMessage", data=body, headers={
        "Content-Type": "application/json; charset=utf-8", "Authorization": f"Bearer {emu.bot_token}"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert json.loads(resp.read())["ok"] is True
    call = emu.calls_to("chat.postMessage")[-1]
    assert call.args == {"channel": uid, "text": "json post"} and call.http_status == 200


def test_calls_are_recorded_with_decoded_blocks(emu: SlackEmulator, client: WebClient) -> None:
    uid = emu.add_user(name="amara")
    client.chat_postMessage(channel=uid, text="x", blocks=[section("hi")])
    [call] = emu.calls_to("chat.postMessage")
    assert call.args["blocks"][0]["text"]["text"] == "hi" and call.ok and call.response["ts"]
    emu.reset_calls()
    assert emu.calls == []


def test_seen_by_shows_a_dm_only_to_its_member(emu: SlackEmulator, client: WebClient) -> None:
    a, b = emu.add_user(name="a"), emu.add_user(name="b")
    client.chat_postMessage(channel=a, text="just for a")
    group = client.conversations_open(users=[a, b])["channel"]["id"]
    client.chat_postMessage(channel=group, text="for both")
    assert [(s.kind, s.text) for s in emu.seen_by(a)] == [("im", "just for a"), ("mpim", "for both")]
    assert [(s.kind, s.text) for s in emu.seen_by(b)] == [("mpim", "for both")]


def test_response_url(emu: SlackEmulator) -> None:
    a = emu.add_user(name="a")
    im = emu.open_im(a)

    def post(url: str, body: dict[str, Any]) -> int:
        req = urllib.request.Request(url, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=5) as resp:
            return int(resp.status)

    url = emu.new_response_url(a, im)
    assert post(url, {"text": "ephemeral reply"}) == 200
    assert post(url, {"text": "for the room", "response_type": "in_channel"}) == 200
    assert [(s.kind, s.text) for s in emu.seen_by(a)] == [("ephemeral", "ephemeral reply"), ("im", "for the room")]
    original = emu.seen_by(a)[-1]
    replace_url = emu.new_response_url(a, im, message_ts=original.ts)
    post(replace_url, {"replace_original": True, "text": "replaced"})
    assert emu.messages_in(im)[0].text == "replaced"
    post(replace_url, {"delete_original": True})
    assert emu.messages_in(im) == []
    assert [c.method for c in emu.calls].count("response_url") == 4


def _multipart(fields: dict[str, str], file_field: tuple[str, str, bytes] | None = None) -> tuple[bytes, str]:
    boundary = "----emulatorboundary"
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    if file_field:
        name, filename, data = file_field
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f"Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def test_multipart_arguments_and_multipart_upload(emu: SlackEmulator, client: WebClient) -> None:
    uid = emu.add_user(name="amara")
    body, ctype = _multipart({"token": emu.bot_token, "channel": uid, "text": "multipart hello"})
    req = urllib.request.Request(f"{emu.api_url}chat.postMessage", data=body, headers={"Content-Type": ctype})
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert json.loads(resp.read())["ok"] is True
    assert emu.seen_by(uid)[0].text == "multipart hello"

    pending = client.files_getUploadURLExternal(filename="notes.txt", length=5)
    body, ctype = _multipart({}, ("file", "notes.txt", b"hello"))
    req = urllib.request.Request(pending["upload_url"], data=body, headers={"Content-Type": ctype})
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert resp.status == 200
    client.files_completeUploadExternal(files=[{"id": pending["file_id"], "title": "Notes"}], channel_id=uid)
    [stored] = emu.files_in(emu.im_channel(uid) or "")
    assert stored.bytes == b"hello" and stored.name == "notes.txt" and stored.title == "Notes"
