"""The public HTTP surface under attack and bad luck: `python -m bot serve` as a real process.

Big bodies are refused before they are read, unsigned or forged requests cost at most one short
log line, signed but malformed bodies get 400 (never a traceback), a real slash command still
works, and idle or half-open connections do not keep /healthz (or Slack) waiting.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psutil
import pytest
from slack_sdk.signature import SignatureVerifier

from bot.crypto import generate_key
from bot.emulator import SimulatedUser, SlackEmulator
from bot.request_guards import MAX_BODY_BYTES, MAX_JSON_DEPTH, SlackRequestGuard, malformed

SECRET = "http-surface-secret"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
MB = 1024 * 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    emulator: SlackEmulator
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    def log_lines(self) -> list[str]:
        return self.log_path.read_text(errors="replace").splitlines()

    def rss(self) -> int:
        return int(psutil.Process(self.process.pid).memory_info().rss)

    def person(self, name: str) -> SimulatedUser:
        return SimulatedUser(self.emulator, self.url, SECRET, self.emulator.add_user(name))


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp_path = tmp_path_factory.mktemp("http-surface")
    emulator = SlackEmulator().start()
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE", "ENCRYPTION"))},
        "SLACK_BOT_TOKEN": emulator.bot_token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": emulator.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "ENCRYPTION_KEYS": generate_key(),
        "PORT": str(port),
        "LOG_LEVEL": "INFO",
    }
    log_path = tmp_path / "serve.log"
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1"],
            env=env, cwd=str(tmp_path), stdout=log_file, stderr=subprocess.STDOUT,
        )
    world = Served(emulator, port, process, log_path)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the server did not start: {log_path.read_text()[-2000:]}")
                time.sleep(0.2)
        yield world
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        emulator.stop()


def signed_headers(body: bytes, content_type: str = FORM, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    try:
        signature = SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body) or ""
    except UnicodeDecodeError:  # slack_sdk signs text only: sign these bytes as Slack's scheme would
        digest = hmac.new(SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
        signature = "v0=" + digest
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}


def raw_request(port: int, head: bytes, body: bytes = b"", timeout: float = 10) -> tuple[int, bytes]:
    """Send ``head`` (and ``body``) on a fresh connection; the status and the raw response."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head + body)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    status_line = received.split(b"\r\n", 1)[0]
    return (int(status_line.split()[1]) if status_line.startswith(b"HTTP/") else 0), received


def post(port: int, body: bytes, headers: dict[str, str]) -> int:
    lines = ["POST /slack/events HTTP/1.1", f"Host: 127.0.0.1:{port}", f"Content-Length: {len(body)}",
             "Connection: close", *(f"{k}: {v}" for k, v in headers.items())]
    status, _ = raw_request(port, ("\r\n".join(lines) + "\r\n\r\n").encode(), body)
    return status


def new_log_lines(served: Served, before: int) -> list[str]:
    time.sleep(0.05)  # the line is written before the answer; this only absorbs scheduling noise
    return served.log_lines()[before:]


# ------------------------------------------------------------------------------------ size


def test_a_declared_oversized_body_is_refused_before_it_is_sent(served: Served) -> None:
    head = (f"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: {FORM}\r\n"
            f"Content-Length: {100 * MB}\r\n\r\n").encode()
    before = len(served.log_lines())
    status, response = raw_request(served.port, head)  # not one byte of the body sent
    assert status == 413, response[:200]
    assert len(new_log_lines(served, before)) <= 1


def test_a_chunked_body_is_cut_off_at_the_limit(served: Served) -> None:
    head = (f"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: {FORM}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode()
    chunk = b"%x\r\n%s\r\n" % (64 * 1024, b"a" * 64 * 1024)
    status = 0
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
        sock.sendall(head)
        sent = 0
        try:
            while sent < 32 * MAX_BODY_BYTES:
                sock.sendall(chunk)
                sent += 64 * 1024
                sock.setblocking(False)
                try:
                    answer = sock.recv(4096)
                except BlockingIOError:
                    answer = b""
                sock.setblocking(True)
                if answer:
                    status = int(answer.split()[1])
                    break
        except (BrokenPipeError, ConnectionResetError):
            status = status or -1  # closed on us: the reset can overtake the 413 that came before it
    assert status in (413, -1)
    assert sent < 32 * MAX_BODY_BYTES  # refused near the limit (socket buffers hold the rest), not at the end


def _stream_garbage(port: int, size: int, results: list[str]) -> None:
    head = (f"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: {FORM}\r\n"
            f"Content-Length: {size}\r\n\r\n").encode()
    piece = b"x" * (256 * 1024)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(head)
            for _ in range(size // len(piece)):
                sock.sendall(piece)
            results.append(sock.recv(64)[:12].decode(errors="replace"))
    except OSError as error:
        results.append(type(error).__name__)


def test_four_100_mb_unsigned_bodies_do_not_grow_the_process(served: Served) -> None:
    amara = served.person("rss-amara")
    assert amara.command("/mentoring", "help").status == 200  # warm: everything a request loads is loaded
    before = served.rss()
    peak = before
    results: list[str] = []
    senders = [threading.Thread(target=_stream_garbage, args=(served.port, 100 * MB, results)) for _ in range(4)]
    for sender in senders:
        sender.start()
    while any(sender.is_alive() for sender in senders):
        peak = max(peak, served.rss())
        time.sleep(0.02)
    for sender in senders:
        sender.join()
    peak = max(peak, served.rss())
    assert len(results) == 4
    assert all("200" not in result for result in results), results
    assert peak - before < 20 * MB, f"grew {(peak - before) / MB:.1f} MB"
    assert amara.command("/mentoring", "help").status == 200


def test_a_body_just_under_the_limit_is_still_served(served: Served) -> None:
    # A signed slash command padded to nearly 1 MiB: the limit never turns away a payload that size.
    amara = served.person("big-amara")
    emulator = served.emulator
    channel = emulator.open_im(amara.user_id)
    form = {
        "team_id": emulator.team_id, "channel_id": channel, "user_id": amara.user_id, "command": "/mentoring",
        "text": "help", "api_app_id": emulator.app_id, "trigger_id": emulator.issue_trigger_id(amara.user_id),
        "response_url": emulator.new_response_url(amara.user_id, channel),
    }
    body = urlencode(form).encode()
    body += b"&padding=" + b"x" * (MAX_BODY_BYTES - len(body) - 9)
    assert len(body) == MAX_BODY_BYTES
    assert post(served.port, body, signed_headers(body)) == 200
    assert post(served.port, body + b"x", signed_headers(body + b"x")) == 413


# ------------------------------------------------------------------------------------ signature


GARBAGE: list[tuple[str, bytes, dict[str, str]]] = [
    ("no headers", b"\x00\xff garbage", {"Content-Type": FORM}),
    ("no signature", b"command=%2Fmentoring&text=help", {"Content-Type": FORM, "X-Slack-Request-Timestamp": "1"}),
    ("forged", b"command=%2Fmentoring", {"Content-Type": FORM, "X-Slack-Request-Timestamp": str(int(time.time())),
                                         "X-Slack-Signature": "v0=" + "0" * 64}),
    ("timestamp not a number", b"{}", {"Content-Type": JSON, "X-Slack-Request-Timestamp": "soon",
                                       "X-Slack-Signature": "v0=abc"}),
    ("huge timestamp", b"{}", {"Content-Type": JSON, "X-Slack-Request-Timestamp": "9" * 400,
                               "X-Slack-Signature": "v0=abc"}),
    ("invalid json, unsigned", b"{not json", {"Content-Type": JSON}),
    ("invalid utf-8, unsigned", b"payload=\xff\xfe", {"Content-Type": FORM}),
    ("stale", b"{}", {"Content-Type": JSON, "X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=abc"}),
]


@pytest.mark.parametrize(("name", "body", "headers"), GARBAGE, ids=[g[0] for g in GARBAGE])
def test_unsigned_garbage_is_refused_with_at_most_one_short_line(
    served: Served, name: str, body: bytes, headers: dict[str, str]
) -> None:
    before = len(served.log_lines())
    assert post(served.port, body, headers) == 401
    lines = new_log_lines(served, before)
    assert len(lines) <= 1, lines
    assert all(len(line) < 300 and "Traceback" not in line for line in lines)


def test_a_stale_signature_is_refused(served: Served) -> None:
    body = b"command=%2Fmentoring&text=help"
    assert post(served.port, body, signed_headers(body, timestamp=int(time.time()) - 6 * 60)) == 401


def test_a_flood_of_garbage_is_not_a_flood_of_log_lines(served: Served) -> None:
    before = len(served.log_lines())
    for _ in range(50):
        assert post(served.port, b"garbage", {"Content-Type": FORM}) == 401
    assert len(new_log_lines(served, before)) <= 10


def _nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


MALFORMED: list[tuple[str, bytes, str]] = [
    ("invalid json", b'{"type": "event_callback", ', JSON),
    ("a json list", b'[{"type": "event_callback"}]', JSON),
    ("a json string", b'"event_callback"', JSON),
    ("deep nesting", _nested(MAX_JSON_DEPTH + 10), JSON),
    ("nesting past the parser", b"[" * 200_000 + b"]" * 200_000, JSON),
    ("invalid utf-8", b"command=%2Fmentoring&text=\xff\xfe", FORM),
    ("invalid utf-8 json", b'{"type": "\xff"}', JSON),
    ("payload not json", b"payload=%7Bnope", FORM),
    ("payload a list", b"payload=" + urlencode({"x": "[1,2]"}).encode()[2:], FORM),
    ("wrong content type", b"command=%2Fmentoring&text=help", "text/plain"),
    ("xml", b"<xml/>", "application/xml"),
    ("empty", b"", FORM),
    ("team an int", json.dumps({"type": "event_callback", "team": 5, "event": {"type": "x"}}).encode(), JSON),
    ("authorizations a string", json.dumps({"type": "event_callback", "authorizations": "x"}).encode(), JSON),
]


@pytest.mark.parametrize(("name", "body", "content_type"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_but_signed_bodies_get_400_and_one_line(
    served: Served, name: str, body: bytes, content_type: str
) -> None:
    before = len(served.log_lines())
    assert post(served.port, body, signed_headers(body, content_type)) == 400
    lines = new_log_lines(served, before)
    assert len(lines) <= 1, lines
    assert all(len(line) < 300 and "Traceback" not in line for line in lines)


def test_odd_shapes_inside_a_valid_payload_are_answered(served: Served) -> None:
    """Signed, well formed, but not what a listener expects: the error path answers, no 500."""
    odd = [
        {"type": "block_actions", "team": {"id": served.emulator.team_id}, "user": "U1", "actions": "click"},
        {"type": "view_submission", "team": {"id": served.emulator.team_id}, "view": [], "user": None},
        {"type": "shortcut", "team": {"id": served.emulator.team_id}, "callback_id": ["x"]},
    ]
    for payload in odd:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        assert post(served.port, body, signed_headers(body)) in (200, 404)
    with urllib.request.urlopen(f"http://127.0.0.1:{served.port}/healthz", timeout=10) as response:
        assert response.status == 200


def test_a_valid_signed_slash_command_still_works(served: Served) -> None:
    amara = served.person("amara")
    answer = amara.command("/mentoring", "help")
    assert answer.status == 200
    assert "/mentoring join" in answer.text
    assert amara.unsigned().command("/mentoring", "help").status == 401
    assert amara.forged().command("/mentoring", "help").status == 401


# ------------------------------------------------------------------------------------ connections


def test_healthz_answers_with_200_idle_and_half_open_connections(served: Served) -> None:
    idle: list[socket.socket] = []
    try:
        for number in range(200):
            sock = socket.create_connection(("127.0.0.1", served.port), timeout=5)
            if number % 2:  # half of them start a request and never finish it
                sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n")
            idle.append(sock)
        for _ in range(20):
            with urllib.request.urlopen(f"http://127.0.0.1:{served.port}/healthz", timeout=10) as response:
                assert response.status == 200
        amara = served.person("busy-amara")
        assert "/mentoring join" in amara.command("/mentoring", "help").text
    finally:
        for sock in idle:
            sock.close()


# ------------------------------------------------------------------------------------ in process


class _CountingStream(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.asked = 0

    def read(self, size: int | None = -1) -> bytes:
        self.asked += size if size and size > 0 else 1 << 62
        return super().read(size)


def _call(guard: SlackRequestGuard, environ: dict[str, Any]) -> str:
    statuses: list[str] = []
    guard({"REQUEST_METHOD": "POST", "PATH_INFO": "/slack/events", **environ}, lambda s, h: statuses.append(s))
    return statuses[0]


def test_without_a_length_the_guard_reads_one_byte_past_the_limit_at_most() -> None:
    reached: list[bool] = []
    guard = SlackRequestGuard(lambda environ, start: reached.append(True) or [], SECRET)
    stream = _CountingStream(b"x" * (3 * MAX_BODY_BYTES))
    assert _call(guard, {"wsgi.input": stream, "CONTENT_TYPE": FORM}).startswith("413")
    assert stream.asked == MAX_BODY_BYTES + 1
    declared = _CountingStream(b"x" * 10)
    assert _call(guard, {"wsgi.input": declared, "CONTENT_LENGTH": str(5 * MB)}).startswith("413")
    assert declared.asked == 0
    assert _call(guard, {"wsgi.input": io.BytesIO(b""), "CONTENT_LENGTH": "-1"}).startswith("400")
    assert not reached


def test_the_shape_check_accepts_what_slack_sends() -> None:
    assert malformed(b"command=%2Fmentoring&text=help&team_id=T1", FORM) is None
    assert malformed(urlencode({"payload": json.dumps({"type": "block_actions"})}).encode(), FORM) is None
    assert malformed(b'{"type": "event_callback", "event": {"type": "app_home_opened"}}', JSON) is None
    assert malformed(b'{"type": "url_verification"}', "application/json; charset=utf-8") is None
    assert malformed(_nested(MAX_JSON_DEPTH - 1), JSON) is None
