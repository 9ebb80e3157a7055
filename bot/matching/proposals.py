"""The lead's matching workflow: propose, edit (remove, swap, pin, forbid), approve; and declining.

Wraps the pure engine in :mod:`bot.matching.service` with what the database knows: who is
waiting, who was paired before in any programme, reporting lines from every enrolment, and the
lead's pins and forbids.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from bot.clock import now
from bot.content import load_content
from bot.db import Database
from bot.errors import FieldErrors, NotAllowed, NotFound, Problem
from bot.induction import service as induction
from bot.matching import consent
from bot.models import Enrolment, MatchOffer, MatchRule, OutboxMessage, Pair, Programme, ProposedPair, WaitingNote
from bot.programmes import pauses
from bot.programmes.access import require_lead

if TYPE_CHECKING:
    from types import ModuleType

    from bot.matching.service import Candidate, MatchingContext, MatchingRules


INDUCTION_REASON = (
    "Left out: has not completed the induction for their role yet, which this programme asks for before matching."
)


def _engine() -> ModuleType:
    """The matching engine, imported when a lead first matches: numpy and scipy cost ~50 MB a process."""
    from bot.matching import service as matching

    return matching


@dataclass(frozen=True)
class LeadProfile:
    """What the programme lead may see of a person's profile (DESIGN section 4): role, organisation,
    department, title, what they bring, what they hope to get and their topics. Never the private
    parts: off-limits topics, the mentee's inclusion statement and understanding gap, or whom they
    asked not to be paired with."""

    user_id: str
    name: str
    role: str
    organisation: str = ""
    department: str = ""
    title: str = ""
    can_bring: str = ""
    hope_to_get: str = ""
    topics: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        """Title, organisation and department on one line (plain text; the blocks escape it)."""
        return ", ".join(part for part in (self.title, self.organisation, self.department) if part)


# Only these columns are read for the lead: the private ones are never loaded (nor decrypted).
LEAD_VISIBLE_COLUMNS = (
    Enrolment.user_id,
    Enrolment.real_name,
    Enrolment.role,
    Enrolment.organisation,
    Enrolment.department,
    Enrolment.title,
    Enrolment.can_bring,
    Enrolment.hope_to_get,
    Enrolment.topics,
)


def lead_profiles(session: Session, programme_id: int) -> dict[str, LeadProfile]:
    """Every enrolled person's lead-visible profile in the programme, by user id (one query)."""
    rows = session.execute(select(*LEAD_VISIBLE_COLUMNS).where(Enrolment.programme_id == programme_id)).all()
    return {
        user_id: LeadProfile(
            user_id=user_id,
            name=real_name or user_id,
            role=role,
            organisation=organisation or "",
            department=department or "",
            title=title or "",
            can_bring=can_bring or "",
            hope_to_get=hope_to_get or "",
            topics=tuple(topics or ()),
        )
        for user_id, real_name, role, organisation, department, title, can_bring, hope_to_get, topics in rows
    }


@dataclass
class ProposalRow:
    id: int
    mentor_id: str
    mentee_id: str
    mentor_name: str
    mentee_name: str
    score: float
    reasons: list[str]
    mentor: LeadProfile | None = None
    mentee: LeadProfile | None = None


@dataclass
class WaitingRow:
    user_id: str
    name: str
    role: str
    reason: str


@dataclass
class Proposal:
    programme_id: int
    programme_name: str
    pairs: list[ProposalRow] = field(default_factory=list)
    waiting: list[WaitingRow] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)

    @property
    def total_score(self) -> float:
        return sum(row.score for row in self.pairs)


@dataclass
class Approval:
    """What an approval did. Pairs are made only when each mentor accepts (:mod:`bot.matching.consent`):
    ``pairs`` stays empty and ``offers`` holds what the mentors are now asked."""

    programme: Programme
    pairs: list[Pair]
    waiting: list[Enrolment]
    offers: list[MatchOffer] = field(default_factory=list)


@dataclass
class Decline:
    programme: Programme
    partner_id: str
    lead_ids: list[str]
    decliner_name: str
    tell_partner: bool = True  # False when the partner had not yet been told of the match


def _candidate(enrolment: Enrolment) -> Candidate:
    # Topics by their words, not their ids: the reasons a lead and a mentor read name them
    # ("Social mobility", never ``social-mobility``). Labels are unique, so matching is unchanged.
    content = load_content()
    topics = frozenset(content.topic_label(topic) for topic in enrolment.topics)
    return _engine().Candidate(
        person_id=enrolment.user_id,
        role="mentor" if enrolment.role == "mentor" else "mentee",
        organisation=enrolment.organisation,
        department=enrolment.department,
        manager_id=enrolment.line_manager_id,
        topics_share=topics if enrolment.role == "mentor" else frozenset(),
        topics_learn=topics if enrolment.role == "mentee" else frozenset(),
        tz=enrolment.tz,
        work_start=enrolment.work_start,
        work_end=enrolment.work_end,
        work_days=frozenset(enrolment.work_days),
        do_not_pair_with=frozenset(json.loads(enrolment.do_not_pair_with or "[]")),
    )


def _waiting_enrolments(session: Session, programme_id: int, *, confirmed_only: bool = True) -> list[Enrolment]:
    """People waiting for a match; only those who have confirmed the privacy notice can be matched,
    and, where the programme requires it, completed the induction for their role.

    Someone in an offer still waiting for its mentor's answer is not free to be proposed again."""
    query = select(Enrolment).where(Enrolment.programme_id == programme_id, Enrolment.status == "waiting")
    if confirmed_only:
        query = query.where(Enrolment.privacy_confirmed_at.isnot(None))
    offered = consent.pending_user_ids(session, programme_id) | pauses.paused_user_ids(session, programme_id)
    waiting = [e for e in session.scalars(query.order_by(Enrolment.id)) if e.user_id not in offered]
    if confirmed_only:
        missing = _without_induction(session, programme_id, [e.user_id for e in waiting])
        waiting = [e for e in waiting if e.user_id not in missing]
    return waiting


def _without_induction(session: Session, programme_id: int, user_ids: list[str]) -> set[str]:
    """Who of ``user_ids`` has not completed the induction, when the programme requires it (else nobody)."""
    programme = session.get(Programme, programme_id)
    if programme is None or not programme.require_induction or not user_ids:
        return set()
    done = induction.completed_user_ids(session, induction.Scope.programme(programme_id), user_ids)
    return set(user_ids) - done


@dataclass
class _MatchingInputs:
    candidates: list[Candidate]
    rules: MatchingRules
    managers: dict[str, str | None]
    names: dict[str, str]

    def context(self) -> MatchingContext:
        return _engine().MatchingContext.build(
            self.candidates, self.rules, managers=self.managers, display_names=self.names
        )


def _matching_inputs(session: Session, programme: Programme, enrolments: list[Enrolment]) -> _MatchingInputs:
    user_ids = [e.user_id for e in enrolments]
    previous = session.execute(
        select(Pair.mentor_user_id, Pair.mentee_user_id).where(
            or_(Pair.mentor_user_id.in_(user_ids), Pair.mentee_user_id.in_(user_ids))
        )
    ).all()
    rules = session.scalars(select(MatchRule).where(MatchRule.programme_id == programme.id)).all()
    # Reporting lines from every enrolment in every programme: a skip-level manager may be elsewhere.
    managers: dict[str, str | None] = {
        user: manager
        for user, manager in session.execute(
            select(Enrolment.user_id, Enrolment.line_manager_id).where(Enrolment.line_manager_id.isnot(None))
        ).all()
    }
    return _MatchingInputs(
        candidates=[_candidate(e) for e in enrolments],
        rules=_engine().MatchingRules(
            cross_organisation=programme.cross_organisation,
            previous_pairs=frozenset(frozenset(pair) for pair in previous),
            pinned=frozenset((r.mentor_user_id, r.mentee_user_id) for r in rules if r.kind == "pin"),
            forbidden=frozenset((r.mentor_user_id, r.mentee_user_id) for r in rules if r.kind == "forbid"),
        ),
        managers=managers,
        names={e.user_id: e.real_name or e.user_id for e in enrolments},
    )


def _programme_for_lead(session: Session, programme_id: int, lead_id: str, admin: bool) -> Programme:
    programme = session.get(Programme, programme_id)
    if programme is None:
        raise NotFound("programmes.not_found")
    require_lead(session, programme_id, lead_id, admin=admin)
    return programme


def programme_to_match(db: Database, programme_id: int, lead_id: str, *, admin: bool = False) -> Programme:
    """The programme a lead is about to match (a quick check, before the slow proposal): refuses non-leads."""
    with db.session() as session:
        return _programme_for_lead(session, programme_id, lead_id, admin)


def compute_proposal(db: Database, programme_id: int, lead_id: str, *, admin: bool = False) -> Proposal:
    """Run the optimal matching over everyone waiting and store it as the current proposal."""
    with db.session() as session:
        programme = _programme_for_lead(session, programme_id, lead_id, admin)
        inputs = _matching_inputs(session, programme, _waiting_enrolments(session, programme_id))
        result = _engine().propose_matches(
            inputs.candidates, inputs.rules, managers=inputs.managers, display_names=inputs.names
        )
        context = inputs.context()
        session.execute(delete(ProposedPair).where(ProposedPair.programme_id == programme_id))
        session.execute(delete(WaitingNote).where(WaitingNote.programme_id == programme_id))
        for pair in result.pairs:
            session.add(
                ProposedPair(
                    programme_id=programme_id,
                    mentor_user_id=pair.mentor_id,
                    mentee_user_id=pair.mentee_id,
                    score=pair.score,
                    reasons=list(pair.reasons),
                )
            )
        for person in result.unmatched:
            session.add(WaitingNote(programme_id=programme_id, user_id=person.person_id, reason=person.reason))
        conflicts = [
            f"Pinned pair {context.name(c.mentor_id)} and {context.name(c.mentee_id)} can't be made: "
            + "; ".join(c.problems)
            for c in result.conflicts
        ]
    proposal = current_proposal(db, programme_id, lead_id, admin=admin)
    proposal.conflicts = conflicts
    return proposal


def current_proposal(db: Database, programme_id: int, lead_id: str, *, admin: bool = False) -> Proposal:
    with db.session() as session:
        programme = _programme_for_lead(session, programme_id, lead_id, admin)
        profiles = lead_profiles(session, programme_id)
        names = {user: profile.name for user, profile in profiles.items()}
        rows = session.scalars(
            select(ProposedPair).where(ProposedPair.programme_id == programme_id).order_by(ProposedPair.id)
        ).all()
        proposal = Proposal(programme_id, programme.name)
        paired: set[str] = set()
        for row in rows:
            paired.update((row.mentor_user_id, row.mentee_user_id))
            proposal.pairs.append(
                ProposalRow(
                    row.id,
                    row.mentor_user_id,
                    row.mentee_user_id,
                    names.get(row.mentor_user_id) or row.mentor_user_id,
                    names.get(row.mentee_user_id) or row.mentee_user_id,
                    row.score,
                    list(row.reasons),
                    profiles.get(row.mentor_user_id),
                    profiles.get(row.mentee_user_id),
                )
            )
        notes = dict(
            session.execute(
                select(WaitingNote.user_id, WaitingNote.reason).where(WaitingNote.programme_id == programme_id)
            ).all()
        )
        everyone = _waiting_enrolments(session, programme_id, confirmed_only=False)
        no_induction = _without_induction(session, programme_id, [e.user_id for e in everyone])
        for enrolment in everyone:
            if enrolment.user_id not in paired:
                if enrolment.privacy_confirmed_at is None:
                    reason = "Added from a CSV and has not yet confirmed the privacy notice."
                elif enrolment.user_id in no_induction:
                    reason = INDUCTION_REASON
                else:
                    reason = notes.get(enrolment.user_id, "Enrolled after the proposal was made: run matching again.")
                proposal.waiting.append(
                    WaitingRow(enrolment.user_id, enrolment.real_name or enrolment.user_id, enrolment.role, reason)
                )
        return proposal


def remove_proposed_pair(
    db: Database, programme_id: int, proposed_id: int, lead_id: str, *, admin: bool = False
) -> None:
    with db.session() as session:
        _programme_for_lead(session, programme_id, lead_id, admin)
        row = session.get(ProposedPair, proposed_id)
        if row is None or row.programme_id != programme_id:
            raise NotFound("matching.pair_not_in_proposal")
        for user_id in (row.mentor_user_id, row.mentee_user_id):
            session.merge(_note(session, programme_id, user_id, "Removed from the proposal by a lead."))
        session.delete(row)


def _note(session: Session, programme_id: int, user_id: str, reason: str) -> WaitingNote:
    note = session.scalar(
        select(WaitingNote).where(WaitingNote.programme_id == programme_id, WaitingNote.user_id == user_id)
    )
    if note is None:
        note = WaitingNote(programme_id=programme_id, user_id=user_id, reason=reason)
    note.reason = reason
    return note


def swap_partners(
    db: Database, programme_id: int, first_id: int, second_id: int, lead_id: str, *, admin: bool = False
) -> None:
    """Swap the mentees of two proposed pairs, if both new pairs keep every hard rule."""
    with db.session() as session:
        programme = _programme_for_lead(session, programme_id, lead_id, admin)
        first, second = session.get(ProposedPair, first_id), session.get(ProposedPair, second_id)
        if first is None or second is None or {first.programme_id, second.programme_id} != {programme_id}:
            raise NotFound("matching.pairs_not_in_proposal")
        if first.id == second.id:
            raise FieldErrors.on("second", "matching.same_pair_twice")
        enrolments = {e.user_id: e for e in _waiting_enrolments(session, programme_id)}
        context = _matching_inputs(session, programme, list(enrolments.values())).context()
        problems: list[str] = []
        new_pairs = [(first, second.mentee_user_id), (second, first.mentee_user_id)]
        for row, mentee_id in new_pairs:
            mentor, mentee = _candidate(enrolments[row.mentor_user_id]), _candidate(enrolments[mentee_id])
            problems += _engine().check_pair(mentor, mentee, context)
        if problems:
            raise FieldErrors.on("second", "matching.swap_breaks_rules", problems=" ".join(problems))
        for row, mentee_id in new_pairs:
            scored = _engine().score_pair(
                _candidate(enrolments[row.mentor_user_id]), _candidate(enrolments[mentee_id]), context
            )
            row.mentee_user_id = mentee_id
            row.score = scored.score
            row.reasons = list(scored.reasons)


def set_rule(
    db: Database, programme_id: int, mentor_id: str, mentee_id: str, kind: str, lead_id: str, *, admin: bool = False
) -> None:
    """Pin (always pair) or forbid (never pair) a mentor and a mentee; takes effect on the next run."""
    if kind not in {"pin", "forbid"}:
        raise FieldErrors.on("kind", "matching.rule_kind_required")
    with db.session() as session:
        _programme_for_lead(session, programme_id, lead_id, admin)
        roles = dict(
            session.execute(
                select(Enrolment.user_id, Enrolment.role).where(
                    Enrolment.programme_id == programme_id, Enrolment.user_id.in_([mentor_id, mentee_id])
                )
            ).all()
        )
        errors: dict[str, Problem] = {}
        if roles.get(mentor_id) != "mentor":
            errors["mentor"] = Problem("matching.not_a_mentor")
        if roles.get(mentee_id) != "mentee":
            errors["mentee"] = Problem("matching.not_a_mentee")
        if errors:
            raise FieldErrors(errors)
        rule = session.scalar(
            select(MatchRule).where(
                MatchRule.programme_id == programme_id,
                MatchRule.mentor_user_id == mentor_id,
                MatchRule.mentee_user_id == mentee_id,
            )
        )
        if rule is None:
            rule = MatchRule(programme_id=programme_id, mentor_user_id=mentor_id, mentee_user_id=mentee_id)
            session.add(rule)
        rule.kind = kind
        rule.created_by = lead_id


def approve_proposal(db: Database, programme_id: int, lead_id: str, *, admin: bool = False) -> Approval:
    """Offer each proposed pair to its mentor first. People no longer waiting are skipped, never offered twice.

    The mentee hears nothing until the mentor accepts; see :mod:`bot.matching.consent`."""
    with db.session() as session:
        programme = _programme_for_lead(session, programme_id, lead_id, admin)
        waiting = {e.user_id: e for e in _waiting_enrolments(session, programme_id)}
        rows = session.scalars(select(ProposedPair).where(ProposedPair.programme_id == programme_id)).all()
        offers: list[MatchOffer] = []
        offered: set[str] = set()
        for row in rows:
            mentor, mentee = waiting.get(row.mentor_user_id), waiting.get(row.mentee_user_id)
            if mentor is None or mentee is None or {mentor.user_id, mentee.user_id} & offered:
                continue
            offered.update((mentor.user_id, mentee.user_id))
            offers.append(consent.offer_match(session, programme, row, mentor, lead_id))
        session.execute(delete(ProposedPair).where(ProposedPair.programme_id == programme_id))
        session.execute(delete(WaitingNote).where(WaitingNote.programme_id == programme_id))
        session.flush()
        still_waiting = [e for e in waiting.values() if e.user_id not in offered]
        return Approval(programme, [], still_waiting, offers)


def decline_match(db: Database, pair_id: int, user_id: str) -> Decline:
    """A matched person declines or asks to be rematched: no reason needed; both go back to the pool."""
    with db.session() as session:
        pair = session.get(Pair, pair_id)
        if pair is None or user_id not in (pair.mentor_user_id, pair.mentee_user_id):
            raise NotAllowed("matching.decline_not_yours")
        if pair.status != "active":
            raise NotAllowed("matching.match_ended")
        pair.status = "declined"
        pair.ended_at = now()
        enrolments = session.scalars(
            select(Enrolment).where(
                Enrolment.programme_id == pair.programme_id,
                Enrolment.user_id.in_([pair.mentor_user_id, pair.mentee_user_id]),
            )
        ).all()
        decliner_name = user_id
        for enrolment in enrolments:
            if enrolment.status == "matched":
                enrolment.status = "waiting"
            if enrolment.user_id == user_id:
                decliner_name = enrolment.real_name or user_id
        programme = pair.programme
        partner = pair.mentee_user_id if user_id == pair.mentor_user_id else pair.mentor_user_id
        leads = [lead.user_id for lead in programme.leads]
        # A mentee whose matched notice has not gone out yet never learns there was a match.
        unaware = session.scalar(
            select(OutboxMessage.id).where(
                OutboxMessage.pair_id == pair.id,
                OutboxMessage.kind == consent.MATCH_CONFIRMED,
                OutboxMessage.recipient_user_id == partner,
                OutboxMessage.status != "sent",
            )
        )
        return Decline(programme, partner, leads, decliner_name, tell_partner=unaware is None)


def pair_with_partner(db: Database, pair_id: int) -> tuple[Pair, Enrolment, Enrolment]:
    with db.session() as session:
        pair = session.get(Pair, pair_id)
        if pair is None:
            raise NotFound("matching.pair_not_found")

        people = {
            e.user_id: e
            for e in session.scalars(
                select(Enrolment).where(
                    Enrolment.programme_id == pair.programme_id,
                    Enrolment.user_id.in_([pair.mentor_user_id, pair.mentee_user_id]),
                )
            )
        }
        return pair, people[pair.mentor_user_id], people[pair.mentee_user_id]
