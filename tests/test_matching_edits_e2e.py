"""The lead edits a proposal before approving: swap partners, pin, forbid, remove; and programme edits."""

from __future__ import annotations

from sqlalchemy import select

from bot.db import Database
from bot.emulator import view_text
from bot.errors import error_text
from bot.local_slack import LocalSlack, Person
from bot.models import MatchRule, Pair, Programme, ProposedPair
from tests.factory import create_programme, enrol, replay_view_action, texts_seen


def four_people(slack: LocalSlack) -> tuple[Person, dict[str, Person]]:
    admin, lead = slack.person("olu", is_admin=True), slack.person("lena", real_name="Lena Lead")
    create_programme(admin, [lead], name="Pilot", cross=False)
    people = {name: slack.person(name, real_name=name.title()) for name in ("amara", "ben", "diana", "evan")}
    enrol(people["amara"], "mentor", "Acme", "Finance", topics=["Gender"])
    enrol(people["ben"], "mentor", "Acme", "Operations", topics=["Disability"])
    enrol(people["diana"], "mentee", "Acme", "Strategy", topics=["Gender"])
    enrol(people["evan"], "mentee", "Acme", "Engineering", topics=["Disability"])
    return lead, people


def proposed(db: Database) -> set[tuple[str, str]]:
    with db.session() as session:
        return {(row.mentor_user_id, row.mentee_user_id) for row in session.scalars(select(ProposedPair))}


def test_swap_partners_keeps_the_rules(slack: LocalSlack, db: Database) -> None:
    lead, p = four_people(slack)
    lead.command("/mentoring", "match")
    ids = {name: person.user_id for name, person in p.items()}
    assert proposed(db) == {(ids["amara"], ids["diana"]), (ids["ben"], ids["evan"])}  # topics decide
    lead.click("Swap partners")
    assert lead.modal is not None and lead.modal["callback_id"] == "swap_partners"
    lead.fill({"First pair": "Amara with Diana", "Second pair": "Ben with Evan"})
    assert not lead.submit().errors
    assert proposed(db) == {(ids["amara"], ids["evan"]), (ids["ben"], ids["diana"])}
    shown = view_text(lead.modal or {})  # back on the refreshed proposal
    assert "*Amara* (mentor) with *Evan* (mentee)" in shown
    # Choosing the same pair twice is a field error, not a crash.
    lead.click("Swap partners")
    lead.fill({"First pair": "Amara with Evan", "Second pair": "Amara with Evan"})
    assert lead.submit().errors == {"second": error_text("matching.same_pair_twice")}


def test_a_swap_that_breaks_a_rule_is_refused(slack: LocalSlack, db: Database) -> None:
    admin, lead = slack.person("olu", is_admin=True), slack.person("lena")
    create_programme(admin, [lead], name="Pilot", cross=False)
    manager = slack.person("diana", real_name="Diana")
    amara = slack.person("amara", real_name="Amara")
    ben, evan = slack.person("ben", real_name="Ben"), slack.person("evan", real_name="Evan")
    enrol(amara, "mentor", "Acme", "Finance", manager=manager)
    enrol(ben, "mentor", "Acme", "Operations")
    enrol(manager, "mentee", "Acme", "Strategy")
    enrol(evan, "mentee", "Acme", "Engineering")
    lead.command("/mentoring", "match")
    assert proposed(db) == {(amara.user_id, evan.user_id), (ben.user_id, manager.user_id)}
    lead.click("Swap partners")
    lead.fill({"First pair": "Amara with Evan", "Second pair": "Ben with Diana"})
    errors = lead.submit().errors
    assert errors["second"] == error_text("matching.swap_breaks_rules", problems="Diana is Amara's manager")
    assert proposed(db) == {(amara.user_id, evan.user_id), (ben.user_id, manager.user_id)}


def test_pin_forbid_and_remove(slack: LocalSlack, db: Database) -> None:
    lead, p = four_people(slack)
    ids = {name: person.user_id for name, person in p.items()}
    lead.command("/mentoring", "match")
    lead.click("Pin or forbid a pair")
    lead.fill({"Mentor": ids["amara"], "Mentee": ids["evan"], "Rule": "Pin: always pair these two"})
    assert not lead.submit().errors
    assert (ids["amara"], ids["evan"]) in proposed(db)
    # A pin naming someone in the wrong role is a field error.
    lead.click("Pin or forbid a pair")
    lead.fill({"Mentor": ids["diana"], "Mentee": ids["evan"]})
    errors = lead.errors_by_label() if lead.submit().errors else {}
    assert errors["Mentor"] == error_text("matching.not_a_mentor")
    lead.close_modal()
    # Remove a pair from the proposal: both wait, with the reason.
    overflow_block = next(
        b for b in (lead.modal or {})["blocks"] if b.get("block_id", "").startswith("pair-") and "Ben" in str(b)
    )

    replay_view_action(
        lead,
        lead.modal or {},
        "proposal_pair",
        selected_option={"value": "remove:" + overflow_block["block_id"][5:]},
    )
    shown = view_text(lead.modal or {})
    assert "1 pair proposed, 2 people waiting" in shown
    assert "Removed from the proposal by a lead." in shown
    # Forbid the remaining pair: it is never proposed again.
    remaining = next(b for b in (lead.modal or {})["blocks"] if b.get("block_id", "").startswith("pair-"))
    replay_view_action(
        lead, lead.modal or {}, "proposal_pair", selected_option={"value": "forbid:" + remaining["block_id"][5:]}
    )
    with db.session() as session:
        kinds = {(r.mentor_user_id, r.mentee_user_id): r.kind for r in session.scalars(select(MatchRule))}
    assert kinds[(ids["amara"], ids["evan"])] == "forbid"
    assert (ids["amara"], ids["evan"]) not in proposed(db)
    lead.submit()
    with db.session() as session:
        made = {(pair.mentor_user_id, pair.mentee_user_id) for pair in session.scalars(select(Pair))}
    assert (ids["amara"], ids["evan"]) not in made


def test_leads_edit_the_programme_and_everyone_lists_it(slack: LocalSlack, db: Database) -> None:
    admin, lead = slack.person("olu", is_admin=True), slack.person("lena")
    create_programme(admin, [lead], name="Pilot")
    lead.command("/mentoring", "programme edit")
    assert lead.modal is not None
    assert "Edit programme" in view_text(lead.modal)
    lead.fill({"Programme name": "Pilot 2027", "Number of sessions": 8})
    assert not lead.submit().errors
    with db.session() as session:
        programme = session.scalars(select(Programme)).one()
        assert (programme.name, programme.planned_sessions) == ("Pilot 2027", 8)
    listing = slack.person("amara").command("/mentoring", "programmes").text
    assert "*Pilot 2027*: across organisations, 8 sessions" in listing
    # A participant who is not a lead cannot edit it by name, and the app says so.
    assert error_text("programmes.change_lead_only") in slack.person("zed").command(
        "/mentoring", "programme edit Pilot 2027"
    ).text

    assert "Usage: `/mentoring programme new`" in lead.command("/mentoring", "programme frobnicate").text


def test_profile_shows_private_parts_only_to_the_person(slack: LocalSlack, db: Database) -> None:
    admin, lead = slack.person("olu", is_admin=True), slack.person("lena")
    create_programme(admin, [lead], name="Pilot")
    amara = slack.person("amara")
    assert "You are not in a programme yet" in amara.command("/mentoring", "profile").text
    enrol(amara, "mentor", "Acme", "Finance", **{"Topics that are off limits for me": "MARKER-offlimits-42"})
    answer = amara.command("/mentoring", "profile")
    assert "MARKER-offlimits-42" in answer.text
    assert all(seen.kind == "ephemeral" for seen in amara.seen() if "MARKER-offlimits-42" in seen.text)
    assert "MARKER-offlimits-42" not in texts_seen(lead)
    amara.click("Edit my profile")
    assert amara.modal is not None
    amara.fill({"Organisation": "Acme Ltd"})
    assert not amara.submit().errors
    assert "Your profile in *Pilot* is updated." in texts_seen(amara)
