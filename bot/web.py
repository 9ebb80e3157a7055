"""HTTP mode: Slack posts to ``POST /slack/events``; ``GET /healthz`` answers when app and database are up.

Served by waitress (a production WSGI server) with Bolt's WSGI adapter.
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

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
EVENTS_PATH = "/slack/events"


def create_wsgi_app(bolt_app: App, db: Database) -> WSGIApp:
    slack_handler = SlackRequestHandler(bolt_app)

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


def make_http_server(application: WSGIApp, host: str, port: int, threads: int) -> Any:
    """A waitress server; ``.effective_port`` gives the port when 0 was asked for."""
    return create_server(application, host=host, port=port, threads=threads, ident="mentoring-bot")


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
