"""Socket Mode: slack_sdk's SocketModeClient (builtin) and a Bolt app, against the emulator's WebSocket."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from slack_bolt import Ack, App, Respond
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.emulator import SimulatedUser, SlackEmulator


def test_hello_envelope_ack_disconnect_and_reconnect(emu: SlackEmulator) -> None:
    client = SocketModeClient(app_token=emu.app_token, web_client=WebClient(base_url=emu.api_url))
    messages: list[dict[str, Any]] = []
    requests: list[SocketModeRequest] = []

    def on_request(c: SocketModeClient, req: SocketModeRequest) -> None:
        requests.append(req)
        c.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id, payload={"text": "pong"}))

    client.message_listeners.append(lambda _c, message, _raw: messages.append(message))  # type: ignore[arg-type]
    client.socket_mode_request_listeners.append(on_request)  # type: ignore[arg-type]
    try:
        client.connect()
        emu.socket_mode.wait_connected()
        emu.wait_for(lambda: messages)
        hello = messages[0]
        assert hello["type"] == "hello" and hello["connection_info"] == {"app_id": emu.app_id}
        assert hello["num_connections"] == 1
        assert emu.calls_to("apps.connections.open")[0].ok

        ack, elapsed = emu.socket_mode.deliver("slash_commands", {"command": "/ping", "text": ""},
                                               accepts_response_payload=True)
        assert ack is not None and ack.payload == {"text": "pong"} and elapsed < 3
        [req] = requests
        assert req.type == "slash_commands" and req.payload["command"] == "/ping"

        assert emu.socket_mode.disconnect("refresh_requested", grace=0.5) == 1
        emu.wait_for(lambda: emu.socket_mode.connects == 2 and emu.socket_mode.connections == 1, timeout=5)
        assert len(emu.calls_to("apps.connections.open")) == 2  # a fresh URL for the new connection
        emu.wait_for(lambda: len([m for m in messages if m.get("type") == "hello"]) == 2, timeout=5)
        ack, _ = emu.socket_mode.deliver("events_api", {"type": "event_callback", "event": {"type": "x"}},
                                         accepts_response_payload=False)
        assert ack is not None and requests[-1].type == "events_api"

        emu.socket_mode.disconnect("warning", grace=0.5)  # Slack's early notice: reconnect as well
        emu.wait_for(lambda: emu.socket_mode.connects == 3 and emu.socket_mode.connections == 1, timeout=5)
    finally:
        client.close()


def test_a_socket_url_connects_once_and_needs_an_app_token(emu: SlackEmulator) -> None:
    from websockets.sync.client import connect

    url = WebClient(base_url=emu.api_url).apps_connections_open(app_token=emu.app_token)["url"]
    with connect(url) as ws:
        assert '"hello"' in str(ws.recv(timeout=5))
    with connect(url) as ws, pytest.raises(Exception):  # noqa: B017 - closed by the server, any close error
        ws.recv(timeout=5)


SUBMIT_MODAL = {"type": "modal", "callback_id": "join", "title": {"type": "plain_text", "text": "Join"},
                "submit": {"type": "plain_text", "text": "Join"},
                "blocks": [{"type": "input", "block_id": "org", "label": {"type": "plain_text", "text": "Organisation"},
                            "element": {"type": "plain_text_input", "action_id": "v"}}]}


@pytest.fixture
def socket_app(emu: SlackEmulator) -> Iterator[dict[str, Any]]:
    log: dict[str, Any] = {}
    app = App(client=WebClient(token=emu.bot_token, base_url=emu.api_url), process_before_response=True,
              token_verification_enabled=False)

    @app.command("/mentoring")
    def command(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        if command["text"] == "join":
            ack()
            client.views_open(trigger_id=command["trigger_id"], view=SUBMIT_MODAL)
            return
        ack(text="Welcome to mentoring")
        client.chat_postMessage(channel=command["user_id"], text="Pick one", blocks=[
            {"type": "actions", "elements": [{"type": "button", "action_id": "pick", "value": "1",
                                              "text": {"type": "plain_text", "text": "Pick me"}}]}])

    @app.action("pick")
    def pick(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        log["picked"] = body["actions"][0]["value"]
        respond(text="Picked", replace_original=False)

    @app.view("join")
    def join(ack: Ack, view: dict[str, Any]) -> None:
        if view["state"]["values"]["org"]["v"]["value"] == "bad":
            ack(response_action="errors", errors={"org": "Unknown organisation"})
        else:
            ack()
            log["joined"] = True

    @app.event("app_home_opened")
    def home(event: dict[str, Any], client: WebClient) -> None:
        client.views_publish(user_id=event["user"], view={"type": "home", "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "Your home"}}]})

    handler = SocketModeHandler(app, app_token=emu.app_token)
    handler.connect()
    emu.socket_mode.wait_connected()
    try:
        yield log
    finally:
        handler.close()


def test_simulated_users_reach_a_bolt_app_over_socket_mode(emu: SlackEmulator, socket_app: dict[str, Any]) -> None:
    amara = SimulatedUser(emu, "", "", emu.add_user(name="amara"), transport="socket_mode")
    res = amara.command("/mentoring", "hello")
    assert res.ok and res.text == "Welcome to mentoring"
    emu.wait_for(lambda: any(s.has_button("Pick me") for s in amara.seen()))
    assert amara.click("Pick me").ok
    emu.wait_for(lambda: any(s.text == "Picked" for s in amara.seen()))
    assert socket_app["picked"] == "1"

    amara.command("/mentoring", "join")
    emu.wait_for(lambda: amara.modal)
    amara.fill({"Organisation": "bad"})
    assert amara.submit().errors == {"org": "Unknown organisation"}  # response_action via the ack payload
    amara.fill({"Organisation": "Acme"})
    amara.submit()
    assert amara.modal is None and socket_app["joined"] is True

    assert amara.open_home().ok
    emu.wait_for(lambda: amara.home)
    assert amara.home is not None and amara.home["blocks"][0]["text"]["text"] == "Your home"
    assert emu.problems() == []


def test_delivering_without_a_connection_is_an_error(emu: SlackEmulator) -> None:
    from bot.emulator import EmulatorError

    amara = SimulatedUser(emu, "", "", emu.add_user(name="amara")).via_socket_mode()
    with pytest.raises(EmulatorError, match="Socket Mode"):
        amara.command("/mentoring", "help")
