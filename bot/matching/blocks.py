"""The lead's match proposal, its edit forms, and the match notices people receive.

Names, organisations, departments and topics are people's words, and so are the proposal's reasons,
conflicts and waiting notes (plain sentences the matching service builds from them): every one goes
into mrkdwn through :func:`bot.blockkit.escape`.
"""

from __future__ import annotations

from typing import Any

from bot.blockkit import Block, actions, button, context, escape, header, plain, section
from bot.blockkit.forms import input_block, modal, option, radio, static_select, user_select
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
        f"{len(pairs)} pair(s) proposed, {len(waiting)} person(s) waiting. The match is optimal: "
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
                        "text": "You don't need to give a reason. Your partner is told only that the match "
                        "won't go ahead, and the programme lead will find you a new one.",
                    },
                    "confirm": plain("Decline"),
                    "deny": plain("Keep the match"),
                },
            }
        ),
        context("Only you can see this message."),
    ]
    return f"You've been matched with {escape(partner.real_name)} in {escape(programme.name)}", blocks
