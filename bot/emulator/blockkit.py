"""Block Kit validation (as strict as Slack where it matters) and text flattening.

Errors are phrased the way Slack phrases them, e.g.
``"must be less than 3001 characters [json-pointer:/blocks/0/text/text]"``.
Slack's own limits are enforced here directly; ``slack_sdk.models`` is used as a second
net for anything it knows and these checks do not.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_MESSAGE_TEXT = 40_000

MESSAGE_BLOCK_TYPES = {
    "section", "divider", "image", "actions", "context", "header", "input",
    "file", "rich_text", "video", "markdown", "context_actions", "table",
}
VIEW_BLOCK_TYPES = {
    "section", "divider", "image", "actions", "context", "header", "input", "rich_text", "video", "markdown",
}
SELECT_TYPES = {
    "static_select", "external_select", "users_select", "conversations_select", "channels_select",
    "multi_static_select", "multi_external_select", "multi_users_select", "multi_conversations_select",
    "multi_channels_select",
}
INPUT_ELEMENT_TYPES = SELECT_TYPES | {
    "plain_text_input", "checkboxes", "radio_buttons", "datepicker", "timepicker", "datetimepicker",
    "number_input", "email_text_input", "url_text_input", "rich_text_input", "file_input",
}
INTERACTIVE_ELEMENT_TYPES = INPUT_ELEMENT_TYPES | {"button", "overflow", "workflow_button"}
ACCESSORY_TYPES = INTERACTIVE_ELEMENT_TYPES | {"image"}

_sdk_logger = logging.getLogger("slack_sdk.models")

# Every property Slack accepts, per block, element and composition object. Anything else is refused
# ("unsupported property"), as Slack refuses it: a typo in a key is an error, not silently ignored.
_BLOCK_KEYS: dict[str, set[str]] = {
    "section": {"text", "fields", "accessory", "expand"},
    "divider": set(),
    "image": {"image_url", "slack_file", "alt_text", "title"},
    "actions": {"elements"},
    "context": {"elements"},
    "header": {"text"},
    "input": {"label", "element", "dispatch_action", "hint", "optional"},
    "file": {"external_id", "source"},
    "rich_text": {"elements"},
    "video": {"alt_text", "author_name", "description", "provider_icon_url", "provider_name", "title",
              "title_url", "thumbnail_url", "video_url"},
    "markdown": {"text"},
}
_FOCUS = {"focus_on_load"}
_SELECT = {"placeholder", "confirm"} | _FOCUS
_TEXT_INPUT = {"initial_value", "dispatch_action_config", "placeholder"} | _FOCUS
_ELEMENT_KEYS: dict[str, set[str]] = {
    "button": {"text", "url", "value", "style", "confirm", "accessibility_label"},
    "workflow_button": {"text", "workflow", "style", "accessibility_label"},
    "checkboxes": {"options", "initial_options", "confirm"} | _FOCUS,
    "radio_buttons": {"options", "initial_option", "confirm"} | _FOCUS,
    "datepicker": {"initial_date", "confirm", "placeholder"} | _FOCUS,
    "timepicker": {"initial_time", "confirm", "placeholder", "timezone"} | _FOCUS,
    "datetimepicker": {"initial_date_time", "confirm"} | _FOCUS,
    "image": {"image_url", "slack_file", "alt_text"},
    "static_select": {"options", "option_groups", "initial_option"} | _SELECT,
    "multi_static_select": {"options", "option_groups", "initial_options", "max_selected_items"} | _SELECT,
    "external_select": {"initial_option", "min_query_length"} | _SELECT,
    "multi_external_select": {"initial_options", "min_query_length", "max_selected_items"} | _SELECT,
    "users_select": {"initial_user"} | _SELECT,
    "multi_users_select": {"initial_users", "max_selected_items"} | _SELECT,
    "conversations_select": {"initial_conversation", "default_to_current_conversation", "response_url_enabled",
                             "filter"} | _SELECT,
    "multi_conversations_select": {"initial_conversations", "default_to_current_conversation",
                                   "max_selected_items", "filter"} | _SELECT,
    "channels_select": {"initial_channel", "response_url_enabled"} | _SELECT,
    "multi_channels_select": {"initial_channels", "max_selected_items"} | _SELECT,
    "overflow": {"options", "confirm"},
    "plain_text_input": {"multiline", "min_length", "max_length"} | _TEXT_INPUT,
    "email_text_input": _TEXT_INPUT,
    "url_text_input": _TEXT_INPUT,
    "number_input": {"is_decimal_allowed", "min_value", "max_value"} | _TEXT_INPUT,
    "rich_text_input": _TEXT_INPUT,
    "file_input": {"filetypes", "max_files"},
}
_TEXT_KEYS = {"plain_text": {"type", "text", "emoji"}, "mrkdwn": {"type", "text", "verbatim"}}
_OPTION_KEYS = {"text", "value", "description", "url"}
_OPTION_GROUP_KEYS = {"label", "options"}
_CONFIRM_KEYS = {"title", "text", "confirm", "deny", "style"}
_DISPATCH_CONFIG_KEYS = {"trigger_actions_on"}
_FILTER_KEYS = {"include", "exclude_external_shared_channels", "exclude_bot_users"}
VIEW_KEYS: dict[str, set[str]] = {
    "modal": {"type", "title", "blocks", "close", "submit", "private_metadata", "callback_id", "clear_on_close",
              "notify_on_close", "external_id", "submit_disabled"},
    "home": {"type", "title", "blocks", "private_metadata", "callback_id", "external_id"},
}


def _unknown_keys(errs: _Errors, obj: dict[str, Any], allowed: set[str], ptr: str) -> None:
    for key in obj:
        if key not in allowed:
            errs.add(f"unsupported property: {key}", f"{ptr}/{key}")


class _Errors:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, message: str, pointer: str) -> None:
        self.items.append(f"{message} [json-pointer:{pointer}]")


def _text_obj(
    errs: _Errors, obj: Any, ptr: str, *, max_len: int, plain_only: bool = False, required: bool = True
) -> None:
    if obj is None:
        if required:
            errs.add("missing required field: text", ptr)
        return
    if not isinstance(obj, dict):
        errs.add("expected object", ptr)
        return
    kind = obj.get("type")
    allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    if kind not in allowed:
        errs.add(f"must be one of: {', '.join(allowed)}", f"{ptr}/type")
    else:
        _unknown_keys(errs, obj, _TEXT_KEYS[str(kind)], ptr)
    text = obj.get("text")
    if not isinstance(text, str):
        errs.add("missing required field: text", f"{ptr}/text")
        return
    if len(text) == 0:
        errs.add("must be more than 0 characters", f"{ptr}/text")
    elif len(text) > max_len:
        errs.add(f"must be less than {max_len + 1} characters", f"{ptr}/text")


def _max_str(errs: _Errors, obj: dict[str, Any], key: str, ptr: str, max_len: int) -> None:
    value = obj.get(key)
    if value is None:
        return
    if not isinstance(value, str):
        errs.add("expected string", f"{ptr}/{key}")
    elif len(value) > max_len:
        errs.add(f"must be less than {max_len + 1} characters", f"{ptr}/{key}")


def _options(errs: _Errors, options: Any, ptr: str, *, max_items: int, text_len: int = 75,
             plain_only: bool = True) -> None:
    if not isinstance(options, list):
        errs.add("expected array", ptr)
        return
    if len(options) > max_items:
        errs.add(f"no more than {max_items} items allowed", ptr)
    for i, opt in enumerate(options):
        optr = f"{ptr}/{i}"
        if not isinstance(opt, dict):
            errs.add("expected object", optr)
            continue
        _unknown_keys(errs, opt, _OPTION_KEYS, optr)
        _text_obj(errs, opt.get("text"), f"{optr}/text", max_len=text_len, plain_only=plain_only)
        value = opt.get("value")
        if value is None:
            errs.add("missing required field: value", optr)
        else:
            _max_str(errs, opt, "value", optr, 150)
        if opt.get("description") is not None:
            _text_obj(errs, opt.get("description"), f"{optr}/description", max_len=75, plain_only=plain_only)


def _confirm(errs: _Errors, obj: Any, ptr: str) -> None:
    if obj is None:
        return
    if not isinstance(obj, dict):
        errs.add("expected object", ptr)
        return
    _unknown_keys(errs, obj, _CONFIRM_KEYS, ptr)
    _text_obj(errs, obj.get("title"), f"{ptr}/title", max_len=100, plain_only=True)
    _text_obj(errs, obj.get("text"), f"{ptr}/text", max_len=300)
    _text_obj(errs, obj.get("confirm"), f"{ptr}/confirm", max_len=30, plain_only=True)
    _text_obj(errs, obj.get("deny"), f"{ptr}/deny", max_len=30, plain_only=True)


def _element(errs: _Errors, el: Any, ptr: str, allowed: set[str]) -> None:
    if not isinstance(el, dict):
        errs.add("expected object", ptr)
        return
    kind = el.get("type")
    if kind not in allowed:
        errs.add("failed to match all allowed schemas", ptr)
        return
    _unknown_keys(errs, el, _ELEMENT_KEYS.get(str(kind), set(el)) | {"type", "action_id"}, ptr)
    for key, keys in (("dispatch_action_config", _DISPATCH_CONFIG_KEYS), ("filter", _FILTER_KEYS)):
        if isinstance(el.get(key), dict):
            _unknown_keys(errs, el[key], keys, f"{ptr}/{key}")
    _max_str(errs, el, "action_id", ptr, 255)
    if el.get("placeholder") is not None:
        _text_obj(errs, el.get("placeholder"), f"{ptr}/placeholder", max_len=150, plain_only=True)
    _confirm(errs, el.get("confirm"), f"{ptr}/confirm")
    if kind == "button":
        _text_obj(errs, el.get("text"), f"{ptr}/text", max_len=75, plain_only=True)
        _max_str(errs, el, "value", ptr, 2000)
        _max_str(errs, el, "url", ptr, 3000)
        _max_str(errs, el, "accessibility_label", ptr, 75)
        if el.get("style") is not None and el.get("style") not in ("primary", "danger"):
            errs.add("must be one of: primary, danger", f"{ptr}/style")
    elif kind == "image":
        if not el.get("image_url") and not el.get("slack_file"):
            errs.add("missing required field: image_url", ptr)
        _max_str(errs, el, "alt_text", ptr, 2000)
        if not el.get("alt_text"):
            errs.add("missing required field: alt_text", ptr)
    elif kind in ("static_select", "multi_static_select"):
        if el.get("options") is None and el.get("option_groups") is None:
            errs.add("must provide either options or option_groups", ptr)
        for key in ("options", "option_groups"):
            if isinstance(el.get(key), list) and not el[key]:
                errs.add("must provide at least 1 items", f"{ptr}/{key}")
        if el.get("options") is not None:
            _options(errs, el.get("options"), f"{ptr}/options", max_items=100)
            values = [o.get("value") for o in el["options"] if isinstance(o, dict)]
            init = el.get("initial_option")
            if isinstance(init, dict) and init.get("value") not in values:
                errs.add("must be one of the provided options", f"{ptr}/initial_option")
        groups = el.get("option_groups")
        if isinstance(groups, list):
            if len(groups) > 100:
                errs.add("no more than 100 items allowed", f"{ptr}/option_groups")
            for gi, group in enumerate(groups):
                if isinstance(group, dict):
                    _unknown_keys(errs, group, _OPTION_GROUP_KEYS, f"{ptr}/option_groups/{gi}")
                    _text_obj(errs, group.get("label"), f"{ptr}/option_groups/{gi}/label", max_len=75,
                              plain_only=True)
                    _options(errs, group.get("options"), f"{ptr}/option_groups/{gi}/options", max_items=100)
        if kind == "multi_static_select" and el.get("max_selected_items") is not None:
            mx = el.get("max_selected_items")
            if not isinstance(mx, int) or mx < 1:
                errs.add("must be at least 1", f"{ptr}/max_selected_items")
    elif kind == "overflow":
        opts = el.get("options")
        _options(errs, opts, f"{ptr}/options", max_items=5)
        if isinstance(opts, list) and len(opts) < 1:
            errs.add("must provide at least 1 items", f"{ptr}/options")
    elif kind in ("checkboxes", "radio_buttons"):
        _options(errs, el.get("options"), f"{ptr}/options", max_items=10, plain_only=False)
    elif kind == "plain_text_input":
        for key in ("max_length", "min_length"):
            v = el.get(key)
            if v is not None and (not isinstance(v, int) or v > 3000 or v < 0):
                errs.add("must be less than or equal to 3000", f"{ptr}/{key}")
        _max_str(errs, el, "initial_value", ptr, 3000)
    elif kind == "number_input":
        if "is_decimal_allowed" not in el:
            errs.add("missing required field: is_decimal_allowed", ptr)
    elif kind == "datepicker":
        init = el.get("initial_date")
        if init is not None and (not isinstance(init, str) or len(init) != 10):
            errs.add("must be a valid date in YYYY-MM-DD format", f"{ptr}/initial_date")
    elif kind == "timepicker":
        init = el.get("initial_time")
        if init is not None and (not isinstance(init, str) or len(init) != 5):
            errs.add("must be a valid time in HH:mm format", f"{ptr}/initial_time")


def _check_block(errs: _Errors, block: Any, ptr: str, surface: str) -> None:
    if not isinstance(block, dict):
        errs.add("expected object", ptr)
        return
    kind = block.get("type")
    allowed = MESSAGE_BLOCK_TYPES if surface == "message" else VIEW_BLOCK_TYPES
    if kind not in allowed:
        errs.add("failed to match all allowed schemas", ptr)
        return
    if kind in _BLOCK_KEYS:
        _unknown_keys(errs, block, _BLOCK_KEYS[str(kind)] | {"type", "block_id"}, ptr)
    _max_str(errs, block, "block_id", ptr, 255)
    if kind == "section":
        has_text = block.get("text") is not None
        fields = block.get("fields")
        if not has_text and fields is None:
            errs.add("must provide either text or fields", ptr)
        if has_text:
            _text_obj(errs, block.get("text"), f"{ptr}/text", max_len=3000)
        if fields is not None:
            if not isinstance(fields, list):
                errs.add("expected array", f"{ptr}/fields")
            else:
                if len(fields) > 10:
                    errs.add("no more than 10 items allowed", f"{ptr}/fields")
                for i, f in enumerate(fields):
                    _text_obj(errs, f, f"{ptr}/fields/{i}", max_len=2000)
        if block.get("accessory") is not None:
            _element(errs, block.get("accessory"), f"{ptr}/accessory", ACCESSORY_TYPES)
    elif kind == "header":
        _text_obj(errs, block.get("text"), f"{ptr}/text", max_len=150, plain_only=True)
    elif kind == "context":
        els = block.get("elements")
        if not isinstance(els, list) or not els:
            errs.add("must provide at least 1 items", f"{ptr}/elements")
        else:
            if len(els) > 10:
                errs.add("no more than 10 items allowed", f"{ptr}/elements")
            for i, el in enumerate(els):
                eptr = f"{ptr}/elements/{i}"
                if isinstance(el, dict) and el.get("type") in ("plain_text", "mrkdwn"):
                    _text_obj(errs, el, eptr, max_len=3000)
                else:
                    _element(errs, el, eptr, {"image"})
    elif kind == "actions":
        els = block.get("elements")
        if not isinstance(els, list) or not els:
            errs.add("must provide at least 1 items", f"{ptr}/elements")
        else:
            if len(els) > 25:
                errs.add("no more than 25 items allowed", f"{ptr}/elements")
            seen_ids: set[str] = set()
            for i, el in enumerate(els):
                _element(errs, el, f"{ptr}/elements/{i}", INTERACTIVE_ELEMENT_TYPES)
                aid = el.get("action_id") if isinstance(el, dict) else None
                if aid is not None:
                    if aid in seen_ids:
                        errs.add(f"duplicate action_id: {aid}", f"{ptr}/elements/{i}/action_id")
                    seen_ids.add(aid)
    elif kind == "input":
        if surface == "message" and not block.get("dispatch_action"):
            errs.add("input blocks are only allowed in messages with dispatch_action: true", ptr)
        _text_obj(errs, block.get("label"), f"{ptr}/label", max_len=2000, plain_only=True)
        if block.get("hint") is not None:
            _text_obj(errs, block.get("hint"), f"{ptr}/hint", max_len=2000, plain_only=True)
        if block.get("element") is None:
            errs.add("missing required field: element", ptr)
        else:
            _element(errs, block.get("element"), f"{ptr}/element", INPUT_ELEMENT_TYPES)
    elif kind == "image":
        if not block.get("image_url") and not block.get("slack_file"):
            errs.add("missing required field: image_url", ptr)
        _max_str(errs, block, "image_url", ptr, 3000)
        if not block.get("alt_text"):
            errs.add("missing required field: alt_text", ptr)
        _max_str(errs, block, "alt_text", ptr, 2000)
        if block.get("title") is not None:
            _text_obj(errs, block.get("title"), f"{ptr}/title", max_len=2000, plain_only=True)
    elif kind == "rich_text":
        if not isinstance(block.get("elements"), list):
            errs.add("missing required field: elements", ptr)
    elif kind == "markdown":
        text = block.get("text")
        if not isinstance(text, str) or not text:
            errs.add("missing required field: text", ptr)
        elif len(text) > 12000:
            errs.add("must be less than 12001 characters", f"{ptr}/text")


def _sdk_check(errs: _Errors, block: dict[str, Any], ptr: str) -> None:
    """Second net: slack_sdk's own validation for the block (silent if it doesn't know the type)."""
    previous = _sdk_logger.level
    _sdk_logger.setLevel(logging.CRITICAL)
    try:
        parsed = Block.parse(block)
        if parsed is not None:
            parsed.validate_json()
    except SlackObjectFormationError as exc:
        errs.add(str(exc), ptr)
    except Exception:  # malformed shapes slack_sdk cannot even parse
        errs.add("failed to match all allowed schemas", ptr)
    finally:
        _sdk_logger.setLevel(previous)


def validate_blocks(blocks: Any, *, surface: str = "message", pointer: str = "/blocks") -> list[str]:
    """Validate a list of blocks for a ``message``, ``modal`` or ``home`` surface.

    Returns Slack-style error strings (empty when valid).
    """
    errs = _Errors()
    if not isinstance(blocks, list):
        errs.add("expected array", pointer)
        return errs.items
    limit = MAX_MESSAGE_BLOCKS if surface == "message" else MAX_VIEW_BLOCKS
    if len(blocks) > limit:
        errs.add(f"no more than {limit} items allowed", pointer)
    block_ids: set[str] = set()
    for i, block in enumerate(blocks):
        ptr = f"{pointer}/{i}"
        before = len(errs.items)
        _check_block(errs, block, ptr, "message" if surface == "message" else "view")
        if isinstance(block, dict):
            bid = block.get("block_id")
            if isinstance(bid, str):
                if bid in block_ids:
                    errs.add(f"duplicate block_id: {bid}", f"{ptr}/block_id")
                block_ids.add(bid)
            if len(errs.items) == before:
                _sdk_check(errs, block, ptr)
    return errs.items


# What Slack adds to a view it returns (views.* answers, interaction payloads); not for sending.
RESPONSE_VIEW_KEYS = {"id", "team_id", "state", "hash", "previous_view_id", "root_view_id", "app_id",
                      "app_installed_team_id", "bot_id"}


def validate_view(view: Any, *, as_sent: bool = False) -> list[str]:
    """Validate a view (``modal`` or ``home``) like views.open/update/push/publish do.

    ``as_sent=True`` (what the Web API methods use) refuses the fields only Slack's answers carry
    (``id``, ``hash``, ``state``…); by default a view read back from Slack validates too.
    """
    errs = _Errors()
    if not isinstance(view, dict):
        errs.add("expected object", "/view")
        return errs.items
    kind = view.get("type")
    if kind not in ("modal", "home"):
        errs.add("must be one of: modal, home", "/view/type")
        return errs.items
    _unknown_keys(errs, view, VIEW_KEYS[str(kind)] | (set() if as_sent else RESPONSE_VIEW_KEYS), "/view")
    if kind == "modal":
        if view.get("title") is None:
            errs.add("missing required field: title", "/view")
        else:
            _text_obj(errs, view.get("title"), "/view/title", max_len=24, plain_only=True)
        for key in ("submit", "close"):
            if view.get(key) is not None:
                _text_obj(errs, view.get(key), f"/view/{key}", max_len=24, plain_only=True)
    elif view.get("title") is not None:
        _text_obj(errs, view.get("title"), "/view/title", max_len=24, plain_only=True)
    _max_str(errs, view, "callback_id", "/view", 255)
    _max_str(errs, view, "private_metadata", "/view", 3000)
    _max_str(errs, view, "external_id", "/view", 255)
    blocks = view.get("blocks")
    if blocks is None:
        errs.add("missing required field: blocks", "/view")
        return errs.items
    errs.items.extend(validate_blocks(blocks, surface=kind, pointer="/view/blocks"))
    if (
        kind == "modal"
        and isinstance(blocks, list)
        and any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
        and view.get("submit") is None
    ):
        errs.add("must provide a submit property when using input blocks", "/view")
    return errs.items


# ---------------------------------------------------------------------------------------------
# Flattening


def _text_of(obj: Any) -> str:
    if isinstance(obj, dict):
        text = obj.get("text")
        return text if isinstance(text, str) else ""
    if isinstance(obj, str):
        return obj
    return ""


def _rich_text(elements: Any, out: list[str]) -> None:
    if not isinstance(elements, list):
        return
    for el in elements:
        if not isinstance(el, dict):
            continue
        kind = el.get("type")
        if kind in ("text", "link") and isinstance(el.get("text"), str):
            out.append(el["text"])
        elif kind == "link" and isinstance(el.get("url"), str):
            out.append(el["url"])
        elif kind == "user" and el.get("user_id"):
            out.append(f"<@{el['user_id']}>")
        elif kind == "channel" and el.get("channel_id"):
            out.append(f"<#{el['channel_id']}>")
        elif kind == "emoji" and el.get("name"):
            out.append(f":{el['name']}:")
        if "elements" in el:
            _rich_text(el.get("elements"), out)


def _element_text(el: Any, out: list[str]) -> None:
    if not isinstance(el, dict):
        return
    kind = el.get("type")
    if kind in ("plain_text", "mrkdwn"):
        out.append(_text_of(el))
        return
    if kind == "image":
        return
    if el.get("text") is not None:
        out.append(_text_of(el.get("text")))
    if el.get("placeholder") is not None:
        out.append(_text_of(el.get("placeholder")))
    for opt in el.get("options") or []:
        if isinstance(opt, dict):
            out.append(_text_of(opt.get("text")))
    for group in el.get("option_groups") or []:
        if isinstance(group, dict):
            out.append(_text_of(group.get("label")))
            for opt in group.get("options") or []:
                if isinstance(opt, dict):
                    out.append(_text_of(opt.get("text")))


def flatten_text(blocks: Iterable[Any] | None) -> str:
    """All human-visible text in ``blocks``, one piece per line.

    Covers section text and fields, headers, context, button labels, select/overflow/checkbox/
    radio option texts and placeholders, input labels and hints, image titles, markdown blocks and
    rich_text.
    """
    out: list[str] = []
    for block in blocks or []:
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind in ("section", "header"):
            if block.get("text") is not None:
                out.append(_text_of(block.get("text")))
            for f in block.get("fields") or []:
                out.append(_text_of(f))
            _element_text(block.get("accessory"), out)
        elif kind in ("context", "actions"):
            for el in block.get("elements") or []:
                _element_text(el, out)
        elif kind == "input":
            out.append(_text_of(block.get("label")))
            _element_text(block.get("element"), out)
            if block.get("hint") is not None:
                out.append(_text_of(block.get("hint")))
        elif kind == "image":
            if block.get("title") is not None:
                out.append(_text_of(block.get("title")))
        elif kind == "rich_text":
            _rich_text(block.get("elements"), out)
        elif kind == "markdown":
            out.append(_text_of(block))
    return "\n".join(piece for piece in out if piece)


def view_text(view: dict[str, Any] | None) -> str:
    """Visible text of a view: title, blocks, submit and close labels."""
    if not view:
        return ""
    parts = [_text_of(view.get("title")), flatten_text(view.get("blocks")),
             _text_of(view.get("submit")), _text_of(view.get("close"))]
    return "\n".join(p for p in parts if p)
