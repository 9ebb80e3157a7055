"""Block Kit for pair alerts: the lead's buttons, what has been done, the check-in form and message.

Names go only into plain text (button labels); mrkdwn holds the app's own mentions (``<@U…>``).
The check-in's words are shown to their addressee only, as plain text, exactly as the lead typed.
"""

from __future__ import annotations

from typing import Any

from bot.blockkit import Block, actions, button, context, escape, section
from bot.blockkit.forms import input_block, modal, text_input
from bot.concerns.blocks import user_text, when
from bot.concerns.pair_alerts import (
    CHECK_IN_MAX,
    AlertOutcome,
    CheckInMessage,
    CheckInTarget,
    DoneAction,
    PairAlertState,
)
from bot.content import Content

# Every button's value is the alert id (the outbox row that posted the message).
CHECK_IN = {"mentor": "pair_alert_check_in_mentor", "mentee": "pair_alert_check_in_mentee"}
PAUSE = "pair_alert_pause"
RESUME = "pair_alert_resume"
NEXT_PROPOSAL = "pair_alert_next_proposal"  # a match that did not go ahead: open the next proposal
REMATCH = "pair_alert_rematch"
HANDLED = "pair_alert_handled"
CHECK_IN_FORM = "pair_alert_check_in_form"


def _done_line(done: DoneAction) -> str:
    who = f"<@{done.actor_user_id}>"
    what = {
        "check_in": f"checked in privately with <@{done.addressee_user_id}>",
        "paused": "paused the pair",
        "resumed": "resumed the pair",
        "next_proposal": "opened the next proposal",
        "rematched": "ended the pair and put both people back in the pool",
        "handled": "marked this handled",
    }.get(done.action, done.action.replace("_", " "))
    return f":white_check_mark: {who} {what} · {when(done.at)}"


def pair_alert_buttons(state: PairAlertState) -> list[Block]:
    """The lead's actions on a pair alert, as far as the pair's state allows (none once handled)."""
    if state.handled_by is not None:
        return []
    alert = str(state.alert_id)
    elements = [
        button(f"Check in with {state.mentor.name or 'the mentor'}", CHECK_IN["mentor"], alert),
        button(f"Check in with {state.mentee.name or 'the mentee'}", CHECK_IN["mentee"], alert),
    ]
    if state.is_offer:
        elements.append(button("Open the next proposal", NEXT_PROPOSAL, alert))
    if state.pair_status == "active":
        elements.append(button("Pause the pair", PAUSE, alert))
    if state.paused_here:
        elements.append(button("Resume the pair", RESUME, alert))
    if state.pair_status in {"active", "paused"}:
        rematch = button("Rematch", REMATCH, alert, style="danger")
        rematch["confirm"] = {
            "title": {"type": "plain_text", "text": "End this pair?"},
            "text": {
                "type": "plain_text",
                "text": "The pair ends and both people go back in the pool for a new match. Both are told neutrally.",
            },
            "confirm": {"type": "plain_text", "text": "End the pair"},
            "deny": {"type": "plain_text", "text": "Keep it"},
        }
        elements.append(rematch)
    elements.append(button("Mark handled", HANDLED, alert, style="primary"))
    return [actions(*elements, block_id=f"pair_alert:{alert}")]


def pair_alert_message(content: Content, text: str, state: PairAlertState | None) -> list[Block]:
    """A pair alert's blocks: its text, what has been done (by whom, when), and the buttons left."""
    blocks: list[Block] = [section(text)]
    if state is None:
        return blocks
    lines = [_done_line(done) for done in state.done]
    if lines:
        blocks.append(context(*lines[-10:]))
    blocks += pair_alert_buttons(state)
    if state.is_offer:
        not_told = content.promise("offer-not-told")
        if state.handled_by is None:
            not_told = (
                f"Only this programme's leads can act on this. {not_told} A check-in with them must not "
                "mention it, or who it was."
            )
        blocks.append(context(not_told))
    elif state.handled_by is None:
        blocks.append(context(f"Only this programme's leads can act on this. {content.promise('check-in-alert')}"))
    return blocks


def check_in_form(content: Content, target: CheckInTarget) -> dict[str, Any]:
    if target.about_offer and target.role == "mentee":
        note = (
            f"Your message goes privately to <@{target.person.user_id}>'s DM, from you as the programme lead "
            f"of {escape(target.programme_name)}. {content.promise('offer-check-in-form')}"
        )
    elif target.about_offer:
        note = (
            f"Your message goes privately to <@{target.person.user_id}>'s DM, from you as the programme lead "
            f"of {escape(target.programme_name)}. Saying no needed no reason: please don't ask for one."
        )
    else:
        note = (
            f"Your message goes privately to <@{target.person.user_id}>'s DM, from you as the programme lead "
            f"of {escape(target.programme_name)}. "
            + content.promise("check-in-form", partner=f"<@{target.partner.user_id}>")
        )
    blocks = [
        section(note),
        input_block(
            "message",
            "Your message",
            text_input(
                multiline=True,
                max_length=CHECK_IN_MAX,
                placeholder="For example: how are things going? I'm here if you'd like to talk.",
            ),
        ),
    ]
    return modal(
        CHECK_IN_FORM,
        "Check in privately",
        blocks,
        submit="Send privately",
        metadata={"alert_id": target.alert_id, "role": target.role},
    )


def outcome_note(content: Content, outcome: AlertOutcome) -> str:
    """The note to the lead who acted on an alert, ending with its visibility promise if it has one."""
    if outcome.promise is None:
        return outcome.message
    return f"{outcome.message} {content.promise(outcome.promise)}".strip()


def check_in_sent_view(message: str) -> dict[str, Any]:
    return modal(CHECK_IN_FORM + "_sent", "Sent privately", [section(message)], submit=None, close="Done")


def check_in_delivery(content: Content, message: CheckInMessage) -> tuple[str, list[Block]]:
    """What the addressee sees in their DM: from the programme lead, for them alone."""
    intro = f"*A private message from <@{message.lead_id}>, your programme lead in {escape(message.programme_name)}*"
    text = f"A private message from your programme lead in {message.programme_name}"
    return text, [
        section(intro),
        *user_text(message.message),
        context(
            f"{content.promise('check-in' if message.has_partner else 'this-reply')} "
            "Reply to your programme lead directly."
        ),
    ]
