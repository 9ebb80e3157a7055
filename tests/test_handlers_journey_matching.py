"""The journey and matching listeners, called directly: no HTTP, no emulator.

Each test builds its world through the real services on the real database, calls one listener
function with a fake ``ack``/``respond`` and a Slack port that records every call, then checks what
the person would see (what was acknowledged, answered, posted or opened) and what the database holds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from bot.content import load_content
from bot.db import Database
from bot.journey import service as journey
from bot.journey.blocks import (
    ADD_TO_AGENDA,
    AGENDA_FORM,
    AGREE_CONTRACT,
    CONTRACT_FORM,
    READ_MY_GUIDE,
    SHOW_ICEBREAKER,
)
from bot.matching import consent, proposals
from bot.matching.blocks import PROPOSAL_VIEW, WORKING_VIEW
from bot.models import Agenda, Enrolment, Pair, ProposedPair
from bot.programmes import enrolment as enrolments
from bot.programmes import service as programmes
from bot.programmes.access import LEAD_ONLY
from bot.runtime import Runtime
from bot.settings import Settings
from handlers import journey as journey_handlers
from handlers import matching as matching_handlers
from handlers.commands import CommandCall
from tests.fakes import FakeGateway, Recorder, slack_user

ADMIN, LEAD, MENTOR, MENTEE, STRANGER = "UADMIN1", "ULEAD01", "UMENTOR1", "UMENTEE1", "USTRANGE1"
CONTENT = load_content()


@dataclass
class World:
    runtime: Runtime
    gateway: FakeGateway
    programme_id: int
    pair_id: int | None = None

    @property
    def db(self) -> Database:
        return self.runtime.db


def enrol(db: Database, programme_id: int, user_id: str, role: str, organisation: str, department: str) -> None:
    mentee = role == "mentee"
    enrolments.enrol(
        db,
        enrolments.Person(user_id, user_id.title(), "Europe/London"),
        enrolments.EnrolmentInput(
            programme_id=programme_id,
            role=role,
            organisation=organisation,
            department=department,
            title="Analyst" if role == "mentor" else "Director",
            inclusion_statement="Early days, honestly." if mentee else "",
            understanding_gap="How our policies land for new starters." if mentee else "",
            privacy_confirmed=True,
        ),
        known_topics=(),
    )


def make_world(db: Database, *, matched: bool = True) -> World:
    """A cross-organisation programme led by LEAD; a mentor and a mentee enrolled and, if asked, matched."""
    gateway = FakeGateway({ADMIN: slack_user(ADMIN, is_admin=True)})
    runtime = Runtime(
        settings=Settings(_env_file=None, database_url=db.url),  # type: ignore[call-arg]
        db=db,
        gateway=gateway,
        content=CONTENT,
    )
    programme = programmes.create_programme(
        db,
        programmes.ProgrammeInput(name="Inclusive Leadership", cross_organisation=True, lead_ids=[LEAD]),
        created_by=ADMIN,
        by_admin=True,
    )
    enrol(db, programme.id, MENTOR, "mentor", "Acme", "Engineering")
    enrol(db, programme.id, MENTEE, "mentee", "Globex", "Finance")
    world = World(runtime, gateway, programme.id)
    if matched:
        proposals.compute_proposal(db, programme.id, LEAD)
        (offer,) = proposals.approve_proposal(db, programme.id, LEAD).offers
        answer = consent.accept_offer(db, offer.id, MENTOR)  # the mentor says yes first
        assert answer.pair_id is not None
        world.pair_id = answer.pair_id
    return world


def command(world: World, user_id: str, name: str, *args: str) -> tuple[CommandCall, Recorder]:
    ack = Recorder()
    body = {"user_id": user_id, "text": " ".join((name, *args)), "trigger_id": "T-command", "response_url": "https://r"}
    return CommandCall(world.runtime, ack, Recorder(), body, name, list(args)), ack


def click(user_id: str, action_id: str, value: str, *, surface: str = "message", **extra: Any) -> dict[str, Any]:
    """A block_actions body: from a message (it has a response_url), the App Home or a modal (neither has)."""
    body: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user_id},
        "trigger_id": "T-click",
        "actions": [{"action_id": action_id, "value": value}],
    }
    if surface == "message":
        body["response_url"] = "https://hooks.example/response"
        body["container"] = {"type": "message"}
    else:
        body["view"] = {"id": "V-open", "type": surface}
    body.update(extra)
    return body


def submission(user_id: str, view: dict[str, Any], values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The body and view Slack sends when ``user_id`` submits ``view`` with plain-text ``values`` by block id."""
    state = {field: {"value": {"type": "plain_text_input", "value": text}} for field, text in values.items()}
    submitted = {**view, "id": "V-open", "state": {"values": state}}
    return {"type": "view_submission", "user": {"id": user_id}, "view": submitted}, submitted


def answered(respond: Recorder) -> list[str]:
    return [str(call.get("text")) for call in respond.calls]


# --------------------------------------------------------------------------------------------------
# journey: icebreakers and guides
# --------------------------------------------------------------------------------------------------


def test_icebreaker_command_without_a_partner_says_so_privately(db: Database) -> None:
    world = make_world(db, matched=False)
    call, ack = command(world, MENTOR, "icebreaker")
    journey_handlers.icebreaker_command(call)
    assert "You don't have a partner yet" in ack.last["text"]
    assert world.gateway.calls_to("post_message") == []


def test_icebreaker_command_posts_one_in_the_pairs_own_conversation(db: Database) -> None:
    world = make_world(db)
    call, ack = command(world, MENTEE, "icebreaker")
    journey_handlers.icebreaker_command(call)
    assert ack.last["text"].startswith(f"Here's one for you and {MENTOR.title()}")
    (opened,) = world.gateway.calls_to("open_group_dm")
    assert sorted(opened["user_ids"]) == sorted([MENTOR, MENTEE])
    (posted,) = world.gateway.calls_to("post_message")
    assert posted["channel"] == "G" + "".join(sorted([MENTOR, MENTEE]))
    assert len(journey.icebreakers_shown(db, world.pair_id or 0)) == 1
    # The conversation is remembered: the next icebreaker goes there without opening it again.
    journey_handlers.icebreaker_command(command(world, MENTOR, "icebreaker")[0])
    assert len(world.gateway.calls_to("open_group_dm")) == 1
    assert len(journey.icebreakers_shown(db, world.pair_id or 0)) == 2


@pytest.mark.parametrize("value", ["{pair}", "not-a-number"])
def test_an_icebreaker_click_for_someone_elses_pair_is_refused_to_the_clicker_only(db: Database, value: str) -> None:
    world = make_world(db)
    ack, respond = Recorder(), Recorder()
    body = click(STRANGER, SHOW_ICEBREAKER, value.format(pair=world.pair_id))
    journey_handlers.show_icebreaker(ack, body, respond, world.runtime)
    assert ack.calls == [{}]
    assert answered(respond) == [journey.NOT_A_MEMBER]
    assert respond.last["response_type"] == "ephemeral" and respond.last["replace_original"] is False
    assert world.gateway.calls_to("post_message") == [] and world.gateway.calls_to("post_dm") == []
    assert journey.icebreakers_shown(db, world.pair_id or 0) == []


def test_read_my_guide_from_a_message_is_ephemeral_and_from_app_home_goes_to_the_dm(db: Database) -> None:
    world = make_world(db)
    respond = Recorder()
    journey_handlers.read_my_guide(Recorder(), click(MENTOR, READ_MY_GUIDE, str(world.pair_id)), respond, world.runtime)
    (shown,) = respond.calls
    assert shown["response_type"] == "ephemeral" and shown["blocks"]
    assert world.gateway.calls_to("post_dm") == []

    # The App Home has no response_url: respond() would fail there, so the guide goes to the DM.
    respond = Recorder()
    home = click(MENTEE, READ_MY_GUIDE, str(world.pair_id), surface="home")
    journey_handlers.read_my_guide(Recorder(), home, respond, world.runtime)
    assert respond.calls == []
    (dm,) = world.gateway.calls_to("post_dm")
    assert dm["user_id"] == MENTEE and dm["blocks"]
    assert dm["text"] != shown["text"]  # the mentee's guide, not the mentor's


# --------------------------------------------------------------------------------------------------
# journey: the contract
# --------------------------------------------------------------------------------------------------


def contract_answers() -> dict[str, str]:
    return {prompt.id: f"Our answer on {prompt.id}." for prompt in CONTENT.contracting.prompts}


def test_contract_command_opens_the_form_and_saving_it_shares_it_with_the_pair(db: Database) -> None:
    world = make_world(db)
    call, ack = command(world, MENTEE, "contract")
    journey_handlers.contract_command(call)
    assert ack.calls == [{}]
    (opened,) = world.gateway.calls_to("open_view")
    assert opened["trigger_id"] == "T-command" and opened["view"]["callback_id"] == CONTRACT_FORM

    body, view = submission(MENTEE, opened["view"], contract_answers())
    ack = Recorder()
    journey_handlers.save_contract(ack, body, view, world.runtime)
    assert ack.last["response_action"] == "update"  # the saved contract, with "I agree", replaces the form
    state = journey.contract_for(db, world.pair_id or 0, MENTOR)
    assert state.exists and not state.agreed
    assert state.terms["meetings"] == "Our answer on meetings."
    (posted,) = world.gateway.calls_to("post_message")
    assert posted["channel"].startswith("G")


def test_a_contract_form_from_outside_the_pair_keeps_the_form_open_with_the_reason(db: Database) -> None:
    world = make_world(db)
    journey_handlers.contract_command(command(world, MENTEE, "contract")[0])
    (opened,) = world.gateway.calls_to("open_view")
    body, view = submission(STRANGER, opened["view"], contract_answers())
    ack = Recorder()
    journey_handlers.save_contract(ack, body, view, world.runtime)
    assert ack.last["response_action"] == "errors"
    assert journey.NOT_A_MEMBER in ack.last["errors"].values()
    assert not journey.contract_for(db, world.pair_id or 0, MENTOR).exists
    assert world.gateway.calls_to("post_message") == []


def test_agreeing_to_someone_elses_contract_is_refused_and_changes_nothing(db: Database) -> None:
    world = make_world(db)
    pair_id = world.pair_id or 0
    journey.save_contract(db, CONTENT, pair_id, MENTEE, contract_answers(), opened_version=0)
    version = journey.contract_for(db, pair_id, MENTEE).version
    respond = Recorder()
    body = click(STRANGER, AGREE_CONTRACT, f"{pair_id}:{version}")
    journey_handlers.agree_to_contract(Recorder(), body, respond, world.runtime)
    assert answered(respond) == [journey.NOT_A_MEMBER]
    assert world.gateway.calls_to("update_view") == []
    assert not journey.contract_for(db, pair_id, MENTEE).agreed


def test_agreeing_in_the_contract_modal_updates_it_and_tells_the_pair(db: Database) -> None:
    world = make_world(db)
    pair_id = world.pair_id or 0
    journey.save_contract(db, CONTENT, pair_id, MENTEE, contract_answers(), opened_version=0)
    version = journey.contract_for(db, pair_id, MENTEE).version
    body = click(MENTOR, AGREE_CONTRACT, f"{pair_id}:{version}", surface="modal")
    journey_handlers.agree_to_contract(Recorder(), body, Recorder(), world.runtime)
    (updated,) = world.gateway.calls_to("update_view")
    assert updated["view_id"] == "V-open"
    assert len(world.gateway.calls_to("post_message")) == 1  # "one of you has agreed"
    assert journey.contract_for(db, pair_id, MENTEE).mentor_agreed


# --------------------------------------------------------------------------------------------------
# journey: agendas
# --------------------------------------------------------------------------------------------------


def test_the_mentee_sets_the_agenda_and_it_is_posted_then_updated_in_place(db: Database) -> None:
    world = make_world(db)
    call, ack = command(world, MENTEE, "agenda")
    journey_handlers.agenda_command(call)
    assert ack.calls == [{}]
    (opened,) = world.gateway.calls_to("open_view")
    assert opened["view"]["callback_id"] == AGENDA_FORM

    body, view = submission(MENTEE, opened["view"], {"items": "How promotion panels feel from the inside"})
    ack = Recorder()
    journey_handlers.save_agenda(ack, body, view, world.runtime)
    assert ack.calls == [{}]
    (posted,) = world.gateway.calls_to("post_message")
    ts = world.gateway.results_of("post_message")[0]
    with db.session() as session:
        agenda = session.scalars(select(Agenda)).one()
        assert (agenda.channel_id, agenda.message_ts) == (posted["channel"], ts)

    # The mentor adds an item from the agenda's button: the same message is updated, not reposted.
    add = click(MENTOR, ADD_TO_AGENDA, str(agenda.id))
    journey_handlers.add_to_agenda(Recorder(), add, Recorder(), world.runtime)
    addition = world.gateway.calls_to("open_view")[-1]["view"]
    body, view = submission(MENTOR, addition, {"items": "What a good sponsor does"})
    journey_handlers.save_agenda_addition(Recorder(), body, view, world.runtime)
    (updated,) = world.gateway.calls_to("update_message")
    assert updated["channel"] == posted["channel"] and updated["ts"] == agenda.message_ts
    assert "What a good sponsor does" in json.dumps(updated["blocks"])
    assert len(world.gateway.calls_to("post_message")) == 1


def test_the_mentor_is_told_the_mentee_sets_the_agenda(db: Database) -> None:
    world = make_world(db)
    call, ack = command(world, MENTOR, "agenda")
    journey_handlers.agenda_command(call)
    assert "sets the agenda as mentee" in ack.last["text"]
    assert world.gateway.calls_to("open_view") == []


def test_adding_to_someone_elses_agenda_from_app_home_is_refused_in_the_dm(db: Database) -> None:
    world = make_world(db)
    agenda = journey.set_agenda(db, world.pair_id or 0, MENTEE, "Our first topics")
    respond = Recorder()
    body = click(STRANGER, ADD_TO_AGENDA, str(agenda.agenda_id), surface="home")
    journey_handlers.add_to_agenda(Recorder(), body, respond, world.runtime)
    assert respond.calls == []
    assert world.gateway.dm_texts(STRANGER) == [journey.NOT_A_MEMBER]
    assert world.gateway.calls_to("open_view") == []


# --------------------------------------------------------------------------------------------------
# matching: the lead's proposal
# --------------------------------------------------------------------------------------------------


def proposal_body(world: World, user_id: str, action_id: str = "", value: str = "") -> dict[str, Any]:
    """A click or submission inside the proposal modal (its metadata names the programme)."""
    view = {"id": "V-proposal", "type": "modal", "private_metadata": json.dumps({"programme_id": world.programme_id})}
    body: dict[str, Any] = {"user": {"id": user_id}, "trigger_id": "T-modal", "view": view}
    if action_id:
        body["actions"] = [{"action_id": action_id, "selected_option": {"value": value}}]
    return body


def test_match_by_someone_who_leads_nothing_is_refused_in_the_acknowledgement(db: Database) -> None:
    world = make_world(db, matched=False)
    call, ack = command(world, STRANGER, "match")
    matching_handlers.match(call)
    assert ack.last["text"].startswith("Only programme leads can do that.")
    assert world.gateway.calls_to("open_view") == []
    with db.session() as session:
        assert session.scalars(select(ProposedPair)).all() == []


def test_the_lead_matches_and_approves_and_both_people_are_told_privately(db: Database) -> None:
    world = make_world(db, matched=False)
    call, ack = command(world, LEAD, "match")
    matching_handlers.match(call)
    assert ack.calls == [{}]
    # A small "working on it" modal opens first (the trigger id expires in 3 s), then the proposal fills it.
    (opened,) = world.gateway.calls_to("open_view")
    assert opened["view"]["callback_id"] == WORKING_VIEW and opened["trigger_id"] == "T-command"
    assert "Working out the best matches for *Inclusive Leadership*" in json.dumps(opened["view"]["blocks"])
    (updated,) = world.gateway.calls_to("update_view")
    assert updated["view_id"] == world.gateway.results_of("open_view")[0]
    assert updated["view"]["callback_id"] == PROPOSAL_VIEW
    assert f"*{MENTOR.title()}* (mentor) with *{MENTEE.title()}* (mentee)" in json.dumps(updated["view"]["blocks"])
    assert [c.method for c in world.gateway.calls].index("open_view") < [
        c.method for c in world.gateway.calls].index("update_view")

    ack = Recorder()
    body = proposal_body(world, LEAD)
    matching_handlers.approve(ack, body, body["view"], world.runtime)
    assert ack.calls == [{}]
    with db.session() as session:
        assert session.scalars(select(Pair)).all() == [], "no pair until the mentor says yes"
    # Mentor-first consent: neither person hears from the approval itself; the mentor's offer is a
    # timed message, and the mentee hears nothing until the mentor accepts.
    assert world.gateway.dm_texts(MENTOR) == [] and world.gateway.dm_texts(MENTEE) == []
    (to_lead,) = world.gateway.dm_texts(LEAD)
    assert to_lead.startswith("Approved 1 match in *Inclusive Leadership*: each mentor is asked privately first")


def test_someone_who_is_not_a_lead_cannot_rerun_or_edit_the_proposal(db: Database) -> None:
    world = make_world(db, matched=False)
    proposals.compute_proposal(db, world.programme_id, LEAD)
    (row,) = proposals.current_proposal(db, world.programme_id, LEAD).pairs
    respond = Recorder()
    matching_handlers.rerun(Recorder(), proposal_body(world, STRANGER, "rerun_matching"), respond, world.runtime)
    body = proposal_body(world, STRANGER, "proposal_pair", f"remove:{row.id}")
    matching_handlers.edit_pair(Recorder(), body, respond, world.runtime)
    # A modal has no response_url: each refusal goes to the clicker's DM, and nothing changes.
    assert respond.calls == []
    assert world.gateway.dm_texts(STRANGER) == [LEAD_ONLY, LEAD_ONLY]
    assert world.gateway.calls_to("update_view") == []
    assert len(proposals.current_proposal(db, world.programme_id, LEAD).pairs) == 1


def test_the_lead_removes_a_proposed_pair_and_the_modal_is_refreshed(db: Database) -> None:
    world = make_world(db, matched=False)
    proposals.compute_proposal(db, world.programme_id, LEAD)
    (row,) = proposals.current_proposal(db, world.programme_id, LEAD).pairs
    # A malformed menu value is refused like a stranger's, to the lead's DM.
    bad = proposal_body(world, LEAD, "proposal_pair", "remove:")
    matching_handlers.edit_pair(Recorder(), bad, Recorder(), world.runtime)
    assert world.gateway.dm_texts(LEAD) == [LEAD_ONLY]
    assert world.gateway.calls_to("update_view") == []

    body = proposal_body(world, LEAD, "proposal_pair", f"remove:{row.id}")
    matching_handlers.edit_pair(Recorder(), body, Recorder(), world.runtime)
    (updated,) = world.gateway.calls_to("update_view")
    assert updated["view_id"] == "V-proposal" and "0 pairs proposed" in json.dumps(updated["view"]["blocks"])
    assert proposals.current_proposal(db, world.programme_id, LEAD).pairs == []


# --------------------------------------------------------------------------------------------------
# matching: a matched person's decline
# --------------------------------------------------------------------------------------------------


def test_declining_someone_elses_match_is_refused_privately(db: Database) -> None:
    world = make_world(db)
    respond = Recorder()
    body = click(STRANGER, "decline_match", str(world.pair_id))
    matching_handlers.decline(Recorder(), body, respond, world.runtime)
    assert answered(respond) == ["You can only decline your own match."]
    assert respond.last["replace_original"] is False
    assert world.gateway.calls_to("post_dm") == []
    with db.session() as session:
        assert session.get(Pair, world.pair_id).status == "active"  # type: ignore[union-attr]


def test_declining_my_match_replaces_the_notice_and_tells_partner_and_lead_neutrally(db: Database) -> None:
    world = make_world(db)
    respond = Recorder()
    body = click(MENTOR, "decline_match", str(world.pair_id))
    matching_handlers.decline(Recorder(), body, respond, world.runtime)
    assert answered(respond) == [CONTENT.message("match_declined_self", programme="Inclusive Leadership")]
    assert respond.last["replace_original"] is True
    # The mentee's matched notice has not gone out yet (it waits in the outbox), so stepping back
    # now tells them nothing at all.
    assert world.gateway.dm_texts(MENTEE) == []
    (to_lead,) = world.gateway.dm_texts(LEAD)
    assert to_lead.startswith(f"{MENTOR.title()} has stepped back from their pairing")
    with db.session() as session:
        assert session.get(Pair, world.pair_id).status == "declined"  # type: ignore[union-attr]
        statuses = {e.user_id: e.status for e in session.scalars(select(Enrolment))}
    assert statuses == {MENTOR: "waiting", MENTEE: "waiting"}
