"""The demo's acts, in order. Each act drives simulated people through the real app."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.demo.runner import Stage
from bot.emulator import Seen
from bot.journey import service as journey
from bot.local_slack import Person
from bot.models import MentoringSession, Pair


def act_meet_the_app(stage: Stage) -> None:
    stage.narrator.scene("Monday 4 January 2027: the app arrives in the workspace")
    stage.person("Olu", is_admin=True, title="Head of People", tz="Europe/London")
    stage.person("Lena", title="Programme lead (independent)", tz="Europe/London")
    stage.person("Amara", title="Data Analyst", tz="Europe/London")
    stage.person("Ben", title="Graduate Engineer", tz="America/New_York")
    stage.person("Diana", title="Chief Financial Officer", tz="Europe/London")
    stage.person("Evan", title="VP Engineering", tz="America/New_York")
    stage.narrator.say("Amara types /mentoring help")
    stage.cast["Amara"].command("/mentoring", "help")
    stage.narrator.show_new()
    stage.narrator.say("Ben mistypes a command")
    stage.cast["Ben"].command("/mentoring", "joni")


def act_create_programme(stage: Stage) -> None:
    stage.advance(timedelta(hours=1))
    stage.narrator.scene("An admin starts a programme and appoints an independent lead")
    olu, lena = stage.cast["Olu"], stage.cast["Lena"]
    olu.command("/mentoring", "programme new")
    stage.narrator.show_modal(olu, "Olu")
    olu.fill(
        {
            "Programme name": "Inclusive Leadership 2027",
            "Description": "Senior leaders learn from colleagues earlier in their careers.",
            "Organisation mode": "Across organisations",
            "Programme leads": [lena.user_id],
        }
    )
    olu.submit()


def act_enrol(stage: Stage) -> None:
    stage.advance(timedelta(hours=2))
    stage.narrator.scene("Four people enrol")
    people = [
        ("Amara", "Mentor", "Acme", "Finance", ["Gender", "Race and ethnicity"]),
        ("Ben", "Mentor", "Globex", "Engineering", ["Social mobility and class background"]),
        ("Diana", "Mentee", "Globex", "Finance", ["Gender"]),
        ("Evan", "Mentee", "Acme", "Engineering", ["Social mobility and class background"]),
    ]
    for name, role, organisation, department, topics in people:
        person = stage.cast[name]
        person.command("/mentoring", "join")
        if name == "Amara":
            stage.narrator.show_modal(person, name)
        fields = {
            "I am joining as": role,
            "Organisation": organisation,
            "Department or function": department,
            "Perspectives I can share or want to learn about": topics,
            "Topics that are off limits for me": f"(private to {name})",
            "Privacy notice": True,
        }
        if role == "Mentee":
            fields["Mentees: the state of inclusion in my part of the business today"] = "Improving, unevenly."
            fields["Mentees: the gap in understanding I hope to close"] = "How promotion feels from the outside."
        person.fill(fields)
        person.submit()
        stage.advance(timedelta(minutes=20))


def act_match(stage: Stage) -> None:
    stage.advance(timedelta(days=1))
    stage.narrator.scene("The lead matches the pairs, and approves")
    lena = stage.cast["Lena"]
    lena.command("/mentoring", "match")
    stage.narrator.show_modal(lena, "Lena")
    lena.submit()
    stage.narrator.say("Each mentor is asked first, privately; the mentee hears nothing until they say yes")
    accept_offers(stage)


def accept_offers(stage: Stage) -> None:
    stage.world.deliver()
    for name in ("Amara", "Ben"):
        mentor = stage.cast[name]
        offer = next((s for s in reversed(mentor.dms()) if s.has_button("Yes, I'd like this match")), None)
        if offer is not None:
            mentor.click("Yes, I'd like this match", in_message=offer)
    stage.narrator.show_new()


def act_introductions(stage: Stage) -> None:
    stage.narrator.scene("Each pair is introduced on the mentee's next working morning")
    stage.narrator.say("Approval came on Tuesday afternoon in London, Tuesday morning in New York")
    stage.move_to(datetime(2027, 1, 5, 14, 30))  # 09:30 in New York: Evan (mentee) and Ben
    accept_offers(stage)  # Ben's offer waited for his working day
    stage.world.deliver()
    stage.narrator.show_new()
    stage.narrator.say("Wednesday, 09:30 in London: Diana (mentee) and Amara")
    stage.move_to(datetime(2027, 1, 6, 9, 30))
    stage.world.deliver()


def act_icebreakers(stage: Stage) -> None:
    stage.advance(timedelta(minutes=15))
    stage.narrator.scene("Breaking the ice: questions that surface differences")
    stage.cast["Diana"].click("Show an icebreaker")
    stage.narrator.show_new()
    stage.narrator.say("Amara asks for another one")
    stage.cast["Amara"].click("Another one")


def act_contract(stage: Stage) -> None:
    stage.advance(timedelta(days=1))
    stage.narrator.scene("Amara and Diana agree how they will work together")
    amara, diana = stage.cast["Amara"], stage.cast["Diana"]
    amara.click("Agree our ways of working")
    stage.narrator.show_new()
    diana.command("/mentoring", "contract")
    stage.narrator.show_modal(diana, "Diana")
    diana.fill(
        {
            "How often and how long you will meet": "Every four weeks for an hour, at the cafe by the station.",
            "Confidentiality": "Nothing leaves the room without asking first (only Amara and Diana know this).",
            "How you will give each other honest feedback": "We end each session with: what should I hear?",
            "What you will do if it's not working": "Say so at the start of the next session.",
            "The mentee's goals": "Change one hiring process by June.",
            "The mentor's goals": "Present to the leadership team once by July.",
        }
    )
    diana.submit()
    diana.click("I agree to this contract")
    stage.narrator.show_new()
    stage.narrator.say("Amara reads it and agrees too")
    amara.command("/mentoring", "contract")
    amara.click("I agree to this contract")
    stage.world.deliver()
    stage.narrator.show_new()
    with stage.world.db.session() as session:
        pair_id = session.scalars(select(Pair.id).where(Pair.mentee_user_id == diana.user_id)).one()
    status = journey.contract_status(stage.world.db, pair_id)
    stage.narrator.say(
        f"Lena, the lead, can see only that a contract exists (agreed: {'yes' if status.agreed else 'no'}), "
        "never what it says"
    )


def act_agenda(stage: Stage) -> None:
    stage.advance(timedelta(hours=2))
    stage.narrator.scene("Diana sets the agenda for their next session; Amara adds to it")
    diana, amara = stage.cast["Diana"], stage.cast["Amara"]
    diana.command("/mentoring", "agenda")
    diana.fill({"What would you like to talk about?": "How did the hybrid working policy land in your team?"})
    diana.submit()
    amara.click("Add to the agenda")
    amara.fill({"Anything you would like to add?": "How promotion decisions are really made."})
    amara.submit()


ACTS: list[Callable[[Stage], None]] = [
    act_meet_the_app,
    act_create_programme,
    act_enrol,
    act_match,
    act_introductions,
    act_icebreakers,
    act_contract,
    act_agenda,
]


# ---------------------------------------------------------------------------------------------
# Issue 6: private reflections and a confidential route for concerns.

CONCERN_TEXT = "Our last two sessions were moved at short notice and I felt I was an afterthought."


def _held_session_for(stage: Stage, mentee: str) -> int:
    """Amara and Diana's latest held session; if the story has none yet, one that happened this morning."""
    import uuid

    from bot.clock import now
    from bot.models import MentoringSession
    from bot.sessions import service as sessions

    db = stage.world.db
    diana = stage.cast[mentee]
    with db.session() as session:
        pair = session.scalars(select(Pair).where(Pair.mentee_user_id == diana.user_id)).one()
        held = session.scalars(
            select(MentoringSession)
            .where(MentoringSession.pair_id == pair.id, MentoringSession.status == "held")
            .order_by(MentoringSession.starts_at.desc())
        ).first()
        if held is not None:
            return held.id
        number = 1 + max(
            [row.number for row in session.scalars(select(MentoringSession).where(MentoringSession.pair_id == pair.id))]
            or [0]
        )
        row = MentoringSession(
            pair_id=pair.id,
            programme_id=pair.programme_id,
            number=number,
            starts_at=now() - timedelta(hours=2),
            ends_at=now() - timedelta(hours=1),
            status="booked",
            ics_uid=f"{uuid.uuid4()}@demo",
            booked_by=diana.user_id,
        )
        session.add(row)
        session.flush()
        session_id = row.id
    sessions.record_answer(db, session_id, diana.user_id, "yes")
    return session_id


def act_reflections(stage: Stage) -> None:
    stage.advance(timedelta(days=1))
    stage.narrator.scene("After their session, Amara and Diana each reflect, privately")
    _held_session_for(stage, "Diana")
    stage.world.deliver()
    stage.narrator.show_new()
    amara, diana = stage.cast["Amara"], stage.cast["Diana"]
    amara.click("Write my reflection")
    stage.narrator.show_modal(amara, "Amara")
    amara.fill(
        {
            "Key takeaways": "Diana had not seen how a promotion panel looks from the outside. Naming it helped.",
            "What I will do differently": "Bring one concrete example each time (private to Amara).",
            "How safe did you feel to speak openly?": "4",
            "How useful was this session for you?": "5",
            "Share with my partner": True,
        }
    )
    amara.submit()
    stage.narrator.say("Amara ticks the box to share her key takeaways, and only them, with Diana")
    diana.click("Write my reflection")
    diana.fill(
        {
            "Key takeaways": "I assumed our flexible working policy was used evenly. It is not (private to Diana).",
            "What I will do differently": "Ask my team leads who has actually used it.",
        }
    )
    diana.submit()
    stage.world.deliver()
    stage.narrator.show_new()
    stage.narrator.say("Diana's reflection stays hers; Lena sees ratings only as totals over five or more people")


def act_concern(stage: Stage) -> None:
    stage.advance(timedelta(days=2))
    stage.narrator.scene("Amara raises a concern privately with Lena, the independent lead")
    amara, lena = stage.cast["Amara"], stage.cast["Lena"]
    amara.command("/mentoring", "concern")
    stage.narrator.show_modal(amara, "Amara")
    amara.fill(
        {
            "What would you like the programme lead to know?": CONCERN_TEXT,
            "How soon do you need a response?": "This week",
            "What would help?": "A conversation with Lena, and fixed dates we both keep.",
            "How would you like to raise it?": "named",
        }
    )
    amara.submit()
    stage.world.deliver()
    stage.narrator.show_new()
    stage.narrator.say("Lena's alert says there is a concern, not what it says; she opens it to read it")
    stage.advance(timedelta(minutes=40))
    lena.click("Open")
    stage.narrator.show_modal(lena, "Lena")
    lena.click("Acknowledge")
    stage.world.deliver()
    stage.narrator.show_new()
    stage.advance(timedelta(days=1))
    stage.narrator.say("Lena talks it through with Amara, then closes the concern with an outcome note")
    lena.click("Close with an outcome note")
    lena.fill({"Outcome note": "Met Amara; agreed fixed dates with Diana (leads only)."})
    lena.submit()
    lena.close_modal()
    stage.world.deliver()
    stage.narrator.show_new()
    stage.narrator.say("Diana was never told. The audit trail records every step, and nobody can edit it")


ACTS += [act_reflections, act_concern]


# ---------------------------------------------------------------------------------------------
# Issue 8: a reverse speed mentoring event (appended by the speed events feature).


def act_speed_event(stage: Stage) -> None:
    from datetime import UTC, time
    from zoneinfo import ZoneInfo

    from bot.clock import now

    stage.advance(timedelta(days=1))
    stage.narrator.scene("A reverse speed mentoring event: people from different organisations meet in timed rounds")
    olu, lena = stage.cast["Olu"], stage.cast["Lena"]
    mentors = [
        stage.person("Priya", title="Junior Designer", tz="Europe/London"),
        stage.person("Tom", title="Support Engineer", tz="America/New_York"),
    ]
    mentees = [
        stage.person("Grace", title="Chief Executive", tz="Europe/London"),
        stage.person("Hugo", title="Chief Operating Officer", tz="Europe/Berlin"),
    ]
    organisations = {"Priya": "Initech", "Tom": "Hooli", "Grace": "Globex", "Hugo": "Acme"}
    london = ZoneInfo("Europe/London")
    day = (now().astimezone(london) + timedelta(days=7)).date()
    stage.narrator.say("Olu sets up the event; Lena leads it")
    olu.command("/mentoring", "event new")
    stage.narrator.show_modal(olu, "Olu")
    olu.fill(
        {
            "Event name": "Speed Mentoring Day",
            "Date": day.isoformat(),
            "Start time": "14:00",
            "Time zone": "Europe/London",
            "Round length (minutes)": 20,
            "Briefing before round 1 (minutes)": 10,
            "Where": "https://video.example.com/speed-mentoring",
            "Event leads": [lena.user_id],
            "Mentors (junior colleagues)": [person.user_id for person in mentors],
            "Mentees (senior leaders)": [person.user_id for person in mentees],
        }
    )
    olu.submit()
    stage.world.deliver()
    stage.narrator.show_new()
    stage.narrator.say("Everyone says yes and names their organisation; the mentees add two private notes")
    for name, person in (("Priya", mentors[0]), ("Tom", mentors[1]), ("Grace", mentees[0]), ("Hugo", mentees[1])):
        person.click("Yes, I'll be there")
        fields = {"My organisation": organisations[name]}
        if person in mentees:
            fields["The state of inclusion in my business"] = f"(private to {name})"
            fields["The gap I want to understand"] = "What our hybrid policy feels like for new starters."
        person.fill(fields)
        person.submit()
    stage.narrator.show_new()
    stage.narrator.say("Lena reviews the rotation (nobody meets someone from their own organisation) and publishes")
    lena.command("/mentoring", "event plan")
    stage.narrator.show_modal(lena, "Lena")
    lena.submit()
    stage.world.deliver()
    stage.narrator.show_new()
    start = datetime.combine(day, time(14, 0), london).astimezone(UTC).replace(tzinfo=None)
    for minutes, what in ((-60, "the briefing reminder"), (10, "round 1 starts"), (25, "five minutes left"),
                          (30, "swap now"), (35, "round 2 starts"), (55, "the end: feedback")):
        stage.move_to(start + timedelta(minutes=minutes))
        stage.narrator.say(f"{what}")
        stage.world.deliver()
        stage.narrator.show_new()
    stage.narrator.say("Grace gives private feedback and asks to join a longer programme")
    grace = mentees[0]
    grace.click("Give feedback")
    grace.fill(
        {
            "How useful was the event for you?": "5: Extremely useful",
            "One thing I learned": "(private to Grace) how our hiring feels from outside.",
            "Would you recommend this event to a colleague?": "Yes",
            "Would you start a reverse mentoring programme in your organisation?": "Yes",
            "A longer programme": True,
        }
    )
    grace.submit()
    stage.move_to(start + timedelta(minutes=55, hours=2))
    stage.world.deliver()
    stage.narrator.say("Two hours later Lena gets the summary: feedback totals wait for five responses")


ACTS += [act_speed_event]


# ---------------------------------------------------------------------------------------------
# Issue 5: sessions three to four weeks apart, in each person's time zone, with calendar invites,
# reminders and a private "Did you meet?", over several months.


def _offered_labels(person: Person) -> tuple[Seen, list[str]]:
    offer = [s for s in person.seen() if s.kind == "ephemeral" and "Times for" in s.text][-1]
    labels = [
        b["accessory"]["text"]["text"]
        for b in offer.blocks
        if (b.get("accessory") or {}).get("action_id") == "session_book"
    ]
    return offer, labels


def _ben_and_evan(stage: Stage) -> int:
    with stage.world.db.session() as session:
        return session.scalars(select(Pair.id).where(Pair.mentee_user_id == stage.cast["Evan"].user_id)).one()


def _booked_session(stage: Stage) -> MentoringSession:
    from bot.sessions import service as sessions

    history = [s for s in sessions.sessions_of_pair(stage.world.db, _ben_and_evan(stage)) if s.status == "booked"]
    return history[-1]


def _show_invite(stage: Stage) -> None:
    channel = stage.world.emulator.group_dm(stage.cast["Ben"].user_id, stage.cast["Evan"].user_id)
    files = stage.world.emulator.files_in(channel or "")
    if not files:
        return
    lines = files[-1].bytes.decode().splitlines()
    keep = ("METHOD", "UID", "SEQUENCE", "DTSTART;", "STATUS", "BEGIN:VTIMEZONE")
    shown = " | ".join(line for line in lines if line.startswith(keep))
    stage.narrator.say(f"the calendar invite {files[-1].name}: {shown}")


def act_schedule_first_session(stage: Stage) -> None:
    stage.move_to(datetime(2027, 1, 20, 15, 0))
    stage.narrator.scene("Ben (mentor) and Evan (mentee) find a time for their first session")
    ben, evan = stage.cast["Ben"], stage.cast["Evan"]
    stage.narrator.say("Evan has changed his working hours in his profile: he starts at 08:00")
    evan.command("/mentoring", "profile")
    evan.click("Edit my profile")
    evan.fill({"My working day starts": "08:00", "Privacy notice": True})
    evan.submit()
    stage.narrator.say("Ben clicks 'Schedule our first session' on their introduction")
    ben.click("Schedule our first session")
    stage.narrator.show_new()
    stage.narrator.say("Evan books the second time on offer; either of them can")
    evan.command("/mentoring", "schedule")
    _, labels = _offered_labels(evan)
    evan.click(labels[1])
    stage.world.deliver()
    stage.narrator.show_new()
    _show_invite(stage)


def _through_one_session(stage: Stage, *, answers: tuple[str, str] = ("Yes, we met", "Yes, we met")) -> None:
    booked = _booked_session(stage)
    starts = booked.starts_at.replace(tzinfo=None)
    ben, evan = stage.cast["Ben"], stage.cast["Evan"]
    for moment, what in (
        (starts - timedelta(days=1), "the day before"),
        (starts - timedelta(hours=1), "an hour before"),
        (booked.ends_at.replace(tzinfo=None) + timedelta(hours=1), "an hour after it ends, each is asked privately"),
    ):
        stage.move_to(moment)
        stage.narrator.say(what)
        stage.world.deliver()
        stage.narrator.show_new()
    for person, answer in zip((ben, evan), answers, strict=True):
        person.click(answer)
    stage.world.deliver()


def act_first_session(stage: Stage) -> None:
    stage.narrator.scene("Reminders, the session, and a private 'Did you meet?'")
    _through_one_session(stage)


def act_next_session(stage: Stage) -> None:
    stage.advance(timedelta(hours=3))
    stage.narrator.scene("The next session, three to four weeks later; then Ben moves it")
    ben, evan = stage.cast["Ben"], stage.cast["Evan"]
    evan.click("Schedule our next session")
    stage.narrator.show_new()
    _, labels = _offered_labels(evan)
    evan.click(labels[0])
    stage.world.deliver()
    stage.narrator.show_new()
    stage.advance(timedelta(days=2))
    stage.narrator.say("Something came up for Ben: one click to reschedule, and the same calendar event updates")
    ben.click("Reschedule")
    offer, labels = _offered_labels(ben)
    ben.click(labels[-1], in_message=offer)
    stage.world.deliver()
    stage.narrator.show_new()
    _show_invite(stage)
    _through_one_session(stage)


def act_months_of_sessions(stage: Stage) -> None:
    from bot.sessions import service as sessions

    stage.narrator.scene("Spring: a session every three to four weeks")
    ben, evan = stage.cast["Ben"], stage.cast["Evan"]
    for round_number in range(3):
        stage.advance(timedelta(hours=2))
        booker = evan if round_number % 2 == 0 else ben
        booker.command("/mentoring", "schedule")
        _, labels = _offered_labels(booker)
        booker.click(labels[len(labels) // 2])
        stage.world.deliver()
        answers = ("Yes, we met", "No, it didn't happen") if round_number == 1 else ("Yes, we met", "Yes, we met")
        _through_one_session(stage, answers=answers)
    stage.narrator.show_new()
    history = sessions.sessions_of_pair(stage.world.db, _ben_and_evan(stage))
    stage.narrator.say(
        "Ben and Evan's sessions: "
        + "; ".join(f"#{s.number} {s.starts_at:%a %d %b %H:%M} UTC {s.status}" for s in history)
    )
    stage.narrator.say("Their answers stayed private; the lead heard only that one answer differed")


ACTS += [act_schedule_first_session, act_first_session, act_next_session, act_months_of_sessions]


# ---------------------------------------------------------------------------------------------
# Issue 7: the lead's view, impact surveys, the report, close-out and recognition.

DEMO_PROGRAMME = "Inclusive Leadership 2027"


def _lead_home_lines(stage: Stage, limit: int = 12) -> None:
    from bot.emulator import view_text

    lena = stage.cast["Lena"]
    lena.open_home()
    lines = [line for line in view_text(lena.home or {}).splitlines() if line.strip()]
    stage.narrator.out.write("\nLena's App Home (the lead's dashboard):\n")
    for line in lines[:limit]:
        stage.narrator.out.write(f"    {line[:150]}\n")


def act_impact_surveys(stage: Stage) -> None:
    from bot.content import load_content
    from bot.impact import surveys

    stage.advance(timedelta(days=1))
    stage.narrator.scene("Impact: each person gets a private starting survey, with one reminder")
    surveys.schedule_due_surveys(stage.world.db)
    stage.world.deliver()
    stage.narrator.show_new()
    amara = stage.cast["Amara"]
    invitation = next((s for s in amara.dms() if "Before you start" in s.text), None)
    if invitation is not None:
        amara.click("Take the survey", in_message=invitation)
        stage.narrator.show_modal(amara, "Amara")
        questions = load_content().survey("baseline", "mentor").questions
        amara.fill({q.text: f"4: {q.scale.label(4)}" for q in questions})
        amara.submit()
        stage.narrator.say("Amara answers; the lead will only ever see totals for groups of at least five")
    _lead_home_lines(stage)


def act_lead_report(stage: Stage) -> None:
    stage.advance(timedelta(hours=2))
    stage.narrator.scene("Lena asks for the programme report: a summary and a chart, in her DM")
    lena = stage.cast["Lena"]
    lena.command("/mentoring", f"report {DEMO_PROGRAMME}")
    stage.world.deliver()
    stage.narrator.show_new()
    channel = stage.world.emulator.open_im(lena.user_id)
    for file in stage.world.emulator.files_in(channel):
        stage.narrator.say(f"uploaded to Lena's DM: {file.name} ({len(file.content or b'')} bytes)")
    stage.narrator.say("with four people in the programme, every survey figure is hidden: no one can be singled out")


def act_close_out(stage: Stage) -> None:
    stage.advance(timedelta(days=1))
    stage.narrator.scene("The programme ends: Lena closes it and chooses a channel to thank the mentors")
    lena = stage.cast["Lena"]
    members = [person.user_id for person in stage.cast.values()]
    channel = stage.world.emulator.add_channel("inclusion-news", members=members)
    lena.command("/mentoring", f"close {DEMO_PROGRAMME}")
    stage.narrator.show_modal(lena, "Lena")
    if lena.modal is None:
        return
    lena.fill({"Thank mentors by name in this channel (optional)": channel})
    lena.submit()
    stage.world.deliver()
    stage.narrator.show_new()
    stage.advance(timedelta(days=1, minutes=5))
    stage.narrator.say("a day later: thanks, the mentor credited by name, and each person's journey")
    stage.world.deliver()
    stage.narrator.show_new()
    ben = stage.cast["Ben"]
    try:
        ben.click("Yes, thank me by name")
        stage.narrator.say("Ben agrees to be thanked in #inclusion-news; Amara is never named unless she says yes")
    except LookupError:
        pass
    stage.world.deliver()
    stage.narrator.show_new()
    lena.command("/mentoring", f"report csv {DEMO_PROGRAMME}")
    stage.world.deliver()
    stage.narrator.show_new()
    dm = stage.world.emulator.open_im(lena.user_id)
    files = [f for f in stage.world.emulator.files_in(dm) if f.name.endswith(".csv")]
    if files:
        rows = (files[-1].content or b"").decode().splitlines()
        stage.narrator.say(f"the CSV {files[-1].name}: {len(rows)} lines, no reflection, concern or comment text")
    _lead_home_lines(stage, limit=6)


ACTS += [act_impact_surveys, act_lead_report, act_close_out]
