"""Run the benchmarks in this folder, one subprocess each, in turn, and show their output.

    .venv/bin/python tests/benchmarks/run_all.py              # every bench_*.py (``make bench``)
    .venv/bin/python tests/benchmarks/run_all.py ack          # only bench_ack.py
    .venv/bin/python tests/benchmarks/run_all.py ack matching
    .venv/bin/python tests/benchmarks/run_all.py speed_rotation      # planner: hand-written blossom vs networkx
    .venv/bin/python tests/benchmarks/run_all.py ack -- --concurrency 32   # arguments after -- go to each
    .venv/bin/python tests/benchmarks/run_all.py http_surface -- --baseline-root /tmp/base  # before/after

Exits non-zero if a benchmark fails (or a name matches none).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def main(argv: list[str]) -> int:
    names, extra = (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    available = {path.stem.removeprefix("bench_"): path for path in sorted(HERE.glob("bench_*.py"))}
    unknown = [name for name in names if name.removeprefix("bench_").removesuffix(".py") not in available]
    if unknown:
        print(f"No such benchmark: {', '.join(unknown)}. Available: {', '.join(available)}", file=sys.stderr)
        return 2
    wanted = [n.removeprefix("bench_").removesuffix(".py") for n in names] or list(available)
    failed: list[str] = []
    for name in wanted:
        script = available[name]
        print(f"\n=== {script.name} ===", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, str(script), *extra], cwd=ROOT)
        print(f"=== {script.name}: {'ok' if code == 0 else f'FAILED (exit {code})'} "
              f"in {time.perf_counter() - started:.0f} s ===", flush=True)
        if code != 0:
            failed.append(name)
    if failed:
        print(f"\nFailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
