"""The lead's matching: propose, edit, approve; and a matched person's private decline."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.blockkit.forms import metadata, read_values
from bot.errors import FieldErrors, NotAllowed, NotFound
from bot.matching import consent, proposals
from bot.matching.blocks import (
    ACCEPT_OFFER,
    DECLINE_OFFER,
    OPEN_NEXT_PROPOSAL,
    PROPOSAL_VIEW,
    RULE_FORM,
    SWAP_FORM,
    matched_notice,
    offer_answered_message,
    proposal_modal,
    rule_modal,
    swap_modal,
)
from bot.programmes.access import LEAD_ONLY
from bot.runtime import Runtime
from handlers.commands import CommandCall, CommandRouter
from handlers.common import (
    ack_field_errors,
    acting_user,
    action_value,
    answer_privately,
    ephemeral,
    parse_int,
    programme_for_lead_command,
    user_is_admin,
)
from handlers.common import tell as common_tell

log = logging.getLogger(__name__)
MATCH_USAGE = "Usage: `/mentoring match [programme]`"


def register(app: App, runtime: Runtime, router: CommandRouter) -> None:
    db, gateway, content = runtime.db, runtime.gateway, runtime.content

    def tell(user_id: str, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        common_tell(runtime, user_id, text, blocks)

    def match(call: CommandCall) -> None:
        programme = programme_for_lead_command(runtime, call.user_id, " ".join(call.args), MATCH_USAGE)
        if isinstance(programme, str):
            ephemeral(call.ack, programme)
            return
        call.ack()
        admin = user_is_admin(runtime, call.user_id)
        proposal = proposals.compute_proposal(db, programme.id, call.user_id, admin=admin)
        gateway.open_view(call.trigger_id, proposal_modal(proposal))

    router.add("match", match)

    def lead_action(body: dict[str, Any]) -> tuple[str, int, bool]:
        user_id = acting_user(body)
        programme_id = int(metadata(body.get("view") or {}).get("programme_id") or 0)
        return user_id, programme_id, user_is_admin(runtime, user_id)

    def refresh(view_id: str, programme_id: int, user_id: str, admin: bool, *, rerun: bool = False) -> None:
        get = proposals.compute_proposal if rerun else proposals.current_proposal
        gateway.update_view(view_id, proposal_modal(get(db, programme_id, user_id, admin=admin)))

    def refuse(user_id: str, error: Exception) -> None:
        tell(user_id, str(error) if isinstance(error, NotAllowed | NotFound) else LEAD_ONLY)

    @app.action("proposal_pair")
    def edit_pair(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        user_id, programme_id, admin = lead_action(body)
        verb, _, raw_id = str(body["actions"][0]["selected_option"]["value"]).partition(":")
        try:
            proposal = proposals.current_proposal(db, programme_id, user_id, admin=admin)
            row = next((r for r in proposal.pairs if r.id == int(raw_id)), None)
            if row is None:
                raise NotFound("That pair is no longer in the proposal.")
            if verb == "forbid":
                proposals.set_rule(db, programme_id, row.mentor_id, row.mentee_id, "forbid", user_id, admin=admin)
                refresh(body["view"]["id"], programme_id, user_id, admin, rerun=True)
            else:
                proposals.remove_proposed_pair(db, programme_id, row.id, user_id, admin=admin)
                refresh(body["view"]["id"], programme_id, user_id, admin)
        except (NotAllowed, NotFound, ValueError) as error:
            refuse(user_id, error)

    @app.action("rerun_matching")
    def rerun(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        user_id, programme_id, admin = lead_action(body)
        try:
            refresh(body["view"]["id"], programme_id, user_id, admin, rerun=True)
        except (NotAllowed, NotFound) as error:
            refuse(user_id, error)

    @app.action("swap_partners")
    def open_swap(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        user_id, programme_id, admin = lead_action(body)
        try:
            proposal = proposals.current_proposal(db, programme_id, user_id, admin=admin)
        except (NotAllowed, NotFound) as error:
            refuse(user_id, error)
            return
        gateway.push_view(body["trigger_id"], swap_modal(proposal, body["view"]["id"]))

    @app.action("pin_or_forbid")
    def open_rule(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        user_id, programme_id, admin = lead_action(body)
        try:
            proposals.current_proposal(db, programme_id, user_id, admin=admin)
        except (NotAllowed, NotFound) as error:
            refuse(user_id, error)
            return
        gateway.push_view(body["trigger_id"], rule_modal(programme_id, body["view"]["id"]))

    @app.view(SWAP_FORM)
    def swap(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id, programme_id, admin = lead_action(body)
        values = read_values(view)
        try:
            proposals.swap_partners(
                db, programme_id, int(values.get("first") or 0), int(values.get("second") or 0), user_id, admin=admin
            )
        except FieldErrors as error:
            ack_field_errors(ack, error, view)
            return
        except (NotAllowed, NotFound) as error:
            ack_field_errors(ack, FieldErrors({"first": str(error)}), view)
            return
        ack()
        refresh(metadata(view)["parent"], programme_id, user_id, admin)

    @app.view(RULE_FORM)
    def save_rule(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id, programme_id, admin = lead_action(body)
        values = read_values(view)
        try:
            proposals.set_rule(
                db,
                programme_id,
                str(values.get("mentor") or ""),
                str(values.get("mentee") or ""),
                str(values.get("kind") or ""),
                user_id,
                admin=admin,
            )
        except FieldErrors as error:
            ack_field_errors(ack, error, view)
            return
        except (NotAllowed, NotFound) as error:
            ack_field_errors(ack, FieldErrors({"mentor": str(error)}), view)
            return
        ack()
        refresh(metadata(view)["parent"], programme_id, user_id, admin, rerun=True)

    @app.view(PROPOSAL_VIEW)
    def approve(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id, programme_id, admin = lead_action(body)
        try:
            approval = proposals.approve_proposal(db, programme_id, user_id, admin=admin)
        except (NotAllowed, NotFound) as error:
            ack()
            refuse(user_id, error)
            return
        ack()
        for pair in approval.pairs:
            _, mentor, mentee = proposals.pair_with_partner(db, pair.id)
            for me, partner in ((mentor, mentee), (mentee, mentor)):
                text, blocks = matched_notice(approval.programme, me, partner, pair.id)
                tell(me.user_id, text, blocks)
        for enrolment in approval.waiting:
            tell(enrolment.user_id, content.message("waiting_list", programme=approval.programme.name))
        tell(
            user_id,
            f"Approved {len(approval.offers)} match(es) in *{approval.programme.name}*: each mentor is asked "
            "privately first, and the mentee hears nothing until their mentor says yes. "
            f"{len(approval.waiting)} person(s) told they are on the waiting list.",
        )

    @app.action("decline_match")
    def decline(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        user_id = acting_user(body)
        try:
            result = proposals.decline_match(db, int(body["actions"][0]["value"]), user_id)
        except (NotAllowed, NotFound, ValueError) as error:
            respond(text=str(error), response_type="ephemeral", replace_original=False)
            return
        name = result.programme.name
        respond(text=content.message("match_declined_self", programme=name), replace_original=True)
        if result.tell_partner:
            tell(result.partner_id, content.message("match_declined_partner", programme=name))
        for lead in result.lead_ids:
            tell(
                lead,
                f"{result.decliner_name} has stepped back from their pairing in *{name}*. Both people are back in "
                "the pool, and the other person was told only that the pairing has come to an end.",
            )
    for matcher, listener in CONSENT_ACTIONS:
        app.action(matcher)(listener)


# ---------------------------------------------------------------------------------------------
# Mentor-first consent: module-level listeners (the style of handlers.common.Listeners).


def _answer_offer(body: dict[str, Any], respond: Respond, runtime: Runtime, *, accept: bool) -> None:
    user_id = acting_user(body)
    answer = consent.accept_offer if accept else consent.decline_offer
    try:
        result = answer(runtime.db, parse_int(action_value(body)), user_id)
    except (NotAllowed, NotFound) as error:
        answer_privately(runtime, body, respond, str(error))
        return
    text, blocks = offer_answered_message(result)
    answer_privately(runtime, body, respond, text, blocks, replace=True)


def accept_match_offer(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    """The mentor says yes: only now is the pair made and the mentee introduced."""
    ack()
    _answer_offer(body, respond, runtime, accept=True)


def decline_match_offer(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    """The mentor says no: no reason asked, and the mentee never hears of it."""
    ack()
    _answer_offer(body, respond, runtime, accept=False)


def open_next_proposal(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    """From the lead's "did not go ahead" alert: run matching again and show the new proposal."""
    ack()
    user_id = acting_user(body)
    admin = user_is_admin(runtime, user_id)
    try:
        proposal = proposals.compute_proposal(runtime.db, parse_int(action_value(body)), user_id, admin=admin)
    except (NotAllowed, NotFound) as error:
        answer_privately(runtime, body, respond, str(error) if isinstance(error, NotFound) else LEAD_ONLY)
        return
    runtime.gateway.open_view(str(body["trigger_id"]), proposal_modal(proposal))


CONSENT_ACTIONS = (
    (ACCEPT_OFFER, accept_match_offer),
    (DECLINE_OFFER, decline_match_offer),
    (OPEN_NEXT_PROPOSAL, open_next_proposal),
)
