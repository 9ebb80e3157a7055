"""Speed-event and concern listeners, called directly: a fake ack and respond, a body, a fake Slack port.

The state is real (built through the services on the test database); only Slack is a fake. Each
test asserts what the person would see (the acknowledgement, the private answer, the modal) and
what the database then holds.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from bot.concerns import service as concerns_service
from bot.concerns.blocks import CLOSE_FORM, CONCERN_FORM, LEAD_VIEW
from bot.content import Content, load_content
from bot.db import Database
from bot.errors import error_text
from bot.models import Concern, OutboxMessage, SpeedEvent, SpeedEventParticipant
from bot.programmes import enrolment
from bot.programmes import service as programme_service
from bot.programmes.leads_channel import ChannelFacts
from bot.runtime import Runtime
from bot.settings import Settings
from bot.speed_events import blocks as speed_blocks
from bot.speed_events import plans as speed_plans
from bot.speed_events import records as speed_records
from bot.speed_events import service as speed_service
from handlers import concerns, speed_events
from handlers.commands import CommandCall
from tests.fakes import BOT_USER_ID, FakeGateway, Recorder, slack_user

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # a Monday
ADMIN, LEAD, OUTSIDER = "UADMIN", "ULEAD", "UOUTSIDER"
MENTOR, MENTEE = "UMENTOR", "UMENTEE"  # the mentor is the junior colleague, the mentee the senior leader
RESPONSE_URL = "https://hooks.slack.invalid/actions/T1/1/abc"


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway({ADMIN: slack_user(ADMIN, real_name="Olu Admin", is_admin=True)})


@pytest.fixture
def runtime(db: Database, gateway: FakeGateway, content: Content) -> Runtime:
    settings = Settings(_env_file=None, admins=[], min_group_size=5)  # type: ignore[call-arg]
    return Runtime(settings=settings, db=db, gateway=gateway, content=content)


@pytest.fixture
def clock() -> Iterator[Any]:
    with freeze_time(START) as frozen:
        yield frozen


# ---------------------------------------------------------------------------------- what Slack sends


def from_message(user_id: str, action_id: str, value: str) -> dict[str, Any]:
    """A button in a message (a DM, an alert): Slack gives a response_url."""
    return {
        "type": "block_actions",
        "user": {"id": user_id},
        "trigger_id": "TRIGGER1",
        "response_url": RESPONSE_URL,
        "container": {"type": "message", "channel_id": "DCHANNEL", "message_ts": "1700000000.000100"},
        "actions": [{"action_id": action_id, "value": value}],
    }


def from_home(user_id: str, action_id: str, value: str) -> dict[str, Any]:
    """A button on App Home: no response_url."""
    return {
        "type": "block_actions",
        "user": {"id": user_id},
        "trigger_id": "TRIGGER1",
        "container": {"type": "view", "view_id": "VHOME"},
        "view": {"type": "home", "id": "VHOME"},
        "actions": [{"action_id": action_id, "value": value}],
    }


def from_modal(user_id: str, action_id: str, value: str, view: dict[str, Any], view_id: str) -> dict[str, Any]:
    """A button inside an open modal: no response_url either."""
    return {
        "type": "block_actions",
        "user": {"id": user_id},
        "trigger_id": "TRIGGER1",
        "view": {**view, "id": view_id},
        "actions": [{"action_id": action_id, "value": value}],
    }


def submitted(view: dict[str, Any], values: dict[str, Any], view_id: str = "VFORM") -> dict[str, Any]:
    """The modal as Slack returns it on submit: each input's state shaped like the element holding it."""
    picked = {
        "datepicker": "selected_date",
        "timepicker": "selected_time",
        "users_select": "selected_user",
        "multi_users_select": "selected_users",
    }
    state: dict[str, Any] = {}
    for block in view["blocks"]:
        if block.get("type") != "input" or block["block_id"] not in values:
            continue
        element, value = block["element"], values[block["block_id"]]
        kind = element["type"]
        if kind in ("static_select", "radio_buttons"):
            entry = {"type": kind, "selected_option": {"value": value}}
        elif kind in ("checkboxes", "multi_static_select"):
            entry = {"type": kind, "selected_options": [{"value": v} for v in value]}
        else:
            entry = {"type": kind, picked.get(kind, "value"): value}
        state[block["block_id"]] = {element["action_id"]: entry}
    missing = set(values) - set(state)
    assert not missing, f"no such fields on {view.get('callback_id')}: {missing}"
    return {**view, "id": view_id, "state": {"values": state}}


def submission(user_id: str, view: dict[str, Any]) -> dict[str, Any]:
    return {"type": "view_submission", "user": {"id": user_id}, "view": view}


def command(runtime: Runtime, user_id: str, text: str) -> tuple[CommandCall, Recorder, Recorder]:
    ack, respond = Recorder(), Recorder()
    words = text.split()
    body = {"user_id": user_id, "trigger_id": "TRIGGER1", "text": text}
    return CommandCall(runtime, ack, respond, body, words[0], words[1:]), ack, respond


def text_of(view: dict[str, Any]) -> str:
    return json.dumps(view)


# ---------------------------------------------------------------------------------- worlds, through the services


def programme_with_reporter(
    db: Database, name: str = "Pilot", *, lead: str = LEAD, alerts: str | None = None, reporter: str = MENTOR
) -> int:
    programme = programme_service.create_programme(
        db,
        programme_service.ProgrammeInput(name=name, lead_ids=[lead], alerts_channel_id=alerts),
        created_by=ADMIN,
        by_admin=True,
    )
    enrolment.enrol(
        db,
        enrolment.Person(reporter, "Amara Okafor", "Europe/London"),
        enrolment.EnrolmentInput(
            programme_id=programme.id, role="mentor", organisation="Acme", department="Data", privacy_confirmed=True
        ),
        known_topics=(),
    )
    return programme.id


def raise_concern(db: Database, programme_id: int) -> int:
    data = concerns_service.ConcernInput(
        programme_id=programme_id, details="SECRET: my partner keeps cancelling.", urgency="this-week", identity="named"
    )
    return concerns_service.raise_concern(db, MENTOR, data).id


def concern_row(db: Database, concern_id: int) -> Concern:
    with db.session() as session:
        concern = session.get(Concern, concern_id)
        assert concern is not None
        return concern


def speed_event(db: Database) -> int:
    data = speed_records.EventInput(
        name="Spring Speed Mentoring",
        day=date(2027, 3, 10),
        start_time=time(14, 0),
        tz="Europe/London",
        location="The Atrium",
        lead_ids=[LEAD],
        mentor_ids=[MENTOR],
        mentee_ids=[MENTEE],
    )
    people = {
        MENTOR: speed_records.PersonInfo(MENTOR, "Amara Okafor"),
        MENTEE: speed_records.PersonInfo(MENTEE, "Diana Reyes"),
    }
    return speed_service.create_event(db, data, created_by=ADMIN, people=people, may_create=True).id


def participant(db: Database, event_id: int, user_id: str) -> SpeedEventParticipant:
    with db.session() as session:
        row = session.scalar(
            select(SpeedEventParticipant).where(
                SpeedEventParticipant.event_id == event_id, SpeedEventParticipant.user_id == user_id
            )
        )
        assert row is not None
        return row


def plan_modal(runtime: Runtime, event_id: int) -> dict[str, Any]:
    return speed_blocks.plan_view(speed_plans.plan_overview(runtime.db, event_id, by=LEAD, admin=False))


# ---------------------------------------------------------------------------------- concerns: raising one


def test_the_concern_command_opens_the_form_with_the_persons_programmes(runtime: Runtime, gateway: FakeGateway) -> None:
    programme_with_reporter(runtime.db)
    call, ack, _ = command(runtime, MENTOR, "concern")
    concerns.concern_command(call)
    assert ack.calls == [{}], "acknowledged at once, with nothing shown in the channel"
    [opened] = gateway.calls_to("open_view")
    assert opened["trigger_id"] == "TRIGGER1"
    assert opened["view"]["callback_id"] == CONCERN_FORM

    call, ack, _ = command(runtime, OUTSIDER, "concern")
    concerns.concern_command(call)
    outsider_view = gateway.calls_to("open_view")[-1]["view"]
    assert outsider_view["callback_id"] != CONCERN_FORM, "someone in no programme gets a kind word, not the form"


def test_raising_a_concern_from_app_home_opens_the_form_not_a_push(runtime: Runtime, gateway: FakeGateway) -> None:
    programme_id = programme_with_reporter(runtime.db)
    concerns.concern_button(Recorder(), from_home(MENTOR, "raise_concern", str(programme_id)), runtime)
    assert gateway.calls_to("push_view") == []
    [opened] = gateway.calls_to("open_view")
    assert opened["view"]["callback_id"] == CONCERN_FORM
    assert json.loads(opened["view"]["private_metadata"])["programme_id"] == programme_id


def test_a_concern_is_saved_before_the_form_closes(runtime: Runtime, gateway: FakeGateway, content: Content) -> None:
    programme_id = programme_with_reporter(runtime.db)
    form = concerns.concern_form_for(runtime, MENTOR)
    ack = Recorder()
    empty = submitted(form, {"details": "", "urgency": "today", "identity": "named"})
    concerns.save_concern(ack, submission(MENTOR, empty), empty, runtime)
    assert ack.last["response_action"] == "errors" and "details" in ack.last["errors"]
    with runtime.db.session() as session:
        assert session.scalars(select(Concern)).all() == [], "a refused form saves nothing"

    filled = submitted(form, {"details": "My partner keeps cancelling.", "urgency": "today", "identity": "named"})
    concerns.save_concern(ack, submission(MENTOR, filled), filled, runtime)
    assert ack.last["response_action"] == "update", "the form turns into the 'sent' view"
    with runtime.db.session() as session:
        [saved] = session.scalars(select(Concern)).all()
        assert saved.programme_id == programme_id and saved.reporter_user_id == MENTOR
    assert gateway.calls_to("channel_facts") == [], "no leads' channel, nothing to check"


def test_the_leads_channel_gets_the_alert_only_if_it_holds_nobody_else(db: Database, content: Content) -> None:
    class ChannelWithOutsider(FakeGateway):
        def _answer(self, method: str, args: dict[str, Any]) -> Any:
            if method == "channel_facts":
                members = frozenset({BOT_USER_ID, LEAD, OUTSIDER})
                return ChannelFacts(args["channel_id"], True, False, members, BOT_USER_ID)
            return super()._answer(method, args)

    settings = Settings(_env_file=None, admins=[])  # type: ignore[call-arg]
    for channel, gateway, expected in (
        ("CSAFE", FakeGateway(), "concern_alert"),
        ("CLEAKY", ChannelWithOutsider(), None),
    ):
        runtime = Runtime(settings=settings, db=db, gateway=gateway, content=content)
        reporter = f"UREPORTER{channel}"
        programme_with_reporter(db, name=f"Programme {channel}", alerts=channel, reporter=reporter)
        form = concerns.concern_form_for(runtime, reporter)
        view = submitted(
            form, {"details": "Something happened.", "urgency": "fyi", "identity": "anonymous"}, view_id=f"V{channel}"
        )
        ack = Recorder()
        concerns.save_concern(ack, submission(reporter, view), view, runtime)
        assert ack.last["response_action"] == "update"
        assert [c["channel_id"] for c in gateway.calls_to("channel_facts")] == [channel]
        with db.session() as session:
            kinds = set(session.scalars(select(OutboxMessage.kind).where(OutboxMessage.channel_id == channel)))
        assert kinds == ({expected} if expected else set())
        if expected is None:
            with db.session() as session:
                refused = session.scalars(
                    select(OutboxMessage.recipient_user_id).where(OutboxMessage.kind == "concern_channel_refused")
                ).all()
            assert refused == [LEAD], "the lead is told privately why the channel got nothing"


# ---------------------------------------------------------------------------------- concerns: the lead's actions


def test_the_lead_acknowledges_from_the_alert(runtime: Runtime, gateway: FakeGateway) -> None:
    concern_id = raise_concern(runtime.db, programme_with_reporter(runtime.db))
    ack, respond = Recorder(), Recorder()
    concerns.acknowledge(ack, from_message(LEAD, "concern_acknowledge", str(concern_id)), respond, runtime)
    assert ack.calls == [{}]
    assert respond.last["text"].startswith("Acknowledged.")
    assert respond.last["response_type"] == "ephemeral" and respond.last["replace_original"] is False
    assert concern_row(runtime.db, concern_id).status == "acknowledged"


def test_someone_else_replaying_a_lead_button_is_refused_privately(runtime: Runtime, gateway: FakeGateway) -> None:
    concern_id = raise_concern(runtime.db, programme_with_reporter(runtime.db))
    other_programme = programme_with_reporter(runtime.db, name="Other", lead="UOTHERLEAD")
    listeners = (concerns.acknowledge, concerns.contact_reporter, concerns.pause_pair, concerns.rematch_pair)
    for clicker in (OUTSIDER, MENTOR, "UOTHERLEAD"):
        for listener in listeners:
            respond = Recorder()
            listener(Recorder(), from_message(clicker, "concern_acknowledge", str(concern_id)), respond, runtime)
            assert respond.last["text"] == error_text("concerns.not_visible")
            assert respond.last["response_type"] == "ephemeral"
    assert concern_row(runtime.db, concern_id).status == "open", "nothing changed"
    assert other_programme  # a lead of another programme is just as much a stranger to this concern
    assert gateway.calls_to("update_view") == [] and gateway.calls_to("post_dm") == []


def test_a_refusal_on_app_home_goes_to_the_persons_dm(runtime: Runtime, gateway: FakeGateway) -> None:
    concern_id = raise_concern(runtime.db, programme_with_reporter(runtime.db))
    respond = Recorder()
    concerns.open_concern(Recorder(), from_home(OUTSIDER, "concern_open", str(concern_id)), respond, runtime)
    assert respond.calls == [], "App Home has no response_url"
    assert gateway.dm_texts(OUTSIDER) == [error_text("concerns.not_visible")]
    assert gateway.calls_to("open_view") == []


def test_the_lead_opens_a_concern_and_acts_inside_its_modal(runtime: Runtime, gateway: FakeGateway) -> None:
    concern_id = raise_concern(runtime.db, programme_with_reporter(runtime.db))
    concerns.open_concern(Recorder(), from_home(LEAD, "concern_open", str(concern_id)), Recorder(), runtime)
    [opened] = gateway.calls_to("open_view")
    modal = opened["view"]
    assert modal["callback_id"] == LEAD_VIEW and "SECRET: my partner keeps cancelling." in text_of(modal)

    respond = Recorder()
    concerns.acknowledge(
        Recorder(), from_modal(LEAD, "concern_acknowledge", str(concern_id), modal, "VLEAD"), respond, runtime
    )
    [updated] = gateway.calls_to("update_view")
    assert updated["view_id"] == "VLEAD" and updated["view"]["callback_id"] == LEAD_VIEW
    assert respond.calls == [] and gateway.calls_to("post_dm") == [], "the modal itself shows what happened"


def test_the_lead_closes_a_concern_through_the_form_over_its_modal(runtime: Runtime, gateway: FakeGateway) -> None:
    concern_id = raise_concern(runtime.db, programme_with_reporter(runtime.db))
    lead_modal = {"type": "modal", "callback_id": LEAD_VIEW, "blocks": []}
    concerns.open_close_form(
        Recorder(), from_modal(LEAD, "concern_close", str(concern_id), lead_modal, "VLEAD"), Recorder(), runtime
    )
    [pushed] = gateway.calls_to("push_view")
    form = pushed["view"]
    assert form["callback_id"] == CLOSE_FORM
    assert json.loads(form["private_metadata"]) == {"concern_id": concern_id, "parent": "VLEAD"}

    stranger_ack = Recorder()
    view = submitted(form, {"outcome_note": "Talked to both; they carry on.", "reporter_message": "Sorted, thanks."})
    concerns.save_close(stranger_ack, submission(OUTSIDER, view), view, runtime)
    assert stranger_ack.last["errors"] == {"outcome_note": error_text("concerns.not_visible")}
    assert concern_row(runtime.db, concern_id).status == "open"

    ack = Recorder()
    concerns.save_close(ack, submission(LEAD, view), view, runtime)
    assert ack.calls == [{}]
    assert concern_row(runtime.db, concern_id).status == "closed"
    [refreshed] = gateway.calls_to("update_view")
    assert refreshed["view_id"] == "VLEAD" and refreshed["view"]["callback_id"] == LEAD_VIEW


def test_the_concerns_command_lists_what_each_person_may_see(runtime: Runtime) -> None:
    raise_concern(runtime.db, programme_with_reporter(runtime.db))
    call, ack, _ = command(runtime, LEAD, "concerns")
    concerns.concerns_command(call)
    lead_sees = json.dumps(ack.last)
    assert "Pilot" in lead_sees and "SECRET" not in lead_sees, "the list carries no concern text"
    call, ack, _ = command(runtime, OUTSIDER, "concerns")
    concerns.concerns_command(call)
    assert "Pilot" not in json.dumps(ack.last)


# ---------------------------------------------------------------------------------- speed events: the command


def test_only_admins_and_leads_may_set_up_an_event(runtime: Runtime, gateway: FakeGateway, clock: Any) -> None:
    call, ack, _ = command(runtime, OUTSIDER, "event new")
    speed_events.event_command(call)
    assert ack.last["text"] == error_text("speed_events.create_only")
    assert gateway.calls_to("open_view") == []

    call, ack, _ = command(runtime, ADMIN, "event new")
    speed_events.event_command(call)
    assert ack.calls == [{}]
    [opened] = gateway.calls_to("open_view")
    assert opened["view"]["callback_id"] == speed_blocks.EVENT_FORM

    call, ack, _ = command(runtime, OUTSIDER, "event dance")
    speed_events.event_command(call)
    assert ack.last["text"].startswith("I didn't understand that.")


def test_the_event_plan_command_opens_the_plan_for_its_lead_only(
    runtime: Runtime, gateway: FakeGateway, clock: Any
) -> None:
    speed_event(runtime.db)
    call, ack, _ = command(runtime, OUTSIDER, "event plan Spring Speed Mentoring")
    speed_events.event_command(call)
    assert ack.last["text"] == error_text("speed_events.lead_only")
    assert gateway.calls_to("open_view") == []

    call, ack, _ = command(runtime, LEAD, "event plan")
    speed_events.event_command(call)
    assert ack.calls == [{}]
    [opened] = gateway.calls_to("open_view")
    assert opened["view"]["callback_id"] == speed_blocks.PLAN_VIEW


def test_the_event_form_creates_the_event_and_tells_its_lead(
    runtime: Runtime, gateway: FakeGateway, clock: Any
) -> None:
    form = speed_blocks.event_modal("Europe/London")
    values = {
        "name": "Spring Speed Mentoring",
        "day": "2027-03-10",
        "start_time": "14:00",
        "tz": "Europe/London",
        "round_minutes": "30",
        "rounds": "2",
        "briefing_minutes": "15",
        "location": "The Atrium",
        "lead_ids": [LEAD],
        "mentor_ids": [MENTOR],
        "mentee_ids": [MENTEE],
    }
    ack = Recorder()
    view = submitted(form, {**values, "rounds": "9"})
    speed_events.create_event(ack, submission(ADMIN, view), view, runtime)
    assert ack.last["response_action"] == "errors" and "rounds" in ack.last["errors"]
    with runtime.db.session() as session:
        assert session.scalars(select(SpeedEvent)).all() == []

    view = submitted(form, values)
    speed_events.create_event(ack, submission(ADMIN, view), view, runtime)
    assert ack.last == {}
    with runtime.db.session() as session:
        [event] = session.scalars(select(SpeedEvent)).all()
        assert [lead.user_id for lead in event.leads] == [LEAD]
    assert gateway.dm_texts(ADMIN), "the creator hears the event is set up"
    assert gateway.dm_texts(LEAD), "the appointed lead is told"
    looked_up = {args["user_id"] for args in gateway.calls_to("user")}
    assert {MENTOR, MENTEE} <= looked_up, "names and time zones come from Slack"


# ---------------------------------------------------------------------------------- speed events: RSVP


def test_saying_yes_opens_the_questions_for_people_on_the_list_only(
    runtime: Runtime, gateway: FakeGateway, clock: Any
) -> None:
    event_id = speed_event(runtime.db)
    respond = Recorder()
    speed_events.open_rsvp(Recorder(), from_message(OUTSIDER, "speed_rsvp_yes", str(event_id)), respond, runtime)
    assert "not on the list" in respond.last["text"] and respond.last["response_type"] == "ephemeral"
    assert gateway.calls_to("open_view") == []

    speed_events.open_rsvp(Recorder(), from_message(MENTEE, "speed_rsvp_yes", str(event_id)), Recorder(), runtime)
    [opened] = gateway.calls_to("open_view")
    assert opened["view"]["callback_id"] == speed_blocks.RSVP_FORM
    meta = json.loads(opened["view"]["private_metadata"])
    assert meta == {"event_id": event_id, "channel": "DCHANNEL", "ts": "1700000000.000100"}


def test_a_yes_is_saved_and_the_invitation_updated(runtime: Runtime, gateway: FakeGateway, clock: Any) -> None:
    event_id = speed_event(runtime.db)
    form = speed_blocks.rsvp_modal(
        runtime.content,
        speed_records.get_event(runtime.db, event_id),
        participant(runtime.db, event_id, MENTEE),
        {"channel": "DCHANNEL", "ts": "1700000000.000100"},
    )
    ack = Recorder()
    half = submitted(form, {"organisation": "Acme", "inclusion_statement": "", "understanding_gap": ""})
    speed_events.save_rsvp(ack, submission(MENTEE, half), half, runtime)
    assert ack.last["response_action"] == "errors" and "inclusion_statement" in ack.last["errors"]
    assert participant(runtime.db, event_id, MENTEE).rsvp != "yes"

    view = submitted(
        form, {"organisation": "Acme", "inclusion_statement": "Early days.", "understanding_gap": "Promotion."}
    )
    speed_events.save_rsvp(ack, submission(MENTEE, view), view, runtime)
    assert ack.last == {}
    saved = participant(runtime.db, event_id, MENTEE)
    assert saved.rsvp == "yes" and saved.organisation == "Acme"
    [updated] = gateway.calls_to("update_message")
    assert updated["channel"] == "DCHANNEL" and "You said yes" in updated["text"]
    assert gateway.dm_texts(MENTEE), "a confirmation in the mentee's DM"


def test_a_no_replaces_the_invitation(runtime: Runtime, gateway: FakeGateway, clock: Any) -> None:
    event_id = speed_event(runtime.db)
    respond = Recorder()
    speed_events.decline(Recorder(), from_message(MENTOR, "speed_rsvp_no", str(event_id)), respond, runtime)
    assert respond.last["replace_original"] is True and respond.last["blocks"]
    assert participant(runtime.db, event_id, MENTOR).rsvp == "no"

    respond = Recorder()
    speed_events.decline(Recorder(), from_message(OUTSIDER, "speed_rsvp_no", "not-a-number"), respond, runtime)
    assert respond.last["text"] == "That event has been called off.", "a garbled id reads as a missing event"
    assert respond.last["replace_original"] is False


def test_the_guide_without_a_response_url_goes_to_the_dm(runtime: Runtime, gateway: FakeGateway, clock: Any) -> None:
    event_id = speed_event(runtime.db)
    respond = Recorder()
    speed_events.read_guide(Recorder(), from_home(MENTEE, "speed_guide", f"{event_id}:mentee"), respond, runtime)
    assert respond.calls == []
    [posted] = gateway.calls_to("post_dm")
    assert posted["user_id"] == MENTEE and posted["blocks"]


# ---------------------------------------------------------------------------------- speed events: the lead's plan


def test_plan_buttons_refuse_anyone_but_the_events_leads(runtime: Runtime, gateway: FakeGateway, clock: Any) -> None:
    event_id = speed_event(runtime.db)
    modal = plan_modal(runtime, event_id)
    for listener in (speed_events.rerun, speed_events.open_swap, speed_events.open_absent):
        listener(Recorder(), from_modal(OUTSIDER, "speed_plan_rerun", "", modal, "VPLAN"), runtime)
    assert gateway.dm_texts(OUTSIDER) == [error_text("speed_events.lead_only")] * 3
    assert gateway.calls_to("update_view") == [] and gateway.calls_to("push_view") == []

    ack = Recorder()
    speed_events.publish(ack, submission(OUTSIDER, {**modal, "id": "VPLAN"}), runtime)
    assert ack.calls == [{}], "the modal closes; the refusal comes privately"
    assert gateway.dm_texts(OUTSIDER)[-1] == error_text("speed_events.lead_only")
    assert speed_records.get_event(runtime.db, event_id).status == "draft"


def test_the_lead_reruns_the_plan_and_opens_the_swap_form(runtime: Runtime, gateway: FakeGateway, clock: Any) -> None:
    event_id = speed_event(runtime.db)
    modal = plan_modal(runtime, event_id)
    speed_events.rerun(Recorder(), from_modal(LEAD, "speed_plan_rerun", "", modal, "VPLAN"), runtime)
    [updated] = gateway.calls_to("update_view")
    assert updated["view_id"] == "VPLAN" and "Planned again" in text_of(updated["view"])

    speed_events.open_swap(Recorder(), from_modal(LEAD, "speed_swap_open", "", modal, "VPLAN"), runtime)
    [pushed] = gateway.calls_to("push_view")
    assert pushed["view"]["callback_id"] == speed_blocks.SWAP_FORM
    assert json.loads(pushed["view"]["private_metadata"]) == {"event_id": event_id, "parent": "VPLAN"}


def test_the_plan_button_in_a_message_opens_the_plan_or_says_why_not(
    runtime: Runtime, gateway: FakeGateway, clock: Any
) -> None:
    event_id = speed_event(runtime.db)
    speed_events.open_plan_button(Recorder(), from_message(OUTSIDER, "speed_open_plan", str(event_id)), runtime)
    assert gateway.dm_texts(OUTSIDER) == [error_text("speed_events.lead_only")]
    speed_events.open_plan_button(Recorder(), from_message(LEAD, "speed_open_plan", str(event_id)), runtime)
    [opened] = gateway.calls_to("open_view")
    assert opened["view"]["callback_id"] == speed_blocks.PLAN_VIEW


def test_creating_a_programme_from_an_event_is_for_its_leads(
    runtime: Runtime, gateway: FakeGateway, clock: Any
) -> None:
    event_id = speed_event(runtime.db)
    respond = Recorder()
    speed_events.create_programme(
        Recorder(), from_message(OUTSIDER, "speed_create_programme", str(event_id)), respond, runtime
    )
    assert respond.last["text"] == error_text("speed_events.lead_only")
    respond = Recorder()
    speed_events.create_programme(
        Recorder(), from_message(LEAD, "speed_create_programme", str(event_id)), respond, runtime
    )
    assert respond.last["text"] == "Nobody has asked to be invited to a longer programme yet."
    assert programme_service.programmes_led_by(runtime.db, LEAD) == []
