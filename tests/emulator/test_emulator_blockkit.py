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
