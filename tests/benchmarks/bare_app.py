"""The comparison app for ``bench_ack.py``: a bare Bolt app answering one trivial slash command.

It runs on the same server stack as the real app (waitress with the same thread count, Bolt's WSGI
adapter ``SlackRequestHandler``, ``POST /slack/events`` and ``GET /healthz``), with Bolt's
defaults (``process_before_response=False``, token verification via ``auth.test``), so the
benchmark's real/bare ratio measures what the mentoring app adds on top of Bolt, not the stack.

Settings come from the same environment variables as the real app:

    SLACK_BOT_TOKEN=... SLACK_SIGNING_SECRET=... SLACK_API_URL=http://127.0.0.1:PORT/api/ \\
        PORT=3001 HTTP_THREADS=8 .venv/bin/python tests/benchmarks/bare_app.py

It deliberately imports nothing from ``bot``: its memory is Bolt's, waitress's and Python's only.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from waitress.server import create_server

TRIVIAL_TEXT = "Trivial answer from the bare app."


def build_app() -> App:
    client = WebClient(
        token=os.environ["SLACK_BOT_TOKEN"],
        base_url=os.environ.get("SLACK_API_URL", "https://slack.com/api/"),
        timeout=10,
    )
    app = App(client=client, signing_secret=os.environ["SLACK_SIGNING_SECRET"])

    @app.command("/trivial")
    def trivial(ack: Ack) -> None:
        ack(text=TRIVIAL_TEXT)

    return app


def build_wsgi(app: App) -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    slack_handler = SlackRequestHandler(app)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/slack/events" and method == "POST":
            return slack_handler(environ, start_response)
        if path == "/healthz" and method == "GET":
            status, body = "200 OK", b'{"ok": true}'
        else:
            status, body = "404 Not Found", b"Not found"
        start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]

    return application


def main() -> None:
    host, port = os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "3000"))
    server = create_server(
        build_wsgi(build_app()),
        host=host,
        port=port,
        threads=int(os.environ.get("HTTP_THREADS", "8")),
        ident="bare-bolt",
    )
    print(f"Listening on http://{host}:{port}/slack/events", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


if __name__ == "__main__":
    main()
