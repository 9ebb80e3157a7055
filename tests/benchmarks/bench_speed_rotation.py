"""Benchmark: planning a 200-person reverse speed mentoring event, two matching algorithms side by side.

Run it from the project root:

    .venv/bin/python tests/benchmarks/bench_speed_rotation.py [--people 200] [--rounds 4] [--repeats 15]
        [--seed 0] [--only blossom|networkx]

The planner needs a maximum matching in a general graph once per second round of a block (which
pairs of pairs of the first round may swap partners to form groups of 2 + 2). This script plans
the same seeded events with:

* ``blossom``: ``bot.speed_events.rotation.maximum_matching`` as shipped, the hand-written
  Edmonds' blossom algorithm (a greedy start, then augmenting searches);
* ``networkx``: ``networkx.max_weight_matching(graph, maxcardinality=True)`` on the same,
  unweighted graph, behind the same interface (defined here, for the comparison only; networkx is
  a dev dependency for this benchmark, not a runtime one).

The two run alternately in the same process (A B A B ...), so drift of the machine's speed hits
both alike, after one warm-up each. It reports the median and spread of a whole ``plan_rotation``
(4 rounds by default, as in ``tests/test_speed_rotation.py``), of the matching calls alone (every
graph the planner built, re-solved on its own), the graphs' sizes, that both find matchings of the
same size on every graph, and the one-off time and memory that importing networkx adds.
``--only`` plans with one algorithm only (for timing whole processes from outside).

Not a pytest test: pytest ignores ``tests/benchmarks`` and nothing here is named ``test_*``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from statistics import median

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bot.speed_events import rotation as speed_rotation
from bot.speed_events.rotation import Attendee, plan_rotation, validate_plan

Matcher = Callable[[Sequence[Sequence[int]]], list[int]]


def networkx_maximum_matching(adjacency: Sequence[Sequence[int]]) -> list[int]:
    """The same contract as ``speed_rotation.maximum_matching``, solved by networkx.

    All edges weigh the same, so with ``maxcardinality=True`` networkx's maximum-weight matching
    (its blossom algorithm) is a maximum-cardinality matching. networkx is imported on first use,
    as the planner would have to (the app keeps heavy imports out of start-up).
    """
    from networkx import Graph, max_weight_matching

    graph = Graph()
    graph.add_nodes_from(range(len(adjacency)))
    graph.add_edges_from((v, u) for v, neighbours in enumerate(adjacency) for u in neighbours if u != v)
    mate = [-1] * len(adjacency)
    for v, u in max_weight_matching(graph, maxcardinality=True):
        mate[v], mate[u] = u, v
    return mate


SHIPPED: Matcher = speed_rotation.maximum_matching
ALGORITHMS: dict[str, Matcher] = {"blossom": SHIPPED, "networkx": networkx_maximum_matching}


def make_event(people: int, seed: int) -> list[Attendee]:
    """The event of ``test_two_hundred_people_four_rounds_is_fast``: 6 organisations of uneven size."""
    rng = np.random.default_rng(seed)
    orgs = [f"Org{i}" for i in range(6)]
    return [Attendee(f"p{i}", "mentor" if rng.random() < 0.45 else "mentee",
                     str(rng.choice(orgs, p=[0.35, 0.25, 0.15, 0.1, 0.1, 0.05]))) for i in range(people)]


def plan_with(matcher: Matcher, attendees: list[Attendee], rounds: int, seed: int,
              graphs: list[list[list[int]]] | None = None) -> tuple[float, speed_rotation.RotationPlan]:
    """Plan once with ``matcher`` in place of the shipped matching; returns seconds and the plan."""

    def recording(adjacency: Sequence[Sequence[int]]) -> list[int]:
        if graphs is not None:
            graphs.append([list(neighbours) for neighbours in adjacency])
        return matcher(adjacency)

    speed_rotation.maximum_matching = recording if graphs is not None else matcher  # type: ignore[assignment]
    try:
        started = time.perf_counter()
        plan = plan_rotation(attendees, rounds, seed=seed)
        return time.perf_counter() - started, plan
    finally:
        speed_rotation.maximum_matching = SHIPPED  # type: ignore[assignment]


def matching_size(mate: list[int]) -> int:
    return sum(1 for u in mate if u >= 0) // 2


IMPORT_PROBE = """
import time, psutil, numpy, scipy.optimize, bot.speed_events.rotation
process = psutil.Process()
rss, started = process.memory_info().rss, time.perf_counter()
import networkx
print(time.perf_counter() - started, process.memory_info().rss - rss)
"""


def import_cost(repeats: int) -> tuple[float, float]:
    """Median seconds and resident bytes that ``import networkx`` adds to a process that plans events.

    Each probe is a fresh interpreter that has already loaded what the planner loads (numpy, scipy).
    """
    seconds, rss = [], []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", IMPORT_PROBE], check=True, capture_output=True, text=True,
                             cwd=Path(__file__).resolve().parents[2]).stdout.split()
        seconds.append(float(out[0]))
        rss.append(float(out[1]))
    return median(seconds), median(rss)


def spread(values: Sequence[float], unit: float = 1e3) -> str:
    return f"{median(values) * unit:.1f} ms ({min(values) * unit:.1f}–{max(values) * unit:.1f})"


def run_benchmark(people: int, rounds: int, repeats: int, seed: int) -> None:
    attendees = make_event(people, seed)
    mentors = sum(1 for a in attendees if a.role == "mentor")
    print(f"Event: {people} people ({mentors} mentors, {people - mentors} mentees, 6 organisations), "
          f"{rounds} rounds, {repeats} plans per algorithm, alternating, after one warm-up each")

    graphs: list[list[list[int]]] = []
    plans = {}
    for name, matcher in ALGORITHMS.items():  # warm-up: imports, caches; also records the graphs once
        _, plans[name] = plan_with(matcher, attendees, rounds, seed, graphs if name == "blossom" else None)
        problems = validate_plan(plans[name], attendees, rounds)
        if problems:
            raise SystemExit(f"{name}: invalid plan: {problems[:3]}")

    plan_times: dict[str, list[float]] = {name: [] for name in ALGORITHMS}
    for repeat in range(repeats):
        for name, matcher in ALGORITHMS.items():
            plan_times[name].append(plan_with(matcher, attendees, rounds, seed + 1 + repeat)[0])

    match_times: dict[str, list[float]] = {name: [] for name in ALGORITHMS}
    sizes: dict[str, list[int]] = {name: [] for name in ALGORITHMS}
    for repeat in range(repeats):
        for name, matcher in ALGORITHMS.items():
            started = time.perf_counter()
            mates = [matcher(graph) for graph in graphs]
            match_times[name].append(time.perf_counter() - started)
            if repeat == 0:
                sizes[name] = [matching_size(mate) for mate in mates]
    if sizes["blossom"] != sizes["networkx"]:
        raise SystemExit(f"matching sizes differ: {sizes}")

    vertices = [len(graph) for graph in graphs]
    edges = [sum(len(neighbours) for neighbours in graph) // 2 for graph in graphs]
    same_plan = plans["blossom"].meetings() == plans["networkx"].meetings()
    networkx_import, networkx_rss = import_cost(max(3, repeats // 3))
    ratio = [a / b for a, b in zip(plan_times["networkx"], plan_times["blossom"], strict=True)]

    print(f"Matching graphs per plan: {len(graphs)} (vertices {vertices}, edges {edges}); "
          f"matching sizes {sizes['blossom']}, identical for both")
    print(f"Warm-up plans identical: {'yes' if same_plan else 'no (another maximum matching; both valid)'}")
    print()
    print("| measure | hand-written blossom | networkx |")
    print("| --- | ---: | ---: |")
    print(f"| whole `plan_rotation`, median (min–max) | {spread(plan_times['blossom'])} | "
          f"{spread(plan_times['networkx'])} |")
    print(f"| networkx / blossom, median of paired runs | | {median(ratio):.3f} |")
    print(f"| the {len(graphs)} matchings alone, median (min–max) | {spread(match_times['blossom'])} | "
          f"{spread(match_times['networkx'])} |")
    print(f"| one-off `import networkx` in a process that plans (time; resident memory) | | "
          f"{networkx_import * 1e3:.0f} ms; +{networkx_rss / 2**20:.0f} MiB |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", choices=sorted(ALGORITHMS), help="plan once with one algorithm, print nothing")
    arguments = parser.parse_args()
    if arguments.only:
        attendees = make_event(arguments.people, arguments.seed)
        plan_with(ALGORITHMS[arguments.only], attendees, arguments.rounds, arguments.seed)
        return
    run_benchmark(arguments.people, arguments.rounds, max(1, arguments.repeats), arguments.seed)


if __name__ == "__main__":
    main()
