"""The lead's match proposal, its edit forms, and the match notices people receive.

Names, organisations, departments and topics are people's words, and so are the proposal's reasons,
conflicts and waiting notes (plain sentences the matching service builds from them): every one goes
into mrkdwn through :func:`bot.blockkit.escape`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.blockkit import (
    Block,
    actions,
    button,
    context,
    counted,
    divider,
    escape,
    header,
    mrkdwn,
    plain,
    section,
    sections,
    verbatim,
)
from bot.blockkit.forms import input_block, modal, option, radio, static_select, user_select
from bot.content import Content
from bot.journey.blocks import when_text
from bot.matching.consent import Answer, OfferView
from bot.matching.proposals import LeadProfile, Proposal, ProposalRow
from bot.models import Enrolment, Programme
from bot.programmes.enrolment_blocks import ROLE_NAMES

PROPOSAL_VIEW = "match_proposal"
WORKING_VIEW = "match_working"
SWAP_FORM = "swap_partners"
RULE_FORM = "match_rule"
PAIRS_SHOWN = 40
WAITING_SHOWN = 25


PROFILES_FORM = "proposal_profiles"
SUMMARY_MAX = 160  # title, organisation and department on the proposal's line, per person
REASON_MAX = 400
REASONS_SHOWN = 5


TopicLabel = Callable[[str], str]


def _same(topic: str) -> str:
    return topic


def _reason_words(reason: str, label: TopicLabel) -> str:
    """The engine names topics by their ids: the topics reason lists them after its last colon."""
    if "topic" not in reason or ": " not in reason:
        return reason
    head, _, listed = reason.rpartition(": ")
    return f"{head}: " + ", ".join(label(topic.strip()) for topic in listed.split(","))


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _person_line(name: str, profile: LeadProfile | None) -> str:
    summary = _clip(profile.summary, SUMMARY_MAX) if profile is not None else ""
    return f"{escape(_clip(name, 80))}: {escape(summary)}" if summary else ""


def _pair_block(row: ProposalRow, label: TopicLabel = _same) -> Block:
    """One proposed pair: who each person is (what the lead may see), why in words, then the score.

    Long words are clipped here so a pair always fits one section; "View both profiles" opens
    everything the lead may see, in full."""
    reasons = "\n".join(
        f"• {escape(_clip(_reason_words(reason, label), REASON_MAX))}" for reason in row.reasons[:REASONS_SHOWN]
    )
    people = (_person_line(row.mentor_name, row.mentor), _person_line(row.mentee_name, row.mentee))
    text = (
        f"*{escape(_clip(row.mentor_name, 80))}* (mentor) with *{escape(_clip(row.mentee_name, 80))}* (mentee)\n"
        + "".join(f"{line}\n" for line in people if line)
        + "*Why this match*\n"
        + (reasons or "• Allowed under every rule")
        + f"\n_Fit score {row.score:g}, from the reasons above_"
    )
    return section(
        text,
        block_id=f"pair-{row.id}",
        accessory={
            "type": "overflow",
            "action_id": "proposal_pair",
            "options": [
                option("View both profiles", f"profiles:{row.id}"),
                option("Remove from proposal", f"remove:{row.id}"),
                option("Never pair these two", f"forbid:{row.id}"),
            ],
        },
    )


def _profile_blocks(profile: LeadProfile, label: TopicLabel) -> list[Block]:
    role = ROLE_NAMES.get(profile.role, profile.role)
    facts = [
        ("Title", profile.title),
        ("Organisation", profile.organisation),
        ("Department or function", profile.department),
        ("Topics", ", ".join(label(topic) for topic in profile.topics)),
    ]
    lines = [f"*{name}:* {escape(_clip(value, 600))}" for name, value in facts if value]
    blocks: list[Block] = [
        header(f"{profile.name} ({role.lower()})"),
        section("\n".join(lines) or "_No profile details yet._"),
    ]
    for name, words in (("What they can bring", profile.can_bring), ("What they hope to get", profile.hope_to_get)):
        if words:
            blocks += [context(f"*{name}*"), verbatim(words)]
    return blocks


def profiles_modal(row: ProposalRow, label: TopicLabel = _same) -> dict[str, Any]:
    """Both people's profiles as the lead may see them (DESIGN section 4), pushed over the proposal."""
    blocks: list[Block] = []
    for profile in (row.mentor, row.mentee):
        if profile is not None:
            blocks += _profile_blocks(profile, label)
            blocks.append(divider())
    blocks.append(
        section(
            "*Why this match*\n"
            + "\n".join(f"• {escape(_clip(_reason_words(r, label), REASON_MAX))}" for r in row.reasons[:6])
        )
    )
    blocks.append(
        context(
            f"Fit score {row.score:g}. You see what programme leads may see of a profile; off-limits topics, "
            "a mentee's inclusion statement and anyone's \"please don't pair me with\" stay private."
        )
    )
    return modal(PROFILES_FORM, "Proposed pair", blocks, submit=None, close="Back")


def proposal_modal(proposal: Proposal, label: TopicLabel = _same) -> dict[str, Any]:
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
    blocks += [_pair_block(row, label) for row in pairs[:PAIRS_SHOWN]]
    if len(pairs) > PAIRS_SHOWN:
        blocks.append(context(f"And {len(pairs) - PAIRS_SHOWN} more pairs, which are approved with these."))
    if waiting:
        lines = [
            f"• *{escape(w.name)}* ({ROLE_NAMES[w.role].lower()}): {escape(w.reason)}" for w in waiting[:WAITING_SHOWN]
        ]
        if len(waiting) > WAITING_SHOWN:
            lines.append(f"And {len(waiting) - WAITING_SHOWN} more.")
        text = "*Waiting for a match*\n" + "\n".join(lines)
        blocks += sections(text)
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


def working_modal(text: str) -> dict[str, Any]:
    """The small modal `/mentoring match` opens at once (trigger ids expire in 3 seconds), before the
    proposal is worked out; ``text`` is app-authored mrkdwn (people's words escaped): "working on it",
    or why there is no proposal."""
    return modal(WORKING_VIEW, "Proposed matches", [section(text)], submit=None, close="Close")


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


def matched_notice(
    content: Content, programme: Programme, me: Enrolment, partner: Enrolment, pair_id: int
) -> tuple[str, list[Block]]:
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
        context(content.promise("this-message")),
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


def match_offer_message(content: Content, view: OfferView, *, reminder: bool = False) -> tuple[str, list[Block]]:
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
        context(content.promise("this-message")),
    ]
    fallback = "Reminder: a proposed match is waiting for your answer" if reminder else "You have a proposed match"
    return f"{fallback} in {escape(view.programme_name)}", blocks


def offer_answered_message(content: Content, answer: Answer) -> tuple[str, list[Block]]:
    programme = escape(answer.programme_name)
    if answer.accepted:
        text = (
            f"Thank you for saying yes. I'll introduce you both in *{programme}* shortly, "
            "with ideas for a first meeting."
        )
    else:
        text = (
            f"Thank you for letting me know. This match in *{programme}* won't go ahead. "
            f"{content.promise('offer-declined-reply')} The programme lead will look for another match for you."
        )
    return text, [section(text), context(content.promise("this-message"))]


def not_going_ahead_text(view: OfferView) -> str:
    """To the lead: neutral (not who decided, nor whether it was a no or no answer), with the next step."""
    mentor, mentee = escape(view.mentor.real_name or "the mentor"), escape(view.mentee.real_name or "the mentee")
    return (
        f"A proposed match in *{escape(view.programme_name)}* did not go ahead ({mentor} with {mentee}). "
        "Run the match again to get the next proposal for both people. They won't be proposed to each other again."
    )


def not_going_ahead_message(content: Content, view: OfferView) -> tuple[str, list[Block]]:
    """The alert without the lead's actions (older rows): the next proposal, one click away."""
    text = not_going_ahead_text(view)
    blocks: list[Block] = [
        section(text),
        context(content.promise("offer-not-told")),
        actions(button("Open the next proposal", OPEN_NEXT_PROPOSAL, str(view.mentor.programme_id), style="primary")),
    ]
    return "A proposed match did not go ahead: run the match again", blocks
