"""Benchmark: the HTTP surface under attack: memory with big unsigned bodies, /healthz with idle sockets.

Run it from the project root (``make bench`` runs it with the other benchmarks):

    .venv/bin/python tests/benchmarks/bench_http_surface.py
    .venv/bin/python tests/benchmarks/bench_http_surface.py --baseline-root /tmp/base   # before / after

``--baseline-root`` is another checkout of the project (for example ``git archive <commit> | tar -x``
into a folder): the same measurements run against its ``python -m bot serve`` first, then against
this one, and the table shows both.

What happens, for each checkout:

1. A local Slack Web API emulator starts in this process (nothing talks to slack.com), and
   ``python -m bot serve`` starts from the checkout (throw-away SQLite database, fresh encryption
   key, fixed signing secret); it is ready when ``GET /healthz`` answers 200, and is warmed with a
   few signed ``/mentoring help`` commands.
2. **Memory**: four clients at once each send an unsigned ``POST /slack/events`` declaring a
   100 MB body and stream it in 256 KB pieces until done or refused. The server's resident memory
   (RSS) is sampled every 20 ms; the figure is the peak growth over its RSS just before.
3. **Idle connections**: ``/healthz`` is timed 200 times (a new connection each, as a load
   balancer's probe) with no other connection open; then 200 connections are opened and held (half
   silent, half with an unfinished request header) and ``/healthz`` is timed 200 times again. A
   probe that gets no answer in ``--probe-timeout`` seconds (3, Slack's own deadline) counts as
   failed; the very first probe waits up to ``--first-cap`` seconds, to show how long a starved
   server takes to answer at all.

It prints a Markdown table and writes ``bench-results/http_surface.json``.
Not a pytest test: pytest ignores ``tests/benchmarks`` and nothing here is named ``test_*``.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from statistics import quantiles

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402

from bot.crypto import generate_key  # noqa: E402
from bot.emulator import SimulatedUser, SlackEmulator  # noqa: E402

SECRET = "bench-http-surface-secret"
MB = 1024 * 1024


@dataclass
class Figures:
    checkout: str
    idle_rss_mb: float = 0.0
    attack_peak_growth_mb: float = 0.0
    attack_answers: list[str] = field(default_factory=list)
    attack_seconds: float = 0.0
    healthz_quiet_p50_ms: float = 0.0
    healthz_quiet_p99_ms: float = 0.0
    first_probe_ms: float | None = None
    healthz_idle_p50_ms: float | None = None
    healthz_idle_p99_ms: float | None = None
    idle_probe_failures: int = 0
    probes: int = 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(checkout: Path, emulator: SlackEmulator, workdir: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE", "ENCRYPTION"))},
        "PYTHONPATH": str(checkout),
        "SLACK_BOT_TOKEN": emulator.bot_token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": emulator.api_url,
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}",
        "ENCRYPTION_KEYS": generate_key(),
        "PORT": str(port),
        "LOG_LEVEL": "WARNING",
    }
    log = open(workdir / "serve.log", "wb")  # noqa: SIM115  (closed with the process)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1"],
        env=env, cwd=str(checkout), stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                if response.status == 200:
                    return process, port
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"the server in {checkout} did not start: {(workdir / 'serve.log').read_text()[-2000:]}")


def rss(pid: int) -> int:
    return int(psutil.Process(pid).memory_info().rss)


def stream_unsigned(port: int, size: int, answers: list[str]) -> None:
    head = (f"POST /slack/events HTTP/1.1\r\nHost: bench\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {size}\r\n\r\n").encode()
    piece = b"x" * (256 * 1024)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
            sock.sendall(head)
            for _ in range(size // len(piece)):
                sock.sendall(piece)
            answers.append(sock.recv(64).split(b"\r\n", 1)[0].decode(errors="replace") or "closed")
    except OSError as error:
        answers.append(f"cut off ({type(error).__name__})")


def probe(port: int, timeout: float) -> float | None:
    """Milliseconds for one GET /healthz on a new connection, or None if no 200 came in time."""
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=timeout) as response:
            response.read()
            ok = response.status == 200
    except OSError:
        return None
    return (time.perf_counter() - started) * 1000 if ok else None


def p50_p99(values: list[float]) -> tuple[float, float]:
    if len(values) < 2:
        return (values[0], values[0]) if values else (float("nan"), float("nan"))
    cuts = quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[98]


def measure(checkout: Path, args: argparse.Namespace) -> Figures:
    figures = Figures(checkout=str(checkout))
    emulator = SlackEmulator().start()
    with tempfile.TemporaryDirectory(prefix="bench-http-") as tmp:
        process, port = start_server(checkout, emulator, Path(tmp))
        try:
            person = SimulatedUser(emulator, f"http://127.0.0.1:{port}/slack/events", SECRET, emulator.add_user("ana"))
            for _ in range(5):
                assert person.command("/mentoring", "help").status == 200
            figures.idle_rss_mb = rss(process.pid) / MB

            # 2. memory with four unsigned 100 MB bodies in flight
            before = peak = rss(process.pid)
            answers: list[str] = []
            senders = [threading.Thread(target=stream_unsigned, args=(port, args.body_mb * MB, answers))
                       for _ in range(4)]
            started = time.perf_counter()
            for sender in senders:
                sender.start()
            while any(sender.is_alive() for sender in senders):
                peak = max(peak, rss(process.pid))
                time.sleep(0.02)
            figures.attack_seconds = time.perf_counter() - started
            # The baseline answers after reading the whole body: keep sampling while it works.
            settle_until = time.monotonic() + 2
            while time.monotonic() < settle_until:
                peak = max(peak, rss(process.pid))
                time.sleep(0.02)
            figures.attack_peak_growth_mb = (peak - before) / MB
            figures.attack_answers = sorted(answers)

            # 3. /healthz, quiet and with idle connections
            quiet = [probe(port, args.probe_timeout) for _ in range(args.probes)]
            figures.healthz_quiet_p50_ms, figures.healthz_quiet_p99_ms = p50_p99([q for q in quiet if q is not None])
            held: list[socket.socket] = []
            try:
                for number in range(args.idle):
                    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                    if number % 2:
                        sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: bench\r\nContent-Length: 100\r\n")
                    held.append(sock)
                time.sleep(0.2)  # let the server see them all
                figures.first_probe_ms = probe(port, args.first_cap)
                rest = [probe(port, args.probe_timeout) for _ in range(args.probes - 1)]
            finally:
                for sock in held:
                    sock.close()
            timed = [t for t in [figures.first_probe_ms, *rest] if t is not None]
            figures.probes = args.probes
            figures.idle_probe_failures = args.probes - len(timed)
            if timed:
                figures.healthz_idle_p50_ms, figures.healthz_idle_p99_ms = p50_p99(timed)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
            emulator.stop()
    return figures


def _ms(value: float | None) -> str:
    return "no answer" if value is None else f"{value:,.1f} ms"


def table(results: list[tuple[str, Figures]]) -> str:
    names = [name for name, _ in results]
    rows = [
        ("idle RSS", [f"{f.idle_rss_mb:.0f} MB" for _, f in results]),
        ("RSS growth, 4 unsigned 100 MB bodies in flight (peak)",
         [f"{f.attack_peak_growth_mb:,.1f} MB" for _, f in results]),
        ("what those 4 clients got", [", ".join(sorted(set(f.attack_answers))) for _, f in results]),
        ("time until all 4 clients were done", [f"{f.attack_seconds:.1f} s" for _, f in results]),
        ("/healthz p50 / p99, no other connections",
         [f"{f.healthz_quiet_p50_ms:.1f} / {f.healthz_quiet_p99_ms:.1f} ms" for _, f in results]),
        ("first /healthz with 200 idle connections open", [_ms(f.first_probe_ms) for _, f in results]),
        ("/healthz p50 / p99 with 200 idle connections", [
            f"{_ms(f.healthz_idle_p50_ms)} / {_ms(f.healthz_idle_p99_ms)}" for _, f in results]),
        ("probes unanswered (of 200) with idle connections", [str(f.idle_probe_failures) for _, f in results]),
    ]
    lines = ["| measure | " + " | ".join(names) + " |", "| --- |" + " --- |" * len(names)]
    lines += [f"| {label} | " + " | ".join(cells) + " |" for label, cells in rows]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline-root", type=Path, help="another checkout to measure first, as the baseline")
    parser.add_argument("--body-mb", type=int, default=100)
    parser.add_argument("--idle", type=int, default=200, help="idle connections to hold open")
    parser.add_argument("--probes", type=int, default=200)
    parser.add_argument("--probe-timeout", type=float, default=3.0)
    parser.add_argument("--first-cap", type=float, default=200.0, help="how long the first probe may wait")
    args = parser.parse_args()
    results: list[tuple[str, Figures]] = []
    if args.baseline_root:
        print(f"Measuring the baseline in {args.baseline_root} ...", flush=True)
        results.append(("before", measure(args.baseline_root.resolve(), args)))
    print(f"Measuring this checkout ({ROOT}) ...", flush=True)
    results.append(("after" if args.baseline_root else "this checkout", measure(ROOT, args)))
    print()
    print(table(results))
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "http_surface.json").write_text(json.dumps({name: asdict(f) for name, f in results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
