"""The lead's match proposal, its edit forms, and the match notices people receive.

Names, organisations, departments and topics are people's words, and so are the proposal's reasons,
conflicts and waiting notes (plain sentences the matching service builds from them): every one goes
into mrkdwn through :func:`bot.blockkit.escape`.
"""

from __future__ import annotations

from typing import Any

from bot.blockkit import Block, actions, button, context, counted, escape, header, mrkdwn, plain, section
from bot.blockkit.forms import input_block, modal, option, radio, static_select, user_select
from bot.journey.blocks import when_text
from bot.matching.consent import Answer, OfferView
from bot.matching.proposals import Proposal
from bot.models import Enrolment, Programme
from bot.programmes.enrolment_blocks import ROLE_NAMES

PROPOSAL_VIEW = "match_proposal"
SWAP_FORM = "swap_partners"
RULE_FORM = "match_rule"
PAIRS_SHOWN = 40
WAITING_SHOWN = 25


def _pair_block(row: Any) -> Block:
    reasons = "\n".join(f"• {escape(reason)}" for reason in row.reasons[:4]) or "• Allowed under every rule"
    return section(
        f"*{escape(row.mentor_name)}* (mentor) with *{escape(row.mentee_name)}* (mentee), score {row.score:g}\n"
        + reasons,
        block_id=f"pair-{row.id}",
        accessory={
            "type": "overflow",
            "action_id": "proposal_pair",
            "options": [
                option("Remove from proposal", f"remove:{row.id}"),
                option("Never pair these two", f"forbid:{row.id}"),
            ],
        },
    )


def proposal_modal(proposal: Proposal) -> dict[str, Any]:
    pairs, waiting = proposal.pairs, proposal.waiting
    summary = (
        f"{counted(len(pairs), 'pair')} proposed, {counted(len(waiting), 'person', 'people')} waiting. "
        "The match is optimal: "
        "as many pairs as the rules allow, then the best total fit. Nobody is paired within their own "
        "reporting line or department, with someone they were paired with before, or against a private request."
    )
    blocks: list[Block] = [header(f"Matches for {proposal.programme_name}"[:150]), context(summary)]
    for conflict in proposal.conflicts[:5]:
        blocks.append(section(f":warning: {escape(conflict)}"))
    blocks += [_pair_block(row) for row in pairs[:PAIRS_SHOWN]]
    if len(pairs) > PAIRS_SHOWN:
        blocks.append(context(f"And {len(pairs) - PAIRS_SHOWN} more pairs, which are approved with these."))
    if waiting:
        lines = [
            f"• *{escape(w.name)}* ({ROLE_NAMES[w.role].lower()}): {escape(w.reason)}" for w in waiting[:WAITING_SHOWN]
        ]
        if len(waiting) > WAITING_SHOWN:
            lines.append(f"And {len(waiting) - WAITING_SHOWN} more.")
        text = "*Waiting for a match*\n" + "\n".join(lines)
        blocks.append(section(text[:2990]))
        blocks.append(context("On approval, everyone waiting is told privately that they are on the waiting list."))
    blocks.append(
        actions(
            button("Swap partners", "swap_partners"),
            button("Pin or forbid a pair", "pin_or_forbid"),
            button("Run matching again", "rerun_matching"),
        )
    )
    view = modal(
        PROPOSAL_VIEW,
        "Proposed matches",
        blocks,
        submit="Approve all" if pairs else None,
        close="Not now",
        metadata={"programme_id": proposal.programme_id},
    )
    return view


def swap_modal(proposal: Proposal, parent_view_id: str) -> dict[str, Any]:
    choices = [option(f"{r.mentor_name} with {r.mentee_name}"[:75], str(r.id)) for r in proposal.pairs[:100]]
    blocks = [
        section("Choose two pairs: their mentees swap places, if both new pairs keep every rule."),
        input_block("first", "First pair", static_select(choices, placeholder="Choose a pair")),
        input_block("second", "Second pair", static_select(choices, placeholder="Choose a pair")),
    ]
    return modal(
        SWAP_FORM,
        "Swap partners",
        blocks,
        submit="Swap",
        metadata={"programme_id": proposal.programme_id, "parent": parent_view_id},
    )


def rule_modal(programme_id: int, parent_view_id: str) -> dict[str, Any]:
    kinds = [
        option("Pin: always pair these two", "pin"),
        option("Forbid: never pair these two", "forbid"),
    ]
    blocks = [
        input_block("mentor", "Mentor", user_select(placeholder="Choose the mentor")),
        input_block("mentee", "Mentee", user_select(placeholder="Choose the mentee")),
        input_block("kind", "Rule", radio(kinds, "pin")),
        context("Matching runs again straight away with the new rule."),
    ]
    return modal(
        RULE_FORM,
        "Pin or forbid",
        blocks,
        submit="Save",
        metadata={"programme_id": programme_id, "parent": parent_view_id},
    )


def matched_notice(programme: Programme, me: Enrolment, partner: Enrolment, pair_id: int) -> tuple[str, list[Block]]:
    partner_role = ROLE_NAMES[partner.role].lower()
    details = ", ".join(escape(part) for part in (partner.title, partner.organisation) if part)
    pronouns = f" ({escape(partner.pronouns)})" if partner.pronouns else ""
    text = (
        f"You've been matched in *{escape(programme.name)}*. "
        f"Your {partner_role} is *{escape(partner.real_name)}*{pronouns}"
        + (f", {details}" if details else "")
        + ". I'll introduce you both shortly, with ideas for a first meeting."
    )
    blocks: list[Block] = [
        section(text),
        actions(
            {
                "type": "button",
                "text": plain("Decline or ask for a rematch"),
                "action_id": "decline_match",
                "value": str(pair_id),
                "confirm": {
                    "title": plain("Decline this match?"),
                    "text": {
                        "type": "mrkdwn",
                        "text": "You don't need to give a reason. Your partner is told only that the pairing "
                        "has come to an end, not who decided, and the programme lead will find you a new one.",
                    },
                    "confirm": plain("Decline"),
                    "deny": plain("Keep the match"),
                },
            }
        ),
        context("Only you can see this message."),
    ]
    return f"You've been matched with {escape(partner.real_name)} in {escape(programme.name)}", blocks


# ---------------------------------------------------------------------------------------------
# Mentor-first consent (bot.matching.consent): what the mentor, and then the lead, are shown.

ACCEPT_OFFER = "accept_match_offer"
DECLINE_OFFER = "decline_match_offer"
OPEN_NEXT_PROPOSAL = "open_next_proposal"


def _offer_buttons(offer_id: int) -> Block:
    decline = button("No, not this match", DECLINE_OFFER, str(offer_id))
    decline["confirm"] = {
        "title": plain("Decline this match?"),
        "text": mrkdwn(
            "You don't need to give a reason. They have not been told about this match and never will be; "
            "the programme lead will look for another match for you."
        ),
        "confirm": plain("Decline"),
        "deny": plain("Go back"),
    }
    return actions(button("Yes, I'd like this match", ACCEPT_OFFER, str(offer_id), style="primary"), decline)


def match_offer_message(view: OfferView, *, reminder: bool = False) -> tuple[str, list[Block]]:
    """The mentor's private offer: who, why, and until when; nothing reaches the mentee before a yes."""
    mentee = view.mentee
    details = ", ".join(escape(part) for part in (mentee.title, mentee.organisation) if part)
    name = escape(mentee.real_name or "A senior leader")
    reasons = "\n".join(f"• {escape(reason)}" for reason in view.reasons[:4]) or "• They fit every matching rule."
    deadline = when_text(view.deadline, view.mentor.tz)
    programme = escape(view.programme_name)
    if reminder:
        opening = f"A gentle reminder: a proposed match in *{programme}* is waiting for your answer."
    else:
        opening = f"The programme lead would like to match you in *{programme}*. You decide first."
    text = (
        f"{opening}\nYour proposed mentee is *{name}*" + (f", {details}" if details else "") + ".\n\n"
        f"*Why this match*\n{reasons}"
    )
    blocks: list[Block] = [
        section(text),
        section(
            f"Please answer by {deadline}. They don't know about this yet: they hear of it only if you say yes, "
            "and never if you say no. Saying no needs no reason and is completely fine."
        ),
        _offer_buttons(view.offer_id),
        context("Only you can see this message."),
    ]
    fallback = "Reminder: a proposed match is waiting for your answer" if reminder else "You have a proposed match"
    return f"{fallback} in {escape(view.programme_name)}", blocks


def offer_answered_message(answer: Answer) -> tuple[str, list[Block]]:
    programme = escape(answer.programme_name)
    if answer.accepted:
        text = (
            f"Thank you for saying yes. I'll introduce you both in *{programme}* shortly, "
            "with ideas for a first meeting."
        )
    else:
        text = (
            f"Thank you for letting me know. This match in *{programme}* won't go ahead, and they will never "
            "be told about it. The programme lead will look for another match for you."
        )
    return text, [section(text), context("Only you can see this message.")]


def not_going_ahead_message(view: OfferView) -> tuple[str, list[Block]]:
    """To the lead: neutral (not who decided, nor whether it was a no or no answer), with the next step."""
    mentor, mentee = escape(view.mentor.real_name or "the mentor"), escape(view.mentee.real_name or "the mentee")
    text = (
        f"A proposed match in *{escape(view.programme_name)}* did not go ahead ({mentor} with {mentee}). "
        "Run the match again to get the next proposal for both people. They won't be proposed to each other again, "
        "and the mentee was never told about this match."
    )
    blocks: list[Block] = [
        section(text),
        actions(button("Open the next proposal", OPEN_NEXT_PROPOSAL, str(view.mentor.programme_id), style="primary")),
    ]
    return "A proposed match did not go ahead: run the match again", blocks
