"""Socket Mode: ``apps.connections.open`` and the WebSocket Slack pushes requests over.

The protocol, as Slack speaks it:

* ``apps.connections.open`` (app-level ``xapp-`` token only) answers a one-time WebSocket URL.
* On connect the server sends ``{"type": "hello", "num_connections": ..., "connection_info": ...}``.
* Each request is an envelope ``{"envelope_id", "type": "slash_commands" | "interactive" |
  "events_api", "payload", "accepts_response_payload"}``; the app acknowledges it by sending back
  ``{"envelope_id": ..., "payload": {...}?}``, and the optional payload is its answer (the ack body
  of a slash command, or ``response_action`` for a view submission).
* ``{"type": "disconnect", "reason": "refresh_requested" | "warning" | ...}`` asks the client to
  open a new connection (through ``apps.connections.open`` again); the old one is then closed.

The server side uses the ``websockets`` library (its threaded, synchronous server).
"""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from bot.emulator.core import EmulatorCore, web_api
from bot.emulator.errors import EmulatorError

EnvelopeType = Literal["slash_commands", "interactive", "events_api"]
DisconnectReason = Literal["refresh_requested", "warning", "link_disabled", "too_many_websockets"]
MAX_CONNECTIONS = 10  # Slack allows at most ten open connections per app
OLD_CONNECTION_GRACE_SECONDS = 2.0  # how long a connection told to disconnect stays open


@dataclass
class Ack:
    """The app's acknowledgement of one envelope."""

    envelope_id: str
    payload: dict[str, Any] | None
    elapsed: float


@dataclass
class _Pending:
    envelope: dict[str, Any]
    sent_at: float
    done: threading.Event = field(default_factory=threading.Event)
    ack: Ack | None = None


class _Connection:
    """One open WebSocket, with a lock so envelopes from many threads never interleave."""

    def __init__(self, ws: Any, ticket: str) -> None:
        self.ws = ws
        self.ticket = ticket
        self.id = uuid.uuid4().hex[:12]
        self.retiring = False  # told to disconnect: gets no new envelopes
        self._send_lock = threading.Lock()

    def send(self, message: dict[str, Any]) -> None:
        with self._send_lock:
            self.ws.send(json.dumps(message))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ws.close()


class SocketModeHub:
    """The WebSocket server (started on first use) and the envelopes in flight."""

    def __init__(self, emu: SocketMode) -> None:
        self.emu = emu
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._port = 0
        self._tickets: set[str] = set()
        self._connections: list[_Connection] = []
        self._pending: dict[str, _Pending] = {}
        self.connects = 0  # connections ever accepted (reconnects included)
        self.unknown_acks: list[dict[str, Any]] = []

    # -- server ---------------------------------------------------------------------------

    def start(self) -> None:
        with self._lock:
            if self._server is not None:
                return
            from websockets.sync.server import serve

            server = serve(self._serve, "127.0.0.1", 0, compression=None, ping_interval=None,
                           close_timeout=1, max_size=None)
            self._server = server
            self._port = int(server.socket.getsockname()[1])
            self._thread = threading.Thread(target=server.serve_forever, name="slack-emulator-socket-mode",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        with self._lock:
            server, self._server = self._server, None
            connections, self._connections = list(self._connections), []
            for pending in self._pending.values():
                pending.done.set()
        for conn in connections:
            conn.close()
        if server is not None:
            server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def new_url(self) -> str:
        self.start()
        ticket = uuid.uuid4().hex
        with self._lock:
            self._tickets.add(ticket)
        return f"ws://127.0.0.1:{self._port}/link/?ticket={ticket}&app_id={self.emu.app_id}"

    def _serve(self, ws: Any) -> None:
        query = parse_qs(urlsplit(ws.request.path).query)
        ticket = (query.get("ticket") or [""])[0]
        with self._lock:
            valid = ticket in self._tickets
            self._tickets.discard(ticket)  # a URL connects once
            full = len([c for c in self._connections if not c.retiring]) >= MAX_CONNECTIONS
        if not valid:
            ws.close(1008, "invalid ticket")
            return
        conn = _Connection(ws, ticket)
        if full:
            conn.send({"type": "disconnect", "reason": "too_many_websockets",
                       "debug_info": {"host": "applink-emulator"}})
            conn.close()
            return
        with self._changed:
            self._connections.append(conn)
            self.connects += 1
            count = len(self._connections)
            self._changed.notify_all()
        conn.send({"type": "hello", "num_connections": count,
                   "debug_info": {"host": "applink-emulator", "build_number": 1,
                                  "approximate_connection_time": 18060},
                   "connection_info": {"app_id": self.emu.app_id}})
        try:
            for raw in ws:
                self._receive(raw)
        except Exception:  # the client went away: the connection just ends
            pass
        finally:
            with self._changed:
                if conn in self._connections:
                    self._connections.remove(conn)
                self._changed.notify_all()

    def _receive(self, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            return
        if not isinstance(message, dict):
            return
        envelope_id = message.get("envelope_id")
        with self._lock:
            pending = self._pending.pop(str(envelope_id), None)
            if pending is None:
                self.unknown_acks.append(message)
                return
        payload = message.get("payload")
        pending.ack = Ack(str(envelope_id), payload if isinstance(payload, dict) else None,
                          self.emu.clock.real_monotonic() - pending.sent_at)
        pending.done.set()

    # -- test API -------------------------------------------------------------------------

    @property
    def connections(self) -> int:
        """Open connections that still receive envelopes."""
        with self._lock:
            return len([c for c in self._connections if not c.retiring])

    def wait_connected(self, count: int = 1, timeout: float = 5.0) -> None:
        """Wait until at least ``count`` usable connections are open."""
        with self._changed:
            if not self._changed.wait_for(
                    lambda: len([c for c in self._connections if not c.retiring]) >= count, timeout=timeout):
                raise TimeoutError(f"no Socket Mode connection within {timeout:.1f}s")

    def disconnect(self, reason: DisconnectReason = "refresh_requested",
                   grace: float = OLD_CONNECTION_GRACE_SECONDS) -> int:
        """Tell every open connection to reconnect; close each ``grace`` seconds later.

        Returns how many connections were told.
        """
        with self._lock:
            targets = [c for c in self._connections if not c.retiring]
            for conn in targets:
                conn.retiring = True
        for conn in targets:
            with contextlib.suppress(Exception):
                conn.send({"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-emulator"}})
            if reason != "warning" or grace >= 0:
                timer = threading.Timer(grace, conn.close)
                timer.daemon = True
                timer.start()
        return len(targets)

    def deliver(self, kind: EnvelopeType, payload: dict[str, Any], *, accepts_response_payload: bool,
                timeout: float = 10.0, retry_attempt: int = 0, retry_reason: str = "") -> tuple[Ack | None, float]:
        """Send an envelope to the newest usable connection and wait for its ack.

        Returns ``(ack or None, elapsed seconds)``; raises :class:`EmulatorError` when no app is connected.
        """
        envelope: dict[str, Any] = {"envelope_id": str(uuid.uuid4()), "payload": payload, "type": kind,
                                    "accepts_response_payload": accepts_response_payload}
        if kind == "events_api":
            envelope.update({"retry_attempt": retry_attempt, "retry_reason": retry_reason})
        with self._lock:
            live = [c for c in self._connections if not c.retiring]
            if not live:
                raise EmulatorError("no app is connected over Socket Mode (apps.connections.open + WebSocket)")
            conn = live[-1]
            pending = _Pending(envelope, self.emu.clock.real_monotonic())
            self._pending[envelope["envelope_id"]] = pending
        conn.send(envelope)
        pending.done.wait(timeout)
        elapsed = self.emu.clock.real_monotonic() - pending.sent_at
        with self._lock:
            self._pending.pop(envelope["envelope_id"], None)
        return pending.ack, elapsed


class SocketMode(EmulatorCore):
    """``apps.connections.open`` and the hub behind it (``emu.socket_mode``)."""

    _hub: SocketModeHub | None = None

    @property
    def socket_mode(self) -> SocketModeHub:
        """The Socket Mode server: ``connections``, ``wait_connected()``, ``disconnect()``, ``deliver()``."""
        with self._lock:
            if self._hub is None:
                self._hub = SocketModeHub(self)
            return self._hub

    @web_api("apps.connections.open")
    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": self.socket_mode.new_url()}

    def _stop_socket_mode(self) -> None:
        hub, self._hub = self._hub, None
        if hub is not None:
            hub.stop()
