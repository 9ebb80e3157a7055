"""Benchmark: matching 2,000 mentors with 2,000 mentees, optimally, against a greedy baseline.

Run it from the project root:

    .venv/bin/python tests/benchmarks/bench_matching.py [--mentors 2000] [--mentees 2000] [--seed 7]
        [--repeats 3]

It builds a realistic, seeded programme (20 organisations with 15 departments each, manager
trees whose upper levels are not enrolled, junior mentors reporting up to senior mentees, about
10% of mentees with previous pairs, private do-not-pair requests, the lead's forbidden and pinned
pairs, people spread over time zones and working patterns), then times building the matrices and
solving separately, measures memory, and prints a Markdown table for the README.

Not a pytest test: pytest ignores ``tests/benchmarks`` and nothing here is named ``test_*``.
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import sys
import time as clock
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time
from functools import partial
from pathlib import Path
from statistics import median
from typing import TYPE_CHECKING, Any

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

if TYPE_CHECKING:
    from bot.matching.service import Candidate, MatchingRules

TIME_ZONES = [
    "Europe/London", "America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/Berlin",
    "Europe/Paris", "Asia/Kolkata", "Asia/Singapore", "Australia/Sydney", "Asia/Tokyo",
    "Africa/Johannesburg", "America/Sao_Paulo", "America/Toronto", "Europe/Dublin", "Africa/Nairobi",
    "Asia/Dubai", "Europe/Madrid", "Pacific/Auckland", "America/Mexico_City", "Asia/Kathmandu",
]
HOURS = [(time(9), time(17))] * 6 + [(time(8), time(16)), (time(10), time(18)), (time(8, 30), time(16, 30)),
                                       (time(7), time(15))]
WEEK_PATTERNS = [frozenset(range(5))] * 17 + [frozenset(range(4)), frozenset(range(4)), frozenset({1, 2, 3, 4, 5})]
TOPICS = [
    "race and ethnicity", "gender", "disability", "neurodiversity", "social class", "LGBTQ+ inclusion",
    "faith", "age", "caring responsibilities", "parental leave", "mental health", "flexible working",
    "first-generation graduates", "career progression", "hybrid work", "new technology", "social media",
    "sustainability", "menopause", "accent and language", "military veterans", "returners",
    "apprenticeships", "pay transparency",
]
TOPIC_WEIGHTS = [1 / (rank + 1) ** 0.8 for rank in range(len(TOPICS))]  # a few topics are popular


@dataclass
class Programme:
    candidates: list[Candidate]
    rules: MatchingRules
    managers: dict[str, str | None]


def generate_programme(n_mentors: int, n_mentees: int, seed: int) -> Programme:
    from bot.matching.service import Candidate, MatchingRules

    rng = random.Random(seed)
    n_orgs, n_departments = 20, 15
    organisations = [f"Org {index + 1:02d}" for index in range(n_orgs)]
    departments = [f"Function {index + 1:02d}" for index in range(n_departments)]
    home_tz = {org: TIME_ZONES[index % len(TIME_ZONES)] for index, org in enumerate(organisations)}
    managers: dict[str, str | None] = {}
    for org in organisations:  # the upper tree is not enrolled: chief executive and department heads
        managers[f"{org}/ceo"] = None
        for dept in departments:
            managers[f"{org}/{dept}/head"] = f"{org}/ceo"

    def working_pattern(org: str) -> dict[str, Any]:
        start, end = rng.choice(HOURS)
        tz = home_tz[org] if rng.random() < 0.75 else rng.choice(TIME_ZONES)
        return {"tz": tz, "work_start": start, "work_end": end, "work_days": rng.choice(WEEK_PATTERNS)}

    def topics(low: int, high: int) -> frozenset[str]:
        return frozenset(rng.choices(TOPICS, TOPIC_WEIGHTS, k=rng.randint(low, high)))

    mentees: list[Candidate] = []
    senior_by_unit: dict[tuple[str, str], list[str]] = {}
    for index in range(n_mentees):
        org, dept = rng.choice(organisations), rng.choice(departments)
        seniors = senior_by_unit.setdefault((org, dept), [])
        boss = rng.choice(seniors) if seniors and rng.random() < 0.4 else f"{org}/{dept}/head"
        person_id = f"mentee-{index:04d}"
        seniors.append(person_id)
        mentees.append(Candidate(person_id, "mentee", org, dept, manager_id=boss,
                                 topics_learn=topics(1, 4), **working_pattern(org)))

    mentors: list[Candidate] = []
    for index in range(n_mentors):
        org, dept = rng.choice(organisations), rng.choice(departments)
        # Juniors usually report to a team lead (not enrolled) who reports to a senior leader,
        # who may well be enrolled as a mentee; sometimes in a neighbouring department.
        line_dept = dept if rng.random() < 0.8 else rng.choice(departments)
        seniors = senior_by_unit.get((org, line_dept), [])
        senior = rng.choice(seniors) if seniors and rng.random() < 0.7 else f"{org}/{line_dept}/head"
        if rng.random() < 0.2:
            boss = senior
        else:
            boss = f"{org}/{line_dept}/lead-{index:04d}"
            managers[boss] = senior
        mentors.append(Candidate(f"mentor-{index:04d}", "mentor", org, dept, manager_id=boss,
                                 topics_share=topics(1, 5), **working_pattern(org)))

    previous: set[frozenset[str]] = set()
    for person in mentees:  # about 10% of mentees took part before
        if rng.random() < 0.10:
            for partner in rng.sample(mentors, rng.randint(1, 3)):
                previous.add(frozenset({person.person_id, partner.person_id}))
    everyone = [*mentors, *mentees]
    opposite = {"mentor": mentees, "mentee": mentors}
    with_requests = []
    for person in everyone:  # 2% ask privately not to be paired with someone
        if rng.random() < 0.02:
            avoid = frozenset(p.person_id for p in rng.sample(opposite[person.role], 1))
            person = Candidate(**{**_fields(person), "do_not_pair_with": avoid})
        with_requests.append(person)
    forbidden = frozenset((rng.choice(mentors).person_id, rng.choice(mentees).person_id) for _ in range(50))
    pinned = frozenset(zip((m.person_id for m in rng.sample(mentors, 10)),
                           (m.person_id for m in rng.sample(mentees, 10)), strict=True))
    rules = MatchingRules(cross_organisation=True, previous_pairs=frozenset(previous),
                          pinned=pinned, forbidden=forbidden)
    return Programme(with_requests, rules, managers)


def _fields(person: Candidate) -> dict[str, Any]:
    return {name: getattr(person, name) for name in person.__slots__}


def greedy_baseline(scores: np.ndarray, allowed: np.ndarray) -> list[tuple[int, int]]:
    """Take allowed cells by descending score while both people are still free."""
    rows, cols = np.nonzero(allowed)
    order = np.argsort(-scores[rows, cols], kind="stable")
    free_rows = np.ones(allowed.shape[0], dtype=bool)
    free_cols = np.ones(allowed.shape[1], dtype=bool)
    limit = min(int(allowed.any(axis=1).sum()), int(allowed.any(axis=0).sum()))
    chosen: list[tuple[int, int]] = []
    for row, col in zip(rows[order].tolist(), cols[order].tolist(), strict=True):
        if free_rows[row] and free_cols[col]:
            free_rows[row] = free_cols[col] = False
            chosen.append((row, col))
            if len(chosen) == limit:
                break
    return chosen


def timed(action: Callable[[], Any]) -> tuple[Any, float]:
    started = clock.perf_counter()
    result = action()
    return result, clock.perf_counter() - started


def run_benchmark(n_mentors: int, n_mentees: int, seed: int, repeats: int = 3) -> None:
    from bot.matching.service import MatchingContext, build_problem, propose_matches, solve_assignment

    programme, generate_seconds = timed(lambda: generate_programme(n_mentors, n_mentees, seed))
    rules, managers = programme.rules, programme.managers
    mentors = [c for c in programme.candidates if c.role == "mentor"]
    mentees = [c for c in programme.candidates if c.role == "mentee"]
    process = psutil.Process()
    gc.collect()
    rss_before = process.memory_info().rss

    def build() -> Any:
        context = MatchingContext.build(programme.candidates, rules, managers=managers)
        return build_problem(mentors, mentees, context)

    # The first run is "cold" (time-zone data and working-pattern windows not cached yet);
    # then the median of further runs.
    build_runs: list[float] = []
    solve_runs: list[float] = []
    for _ in range(1 + repeats):
        problem, build_seconds = timed(build)
        chosen, solve_seconds = timed(partial(solve_assignment, problem.scores, problem.allowed))
        build_runs.append(build_seconds)
        solve_runs.append(solve_seconds)
    rss_after = process.memory_info().rss
    peak_rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # before the greedy baseline
    propose_runs = []
    for _ in range(repeats):
        proposal, propose_seconds = timed(
            lambda: propose_matches(programme.candidates, rules, managers=managers)
        )
        propose_runs.append(propose_seconds)
    greedy, greedy_seconds = timed(lambda: greedy_baseline(problem.scores, problem.allowed))

    gc.collect()
    tracemalloc.start()
    problem_traced = build()
    solve_assignment(problem_traced.scores, problem_traced.allowed)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del problem_traced

    optimal_total = sum(int(problem.scores[r, c]) for r, c in chosen)
    greedy_total = sum(int(problem.scores[r, c]) for r, c in greedy)
    allowed_share = float(problem.allowed.mean()) if problem.allowed.size else 0.0
    gain = 100.0 * (optimal_total - greedy_total) / greedy_total if greedy_total else float("nan")
    mb = 1024 * 1024

    print(f"Programme: {n_mentors:,} mentors x {n_mentees:,} mentees, seed {seed}, "
          f"{len(rules.previous_pairs):,} previous pairs, {len(rules.forbidden)} forbidden, "
          f"{len(rules.pinned)} pinned; {allowed_share:.1%} of cells allowed "
          f"(generated in {generate_seconds:.2f} s; {psutil.cpu_count()} CPUs)")
    print()
    print("| measure | optimal (linear_sum_assignment) | greedy baseline |")
    print("| --- | ---: | ---: |")
    print(f"| build score and feasibility matrices (median; cold run) | {median(build_runs[1:]):.2f} s; "
          f"{build_runs[0]:.2f} s | (same matrices) |")
    print(f"| solve (median; cold run) | {median(solve_runs[1:]):.2f} s; {solve_runs[0]:.2f} s | "
          f"{greedy_seconds:.2f} s |")
    print(f"| pairs | {len(chosen):,} | {len(greedy):,} |")
    print(f"| total score | {optimal_total:,} | {greedy_total:,} |")
    print(f"| optimal total vs greedy | {gain:+.2f}% | |")
    print(f"| full `propose_matches` (pins, reasons, unmatched; median) | {median(propose_runs):.2f} s | |")
    print(f"| peak traced memory (tracemalloc, build + solve) | {traced_peak / mb:.0f} MiB | |")
    print(f"| RSS growth after build + solve / peak process RSS | {(rss_after - rss_before) / mb:.0f} MiB / "
          f"{peak_rss_kib / 1024:.0f} MiB | |")
    print()
    print(f"Proposal: {len(proposal.pairs):,} pairs ({sum(p.pinned for p in proposal.pairs)} pinned), "
          f"{len(proposal.unmatched):,} unmatched, {len(proposal.conflicts)} pin conflicts, "
          f"total score {proposal.total_score:,}")
    if proposal.pairs:
        example = proposal.pairs[0]
        print(f"Example: {example.mentor_id} mentors {example.mentee_id} (score {example.score}): "
              + "; ".join(example.reasons))
    for person in proposal.unmatched[:3]:
        print(f"Unmatched: {person.person_id}: {person.reason}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--mentors", type=int, default=2000)
    parser.add_argument("--mentees", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=3)
    arguments = parser.parse_args()
    run_benchmark(arguments.mentors, arguments.mentees, arguments.seed, max(1, arguments.repeats))


if __name__ == "__main__":
    main()
