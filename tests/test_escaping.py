"""Escaping by construction: people's words are shown as written and never mention, notify or link.

Every field a person or a Slack profile fills carries the canaries ``<!channel>``, ``<@U0CANARY>``
and ``<https://evil.example/sso|Confirm your match>``. The flows run through the emulator, and then
every payload the app sent in the test (each Web API call, response_url post, acknowledgement and
``response_action`` view) is checked: in mrkdwn, only the escaped form may appear.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from freezegun import freeze_time
from sqlalchemy import select

from bot.blockkit import context, escape, mention, name_or_mention, section
from bot.clock import now
from bot.db import Database
from bot.local_slack import LocalSlack, Person
from bot.models import MentoringSession, Pair, Programme
from bot.sessions import service as sessions
from tests.canary import CANARY, ESCAPED, MARKERS, PayloadSpy, assert_nothing_leaked, canary, leaks, payloads
from tests.factory import accept_offers, create_programme, enrol

MONDAY_MORNING = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)
EVENT_DAY = "2027-03-10"
SHOWN = ESCAPED["<!channel>"]

# Spots in handlers/ that build mrkdwn from people's words themselves (not through a builder).
# Each must still leak, so fixing one makes assert_nothing_leaked ask for its removal here.
HANDLER_LEAKS_PROGRAMME: tuple[str, ...] = ()  # none left: handlers escape people's words too
HANDLER_LEAKS_SPEED: tuple[str, ...] = ()


def contract_answers() -> dict[str, str]:
    return {
        "How often and how long you will meet": canary("Every four weeks"),
        "Confidentiality": canary("Nothing leaves the room"),
        "Topics that are off limits": canary("Family"),
        "How you will give each other honest feedback": canary("What should I hear?"),
        "What you will do if it's not working": canary("Say so"),
        "The mentee's goals": canary("Change one hiring process"),
        "The mentor's goals": canary("Present once"),
    }


def sent_to(slack: LocalSlack, method: str, match: Callable[[dict[str, Any]], bool] = lambda args: True) -> str:
    """Everything the app sent with ``method`` (whose args satisfy ``match``), as one string."""
    return "\n".join(str(call.args) for call in slack.emulator.calls_to(method) if match(call.args))


def in_dm(slack: LocalSlack, person: Person) -> Callable[[dict[str, Any]], bool]:
    return lambda args: args.get("channel") in (person.user_id, slack.emulator.im_channel(person.user_id))


def hold_first_session(db: Database, pair_id: int, programme_id: int, booked_by: str) -> None:
    """A first session that took place an hour ago, confirmed through the sessions service."""
    with db.session() as session:
        row = MentoringSession(
            pair_id=pair_id,
            programme_id=programme_id,
            number=1,
            starts_at=now() - timedelta(hours=2),
            ends_at=now() - timedelta(hours=1),
            status="booked",
            ics_uid=f"{uuid.uuid4()}@test",
            booked_by=booked_by,
        )
        session.add(row)
        session.flush()
        session_id = row.id
    sessions.record_answer(db, session_id, booked_by, "yes")


def test_the_helpers_escape_people_and_keep_the_apps_own_markup() -> None:
    assert escape("Fish & Chips <b> <!here>") == "Fish &amp; Chips &lt;b&gt; &lt;!here&gt;"
    assert escape(None) == ""
    assert mention("U123ABC") == "<@U123ABC>"
    assert mention("<!channel>") == "&lt;!channel&gt;", "only an id becomes a mention"
    assert name_or_mention("", "U9") == "<@U9>" and name_or_mention("<!here>", "U9") == "&lt;!here&gt;"
    block = section(f"*{escape(CANARY)}* {mention('U1')}")
    found = leaks([("test", {"blocks": [block, context(escape(CANARY))]})])
    assert found == []
    # The check itself catches a raw marker in mrkdwn, and a marker escaped twice anywhere...
    raw = leaks([("test", {"text": CANARY, "blocks": [section(escape(escape(CANARY)))]})])
    assert {leak.problem for leak in raw} == {f"raw {m}" for m in MARKERS} | {"escaped twice"}
    # ...and leaves plain_text, typed values and button values alone: Slack never reads those as markup.
    quiet = {
        "type": "modal",
        "title": {"type": "plain_text", "text": CANARY},
        "private_metadata": CANARY,
        "blocks": [{"type": "input", "element": {"type": "plain_text_input", "initial_value": CANARY}}],
    }
    assert leaks([("views.open", {"view": quiet})]) == []


def test_no_persons_words_become_markup_on_any_programme_surface(slack: LocalSlack, db: Database) -> None:
    spy = PayloadSpy(slack.emulator)
    with freeze_time(MONDAY_MORNING) as clock:
        admin = slack.person("olu", real_name=canary("Olu"), title=canary("Admin"), is_admin=True)
        lead = slack.person("lena", real_name=canary("Lena"), title=canary("Lead"))
        mentor = slack.person("amara", real_name=canary("Amara"), title=canary("Analyst"))
        mentee = slack.person("diana", real_name=canary("Diana"), title=canary("Chief Financial Officer"))
        create_programme(
            admin,
            [lead],
            name=canary("P")[:80],
            **{"Description": canary("About"), "Support resources": canary("Our EAP")},
        )
        profile = {
            "Pronouns": "<!channel> <@U0CANARY>",
            "What I can bring": canary("Lived experience"),
            "What I hope to get out of it": canary("A view from the top"),
            "Topics that are off limits for me": canary("My health"),
        }
        enrol(mentor, "mentor", canary("Acme"), canary("Finance"), **profile)
        enrol(
            mentee,
            "mentee",
            canary("Globex"),
            canary("Strategy"),
            **profile,
            **{
                "Mentees: the state of inclusion in my part of the business today": canary("Early days"),
                "Mentees: the gap in understanding I hope to close": canary("New starters"),
            },
        )
        mentor.command("/mentoring", "profile")

        # The lead's proposal, with its reasons (built from names, organisations and departments).
        lead.command("/mentoring", "match")
        assert lead.modal is not None and lead.modal["callback_id"] == "match_proposal"
        assert lead.submit().ok, "Approve all"
        assert accept_offers(slack, mentor) == 1  # the mentor says yes first, privately
        slack.deliver()  # the match notices, the introduction and the briefings

        # Both App Homes: each participant's and the lead's dashboard.
        for person in (mentor, mentee, lead):
            person.open_home()

        # The contract, drafted and agreed by both; pinned in the pair's conversation.
        mentee.click("Agree our ways of working")
        mentor.command("/mentoring", "contract")
        mentor.fill(contract_answers())
        assert mentor.submit().ok
        mentor.click("I agree to this contract")
        mentee.command("/mentoring", "contract")
        mentee.click("I agree to this contract")
        slack.deliver()

        # The agenda: the mentee sets it, the mentor adds to it.
        mentee.command("/mentoring", "agenda")
        mentee.fill({"What would you like to talk about?": canary("Promotions")})
        assert mentee.submit().ok
        mentor.click("Add to the agenda")
        mentor.fill({"Anything you would like to add?": canary("Hybrid working")})
        assert mentor.submit().ok

        # A held session: reflections, the takeaways shared with the partner; the Home again.
        with db.session() as session:
            pair = session.scalars(select(Pair)).one()
            pair_id, programme_id = pair.id, pair.programme_id
        hold_first_session(db, pair_id, programme_id, mentor.user_id)
        slack.deliver()
        mentee.click("Write my reflection")
        mentee.fill(
            {
                "Key takeaways": canary("Listen more"),
                "What I will do differently": canary("Ask first"),
                "Share with my partner": True,
            }
        )
        assert mentee.submit().ok
        slack.deliver()
        mentee.open_home()
        mentee.command("/mentoring", "reflections")

        # A concern: the lead's alert, the lead's modal, closing it with an outcome note.
        mentor.command("/mentoring", "concern")
        mentor.fill(
            {
                "What would you like the programme lead to know?": canary("Something happened"),
                "How soon do you need a response?": "This week",
                "How would you like to raise it?": "named",
                "What would help?": canary("A quiet word"),
            }
        )
        assert mentor.submit().ok
        slack.deliver()
        alert = next(s for s in lead.dms() if s.has_button("Open"))
        lead.click("Open", in_message=alert)
        lead.click("Close with an outcome note")
        lead.fill({"Outcome note": canary("Talked it through")})
        assert lead.submit().ok
        slack.deliver()

        # The lead's report, and the Home once more.
        lead.command("/mentoring", "report")
        clock.tick(timedelta(minutes=1))
        slack.deliver()
        lead.open_home()

    # Nothing anyone wrote became a mention, a ping or a link...
    assert_nothing_leaked(slack.emulator, spy, known=HANDLER_LEAKS_PROGRAMME)
    # ...and it was all shown, escaped, on each surface (so the check above had something to check).
    posts_to = {who: sent_to(slack, "chat.postMessage", in_dm(slack, who)) for who in (mentor, mentee, lead)}
    assert SHOWN in posts_to[mentor] and "You've been matched" in posts_to[mentor], "the match notice"
    assert "Meet your reverse mentoring partner" in sent_to(slack, "chat.postMessage", lambda a: SHOWN in str(a))
    assert SHOWN in sent_to(slack, "views.open", lambda a: a["view"].get("callback_id") == "match_working")
    assert SHOWN in sent_to(slack, "views.update", lambda a: a["view"].get("callback_id") == "match_proposal")
    for person in (mentor, mentee, lead):
        assert SHOWN in sent_to(slack, "views.publish", lambda a, p=person: a.get("user_id") == p.user_id)
    assert "A concern has been raised in" in posts_to[lead] and SHOWN in posts_to[lead], "the concern alert"
    assert "Report for" in posts_to[lead]
    assert any(SHOWN in str(args) for where, args in payloads(slack.emulator, spy) if where == "ack")
    with db.session() as session:
        assert session.scalars(select(Programme.name)).one() == canary("P")[:80], "stored as typed"


# ------------------------------------------------------------------------------------ speed event


def test_no_persons_words_become_markup_in_a_speed_event(slack: LocalSlack, db: Database) -> None:
    spy = PayloadSpy(slack.emulator)
    cast = {
        "amara": ("mentor", "Acme"),
        "ben": ("mentor", "Globex"),
        "diana": ("mentee", "Globex"),
        "evan": ("mentee", "Acme"),
    }
    with freeze_time(datetime(2027, 3, 1, 9, 0, tzinfo=UTC)) as clock:
        admin = slack.person("olu", real_name=canary("Olu"), is_admin=True)
        lead = slack.person("lena", real_name=canary("Lena"))
        people = {
            handle: slack.person(handle, real_name=canary(handle.title()), title=canary("Title")) for handle in cast
        }
        admin.command("/mentoring", "event new")
        admin.fill(
            {
                "Event name": canary("Spring")[:80],
                "Date": EVENT_DAY,
                "Start time": "14:00",
                "Time zone": "Europe/London",
                "Number of rounds": 2,
                "Where": canary("The Atrium"),
                "Event leads": [lead.user_id],
                "Mentors (junior colleagues)": [p.user_id for h, p in people.items() if cast[h][0] == "mentor"],
                "Mentees (senior leaders)": [p.user_id for h, p in people.items() if cast[h][0] == "mentee"],
            }
        )
        assert admin.submit().ok
        slack.deliver()  # the invitations
        for handle, person in people.items():
            invitation = next(s for s in person.dms() if s.has_button("Yes, I'll be there"))
            person.click("Yes, I'll be there", in_message=invitation)
            answers = {"My organisation": canary(cast[handle][1])}
            if cast[handle][0] == "mentee":
                answers["The state of inclusion in my business"] = canary("Early days")
                answers["The gap I want to understand"] = canary("Promotion")
            person.fill(answers)
            assert person.submit().ok
        lead.command("/mentoring", "event plan")
        assert lead.modal is not None and lead.submit().ok, "published"
        slack.deliver()  # everyone's rounds
        start = datetime(2027, 3, 10, 14, 0, tzinfo=UTC)
        for minutes in (-60, 15, 40, 45, 50, 80):  # briefing, round 1, wrap-up, swap, round 2, feedback
            clock.move_to(start + timedelta(minutes=minutes))
            slack.deliver()
        lead.command("/mentoring", "event summary")

    assert_nothing_leaked(slack.emulator, spy, known=HANDLER_LEAKS_SPEED)
    amara = people["amara"]
    rounds = sent_to(slack, "chat.postMessage", lambda a: "has started: you are meeting" in str(a.get("text")))
    assert SHOWN in rounds, "the round messages name partners, escaped"
    assert SHOWN in sent_to(slack, "chat.postMessage", in_dm(slack, amara))
    assert SHOWN in sent_to(slack, "views.open", lambda a: a["view"].get("callback_id") == "speed_plan")
