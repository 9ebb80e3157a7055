"""HTTP mode: Slack posts to ``POST /slack/events``; ``GET /healthz`` answers when app and database are up.

Served by waitress (a production WSGI server) with Bolt's WSGI adapter.
"""

from __future__ import annotations

import json
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
