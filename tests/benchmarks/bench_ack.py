"""Benchmark: acknowledge latency and throughput of `/mentoring help` against a bare Bolt app.

Run it from the project root (``make bench`` runs it with the other benchmarks):

    .venv/bin/python tests/benchmarks/bench_ack.py [--scenario 8x16 --scenario 32x64] [--requests 4000]
        [--duration 15] [--rounds 3] [--warmup 200]
    .venv/bin/python tests/benchmarks/bench_ack.py --threads 8 --concurrency 16    # one scenario

What happens:

1. A local Slack Web API emulator starts in this process (nothing talks to slack.com).
2. For each scenario ``THREADSxCONNECTIONS`` (by default ``8x16``: the deployed HTTP_THREADS=8
   with twice as many connections; and ``32x64``: enough threads that the CPU, not Bolt's 10 ms
   acknowledgement poll, limits throughput), two server processes start on free ports on
   127.0.0.1: the REAL app (``python -m bot serve``, throw-away SQLite database, fresh encryption
   key, fixed signing secret, ``SLACK_API_URL`` pointing at the emulator) and the BARE app
   (``bare_app.py``: a minimal ``slack_bolt.App`` with one ``/trivial`` command, on the same
   waitress + ``SlackRequestHandler`` stack with the same thread count). Each is ready when
   ``GET /healthz`` answers 200. Both are stopped at the end of the scenario.
3. For each round, bare then real, alternately (bare, real, bare, real, ...), a SEPARATE load
   generator process (this script with ``--loadgen``) opens CONNECTIONS keep-alive
   connections, one thread each, sends a warm-up, then sends signed slash-command requests (Slack's
   form fields and ``v0`` signature, each request unique) until ``--requests`` have been sent or
   ``--duration`` seconds have passed, and times each request from send to last byte read.
   Meanwhile this process samples the server's resident memory (RSS, children included) every 50 ms.
4. Each figure reported is the MEDIAN over the rounds of that figure (p50, p95, p99, max, req/s);
   errors are summed; peak RSS is the maximum over all rounds; idle RSS is measured once, after
   start-up and before any request.

It prints a Markdown table ready for the README and writes ``bench-results/ack.json``.
An error is any answer that is not HTTP 200 with the expected text, or a failed connection.

Not a pytest test: pytest ignores ``tests/benchmarks`` and nothing here is named ``test_*``.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import json
import math
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from statistics import median
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
RESULTS = ROOT / "bench-results" / "ack.json"
SIGNING_SECRET = "bench-signing-secret-0123456789abcdef"
EVENTS_PATH = "/slack/events"
RSS_SAMPLE_SECONDS = 0.05
MB = 1024 * 1024

GOAL_P99_MS = 100.0
GOAL_RATIO = 0.70
GOAL_RSS_MB = 150.0
# As deployed (HTTP_THREADS default 8), and with enough threads that CPU, not Bolt's ack wait, is the limit.
DEFAULT_SCENARIOS = ((8, 16), (32, 64))


# ---------------------------------------------------------------------------------------------
# The load generator (runs in its own process: ``bench_ack.py --loadgen '<json>'``)


def _signed_request(secret: str, command: str, text: str, api_base: str, user: int) -> tuple[bytes, dict[str, str]]:
    import hashlib
    import hmac

    unique = uuid.uuid4().hex
    user_id = f"U0BENCH{user:04d}"
    channel = f"D0BENCH{user:04d}"
    body = urlencode({
        "token": "emulator-verification-token", "team_id": "T0EMULATOR", "team_domain": "emulator",
        "channel_id": channel, "channel_name": "directmessage", "user_id": user_id,
        "user_name": f"bench{user}", "command": command, "text": text, "api_app_id": "A0EMULATOR",
        "is_enterprise_install": "false", "response_url": f"{api_base}response/{unique}",
        "trigger_id": f"{int(time.time())}.{unique[:12]}",
    }).encode()
    timestamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": f"v0={digest}",
    }
    return body, headers


def run_loadgen(spec: dict[str, Any]) -> dict[str, Any]:
    """Hammer one server; returns latencies (ms) and counts. Runs in the load-generator process."""
    port, concurrency = int(spec["port"]), int(spec["concurrency"])
    expect = str(spec["expect"]).encode()
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def phase(total: int, duration: float, record: bool) -> float:
        counter = itertools.count()
        deadline = time.perf_counter() + duration

        def worker(index: int) -> None:
            conn: http.client.HTTPConnection | None = None
            mine: list[float] = []
            my_errors: list[str] = []
            while next(counter) < total and time.perf_counter() < deadline:
                body, headers = _signed_request(
                    spec["secret"], spec["command"], spec["text"], spec["api_base"], index
                )
                started = time.perf_counter()
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                    conn.request("POST", EVENTS_PATH, body=body, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    elapsed = (time.perf_counter() - started) * 1000
                    if resp.status != 200:
                        my_errors.append(f"HTTP {resp.status}")
                    elif expect not in data:
                        my_errors.append("unexpected body: " + data[:80].decode("utf-8", "replace"))
                    if resp.will_close:
                        conn.close()
                        conn = None
                except (OSError, http.client.HTTPException) as exc:
                    elapsed = (time.perf_counter() - started) * 1000
                    my_errors.append(f"{type(exc).__name__}: {exc}")
                    if conn is not None:
                        conn.close()
                    conn = None
                mine.append(elapsed)
            if conn is not None:
                conn.close()
            if record:
                with lock:
                    latencies.extend(mine)
                    errors.extend(my_errors)

        threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(concurrency)]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(duration + 15)
        return time.perf_counter() - began

    phase(int(spec["warmup"]), float(spec["duration"]), record=False)
    wall = phase(int(spec["requests"]), float(spec["duration"]), record=True)
    return {"latencies_ms": latencies, "errors": errors, "wall_seconds": wall}


# ---------------------------------------------------------------------------------------------
# Results


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (no interpolation)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


@dataclass
class Round:
    app: str
    requests: int
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    rps: float
    peak_rss_mb: float
    cpu_ms_per_request: float
    error_samples: list[str] = field(default_factory=list)


@dataclass
class Summary:
    app: str
    label: str
    rounds: list[Round]
    idle_rss_mb: float
    requests: int = 0
    errors: int = 0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    rps: float = 0.0
    peak_rss_mb: float = 0.0
    cpu_ms_per_request: float = 0.0

    def finish(self) -> Summary:
        self.requests = sum(r.requests for r in self.rounds)
        self.errors = sum(r.errors for r in self.rounds)
        for name in ("p50_ms", "p95_ms", "p99_ms", "max_ms", "rps", "cpu_ms_per_request"):
            setattr(self, name, median(getattr(r, name) for r in self.rounds))
        self.peak_rss_mb = max([self.idle_rss_mb] + [r.peak_rss_mb for r in self.rounds])
        return self


# ---------------------------------------------------------------------------------------------
# Server processes


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def start_server(name: str, argv: list[str], env: dict[str, str], workdir: Path) -> Server:
    port = free_port()
    log_path = workdir / f"{name}.log"
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            argv, cwd=workdir, env={**env, "PORT": str(port)}, stdin=subprocess.DEVNULL,
            stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )
    return Server(name, port, process, log_path)


def wait_ready(server: Server, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} server exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=2)
            try:
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            finally:
                conn.close()
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{server.name} server not ready after {timeout:.0f} s:\n{server.log_tail()}")


def stop_server(server: Server) -> None:
    if server.process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.process.pid, signal.SIGTERM)
    try:
        server.process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=5)


def rss_bytes(pid: int) -> int:
    import psutil

    try:
        proc = psutil.Process(pid)
        total = int(proc.memory_info().rss)
        for child in proc.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                total += int(child.memory_info().rss)
        return total
    except psutil.Error:
        return 0


def cpu_seconds(pid: int) -> float:
    import psutil

    try:
        times = psutil.Process(pid).cpu_times()
        return float(times.user + times.system)
    except psutil.Error:
        return 0.0


class RssSampler:
    """Samples a process's RSS (children included) every 50 ms from a thread; keeps the peak."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes(self.pid))
            self._stop.wait(RSS_SAMPLE_SECONDS)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.peak = max(self.peak, rss_bytes(self.pid))


def load_round(server: Server, spec: dict[str, Any]) -> Round:
    """One loaded round against ``server``, from a separate load-generator process."""
    argv = [sys.executable, str(Path(__file__).resolve()), "--loadgen", json.dumps({**spec, "port": server.port})]
    cpu_before = cpu_seconds(server.process.pid)
    with RssSampler(server.process.pid) as sampler:
        try:
            done = subprocess.run(argv, capture_output=True, timeout=2 * float(spec["duration"]) + 60, check=False)
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError(f"the load generator did not finish against {server.name}") from exc
    cpu_used = cpu_seconds(server.process.pid) - cpu_before
    if done.returncode != 0:
        raise RuntimeError(f"the load generator failed:\n{done.stderr.decode(errors='replace')[-2000:]}")
    if server.process.poll() is not None:
        raise RuntimeError(f"{server.name} server died under load:\n{server.log_tail()}")
    result = json.loads(done.stdout)
    latencies: list[float] = result["latencies_ms"]
    errors: list[str] = result["errors"]
    sent = len(latencies) + int(spec["warmup"])
    return Round(
        app=server.name,
        requests=len(latencies),
        errors=len(errors),
        p50_ms=percentile(latencies, 0.50),
        p95_ms=percentile(latencies, 0.95),
        p99_ms=percentile(latencies, 0.99),
        max_ms=max(latencies, default=float("nan")),
        rps=len(latencies) / result["wall_seconds"] if result["wall_seconds"] else 0.0,
        peak_rss_mb=sampler.peak / MB,
        cpu_ms_per_request=cpu_used * 1000 / sent if sent else float("nan"),
        error_samples=sorted(set(errors))[:5],
    )


# ---------------------------------------------------------------------------------------------
# Report


def parse_scenario(text: str) -> tuple[int, int]:
    """``"8x16"``: 8 server threads (HTTP_THREADS), 16 concurrent connections."""
    try:
        threads, concurrency = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not THREADSxCONNECTIONS, e.g. 8x16") from None
    if threads < 1 or concurrency < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: both numbers must be at least 1")
    return threads, concurrency


@dataclass
class Scenario:
    threads: int
    concurrency: int
    real: Summary
    bare: Summary

    @property
    def ratio(self) -> float:
        return self.real.rps / self.bare.rps if self.bare.rps else float("nan")

    @property
    def load(self) -> str:
        return f"{self.threads} threads, {self.concurrency} conns"


def markdown(scenarios: list[Scenario], settings: dict[str, Any]) -> str:
    header = (
        "| Load | App | Requests | Errors | p50 ms | p95 ms | p99 ms | max ms | req/s | vs bare | "
        "CPU ms/req | RSS idle MB | RSS peak MB |"
    )
    lines = [
        f"Acknowledge latency through waitress + Bolt, load from a separate process over keep-alive connections; "
        f"{settings['rounds']} alternating rounds per app of up to {settings['requests']:,} requests, "
        f"median of rounds; {settings['cpus']} CPUs, Python {settings['python']}.",
        "",
        header,
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for sc in scenarios:
        for summary, vs in ((sc.real, f"{sc.ratio:.0%}"), (sc.bare, "100%")):
            lines.append(
                f"| {sc.load} | {summary.label} | {summary.requests:,} | {summary.errors} | {summary.p50_ms:.1f} | "
                f"{summary.p95_ms:.1f} | {summary.p99_ms:.1f} | {summary.max_ms:.1f} | {summary.rps:,.0f} | {vs} | "
                f"{summary.cpu_ms_per_request:.2f} | {summary.idle_rss_mb:.0f} | {summary.peak_rss_mb:.0f} |"
            )
    lines.append("")
    for sc in scenarios:
        verdicts = [f"{name}: {'met' if ok else 'MISSED'} ({got})" for name, ok, got in goals(sc)]
        lines.append(f"Goals at {sc.load}: " + "; ".join(verdicts) + ".")
    return "\n".join(lines)


def goals(sc: Scenario) -> list[tuple[str, bool, str]]:
    errors = sc.real.errors + sc.bare.errors
    return [
        (f"p99 < {GOAL_P99_MS:.0f} ms", sc.real.p99_ms < GOAL_P99_MS, f"{sc.real.p99_ms:.1f} ms"),
        (f"throughput >= {GOAL_RATIO:.0%} of bare", sc.ratio >= GOAL_RATIO, f"{sc.ratio:.0%}"),
        (f"RSS < {GOAL_RSS_MB:.0f} MB", sc.real.peak_rss_mb < GOAL_RSS_MB, f"{sc.real.peak_rss_mb:.0f} MB peak"),
        ("no errors", errors == 0, f"{errors}"),
    ]


# ---------------------------------------------------------------------------------------------
# Main


def child_env(emulator_api: str, token: str, key: str, database_url: str, threads: int) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "DATABASE_", "ENCRYPTION_", "ADMINS", "AUTO_MIGRATE", "LOG_LEVEL"))
    }
    env.update({
        "SLACK_BOT_TOKEN": token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": emulator_api,
        "DATABASE_URL": database_url,
        "ENCRYPTION_KEYS": key,
        "HTTP_THREADS": str(threads),
        "LOG_LEVEL": "INFO",
        "AUTO_MIGRATE": "true",
        "PYTHONPATH": str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
        "PYTHONUNBUFFERED": "1",
    })
    return env


def run_scenario(args: argparse.Namespace, emulator: Any, threads: int, concurrency: int) -> Scenario:
    """Start both servers with ``threads`` threads, load them alternately, stop them."""
    from bot.crypto import generate_key

    print(f"-- {threads} server threads, {concurrency} concurrent connections", flush=True)
    servers: list[Server] = []
    with tempfile.TemporaryDirectory(prefix="bench-ack-") as tmp:
        workdir = Path(tmp)
        env = child_env(
            emulator.api_url, emulator.bot_token, generate_key(), f"sqlite:///{workdir / 'bench.db'}", threads
        )
        try:
            real = start_server("real", [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1"], env, workdir)
            servers.append(real)
            bare = start_server("bare", [sys.executable, str(HERE / "bare_app.py")], env, workdir)
            servers.append(bare)
            for server in servers:
                wait_ready(server)
            time.sleep(0.5)
            idle = {server.name: rss_bytes(server.process.pid) / MB for server in servers}

            base = {
                "secret": SIGNING_SECRET, "api_base": emulator.api_url, "concurrency": concurrency,
                "requests": args.requests, "duration": args.duration, "warmup": args.warmup,
            }
            specs = {
                "real": {**base, "command": "/mentoring", "text": "help", "expect": "Reverse mentoring help"},
                "bare": {**base, "command": "/trivial", "text": "", "expect": "Trivial answer"},
            }
            rounds: dict[str, list[Round]] = {"real": [], "bare": []}
            for number in range(1, args.rounds + 1):
                for server in (bare, real):
                    result = load_round(server, specs[server.name])
                    rounds[server.name].append(result)
                    print(
                        f"   round {number} {server.name}: {result.requests} requests, {result.errors} errors, "
                        f"p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, {result.rps:.0f} req/s, "
                        f"peak RSS {result.peak_rss_mb:.0f} MB",
                        flush=True,
                    )
                    for sample in result.error_samples:
                        print(f"      error: {sample}", flush=True)
        finally:
            for server in servers:
                stop_server(server)
    return Scenario(
        threads, concurrency,
        real=Summary("real", "`/mentoring help` (real app)", rounds["real"], idle["real"]).finish(),
        bare=Summary("bare", "`/trivial` (bare Bolt)", rounds["bare"], idle["bare"]).finish(),
    )


def run_benchmark(args: argparse.Namespace) -> int:
    sys.path.insert(0, str(ROOT))
    from bot.emulator import SlackEmulator

    emulator = SlackEmulator().start()
    try:
        scenarios = [run_scenario(args, emulator, threads, conns) for threads, conns in args.scenario]
    finally:
        emulator.stop()

    settings = {
        "scenarios": [f"{t}x{c}" for t, c in args.scenario], "rounds": args.rounds, "requests": args.requests,
        "duration_s": args.duration, "warmup": args.warmup, "cpus": os.cpu_count(),
        "python": platform.python_version(), "platform": platform.platform(), "statistic": "median of rounds",
    }
    table = markdown(scenarios, settings)
    print()
    print(table)

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "settings": settings,
        "scenarios": [
            {"threads": sc.threads, "concurrency": sc.concurrency, "throughput_ratio": sc.ratio,
             "goals": [{"goal": name, "met": ok, "measured": got} for name, ok, got in goals(sc)],
             "real": asdict(sc.real), "bare": asdict(sc.bare)}
            for sc in scenarios
        ],
        "markdown": table,
    }, indent=2) + "\n")
    print(f"\nResults written to {RESULTS.relative_to(ROOT)}")
    return 1 if any(sc.real.errors or sc.bare.errors for sc in scenarios) else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--scenario", type=parse_scenario, action="append", metavar="THREADSxCONNS",
        help="server threads x concurrent connections; repeat for several (default: 8x16 and 32x64)",
    )
    parser.add_argument("--concurrency", type=int, help="shorthand: one scenario, --threads x this")
    parser.add_argument("--threads", type=int, default=8, help="server threads with --concurrency (default 8)")
    parser.add_argument("--requests", type=int, default=4000, help="measured requests per round (default 4000)")
    parser.add_argument("--duration", type=float, default=15.0, help="at most this many seconds per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per app, alternating (default 3)")
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured requests before each round")
    parser.add_argument("--loadgen", metavar="JSON", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.loadgen:
        json.dump(run_loadgen(json.loads(args.loadgen)), sys.stdout)
        return 0
    if args.concurrency:
        args.scenario = [*(args.scenario or []), (args.threads, args.concurrency)]
    args.scenario = args.scenario or list(DEFAULT_SCENARIOS)
    args.rounds = max(1, args.rounds)
    # A SIGTERM (e.g. from make being stopped) unwinds through the finally blocks that stop the servers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    return run_benchmark(args)


if __name__ == "__main__":
    sys.exit(main())
