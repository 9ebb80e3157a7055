"""HTTP mode: Slack posts to ``POST /slack/events``; ``GET /healthz`` answers when app and database are up.

Served by waitress (a production WSGI server) with Bolt's WSGI adapter. Slack's requests pass
:class:`bot.request_guards.SlackRequestGuard` (size, then signature, then shape) before Bolt reads
them, and waitress is told to refuse big bodies and drop idle connections itself (see
:data:`SERVER_LIMITS`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress.server import create_server

from bot.db import Database
from bot.request_guards import MAX_BODY_BYTES, SlackRequestGuard

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
EVENTS_PATH = "/slack/events"

# waitress's own limits. It reads every request (headers and body) in its event loop before a
# worker thread sees it, so these are what keep a crowd of slow or idle clients from starving
# Slack's requests and /healthz:
SERVER_LIMITS: dict[str, Any] = {
    # Refused with 413 from the Content-Length header alone, before any of the body is read (and
    # while it is read, for chunked bodies). waitress refuses lengths >= this, hence the + 1.
    "max_request_body_size": MAX_BODY_BYTES + 1,
    # Slack's headers are about 1 KB; a client that never finishes its headers holds at most this.
    "max_request_header_size": 16 * 1024,
    # Bodies past this go to a temporary file rather than memory, so a thousand half-sent 1 MiB
    # bodies cost 64 MB of memory, not a gigabyte.
    "inbuf_overflow": 64 * 1024,
    # The default (100) lets a hundred idle sockets lock everyone else out until they time out.
    "connection_limit": 1000,
    # A connection with nothing in progress is closed after 10 s of silence (default 120 s);
    # Slack sends its request as soon as it connects and waits at most 3 s for the answer.
    "channel_timeout": 10,
    "cleanup_interval": 2,
    # poll(), not select(): select() cannot watch file descriptors past 1023.
    "asyncore_use_poll": True,
    "backlog": 1024,
}


def create_wsgi_app(bolt_app: App, db: Database, *, signing_secret: str | None = None) -> WSGIApp:
    """The whole HTTP surface. ``signing_secret`` defaults to the one the Bolt app was given."""
    secret = signing_secret if signing_secret is not None else getattr(bolt_app, "_signing_secret", None)
    if not secret:
        raise ValueError("The HTTP surface needs the Slack signing secret (SLACK_SIGNING_SECRET).")
    slack_handler = SlackRequestGuard(SlackRequestHandler(bolt_app), secret)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == EVENTS_PATH and method == "POST":
            return slack_handler(environ, start_response)
        if path == "/healthz" and method == "GET":
            healthy = db.ping()
            body = json.dumps({"ok": healthy, "database": "up" if healthy else "down"}).encode()
            status = "200 OK" if healthy else "503 Service Unavailable"
            start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        body = b"Not found"
        start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]

    return application


def make_http_server(application: WSGIApp, host: str, port: int, threads: int, **limits: Any) -> Any:
    """A waitress server with :data:`SERVER_LIMITS` (``limits`` override them); ``.effective_port``
    gives the port when 0 was asked for."""
    adjustments = {**SERVER_LIMITS, **limits}
    return create_server(application, host=host, port=port, threads=threads, ident="mentoring-bot", **adjustments)


class BackgroundServer:
    """Serve a waitress server from a thread, and stop it cleanly (tests, demo, benchmarks)."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="http-server", daemon=True)

    def _serve(self) -> None:
        # One short poll at a time, so stop() never closes sockets under a running select().
        while not self._stopping.is_set():
            self.server.asyncore.loop(timeout=0.05, map=self.server._map, count=1)

    def start(self) -> BackgroundServer:
        self._thread.start()
        return self

    @property
    def port(self) -> int:
        return int(self.server.effective_port)

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        self.server.task_dispatcher.shutdown(cancel_pending=False, timeout=5)
        self.server.close()
