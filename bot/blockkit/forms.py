"""Modal inputs and reading them back.

Every input block's ``block_id`` is the service field it fills and its element's ``action_id`` is
``"value"``, so a service's ``FieldErrors`` map straight onto Slack's ``response_action: errors``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from bot.blockkit import Block, plain

ACTION = "value"


def option(text: str, value: str, description: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"text": plain(text[:75]), "value": value}
    if description:
        item["description"] = plain(description[:75])
    return item


def input_block(field: str, label: str, element: Block, *, optional: bool = False, hint: str | None = None) -> Block:
    element = {**element, "action_id": ACTION}
    block: Block = {"type": "input", "block_id": field, "label": plain(label[:2000]), "element": element}
    if optional:
        block["optional"] = True
    if hint:
        block["hint"] = plain(hint[:2000])
    return block


def text_input(
    initial: str | None = None, *, multiline: bool = False, max_length: int = 150, placeholder: str | None = None
) -> Block:
    element: Block = {"type": "plain_text_input", "multiline": multiline, "max_length": max_length}
    if initial:
        element["initial_value"] = initial[:max_length]
    if placeholder:
        element["placeholder"] = plain(placeholder[:150])
    return element


def number_input(initial: int | None = None, *, minimum: int | None = None, maximum: int | None = None) -> Block:
    element: Block = {"type": "number_input", "is_decimal_allowed": False}
    if initial is not None:
        element["initial_value"] = str(initial)
    if minimum is not None:
        element["min_value"] = str(minimum)
    if maximum is not None:
        element["max_value"] = str(maximum)
    return element


def radio(options: Sequence[dict[str, Any]], initial: str | None = None) -> Block:
    element: Block = {"type": "radio_buttons", "options": list(options)}
    chosen = next((item for item in options if item["value"] == initial), None)
    if chosen:
        element["initial_option"] = chosen
    return element


def static_select(options: Sequence[dict[str, Any]], initial: str | None = None, placeholder: str = "Choose") -> Block:
    element: Block = {"type": "static_select", "options": list(options), "placeholder": plain(placeholder)}
    chosen = next((item for item in options if item["value"] == initial), None)
    if chosen:
        element["initial_option"] = chosen
    return element


def multi_select(options: Sequence[dict[str, Any]], initial: Sequence[str] = (), placeholder: str = "Choose") -> Block:
    element: Block = {"type": "multi_static_select", "options": list(options), "placeholder": plain(placeholder)}
    chosen = [item for item in options if item["value"] in set(initial)]
    if chosen:
        element["initial_options"] = chosen
    return element


def checkbox(text: str, value: str, checked: bool = False, description: str | None = None) -> Block:
    item = option(text, value, description)
    element: Block = {"type": "checkboxes", "options": [item]}
    if checked:
        element["initial_options"] = [item]
    return element


def user_select(initial: str | None = None, placeholder: str = "Choose a person") -> Block:
    element: Block = {"type": "users_select", "placeholder": plain(placeholder)}
    if initial:
        element["initial_user"] = initial
    return element


def users_select(initial: Sequence[str] = (), placeholder: str = "Choose people") -> Block:
    element: Block = {"type": "multi_users_select", "placeholder": plain(placeholder)}
    if initial:
        element["initial_users"] = list(initial)
    return element


def private_channel_select(initial: str | None = None) -> Block:
    element: Block = {
        "type": "conversations_select",
        "placeholder": plain("Choose a private channel"),
        "filter": {"include": ["private"], "exclude_bot_users": True},
    }
    if initial:
        element["initial_conversation"] = initial
    return element


def date_picker(initial: date | None = None) -> Block:
    element: Block = {"type": "datepicker"}
    if initial:
        element["initial_date"] = initial.isoformat()
    return element


def modal(
    callback_id: str,
    title: str,
    blocks: Sequence[Block],
    *,
    submit: str | None = "Save",
    close: str = "Cancel",
    metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title[:24]),
        "close": plain(close[:24]),
        "blocks": list(blocks),
    }
    if submit:
        view["submit"] = plain(submit[:24])
    if metadata is not None:
        view["private_metadata"] = json.dumps(metadata)
    return view


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    raw = view.get("private_metadata") or "{}"
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def read_values(view: dict[str, Any]) -> dict[str, Any]:
    """The submitted values by field (block_id), whatever kind of element holds them."""
    values: dict[str, Any] = {}
    for block_id, actions in (view.get("state") or {}).get("values", {}).items():
        state: dict[str, Any] = actions.get(ACTION) or next(iter(actions.values()), {})
        values[block_id] = _element_value(state)
    return values


def _element_value(state: dict[str, Any]) -> Any:
    kind = state.get("type")
    if kind in {"static_select", "radio_buttons", "external_select"}:
        selected = state.get("selected_option")
        return selected["value"] if selected else None
    if kind in {"multi_static_select", "checkboxes", "multi_external_select"}:
        return [item["value"] for item in state.get("selected_options") or []]
    if kind == "users_select":
        return state.get("selected_user")
    if kind == "multi_users_select":
        return list(state.get("selected_users") or [])
    if kind == "conversations_select":
        return state.get("selected_conversation")
    if kind == "channels_select":
        return state.get("selected_channel")
    if kind == "datepicker":
        return state.get("selected_date")
    if kind == "timepicker":
        return state.get("selected_time")
    return state.get("value")


def text_value(values: dict[str, Any], field: str) -> str:
    return str(values.get(field) or "")


def int_value(values: dict[str, Any], field: str) -> int | None:
    raw = values.get(field)
    if raw in (None, ""):
        return None
    try:
        return int(str(raw))
    except ValueError:
        return None


def date_value(values: dict[str, Any], field: str) -> date | None:
    raw = values.get(field)
    return date.fromisoformat(raw) if raw else None
