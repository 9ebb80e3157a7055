"""The Bolt app factory: settings in, a ready ``slack_bolt.App`` out, with every listener registered."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltResponse

from bot.events import first_delivery
from bot.request_guards import InstalledWorkspace, refuse_foreign_workspaces
from bot.runtime import Runtime

log = logging.getLogger(__name__)

FRIENDLY_ERROR = (
    "Sorry, something went wrong on our side and nothing you entered was lost. "
    "Please try again in a minute; if it keeps happening, tell your programme lead."
)


def _field(value: Any, *keys: str) -> Any:
    """``value[keys[0]][keys[1]]...``, or None wherever the payload is not the shape Slack sends."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _loggable(value: Any) -> str | None:
    """An id or a kind, as short text: a payload is never logged at length, whatever sits there."""
    if value is None or isinstance(value, dict | list):
        return None
    return str(value)[:80]


def describe_request(body: Any) -> dict[str, Any]:
    """What is safe to log about a request: kinds and ids, never text people typed (any payload shape)."""
    actions = _field(body, "actions")
    first_action = actions[0] if isinstance(actions, list) and actions else None
    user = _field(body, "user_id") or _field(body, "user", "id") or _field(body, "event", "user")
    is_command = isinstance(body, dict) and "command" in body
    return {
        "type": _loggable(_field(body, "type") or ("command" if is_command else None)),
        "command": _loggable(_field(body, "command")),
        "action_id": _loggable(_field(first_action, "action_id")),
        "callback_id": _loggable(_field(body, "view", "callback_id") or _field(body, "callback_id")),
        "event": _loggable(_field(body, "event", "type")),
        "user": _loggable(user),
        "team": _loggable(_field(body, "team_id") or _field(body, "team", "id")),
    }


def _error_view() -> dict[str, Any]:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Something went wrong"},
        "close": {"type": "plain_text", "text": "Back to my form"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": FRIENDLY_ERROR}}],
    }


def handle_unexpected_error(
    error: Exception, body: Any, response: BoltResponse | None, respond: Any
) -> BoltResponse | None:
    acknowledged = response is None
    log.error(
        "Unexpected error while handling %s%s",
        describe_request(body),
        " (after ack: the person may see nothing)" if acknowledged else "",
        exc_info=error,
        extra={"after_ack": acknowledged},
    )
    body = body if isinstance(body, dict) else {}
    if response is not None:  # not yet acknowledged: answer in the acknowledgement itself
        if body.get("type") == "view_submission":
            # Push a view on top, so the person's form (and what they typed) stays underneath.
            payload = {"response_action": "push", "view": _error_view()}
            return BoltResponse(status=200, body=json.dumps(payload), headers={"content-type": "application/json"})
        if "command" in body:
            payload = {"response_type": "ephemeral", "text": FRIENDLY_ERROR}
            return BoltResponse(status=200, body=json.dumps(payload), headers={"content-type": "application/json"})
        return BoltResponse(status=200, body="")
    if body.get("response_url") and respond is not None:
        try:
            respond(text=FRIENDLY_ERROR, response_type="ephemeral", replace_original=False)
        except Exception:
            log.warning("Could not tell the person about the error", exc_info=True)
    return None


def deduplicate_events(runtime: Runtime) -> Callable[..., BoltResponse | None]:
    def middleware(body: dict[str, Any], next: Callable[[], BoltResponse]) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not first_delivery(runtime.db, str(event_id)):
            return BoltResponse(status=200, body="")
        return next()

    return middleware


def create_app(runtime: Runtime, *, token_verification: bool = True, listener_executor: Executor | None = None) -> App:
    from handlers import register_listeners

    app = App(
        # Bolt's default pool has 5 threads; work after ack() (Slack calls, matching) must never
        # leave a new request waiting for a thread to acknowledge it within Slack's 3 seconds.
        listener_executor=listener_executor
        or ThreadPoolExecutor(max_workers=max(16, 2 * runtime.settings.http_threads), thread_name_prefix="listener"),
        client=runtime.gateway.client_for_bolt(),
        signing_secret=runtime.settings.signing_secret or None,
        token_verification_enabled=token_verification,
        raise_error_for_unhandled_request=False,
        process_before_response=False,
        logger=logging.getLogger("slack_bolt.App"),
    )
    # Before anything touches the database: only the workspace the app is installed in is served.
    app.use(refuse_foreign_workspaces(InstalledWorkspace(runtime.gateway.installation)))
    app.use(deduplicate_events(runtime))
    app.error(handle_unexpected_error)
    register_listeners(app, runtime)
    return app
