"""What stands between the open internet and Bolt: size, signature and shape checks, in that order.

``POST /slack/events`` is public. Before Bolt sees a request (Bolt parses the body first and checks
the signature afterwards, and a body it cannot decode ends in a traceback), :class:`SlackRequestGuard`

1. refuses a body larger than :data:`MAX_BODY_BYTES` from its ``Content-Length`` alone (413), and
   reads at most one byte more than the limit when the length is absent or wrong;
2. checks Slack's ``v0`` signature with ``slack_sdk``'s ``SignatureVerifier`` (5-minute window, on
   the app's clock): unsigned, forged or stale requests get 401. (The verifier works on text, and
   Slack sends only UTF-8: a body with signature headers that is not UTF-8 gets 400 unread.)
3. only then looks inside: a signed body must be UTF-8, of a content type Slack sends, and decode
   to a JSON object (the Events API body, or the ``payload`` of an interaction) of modest depth,
   or a form (slash commands); anything else gets 400.

Each refusal is at most one short line in the log, and never the body; past a few a minute per
reason they are counted instead and the count is written with the next line.

:func:`refuse_foreign_workspaces` is a Bolt middleware: a correctly signed request whose team or
enterprise is not the one this app is installed in (from ``auth.test``) is refused before any
listener or database work.
"""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt import BoltContext, BoltResponse
from slack_sdk.signature import Clock, SignatureVerifier

from bot import clock

log = logging.getLogger("bot.http")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# Slack publishes no ceiling for what it posts to an app, so the limit comes from what it can post
# to this one. The largest is a view_submission for the enrolment form: about a dozen inputs, five
# of them up to 2,000 characters. Slack echoes the whole view (with every initial value) and the
# state (every value again), JSON inside a form field: at the worst (4-byte characters, escaped as
# ``\\uXXXX`` pairs and then percent-encoded, about 14 bytes a character) that is near 400 KB.
# 1 MiB leaves more than twice that, and matches nginx's default ``client_max_body_size``.
MAX_BODY_BYTES = 1024 * 1024
# Slack's deepest shapes (rich text inside blocks inside a view inside a payload) are about a dozen
# levels; anything far deeper is not Slack, and would cost recursion in whatever walks it.
MAX_JSON_DEPTH = 64
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


class AppClock(Clock):
    """The signature window follows the app's one clock, so frozen tests sign and check alike."""

    def now(self) -> float:
        return clock.now().timestamp()


class RefusalLog:
    """At most one short line per refused request, and at most ``per_minute`` a minute per reason."""

    def __init__(self, logger: logging.Logger = log, per_minute: int = 10) -> None:
        self.logger = logger
        self.per_minute = per_minute
        self._lock = threading.Lock()
        self._window: dict[str, tuple[float, int, int]] = {}  # reason -> (window start, written, held back)

    def refused(self, status: int, reason: str, remote: str) -> None:
        now = time.monotonic()
        with self._lock:
            start, written, held = self._window.get(reason, (now, 0, 0))
            if now - start >= 60:
                start, written = now, 0
            if written >= self.per_minute:
                self._window[reason] = (start, written, held + 1)
                return
            self._window[reason] = (start, written + 1, 0)
        more = f" (and {held} more like it not logged)" if held else ""
        self.logger.warning("Refused a request from %s with %s: %s%s", remote or "?", status, reason, more)


def _depth_within(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return False
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values() if isinstance(child, dict | list))
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item if isinstance(child, dict | list))
    return True


def _json_object(text: str) -> str | None:
    """``None`` when ``text`` is a JSON object of modest depth; otherwise what is wrong with it."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return "a body that is not valid JSON"
    if not isinstance(value, dict):
        return f"a JSON {type(value).__name__} where an object was expected"
    if not _depth_within(value, MAX_JSON_DEPTH):
        return f"JSON nested more than {MAX_JSON_DEPTH} levels deep"
    return None


def malformed(body: bytes, content_type: str) -> str | None:
    """``None`` when a (signed) body has a shape Slack sends; otherwise a short reason, never the body."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type not in (FORM, JSON):
        return f"content type {media_type[:60]!r}, which Slack does not send"
    if not body:
        return "an empty body"
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "a body that is not UTF-8"
    # Decide JSON or form the way Bolt will when it parses the same bytes.
    if media_type == JSON or text.startswith("{"):
        return _json_object(text)
    fields = dict(parse_qsl(text, keep_blank_values=True))
    if "payload" in fields:
        return _json_object(fields["payload"])
    return None


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str


def _respond(start_response: Callable[..., Any], status: int, text: str) -> list[bytes]:
    phrases = {400: "Bad Request", 401: "Unauthorized", 413: "Content Too Large", 500: "Internal Server Error"}
    body = (text + "\n").encode()
    start_response(
        f"{status} {phrases.get(status, 'Error')}",
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]


class SlackRequestGuard:
    """Wrap the WSGI app that serves Slack's requests; see the module's docstring for the checks."""

    def __init__(
        self,
        inner: WSGIApp,
        signing_secret: str,
        *,
        max_body_bytes: int = MAX_BODY_BYTES,
        refusals: RefusalLog | None = None,
    ) -> None:
        self.inner = inner
        self.verifier = SignatureVerifier(signing_secret, clock=AppClock())
        self.max_body_bytes = max_body_bytes
        self.refusals = refusals or RefusalLog()

    def _read_body(self, environ: Mapping[str, Any]) -> bytes | Refusal:
        declared = str(environ.get("CONTENT_LENGTH") or "").strip()
        if declared:
            if not declared.isdigit():
                return Refusal(400, "a Content-Length that is not a number")
            if int(declared) > self.max_body_bytes:
                return Refusal(413, f"a declared body of {int(declared)} bytes (the limit is {self.max_body_bytes})")
        stream = environ.get("wsgi.input")
        if stream is None:
            return b""
        # Never more than one byte past the limit, whatever the length said (or if it said nothing).
        wanted = int(declared) if declared else self.max_body_bytes + 1
        body = stream.read(wanted)
        if len(body) > self.max_body_bytes:
            return Refusal(413, f"a body longer than {self.max_body_bytes} bytes")
        return bytes(body)

    def _signed(self, text: str, environ: Mapping[str, Any]) -> bool:
        timestamp = str(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP") or "").strip()
        signature = str(environ.get("HTTP_X_SLACK_SIGNATURE") or "")
        if not signature or not timestamp.isdigit() or len(timestamp) > 12:
            return False
        try:
            return self.verifier.is_valid(body=text, timestamp=timestamp, signature=signature)
        except (ValueError, OverflowError):
            return False

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        remote = str(environ.get("REMOTE_ADDR") or "")
        body = self._read_body(environ)
        if isinstance(body, Refusal):
            self.refusals.refused(body.status, body.reason, remote)
            text = "Request body too large" if body.status == 413 else "Bad request"
            return _respond(start_response, body.status, text)
        if "HTTP_X_SLACK_SIGNATURE" not in environ or "HTTP_X_SLACK_REQUEST_TIMESTAMP" not in environ:
            self.refusals.refused(401, "no Slack signature", remote)
            return _respond(start_response, 401, "Unauthorized")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            # Slack sends only UTF-8, and slack_sdk's verifier signs text, so these bytes cannot be
            # Slack's: refused as malformed, before anything parses them.
            self.refusals.refused(400, "a body that is not UTF-8", remote)
            return _respond(start_response, 400, "Bad request")
        if not self._signed(text, environ):
            self.refusals.refused(401, "a bad or stale Slack signature", remote)
            return _respond(start_response, 401, "Unauthorized")
        problem = malformed(body, str(environ.get("CONTENT_TYPE") or ""))
        if problem is not None:
            self.refusals.refused(400, f"signed, but {problem}", remote)
            return _respond(start_response, 400, "Bad request")
        checked = dict(environ)
        checked["wsgi.input"] = io.BytesIO(body)
        checked["CONTENT_LENGTH"] = str(len(body))
        try:
            return self.inner(checked, start_response)
        except Exception as error:  # a shape Bolt cannot take apart (e.g. "team": 5): one line, no traceback
            self.refusals.refused(400, f"signed, but Bolt could not read it ({type(error).__name__})", remote)
            return _respond(start_response, 400, "Bad request")


# ------------------------------------------------------------------------------------ workspaces


@dataclass(frozen=True)
class Workspace:
    """Where the app is installed, as ``auth.test`` says."""

    team_id: str | None
    enterprise_id: str | None
    is_enterprise_install: bool = False

    @classmethod
    def from_auth_test(cls, data: Any) -> Workspace:
        """From an ``auth.test`` answer (a ``SlackResponse`` or a plain dict)."""
        return cls(
            team_id=str(data["team_id"]) if data.get("team_id") else None,
            enterprise_id=str(data["enterprise_id"]) if data.get("enterprise_id") else None,
            is_enterprise_install=bool(data.get("is_enterprise_install")),
        )

    def admits(self, team_id: str | None, enterprise_id: str | None) -> bool:
        """Whether a request from ``team_id`` / ``enterprise_id`` belongs to this installation."""
        if self.is_enterprise_install:  # org-wide: any workspace of the organisation, none outside it
            return enterprise_id == self.enterprise_id
        if enterprise_id and self.enterprise_id and enterprise_id != self.enterprise_id:
            return False
        if enterprise_id and not self.enterprise_id:
            return False
        return team_id is None or team_id == self.team_id


class InstalledWorkspace:
    """``auth.test`` asked once (at the first request that needs it) and remembered."""

    def __init__(self, auth_test: Callable[[], Any]) -> None:
        self._auth_test = auth_test
        self._lock = threading.Lock()
        self._workspace: Workspace | None = None

    def get(self) -> Workspace:
        with self._lock:
            if self._workspace is None:
                self._workspace = Workspace.from_auth_test(self._auth_test())
            return self._workspace


NOT_INSTALLED_HERE = "This app is not installed for this workspace, so it cannot help here."


def _short(value: Any) -> str | None:
    """An id as text, cut short: whatever a payload put there is never logged or kept at length."""
    return None if value is None else str(value)[:40]


def refuse_foreign_workspaces(installed: InstalledWorkspace) -> Callable[..., BoltResponse | None]:
    """A Bolt middleware: requests from another workspace or organisation never reach a listener.

    Such a request is correctly signed (the signing secret belongs to the app, not the workspace),
    so it can only come from an installation of this app elsewhere: it is refused, and the first
    one from each foreign workspace is logged (later ones are counted, not written).
    """
    seen: dict[tuple[str | None, str | None], int] = {}
    lock = threading.Lock()

    def middleware(body: Any, context: BoltContext, next: Callable[[], BoltResponse]) -> BoltResponse | None:
        team_id, enterprise_id = _short(context.team_id), _short(context.enterprise_id)
        if team_id is None and enterprise_id is None:
            return next()  # nothing to compare (Bolt answers url_verification and ssl_check itself)
        try:
            workspace = installed.get()
        except Exception as error:
            log.warning("Refused a request: could not confirm the installed workspace (%s)", type(error).__name__)
            return BoltResponse(status=503, body="")
        if workspace.admits(team_id, enterprise_id):
            return next()
        key = (team_id, enterprise_id)
        with lock:
            first = key not in seen
            if first and len(seen) < 1000:
                seen[key] = 0
            elif key in seen:
                seen[key] += 1
        if first:
            log.warning(
                "Refused a request from team %s / enterprise %s: this app is installed in team %s / enterprise %s",
                team_id, enterprise_id, workspace.team_id, workspace.enterprise_id,
            )
        if isinstance(body, dict) and "command" in body:
            payload = {"response_type": "ephemeral", "text": NOT_INSTALLED_HERE}
            return BoltResponse(status=200, body=json.dumps(payload), headers={"content-type": "application/json"})
        # 200, so that Slack does not retry an event that will never be accepted.
        return BoltResponse(status=200, body="")

    return middleware
