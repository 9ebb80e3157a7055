"""Matching engine: power-aware, optimal pairing of mentors with mentees.

In reverse mentoring the **mentor is the junior colleague** and the **mentee is the senior
leader**. This module never swaps them: every pair is ``(mentor_id, mentee_id)``.

It is a pure domain service: plain frozen dataclasses in, plain dataclasses out. It knows nothing
of Slack or the database.

Hard rules (never broken, see :func:`find_violations` / :func:`check_pair`):

* the two people have different organisations when the programme is cross-organisation;
* the mentor is not the mentee's manager, skip-level or any indirect manager, and not the
  mentee's direct or indirect report (the whole chain is walked, cycles are tolerated);
* the mentor is not in the mentee's department (same organisation and same department);
* the two people were never paired before, in any programme;
* neither asked privately not to be paired with the other;
* the programme lead has not forbidden the pair.

Pinned pairs are always made unless they break a hard rule (then they are reported as a
:class:`PinConflict` and both people go back into the pool).

Preferences are scored with small integer weights (:class:`ScoreWeights`):

=====================================  ======================================================
component                              points (defaults)
=====================================  ======================================================
each topic the mentee wants to learn   10 per topic the mentor can speak to
about that the mentor can speak to
different organisation                 6
different function (department name)   4
weekly overlap of working hours        1 per full 2 hours, at most 10 (reached at 20 h/week)
=====================================  ======================================================

One shared topic therefore outweighs organisation and function together, and a pair with no
overlap in working hours is still allowed but scores up to 10 points lower.

The solver maximises first the **number of pairs** and then the **total score** among all
maximum-size matchings, optimally, with :func:`scipy.optimize.linear_sum_assignment`. See
:func:`solve_assignment` for the cost design and why it guarantees that order.
"""

from __future__ import annotations

import enum
import itertools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

Role = Literal["mentor", "mentee"]

#: Monday 6 January 2025: a week with no daylight-saving change in any major time zone.
DEFAULT_REFERENCE_WEEK = date(2025, 1, 6)
#: Monday to Friday, using :meth:`datetime.date.weekday` numbering (Monday is 0, Sunday is 6).
WEEKDAYS: frozenset[int] = frozenset({0, 1, 2, 3, 4})

_MINUTES_PER_WEEK = 7 * 24 * 60

BoolMatrix = npt.NDArray[np.bool_]
IntMatrix = npt.NDArray[np.int32]


# --------------------------------------------------------------------------------------------
# Input
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Candidate:
    """One enrolled person, as the matching engine sees them.

    ``work_days`` uses :meth:`datetime.date.weekday` numbering (Monday 0 ... Sunday 6).
    ``work_start``/``work_end`` are local wall-clock times in ``tz``; an end earlier than the
    start means the working window runs past midnight (``time(0)`` as end means "until
    midnight"); equal times mean no working hours. ``do_not_pair_with`` is private: reasons
    produced by this module never say who asked.
    """

    person_id: str
    role: Role
    organisation: str
    department: str
    manager_id: str | None = None
    topics_share: frozenset[str] = frozenset()
    topics_learn: frozenset[str] = frozenset()
    tz: str = "UTC"
    work_start: time = time(9, 0)
    work_end: time = time(17, 0)
    work_days: frozenset[int] = WEEKDAYS
    do_not_pair_with: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.role not in ("mentor", "mentee"):
            raise ValueError(f"{self.person_id}: role must be 'mentor' or 'mentee', not {self.role!r}")
        if not self.work_days <= frozenset(range(7)):
            raise ValueError(f"{self.person_id}: work_days must be weekday numbers 0 (Monday) to 6 (Sunday)")


@dataclass(frozen=True, slots=True)
class MatchingRules:
    """The programme's rules, set by the lead.

    ``previous_pairs`` holds pairs of person ids (as two-element frozensets) from any programme.
    ``pinned`` and ``forbidden`` hold ``(mentor_id, mentee_id)`` tuples.
    """

    cross_organisation: bool = False
    previous_pairs: frozenset[frozenset[str]] = frozenset()
    pinned: frozenset[tuple[str, str]] = frozenset()
    forbidden: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True, slots=True)
class ScoreWeights:
    """Integer weights of the preference score (all points are non-negative)."""

    per_shared_topic: int = 10
    different_organisation: int = 6
    different_function: int = 4
    minutes_per_overlap_point: int = 120
    max_overlap_points: int = 10

    def __post_init__(self) -> None:
        if min(self.per_shared_topic, self.different_organisation, self.different_function,
               self.max_overlap_points) < 0:
            raise ValueError("score weights must not be negative")
        if self.minutes_per_overlap_point <= 0:
            raise ValueError("minutes_per_overlap_point must be positive")

    def overlap_points(self, overlap_minutes: int) -> int:
        return min(self.max_overlap_points, overlap_minutes // self.minutes_per_overlap_point)


DEFAULT_WEIGHTS = ScoreWeights()


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProposedPair:
    mentor_id: str
    mentee_id: str
    score: int
    reasons: list[str]
    pinned: bool = False


@dataclass(frozen=True, slots=True)
class Unmatched:
    person_id: str
    role: Role
    reason: str


@dataclass(frozen=True, slots=True)
class PinConflict:
    """A pinned pair that was not made, with the plain reasons why."""

    mentor_id: str
    mentee_id: str
    problems: list[str]


@dataclass(frozen=True, slots=True)
class MatchProposal:
    pairs: list[ProposedPair]
    unmatched: list[Unmatched]
    conflicts: list[PinConflict] = field(default_factory=list)

    @property
    def total_score(self) -> int:
        return sum(pair.score for pair in self.pairs)


# --------------------------------------------------------------------------------------------
# Reporting lines
# --------------------------------------------------------------------------------------------


class ReportingLines:
    """Manager links (person -> manager) and the management chain above each person.

    Cycles in the data (A manages B manages A) are tolerated: the walk stops at the first person
    seen twice.
    """

    def __init__(self, manager_of: Mapping[str, str | None]) -> None:
        self._manager_of: dict[str, str | None] = dict(manager_of)
        self._chains: dict[str, dict[str, int]] = {}

    @classmethod
    def from_candidates(
        cls, candidates: Iterable[Candidate], managers: Mapping[str, str | None] | None = None
    ) -> ReportingLines:
        """Merge the candidates' ``manager_id`` links with an optional extra ``managers`` map.

        The extra map covers people who are not enrolled (so a skip-level manager who is not a
        candidate still links the chain). A candidate's own ``manager_id`` wins when it is set.
        """
        links: dict[str, str | None] = dict(managers or {})
        for candidate in candidates:
            if candidate.manager_id is not None:
                links[candidate.person_id] = candidate.manager_id
            else:
                links.setdefault(candidate.person_id, None)
        return cls(links)

    def managers_above(self, person_id: str) -> Mapping[str, int]:
        """Everyone above ``person_id`` in the management chain, with how many levels up."""
        chain = self._chains.get(person_id)
        if chain is None:
            chain = {}
            current = self._manager_of.get(person_id)
            level = 1
            while current is not None and current != person_id and current not in chain:
                chain[current] = level
                current = self._manager_of.get(current)
                level += 1
            self._chains[person_id] = chain
        return chain


# --------------------------------------------------------------------------------------------
# Context and hard rules
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MatchingContext:
    """Everything :func:`check_pair` and :func:`score_pair` need beyond the two people."""

    rules: MatchingRules
    reporting_lines: ReportingLines
    display_names: Mapping[str, str] = field(default_factory=dict)
    reference_week: date = DEFAULT_REFERENCE_WEEK
    weights: ScoreWeights = DEFAULT_WEIGHTS

    @classmethod
    def build(
        cls,
        candidates: Iterable[Candidate],
        rules: MatchingRules,
        *,
        managers: Mapping[str, str | None] | None = None,
        display_names: Mapping[str, str] | None = None,
        reference_week: date = DEFAULT_REFERENCE_WEEK,
        weights: ScoreWeights = DEFAULT_WEIGHTS,
    ) -> MatchingContext:
        return cls(
            rules=rules,
            reporting_lines=ReportingLines.from_candidates(candidates, managers),
            display_names=dict(display_names or {}),
            reference_week=reference_week,
            weights=weights,
        )

    def name(self, person_id: str) -> str:
        return self.display_names.get(person_id, person_id)


class Rule(enum.Enum):
    """The hard rules, in the order they are reported."""

    ROLES = "roles"
    SAME_ORGANISATION = "same_organisation"
    SAME_DEPARTMENT = "same_department"
    REPORTING_LINE = "reporting_line"
    PREVIOUS_PAIR = "previous_pair"
    PRIVATE_REQUEST = "private_request"
    LEAD_FORBIDDEN = "lead_forbidden"


#: A small integer per rule, in reporting order; 0 means "no rule broken".
RULE_CODES: dict[Rule, int] = {rule: code for code, rule in enumerate(Rule, start=1)}


@dataclass(frozen=True, slots=True)
class Violation:
    rule: Rule
    message: str


def _norm(text: str) -> str:
    """Compare organisations, departments and topics ignoring case and spacing."""
    return " ".join(text.split()).casefold()


def _chain_phrase(levels: int) -> str:
    if levels == 1:
        return "manager"
    if levels == 2:
        return "skip-level manager"
    return f"indirect manager ({levels} levels up)"


def find_violations(mentor: Candidate, mentee: Candidate, context: MatchingContext) -> list[Violation]:
    """Every hard rule the pair would break (empty when the pair is allowed)."""
    violations: list[Violation] = []
    mentor_name, mentee_name = context.name(mentor.person_id), context.name(mentee.person_id)
    if mentor.role != "mentor" or mentee.role != "mentee" or mentor.person_id == mentee.person_id:
        violations.append(Violation(
            Rule.ROLES, f"{mentor_name} must be enrolled as a mentor and {mentee_name} as a mentee"
        ))
    same_org = _norm(mentor.organisation) == _norm(mentee.organisation)
    if same_org and context.rules.cross_organisation:
        violations.append(Violation(
            Rule.SAME_ORGANISATION,
            f"Both are at {mentee.organisation}, and this programme pairs people across organisations",
        ))
    if same_org and _norm(mentor.department) == _norm(mentee.department):
        violations.append(Violation(
            Rule.SAME_DEPARTMENT, f"Both are in {mentee.department} at {mentee.organisation}"
        ))
    above_mentee = context.reporting_lines.managers_above(mentee.person_id)
    above_mentor = context.reporting_lines.managers_above(mentor.person_id)
    if mentor.person_id in above_mentee:
        phrase = _chain_phrase(above_mentee[mentor.person_id])
        violations.append(Violation(Rule.REPORTING_LINE, f"{mentor_name} is {mentee_name}'s {phrase}"))
    if mentee.person_id in above_mentor:
        phrase = _chain_phrase(above_mentor[mentee.person_id])
        violations.append(Violation(Rule.REPORTING_LINE, f"{mentee_name} is {mentor_name}'s {phrase}"))
    if frozenset((mentor.person_id, mentee.person_id)) in context.rules.previous_pairs:
        violations.append(Violation(
            Rule.PREVIOUS_PAIR, f"{mentor_name} and {mentee_name} were paired before"
        ))
    if mentee.person_id in mentor.do_not_pair_with or mentor.person_id in mentee.do_not_pair_with:
        violations.append(Violation(
            Rule.PRIVATE_REQUEST, "One of them asked privately not to be paired with the other"
        ))
    if (mentor.person_id, mentee.person_id) in context.rules.forbidden:
        violations.append(Violation(Rule.LEAD_FORBIDDEN, "The programme lead ruled this pair out"))
    return violations


def check_pair(mentor: Candidate, mentee: Candidate, context: MatchingContext) -> list[str]:
    """The hard rules the pair would break, as plain sentences (empty when allowed).

    Use it for the lead's "swap partners" edit as well: it is the same check the solver uses.
    """
    return [violation.message for violation in find_violations(mentor, mentee, context)]


# --------------------------------------------------------------------------------------------
# Working hours across time zones
# --------------------------------------------------------------------------------------------

Interval = tuple[int, int]
#: A distinct working pattern: (time zone, start, end, working days).
Profile = tuple[str, time, time, frozenset[int]]


def _monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


@lru_cache(maxsize=4096)
def _weekly_utc_intervals(
    tz: str, start: time, end: time, days: frozenset[int], reference_week: date
) -> tuple[Interval, ...]:
    """A person's working windows in the reference week, in UTC minutes since Monday 00:00 UTC.

    The week is treated as periodic: windows are taken modulo one week and split where they
    wrap, so a Sunday-evening window in Auckland overlaps a Sunday-night window in Honolulu.
    Overlapping windows are merged, so nothing is counted twice.
    """
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {tz!r}") from error
    monday = _monday_of(reference_week)
    week_start = datetime.combine(monday, time(0), tzinfo=UTC)
    pieces: list[Interval] = []
    for offset in range(7):
        local_day = monday + timedelta(days=offset)
        if local_day.weekday() not in days or start == end:
            continue
        end_day = local_day if end > start else local_day + timedelta(days=1)
        begin_at = datetime.combine(local_day, start, tzinfo=zone)
        end_at = datetime.combine(end_day, end, tzinfo=zone)
        begin_minute = int((begin_at - week_start).total_seconds()) // 60
        end_minute = int((end_at - week_start).total_seconds()) // 60
        if end_minute <= begin_minute:
            continue
        begin_mod = begin_minute % _MINUTES_PER_WEEK
        length = min(end_minute - begin_minute, _MINUTES_PER_WEEK)
        if begin_mod + length <= _MINUTES_PER_WEEK:
            pieces.append((begin_mod, begin_mod + length))
        else:
            pieces.append((begin_mod, _MINUTES_PER_WEEK))
            pieces.append((0, begin_mod + length - _MINUTES_PER_WEEK))
    pieces.sort()
    merged: list[Interval] = []
    for begin, finish in pieces:
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], finish))
        else:
            merged.append((begin, finish))
    return tuple(merged)


def _profile(person: Candidate) -> Profile:
    return (person.tz, person.work_start, person.work_end, person.work_days)


def weekly_overlap_minutes(a: Candidate, b: Candidate, reference_week: date = DEFAULT_REFERENCE_WEEK) -> int:
    """Minutes per week when both people are inside their working hours."""
    first = _weekly_utc_intervals(*_profile(a), reference_week)
    second = _weekly_utc_intervals(*_profile(b), reference_week)
    total = 0
    for begin_a, end_a in first:
        for begin_b, end_b in second:
            total += max(0, min(end_a, end_b) - max(begin_a, begin_b))
    return total


def _overlap_matrix(
    first: Sequence[Profile],
    second: Sequence[Profile],
    reference_week: date,
) -> npt.NDArray[np.int32]:
    """Weekly overlap in minutes between every pair of distinct working-hour profiles.

    Exact and vectorised: all window boundaries cut the week into elementary segments; each
    profile is a 0/1 row over the segments, and the overlap is one matrix product weighted by
    segment length. Values stay below 2**24 so float32 arithmetic is exact.
    """
    first_windows = [_weekly_utc_intervals(*profile, reference_week) for profile in first]
    second_windows = [_weekly_utc_intervals(*profile, reference_week) for profile in second]
    cuts = {0, _MINUTES_PER_WEEK}
    for windows in (*first_windows, *second_windows):
        for begin, finish in windows:
            cuts.add(begin)
            cuts.add(finish)
    boundaries = np.array(sorted(cuts), dtype=np.int64)
    lengths = np.diff(boundaries).astype(np.float32)

    def cover(all_windows: list[tuple[Interval, ...]]) -> npt.NDArray[np.float32]:
        matrix = np.zeros((len(all_windows), len(lengths)), dtype=np.float32)
        for row, windows in enumerate(all_windows):
            for begin, finish in windows:
                lo, hi = np.searchsorted(boundaries, (begin, finish))
                matrix[row, lo:hi] = 1.0
        return matrix

    overlap = (cover(first_windows) * lengths) @ cover(second_windows).T
    return np.rint(overlap).astype(np.int32)


# --------------------------------------------------------------------------------------------
# Preference score
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PairScore:
    score: int
    reasons: list[str]


def _hours_phrase(minutes: int) -> str:
    hours = minutes / 60
    shown = f"{hours:.0f}" if minutes % 60 == 0 else f"{hours:.1f}"
    unit = "hour" if shown == "1" else "hours"
    return f"{shown} working {unit}"


def score_pair(mentor: Candidate, mentee: Candidate, context: MatchingContext) -> PairScore:
    """The preference score of a pair and plain-language sentences explaining it."""
    weights = context.weights
    mentor_name, mentee_name = context.name(mentor.person_id), context.name(mentee.person_id)
    score = 0
    reasons: list[str] = []

    # Topics are compared ignoring case and spacing; a topic listed twice counts once.
    wanted: dict[str, str] = {}
    for topic in sorted(mentee.topics_learn, key=lambda t: (_norm(t), t)):
        wanted.setdefault(_norm(topic), topic)
    shared_norm = {_norm(topic) for topic in mentor.topics_share}
    common = [shown for key, shown in wanted.items() if key in shared_norm]
    score += weights.per_shared_topic * len(common)
    if not wanted:
        reasons.append(f"{mentee_name} has not listed topics to learn about yet")
    elif common:
        reasons.append(
            f"{mentor_name} can speak to {len(common)} of the {len(wanted)} "
            f"topic{'s' if len(wanted) != 1 else ''} {mentee_name} wants to learn about: "
            f"{', '.join(common)}"
        )
    else:
        reasons.append(f"{mentor_name} has none of the topics {mentee_name} wants to learn about")

    if _norm(mentor.organisation) != _norm(mentee.organisation):
        score += weights.different_organisation
        reasons.append(f"Different organisations: {mentor.organisation} and {mentee.organisation}")
    else:
        reasons.append(f"Same organisation: {mentee.organisation}")

    if _norm(mentor.department) != _norm(mentee.department):
        score += weights.different_function
        reasons.append(f"Different functions: {mentor.department} and {mentee.department}")
    elif _norm(mentor.organisation) != _norm(mentee.organisation):
        reasons.append(f"Same function ({mentee.department}) in different organisations")
    else:
        reasons.append(f"Same function: {mentee.department}")

    overlap = weekly_overlap_minutes(mentor, mentee, context.reference_week)
    score += weights.overlap_points(overlap)
    if overlap == 0:
        reasons.append("Working hours do not overlap: sessions will need some flexibility")
    else:
        reasons.append(f"{_hours_phrase(overlap)} overlap each week")
    return PairScore(score=score, reasons=reasons)


# --------------------------------------------------------------------------------------------
# Vectorised problem
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MatchingProblem:
    """Score and feasibility matrices: rows are mentors, columns are mentees.

    ``first_violation`` holds the :data:`RULE_CODES` code of the first hard rule a cell breaks
    (0 when allowed); ``allowed`` is ``first_violation == 0``.
    """

    mentors: list[Candidate]
    mentees: list[Candidate]
    scores: IntMatrix
    allowed: BoolMatrix
    first_violation: npt.NDArray[np.int8]


def _codes(values: Sequence[str], vocabulary: dict[str, int]) -> npt.NDArray[np.int32]:
    return np.array([vocabulary.setdefault(value, len(vocabulary)) for value in values], dtype=np.int32)


def _shared_topic_counts(mentors: Sequence[Candidate], mentees: Sequence[Candidate]) -> IntMatrix:
    """How many of each mentee's topics_learn each mentor's topics_share covers.

    Topic sets become 0/1 indicator rows over the topic vocabulary (like bitmasks, but with no
    limit on the number of topics); one matrix product counts the shared topics for all cells.
    """
    share = [{_norm(topic) for topic in person.topics_share} for person in mentors]
    learn = [{_norm(topic) for topic in person.topics_learn} for person in mentees]
    vocabulary: dict[str, int] = {}
    for topics in (*share, *learn):
        for topic in topics:
            vocabulary.setdefault(topic, len(vocabulary))

    def indicator(topic_sets: list[set[str]]) -> npt.NDArray[np.float32]:
        matrix = np.zeros((len(topic_sets), max(len(vocabulary), 1)), dtype=np.float32)
        for row, topics in enumerate(topic_sets):
            matrix[row, [vocabulary[topic] for topic in topics]] = 1.0
        return matrix

    return np.rint(indicator(share) @ indicator(learn).T).astype(np.int32)


def build_problem(
    mentors: Sequence[Candidate], mentees: Sequence[Candidate], context: MatchingContext
) -> MatchingProblem:
    """Build the score and feasibility matrices without a Python loop over all cells.

    Organisations and departments become integer codes compared by broadcasting; topic sets
    become 0/1 indicator matrices whose product counts shared topics; working-hour overlap is
    computed once per distinct (time zone, hours, days) profile and looked up; reporting lines,
    previous pairs, private requests and the lead's forbidden pairs clear individual cells.
    The result agrees cell for cell with :func:`check_pair` and :func:`score_pair`.
    """
    weights, rules = context.weights, context.rules
    n_mentors, n_mentees = len(mentors), len(mentees)
    mentor_index = {person.person_id: row for row, person in enumerate(mentors)}
    mentee_index = {person.person_id: col for col, person in enumerate(mentees)}

    org_vocabulary: dict[str, int] = {}
    mentor_org = _codes([_norm(p.organisation) for p in mentors], org_vocabulary)
    mentee_org = _codes([_norm(p.organisation) for p in mentees], org_vocabulary)
    function_vocabulary: dict[str, int] = {}
    mentor_function = _codes([_norm(p.department) for p in mentors], function_vocabulary)
    mentee_function = _codes([_norm(p.department) for p in mentees], function_vocabulary)

    same_org = mentor_org[:, None] == mentee_org[None, :]
    same_function = mentor_function[:, None] == mentee_function[None, :]

    # first_violation holds, per cell, the code of the first hard rule broken (in Rule order,
    # as find_violations reports them), or 0 when the pair is allowed. Rules are applied from
    # the last to the first so that earlier rules overwrite later ones.
    first_violation = np.zeros((n_mentors, n_mentees), dtype=np.int8)

    def block_cells(rule: Rule, pairs: Iterable[tuple[str, str]]) -> None:
        rows: list[int] = []
        cols: list[int] = []
        for mentor_id, mentee_id in pairs:
            row, col = mentor_index.get(mentor_id), mentee_index.get(mentee_id)
            if row is not None and col is not None:
                rows.append(row)
                cols.append(col)
        if rows:
            first_violation[np.array(rows), np.array(cols)] = RULE_CODES[rule]

    block_cells(Rule.LEAD_FORBIDDEN, rules.forbidden)
    block_cells(Rule.PRIVATE_REQUEST, itertools.chain(
        ((m.person_id, other) for m in mentors for other in m.do_not_pair_with),
        ((other, e.person_id) for e in mentees for other in e.do_not_pair_with),
    ))
    previous: list[tuple[str, str]] = []
    for pair in rules.previous_pairs:
        if len(pair) == 2:
            first, second = sorted(pair)
            previous.append((first, second))
    block_cells(Rule.PREVIOUS_PAIR, itertools.chain(previous, ((b, a) for a, b in previous)))
    lines = context.reporting_lines
    block_cells(Rule.REPORTING_LINE, itertools.chain(
        ((boss, e.person_id) for e in mentees for boss in lines.managers_above(e.person_id)),
        ((m.person_id, boss) for m in mentors for boss in lines.managers_above(m.person_id)),
    ))
    first_violation[same_org & same_function] = RULE_CODES[Rule.SAME_DEPARTMENT]
    if rules.cross_organisation:
        first_violation[same_org] = RULE_CODES[Rule.SAME_ORGANISATION]
    wrong_rows = [row for row, p in enumerate(mentors) if p.role != "mentor"]
    wrong_cols = [col for col, p in enumerate(mentees) if p.role != "mentee"]
    first_violation[wrong_rows, :] = RULE_CODES[Rule.ROLES]
    first_violation[:, wrong_cols] = RULE_CODES[Rule.ROLES]

    topic_counts = _shared_topic_counts(mentors, mentees)

    mentor_profiles: dict[Profile, int] = {}
    mentor_profile = np.array(
        [mentor_profiles.setdefault(_profile(p), len(mentor_profiles)) for p in mentors], dtype=np.intp
    )
    mentee_profiles: dict[Profile, int] = {}
    mentee_profile = np.array(
        [mentee_profiles.setdefault(_profile(p), len(mentee_profiles)) for p in mentees], dtype=np.intp
    )
    overlap = _overlap_matrix(list(mentor_profiles), list(mentee_profiles), context.reference_week)
    overlap_points = np.minimum(weights.max_overlap_points, overlap // weights.minutes_per_overlap_point)

    scores = topic_counts * np.int32(weights.per_shared_topic)
    scores += (~same_org).astype(np.int32) * np.int32(weights.different_organisation)
    scores += (~same_function).astype(np.int32) * np.int32(weights.different_function)
    if n_mentors and n_mentees:
        scores += overlap_points.astype(np.int32)[mentor_profile[:, None], mentee_profile[None, :]]
    return MatchingProblem(
        mentors=list(mentors), mentees=list(mentees), scores=scores,
        allowed=first_violation == 0, first_violation=first_violation,
    )


def solve_assignment(scores: IntMatrix, allowed: BoolMatrix) -> list[tuple[int, int]]:
    """Optimal pairs ``(row, col)``: as many as possible, then the highest total score.

    Cost design. Let ``k_max = min(rows, cols)`` and ``s_max`` the highest allowed score (all
    scores are >= 0). Allowed cells get weight ``B + score`` with ``B = k_max * s_max + 1``;
    forbidden cells get weight 0. ``linear_sum_assignment`` on the rectangular matrix assigns
    every row (or column) of the smaller side, maximising total weight; a chosen forbidden cell
    is dropped afterwards.

    * Any matching of allowed cells extends to a full assignment with forbidden (weight 0)
      cells, and dropping those from a full assignment leaves a matching of the same weight, so
      the solver finds a maximum-weight matching of allowed cells.
    * A matching with ``k + 1`` pairs weighs at least ``(k + 1) * B``; one with ``k`` pairs at
      most ``k * B + k * s_max <= k * B + B - 1``. So more pairs always win, and among matchings
      of maximum size the weight is ``k * B + total score``: the highest total score wins.

    Weights stay integers far below 2**53, so float64 arithmetic in the solver is exact.
    Forbidden cells are never returned.
    """
    if scores.shape != allowed.shape:
        raise ValueError("scores and allowed must have the same shape")
    rows = np.flatnonzero(allowed.any(axis=1))
    cols = np.flatnonzero(allowed.any(axis=0))
    if rows.size == 0 or cols.size == 0:
        return []
    sub_allowed = allowed[np.ix_(rows, cols)]
    sub_scores = scores[np.ix_(rows, cols)].astype(np.int64)
    if (sub_scores[sub_allowed] < 0).any():
        raise ValueError("scores of allowed pairs must not be negative")
    k_max = min(rows.size, cols.size)
    s_max = int(sub_scores[sub_allowed].max())
    big = k_max * s_max + 1
    if k_max * (big + s_max) >= 2**53:
        raise ValueError("scores are too large to be solved exactly; use smaller weights")
    weights = np.where(sub_allowed, sub_scores + big, 0).astype(np.float64)
    chosen_rows, chosen_cols = linear_sum_assignment(weights, maximize=True)
    keep = sub_allowed[chosen_rows, chosen_cols]
    return [(int(rows[r]), int(cols[c])) for r, c in zip(chosen_rows[keep], chosen_cols[keep], strict=True)]


# --------------------------------------------------------------------------------------------
# Proposal
# --------------------------------------------------------------------------------------------

_RULE_SUMMARY: dict[Rule, tuple[str, str]] = {
    Rule.ROLES: ("is not enrolled in the right role", "are not enrolled in the right role"),
    Rule.SAME_ORGANISATION: ("is at the same organisation", "are at the same organisation"),
    Rule.SAME_DEPARTMENT: ("is in the same department", "are in the same department"),
    Rule.REPORTING_LINE: ("is in {name}'s reporting line", "are in {name}'s reporting line"),
    Rule.PREVIOUS_PAIR: ("was paired with {name} before", "were paired with {name} before"),
    Rule.PRIVATE_REQUEST: ("is excluded by a private request", "are excluded by a private request"),
    Rule.LEAD_FORBIDDEN: ("is ruled out by the programme lead", "are ruled out by the programme lead"),
}


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _and_join(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} and {parts[-1]}"


def _no_candidate_reason(
    person: Candidate,
    first_violations: npt.NDArray[np.int8],
    pinned_elsewhere: int,
    context: MatchingContext,
) -> str:
    """Why nobody in the pool can be paired with ``person``, counted by the first rule broken."""
    name = context.name(person.person_id)
    other_role = "mentee" if person.role == "mentor" else "mentor"
    total = len(first_violations) + pinned_elsewhere
    if total == 0:
        return f"No {other_role}s are enrolled yet"
    by_code = np.bincount(first_violations.astype(np.intp), minlength=len(RULE_CODES) + 1)
    counts = {rule: int(by_code[code]) for rule, code in RULE_CODES.items()}
    parts = []
    for rule in Rule:
        if counts[rule]:
            singular, plural = _RULE_SUMMARY[rule]
            parts.append(f"{counts[rule]:,} {(singular if counts[rule] == 1 else plural).format(name=name)}")
    if pinned_elsewhere:
        verb = "is" if pinned_elsewhere == 1 else "are"
        parts.append(f"{pinned_elsewhere:,} {verb} pinned to another {person.role}")
    return f"No possible {other_role} for {name} among {_plural(total, other_role)}: {_and_join(parts)}"


def _taken_reason(
    person: Candidate,
    feasible: Sequence[Candidate],
    n_mentors: int,
    n_mentees: int,
    everyone_opposite_matched: bool,
    context: MatchingContext,
) -> str:
    other_role = "mentee" if person.role == "mentor" else "mentor"
    if everyone_opposite_matched:
        return f"No {other_role} left: {_plural(n_mentors, 'mentor')} and {_plural(n_mentees, 'mentee')}"
    names = [context.name(other.person_id) for other in feasible[:3]]
    if len(feasible) > 3:
        names.append(f"{len(feasible) - 3} more")
    lead = (f"The only {other_role} who could be paired with {context.name(person.person_id)}"
            if len(feasible) == 1 else
            f"All {len(feasible)} {other_role}s who could be paired with {context.name(person.person_id)}")
    verb = "is" if len(feasible) == 1 else "are"
    return (f"{lead} ({_and_join(names)}) {verb} in other pairs, and moving them would leave "
            "someone else without a partner")


def propose_matches(
    candidates: Sequence[Candidate],
    rules: MatchingRules,
    *,
    managers: Mapping[str, str | None] | None = None,
    display_names: Mapping[str, str] | None = None,
    reference_week: date = DEFAULT_REFERENCE_WEEK,
    weights: ScoreWeights = DEFAULT_WEIGHTS,
) -> MatchProposal:
    """Propose the optimal set of mentor-mentee pairs for a programme.

    Pinned pairs are made first (or reported as conflicts); everyone else is matched so that the
    number of pairs is as large as possible and, among those, the total score is highest.
    Every pair carries its score and reasons; every unmatched person a plain reason.
    """
    seen: set[str] = set()
    for candidate in candidates:
        if candidate.person_id in seen:
            raise ValueError(f"{candidate.person_id} is enrolled more than once")
        seen.add(candidate.person_id)
    context = MatchingContext.build(
        candidates, rules, managers=managers, display_names=display_names,
        reference_week=reference_week, weights=weights,
    )
    by_id = {candidate.person_id: candidate for candidate in candidates}
    all_mentors = [c for c in candidates if c.role == "mentor"]
    all_mentees = [c for c in candidates if c.role == "mentee"]

    pairs: list[ProposedPair] = []
    conflicts: list[PinConflict] = []
    pin_counts = Counter(person for pin in rules.pinned for person in pin)
    pinned_ids: set[str] = set()
    for mentor_id, mentee_id in sorted(rules.pinned):
        problems: list[str] = []
        for person_id, role in ((mentor_id, "mentor"), (mentee_id, "mentee")):
            person = by_id.get(person_id)
            if person is None:
                problems.append(f"{context.name(person_id)} is not enrolled in this programme")
            elif person.role != role:
                problems.append(f"{context.name(person_id)} is enrolled as a {person.role}, not a {role}")
            if pin_counts[person_id] > 1:
                problems.append(f"{context.name(person_id)} is pinned to more than one partner")
        if not problems:
            problems = check_pair(by_id[mentor_id], by_id[mentee_id], context)
        if problems:
            conflicts.append(PinConflict(mentor_id, mentee_id, problems))
            continue
        scored = score_pair(by_id[mentor_id], by_id[mentee_id], context)
        pairs.append(ProposedPair(mentor_id, mentee_id, scored.score,
                                  ["Pinned by the programme lead", *scored.reasons], pinned=True))
        pinned_ids.update((mentor_id, mentee_id))

    mentors = [m for m in all_mentors if m.person_id not in pinned_ids]
    mentees = [m for m in all_mentees if m.person_id not in pinned_ids]
    problem = build_problem(mentors, mentees, context)
    chosen = solve_assignment(problem.scores, problem.allowed)
    for row, col in sorted(chosen):
        scored = score_pair(mentors[row], mentees[col], context)
        pairs.append(
            ProposedPair(mentors[row].person_id, mentees[col].person_id, scored.score, scored.reasons)
        )

    matched_rows = {row for row, _ in chosen}
    matched_cols = {col for _, col in chosen}
    pinned_mentors = len(all_mentors) - len(mentors)
    pinned_mentees = len(all_mentees) - len(mentees)
    unmatched: list[Unmatched] = []
    for row, mentor in enumerate(mentors):
        if row in matched_rows:
            continue
        options = np.flatnonzero(problem.allowed[row])
        if options.size == 0:
            reason = _no_candidate_reason(mentor, problem.first_violation[row], pinned_mentees, context)
        else:
            reason = _taken_reason(mentor, [mentees[c] for c in options], len(all_mentors), len(all_mentees),
                                   len(matched_cols) == len(mentees), context)
        unmatched.append(Unmatched(mentor.person_id, "mentor", reason))
    for col, mentee in enumerate(mentees):
        if col in matched_cols:
            continue
        options = np.flatnonzero(problem.allowed[:, col])
        if options.size == 0:
            reason = _no_candidate_reason(mentee, problem.first_violation[:, col], pinned_mentors, context)
        else:
            reason = _taken_reason(mentee, [mentors[r] for r in options], len(all_mentors), len(all_mentees),
                                   len(matched_rows) == len(mentors), context)
        unmatched.append(Unmatched(mentee.person_id, "mentee", reason))
    return MatchProposal(pairs=pairs, unmatched=unmatched, conflicts=conflicts)
