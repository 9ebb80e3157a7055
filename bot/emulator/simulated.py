"""Simulated people: they act in "Slack" and send the app what Slack would send.

Each :class:`SimulatedUser` reads what it sees through the :class:`SlackEmulator` and reaches the
app with Slack's real payload shapes, either over HTTP (``POST /slack/events``, signed with the
app's signing secret (``v0`` HMAC) using ``time.time()`` — so a frozen clock signs frozen times)
or over Socket Mode (``transport="socket_mode"``: envelopes on the app's WebSocket).

Slack waits 3 seconds (real time) for an answer. A slower answer is ignored, the person sees
Slack's generic failure, and the emulator records a :class:`~bot.emulator.state.Problem`
(``emu.slow_answers``), which the pytest plugin turns into a failed test.
"""

from __future__ import annotations

import copy
import http.client
import json
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as dtime
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit

from slack_sdk.signature import SignatureVerifier

from bot.emulator.blockkit import flatten_text
from bot.emulator.clock import real_monotonic
from bot.emulator.server import EmulatorError, SlackEmulator
from bot.emulator.socket_mode import EnvelopeType
from bot.emulator.state import Problem, Seen

Signing = Literal["valid", "none", "forged", "stale"]
Transport = Literal["http", "socket_mode"]
SLASH_COMMAND_TIMEOUT_TEXT = '{command} failed with the error "operation_timeout"'
MODAL_TIMEOUT_ERROR = "We had some trouble connecting. Try again?"
STALE_SECONDS = 6 * 60
ACK_DEADLINE_SECONDS = 3.0
REQUIRED_FIELD_ERROR = "Please fill out this field."


@dataclass
class AppResponse:
    """The app's HTTP answer to one request from "Slack"."""

    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)
    elapsed: float = 0.0
    errors: dict[str, str] = field(default_factory=dict)  # response_action=errors (or client-side checks)
    event_id: str | None = None
    sent: bool = True  # False when the Slack client refused to send (e.g. a required field is empty)

    @property
    def json(self) -> Any:
        """The body parsed as JSON, or ``None``."""
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def text(self) -> str:
        """What the person sees from the immediate acknowledgement (text plus flattened blocks)."""
        data = self.json
        if isinstance(data, dict):
            parts = [str(data.get("text") or ""), flatten_text(data.get("blocks"))]
            return "\n".join(p for p in parts if p)
        if data is None:
            return self.body
        return ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def too_slow(self) -> bool:
        """Slack gives up after 3 seconds (the person sees an error; events get retried)."""
        return self.elapsed > ACK_DEADLINE_SECONDS

    @property
    def answered(self) -> bool:
        """Slack received an answer in time: a 2xx within 3 seconds (anything else is ignored)."""
        return self.ok and not self.too_slow


# ---------------------------------------------------------------------------------------------
# Block helpers


def _label(obj: Any) -> str:
    if isinstance(obj, dict):
        return str(obj.get("text") or "")
    return ""


def _label_matches(candidate: str, wanted: str) -> bool:
    if candidate == wanted:
        return True
    def norm(s: str) -> str:
        return s.strip().rstrip("*").strip().casefold()
    return norm(candidate) == norm(wanted)


def find_button(blocks: Iterable[Any] | None, label: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The first ``(block, button)`` whose visible label is ``label`` (exact, then case-insensitive)."""
    candidates: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for block in blocks or []:
        if not isinstance(block, dict):
            continue
        elements: list[Any] = []
        if block.get("type") == "actions":
            elements = list(block.get("elements") or [])
        elif isinstance(block.get("accessory"), dict):
            elements = [block["accessory"]]
        for el in elements:
            if isinstance(el, dict) and el.get("type") in ("button", "workflow_button"):
                candidates.append((block, el))
    for block, el in candidates:
        if _label(el.get("text")) == label:
            return block, el
    for block, el in candidates:
        if _label_matches(_label(el.get("text")), label):
            return block, el
    return None


def button_labels(blocks: Iterable[Any] | None) -> list[str]:
    out: list[str] = []
    for block in blocks or []:
        if not isinstance(block, dict):
            continue
        elements = block.get("elements") if block.get("type") == "actions" else [block.get("accessory")]
        for el in elements or []:
            if isinstance(el, dict) and el.get("type") == "button":
                out.append(_label(el.get("text")))
    return out


def find_input(view: Mapping[str, Any], label: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The ``(input block, element)`` whose label is ``label`` in a view."""
    inputs = [b for b in view.get("blocks") or [] if isinstance(b, dict) and b.get("type") == "input"]
    for b in inputs:
        if _label(b.get("label")) == label:
            return b, b["element"]
    for b in inputs:
        if _label_matches(_label(b.get("label")), label):
            return b, b["element"]
    return None


def _find_accessory_control(view: Mapping[str, Any], label: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """A select/radio/checkbox outside input blocks: a section accessory (by section text) or an
    actions element (by placeholder)."""
    for b in view.get("blocks") or []:
        if not isinstance(b, dict):
            continue
        if (
            b.get("type") == "section"
            and isinstance(b.get("accessory"), dict)
            and _label_matches(_label(b.get("text")), label)
            and b["accessory"].get("type") != "button"
        ):
            return b, b["accessory"]
        if b.get("type") == "actions":
            for el in b.get("elements") or []:
                if isinstance(el, dict) and el.get("type") != "button" and (
                    _label_matches(_label(el.get("placeholder")), label)
                ):
                    return b, el
    return None


def _all_options(el: Mapping[str, Any]) -> list[dict[str, Any]]:
    opts = [o for o in el.get("options") or [] if isinstance(o, dict)]
    for group in el.get("option_groups") or []:
        if isinstance(group, dict):
            opts.extend(o for o in group.get("options") or [] if isinstance(o, dict))
    return opts


def _option(el: Mapping[str, Any], wanted: Any) -> dict[str, Any]:
    if isinstance(wanted, dict):
        return dict(wanted)
    opts = _all_options(el)
    for matcher in (
        lambda o: _label(o.get("text")) == str(wanted),
        lambda o: _label_matches(_label(o.get("text")), str(wanted)),
        lambda o: o.get("value") == str(wanted),
    ):
        for o in opts:
            if matcher(o):
                return {k: copy.deepcopy(v) for k, v in o.items() if k in ("text", "value", "description")}
    raise LookupError(f"no option {wanted!r}; options are {[_label(o.get('text')) for o in opts]}")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        return list(value)
    return [value]


def state_value(el: Mapping[str, Any], value: Any) -> dict[str, Any]:
    """The ``state.values`` entry Slack sends for ``el`` after the person entered ``value``."""
    t = str(el.get("type"))
    if t in ("plain_text_input", "email_text_input", "url_text_input", "number_input"):
        return {"type": t, "value": None if value is None else str(value)}
    if t in ("static_select", "external_select", "radio_buttons"):
        return {"type": t, "selected_option": None if value is None else _option(el, value)}
    if t in ("multi_static_select", "multi_external_select"):
        return {"type": t, "selected_options": [_option(el, v) for v in _as_list(value)]}
    if t == "checkboxes":
        if value is True:
            chosen = [_option(el, o) for o in _all_options(el)]
        elif value is False or value is None:
            chosen = []
        else:
            chosen = [_option(el, v) for v in _as_list(value)]
        return {"type": t, "selected_options": chosen}
    if t == "users_select":
        return {"type": t, "selected_user": value}
    if t == "multi_users_select":
        return {"type": t, "selected_users": _as_list(value)}
    if t == "conversations_select":
        return {"type": t, "selected_conversation": value}
    if t == "multi_conversations_select":
        return {"type": t, "selected_conversations": _as_list(value)}
    if t == "channels_select":
        return {"type": t, "selected_channel": value}
    if t == "multi_channels_select":
        return {"type": t, "selected_channels": _as_list(value)}
    if t == "datepicker":
        if isinstance(value, (date, datetime)):
            value = value.strftime("%Y-%m-%d")
        return {"type": t, "selected_date": value}
    if t == "timepicker":
        if isinstance(value, (dtime, datetime)):
            value = value.strftime("%H:%M")
        return {"type": t, "selected_time": value}
    if t == "datetimepicker":
        if isinstance(value, datetime):
            value = int(value.timestamp())
        return {"type": t, "selected_date_time": value}
    if t == "rich_text_input":
        rich = None if value is None else {"type": "rich_text", "elements": [
            {"type": "rich_text_section", "elements": [{"type": "text", "text": str(value)}]}]}
        return {"type": t, "rich_text_value": rich}
    raise LookupError(f"cannot fill an element of type {t}")


def initial_state(el: Mapping[str, Any]) -> dict[str, Any]:
    """What Slack sends for an input the person did not touch (initial value or empty)."""
    t = str(el.get("type"))
    if t in ("plain_text_input", "email_text_input", "url_text_input", "number_input"):
        return {"type": t, "value": el.get("initial_value")}
    if t in ("static_select", "external_select", "radio_buttons"):
        return {"type": t, "selected_option": el.get("initial_option")}
    if t in ("multi_static_select", "multi_external_select", "checkboxes"):
        return {"type": t, "selected_options": list(el.get("initial_options") or [])}
    simple: dict[str, tuple[str, str, Any]] = {
        "users_select": ("selected_user", "initial_user", None),
        "multi_users_select": ("selected_users", "initial_users", []),
        "conversations_select": ("selected_conversation", "initial_conversation", None),
        "multi_conversations_select": ("selected_conversations", "initial_conversations", []),
        "channels_select": ("selected_channel", "initial_channel", None),
        "multi_channels_select": ("selected_channels", "initial_channels", []),
        "datepicker": ("selected_date", "initial_date", None),
        "timepicker": ("selected_time", "initial_time", None),
        "datetimepicker": ("selected_date_time", "initial_date_time", None),
        "rich_text_input": ("rich_text_value", "initial_value", None),
        "file_input": ("files", "", []),
    }
    if t in simple:
        key, initial_key, empty = simple[t]
        return {"type": t, key: el.get(initial_key, empty) if initial_key else empty}
    return {"type": t}


def _is_empty(value: Mapping[str, Any]) -> bool:
    payload = [v for k, v in value.items() if k != "type"]
    return all(v in (None, "", [], {}) for v in payload)


# ---------------------------------------------------------------------------------------------


class SimulatedUser:
    """A person using Slack, whose actions reach the app as signed HTTP requests.

    ``signing`` chooses how requests are signed: ``"valid"``, ``"none"`` (no signature headers),
    ``"forged"`` (wrong signature) or ``"stale"`` (valid signature over a timestamp 6 minutes old).
    """

    def __init__(
        self,
        emu: SlackEmulator,
        app_url: str,
        signing_secret: str,
        user_id: str,
        *,
        timeout: float = 10.0,
        signing: Signing = "valid",
        transport: Transport = "http",
    ) -> None:
        self.emu = emu
        self.app_url = app_url
        self.signing_secret = signing_secret
        self.user_id = user_id
        self.timeout = timeout
        self.signing: Signing = signing
        self.transport: Transport = transport
        self.last_response: AppResponse | None = None
        self.last_errors: dict[str, str] = {}
        self._last_error_view: dict[str, Any] | None = None

    # -- variants ---------------------------------------------------------------------------

    def _variant(self, signing: Signing) -> SimulatedUser:
        return SimulatedUser(self.emu, self.app_url, self.signing_secret, self.user_id,
                             timeout=self.timeout, signing=signing, transport=self.transport)

    def via_socket_mode(self) -> SimulatedUser:
        """The same person, reaching the app over its Socket Mode connection instead of HTTP."""
        return SimulatedUser(self.emu, self.app_url, self.signing_secret, self.user_id,
                             timeout=self.timeout, signing=self.signing, transport="socket_mode")

    def unsigned(self) -> SimulatedUser:
        """The same person, but requests carry no signature headers."""
        return self._variant("none")

    def forged(self) -> SimulatedUser:
        """The same person, but requests carry a wrong signature."""
        return self._variant("forged")

    def stale(self) -> SimulatedUser:
        """The same person, but requests are signed with a timestamp 6 minutes in the past."""
        return self._variant("stale")

    # -- identity -----------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.emu.user(self.user_id).name

    def _user_obj(self) -> dict[str, Any]:
        u = self.emu.user(self.user_id)
        return {"id": u.id, "username": u.name, "name": u.name, "team_id": self.emu.team_id}

    def _team(self) -> dict[str, Any]:
        return {"id": self.emu.team_id, "domain": self.emu.team_domain}

    # -- transport ------------------------------------------------------------------------------

    def _headers(self, body: bytes, content_type: str) -> dict[str, str]:
        headers = {"Content-Type": content_type, "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)"}
        if self.signing == "none":
            return headers
        now = int(time.time())
        timestamp = str(now - STALE_SECONDS if self.signing == "stale" else now)
        signature = SignatureVerifier(self.signing_secret).generate_signature(timestamp=timestamp, body=body)
        if self.signing == "forged":
            signature = "v0=" + "0" * 64
        headers["X-Slack-Request-Timestamp"] = timestamp
        headers["X-Slack-Signature"] = signature or ""
        return headers

    def post_raw(self, body: bytes, content_type: str, extra_headers: Mapping[str, str] | None = None
                 ) -> AppResponse:
        """POST ``body`` to the app exactly as Slack would (signed per ``self.signing``)."""
        parts = urlsplit(self.app_url)
        headers = self._headers(body, content_type)
        if extra_headers:
            headers.update(extra_headers)
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=self.timeout)
        started = real_monotonic()  # real time: Slack's deadline does not freeze with the app's clock
        try:
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            conn.request("POST", path or "/", body=body, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
            result = AppResponse(
                status=resp.status, body=raw.decode("utf-8", "replace"),
                headers={k: v for k, v in resp.getheaders()}, elapsed=real_monotonic() - started,
            )
        finally:
            conn.close()
        self.last_response = result
        return result

    def _post_form(self, form: Mapping[str, str]) -> AppResponse:
        if self.transport == "socket_mode":
            return self.send_socket_mode("slash_commands", dict(form), accepts_response_payload=True)
        return self.post_raw(urlencode(form).encode(), "application/x-www-form-urlencoded")

    def _post_payload(self, payload: Mapping[str, Any]) -> AppResponse:
        kind = str(payload.get("type"))
        if self.transport == "socket_mode":
            # Slack takes an answer payload only where one means something (response_action, options).
            accepts = kind in ("view_submission", "block_suggestion")
            res = self.send_socket_mode("interactive", dict(payload), accepts_response_payload=accepts)
        else:
            res = self.post_raw(urlencode({"payload": json.dumps(payload)}).encode(),
                                "application/x-www-form-urlencoded")
        if kind != "view_submission":  # submit() applies its own rules
            name = payload.get("callback_id") or next(
                (a.get("action_id") for a in payload.get("actions") or [] if isinstance(a, dict)), "")
            self._late(res, f"{kind} {name}".strip(),
                       "the person saw Slack's warning that the app did not respond")
        return res

    def send_socket_mode(self, kind: EnvelopeType, payload: dict[str, Any], *, accepts_response_payload: bool,
                         retry_attempt: int = 0, retry_reason: str = "") -> AppResponse:
        """Deliver an envelope over the app's Socket Mode connection and wait for its ack.

        The answer looks like an HTTP one: status 200 with the ack's payload as the JSON body, or
        status 0 when the app never acknowledged within ``timeout``.
        """
        ack, elapsed = self.emu.socket_mode.deliver(
            kind, payload, accepts_response_payload=accepts_response_payload, timeout=self.timeout,
            retry_attempt=retry_attempt, retry_reason=retry_reason)
        if ack is None:
            result = AppResponse(status=0, body="", elapsed=elapsed)
        else:
            body = json.dumps(ack.payload) if ack.payload else ""
            result = AppResponse(status=200, body=body, elapsed=ack.elapsed)
        self.last_response = result
        return result

    def _late(self, res: AppResponse, request: str, detail: str) -> bool:
        """Whether Slack gave up waiting for this answer (over 3 seconds, or no Socket Mode ack at
        all); if so, record it as a problem (``emu.slow_answers``)."""
        late = res.sent and (res.too_slow or (self.transport == "socket_mode" and res.status == 0))
        if late:
            answer = f"answered after {res.elapsed:.2f}s" if res.status else f"no answer in {res.elapsed:.2f}s"
            self.emu.record_problem(Problem(kind="slow_answer", user_id=self.user_id, request=request,
                                            elapsed=res.elapsed, detail=f"{answer}; {detail}",
                                            transport=self.transport))
        return late

    def _base_interaction(self, kind: str) -> dict[str, Any]:
        return {
            "type": kind, "user": self._user_obj(), "api_app_id": self.emu.app_id,
            "token": self.emu.verification_token, "team": self._team(), "enterprise": None,
            "is_enterprise_install": False,
        }

    # -- slash commands --------------------------------------------------------------------------

    def command(self, command: str, text: str = "", *, channel_id: str | None = None) -> AppResponse:
        """Run a slash command (in the person's DM with the app unless ``channel_id`` is given)."""
        channel = channel_id or self.emu.open_im(self.user_id)
        conv = self.emu.conversation(channel)
        if conv is None:
            channel_name = "unknown"
        elif conv.kind == "im":
            channel_name = "directmessage"
        elif conv.kind == "mpim":
            channel_name = "mpdm"
        elif conv.kind == "private":
            channel_name = "privategroup"
        else:
            channel_name = conv.name
        form = {
            "token": self.emu.verification_token, "team_id": self.emu.team_id,
            "team_domain": self.emu.team_domain, "channel_id": channel, "channel_name": channel_name,
            "user_id": self.user_id, "user_name": self.name, "command": command if command.startswith("/")
            else "/" + command, "text": text, "api_app_id": self.emu.app_id, "is_enterprise_install": "false",
            "response_url": self.emu.new_response_url(self.user_id, channel),
            "trigger_id": self.emu.issue_trigger_id(self.user_id),
        }
        res = self._post_form(form)
        shown = SLASH_COMMAND_TIMEOUT_TEXT.format(command=form["command"])
        if self._late(res, f"slash_command {form['command']} {text}".strip(), f"the person saw: {shown}"):
            self.emu.show_slack_error(self.user_id, channel, shown)  # and the late answer is ignored
            return res
        if res.ok and res.body.strip():
            data = res.json
            if isinstance(data, dict):
                if data.get("text") or data.get("blocks"):
                    self.emu.record_ack_message(
                        self.user_id, channel, str(data.get("text") or ""), data.get("blocks"),
                        in_channel=data.get("response_type") == "in_channel",
                    )
            else:
                self.emu.record_ack_message(self.user_id, channel, res.body)
        return res

    # -- clicking ----------------------------------------------------------------------------------

    def click(self, label: str, in_message: Seen | None = None, *, in_view: str | None = None) -> AppResponse:
        """Click the button labelled ``label``.

        Looks in the open modal, then the home tab, then the most recent visible message with such a
        button (or only in ``in_message`` / the view ``in_view`` when given).
        """
        if in_message is not None:
            found = find_button(in_message.blocks, label)
            if found is None:
                raise LookupError(f"no button {label!r} in that message; buttons: {button_labels(in_message.blocks)}")
            return self._click_message(in_message, *found)
        views: list[dict[str, Any]] = []
        if in_view is not None:
            v = self.emu.view(in_view)
            if v is None:
                raise LookupError(f"no view {in_view}")
            views.append(v)
        else:
            for v_opt in (self.emu.open_view(self.user_id), self.emu.home_view(self.user_id)):
                if v_opt is not None:
                    views.append(v_opt)
        for v in views:
            found = find_button(v.get("blocks"), label)
            if found is not None:
                return self._send_view_action(v, found[0], self._button_action(*found))
        if in_view is None:
            for seen in reversed(self.emu.seen_by(self.user_id)):
                found = find_button(seen.blocks, label)
                if found is not None:
                    return self._click_message(seen, *found)
        visible = [*(lbl for v in views for lbl in button_labels(v.get("blocks"))),
                   *(lbl for s in self.emu.seen_by(self.user_id) for lbl in button_labels(s.blocks))]
        raise LookupError(f"{self.name} sees no button labelled {label!r}; visible buttons: {visible}")

    @staticmethod
    def _button_action(block: Mapping[str, Any], el: Mapping[str, Any]) -> dict[str, Any]:
        action: dict[str, Any] = {
            "action_id": el.get("action_id"), "block_id": block.get("block_id"), "text": el.get("text"),
            "type": "button", "action_ts": f"{time.time():.6f}",
        }
        if "value" in el:
            action["value"] = el["value"]
        if "style" in el:
            action["style"] = el["style"]
        return action

    def _click_message(self, seen: Seen, block: Mapping[str, Any], el: Mapping[str, Any]) -> AppResponse:
        return self._send_message_action(seen, self._button_action(block, el))

    def _send_message_action(self, seen: Seen, action: dict[str, Any]) -> AppResponse:
        is_ephemeral = seen.kind == "ephemeral"
        conv = self.emu.conversation(seen.channel)
        payload = self._base_interaction("block_actions")
        payload.update({
            "container": {"type": "message", "message_ts": seen.ts, "channel_id": seen.channel,
                          "is_ephemeral": is_ephemeral},
            "trigger_id": self.emu.issue_trigger_id(self.user_id),
            "channel": {"id": seen.channel, "name": "directmessage" if conv is None or conv.kind == "im"
                        else conv.name},
            "state": {"values": {}},
            "response_url": self.emu.new_response_url(self.user_id, seen.channel, message_ts=seen.ts,
                                                      original_ephemeral=is_ephemeral),
            "actions": [action],
        })
        if not is_ephemeral and seen.message is not None:
            payload["message"] = self.emu.message_json(seen.message)
        return self._post_payload(payload)

    def _view_payload(self, view: Mapping[str, Any], values: Mapping[str, Any] | None = None) -> dict[str, Any]:
        out = {k: copy.deepcopy(v) for k, v in view.items() if not k.startswith("_")}
        if values is not None:
            out["state"] = {"values": copy.deepcopy(dict(values))}
        return out

    def _send_view_action(self, view: Mapping[str, Any], block: Mapping[str, Any], action: dict[str, Any]
                          ) -> AppResponse:
        payload = self._base_interaction("block_actions")
        payload.update({
            "container": {"type": "view", "view_id": view["id"]},
            "trigger_id": self.emu.issue_trigger_id(self.user_id),
            "view": self._view_payload(view),
            "actions": [action],
        })
        return self._post_payload(payload)

    # -- modal inputs ------------------------------------------------------------------------------

    def _require_modal(self) -> dict[str, Any]:
        view = self.emu.open_view(self.user_id)
        if view is None:
            raise EmulatorError(f"{self.name} has no modal open")
        return view

    def choose(self, label: str, option: Any) -> AppResponse | None:
        """Pick ``option`` (by its text) in the select/radio labelled ``label`` in the open modal (or home).

        Only client-side state changes unless the element dispatches actions (``dispatch_action`` on
        the input, or any select outside input blocks), in which case ``block_actions`` is sent.
        """
        view = self.emu.open_view(self.user_id)
        views = [v for v in (view, self.emu.home_view(self.user_id)) if v is not None]
        for v in views:
            found = find_input(v, label)
            dispatch = False
            if found is not None:
                dispatch = bool(found[0].get("dispatch_action"))
            else:
                found = _find_accessory_control(v, label)
                dispatch = found is not None
            if found is None:
                continue
            block, el = found
            value = state_value(el, option)
            self.emu.set_view_state(v["id"], str(block.get("block_id")), str(el.get("action_id")), value)
            if dispatch:
                fresh = self.emu.view(v["id"]) or v
                action = {"action_id": el.get("action_id"), "block_id": block.get("block_id"),
                          "action_ts": f"{time.time():.6f}", **value}
                return self._send_view_action(fresh, block, action)
            return None
        raise LookupError(f"no input labelled {label!r} in {self.name}'s open modal or home tab")

    def fill(self, values: Mapping[str, Any]) -> list[AppResponse]:
        """Fill inputs of the open modal by their labels. Returns answers to any dispatched actions."""
        view = self._require_modal()
        responses: list[AppResponse] = []
        for label, value in values.items():
            found = find_input(view, label)
            if found is None:
                labels = [_label(b.get("label")) for b in view.get("blocks") or []
                          if isinstance(b, dict) and b.get("type") == "input"]
                raise LookupError(f"no input labelled {label!r} in the open modal; inputs: {labels}")
            block, el = found
            state = state_value(el, value)
            self.emu.set_view_state(view["id"], str(block.get("block_id")), str(el.get("action_id")), state)
            if block.get("dispatch_action"):
                fresh = self.emu.view(view["id"]) or view
                action = {"action_id": el.get("action_id"), "block_id": block.get("block_id"),
                          "action_ts": f"{time.time():.6f}", **state}
                responses.append(self._send_view_action(fresh, block, action))
        return responses

    def _submission_values(self, view: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        stored: dict[str, dict[str, Any]] = copy.deepcopy(view.get("state", {}).get("values", {}))
        for block in view.get("blocks") or []:
            if not isinstance(block, dict) or block.get("type") != "input":
                continue
            bid, el = str(block.get("block_id")), block.get("element") or {}
            aid = str(el.get("action_id"))
            if aid not in stored.get(bid, {}):
                stored.setdefault(bid, {})[aid] = initial_state(el)
        return stored

    def _client_side_errors(self, view: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, str]:
        errors: dict[str, str] = {}
        for block in view.get("blocks") or []:
            if not isinstance(block, dict) or block.get("type") != "input":
                continue
            bid, el = str(block.get("block_id")), block.get("element") or {}
            value = values.get(bid, {}).get(str(el.get("action_id")), {})
            if _is_empty(value):
                if not block.get("optional"):
                    errors[bid] = REQUIRED_FIELD_ERROR
                continue
            text = value.get("value")
            if isinstance(text, str):
                if el.get("min_length") and len(text) < int(el["min_length"]):
                    errors[bid] = f"Must be at least {el['min_length']} characters."
                if el.get("max_length") and len(text) > int(el["max_length"]):
                    errors[bid] = f"Must be at most {el['max_length']} characters."
        return errors

    def submit(self, *, force: bool = False) -> AppResponse:
        """Press the modal's submit button and apply the app's answer to the modal stack.

        Like Slack's client, refuses (without sending) when a required input is empty unless ``force``.
        """
        view = self._require_modal()
        if view.get("submit") is None and not force:
            raise EmulatorError("this modal has no submit button")
        values = self._submission_values(view)
        client_errors = self._client_side_errors(view, values)
        if client_errors and not force:
            res = AppResponse(status=0, body="", errors=client_errors, sent=False)
            self._remember_errors(view, client_errors)
            self.last_response = res
            return res
        payload = self._base_interaction("view_submission")
        payload.update({
            "trigger_id": self.emu.issue_trigger_id(self.user_id),
            "view": self._view_payload(view, values),
            "response_urls": [],
        })
        res = self._post_payload(payload)
        self._remember_errors(view, {})
        if self._late(res, f"view_submission {view.get('callback_id') or view['id']}",
                      f"the modal stayed open showing: {MODAL_TIMEOUT_ERROR}"):
            return res  # Slack ignores a late answer: the modal stays open with its generic error
        if not res.ok:
            return res
        data = res.json if res.body.strip() else None
        if not isinstance(data, dict) or not data.get("response_action"):
            self.emu.pop_view(self.user_id, view["id"])
            return res
        action = data.get("response_action")
        if action == "errors":
            res.errors = {str(k): str(v) for k, v in (data.get("errors") or {}).items()}
            self._remember_errors(view, res.errors)
        elif action == "update":
            self.emu.update_top_view(self.user_id, data.get("view") or {})
        elif action == "push":
            self.emu.push_view(self.user_id, data.get("view") or {})
        elif action == "clear":
            self.emu.clear_views(self.user_id)
        else:
            raise EmulatorError(f"unknown response_action {action!r}")
        return res

    def _remember_errors(self, view: Mapping[str, Any], errors: Mapping[str, str]) -> None:
        self.last_errors = dict(errors)
        self._last_error_view = dict(view)
        self.emu.set_view_errors(str(view["id"]), errors)

    def errors_by_label(self) -> dict[str, str]:
        """The last submission's errors keyed by the input labels the person sees."""
        if not self._last_error_view:
            return {}
        labels = {str(b.get("block_id")): _label(b.get("label")) for b in self._last_error_view.get("blocks") or []
                  if isinstance(b, dict)}
        return {labels.get(bid) or bid: msg for bid, msg in self.last_errors.items()}

    def close_modal(self) -> AppResponse | None:
        """Press Cancel/close: sends ``view_closed`` if the view asked for it, then closes it."""
        view = self._require_modal()
        res: AppResponse | None = None
        if view.get("notify_on_close"):
            payload = self._base_interaction("view_closed")
            payload.update({"view": self._view_payload(view), "is_cleared": bool(view.get("clear_on_close"))})
            res = self._post_payload(payload)
        if view.get("clear_on_close"):
            self.emu.clear_views(self.user_id)
        else:
            self.emu.pop_view(self.user_id, view["id"])
        return res

    # -- events and shortcuts ------------------------------------------------------------------------

    def send_event(self, event: Mapping[str, Any], event_id: str | None = None, retry_num: int | None = None,
                   retry_reason: str = "http_timeout") -> AppResponse:
        """Deliver an Events API ``event_callback``; pass the same ``event_id`` and a ``retry_num`` to
        redeliver it the way Slack retries."""
        now = int(time.time())
        eid = event_id or "Ev" + uuid.uuid4().hex[:10].upper()
        envelope = {
            "token": self.emu.verification_token, "team_id": self.emu.team_id, "api_app_id": self.emu.app_id,
            "event": dict(event), "type": "event_callback", "event_id": eid, "event_time": now,
            "authorizations": [{"enterprise_id": None, "team_id": self.emu.team_id,
                                "user_id": self.emu.bot_user_id, "is_bot": True, "is_enterprise_install": False}],
            "is_ext_shared_channel": False, "event_context": "4-" + uuid.uuid4().hex,
        }
        extra: dict[str, str] = {}
        if retry_num is not None:
            extra = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        if self.transport == "socket_mode":
            res = self.send_socket_mode("events_api", envelope, accepts_response_payload=False,
                                        retry_attempt=retry_num or 0, retry_reason=retry_reason if retry_num else "")
        else:
            res = self.post_raw(json.dumps(envelope).encode(), "application/json", extra)
        res.event_id = eid
        self._late(res, f"event {event.get('type')}", "Slack would deliver the event again (a retry)")
        return res

    def open_home(self) -> AppResponse:
        """Open the app's Home tab (``app_home_opened``)."""
        channel = self.emu.open_im(self.user_id)
        event: dict[str, Any] = {"type": "app_home_opened", "user": self.user_id, "channel": channel,
                                 "tab": "home", "event_ts": f"{time.time():.6f}"}
        home = self.emu.home_view(self.user_id)
        if home is not None:
            event["view"] = home
        return self.send_event(event)

    def say(self, text: str, channel_id: str | None = None) -> AppResponse:
        """Type a message (in the DM with the app by default): recorded, and sent as a ``message`` event."""
        channel = channel_id or self.emu.open_im(self.user_id)
        msg = self.emu.user_message(self.user_id, channel, text)
        conv = self.emu.conversation(channel)
        kind = {"im": "im", "mpim": "mpim", "private": "group"}.get(conv.kind if conv else "", "channel")
        return self.send_event({
            "type": "message", "channel": channel, "user": self.user_id, "text": text, "ts": msg.ts,
            "event_ts": msg.ts, "channel_type": kind, "team": self.emu.team_id,
            "client_msg_id": str(uuid.uuid4()),
        })

    def shortcut(self, callback_id: str) -> AppResponse:
        """Run a global shortcut."""
        payload = self._base_interaction("shortcut")
        payload.update({"callback_id": callback_id, "trigger_id": self.emu.issue_trigger_id(self.user_id),
                        "action_ts": f"{time.time():.6f}"})
        return self._post_payload(payload)

    # -- what this person sees -----------------------------------------------------------------------

    def seen(self) -> list[Seen]:
        """Every message this person can see, oldest first."""
        return self.emu.seen_by(self.user_id)

    def dms(self) -> list[Seen]:
        """Messages (and ephemerals) in this person's DM with the app."""
        im = self.emu.im_channel(self.user_id)
        return [s for s in self.seen() if s.channel == im]

    def last_message(self) -> Seen | None:
        seen = self.seen()
        return seen[-1] if seen else None

    @property
    def modal(self) -> dict[str, Any] | None:
        """The modal on top of this person's stack."""
        return self.emu.open_view(self.user_id)

    @property
    def home(self) -> dict[str, Any] | None:
        return self.emu.home_view(self.user_id)
