"""The Bolt app factory: settings in, a ready ``slack_bolt.App`` out, with every listener registered."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltResponse

from bot.events import first_delivery
from bot.runtime import Runtime

log = logging.getLogger(__name__)

FRIENDLY_ERROR = (
    "Sorry, something went wrong on our side and nothing you entered was lost. "
    "Please try again in a minute; if it keeps happening, tell your programme lead."
)


def describe_request(body: dict[str, Any]) -> dict[str, Any]:
    """What is safe to log about a request: kinds and ids, never text people typed."""
    user = body.get("user_id") or (body.get("user") or {}).get("id") or (body.get("event") or {}).get("user")
    actions = body.get("actions") or []
    return {
        "type": body.get("type") or ("command" if "command" in body else None),
        "command": body.get("command"),
        "action_id": actions[0].get("action_id") if actions else None,
        "callback_id": (body.get("view") or {}).get("callback_id") or body.get("callback_id"),
        "event": (body.get("event") or {}).get("type"),
        "user": user,
        "team": body.get("team_id") or (body.get("team") or {}).get("id"),
    }


def _error_view() -> dict[str, Any]:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Something went wrong"},
        "close": {"type": "plain_text", "text": "Back to my form"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": FRIENDLY_ERROR}}],
    }


def handle_unexpected_error(
    error: Exception, body: dict[str, Any], response: BoltResponse | None, respond: Any
) -> BoltResponse | None:
    log.error("Unexpected error while handling %s", describe_request(body), exc_info=error)
    if response is not None:  # not yet acknowledged: answer in the acknowledgement itself
        if body.get("type") == "view_submission":
            # Push a view on top, so the person's form (and what they typed) stays underneath.
            payload = {"response_action": "push", "view": _error_view()}
            return BoltResponse(status=200, body=json.dumps(payload), headers={"content-type": "application/json"})
        if "command" in body:
            payload = {"response_type": "ephemeral", "text": FRIENDLY_ERROR}
            return BoltResponse(status=200, body=json.dumps(payload), headers={"content-type": "application/json"})
        return BoltResponse(status=200, body="")
    if body.get("response_url"):
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
    app.use(deduplicate_events(runtime))
    app.error(handle_unexpected_error)
    register_listeners(app, runtime)
    return app
