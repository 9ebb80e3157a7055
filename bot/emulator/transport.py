"""The HTTP side of the emulator: a threaded server on 127.0.0.1 that routes ``/api/<method>`` to the
Web API methods (after authentication, token-type, rate-limit, fault and scope checks), plus the
upload URLs, response_urls and private file downloads Slack serves."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from bot.emulator.clock import real_wait
from bot.emulator.core import EmulatorCore
from bot.emulator.errors import SlackApiError
from bot.emulator.faults import default_error_for
from bot.emulator.scopes import check_token_type, static_scopes
from bot.emulator.util import Headers, parse_multipart


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Slack accepts many connections at once; the stdlib default backlog (5) resets the rest.
    request_queue_size = 256
    emulator: HttpTransport


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "SlackEmulator/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, verb: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        # A client that died mid-request (a killed worker) sends less than it announced: Slack
        # never sees such a request, so neither does the emulator (nothing done, nothing recorded).
        result = self.server.emulator._http(verb, self.path, self.headers, body) if len(body) == length else None
        if result is None:  # dropped connection: no answer at all
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        status, headers, payload = result
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)



class HttpTransport(EmulatorCore):
    """Serving: ``start()``/``stop()``, and the routing of every HTTP request to the emulator.

    The upload, download and response_url handlers belong to the file and interaction parts,
    which come before this class in :class:`~bot.emulator.server.SlackEmulator`'s bases.
    """

    _thread: threading.Thread | None = None

    def _http_upload(self, token: str, headers: Headers, body: bytes) -> tuple[int, dict[str, str], bytes]:
        raise NotImplementedError

    def _http_download(self, path: str) -> tuple[int, dict[str, str], bytes]:
        raise NotImplementedError

    def _http_response_url(self, token: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        raise NotImplementedError

    def start(self) -> Self:
        """Start serving on 127.0.0.1 (port chosen by the OS). Returns ``self``."""
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", 0), _Handler)
        server.emulator = self
        self._server = server
        self._port = int(server.server_address[1])
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="slack-emulator", daemon=True
        )
        self._thread.start()
        self._started()
        return self

    def stop(self) -> None:
        """Stop the server (idempotent)."""
        self._stopping()
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _started(self) -> None:
        """Hook for parts that start with the server."""

    def _stopping(self) -> None:
        """Hook for parts that stop with the server (Socket Mode closes its connections)."""

    def _http(self, verb: str, raw_path: str, headers: Headers, body: bytes
              ) -> tuple[int, dict[str, str], bytes] | None:
        parts = urlsplit(raw_path)
        path = parts.path
        if path.startswith("/api/"):
            return self._http_api(verb, path[len("/api/"):], parts.query, headers, body)
        if path.startswith("/upload/v1/") and verb == "POST":
            return self._http_upload(path.rsplit("/", 1)[-1], headers, body)
        if path.startswith("/actions/") and verb == "POST":
            return self._http_response_url(path.rsplit("/", 1)[-1], body)
        if path.startswith("/files-pri/"):
            return self._http_download(path)
        return 404, {"Content-Type": "text/plain"}, b"not found"

    def _parse_args(self, verb: str, query: str, headers: Headers, body: bytes
                    ) -> tuple[dict[str, Any], str | None]:
        args: dict[str, Any] = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        ctype = (headers.get("Content-Type") or "").lower()
        if verb == "POST" and body:
            if ctype.startswith("application/json"):
                try:
                    data = json.loads(body.decode("utf-8"))
                except (ValueError, UnicodeDecodeError) as exc:
                    raise SlackApiError("invalid_json") from exc
                if not isinstance(data, dict):
                    raise SlackApiError("json_not_object")
                args.update(data)
            elif ctype.startswith("multipart/form-data"):
                args.update(parse_multipart(headers.get("Content-Type") or "", body))
            else:
                try:
                    text = body.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise SlackApiError("invalid_charset") from exc
                args.update({k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()})
        token = args.pop("token", None)
        auth = headers.get("Authorization") or ""
        if auth.lower().startswith("bearer "):
            token = auth[7:].strip()
        return args, token

    def _http_api(self, verb: str, method: str, query: str, headers: Headers, body: bytes
                  ) -> tuple[int, dict[str, str], bytes] | None:
        with self._lock:
            latency = self._faults.latency_for(method)
        if latency > 0:
            real_wait(latency)
        try:
            args, token = self._parse_args(verb, query, headers, body)
        except SlackApiError as exc:
            args, token = {}, None
            with self._lock:
                return self._finish(method, args, exc.body(), 200)
        with self._lock:
            dropped, after = self._take_drop(method)
            if dropped and not after:
                self._record(method, args, {"ok": False, "error": "connection_dropped"}, 0)
                return None
            fault = self._faults.take(method)
            if fault is not None:
                status = fault.status
                response = {"ok": False, "error": fault.error or default_error_for(status)}
                retry = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else None
                return self._finish(method, args, response, status, retry)
            handler = self._methods.get(method)
            if handler is None:
                return self._finish(method, args, {"ok": False, "error": "unknown_method", "req_method": method},
                                    200)
            if not token:
                return self._finish(method, args, {"ok": False, "error": "not_authed"}, 200)
            grant = self._grants.get(token)
            if grant is None:
                return self._finish(method, args, {"ok": False, "error": "invalid_auth"}, 200)
            extra = {"x-oauth-scopes": grant.header, "x-accepted-oauth-scopes": ",".join(static_scopes(method))}
            try:
                check_token_type(method, grant)
            except SlackApiError as exc:
                return self._finish(method, args, exc.body(), 200, extra)
            retry_after = self.rate_limiter.check(method, str(args.get("channel") or ""))
            if retry_after is not None:
                self.rate_limiter.refused += 1
                return self._finish(method, args, {"ok": False, "error": "ratelimited"}, 429,
                                    {**extra, "Retry-After": str(retry_after)})
            self._grant = grant
            try:
                grant.require(*static_scopes(method))
                response = handler(args)
            except SlackApiError as exc:
                response = exc.body()
            finally:
                self._grant = None
            result = self._finish(method, args, response, 200, extra)
            if dropped:
                self._calls[-1].http_status = 0
                return None
            return result

    def _finish(self, method: str, args: Mapping[str, Any], response: dict[str, Any], status: int,
                extra: Mapping[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        self._record(method, args, response, status)
        headers = {"x-oauth-scopes": ""}  # Slack sends the token's scopes with every answer
        headers.update(extra or {})
        return self._json(status, response, headers)

