"""Tests for the matching engine (mentor = junior colleague, mentee = senior leader)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.matching.service import (
    RULE_CODES,
    Candidate,
    MatchingContext,
    MatchingRules,
    MatchProposal,
    ReportingLines,
    ScoreWeights,
    build_problem,
    check_pair,
    find_violations,
    propose_matches,
    score_pair,
    solve_assignment,
    weekly_overlap_minutes,
)

WINTER_WEEK = date(2025, 1, 6)


def mentor(person_id: str, organisation: str = "Acme", department: str = "Engineering", **extra: object) -> Candidate:
    return Candidate(person_id, "mentor", organisation, department, **extra)  # type: ignore[arg-type]


def mentee(person_id: str, organisation: str = "Globex", department: str = "Finance", **extra: object) -> Candidate:
    return Candidate(person_id, "mentee", organisation, department, **extra)  # type: ignore[arg-type]


def pair_ids(proposal: MatchProposal) -> set[tuple[str, str]]:
    return {(pair.mentor_id, pair.mentee_id) for pair in proposal.pairs}


def unmatched_reasons(proposal: MatchProposal) -> dict[str, str]:
    return {person.person_id: person.reason for person in proposal.unmatched}


# ---------------------------------------------------------------------------------------------
# Hard rules, example by example
# ---------------------------------------------------------------------------------------------


def test_a_manager_and_her_report_are_never_paired() -> None:
    ana = mentee("ana", "Acme", "Finance")
    ben = mentor("ben", "Acme", "Operations", manager_id="ana")
    proposal = propose_matches([ana, ben], MatchingRules(), display_names={"ana": "Ana", "ben": "Ben"})
    assert proposal.pairs == []
    assert "reporting line" in unmatched_reasons(proposal)["ben"]
    context = MatchingContext.build([ana, ben], MatchingRules(), display_names={"ana": "Ana", "ben": "Ben"})
    assert check_pair(ben, ana, context) == ["Ana is Ben's manager"]


def test_a_mentor_who_manages_the_mentee_is_excluded_too() -> None:
    # Unusual, but the rule runs both ways.
    lead = mentor("lead", "Acme", "Operations")
    report = mentee("report", "Acme", "Finance", manager_id="lead")
    context = MatchingContext.build([lead, report], MatchingRules())
    assert check_pair(lead, report, context) == ["lead is report's manager"]
    assert propose_matches([lead, report], MatchingRules()).pairs == []


def test_skip_level_and_indirect_managers_count_even_when_not_enrolled() -> None:
    vp = mentee("vp", "Acme", "Strategy")
    junior = mentor("junior", "Acme", "Operations", manager_id="team-lead")  # team-lead is not enrolled
    managers = {"team-lead": "director", "director": "vp"}
    context = MatchingContext.build([vp, junior], MatchingRules(), managers=managers)
    assert check_pair(junior, vp, context) == ["vp is junior's indirect manager (3 levels up)"]
    skip = mentee("skip", "Acme", "Strategy")
    context = MatchingContext.build([skip, junior], MatchingRules(), managers={"team-lead": "skip"})
    assert check_pair(junior, skip, context) == ["skip is junior's skip-level manager"]
    assert propose_matches([vp, junior], MatchingRules(), managers=managers).pairs == []


def test_cycles_in_manager_data_do_not_hang() -> None:
    lines = ReportingLines({"a": "b", "b": "c", "c": "a", "d": "d"})
    assert dict(lines.managers_above("a")) == {"b": 1, "c": 2}
    assert dict(lines.managers_above("d")) == {}
    a = mentor("a", "Acme", "X", manager_id="b")
    c = mentee("c", "Acme", "Y", manager_id="a")
    proposal = propose_matches([a, c], MatchingRules(), managers={"b": "c"})
    assert proposal.pairs == []


def test_same_department_is_excluded_but_other_departments_are_fine() -> None:
    sam = mentee("sam", "Acme", "Finance")
    same = mentor("same", "Acme", " finance ")  # spelling and case do not matter
    other = mentor("other", "Acme", "Operations")
    proposal = propose_matches([sam, same, other], MatchingRules())
    assert pair_ids(proposal) == {("other", "sam")}
    context = MatchingContext.build([sam, same], MatchingRules())
    assert check_pair(same, sam, context) == ["Both are in Finance at Acme"]


def test_same_organisation_is_excluded_only_in_cross_organisation_programmes() -> None:
    sam = mentee("sam", "Acme", "Finance")
    colleague = mentor("colleague", "Acme", "Operations")
    assert pair_ids(propose_matches([sam, colleague], MatchingRules(cross_organisation=False))) == {
        ("colleague", "sam")
    }
    proposal = propose_matches([sam, colleague], MatchingRules(cross_organisation=True))
    assert proposal.pairs == []
    assert "same organisation" in unmatched_reasons(proposal)["sam"]


def test_previous_pairs_from_any_programme_are_excluded() -> None:
    sam, alex, bo = mentee("sam"), mentor("alex"), mentor("bo")
    rules = MatchingRules(previous_pairs=frozenset({frozenset({"sam", "alex"})}))
    assert pair_ids(propose_matches([sam, alex, bo], rules)) == {("bo", "sam")}


@pytest.mark.parametrize("who_asked", ["mentor", "mentee"])
def test_private_do_not_pair_requests_are_respected_and_not_disclosed(who_asked: str) -> None:
    if who_asked == "mentor":
        sam, alex = mentee("sam"), mentor("alex", do_not_pair_with=frozenset({"sam"}))
    else:
        sam, alex = mentee("sam", do_not_pair_with=frozenset({"alex"})), mentor("alex")
    proposal = propose_matches([sam, alex], MatchingRules())
    assert proposal.pairs == []
    context = MatchingContext.build([sam, alex], MatchingRules())
    assert check_pair(alex, sam, context) == ["One of them asked privately not to be paired with the other"]
    for person in proposal.unmatched:
        assert "private request" in person.reason


def test_lead_forbidden_pairs_are_excluded() -> None:
    sam, alex, bo = mentee("sam"), mentor("alex", topics_share=frozenset({"race"})), mentor("bo")
    sam = mentee("sam", topics_learn=frozenset({"race"}))
    rules = MatchingRules(forbidden=frozenset({("alex", "sam")}))
    assert pair_ids(propose_matches([sam, alex, bo], rules)) == {("bo", "sam")}


# ---------------------------------------------------------------------------------------------
# Pins and conflicts
# ---------------------------------------------------------------------------------------------


def test_pinned_pairs_are_made_even_when_the_score_is_lower() -> None:
    sam = mentee("sam", topics_learn=frozenset({"race"}))
    expert = mentor("expert", topics_share=frozenset({"race"}))
    other = mentor("other")
    pinned = MatchingRules(pinned=frozenset({("other", "sam")}))
    assert pair_ids(propose_matches([sam, expert, other], MatchingRules())) == {("expert", "sam")}
    proposal = propose_matches([sam, expert, other], pinned)
    assert pair_ids(proposal) == {("other", "sam")}
    (pair,) = proposal.pairs
    assert pair.pinned and pair.reasons[0] == "Pinned by the programme lead"
    assert proposal.conflicts == []


def test_a_pin_that_breaks_a_rule_is_a_conflict_and_both_people_go_back_to_the_pool() -> None:
    boss = mentee("boss", "Acme", "Finance")
    report = mentor("report", "Acme", "Operations", manager_id="boss")
    outsider = mentor("outsider", "Globex", "Legal")
    other_mentee = mentee("other", "Initech", "Legal")
    rules = MatchingRules(pinned=frozenset({("report", "boss")}))
    proposal = propose_matches([boss, report, outsider, other_mentee], rules)
    assert len(proposal.conflicts) == 1
    conflict = proposal.conflicts[0]
    assert (conflict.mentor_id, conflict.mentee_id) == ("report", "boss")
    assert conflict.problems == ["boss is report's manager"]
    assert pair_ids(proposal) == {("outsider", "boss"), ("report", "other")}


def test_pins_with_unknown_people_wrong_roles_or_double_bookings_are_conflicts() -> None:
    a, b = mentor("a"), mentor("b")
    x, y = mentee("x"), mentee("y")
    rules = MatchingRules(pinned=frozenset({("a", "x"), ("a", "y"), ("ghost", "x"), ("b", "a")}))
    proposal = propose_matches([a, b, x, y], rules)
    assert not any(pair.pinned for pair in proposal.pairs)
    problems = {(c.mentor_id, c.mentee_id): " ".join(c.problems) for c in proposal.conflicts}
    assert "pinned to more than one partner" in problems[("a", "x")]
    assert "ghost is not enrolled" in problems[("ghost", "x")]
    assert "a is enrolled as a mentor, not a mentee" in problems[("b", "a")]
    assert len(proposal.pairs) == 2  # everyone still gets a partner


# ---------------------------------------------------------------------------------------------
# Reasons
# ---------------------------------------------------------------------------------------------


def test_reasons_explain_topics_organisations_functions_and_hours() -> None:
    sam = mentee(
        "sam", "Acme", "Finance", topics_learn=frozenset({"gender", "disability", "class"}), tz="Europe/London"
    )
    alex = mentor(
        "alex",
        "Globex",
        "Engineering",
        topics_share=frozenset({"Gender", "disability", "faith"}),
        tz="America/New_York",
    )
    proposal = propose_matches(
        [sam, alex],
        MatchingRules(cross_organisation=True),
        display_names={"sam": "Sam", "alex": "Alex"},
        reference_week=WINTER_WEEK,
    )
    (pair,) = proposal.pairs
    assert pair.reasons == [
        "Alex can speak to 2 of the 3 topics Sam wants to learn about: disability, gender",
        "Different organisations: Globex and Acme",
        "Different functions: Engineering and Finance",
        "15 working hours overlap each week",
    ]
    weights = ScoreWeights()
    assert (
        pair.score == 2 * weights.per_shared_topic + weights.different_organisation + weights.different_function + 7
    )  # 15 hours -> 7 points (1 per 2 full hours)


def test_reasons_for_no_topics_and_no_overlap() -> None:
    sam = mentee("sam", "Acme", "Finance", tz="Europe/London", topics_learn=frozenset({"race"}))
    alex = mentor("alex", "Acme", "Engineering", tz="Australia/Sydney")
    scored = score_pair(alex, sam, MatchingContext.build([sam, alex], MatchingRules()))
    assert scored.reasons == [
        "alex has none of the topics sam wants to learn about",
        "Same organisation: Acme",
        "Different functions: Engineering and Finance",
        "Working hours do not overlap: sessions will need some flexibility",
    ]
    assert scored.score == ScoreWeights().different_function


def test_unmatched_people_get_plain_reasons() -> None:
    mentors = [mentor(f"m{i}", "Globex", f"D{i}") for i in range(6)]
    mentees = [mentee(f"e{i}", "Acme", f"D{i}") for i in range(5)]
    proposal = propose_matches([*mentors, *mentees], MatchingRules())
    assert len(proposal.pairs) == 5
    (person,) = proposal.unmatched
    assert person.role == "mentor"
    assert person.reason == "No mentee left: 6 mentors and 5 mentees"


def test_unmatched_reason_lists_what_rules_out_each_possible_partner() -> None:
    sam = mentee("sam", "Acme", "Finance")
    colleague = mentor("colleague", "Acme", "Finance")
    report = mentor("report", "Acme", "Legal", manager_id="sam")
    before = mentor("before", "Acme", "Legal")
    other_org = mentor("other-org", "Globex", "Legal")
    rules = MatchingRules(
        cross_organisation=False,
        previous_pairs=frozenset({frozenset({"before", "sam"})}),
        forbidden=frozenset({("other-org", "sam")}),
    )
    proposal = propose_matches([sam, colleague, report, before, other_org], rules, display_names={"sam": "Sam"})
    assert proposal.pairs == []
    assert unmatched_reasons(proposal)["sam"] == (
        "No possible mentor for Sam among 4 mentors: 1 is in the same department, "
        "1 is in Sam's reporting line, 1 was paired with Sam before and 1 is ruled out by the programme lead"
    )
    assert unmatched_reasons(proposal)["colleague"] == (
        "No possible mentee for colleague among 1 mentee: 1 is in the same department"
    )


def test_unmatched_reason_when_possible_partners_are_taken() -> None:
    # Both mentors can only be paired with "x"; "y" has no possible mentor.
    a = mentor("a", "Acme", "Finance")
    b = mentor("b", "Acme", "Finance")
    x = mentee("x", "Globex", "Legal")
    y = mentee("y", "Acme", "Finance")
    proposal = propose_matches([a, b, x, y], MatchingRules())
    assert len(proposal.pairs) == 1
    reasons = unmatched_reasons(proposal)
    loser = "b" if ("a", "x") in pair_ids(proposal) else "a"
    assert reasons[loser] == (
        f"The only mentee who could be paired with {loser} (x) is in other pairs, "
        "and moving them would leave someone else without a partner"
    )
    assert reasons["y"].startswith("No possible mentor for y among 2 mentors: 2 are in the same department")


def test_a_single_organisation_in_a_cross_organisation_programme_is_explained_quickly() -> None:
    people = [mentor(f"m{i}", "Acme", f"D{i % 7}") for i in range(300)]
    people += [mentee(f"e{i}", "Acme", f"D{i % 5}") for i in range(300)]
    proposal = propose_matches(people, MatchingRules(cross_organisation=True))
    assert proposal.pairs == [] and len(proposal.unmatched) == 600
    assert unmatched_reasons(proposal)["e0"] == (
        "No possible mentor for e0 among 300 mentors: 300 are at the same organisation"
    )


def test_nobody_enrolled_on_the_other_side() -> None:
    proposal = propose_matches([mentor("a")], MatchingRules())
    assert proposal.unmatched[0].reason == "No mentees are enrolled yet"


def test_duplicate_enrolment_is_rejected() -> None:
    with pytest.raises(ValueError, match="more than once"):
        propose_matches([mentor("a"), mentee("a")], MatchingRules())


# ---------------------------------------------------------------------------------------------
# The solver prefers more pairs over a higher score
# ---------------------------------------------------------------------------------------------


def test_more_pairs_beat_a_higher_score() -> None:
    # Greedy would take alex-sam (score 40+) and leave bo and kim unmatched.
    topics = frozenset({"a", "b", "c", "d"})
    sam = mentee("sam", topics_learn=topics)
    kim = mentee("kim")
    alex = mentor("alex", topics_share=topics)
    bo = mentor("bo")
    rules = MatchingRules(forbidden=frozenset({("bo", "kim"), ("alex", "kim")}))
    assert pair_ids(propose_matches([sam, kim, alex, bo], rules)) == {("alex", "sam")}
    rules = MatchingRules(forbidden=frozenset({("bo", "kim")}))
    assert pair_ids(propose_matches([sam, kim, alex, bo], rules)) == {("alex", "kim"), ("bo", "sam")}


def test_solver_never_returns_a_forbidden_cell() -> None:
    scores = np.array([[100, 5], [90, 0]], dtype=np.int32)
    allowed = np.array([[True, False], [False, False]])
    assert solve_assignment(scores, allowed) == [(0, 0)]
    assert solve_assignment(scores, np.zeros((2, 2), dtype=bool)) == []
    assert solve_assignment(np.zeros((0, 3), dtype=np.int32), np.zeros((0, 3), dtype=bool)) == []


def brute_force_best(scores: np.ndarray, allowed: np.ndarray) -> tuple[int, int]:
    """(largest number of pairs, highest total score among matchings of that size)."""
    n_rows, n_cols = allowed.shape
    best = (0, 0)

    def walk(row: int, used: frozenset[int], size: int, total: int) -> None:
        nonlocal best
        if row == n_rows:
            best = max(best, (size, total))
            return
        walk(row + 1, used, size, total)
        for col in range(n_cols):
            if col not in used and allowed[row, col]:
                walk(row + 1, used | {col}, size + 1, total + int(scores[row, col]))

    walk(0, frozenset(), 0, 0)
    return best


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_solver_is_optimal_on_random_matrices(data: st.DataObject) -> None:
    n_rows = data.draw(st.integers(0, 6))
    n_cols = data.draw(st.integers(0, 6))
    cells = n_rows * n_cols
    scores = np.array(
        data.draw(st.lists(st.integers(0, 1000), min_size=cells, max_size=cells)), dtype=np.int32
    ).reshape(n_rows, n_cols)
    allowed = np.array(data.draw(st.lists(st.booleans(), min_size=cells, max_size=cells)), dtype=bool).reshape(
        n_rows, n_cols
    )
    chosen = solve_assignment(scores, allowed)
    assert len({row for row, _ in chosen}) == len(chosen) == len({col for _, col in chosen})
    assert all(allowed[row, col] for row, col in chosen)
    assert (len(chosen), sum(int(scores[r, c]) for r, c in chosen)) == brute_force_best(scores, allowed)


# ---------------------------------------------------------------------------------------------
# Working hours across time zones
# ---------------------------------------------------------------------------------------------


def test_weekly_overlap_examples() -> None:
    london = mentor("l", tz="Europe/London")
    new_york = mentee("n", tz="America/New_York")
    sydney = mentee("s", tz="Australia/Sydney")
    assert weekly_overlap_minutes(london, new_york, WINTER_WEEK) == 15 * 60
    assert weekly_overlap_minutes(london, mentee("l2", tz="Europe/London"), WINTER_WEEK) == 40 * 60
    assert weekly_overlap_minutes(london, sydney, WINTER_WEEK) == 0
    # The US moved its clocks on 9 March 2025, the UK only on 30 March: 4 hours a day that week.
    assert weekly_overlap_minutes(london, new_york, date(2025, 3, 12)) == 20 * 60


def test_overlap_wraps_around_the_week() -> None:
    # Monday 09:00-17:00 in Auckland (UTC+13) is Sunday 20:00 to Monday 04:00 UTC;
    # Sunday 09:00-17:00 in Honolulu (UTC-10) is Sunday 19:00 to Monday 03:00 UTC.
    auckland = mentor("a", tz="Pacific/Auckland", work_days=frozenset({0}))
    honolulu = mentee("h", tz="Pacific/Honolulu", work_days=frozenset({6}))
    assert weekly_overlap_minutes(auckland, honolulu, WINTER_WEEK) == 7 * 60


def test_night_shifts_run_past_midnight() -> None:
    night = mentor("n", tz="UTC", work_start=time(22), work_end=time(6), work_days=frozenset({0}))
    early = mentee("e", tz="UTC", work_start=time(5), work_end=time(13), work_days=frozenset({1}))
    assert weekly_overlap_minutes(night, early, WINTER_WEEK) == 60


def minute_set(person: Candidate, week: date) -> set[int]:
    """Independent overlap model: enumerate every working minute, in UTC, modulo one week."""
    monday = week - timedelta(days=week.weekday())
    origin = datetime.combine(monday, time(0), tzinfo=UTC)
    zone = ZoneInfo(person.tz)
    minutes: set[int] = set()
    for offset in range(7):
        day = monday + timedelta(days=offset)
        if day.weekday() not in person.work_days:
            continue
        start = datetime.combine(day, person.work_start, tzinfo=zone)
        end_day = day if person.work_end > person.work_start else day + timedelta(days=1)
        end = datetime.combine(end_day, person.work_end, tzinfo=zone)
        first = int((start - origin).total_seconds()) // 60
        last = int((end - origin).total_seconds()) // 60
        minutes.update(minute % (7 * 24 * 60) for minute in range(first, last))
    return minutes


TIME_ZONES = [
    "UTC",
    "Europe/London",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Sydney",
    "Pacific/Auckland",
    "America/Los_Angeles",
    "Asia/Kathmandu",
]
HOURS = [
    (time(9), time(17)),
    (time(8, 30), time(16, 30)),
    (time(10), time(18)),
    (time(22), time(6)),
    (time(7, 15), time(12, 45)),
]
WEEKS = [date(2025, 1, 6), date(2025, 3, 12), date(2025, 10, 29), date(2025, 4, 6)]


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(TIME_ZONES),
    st.sampled_from(TIME_ZONES),
    st.sampled_from(HOURS),
    st.sampled_from(HOURS),
    st.frozensets(st.integers(0, 6)),
    st.frozensets(st.integers(0, 6)),
    st.sampled_from(WEEKS),
)
def test_overlap_matches_a_minute_by_minute_count(
    tz_a: str,
    tz_b: str,
    hours_a: tuple[time, time],
    hours_b: tuple[time, time],
    days_a: frozenset[int],
    days_b: frozenset[int],
    week: date,
) -> None:
    a = mentor("a", tz=tz_a, work_start=hours_a[0], work_end=hours_a[1], work_days=days_a)
    b = mentee("b", tz=tz_b, work_start=hours_b[0], work_end=hours_b[1], work_days=days_b)
    expected = len(minute_set(a, week) & minute_set(b, week))
    assert weekly_overlap_minutes(a, b, week) == expected
    context = MatchingContext.build([a, b], MatchingRules(), reference_week=week)
    weights = ScoreWeights()
    expected_score = (
        weights.different_organisation
        + weights.different_function
        + min(weights.max_overlap_points, expected // weights.minutes_per_overlap_point)
    )
    assert build_problem([a], [b], context).scores[0, 0] == expected_score
    assert score_pair(a, b, context).score == expected_score


# ---------------------------------------------------------------------------------------------
# Property tests on random programmes
# ---------------------------------------------------------------------------------------------

ORGANISATIONS = ["acme", "globex", "initech"]
DEPARTMENTS = ["finance", "legal", "ops"]
TOPICS = ["race", "gender", "disability", "class", "faith"]
OUTSIDERS = ["ceo", "director"]  # managers who are not enrolled


def independent_chain(person_id: str, managers: Mapping[str, str | None]) -> set[str]:
    above: set[str] = set()
    current = managers.get(person_id)
    while current is not None and current not in above and current != person_id:
        above.add(current)
        current = managers.get(current)
    return above


def independently_allowed(m: Candidate, e: Candidate, rules: MatchingRules, managers: Mapping[str, str | None]) -> bool:
    """A deliberately simple re-statement of the hard rules, independent of the module."""
    if m.role != "mentor" or e.role != "mentee":
        return False
    if rules.cross_organisation and m.organisation == e.organisation:
        return False
    if m.organisation == e.organisation and m.department == e.department:
        return False
    if m.person_id in independent_chain(e.person_id, managers):
        return False
    if e.person_id in independent_chain(m.person_id, managers):
        return False
    if {m.person_id, e.person_id} in [set(p) for p in rules.previous_pairs]:
        return False
    if e.person_id in m.do_not_pair_with or m.person_id in e.do_not_pair_with:
        return False
    return (m.person_id, e.person_id) not in rules.forbidden


@st.composite
def programmes(draw: st.DrawFn) -> tuple[list[Candidate], MatchingRules, dict[str, str | None]]:
    n_mentors = draw(st.integers(0, 6))
    n_mentees = draw(st.integers(0, 6))
    ids = [f"m{i}" for i in range(n_mentors)] + [f"e{i}" for i in range(n_mentees)]
    everyone = ids + OUTSIDERS
    candidates = []
    for person_id in ids:
        candidates.append(
            Candidate(
                person_id=person_id,
                role="mentor" if person_id.startswith("m") else "mentee",
                organisation=draw(st.sampled_from(ORGANISATIONS)),
                department=draw(st.sampled_from(DEPARTMENTS)),
                manager_id=draw(st.none() | st.sampled_from(everyone)),  # cycles and self-links allowed
                topics_share=draw(st.frozensets(st.sampled_from(TOPICS))),
                topics_learn=draw(st.frozensets(st.sampled_from(TOPICS))),
                tz=draw(st.sampled_from(TIME_ZONES[:5])),
                work_start=(hours := draw(st.sampled_from(HOURS)))[0],
                work_end=hours[1],
                work_days=draw(st.sampled_from([frozenset(range(5)), frozenset({0, 1, 2}), frozenset(range(7))])),
                do_not_pair_with=draw(st.frozensets(st.sampled_from(ids), max_size=2)) if ids else frozenset(),
            )
        )
    mentor_ids = [c.person_id for c in candidates if c.role == "mentor"]
    mentee_ids = [c.person_id for c in candidates if c.role == "mentee"]
    cross = draw(st.sampled_from(everyone)) if everyone else "ceo"
    managers: dict[str, str | None] = {"director": draw(st.sampled_from(["ceo", cross])), "ceo": None}
    possible_pairs = [(m, e) for m in mentor_ids for e in mentee_ids]
    if possible_pairs:
        previous = draw(st.frozensets(st.sampled_from(possible_pairs), max_size=4))
        forbidden = draw(st.frozensets(st.sampled_from(possible_pairs), max_size=3))
        pinned = draw(st.frozensets(st.sampled_from(possible_pairs), max_size=2))
    else:
        previous = forbidden = pinned = frozenset()
    rules = MatchingRules(
        cross_organisation=draw(st.booleans()),
        previous_pairs=frozenset(frozenset(pair) for pair in previous),
        forbidden=forbidden,
        pinned=pinned,
    )
    return candidates, rules, managers


def merged_managers(candidates: Sequence[Candidate], managers: Mapping[str, str | None]) -> dict[str, str | None]:
    links = dict(managers)
    for candidate in candidates:
        if candidate.manager_id is not None:
            links[candidate.person_id] = candidate.manager_id
    return links


def all_matchings(allowed: Sequence[Sequence[bool]]) -> Iterator[list[tuple[int, int]]]:
    n_rows = len(allowed)
    n_cols = len(allowed[0]) if n_rows else 0
    for size in range(min(n_rows, n_cols), -1, -1):
        for rows in itertools.combinations(range(n_rows), size):
            for cols in itertools.permutations(range(n_cols), size):
                if all(allowed[r][c] for r, c in zip(rows, cols, strict=True)):
                    yield list(zip(rows, cols, strict=True))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programmes())
def test_random_programmes_never_break_a_rule_and_are_optimal(
    programme: tuple[list[Candidate], MatchingRules, dict[str, str | None]],
) -> None:
    candidates, rules, managers = programme
    proposal = propose_matches(candidates, rules, managers=managers)
    links = merged_managers(candidates, managers)
    by_id = {c.person_id: c for c in candidates}
    context = MatchingContext.build(candidates, rules, managers=managers)

    # No hard rule broken, checked independently; nobody paired twice; mentor always junior side.
    paired: list[str] = []
    for pair in proposal.pairs:
        m, e = by_id[pair.mentor_id], by_id[pair.mentee_id]
        assert independently_allowed(m, e, rules, links), (pair, check_pair(m, e, context))
        assert pair.score == score_pair(m, e, context).score
        assert pair.reasons
        paired += [pair.mentor_id, pair.mentee_id]
    assert len(paired) == len(set(paired))

    # Valid pins are made, invalid pins are reported; everyone is either paired or explained.
    pin_counts = {p: sum(p in pin for pin in rules.pinned) for pin in rules.pinned for p in pin}
    made_pins = {(p.mentor_id, p.mentee_id) for p in proposal.pairs if p.pinned}
    for pin in rules.pinned:
        valid = all(pin_counts[p] == 1 for p in pin) and independently_allowed(
            by_id[pin[0]], by_id[pin[1]], rules, links
        )
        assert (pin in made_pins) == valid
        assert (pin in {(c.mentor_id, c.mentee_id) for c in proposal.conflicts}) == (not valid)
    unmatched = {u.person_id for u in proposal.unmatched}
    assert unmatched.isdisjoint(paired)
    assert unmatched | set(paired) == set(by_id)
    assert all(u.reason for u in proposal.unmatched)

    # Maximum number of pairs, then maximum total score, by brute force over the free people.
    pinned_people = {p for pin in made_pins for p in pin}
    mentors = [c for c in candidates if c.role == "mentor" and c.person_id not in pinned_people]
    mentees = [c for c in candidates if c.role == "mentee" and c.person_id not in pinned_people]
    allowed = [[independently_allowed(m, e, rules, links) for e in mentees] for m in mentors]
    scores = [[score_pair(m, e, context).score for e in mentees] for m in mentors]
    best_size, best_total = -1, -1
    for matching in all_matchings(allowed):
        if best_size > len(matching):
            break
        best_size = len(matching)
        best_total = max(best_total, sum(scores[r][c] for r, c in matching))
    free_pairs = [p for p in proposal.pairs if not p.pinned]
    assert len(free_pairs) == max(best_size, 0)
    assert sum(p.score for p in free_pairs) == max(best_total, 0)


@settings(max_examples=150, deadline=None)
@given(programmes())
def test_matrices_agree_with_check_pair_and_score_pair(
    programme: tuple[list[Candidate], MatchingRules, dict[str, str | None]],
) -> None:
    candidates, rules, managers = programme
    context = MatchingContext.build(candidates, rules, managers=managers)
    links = merged_managers(candidates, managers)
    mentors = [c for c in candidates if c.role == "mentor"]
    mentees = [c for c in candidates if c.role == "mentee"]
    problem = build_problem(mentors, mentees, context)
    for i, m in enumerate(mentors):
        for j, e in enumerate(mentees):
            violations = find_violations(m, e, context)
            assert bool(problem.allowed[i, j]) == (not violations) == independently_allowed(m, e, rules, links)
            assert problem.first_violation[i, j] == (RULE_CODES[violations[0].rule] if violations else 0)
            assert int(problem.scores[i, j]) == score_pair(m, e, context).score
