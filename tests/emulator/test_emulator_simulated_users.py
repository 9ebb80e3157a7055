"""Simulated users driving a tiny real Bolt app over signed HTTP, against the emulator."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from freezegun import freeze_time
from slack_bolt import Ack, App, BoltRequest, Respond
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from bot.emulator import SimulatedUser, SlackEmulator

SECRET = "emulator-signing-secret"


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text}, "value": value}


def _input(block_id: str, label: str, element: dict[str, Any], optional: bool = False) -> dict[str, Any]:
    return {"type": "input", "block_id": block_id, "label": {"type": "plain_text", "text": label},
            "element": element, "optional": optional}


JOIN_MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "join",
    "title": {"type": "plain_text", "text": "Join the programme"},
    "submit": {"type": "plain_text", "text": "Join"},
    "notify_on_close": True,
    "private_metadata": "programme-7",
    "blocks": [
        _input("org", "Organisation", {"type": "plain_text_input", "action_id": "v"}),
        _input("role", "Role", {"type": "static_select", "action_id": "v",
                                "options": [_option("Mentor", "mentor"), _option("Mentee", "mentee")]}),
        _input("topics", "Topics", {"type": "multi_static_select", "action_id": "v", "options": [
            _option("Gender", "gender"), _option("Disability", "disability"), _option("Race", "race")]}),
        _input("manager", "Line manager", {"type": "users_select", "action_id": "v"}),
        _input("consent", "I have read", {"type": "checkboxes", "action_id": "v",
                                          "options": [_option("I have read the guide", "yes")]}),
        _input("notes", "Notes", {"type": "plain_text_input", "action_id": "v", "multiline": True}, optional=True),
    ],
}


def _home(joined: bool) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": "Reverse mentoring"}}]
    if joined:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "You are in the programme."}})
    else:
        blocks.append({"type": "actions", "elements": [
            {"type": "button", "action_id": "home_join", "text": {"type": "plain_text", "text": "Join"}}]})
    return {"type": "home", "blocks": blocks}


WIZARD: dict[str, Any] = {
    "type": "modal",
    "callback_id": "step1",
    "title": {"type": "plain_text", "text": "Wizard"},
    "submit": {"type": "plain_text", "text": "Next"},
    "blocks": [{**_input("programme", "Programme", {"type": "static_select", "action_id": "pick", "options": [
        _option("Spring", "spring"), _option("Autumn", "autumn")]}), "dispatch_action": True}],
}


def _step2() -> dict[str, Any]:
    return {"type": "modal", "callback_id": "step2", "title": {"type": "plain_text", "text": "Step 2"},
            "submit": {"type": "plain_text", "text": "Finish"},
            "blocks": [_input("why", "Why", {"type": "plain_text_input", "action_id": "v"})]}


def build_app(emu: SlackEmulator, log: dict[str, Any], process_before_response: bool = True) -> App:
    client = WebClient(token=emu.bot_token, base_url=emu.api_url)
    app = App(signing_secret=SECRET, client=client, process_before_response=process_before_response)
    joined: set[str] = set()
    seen_events: set[str] = set()

    @app.command("/mentoring")
    def mentoring(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        if command["text"].strip() == "help":
            ack(text="Use /mentoring join to join a programme.")
            return
        ack()
        view = WIZARD if command["text"].strip() == "wizard" else JOIN_MODAL
        client.views_open(trigger_id=command["trigger_id"], view=view)

    @app.action("pick")
    def pick(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        picked = body["actions"][0]["selected_option"]["text"]["text"]
        view = {**WIZARD, "blocks": [*WIZARD["blocks"], {
            "type": "section", "block_id": "picked", "text": {"type": "mrkdwn", "text": f"You picked {picked}"}}]}
        client.views_update(view_id=body["view"]["id"], hash=body["view"]["hash"], view=view)

    @app.view("step1")
    def step1(ack: Ack) -> None:
        ack(response_action="push", view=_step2())

    @app.view("step2")
    def step2(ack: Ack, view: dict[str, Any]) -> None:
        if view["state"]["values"]["why"]["v"]["value"] == "clear":
            ack(response_action="clear")
        else:
            ack(response_action="update", view={"type": "modal", "callback_id": "done",
                                                "title": {"type": "plain_text", "text": "Thanks"},
                                                "blocks": [{"type": "section",
                                                            "text": {"type": "mrkdwn", "text": "All done"}}]})

    @app.action("home_join")
    def home_join(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        log["home_join_container"] = body["container"]
        client.views_open(trigger_id=body["trigger_id"], view=JOIN_MODAL)

    @app.view("join")
    def join(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        values = view["state"]["values"]
        log["submitted"] = values
        log["metadata"] = view["private_metadata"]
        org = values["org"]["v"]["value"]
        if org.strip().lower() == "bad":
            ack(response_action="errors", errors={"org": "We don't know that organisation."})
            return
        ack()
        user = body["user"]["id"]
        joined.add(user)
        role = values["role"]["v"]["selected_option"]["text"]["text"]
        client.chat_postMessage(channel=user, text=f"Welcome! You joined as {role}.", blocks=[
            {"type": "section", "text": {"type": "mrkdwn", "text": f"Welcome! You joined as *{role}*."}},
            {"type": "actions", "elements": [{"type": "button", "action_id": "schedule", "value": "s1",
                                              "text": {"type": "plain_text", "text": "Schedule first session"}}]},
        ])
        client.views_publish(user_id=user, view=_home(True))

    @app.view_closed("join")
    def closed(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        log["closed"] = body["view"]["id"]

    @app.action("schedule")
    def schedule(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        log["schedule_action"] = body["actions"][0]
        log["schedule_message"] = body.get("message", {}).get("text")
        respond(text="Your first session is booked.", replace_original=False)

    @app.event("app_home_opened")
    def home_opened(event: dict[str, Any], body: dict[str, Any], client: WebClient, request: BoltRequest) -> None:
        log.setdefault("retry_headers", []).append(next(iter(request.headers.get("x-slack-retry-num") or []), None))
        if body["event_id"] in seen_events:
            return
        seen_events.add(body["event_id"])
        client.views_publish(user_id=event["user"], view=_home(event["user"] in joined))

    @app.shortcut("start_mentoring")
    def shortcut(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=JOIN_MODAL)

    return app


@pytest.fixture
def log() -> dict[str, Any]:
    return {}


@contextmanager
def serve(app: App) -> Iterator[str]:
    """Serve a Bolt app over HTTP (wsgiref, threaded); yields its /slack/events URL."""
    handler = SlackRequestHandler(app)
    server = make_server("127.0.0.1", 0, handler, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/slack/events"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def app_url(emu: SlackEmulator, log: dict[str, Any]) -> Iterator[str]:
    with serve(build_app(emu, log)) as url:
        yield url


@pytest.fixture
def people(emu: SlackEmulator, app_url: str) -> tuple[SimulatedUser, str]:
    manager = emu.add_user(name="grace", real_name="Grace Hopper", title="Director")
    amara = emu.add_user(name="amara", real_name="Amara Okafor", title="Analyst")
    return SimulatedUser(emu, app_url, SECRET, amara), manager


def test_command_ack_text_is_seen(people: tuple[SimulatedUser, str]) -> None:
    amara, _ = people
    res = amara.command("/mentoring", "help")
    assert res.status == 200 and "join a programme" in res.text
    last = amara.last_message()
    assert last is not None and last.kind == "ephemeral" and "join a programme" in last.text


def test_join_story_fill_submit_errors_then_success(emu: SlackEmulator, people: tuple[SimulatedUser, str],
                                                    log: dict[str, Any]) -> None:
    amara, manager = people
    assert amara.command("/mentoring", "join").status == 200
    assert amara.modal is not None and amara.modal["title"]["text"] == "Join the programme"

    amara.fill({"Organisation": "bad", "Topics": ["Gender", "Disability"], "Line manager": manager,
                "I have read": True})
    amara.choose("Role", "Mentor")
    res = amara.submit()
    assert res.errors == {"org": "We don't know that organisation."}
    assert amara.errors_by_label() == {"Organisation": "We don't know that organisation."}
    assert amara.modal is not None  # still open

    sent = log["submitted"]
    assert sent["topics"]["v"]["selected_options"] == [_option("Gender", "gender"), _option("Disability", "disability")]
    assert sent["manager"]["v"] == {"type": "users_select", "selected_user": manager}
    assert sent["consent"]["v"]["selected_options"][0]["value"] == "yes"
    assert sent["notes"]["v"] == {"type": "plain_text_input", "value": None}  # untouched optional input
    assert log["metadata"] == "programme-7"

    amara.fill({"Organisation": "Acme"})
    res = amara.submit()
    assert res.status == 200 and res.errors == {} and amara.modal is None
    [welcome] = amara.dms()
    assert welcome.kind == "im" and "You joined as *Mentor*" in welcome.text
    assert amara.home is not None and "You are in the programme." in json.dumps(amara.home)

    amara.click("Schedule first session")
    assert log["schedule_action"]["value"] == "s1" and log["schedule_action"]["type"] == "button"
    assert log["schedule_message"] == "Welcome! You joined as Mentor."
    last = amara.last_message()
    assert last is not None and last.text == "Your first session is booked." and last.kind == "ephemeral"


def test_required_fields_are_enforced_client_side(people: tuple[SimulatedUser, str], log: dict[str, Any]) -> None:
    amara, _ = people
    amara.command("/mentoring")
    res = amara.submit()
    assert not res.sent and "Organisation" in amara.errors_by_label() and "submitted" not in log
    assert "Notes" not in amara.errors_by_label()


def test_close_modal_sends_view_closed(people: tuple[SimulatedUser, str], log: dict[str, Any]) -> None:
    amara, _ = people
    amara.shortcut("start_mentoring")
    view_id = amara.modal["id"]  # type: ignore[index]
    amara.close_modal()
    assert log["closed"] == view_id and amara.modal is None


def test_open_home_click_in_home_and_event_retries(emu: SlackEmulator, people: tuple[SimulatedUser, str],
                                                    log: dict[str, Any]) -> None:
    amara, _ = people
    res = amara.open_home()
    assert res.status == 200 and amara.home is not None
    amara.click("Join")
    assert log["home_join_container"] == {"type": "view", "view_id": amara.home["id"]}
    assert amara.modal is not None

    publishes = len(emu.calls_to("views.publish"))
    again = amara.send_event({"type": "app_home_opened", "user": amara.user_id, "tab": "home",
                              "channel": emu.open_im(amara.user_id), "event_ts": "1.1"},
                             event_id=res.event_id, retry_num=1)
    assert again.status == 200 and log["retry_headers"] == [None, "1"]
    assert len(emu.calls_to("views.publish")) == publishes  # the app de-duplicated the redelivery


def test_signature_variants_are_rejected(people: tuple[SimulatedUser, str]) -> None:
    amara, _ = people
    for variant in (amara.unsigned(), amara.forged(), amara.stale()):
        assert variant.command("/mentoring", "help").status == 401
    assert amara.command("/mentoring", "help").status == 200


def test_frozen_clock_signs_and_expires_triggers(emu: SlackEmulator, people: tuple[SimulatedUser, str]) -> None:
    amara, _ = people
    with freeze_time("2031-05-01 10:00:00") as frozen:
        assert amara.command("/mentoring", "join").status == 200
        assert amara.modal is not None
        amara.close_modal()
        trigger = emu.issue_trigger_id(amara.user_id)
        frozen.tick(4)  # the app's clock moves, real time does not: the trigger is still good
        client = WebClient(token=emu.bot_token, base_url=emu.api_url)
        assert client.views_open(trigger_id=trigger, view=JOIN_MODAL)["ok"]
        assert amara.command("/mentoring", "help").status == 200  # signatures follow the frozen clock


def test_dispatch_action_and_response_actions(emu: SlackEmulator, people: tuple[SimulatedUser, str]) -> None:
    amara, _ = people
    amara.command("/mentoring", "wizard")
    dispatched = amara.choose("Programme", "Spring")
    assert dispatched is not None and dispatched.status == 200
    assert "You picked Spring" in json.dumps(amara.modal)
    assert amara.modal["state"]["values"]["programme"]["pick"]["selected_option"]["value"] == "spring"  # type: ignore[index]

    amara.submit()  # -> response_action push
    assert [v["title"]["text"] for v in emu.view_stack(amara.user_id)] == ["Wizard", "Step 2"]
    amara.fill({"Why": "because"})
    amara.submit()  # -> response_action update
    assert [v["title"]["text"] for v in emu.view_stack(amara.user_id)] == ["Wizard", "Thanks"]
    amara.close_modal()
    assert amara.modal is not None and amara.modal["title"]["text"] == "Wizard"

    amara.submit()
    amara.fill({"Why": "clear"})
    amara.submit()  # -> response_action clear
    assert emu.view_stack(amara.user_id) == []


def test_async_app_with_wait_for(emu: SlackEmulator) -> None:
    log: dict[str, Any] = {}
    with serve(build_app(emu, log, process_before_response=False)) as url:
        amara = SimulatedUser(emu, url, SECRET, emu.add_user(name="amara"))
        assert amara.command("/mentoring", "join").status == 200
        modal = emu.wait_for(lambda: amara.modal)
        assert modal is not None and modal["callback_id"] == "join"
