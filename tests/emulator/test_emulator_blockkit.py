"""Block Kit limits the emulator enforces, and text flattening."""

from __future__ import annotations

from typing import Any

import pytest

from bot.emulator import flatten_text, validate_blocks, validate_view


def pt(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def md(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def opt(text: str, value: str = "v") -> dict[str, Any]:
    return {"text": pt(text), "value": value}


def button(text: str = "Go", **extra: Any) -> dict[str, Any]:
    return {"type": "button", "text": pt(text), "action_id": extra.pop("action_id", "go"), **extra}


def an_input(element: dict[str, Any], label: str = "Label", **extra: Any) -> dict[str, Any]:
    return {"type": "input", "label": pt(label), "element": element, **extra}


def a_modal(blocks: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"type": "modal", "title": pt("Title"), "submit": pt("Save"), "blocks": blocks, **extra}


INVALID_MESSAGE_BLOCKS = {
    "51 blocks": [{"type": "divider"}] * 51,
    "section text 3001": [{"type": "section", "text": md("x" * 3001)}],
    "11 fields": [{"type": "section", "fields": [md("f")] * 11}],
    "field 2001": [{"type": "section", "fields": [md("f" * 2001)]}],
    "header 151": [{"type": "header", "text": pt("h" * 151)}],
    "button text 76": [{"type": "actions", "elements": [button("b" * 76)]}],
    "button value 2001": [{"type": "actions", "elements": [button(value="v" * 2001)]}],
    "action_id 256": [{"type": "actions", "elements": [button(action_id="a" * 256)]}],
    "block_id 256": [{"type": "divider", "block_id": "b" * 256}],
    "11 context elements": [{"type": "context", "elements": [md("c")] * 11}],
    "26 actions": [{"type": "actions", "elements": [button(action_id=f"a{i}") for i in range(26)]}],
    "duplicate block ids": [{"type": "divider", "block_id": "x"}, {"type": "divider", "block_id": "x"}],
    "empty text": [{"type": "section", "text": md("")}],
    "unknown block": [{"type": "carousel"}],
    "input in message": [an_input({"type": "plain_text_input", "action_id": "a"})],
    "101 options": [{"type": "actions", "elements": [
        {"type": "static_select", "action_id": "s", "options": [opt("o", str(i)) for i in range(101)]}]}],
    "option text 76": [{"type": "actions", "elements": [
        {"type": "static_select", "action_id": "s", "options": [opt("o" * 76)]}]}],
}


@pytest.mark.parametrize("blocks", INVALID_MESSAGE_BLOCKS.values(), ids=INVALID_MESSAGE_BLOCKS.keys())
def test_invalid_message_blocks(blocks: list[dict[str, Any]]) -> None:
    errors = validate_blocks(blocks)
    assert errors and all("[json-pointer:/blocks" in e for e in errors)


INVALID_VIEWS = {
    "101 blocks": a_modal([{"type": "divider"}] * 101),
    "no title": {"type": "modal", "blocks": []},
    "title 25": a_modal([], title=pt("t" * 25)),
    "submit 25": a_modal([], submit=pt("s" * 25)),
    "close mrkdwn": a_modal([], close=md("Close")),
    "callback_id 256": a_modal([], callback_id="c" * 256),
    "private_metadata 3001": a_modal([], private_metadata="m" * 3001),
    "inputs without submit": {"type": "modal", "title": pt("T"), "blocks": [
        an_input({"type": "plain_text_input", "action_id": "a"})]},
    "label 2001": a_modal([an_input({"type": "plain_text_input", "action_id": "a"}, label="l" * 2001)]),
    "hint 2001": a_modal([an_input({"type": "plain_text_input", "action_id": "a"}, hint=pt("h" * 2001))]),
    "max_length 3001": a_modal([an_input({"type": "plain_text_input", "action_id": "a", "max_length": 3001})]),
    "wrong type": {"type": "dialog", "blocks": []},
    "no blocks": {"type": "home"},
}


@pytest.mark.parametrize("view", INVALID_VIEWS.values(), ids=INVALID_VIEWS.keys())
def test_invalid_views(view: dict[str, Any]) -> None:
    assert validate_view(view)


def test_limits_themselves_are_allowed() -> None:
    assert validate_blocks([{"type": "divider"}] * 50) == []
    assert validate_blocks([{"type": "section", "text": md("x" * 3000), "fields": [md("f" * 2000)] * 10}]) == []
    assert validate_view(a_modal([{"type": "divider"}] * 100, title=pt("t" * 24))) == []
    assert validate_view({"type": "home", "blocks": []}) == []
    assert validate_blocks([an_input({"type": "plain_text_input", "action_id": "a"}, dispatch_action=True)]) == []


def test_flatten_text() -> None:
    blocks = [
        {"type": "header", "text": pt("Welcome")},
        {"type": "section", "text": md("Hello *Amara*"), "fields": [md("Mentor: Grace")],
         "accessory": button("Change")},
        {"type": "context", "elements": [md("Session 1 of 6")]},
        {"type": "actions", "elements": [button("Schedule first session"),
                                         {"type": "static_select", "action_id": "s", "placeholder": pt("Pick"),
                                          "options": [opt("Monday")]}]},
        an_input({"type": "checkboxes", "action_id": "c", "options": [opt("I agree")]}, label="Consent"),
        {"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": [
            {"type": "text", "text": "See "}, {"type": "link", "url": "https://x", "text": "the guide"}]}]},
    ]
    text = flatten_text(blocks)
    for piece in ("Welcome", "Hello *Amara*", "Mentor: Grace", "Change", "Session 1 of 6",
                  "Schedule first session", "Monday", "Consent", "I agree", "the guide"):
        assert piece in text


UNKNOWN_PROPERTIES = {
    "block": ([{"type": "section", "text": md("x"), "colour": "red"}], "/blocks/0/colour"),
    "element": ([{"type": "actions", "elements": [button(tooltip="hi")]}], "/blocks/0/elements/0/tooltip"),
    "text object": ([{"type": "section", "text": {**md("x"), "emoji": True}}], "/blocks/0/text/emoji"),
    "option": ([{"type": "actions", "elements": [{"type": "static_select", "action_id": "s",
                                                   "options": [{**opt("o"), "selected": True}]}]}],
               "/blocks/0/elements/0/options/0/selected"),
    "confirm": ([{"type": "actions", "elements": [button(confirm={
        "title": pt("Sure?"), "text": md("Really"), "confirm": pt("Yes"), "deny": pt("No"), "icon": "x"})]}],
        "/blocks/0/elements/0/confirm/icon"),
    "accessory": ([{"type": "section", "text": md("x"), "accessory": {**button(), "label": "b"}}],
                  "/blocks/0/accessory/label"),
}


@pytest.mark.parametrize(("blocks", "pointer"), UNKNOWN_PROPERTIES.values(), ids=UNKNOWN_PROPERTIES.keys())
def test_unknown_properties_are_refused_with_their_path(blocks: list[dict[str, Any]], pointer: str) -> None:
    errors = validate_blocks(blocks)
    assert any(e.startswith("unsupported property") and e.endswith(f"[json-pointer:{pointer}]") for e in errors)


def test_unknown_view_properties_and_empty_static_selects_are_refused() -> None:
    assert any("[json-pointer:/view/colour]" in e for e in validate_view(a_modal([], colour="red")))
    empty = a_modal([an_input({"type": "static_select", "action_id": "s", "options": []})])
    assert any("must provide at least 1 items" in e for e in validate_view(empty))
    missing = a_modal([an_input({"type": "static_select", "action_id": "s"})])
    assert any("must provide either options or option_groups" in e for e in validate_view(missing))
    no_groups = [{"type": "actions", "elements": [{"type": "multi_static_select", "action_id": "m",
                                                    "option_groups": []}]}]
    assert validate_blocks(no_groups)
    # the known properties are all fine
    assert validate_blocks([{"type": "section", "block_id": "b", "text": {**pt("x"), "emoji": True}, "accessory": {
        **button(value="1", style="primary"), "confirm": {"title": pt("Sure?"), "text": md("Really"),
                                                          "confirm": pt("Yes"), "deny": pt("No")}}}]) == []


def test_chat_post_message_answers_invalid_blocks_naming_the_path() -> None:
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    from bot.emulator import SlackEmulator

    with SlackEmulator(rate_limits=False) as emu:
        client = WebClient(token=emu.bot_token, base_url=emu.api_url)
        uid = emu.add_user(name="amara")
        with pytest.raises(SlackApiError) as info:
            client.chat_postMessage(channel=uid, text="x", blocks=[{"type": "divider", "colour": "red"}])
        data = info.value.response.data
        assert isinstance(data, dict) and data["error"] == "invalid_blocks"
        assert data["response_metadata"]["messages"] == [
            "[ERROR] unsupported property: colour [json-pointer:/blocks/0/colour]"]


def test_views_read_back_from_slack_validate_but_cannot_be_sent() -> None:
    returned = {**a_modal([]), "id": "V1", "hash": "1.a", "state": {"values": {}}, "root_view_id": "V1"}
    assert validate_view(returned) == []
    assert "unsupported property: id [json-pointer:/view/id]" in validate_view(returned, as_sent=True)
