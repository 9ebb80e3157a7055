"""Tests for the speed mentoring rotation planner (mentor = junior colleague, mentee = senior leader)."""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_bipartite_matching

from bot.speed_events.rotation import (
    Attendee,
    Group,
    Meeting,
    RotationPlan,
    Unplaced,
    adjust_swap,
    maximum_matching,
    plan_rotation,
    replan_after_dropouts,
    validate_plan,
)


def mentor(person_id: str, organisation: str) -> Attendee:
    return Attendee(person_id, "mentor", organisation)


def mentee(person_id: str, organisation: str) -> Attendee:
    return Attendee(person_id, "mentee", organisation)


# --------------------------------------------------------------------------------------------
# An independent checker (does not use validate_plan or the module's helpers)
# --------------------------------------------------------------------------------------------


def independent_problems(
    plan: RotationPlan,
    attendees: Sequence[Attendee],
    rounds: int,
    departures: Mapping[str, int] | None = None,
    keep_apart: frozenset[frozenset[str]] = frozenset(),
) -> list[str]:
    departures = departures or {}
    people = {a.person_id: a for a in attendees}
    org = {pid: " ".join(a.organisation.split()).casefold() for pid, a in people.items()}
    problems = []
    meetings = [m for g in plan.groups for m in g.meetings]
    booked: dict[tuple[int, str], int] = defaultdict(int)
    pair_rounds: dict[tuple[str, str], list[int]] = defaultdict(list)
    for m in meetings:
        everyone = list(m.mentor_ids) + list(m.mentee_ids)
        if not (m.mentor_ids and m.mentee_ids and len(everyone) <= 3):
            problems.append(f"bad shape {m}")
        if not 1 <= m.round <= rounds:
            problems.append(f"bad round {m}")
        for pid in m.mentor_ids:
            if people[pid].role != "mentor":
                problems.append(f"{pid} listed as mentor")
        for pid in m.mentee_ids:
            if people[pid].role != "mentee":
                problems.append(f"{pid} listed as mentee")
        for pid in everyone:
            booked[(m.round, pid)] += 1
            if m.round >= departures.get(pid, 99):
                problems.append(f"{pid} scheduled after dropping out")
        for a, b in itertools.combinations(everyone, 2):
            if frozenset((a, b)) in keep_apart:
                problems.append(f"kept apart {a} {b}")
        for a in m.mentor_ids:
            for b in m.mentee_ids:
                pair_rounds[(a, b)].append(m.round)
                if org[a] == org[b]:
                    problems.append(f"own organisation {a} {b}")
    problems += [f"double booked {k}" for k, n in booked.items() if n > 1]
    problems += [f"repeat {k}" for k, v in pair_rounds.items() if len(v) > 1]
    reasons = {u.person_id: u for u in plan.unplaced}
    if len(reasons) != len(plan.unplaced):
        problems.append("a person is listed twice as unplaced")
    for pid in people:
        expected = [r for r in range(1, rounds + 1) if r < departures.get(pid, 99)]
        missing = [r for r in expected if booked[(r, pid)] == 0]
        entry = reasons.get(pid)
        if missing:
            if entry is None or not entry.reason.strip():
                problems.append(f"{pid} left out silently in rounds {missing}")
            elif list(entry.rounds) != missing:
                problems.append(f"{pid} unplaced rounds {entry.rounds} but missing {missing}")
            elif entry.partial != (len(missing) < len(expected)):
                problems.append(f"{pid} partial flag wrong")
        elif entry is not None:
            problems.append(f"{pid} listed as unplaced but placed everywhere")
    return problems


def max_matching_size(allowed: np.ndarray) -> int:
    if allowed.size == 0:
        return 0
    matched = maximum_bipartite_matching(csr_matrix(allowed.astype(np.int8)), perm_type="column")
    return int((matched >= 0).sum())


def check_rounds_are_maximum(plan: RotationPlan, attendees: Sequence[Attendee], departures: Mapping[str, int],
                             from_round: int = 1) -> None:
    """Each planned round has as many meetings as a maximum matching over the allowed edges."""
    mentors = [a for a in attendees if a.role == "mentor"]
    mentees = [a for a in attendees if a.role == "mentee"]
    apart = plan.keep_apart
    met: set[tuple[str, str]] = set()
    by_round = defaultdict(list)
    for m in plan.meetings():
        by_round[m.round].append(m)
    for r in range(1, plan.rounds + 1):
        if r >= from_round:
            here_m = [a for a in mentors if departures.get(a.person_id, 99) > r]
            here_e = [a for a in mentees if departures.get(a.person_id, 99) > r]
            allowed = np.array([[x.organisation.casefold().strip() != y.organisation.casefold().strip()
                                 and (x.person_id, y.person_id) not in met
                                 and frozenset((x.person_id, y.person_id)) not in apart
                                 for y in here_e] for x in here_m], dtype=bool).reshape(len(here_m), len(here_e))
            assert len(by_round[r]) == max_matching_size(allowed), f"round {r} is not a maximum matching"
        for m in by_round[r]:
            met.update(m.pairs())


# --------------------------------------------------------------------------------------------
# Examples
# --------------------------------------------------------------------------------------------


def test_four_people_from_two_organisations_swap_in_round_two() -> None:
    people = [mentor("m1", "Acme"), mentor("m2", "Acme"), mentee("e1", "Globex"), mentee("e2", "Globex")]
    plan = plan_rotation(people, 2)
    assert validate_plan(plan, people, 2) == []
    assert plan.unplaced == ()
    [group] = plan.groups
    assert sorted(group.mentor_ids) == ["m1", "m2"] and sorted(group.mentee_ids) == ["e1", "e2"]
    assert group.rounds == (1, 2)
    round1 = {m.mentor_ids: m.mentee_ids for m in group.meetings_in_round(1)}
    round2 = {m.mentor_ids: m.mentee_ids for m in group.meetings_in_round(2)}
    assert set(round1) == set(round2) == {("m1",), ("m2",)}
    for mentor_ids in round1:
        assert round1[mentor_ids] != round2[mentor_ids]  # the mentees swapped
    assert all(not m.is_trio for m in group.meetings)


def test_three_mentors_and_two_mentees_make_a_trio_and_the_lead_is_told() -> None:
    people = [mentor("m1", "Acme"), mentor("m2", "Acme"), mentor("m3", "Initech"),
              mentee("e1", "Globex"), mentee("e2", "Globex")]
    plan = plan_rotation(people, 2)
    assert validate_plan(plan, people, 2) == []
    assert independent_problems(plan, people, 2) == []
    assert plan.unplaced == ()
    for r in (1, 2):
        meetings = plan.meetings_in_round(r)
        assert len(meetings) == 2
        trios = [m for m in meetings if m.is_trio]
        assert len(trios) == 1 and len(trios[0].mentor_ids) == 2 and len(trios[0].mentee_ids) == 1
    note = plan.notes[0]
    assert "three mentors and two mentees" in note and "trio" in note
    assert "trio" in plan.summary()


def test_everyone_from_one_organisation_is_unplaced_with_the_reason() -> None:
    people = [mentor("m1", "Acme"), mentor("m2", "Acme"), mentee("e1", "Acme"), mentee("e2", " acme ")]
    plan = plan_rotation(people, 3)
    assert plan.groups == ()
    assert validate_plan(plan, people, 3) == []
    assert {u.person_id for u in plan.unplaced} == {"m1", "m2", "e1", "e2"}
    reasons = {u.person_id: u for u in plan.unplaced}
    assert reasons["m1"].reason == "Every mentee at the event is from Acme, your own organisation."
    assert reasons["e1"].reason == "Every mentor at the event is from Acme, your own organisation."
    assert all(not u.partial and u.rounds == (1, 2, 3) for u in plan.unplaced)
    assert "Not placed at all" in " ".join(plan.notes)


def test_no_mentees_at_all_is_explained() -> None:
    people = [mentor("m1", "Acme"), mentor("m2", "Globex")]
    plan = plan_rotation(people, 2)
    reason = "There are no mentees at the event, so there is nobody for you to meet."
    assert [u.reason for u in plan.unplaced] == [reason, reason]


def test_too_few_people_from_other_organisations_is_partial_placement() -> None:
    people = [mentor("m1", "Acme"), mentee("e1", "Globex"), mentee("e2", "Acme"), mentee("e3", "Acme")]
    plan = plan_rotation(people, 3)
    assert validate_plan(plan, people, 3) == []
    entry = plan.unplaced_for("m1")
    assert entry is not None and entry.partial and len(entry.rounds) == 2
    assert "Only one mentee at the event is from another organisation" in entry.reason
    assert entry.message().startswith("You sit out rounds")
    assert len(plan.meetings_for("m1")) == 1


def test_many_mentors_few_mentees_sit_out_with_a_reason() -> None:
    people = [mentor(f"m{i}", f"Org{i}") for i in range(7)] + [mentee("e1", "Big"), mentee("e2", "Big")]
    plan = plan_rotation(people, 2)
    assert independent_problems(plan, people, 2) == []
    for r in (1, 2):
        meetings = plan.meetings_in_round(r)
        assert len(meetings) == 2 and all(m.is_trio for m in meetings)
    assert plan.unplaced, "seven mentors cannot all meet two mentees"
    assert any("each mentee meets at most two mentors at a time" in u.reason for u in plan.unplaced)


def test_dropout_before_round_two_only_re_places_the_people_affected() -> None:
    people = [mentor("m1", "Acme"), mentor("m2", "Acme"), mentee("e1", "Globex"), mentee("e2", "Globex"),
              mentor("m3", "Initech"), mentor("m4", "Initech"), mentee("e3", "Umbrella"), mentee("e4", "Umbrella")]
    plan = plan_rotation(people, 2, seed=7)
    assert plan.unplaced == () and len(plan.groups) == 2
    dropped = plan.meetings_in_round(2)[0].mentee_ids[0]
    new = replan_after_dropouts(plan, people, [dropped], rounds=2, from_round=2)
    assert validate_plan(new, people, 2) == []
    assert independent_problems(new, people, 2, departures={dropped: 2}) == []
    assert new.meetings_in_round(1) == plan.meetings_in_round(1)  # history is unchanged
    assert all(dropped not in m.people for m in new.meetings_in_round(2))
    new_cores = {m.core for m in new.meetings_in_round(2)}
    for old in plan.meetings_in_round(2):
        if dropped not in old.people:
            assert old.core in new_cores  # unaffected meetings stay
    assert new.dropped == {dropped: 2}
    assert any("Re-planned from round 2" in note for note in new.notes)
    assert not new.unplaced_for(dropped)  # they left; they are not "unplaced"


def test_dropout_whose_partner_has_nobody_new_left_is_told_why() -> None:
    people = [mentor("m1", "Acme"), mentor("m2", "Acme"), mentee("e1", "Globex"), mentee("e2", "Globex")]
    plan = plan_rotation(people, 2)
    gone = "e2"
    stranded = next(m.mentor_ids[0] for m in plan.meetings_in_round(2) if gone in m.mentee_ids)
    new = replan_after_dropouts(plan, [a for a in people if a.person_id != gone], [gone], rounds=2, from_round=2)
    assert validate_plan(new, people, 2) == []
    entry = new.unplaced_for(stranded)
    assert entry is not None and entry.rounds == (2,) and entry.partial
    assert "already met every mentee from another organisation" in entry.reason


def test_replan_places_a_late_arrival() -> None:
    people = [mentor("m1", "Acme"), mentee("e1", "Globex"), mentee("e2", "Globex")]
    plan = plan_rotation(people, 2)
    late = [*people, mentor("m2", "Initech")]
    new = replan_after_dropouts(plan, late, [], rounds=2, from_round=2)
    assert validate_plan(new, late, 2) == []
    assert new.meetings_for("m2") and new.meetings_for("m2")[0].round == 2


def test_swap_adjustment_is_validated() -> None:
    people = [mentor("m1", "Acme"), mentor("m2", "Acme"), mentor("m3", "Globex"),
              mentee("e1", "Initech"), mentee("e2", "Initech"), mentee("e3", "Acme")]
    plan = plan_rotation(people, 2)
    assert validate_plan(plan, people, 2) == []
    # m3 (Globex) and m1 (Acme): m1 would meet e3 (Acme) wherever m3 met e3 -> refused
    refused = adjust_swap(plan, "m1", "m3")
    assert isinstance(refused, list) and any("both from Acme" in problem for problem in refused)
    # m1 and m2 are both from Acme: always a valid swap
    swapped = adjust_swap(plan, "m1", "m2")
    assert isinstance(swapped, RotationPlan)
    assert validate_plan(swapped, people, 2) == []
    for old, new in zip(plan.meetings(), sorted(swapped.meetings(), key=lambda m: (m.round, m.mentee_ids)),
                        strict=False):
        assert old.round == new.round
    assert {m.mentee_ids for m in plan.meetings_for("m1")} == {m.mentee_ids for m in swapped.meetings_for("m2")}
    assert "The lead swapped m1 and m2 from round 1." in swapped.notes
    assert adjust_swap(plan, "m1", "e1") == [
        "m1 is a mentor and e1 is a mentee: only two mentors or two mentees can swap places"
    ]
    assert adjust_swap(plan, "m1", "nobody") == ["nobody is not at this event"]


def test_swap_with_someone_sitting_out_moves_the_reason() -> None:
    people = [mentor("m1", "Acme"), mentor("m2", "Globex"), mentor("m3", "Globex"), mentee("e1", "Initech")]
    plan = plan_rotation(people, 1)
    [meeting] = plan.meetings()
    assert meeting.is_trio
    sitting = plan.unplaced[0].person_id
    seated = meeting.mentor_ids[0]
    swapped = adjust_swap(plan, sitting, seated)
    assert isinstance(swapped, RotationPlan)
    assert validate_plan(swapped, people, 1) == []
    entry = swapped.unplaced_for(seated)
    assert entry is not None and "programme lead adjusted the plan" in entry.reason
    assert swapped.unplaced_for(sitting) is None


def test_swap_from_a_later_round_keeps_earlier_rounds() -> None:
    people = [mentor(f"m{i}", "Acme") for i in range(4)] + [mentee(f"e{i}", "Globex") for i in range(4)]
    plan = plan_rotation(people, 4)
    swapped = adjust_swap(plan, "e0", "e1", from_round=3)
    if isinstance(swapped, list):  # e0/e1 could have met the same mentors in rounds 1-2
        assert any("meet more than once" in problem for problem in swapped)
    else:
        assert swapped.meetings_in_round(1) == plan.meetings_in_round(1)
        assert validate_plan(swapped, people, 4) == []


def test_validate_plan_reports_every_kind_of_violation() -> None:
    people = [mentor("m1", "Acme"), mentor("m2", "Globex"), mentee("e1", "Acme"), mentee("e2", "Initech"),
              mentee("e3", "Umbrella")]
    meetings = (
        Meeting(1, ("m1",), ("e1",)),            # own organisation
        Meeting(1, ("m2",), ("e2",)),
        Meeting(2, ("m2",), ("e2",)),            # repeated meeting
        Meeting(2, ("m1",), ("e2", "ghost")),    # unknown person, e2 double booked in round 2
        Meeting(3, ("e3",), ("m1",)),            # roles swapped, round out of range
    )
    plan = RotationPlan(
        rounds=2, attendees=tuple(people),
        groups=(Group(1, (1, 2, 3), ("m1", "m2"), ("e1", "e2"), meetings),),
        unplaced=(), notes=(), keep_apart=frozenset({frozenset(("m2", "e2"))}),
    )
    problems = " | ".join(validate_plan(plan, people, 2))
    assert "both from Acme" in problems
    assert "m2 and e2 meet more than once" in problems
    assert "ghost is not at this event" in problems
    assert "e2 is in 2 meetings at once" in problems
    assert "e3 is a mentee, not a mentor" in problems
    assert "rounds 1 to 2 only" in problems
    assert "to be kept apart" in problems
    assert "e3 has no meeting in rounds 1 and 2 and is not told why" in problems


def test_keep_apart_is_respected_for_pairs_and_trios() -> None:
    people = [mentor("m1", "Acme"), mentor("m2", "Acme"), mentor("m3", "Initech"),
              mentee("e1", "Globex"), mentee("e2", "Globex")]
    apart = frozenset({frozenset(("m1", "e1")), frozenset(("m3", "m2"))})
    plan = plan_rotation(people, 2, keep_apart=apart)
    assert validate_plan(plan, people, 2) == []
    assert independent_problems(plan, people, 2, keep_apart=apart) == []
    assert all(not ({"m1", "e1"} <= set(m.people)) for m in plan.meetings())
    assert any("keep-apart" in note for note in plan.notes)


def test_balanced_multi_organisation_event_uses_groups_of_two_pairs() -> None:
    people = [mentor(f"m{i}", f"Junior{i % 4}") for i in range(20)]
    people += [mentee(f"e{i}", f"Senior{i % 4}") for i in range(20)]
    plan = plan_rotation(people, 4, seed=3)
    assert validate_plan(plan, people, 4) == []
    assert plan.unplaced == ()
    assert len(plan.groups) == 20  # ten groups of 2 + 2 in each block of two rounds
    assert all(len(g.mentor_ids) == 2 and len(g.mentee_ids) == 2 and len(g.rounds) == 2 for g in plan.groups)
    assert "Groups change after round 2 so that nobody meets the same person twice." in plan.notes


def test_six_rounds_never_repeat_a_meeting() -> None:
    people = [mentor(f"m{i}", f"Org{i % 5}") for i in range(15)] + [mentee(f"e{i}", f"Org{i % 5}") for i in range(15)]
    plan = plan_rotation(people, 6, seed=1)
    assert validate_plan(plan, people, 6) == []
    assert independent_problems(plan, people, 6) == []
    assert plan.unplaced == ()


def test_odd_rounds_and_summary_text() -> None:
    people = [mentor("m1", "Acme"), mentor("m2", "Acme"), mentee("e1", "Globex"), mentee("e2", "Globex"),
              mentee("e3", "Initech")]
    plan = plan_rotation(people, 3)
    assert validate_plan(plan, people, 3) == []
    text = plan.summary({"m1": "Ada"})
    assert text.startswith("Speed mentoring rotation: three rounds, two mentors, three mentees")
    assert "Ada (Acme)" in text and "Round 3:" in text
    assert "Round 3 is a single round" in text
    for entry in plan.unplaced:
        assert entry.reason in text


def test_same_seed_same_plan_and_mentors_stay_mentors() -> None:
    people = [mentor(f"m{i}", f"Org{i % 3}") for i in range(9)] + [mentee(f"e{i}", f"Org{i % 4}") for i in range(11)]
    first, second = plan_rotation(people, 3, seed=5), plan_rotation(people, 3, seed=5)
    assert first == second
    for meeting in first.meetings():
        assert all(pid.startswith("m") for pid in meeting.mentor_ids)
        assert all(pid.startswith("e") for pid in meeting.mentee_ids)


def test_replan_with_previous_plan_keeps_meetings_that_still_work() -> None:
    people = [mentor(f"m{i}", f"Org{i % 3}") for i in range(10)]
    people += [mentee(f"e{i}", f"Org{i % 4 + 3}") for i in range(10)]
    plan = plan_rotation(people, 2, seed=2)
    fewer = [a for a in people if a.person_id != "m0"]
    again = plan_rotation(fewer, 2, seed=99, previous=plan)
    kept = {m.core for m in again.meetings()}
    unaffected = [m for m in plan.meetings() if "m0" not in m.people]
    assert sum(m.core in kept for m in unaffected) >= len(unaffected) - 2


def test_bad_input_is_rejected() -> None:
    people = [mentor("m1", "Acme"), mentee("e1", "Globex")]
    with pytest.raises(ValueError, match="rounds"):
        plan_rotation(people, 0)
    with pytest.raises(ValueError, match="rounds"):
        plan_rotation(people, 7)
    with pytest.raises(ValueError, match="duplicate"):
        plan_rotation([*people, mentor("m1", "Acme")], 2)
    with pytest.raises(ValueError, match="role"):
        Attendee("x", "boss", "Acme")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="from_round"):
        replan_after_dropouts(plan_rotation(people, 2), people, [], 2, 3)
    with pytest.raises(ValueError, match="unknown"):
        replan_after_dropouts(plan_rotation(people, 2), people, ["nobody"], 2, 2)


def test_unplaced_message_for_the_person() -> None:
    assert Unplaced("p", (1, 2), "Reason.", partial=False).message() == (
        "We could not find you a seat at this event. Reason."
    )
    assert Unplaced("p", (3,), "Reason.", partial=True).message() == "You sit out round 3. Reason."


def test_two_hundred_people_four_rounds_is_fast() -> None:
    rng = np.random.default_rng(0)
    orgs = [f"Org{i}" for i in range(6)]
    people = [Attendee(f"p{i}", "mentor" if rng.random() < 0.45 else "mentee",
                       str(rng.choice(orgs, p=[0.35, 0.25, 0.15, 0.1, 0.1, 0.05]))) for i in range(200)]
    plan_rotation(people, 4)  # warm up imports and caches
    started = time.perf_counter()
    plan = plan_rotation(people, 4, seed=1)
    assert time.perf_counter() - started < 1.0
    assert validate_plan(plan, people, 4) == []


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------


@st.composite
def events(draw: st.DrawFn) -> tuple[list[Attendee], int, int, frozenset[frozenset[str]]]:
    n_orgs = draw(st.integers(2, 8))
    weights = draw(st.lists(st.integers(1, 20), min_size=n_orgs, max_size=n_orgs))
    size = draw(st.one_of(st.integers(1, 30), st.integers(30, 200), st.just(200)))
    mentor_share = draw(st.integers(15, 85)) / 100
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    probabilities = np.array(weights, dtype=float) / sum(weights)
    people = [
        Attendee(f"p{k}", "mentor" if rng.random() < mentor_share else "mentee",
                 f"Org{int(rng.choice(n_orgs, p=probabilities))}")
        for k in range(size)
    ]
    rounds = draw(st.integers(2, 4))
    n_apart = draw(st.integers(0, min(5, size // 2)))
    ids = [a.person_id for a in people]
    apart = frozenset(frozenset(rng.choice(ids, size=2, replace=False).tolist()) for _ in range(n_apart))
    return people, rounds, seed, apart


@settings(max_examples=150, deadline=None)
@given(events())
def test_property_plans_are_sound(event: tuple[list[Attendee], int, int, frozenset[frozenset[str]]]) -> None:
    people, rounds, seed, apart = event
    plan = plan_rotation(people, rounds, seed=seed, keep_apart=apart)
    assert validate_plan(plan, people, rounds) == []
    assert independent_problems(plan, people, rounds, keep_apart=apart) == []
    check_rounds_are_maximum(plan, people, {})
    for entry in plan.unplaced:
        assert entry.reason.endswith(".") and entry.person_id not in entry.reason


@settings(max_examples=80, deadline=None)
@given(events(), st.data())
def test_property_replan_after_dropouts_is_sound(
    event: tuple[list[Attendee], int, int, frozenset[frozenset[str]]], data: st.DataObject
) -> None:
    people, rounds, seed, apart = event
    plan = plan_rotation(people, rounds, seed=seed, keep_apart=apart)
    from_round = data.draw(st.integers(1, rounds))
    ids = [a.person_id for a in people]
    dropped = data.draw(st.lists(st.sampled_from(ids), max_size=min(10, len(ids)), unique=True))
    new = replan_after_dropouts(plan, people, dropped, rounds, from_round)
    departures = dict.fromkeys(dropped, from_round)
    assert validate_plan(new, people, rounds) == []
    assert independent_problems(new, people, rounds, departures=departures, keep_apart=apart) == []
    assert [m for m in new.meetings() if m.round < from_round] == [m for m in plan.meetings() if m.round < from_round]
    check_rounds_are_maximum(new, people, departures, from_round=from_round)


@settings(max_examples=80, deadline=None)
@given(events(), st.data())
def test_property_swaps_are_valid_or_refused(
    event: tuple[list[Attendee], int, int, frozenset[frozenset[str]]], data: st.DataObject
) -> None:
    people, rounds, seed, apart = event
    plan = plan_rotation(people, rounds, seed=seed, keep_apart=apart)
    a = data.draw(st.sampled_from(people))
    same_role = [p for p in people if p.role == a.role and p.person_id != a.person_id]
    if not same_role:
        return
    b = data.draw(st.sampled_from(same_role))
    result = adjust_swap(plan, a.person_id, b.person_id, from_round=data.draw(st.integers(1, rounds)))
    if isinstance(result, list):
        assert result
    else:
        assert independent_problems(result, people, rounds, keep_apart=apart) == []


def brute_force_matching_size(n: int, edges: set[tuple[int, int]]) -> int:
    best = 0
    edge_list = sorted(edges)
    for k in range(n // 2, 0, -1):
        for chosen in itertools.combinations(edge_list, k):
            ends = [v for e in chosen for v in e]
            if len(set(ends)) == len(ends):
                return k
    return best


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 9).flatmap(
    lambda n: st.tuples(st.just(n), st.sets(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=20))
))
def test_blossom_matching_is_maximum(graph: tuple[int, set[tuple[int, int]]]) -> None:
    n, raw = graph
    edges = {(min(a, b), max(a, b)) for a, b in raw if a != b}
    adjacency: list[list[int]] = [[] for _ in range(n)]
    for a, b in edges:
        adjacency[a].append(b)
        adjacency[b].append(a)
    mate = maximum_matching(adjacency)
    for v, u in enumerate(mate):
        if u >= 0:
            assert mate[u] == v and (min(u, v), max(u, v)) in edges
    assert sum(1 for u in mate if u >= 0) // 2 == brute_force_matching_size(n, edges)
