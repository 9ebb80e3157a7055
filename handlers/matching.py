"""The lead's matching: propose, edit, approve; and a matched person's private decline."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk.errors import SlackApiError

from bot.blockkit import counted, escape
from bot.blockkit.forms import metadata, read_values
from bot.concerns import pair_alerts
from bot.concerns.pair_alert_blocks import NEXT_PROPOSAL
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
    profiles_modal,
    proposal_modal,
    rule_modal,
    swap_modal,
    working_modal,
)
from bot.programmes.access import LEAD_ONLY
from bot.runtime import Runtime
from bot.slack_gateway import error_code
from handlers.commands import CommandCall
from handlers.common import (
    Listeners,
    ack_field_errors,
    acting_user,
    action_value,
    answer_privately,
    ephemeral,
    parse_int,
    programme_for_lead_command,
    refusal_text,
    tell,
    user_is_admin,
)
from handlers.concerns import PAIR_ALERT_TEXTS, update_alert_copies

log = logging.getLogger(__name__)
MATCH_USAGE = "Usage: `/mentoring match [programme]`"

# The action ids of the buttons and menus bot.matching.blocks draws.
PROPOSAL_PAIR_MENU = "proposal_pair"
RERUN_MATCHING = "rerun_matching"
SWAP_PARTNERS = "swap_partners"
PIN_OR_FORBID = "pin_or_forbid"
DECLINE_MATCH = "decline_match"


def match(call: CommandCall) -> None:
    runtime = call.runtime
    programme = programme_for_lead_command(runtime, call.user_id, " ".join(call.args), MATCH_USAGE)
    if isinstance(programme, str):
        ephemeral(call.ack, programme)
        return
    call.ack()
    show_new_proposal(runtime, call.trigger_id, programme.id, programme.name, call.user_id)


def show_new_proposal(runtime: Runtime, trigger_id: str, programme_id: int, programme_name: str, user_id: str) -> None:
    """Open a small "working on it" modal at once, then work out the proposal and show it there.

    The trigger id is good for 3 seconds after the click, and a big programme takes longer than that
    to match (numpy and scipy load cold, then the solve): so the modal opens first, whatever the size,
    and ``views.update`` (which needs no trigger) fills it. A failure says so in the modal. Never raises:
    this runs after ``ack()``.
    """
    content = runtime.content
    try:
        view_id = runtime.gateway.open_view(
            trigger_id, working_modal(content.message("match_working", programme=escape(programme_name)))
        )
    except Exception:
        log.warning("Could not open the match proposal modal", exc_info=True)
        tell(runtime, user_id, content.message("match_not_opened", programme=escape(programme_name)))
        return
    try:
        admin = user_is_admin(runtime, user_id)
    except Exception:
        log.warning("Could not look the lead up in Slack", exc_info=True)
        admin = False
    _fill_proposal_modal(runtime, view_id, _new_proposal_view(runtime, programme_id, user_id, admin))


def _new_proposal_view(runtime: Runtime, programme_id: int, user_id: str, admin: bool) -> dict[str, Any]:
    """Work out a new proposal: its modal, or a modal that says why there is none."""
    try:
        return proposal_modal(
            proposals.compute_proposal(runtime.db, programme_id, user_id, admin=admin), runtime.content.topic_label
        )
    except (NotAllowed, NotFound) as error:
        return working_modal(escape(refusal_text(error, LEAD_ONLY)))
    except Exception:
        log.exception("Could not work out a match proposal")
        return working_modal(runtime.content.message("match_failed"))


def _fill_proposal_modal(runtime: Runtime, view_id: str, view: dict[str, Any]) -> bool:
    """Show ``view`` in the lead's modal; False when it could not be shown (never raises)."""
    try:
        runtime.gateway.update_view(view_id, view)
        return True
    except SlackApiError as error:
        if error_code(error) == "not_found":  # the lead closed the modal meanwhile: nothing to show
            log.info("The lead closed the proposal modal before it was ready")
            return False
        log.warning("Could not show the proposal in its modal", exc_info=True)
        if view.get("callback_id") == PROPOSAL_VIEW:
            return _fill_proposal_modal(runtime, view_id, working_modal(runtime.content.message("match_failed")))
    except Exception:
        log.warning("Could not show the proposal in its modal", exc_info=True)
    return False


# ------------------------------------------------------------------------ the lead's proposal modal


def lead_action(runtime: Runtime, body: dict[str, Any]) -> tuple[str, int, bool]:
    """Who is acting, on which programme (from the proposal modal's metadata), and whether they are an admin."""
    user_id = acting_user(body)
    programme_id = parse_int(metadata(body.get("view") or {}).get("programme_id"))
    return user_id, programme_id, user_is_admin(runtime, user_id)


def refresh(
    runtime: Runtime, view_id: str, programme_id: int, user_id: str, admin: bool, *, rerun: bool = False
) -> None:
    if not rerun:
        runtime.gateway.update_view(
            view_id,
            proposal_modal(
                proposals.current_proposal(runtime.db, programme_id, user_id, admin=admin), runtime.content.topic_label
            ),
        )
        return
    # Matching again takes as long as the first time: say so in the modal while it works.
    programme = proposals.programme_to_match(runtime.db, programme_id, user_id, admin=admin)  # refuses non-leads
    working = working_modal(runtime.content.message("match_working", programme=escape(programme.name)))
    if _fill_proposal_modal(runtime, view_id, working):
        _fill_proposal_modal(runtime, view_id, _new_proposal_view(runtime, programme_id, user_id, admin))


def answer_refusal(runtime: Runtime, body: dict[str, Any], respond: Respond | None, error: Exception) -> None:
    """The modal has no response_url, so the lead hears why in their DM; a malformed value is just refused."""
    answer_privately(runtime, body, respond, refusal_text(error, LEAD_ONLY))


def edit_pair(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    """A proposed pair's menu: remove it from the proposal, or never pair these two (and rerun)."""
    ack()
    user_id, programme_id, admin = lead_action(runtime, body)
    verb, _, raw_id = action_value(body).partition(":")
    try:
        proposal = proposals.current_proposal(runtime.db, programme_id, user_id, admin=admin)
        row = next((r for r in proposal.pairs if r.id == int(raw_id)), None)
        if row is None:
            raise NotFound("That pair is no longer in the proposal.")
        if verb == "profiles":
            runtime.gateway.push_view(str(body["trigger_id"]), profiles_modal(row, runtime.content.topic_label))
        elif verb == "forbid":
            proposals.set_rule(runtime.db, programme_id, row.mentor_id, row.mentee_id, "forbid", user_id, admin=admin)
            refresh(runtime, body["view"]["id"], programme_id, user_id, admin, rerun=True)
        else:
            proposals.remove_proposed_pair(runtime.db, programme_id, row.id, user_id, admin=admin)
            refresh(runtime, body["view"]["id"], programme_id, user_id, admin)
    except (NotAllowed, NotFound, ValueError) as error:
        answer_refusal(runtime, body, respond, error)


def rerun(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    ack()
    user_id, programme_id, admin = lead_action(runtime, body)
    try:
        refresh(runtime, body["view"]["id"], programme_id, user_id, admin, rerun=True)
    except (NotAllowed, NotFound) as error:
        answer_refusal(runtime, body, respond, error)


def open_swap(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    ack()
    user_id, programme_id, admin = lead_action(runtime, body)
    try:
        proposal = proposals.current_proposal(runtime.db, programme_id, user_id, admin=admin)
    except (NotAllowed, NotFound) as error:
        answer_refusal(runtime, body, respond, error)
        return
    runtime.gateway.push_view(body["trigger_id"], swap_modal(proposal, body["view"]["id"]))


def open_rule(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    ack()
    user_id, programme_id, admin = lead_action(runtime, body)
    try:
        proposals.current_proposal(runtime.db, programme_id, user_id, admin=admin)
    except (NotAllowed, NotFound) as error:
        answer_refusal(runtime, body, respond, error)
        return
    runtime.gateway.push_view(body["trigger_id"], rule_modal(programme_id, body["view"]["id"]))


def swap(ack: Ack, body: dict[str, Any], view: dict[str, Any], runtime: Runtime) -> None:
    user_id, programme_id, admin = lead_action(runtime, body)
    values = read_values(view)
    try:
        proposals.swap_partners(
            runtime.db,
            programme_id,
            parse_int(values.get("first")),
            parse_int(values.get("second")),
            user_id,
            admin=admin,
        )
    except FieldErrors as error:
        ack_field_errors(ack, error, view)
        return
    except (NotAllowed, NotFound) as error:
        ack_field_errors(ack, FieldErrors({"first": str(error)}), view)
        return
    ack()
    refresh(runtime, metadata(view)["parent"], programme_id, user_id, admin)


def save_rule(ack: Ack, body: dict[str, Any], view: dict[str, Any], runtime: Runtime) -> None:
    user_id, programme_id, admin = lead_action(runtime, body)
    values = read_values(view)
    try:
        proposals.set_rule(
            runtime.db,
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
    refresh(runtime, metadata(view)["parent"], programme_id, user_id, admin, rerun=True)


def approve(ack: Ack, body: dict[str, Any], view: dict[str, Any], runtime: Runtime) -> None:
    user_id, programme_id, admin = lead_action(runtime, body)
    try:
        approval = proposals.approve_proposal(runtime.db, programme_id, user_id, admin=admin)
    except (NotAllowed, NotFound) as error:
        ack()
        answer_refusal(runtime, body, None, error)
        return
    ack()
    for pair in approval.pairs:
        _, mentor, mentee = proposals.pair_with_partner(runtime.db, pair.id)
        for me, partner in ((mentor, mentee), (mentee, mentor)):
            text, blocks = matched_notice(runtime.content, approval.programme, me, partner, pair.id)
            tell(runtime, me.user_id, text, blocks)
    waiting_text = runtime.content.message("waiting_list", programme=escape(approval.programme.name))
    for enrolment in approval.waiting:
        tell(runtime, enrolment.user_id, waiting_text)
    tell(
        runtime,
        user_id,
        f"Approved {counted(len(approval.offers), 'match', 'matches')} in *{escape(approval.programme.name)}*: "
        "each mentor is asked "
        "privately first, and the mentee hears nothing until their mentor says yes. "
        f"{counted(len(approval.waiting), 'person', 'people')} told they are on the waiting list.",
    )


# ------------------------------------------------------------------------ a matched person's decline


def decline(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    """Private and reasonless: the decliner's message is replaced, the partner and the leads are told."""
    ack()
    content = runtime.content
    try:
        result = proposals.decline_match(runtime.db, int(action_value(body)), acting_user(body))
    except (NotAllowed, NotFound, ValueError) as error:
        answer_privately(runtime, body, respond, str(error))
        return
    name = escape(result.programme.name)
    answer_privately(runtime, body, respond, content.message("match_declined_self", programme=name), replace=True)
    if result.tell_partner:
        tell(runtime, result.partner_id, content.message("match_declined_partner", programme=name))
    for lead in result.lead_ids:
        tell(
            runtime,
            lead,
            f"{escape(result.decliner_name)} has stepped back from their pairing in *{escape(name)}*. Both people "
            "are back in the pool, and the other person was told only that the pairing has come to an end.",
        )


# ------------------------------------------------------------------------ mentor-first consent


def _answer_offer(body: dict[str, Any], respond: Respond, runtime: Runtime, *, accept: bool) -> None:
    user_id = acting_user(body)
    answer = consent.accept_offer if accept else consent.decline_offer
    try:
        result = answer(runtime.db, parse_int(action_value(body)), user_id)
    except (NotAllowed, NotFound) as error:
        answer_privately(runtime, body, respond, str(error))
        return
    text, blocks = offer_answered_message(runtime.content, result)
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
    try:
        admin = user_is_admin(runtime, user_id)
        programme = proposals.programme_to_match(runtime.db, parse_int(action_value(body)), user_id, admin=admin)
    except (NotAllowed, NotFound) as error:
        answer_privately(runtime, body, respond, str(error) if isinstance(error, NotFound) else LEAD_ONLY)
        return
    show_new_proposal(runtime, str(body.get("trigger_id") or ""), programme.id, programme.name, user_id)


def next_proposal_from_alert(ack: Ack, body: dict[str, Any], respond: Respond, runtime: Runtime) -> None:
    """"Open the next proposal" on a match that did not go ahead: recorded on the alert (every copy
    shows it), then matching runs again and the new proposal opens."""
    ack()
    user_id = acting_user(body)
    alert = parse_int(action_value(body))
    try:
        outcome = pair_alerts.next_proposal(runtime.db, alert, user_id, PAIR_ALERT_TEXTS)
        programme = proposals.programme_to_match(
            runtime.db, pair_alerts.alert_programme(runtime.db, alert), user_id, admin=user_is_admin(runtime, user_id)
        )
    except (NotAllowed, NotFound) as error:
        answer_privately(runtime, body, respond, str(error))
        return
    show_new_proposal(runtime, str(body.get("trigger_id") or ""), programme.id, programme.name, user_id)
    update_alert_copies(runtime, outcome)


LISTENERS = Listeners(
    commands={"match": match},
    actions=[
        (PROPOSAL_PAIR_MENU, edit_pair),
        (RERUN_MATCHING, rerun),
        (SWAP_PARTNERS, open_swap),
        (PIN_OR_FORBID, open_rule),
        (DECLINE_MATCH, decline),
        (ACCEPT_OFFER, accept_match_offer),
        (DECLINE_OFFER, decline_match_offer),
        (OPEN_NEXT_PROPOSAL, open_next_proposal),
        (NEXT_PROPOSAL, next_proposal_from_alert),
    ],
    views=[(SWAP_FORM, swap), (RULE_FORM, save_rule), (PROPOSAL_VIEW, approve)],
)
