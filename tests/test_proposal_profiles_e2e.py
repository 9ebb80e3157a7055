"""Issue 14, item 6: matching with eyes open, and the lead's guide for every new lead.

The lead's proposal shows, for each person, what a programme lead may see of their profile (role,
organisation, department, title, what they bring, what they hope to get, topics), the reasons in
words and the score beside them; "View both profiles" pushes everything the lead may see. The
private parts (off-limits topics, the mentee's inclusion statement and understanding gap, and
"please don't pair me with") never appear. Every new lead and backup lead gets the lead's guide
once, and it warns about the mentor's line manager as well as the mentee's.
"""

from __future__ import annotations

import json

from freezegun import freeze_time
from sqlalchemy import select

from bot.db import Database
from bot.emulator import view_text
from bot.local_slack import LocalSlack
from bot.models import OutboxMessage
from tests.factory import MONDAY, create_programme, enrol, make_cast, replay_view_action

OFF_LIMITS = "OFFLIMITS-CANARY my divorce"
INCLUSION = "INCLUSION-CANARY we are far behind"
GAP = "GAP-CANARY how new starters feel"
BRINGS = "Five years on the front line <!channel> of customer service " + "x" * 1900
HOPES = "A view from the floor <@U999999> and <https://evil.example|a link>"


def test_the_proposal_shows_what_the_lead_may_see_and_nothing_private(slack: LocalSlack, db: Database) -> None:
    cast = make_cast(slack)
    create_programme(cast.admin, [cast.lead])
    enrol(
        cast.mentor,
        "mentor",
        "Acme",
        "Finance",
        topics=["Race and ethnicity", "Disability"],
        **{
            "What I can bring": BRINGS,
            "Topics that are off limits for me": OFF_LIMITS,
            "Please don't pair me with": [cast.outsider.user_id],
        },
    )
    enrol(
        cast.mentee,
        "mentee",
        "Globex",
        "Strategy",
        topics=["Race and ethnicity"],
        **{
            "What I hope to get out of it": HOPES,
            "Mentees: the state of inclusion in my part of the business today": INCLUSION,
            "Mentees: the gap in understanding I hope to close": GAP,
            "Please don't pair me with": [cast.outsider.user_id],
        },
    )
    cast.lead.command("/mentoring", "match")
    proposal = cast.lead.modal or {}
    shown = view_text(proposal)
    for words in ("Data Analyst", "Acme", "Finance", "Chief Financial Officer", "Globex", "Strategy"):
        assert words in shown, words
    assert "Different organisations: Acme and Globex" in shown
    assert "Different functions: Finance and Strategy" in shown
    assert "Race and ethnicity" in shown, "the shared topic, named"
    assert "Fit score" in shown, "the score is still there, beside the reasons"

    pair_block = next(b for b in proposal["blocks"] if str(b.get("block_id", "")).startswith("pair-"))
    options = [o["text"]["text"] for o in pair_block["accessory"]["options"]]
    assert options[0] == "View both profiles"
    # The overflow menu's first option (the simulated person cannot pick overflow options by label).
    replay_view_action(
        cast.lead, proposal, "proposal_pair", selected_option=pair_block["accessory"]["options"][0]
    )
    stack = slack.emulator.view_stack(cast.lead.user_id)
    assert len(stack) == 2, "pushed over the proposal, which stays open"
    profiles = stack[-1]
    text = view_text(profiles)
    assert "Five years on the front line" in text and "x" * 1900 in text, "what they bring, in full"
    assert "A view from the floor" in text and "Disability" in text

    # Nothing private reaches the lead in any view or message, and people's markup stays inert.
    everything = json.dumps([call.args for call in slack.emulator.calls if cast.lead.user_id in json.dumps(call.args)])
    lead_views = json.dumps(stack) + json.dumps([s.blocks for s in cast.lead.seen()])
    for secret in ("OFFLIMITS-CANARY", "INCLUSION-CANARY", "GAP-CANARY", cast.outsider.user_id, "Oscar"):
        assert secret not in lead_views, secret
        assert secret not in everything or secret == cast.outsider.user_id, secret
    assert "<!channel>" not in json.dumps(proposal) and "<@U999999>" not in json.dumps(proposal)
    assert "<https://evil.example" not in json.dumps(proposal)


def test_a_long_proposal_stays_within_block_kit_limits(slack: LocalSlack, db: Database) -> None:
    long = "L" * 135
    with freeze_time(MONDAY.replace(hour=10)):
        cast = make_cast(slack)
        create_programme(cast.admin, [cast.lead])
        for i in range(45):
            mentor = slack.person(f"m{i}", real_name=f"Mentor {i} " + "N" * 60, title="T" * 140)
            mentee = slack.person(f"e{i}", real_name=f"Mentee {i}", title="Director")
            enrol(mentor, "mentor", f"Org{i} {long}", f"Dept {long}", topics=["Race and ethnicity"])
            enrol(mentee, "mentee", f"Other{i} {long}", f"Strategy {long}", topics=["Race and ethnicity"])
            # Ninety people enrol over a few minutes, not in one: Slack's limits (Tier 3 for opening
            # their DMs) are on, counted on this simulated time.
            slack.pass_time(3)
        cast.lead.command("/mentoring", "match")
    proposal = cast.lead.modal
    assert proposal is not None, "Slack accepted the view (the emulator validates Block Kit as Slack does)"
    assert len(proposal["blocks"]) <= 100
    for block in proposal["blocks"]:
        if block.get("type") == "section":
            assert len(block["text"]["text"]) <= 3000


def test_every_new_lead_gets_the_leads_guide_once_and_it_warns_about_both_managers(
    slack: LocalSlack, db: Database
) -> None:
    cast = make_cast(slack)
    backup = slack.person("bola", real_name="Bola Backup")
    create_programme(cast.admin, [cast.lead], **{"Backup lead": backup.user_id})
    slack.deliver()
    for lead in (cast.lead, backup):
        guides = [s for s in lead.dms() if "Your guide as a programme lead" in json.dumps(s.blocks)]
        assert len(guides) == 1, lead.name
        words = json.dumps(guides[0].blocks)
        assert "mentor's line manager" in words and "either person's manager chain" in words
    assert "backup lead" in next(s.text for s in backup.dms() if "guide" in s.text.lower())

    # Saving the settings again (or Slack replaying the form) sends nothing more; a new lead gets one.
    newcomer = slack.person("nia", real_name="Nia New")
    cast.admin.command("/mentoring", "programme edit Inclusive Leadership")
    cast.admin.fill({"Programme leads": [cast.lead.user_id, newcomer.user_id]})
    assert not cast.admin.submit().errors
    slack.deliver()
    with db.session() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "lead_guide")).all()
        assert sorted(r.recipient_user_id or "" for r in rows) == sorted(
            [cast.lead.user_id, backup.user_id, newcomer.user_id]
        )
    assert len([s for s in cast.lead.dms() if "Your guide as a programme lead" in json.dumps(s.blocks)]) == 1
    assert any("Your guide as a programme lead" in json.dumps(s.blocks) for s in newcomer.dms())
    for person in (cast.mentor, cast.mentee, cast.outsider):
        assert not any("Your guide as a programme lead" in json.dumps(s.blocks) for s in person.seen())
