"""Rotation planner for reverse *speed* mentoring events.

In reverse mentoring the **mentor is the junior colleague** and the **mentee is the senior
leader**. This module never swaps them: every meeting lists its mentors and its mentees apart.

It is a pure domain service: plain frozen dataclasses in, plain dataclasses out. It knows nothing
of Slack or the database.

The event
---------

People sit in **groups of two mentors and two mentees**. In round 1 each mentor talks with one
mentee of the group; in round 2 the mentees swap. Longer events **re-group** after every block of
two rounds (rounds 1-2, 3-4, 5-6; an odd last round is a block of its own). Hard rules, over the
whole event (see :func:`validate_plan`):

* a mentor and a mentee from the same organisation never meet (organisation names are compared
  ignoring case and surrounding spaces);
* nobody meets the same person twice;
* two people the lead asked to keep apart never share a meeting;
* nobody is in two meetings in the same round;
* everyone who is at the event in a round either has a meeting in it or is told why not
  (:class:`Unplaced`); nobody is left out silently.

"Meeting someone" means a mentor and a mentee sharing a meeting. Two mentors (or two mentees)
sharing a trio do not count as meeting each other and may come from the same organisation.

A meeting is normally one mentor with one mentee. When numbers are uneven, or the organisation
rule leaves someone without a partner, that person **joins a meeting as a trio** (two mentors with
one mentee, or one mentor with two mentees). A meeting never has more than three people.
By convention the first mentor and the first mentee of a meeting hold the "seat" (the core pair);
a second mentor or mentee is the person who joined (:attr:`Meeting.joiner`). Groups are built from
the core pairs, so the convention survives the lead's adjustments.

Algorithm
---------

Round by round, the core pairs are a **maximum bipartite matching** of the mentors and mentees who
are present, over the allowed edges only (different organisation, never met before, not kept
apart), solved with :func:`scipy.optimize.linear_sum_assignment`. Forbidden edges cost
``_BIG``, which is larger than all other costs of a full assignment together, so the solver first
maximises the number of pairs and only then minimises small preference costs:

* in the second round of a block, the swap that turns two pairs of the first round into a group
  of 2 + 2 (the two pairs may swap partners only if both new pairs are allowed). Which pairs of
  pairs to combine is a maximum matching in a general graph (pairs are vertices, compatible pairs
  of pairs are edges), solved exactly with Edmonds' blossom algorithm;
* when re-planning, the meetings of the previous plan (so only people affected are moved);
* people who sat out an earlier round, and people with few new partners left;
* a flexible person (many possible partners) not taking a partner whom people with few options
  need (a small "congestion" cost), so scarce partners stay available for later rounds;
* a seeded random jitter, so ties are broken deterministically for a given ``seed``.

People left without a partner then **join a pair as a trio**: a second assignment places each of
them in at most one meeting, each meeting taking at most one extra person, only where the extra
person may meet the other side of that meeting (again cardinality first, then "stay with the
same group", and people who already sat out a round come first). Anyone still without a seat sits
that round out, with a plain-language reason.

Groups are the connected components of the core pairs of a block: two pairs that swap form a
group of 2 + 2; when pairs cannot be combined in twos, the second round's matching may close a
longer cycle, a group of k + k where mentee i moves to mentor i + 1 (the Latin-square rotation of
a k-group, used for two rounds). A person who joins a trio is listed in the group of that meeting.

Limits: each round is optimal on its own (most people placed), not the event as a whole, so in a
very constrained event an earlier round's choice can leave someone without a new partner later
than strictly necessary; the reasons say so honestly.
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


class _LoadedOnUse:
    """numpy, imported the first time the planner needs it: the web process pays ~50 MB otherwise."""

    def __getattr__(self, name: str) -> Any:
        import numpy

        return getattr(numpy, name)


if not TYPE_CHECKING:
    np = _LoadedOnUse()


def linear_sum_assignment(cost: Any) -> Any:
    from scipy.optimize import linear_sum_assignment as solve

    return solve(cost)

Role = Literal["mentor", "mentee"]

MIN_ROUNDS = 1
MAX_ROUNDS = 6
#: rounds that a group of people stays together before the event re-groups
BLOCK_SIZE = 2

# Cost design (minimised). A forbidden edge costs _BIG, far more than the spread of all allowed
# costs over a full assignment (at most a few hundred edges, each within [-2.5, 1.7]), so the
# solver maximises the number of allowed edges first.
_BIG = 1.0e6
_BASE = 1.0
_PREVIOUS_BONUS = 0.8
_SWAP_BONUS = 0.4
_SAT_OUT_BONUS = 0.1  # per round sat out, when choosing the core pairs (less than keeping groups)
_SAT_OUT_JOIN_BONUS = 0.5  # per round sat out, when choosing who joins a trio (more than staying at a table)
_TIGHT_BONUS = 0.1
_JITTER = 0.01
_CONGESTION = 0.3

_NEVER = 10**9

if TYPE_CHECKING:
    BoolMatrix = npt.NDArray[np.bool_]
    FloatMatrix = npt.NDArray[np.float64]


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attendee:
    """One person at the event. The mentor is the junior colleague, the mentee the senior leader."""

    person_id: str
    role: Role
    organisation: str

    def __post_init__(self) -> None:
        if not self.person_id:
            raise ValueError("an attendee needs a person_id")
        if self.role not in ("mentor", "mentee"):
            raise ValueError(f"{self.person_id}: role must be 'mentor' or 'mentee', not {self.role!r}")
        if not self.organisation.strip():
            raise ValueError(f"{self.person_id}: organisation must not be empty")

    @property
    def org_key(self) -> str:
        return _org_key(self.organisation)


@dataclass(frozen=True, slots=True)
class Meeting:
    """Who talks with whom in one round: one mentor and one mentee, or a trio.

    ``mentor_ids[0]`` and ``mentee_ids[0]`` are the core pair; a second id is the person who joined.
    """

    round: int
    mentor_ids: tuple[str, ...]
    mentee_ids: tuple[str, ...]

    @property
    def is_trio(self) -> bool:
        return len(self.mentor_ids) + len(self.mentee_ids) == 3

    @property
    def people(self) -> tuple[str, ...]:
        return self.mentor_ids + self.mentee_ids

    @property
    def core(self) -> tuple[str, str]:
        return self.mentor_ids[0], self.mentee_ids[0]

    @property
    def joiner(self) -> str | None:
        """The person who joined the core pair to make a trio, if any."""
        if len(self.mentor_ids) > 1:
            return self.mentor_ids[1]
        if len(self.mentee_ids) > 1:
            return self.mentee_ids[1]
        return None

    def pairs(self) -> list[tuple[str, str]]:
        """Every (mentor_id, mentee_id) who meet in this meeting."""
        return [(mentor, mentee) for mentor in self.mentor_ids for mentee in self.mentee_ids]


@dataclass(frozen=True, slots=True)
class Group:
    """People who sit together for a block of rounds, with their meetings round by round."""

    number: int
    rounds: tuple[int, ...]
    mentor_ids: tuple[str, ...]
    mentee_ids: tuple[str, ...]
    meetings: tuple[Meeting, ...]

    def meetings_in_round(self, round_number: int) -> tuple[Meeting, ...]:
        return tuple(meeting for meeting in self.meetings if meeting.round == round_number)


@dataclass(frozen=True, slots=True)
class Unplaced:
    """Someone who has no meeting in some (``partial``) or all of the rounds they attend.

    ``reason`` is plain language for the person and the lead; :meth:`message` adds which rounds.
    """

    person_id: str
    rounds: tuple[int, ...]
    reason: str
    partial: bool

    def message(self) -> str:
        if not self.partial:
            return f"We could not find you a seat at this event. {self.reason}"
        return f"You sit out {_rounds_text(self.rounds)}. {self.reason}"


@dataclass(frozen=True)
class RotationPlan:
    """The plan the lead reviews, adjusts and publishes.

    ``dropped`` maps a person who left to the first round they miss; they keep their earlier
    meetings and are expected in no later round.
    """

    rounds: int
    attendees: tuple[Attendee, ...]
    groups: tuple[Group, ...]
    unplaced: tuple[Unplaced, ...]
    notes: tuple[str, ...]
    keep_apart: frozenset[frozenset[str]] = frozenset()
    dropped: Mapping[str, int] = field(default_factory=dict)
    seed: int = 0

    def meetings(self) -> list[Meeting]:
        found = [meeting for group in self.groups for meeting in group.meetings]
        return sorted(found, key=lambda meeting: (meeting.round, meeting.people))

    def meetings_in_round(self, round_number: int) -> list[Meeting]:
        return [meeting for meeting in self.meetings() if meeting.round == round_number]

    def meetings_for(self, person_id: str) -> list[Meeting]:
        return [meeting for meeting in self.meetings() if person_id in meeting.people]

    def unplaced_for(self, person_id: str) -> Unplaced | None:
        return next((entry for entry in self.unplaced if entry.person_id == person_id), None)

    def expected_rounds(self, person_id: str) -> range:
        """The rounds a person attends (all, or those before they dropped out)."""
        last = min(self.rounds, self.dropped.get(person_id, _NEVER) - 1)
        return range(1, last + 1)

    def summary(self, names: Mapping[str, str] | None = None) -> str:
        """The plan in plain text for the lead (``names`` maps person ids to display names)."""
        return _summary(self, names or {})


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def plan_rotation(
    attendees: Sequence[Attendee],
    rounds: int,
    *,
    seed: int = 0,
    keep_apart: frozenset[frozenset[str]] = frozenset(),
    previous: RotationPlan | None = None,
) -> RotationPlan:
    """Plan every round of an event.

    With ``previous``, the new plan keeps the previous plan's meetings wherever they are still
    possible (for example after someone left before the event started, or arrived late), so only
    the people affected move.
    """
    _check_rounds(rounds)
    event = _Event(attendees, keep_apart)
    preferred = previous.meetings() if previous is not None else []
    meetings, causes = _plan_meetings(event, rounds, seed, history=[], first_round=1, departures={},
                                      previous=preferred)
    return _assemble(event, rounds, seed, meetings, causes, departures={})


def replan_after_dropouts(
    plan: RotationPlan,
    attendees: Sequence[Attendee],
    dropped_ids: Iterable[str],
    rounds: int,
    from_round: int,
    *,
    seed: int | None = None,
) -> RotationPlan:
    """Re-plan rounds ``from_round`` onwards without the people who dropped out.

    Rounds before ``from_round`` are history and stay exactly as they were (including who sat out
    and why). Later rounds are re-planned without the dropped people, keeping the previous plan's
    meetings where possible and never letting anyone meet a person they already met. Anyone in the
    plan but missing from ``attendees`` also counts as dropped; people in ``attendees`` who were not
    in the plan (late arrivals) are placed from ``from_round``.
    """
    _check_rounds(rounds)
    if not 1 <= from_round <= rounds:
        raise ValueError(f"from_round must be between 1 and {rounds}, not {from_round}")
    dropped = set(dropped_ids)
    by_id = {attendee.person_id: attendee for attendee in plan.attendees}
    current = {attendee.person_id for attendee in attendees}
    unknown = sorted(dropped - current - set(by_id))
    if unknown:
        raise ValueError(f"unknown person in dropped_ids: {', '.join(unknown)}")
    dropped |= set(by_id) - current
    by_id.update({attendee.person_id: attendee for attendee in attendees})
    event = _Event(list(by_id.values()), plan.keep_apart)

    departures = {person: first for person, first in plan.dropped.items() if person in by_id}
    for person in dropped:
        departures[person] = min(departures.get(person, _NEVER), from_round)

    old_meetings = plan.meetings()
    history = [meeting for meeting in old_meetings if meeting.round < from_round]
    previous = [meeting for meeting in old_meetings if meeting.round >= from_round and meeting.round <= rounds]
    meetings, causes = _plan_meetings(event, rounds, plan.seed if seed is None else seed, history=history,
                                      first_round=from_round, departures=departures, previous=previous)
    for entry in plan.unplaced:
        for round_number in entry.rounds:
            if round_number < from_round:
                causes[entry.person_id][round_number] = entry.reason
    newly_dropped = sorted(person for person in dropped if plan.dropped.get(person, _NEVER) > from_round)
    extra_notes = []
    if newly_dropped:
        extra_notes.append(
            f"Re-planned from round {from_round} after {_count(len(newly_dropped), 'drop-out')} "
            f"({', '.join(newly_dropped)}); rounds before {from_round} are unchanged."
        )
    return _assemble(event, rounds, plan.seed if seed is None else seed, meetings, causes, departures,
                     extra_notes=extra_notes)


def adjust_swap(plan: RotationPlan, person_a: str, person_b: str, *, from_round: int = 1) -> RotationPlan | list[str]:
    """Swap two people of the same role everywhere from ``from_round`` on (the lead's adjustment).

    Returns the new plan, or the list of problems if the swap would break a rule (then the plan
    is unchanged). A person who takes over someone's "sits out" slot is told that the lead
    adjusted the plan.
    """
    roles = {attendee.person_id: attendee.role for attendee in plan.attendees}
    problems = [f"{person} is not at this event" for person in (person_a, person_b) if person not in roles]
    if problems:
        return problems
    if person_a == person_b:
        return [f"{person_a} cannot be swapped with themselves"]
    if roles[person_a] != roles[person_b]:
        return [f"{person_a} is a {roles[person_a]} and {person_b} is a {roles[person_b]}: only two mentors "
                "or two mentees can swap places"]
    if not 1 <= from_round <= plan.rounds:
        return [f"from_round must be between 1 and {plan.rounds}"]

    def swap(person: str) -> str:
        return {person_a: person_b, person_b: person_a}.get(person, person)

    meetings = []
    for meeting in plan.meetings():
        if meeting.round >= from_round:
            meeting = replace(meeting, mentor_ids=tuple(map(swap, meeting.mentor_ids)),
                              mentee_ids=tuple(map(swap, meeting.mentee_ids)))
        meetings.append(meeting)

    causes: dict[str, dict[int, str]] = defaultdict(dict)
    for entry in plan.unplaced:
        for round_number in entry.rounds:
            if round_number < from_round or entry.person_id not in (person_a, person_b):
                causes[entry.person_id][round_number] = entry.reason
            else:
                causes[swap(entry.person_id)][round_number] = (
                    "The programme lead adjusted the plan, so there is no seat for you in this round."
                )
    event = _Event(plan.attendees, plan.keep_apart)
    notes = [note for note in plan.notes if not note.startswith("The lead swapped ")]
    notes.append(f"The lead swapped {person_a} and {person_b} from round {from_round}.")
    new_plan = RotationPlan(
        rounds=plan.rounds,
        attendees=plan.attendees,
        groups=tuple(_build_groups(meetings, plan.rounds)),
        unplaced=tuple(_unplaced_entries(event, plan.rounds, meetings, causes, dict(plan.dropped))),
        notes=tuple(notes),
        keep_apart=plan.keep_apart,
        dropped=dict(plan.dropped),
        seed=plan.seed,
    )
    problems = validate_plan(new_plan, plan.attendees, plan.rounds)
    return problems if problems else new_plan


def validate_plan(plan: RotationPlan, attendees: Sequence[Attendee], rounds: int) -> list[str]:
    """Every broken rule in ``plan``, in plain language; an empty list means the plan is sound.

    Checks: meeting shape (one or two of each role, at most three people), rounds in range,
    unknown people and wrong roles, own-organisation meetings, repeated meetings, kept-apart
    people together, anyone in two meetings in a round, dropped people still scheduled, and anyone
    attending a round with neither a meeting nor a reason.
    """
    problems: list[str] = []
    by_id = {attendee.person_id: attendee for attendee in attendees}
    seen_in_round: dict[tuple[int, str], int] = defaultdict(int)
    met: dict[tuple[str, str], list[int]] = defaultdict(list)
    keep_apart = {pair for pair in plan.keep_apart if len(pair) == 2}
    for meeting in plan.meetings():
        label = f"round {meeting.round} meeting {_meeting_label(meeting)}"
        if not 1 <= meeting.round <= rounds:
            problems.append(f"{label}: the event has rounds 1 to {rounds} only")
        if not (1 <= len(meeting.mentor_ids) <= 2 and 1 <= len(meeting.mentee_ids) <= 2 and len(meeting.people) <= 3):
            problems.append(f"{label}: a meeting is one mentor with one mentee, or a trio")
        if len(set(meeting.people)) != len(meeting.people):
            problems.append(f"{label}: someone is listed twice")
        for person in meeting.people:
            seen_in_round[(meeting.round, person)] += 1
            if person not in by_id:
                problems.append(f"{label}: {person} is not at this event")
            elif meeting.round >= plan.dropped.get(person, _NEVER):
                problems.append(f"{label}: {person} dropped out before round {plan.dropped[person]}")
        for role, ids in (("mentor", meeting.mentor_ids), ("mentee", meeting.mentee_ids)):
            for person in ids:
                if person in by_id and by_id[person].role != role:
                    problems.append(f"{label}: {person} is a {by_id[person].role}, not a {role}")
        for mentor, mentee in meeting.pairs():
            met[(mentor, mentee)].append(meeting.round)
            if mentor in by_id and mentee in by_id and by_id[mentor].org_key == by_id[mentee].org_key:
                problems.append(f"{label}: {mentor} and {mentee} are both from {by_id[mentor].organisation}")
        for index, first in enumerate(meeting.people):
            for second in meeting.people[index + 1:]:
                if frozenset((first, second)) in keep_apart:
                    problems.append(f"{label}: {first} and {second} are to be kept apart")
    for (round_number, person), count in sorted(seen_in_round.items()):
        if count > 1:
            problems.append(f"round {round_number}: {person} is in {count} meetings at once")
    for (mentor, mentee), when in sorted(met.items()):
        if len(when) > 1:
            problems.append(f"{mentor} and {mentee} meet more than once (rounds {', '.join(map(str, when))})")
    explained: dict[str, set[int]] = defaultdict(set)
    for entry in plan.unplaced:
        if not entry.reason.strip():
            problems.append(f"{entry.person_id} sits out without a reason")
        explained[entry.person_id].update(entry.rounds)
        for round_number in entry.rounds:
            if seen_in_round.get((round_number, entry.person_id)):
                problems.append(f"{entry.person_id} is listed as sitting out round {round_number} but has a meeting")
    for attendee in attendees:
        last = min(rounds, plan.dropped.get(attendee.person_id, _NEVER) - 1)
        missing = [
            round_number
            for round_number in range(1, last + 1)
            if not seen_in_round.get((round_number, attendee.person_id))
            and round_number not in explained[attendee.person_id]
        ]
        if missing:
            problems.append(f"{attendee.person_id} has no meeting in {_rounds_text(missing)} and is not told why")
    return problems


# --------------------------------------------------------------------------------------------
# The event, as index arrays
# --------------------------------------------------------------------------------------------


def _org_key(organisation: str) -> str:
    return " ".join(organisation.split()).casefold()


class _Event:
    """Attendees split by role, with matrices over (mentor index, mentee index)."""

    def __init__(self, attendees: Sequence[Attendee], keep_apart: frozenset[frozenset[str]]) -> None:
        ids = [attendee.person_id for attendee in attendees]
        duplicates = sorted({person for person in ids if ids.count(person) > 1}) if len(set(ids)) != len(ids) else []
        if duplicates:
            raise ValueError(f"duplicate person_id: {', '.join(duplicates)}")
        for pair in keep_apart:
            if len(pair) != 2:
                raise ValueError("each keep_apart entry must hold exactly two person ids")
        self.attendees = tuple(sorted(attendees, key=lambda attendee: attendee.person_id))
        self.by_id = {attendee.person_id: attendee for attendee in self.attendees}
        self.mentors = [attendee for attendee in self.attendees if attendee.role == "mentor"]
        self.mentees = [attendee for attendee in self.attendees if attendee.role == "mentee"]
        self.mentor_index = {attendee.person_id: index for index, attendee in enumerate(self.mentors)}
        self.mentee_index = {attendee.person_id: index for index, attendee in enumerate(self.mentees)}
        self.keep_apart = frozenset(pair for pair in keep_apart if pair <= self.by_id.keys())
        orgs = sorted({attendee.org_key for attendee in self.attendees})
        code = {org: number for number, org in enumerate(orgs)}
        mentor_orgs = np.array([code[attendee.org_key] for attendee in self.mentors], dtype=np.int64)
        mentee_orgs = np.array([code[attendee.org_key] for attendee in self.mentees], dtype=np.int64)
        #: mentor i may never meet mentee j (same organisation, or kept apart)
        self.forbidden: BoolMatrix = mentor_orgs[:, None] == mentee_orgs[None, :]
        #: same-role pairs kept apart, by role
        self.apart_same_role: dict[str, set[str]] = defaultdict(set)
        for pair in self.keep_apart:
            first, second = sorted(pair)
            if first in self.mentor_index and second in self.mentee_index:
                self.forbidden[self.mentor_index[first], self.mentee_index[second]] = True
            elif second in self.mentor_index and first in self.mentee_index:
                self.forbidden[self.mentor_index[second], self.mentee_index[first]] = True
            else:
                self.apart_same_role[first].add(second)
                self.apart_same_role[second].add(first)

    def role_of(self, person: str) -> Role:
        return self.by_id[person].role

    def pair_index(self, mentor: str, mentee: str) -> tuple[int, int] | None:
        if mentor in self.mentor_index and mentee in self.mentee_index:
            return self.mentor_index[mentor], self.mentee_index[mentee]
        return None


def _check_rounds(rounds: int) -> None:
    if not MIN_ROUNDS <= rounds <= MAX_ROUNDS:
        raise ValueError(f"rounds must be between {MIN_ROUNDS} and {MAX_ROUNDS}, not {rounds}")


def _blocks(rounds: int) -> list[tuple[int, ...]]:
    return [tuple(range(start, min(start + BLOCK_SIZE, rounds + 1))) for start in range(1, rounds + 1, BLOCK_SIZE)]


def _block_of(round_number: int) -> tuple[int, ...]:
    start = (round_number - 1) // BLOCK_SIZE * BLOCK_SIZE + 1
    return tuple(range(start, start + BLOCK_SIZE))


# --------------------------------------------------------------------------------------------
# Planning
# --------------------------------------------------------------------------------------------


def _plan_meetings(
    event: _Event,
    rounds: int,
    seed: int,
    *,
    history: Sequence[Meeting],
    first_round: int,
    departures: Mapping[str, int],
    previous: Sequence[Meeting],
) -> tuple[list[Meeting], dict[str, dict[int, str]]]:
    """Meetings for rounds ``first_round`` to ``rounds`` after ``history``; and why people sit out."""
    rng = np.random.default_rng(seed)
    n_mentors, n_mentees = len(event.mentors), len(event.mentees)
    met = np.zeros((n_mentors, n_mentees), dtype=np.bool_)
    meetings: list[Meeting] = list(history)
    for meeting in history:
        _mark_met(event, met, meeting)
    sat_out: Counter[str] = Counter()  # rounds each person has sat out so far
    causes: dict[str, dict[int, str]] = defaultdict(dict)

    previous_edges: dict[int, set[tuple[int, int]]] = defaultdict(set)
    previous_seat: dict[int, dict[str, tuple[str, str]]] = defaultdict(dict)
    for meeting in previous:
        for mentor, mentee in meeting.pairs():
            index = event.pair_index(mentor, mentee)
            if index is not None:
                previous_edges[meeting.round].add(index)
        joiner = meeting.joiner
        if joiner is not None:
            previous_seat[meeting.round][joiner] = meeting.core

    for round_number in range(first_round, rounds + 1):
        present_mentors = _present(event.mentors, departures, round_number)
        present_mentees = _present(event.mentees, departures, round_number)
        grid = np.ix_(present_mentors, present_mentees)
        allowed = ~event.forbidden[grid] & ~met[grid]
        rows_left = rounds - round_number + 1

        # Stage 1: core pairs, a maximum matching with preferences.
        cost: FloatMatrix = np.full(allowed.shape, _BASE)
        row_of = {int(i): r for r, i in enumerate(present_mentors)}
        col_of = {int(j): c for c, j in enumerate(present_mentees)}
        for i, j in previous_edges.get(round_number, set()):
            if i in row_of and j in col_of:
                cost[row_of[i], col_of[j]] -= _PREVIOUS_BONUS
        block = _block_of(round_number)
        if round_number != block[0] and round_number - 1 >= 1:
            earlier = [meeting for meeting in meetings if meeting.round == round_number - 1]
            for i, j in _swap_edges(event, earlier, allowed, row_of, col_of, rng):
                cost[row_of[i], col_of[j]] -= _SWAP_BONUS
        row_bonus = np.array([
            _SAT_OUT_BONUS * min(sat_out[event.mentors[i].person_id], 2)
            + (_TIGHT_BONUS if allowed[r].sum() < rows_left else 0.0)
            for r, i in enumerate(present_mentors)
        ])
        col_bonus = np.array([
            _SAT_OUT_BONUS * min(sat_out[event.mentees[j].person_id], 2)
            + (_TIGHT_BONUS if allowed[:, c].sum() < rows_left else 0.0)
            for c, j in enumerate(present_mentees)
        ])
        if cost.size:
            cost -= row_bonus[:, None] + col_bonus[None, :]
            cost += _congestion(allowed)
            cost += rng.random(cost.shape) * _JITTER
            cost[~allowed] = _BIG
            rows, cols = linear_sum_assignment(cost)
            core = [(int(present_mentors[r]), int(present_mentees[c])) for r, c in zip(rows, cols, strict=True)
                    if allowed[r, c]]
        else:
            core = []
        core.sort(key=lambda pair: (event.mentors[pair[0]].person_id, event.mentees[pair[1]].person_id))

        # Stage 2: people without a partner join a pair as a trio.
        paired_mentors = {i for i, _ in core}
        paired_mentees = {j for _, j in core}
        extras = [event.mentors[int(i)].person_id for i in present_mentors if int(i) not in paired_mentors]
        extras += [event.mentees[int(j)].person_id for j in present_mentees if int(j) not in paired_mentees]
        core_ids = [(event.mentors[i].person_id, event.mentees[j].person_id) for i, j in core]
        block_seats = _seats_in_block(meetings, round_number, block)
        joined = _place_extras(event, met, extras, core_ids, previous_seat.get(round_number, {}), block_seats,
                               sat_out, rng)

        round_meetings = []
        for mentor, mentee in core_ids:
            mentor_ids: tuple[str, ...] = (mentor,)
            mentee_ids: tuple[str, ...] = (mentee,)
            joiner = joined.get((mentor, mentee))
            if joiner is not None and event.role_of(joiner) == "mentor":
                mentor_ids = (mentor, joiner)
            elif joiner is not None:
                mentee_ids = (mentee, joiner)
            round_meetings.append(Meeting(round_number, mentor_ids, mentee_ids))
        for meeting in round_meetings:
            _mark_met(event, met, meeting)
        meetings.extend(round_meetings)
        seated = {person for meeting in round_meetings for person in meeting.people}
        for person in extras:
            if person not in seated:
                sat_out[person] += 1
                causes[person][round_number] = ""  # diagnosed once the whole plan is known
    return meetings, causes


def _congestion(allowed: BoolMatrix) -> FloatMatrix:
    """A small cost for a flexible person taking a partner whom people with few options need.

    Each person spreads one unit of demand over the partners they may still meet; a partner's
    pressure is the demand on them (scaled to at most 1). Someone with many options pays that
    pressure to take them, someone with a single option pays nothing. This keeps scarce partners
    for later rounds of the people who depend on them.
    """
    options_m = allowed.sum(axis=1).astype(np.float64)
    options_e = allowed.sum(axis=0).astype(np.float64)
    share_m = np.divide(1.0, options_m, out=np.zeros_like(options_m), where=options_m > 0)
    share_e = np.divide(1.0, options_e, out=np.zeros_like(options_e), where=options_e > 0)
    pressure_e = allowed.T.astype(np.float64) @ share_m
    pressure_m = allowed.astype(np.float64) @ share_e
    pressure_e /= max(float(pressure_e.max(initial=0.0)), 1.0)
    pressure_m /= max(float(pressure_m.max(initial=0.0)), 1.0)
    flexible_m = np.where(options_m > 0, 1.0 - share_m, 0.0)
    flexible_e = np.where(options_e > 0, 1.0 - share_e, 0.0)
    result: FloatMatrix = _CONGESTION * (flexible_m[:, None] * pressure_e[None, :]
                                         + pressure_m[:, None] * flexible_e[None, :])
    return result


def _present(people: Sequence[Attendee], departures: Mapping[str, int], round_number: int) -> npt.NDArray[np.int64]:
    return np.array([k for k, a in enumerate(people) if departures.get(a.person_id, _NEVER) > round_number],
                    dtype=np.int64)


def _mark_met(event: _Event, met: BoolMatrix, meeting: Meeting) -> None:
    for mentor, mentee in meeting.pairs():
        index = event.pair_index(mentor, mentee)
        if index is not None:
            met[index] = True


def _swap_edges(
    event: _Event,
    earlier: Sequence[Meeting],
    allowed: BoolMatrix,
    row_of: Mapping[int, int],
    col_of: Mapping[int, int],
    rng: np.random.Generator,
) -> list[tuple[int, int]]:
    """Edges that turn the previous round's core pairs into groups of 2 + 2 (a maximum number of groups)."""
    pairs: list[tuple[int, int]] = []
    for meeting in earlier:
        index = event.pair_index(*meeting.core)
        if index is not None and index[0] in row_of and index[1] in col_of:
            pairs.append((row_of[index[0]], col_of[index[1]]))
    if len(pairs) < 2:
        return []
    order = rng.permutation(len(pairs))
    pairs = [pairs[int(k)] for k in order]
    rows = np.array([p[0] for p in pairs])
    cols = np.array([p[1] for p in pairs])
    cross = allowed[np.ix_(rows, cols)]  # cross[a, b]: mentor of pair a may meet mentee of pair b
    compatible = cross & cross.T
    np.fill_diagonal(compatible, False)
    adjacency = [[int(b) for b in np.flatnonzero(compatible[a])] for a in range(len(pairs))]
    mate = maximum_matching(adjacency)
    mentor_of_row = {r: i for i, r in row_of.items()}
    mentee_of_col = {c: j for j, c in col_of.items()}
    edges = []
    for a, b in enumerate(mate):
        if b >= 0:
            edges.append((mentor_of_row[pairs[a][0]], mentee_of_col[pairs[b][1]]))
    return edges


def _seats_in_block(meetings: Sequence[Meeting], round_number: int, block: tuple[int, ...]) -> dict[str, str]:
    """For people who joined a trio earlier in this block: the same-role person whose seat they shared."""
    seats: dict[str, str] = {}
    for meeting in meetings:
        if meeting.round in block and meeting.round < round_number and meeting.joiner is not None:
            if len(meeting.mentor_ids) > 1:
                seats[meeting.joiner] = meeting.mentor_ids[0]
            else:
                seats[meeting.joiner] = meeting.mentee_ids[0]
    return seats


def _place_extras(
    event: _Event,
    met: BoolMatrix,
    extras: Sequence[str],
    core: Sequence[tuple[str, str]],
    previous_seat: Mapping[str, tuple[str, str]],
    block_seats: Mapping[str, str],
    sat_out: Mapping[str, int],
    rng: np.random.Generator,
) -> dict[tuple[str, str], str]:
    """Assign people without a partner to core pairs (at most one per pair): pair -> joiner."""
    if not extras or not core:
        return {}
    allowed = np.zeros((len(extras), len(core)), dtype=np.bool_)
    cost: FloatMatrix = np.full(allowed.shape, _BASE)
    core_mentors = np.array([event.mentor_index[mentor] for mentor, _ in core])
    core_mentees = np.array([event.mentee_index[mentee] for _, mentee in core])
    for row, person in enumerate(extras):
        if event.role_of(person) == "mentor":
            i = event.mentor_index[person]
            allowed[row] = ~event.forbidden[i, core_mentees] & ~met[i, core_mentees]
            same_role = [mentor for mentor, _ in core]
        else:
            j = event.mentee_index[person]
            allowed[row] = ~event.forbidden[core_mentors, j] & ~met[core_mentors, j]
            same_role = [mentee for _, mentee in core]
        apart = event.apart_same_role.get(person, set())
        for col, partner in enumerate(same_role):
            if partner in apart:
                allowed[row, col] = False
            if block_seats.get(person) == partner:
                cost[row, col] -= _SWAP_BONUS
        cost[row] -= _SAT_OUT_JOIN_BONUS * min(sat_out.get(person, 0), 2)
        if person in previous_seat:
            for col, pair in enumerate(core):
                if pair == previous_seat[person]:
                    cost[row, col] -= _PREVIOUS_BONUS
    cost += rng.random(cost.shape) * _JITTER
    cost[~allowed] = _BIG
    rows, cols = linear_sum_assignment(cost)
    return {core[c]: extras[r] for r, c in zip(rows, cols, strict=True) if allowed[r, c]}


def maximum_matching(adjacency: Sequence[Sequence[int]]) -> list[int]:
    """Maximum matching in a general (undirected) graph, Edmonds' blossom algorithm, O(V^3).

    ``adjacency[v]`` lists the neighbours of vertex ``v``. Returns ``mate`` with ``mate[v]`` the
    vertex matched to ``v``, or -1.
    """
    n = len(adjacency)
    mate = [-1] * n
    for v in range(n):  # a greedy start; the augmenting searches make it maximum
        if mate[v] == -1:
            for u in adjacency[v]:
                if mate[u] == -1 and u != v:
                    mate[u], mate[v] = v, u
                    break

    for root in range(n):
        if mate[root] != -1:
            continue
        parent = [-1] * n
        base = list(range(n))
        used = [False] * n
        used[root] = True
        queue = deque([root])

        def lowest_common_ancestor(a: int, b: int, parent: list[int] = parent, base: list[int] = base) -> int:
            seen = [False] * n
            while True:
                a = base[a]
                seen[a] = True
                if mate[a] == -1:
                    break
                a = parent[mate[a]]
            while True:
                b = base[b]
                if seen[b]:
                    return b
                b = parent[mate[b]]

        def mark_path(v: int, b: int, child: int, blossom: list[bool],
                      parent: list[int] = parent, base: list[int] = base) -> None:
            while base[v] != b:
                blossom[base[v]] = blossom[base[mate[v]]] = True
                parent[v] = child
                child = mate[v]
                v = parent[mate[v]]

        found = -1
        while queue and found == -1:
            v = queue.popleft()
            for to in adjacency[v]:
                if base[v] == base[to] or mate[v] == to:
                    continue
                if to == root or (mate[to] != -1 and parent[mate[to]] != -1):
                    current = lowest_common_ancestor(v, to)
                    blossom = [False] * n
                    mark_path(v, current, to, blossom)
                    mark_path(to, current, v, blossom)
                    for i in range(n):
                        if blossom[base[i]]:
                            base[i] = current
                            if not used[i]:
                                used[i] = True
                                queue.append(i)
                elif parent[to] == -1:
                    parent[to] = v
                    if mate[to] == -1:
                        found = to
                        break
                    used[mate[to]] = True
                    queue.append(mate[to])
        v = found
        while v != -1:
            previous_vertex = parent[v]
            next_vertex = mate[previous_vertex]
            mate[v], mate[previous_vertex] = previous_vertex, v
            v = next_vertex
    return mate


# --------------------------------------------------------------------------------------------
# Assembling the plan: groups, reasons, notes
# --------------------------------------------------------------------------------------------


def _assemble(
    event: _Event,
    rounds: int,
    seed: int,
    meetings: list[Meeting],
    causes: dict[str, dict[int, str]],
    departures: dict[str, int],
    extra_notes: Sequence[str] = (),
) -> RotationPlan:
    groups = _build_groups(meetings, rounds)
    unplaced = _unplaced_entries(event, rounds, meetings, causes, departures)
    notes = _notes(event, rounds, meetings, groups, unplaced, departures) + list(extra_notes)
    return RotationPlan(
        rounds=rounds,
        attendees=event.attendees,
        groups=tuple(groups),
        unplaced=tuple(unplaced),
        notes=tuple(notes),
        keep_apart=event.keep_apart,
        dropped=dict(departures),
        seed=seed,
    )


def _build_groups(meetings: Sequence[Meeting], rounds: int) -> list[Group]:
    """Groups per block of rounds: connected components of the core pairs; trios join their pair's group."""
    groups: list[Group] = []
    for block in _blocks(rounds):
        block_meetings = sorted((m for m in meetings if m.round in block), key=lambda m: (m.round, m.people))
        parent: dict[str, str] = {}

        def find(person: str, parent: dict[str, str] = parent) -> str:
            parent.setdefault(person, person)
            while parent[person] != person:
                parent[person] = parent[parent[person]]
                person = parent[person]
            return person

        for meeting in block_meetings:
            mentor, mentee = meeting.core
            parent[find(mentor)] = find(mentee)
        components: dict[str, list[Meeting]] = defaultdict(list)
        for meeting in block_meetings:
            components[find(meeting.core[0])].append(meeting)
        for component in components.values():  # insertion order: by first round, then ids
            mentors: dict[str, None] = {}
            mentees: dict[str, None] = {}
            for meeting in component:
                mentors.update(dict.fromkeys(meeting.mentor_ids))
                mentees.update(dict.fromkeys(meeting.mentee_ids))
            groups.append(Group(
                number=len(groups) + 1,
                rounds=tuple(sorted({meeting.round for meeting in component})),
                mentor_ids=tuple(mentors),
                mentee_ids=tuple(mentees),
                meetings=tuple(component),
            ))
    return groups


def _unplaced_entries(
    event: _Event,
    rounds: int,
    meetings: Sequence[Meeting],
    causes: Mapping[str, Mapping[int, str]],
    departures: Mapping[str, int],
) -> list[Unplaced]:
    seated: dict[str, set[int]] = defaultdict(set)
    partners: dict[str, dict[str, int]] = defaultdict(dict)  # person -> opposite-role person -> round met
    for meeting in meetings:
        for person in meeting.people:
            seated[person].add(meeting.round)
        for mentor, mentee in meeting.pairs():
            partners[mentor][mentee] = meeting.round
            partners[mentee][mentor] = meeting.round
    entries = []
    for attendee in event.attendees:
        person = attendee.person_id
        expected = range(1, min(rounds, departures.get(person, _NEVER) - 1) + 1)
        missing = [r for r in expected if r not in seated[person]]
        if not missing:
            continue
        reasons: list[str] = []
        for round_number in missing:
            reason = causes.get(person, {}).get(round_number) or _diagnose(
                event, attendee, round_number, len(expected), partners[person], departures
            )
            if reason not in reasons:
                reasons.append(reason)
        entries.append(Unplaced(person, tuple(missing), " ".join(reasons), partial=len(missing) < len(expected)))
    return entries


def _diagnose(
    event: _Event,
    attendee: Attendee,
    round_number: int,
    attended: int,
    partners: Mapping[str, int],
    departures: Mapping[str, int],
) -> str:
    """Why ``attendee`` has no meeting in ``round_number``, in plain language."""
    own_plural = f"{attendee.role}s"
    other_role: Role = "mentee" if attendee.role == "mentor" else "mentor"
    other_plural = f"{other_role}s"

    def present(a: Attendee) -> bool:
        return departures.get(a.person_id, _NEVER) > round_number

    others = [a for a in event.attendees if a.role == other_role]
    if not others:
        return f"There are no {other_plural} at the event, so there is nobody for you to meet."
    apart = {next(iter(pair - {attendee.person_id})) for pair in event.keep_apart if attendee.person_id in pair}
    compatible = [a for a in others if a.org_key != attendee.org_key and a.person_id not in apart]
    if not compatible:
        if all(a.org_key == attendee.org_key for a in others):
            return f"Every {other_role} at the event is from {attendee.organisation}, your own organisation."
        return (f"Every {other_role} at the event is either from {attendee.organisation}, your own organisation, "
                "or someone the programme lead has chosen not to pair you with.")
    if len(compatible) < attended:
        return (f"Only {_count(len(compatible), other_role)} at the event "
                f"{'is' if len(compatible) == 1 else 'are'} from another organisation, so you can meet "
                f"someone new in at most {len(compatible)} of the {_count(attended, 'round')} you attend.")
    own_present = [a for a in event.attendees if a.role == attendee.role and present(a)]
    others_present = [a for a in others if present(a)]
    everyone_present = all(present(a) for a in event.attendees)
    when = "" if everyone_present else f" in round {round_number}"
    if len(own_present) > 2 * len(others_present):
        return (f"There are {_count(len(own_present), attendee.role)} and {_count(len(others_present), other_role)}"
                f"{when}: each {other_role} meets at most two {own_plural} at a time, so some {own_plural} sit out.")
    compatible_present = [a for a in compatible if present(a)]
    same_org_present = [a for a in own_present if a.org_key == attendee.org_key]
    if len(same_org_present) > 2 * len(compatible_present):
        return (f"There are {_count(len(same_org_present), attendee.role)} from {attendee.organisation} and only "
                f"{_count(len(compatible_present), other_role)} from other organisations{when}; each {other_role} "
                f"meets at most two {own_plural} at a time, so some {own_plural} from {attendee.organisation} sit out.")
    unmet = [a for a in compatible_present if partners.get(a.person_id, _NEVER) >= round_number]
    if not unmet:
        return (f"By round {round_number} you had already met every {other_role} from another organisation, "
                "and nobody meets the same person twice.")
    return (f"In round {round_number} every {other_role} from another organisation whom you have not met yet "
            "was already in a meeting that could not take a third person.")


def _notes(
    event: _Event,
    rounds: int,
    meetings: Sequence[Meeting],
    groups: Sequence[Group],
    unplaced: Sequence[Unplaced],
    departures: Mapping[str, int],
) -> list[str]:
    notes: list[str] = []
    n_mentors, n_mentees = len(event.mentors), len(event.mentees)
    joiners: dict[str, list[int]] = {"mentor": [0] * rounds, "mentee": [0] * rounds}
    for meeting in meetings:
        if meeting.joiner is not None:
            joiners[event.role_of(meeting.joiner)][meeting.round - 1] += 1
    trio_parts = []
    for role, shape in (("mentor", "two mentors with one mentee"), ("mentee", "one mentor with two mentees")):
        counts = joiners[role]
        if not any(counts):
            continue
        if len(set(counts)) == 1:
            trio_parts.append(f"{_count(counts[0], role)} {_join_verb(counts[0])} a pair as a trio ({shape}) "
                              f"in {'each round' if rounds > 1 else 'the round'}")
        else:
            per_round = ", ".join(f"round {r}: {c}" for r, c in enumerate(counts, start=1))
            trio_parts.append(f"{role}s join a pair as a trio ({shape}); trios per round: {per_round}")
    if trio_parts or n_mentors != n_mentees:
        head = f"There are {_count(n_mentors, 'mentor')} and {_count(n_mentees, 'mentee')}"
        notes.append(f"{head}: {'; '.join(trio_parts)}." if trio_parts else f"{head}.")
    for role in ("mentor", "mentee"):
        ids = {a.person_id for a in event.attendees if a.role == role}
        out = [sum(1 for entry in unplaced if entry.person_id in ids and r in entry.rounds)
               for r in range(1, rounds + 1)]
        if any(out):
            per_round = ", ".join(f"round {r}: {c}" for r, c in enumerate(out, start=1) if c)
            notes.append(f"Some {role}s sit out ({per_round}); each is told why below.")
    fully = [entry.person_id for entry in unplaced if not entry.partial]
    partly = [entry.person_id for entry in unplaced if entry.partial]
    if fully:
        notes.append(f"Not placed at all: {', '.join(fully)}.")
    if partly:
        notes.append(f"Placed in some rounds only: {', '.join(partly)}.")
    for group in groups:
        core_mentors = {meeting.core[0] for meeting in group.meetings}
        core_mentees = {meeting.core[1] for meeting in group.meetings}
        if len(group.rounds) > 1 and len(core_mentors) > 2 and len(core_mentors) == len(core_mentees):
            notes.append(f"Group {group.number} has {len(core_mentors)} mentors and {len(core_mentees)} mentees: "
                         f"in round {group.rounds[-1]} each mentee moves one seat along.")
    if rounds > BLOCK_SIZE:
        changes = [block[-1] for block in _blocks(rounds)[:-1]]
        notes.append(f"Groups change after {_rounds_text(changes)} so that nobody meets the same person twice.")
    if rounds % BLOCK_SIZE == 1 and rounds > 1:
        notes.append(f"Round {rounds} is a single round: each pair or trio sits together for that round only.")
    if event.keep_apart:
        notes.append(f"{_count(len(event.keep_apart), 'keep-apart request')} from the lead "
                     f"{'is' if len(event.keep_apart) == 1 else 'are'} respected.")
    left = defaultdict(list)
    for person, first in sorted(departures.items()):
        if first <= rounds:
            left[first].append(person)
    for first, people in sorted(left.items()):
        notes.append(f"Dropped out from round {first}: {', '.join(people)}.")
    return notes


# --------------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------------

_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def _count(n: int, noun: str) -> str:
    word = _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else str(n)
    return f"{word} {noun}" if n == 1 else f"{word} {noun}s"


def _join_verb(n: int) -> str:
    return "joins" if n == 1 else "join"


def _rounds_text(rounds: Sequence[int]) -> str:
    numbers = [str(r) for r in rounds]
    if len(numbers) == 1:
        return f"round {numbers[0]}"
    return f"rounds {', '.join(numbers[:-1])} and {numbers[-1]}"


def _meeting_label(meeting: Meeting, names: Mapping[str, str] | None = None) -> str:
    names = names or {}
    mentors = " and ".join(names.get(person, person) for person in meeting.mentor_ids)
    mentees = " and ".join(names.get(person, person) for person in meeting.mentee_ids)
    return f"{mentors} with {mentees}"


def _summary(plan: RotationPlan, names: Mapping[str, str]) -> str:
    by_id = {attendee.person_id: attendee for attendee in plan.attendees}

    def who(person: str) -> str:
        attendee = by_id.get(person)
        label = names.get(person, person)
        return f"{label} ({attendee.organisation})" if attendee else label

    n_mentors = sum(1 for a in plan.attendees if a.role == "mentor")
    n_mentees = len(plan.attendees) - n_mentors
    lines = [
        f"Speed mentoring rotation: {_count(plan.rounds, 'round')}, {_count(n_mentors, 'mentor')}, "
        f"{_count(n_mentees, 'mentee')}, {_count(len(plan.groups), 'group')}."
    ]
    for block in _blocks(plan.rounds):
        block_groups = [group for group in plan.groups if group.rounds and group.rounds[0] in block]
        lines.append("")
        lines.append(f"{_rounds_text(block).capitalize()}:")
        if not block_groups:
            lines.append("  (no meetings)")
        for group in block_groups:
            lines.append(f"  Group {group.number}: mentors {', '.join(map(who, group.mentor_ids))}; "
                         f"mentees {', '.join(map(who, group.mentee_ids))}")
            for round_number in group.rounds:
                labels = [_meeting_label(m, names) for m in group.meetings_in_round(round_number)]
                lines.append(f"    Round {round_number}: {'; '.join(labels)}")
    if plan.unplaced:
        lines.append("")
        lines.append("Not placed in every round:")
        for entry in plan.unplaced:
            lines.append(f"  - {who(entry.person_id)}, {_rounds_text(entry.rounds)}: {entry.reason}")
    if plan.notes:
        lines.append("")
        lines.append("Notes:")
        lines.extend(f"  - {note}" for note in plan.notes)
    return "\n".join(lines)
