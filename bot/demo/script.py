"""The demo's story, in acts. Each act drives simulated people through the real app.

The brief story (``python -m bot demo``, what ``make run`` plays without credentials): a programme
starts; a mentor says no and the mentee never learns who; the next proposal pairs her across
functions; a light first icebreaker; the first session, with reminders, a private "did you meet?"
and reflections; the contract, agreed after that first meeting; a pause and a resume; and a pair
that never booked, rescued by the lead from an at-risk alert. ``--full`` adds the rest of the year:
help, agendas, a concern, months of sessions, a speed event, impact surveys, the report and
close-out.

Rules the acts keep: people act only through commands, clicks and forms; time moves only through
``stage.wait`` / ``stage.wait_until`` (the worker's jobs on the simulated clock); the database is
read, at most, to know when to wait until, and never written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from bot.clock import now
from bot.demo.runner import Stage
from bot.emulator import Seen
from bot.local_slack import Person

PROGRAMME = "Inclusive Leadership 2027"
ACCEPT = "Yes, I'd like this match"
DECLINE = "No, not this match"
CONCERN_TEXT = "Our last two sessions were moved at short notice and I felt I was an afterthought."
CHECK_IN = "I noticed you and Evan haven't found a time yet. Is anything in the way? Happy to help."

# The recap's words for each role, beside the counts the runner takes from the emulator.
RECAP = {
    "Olu": "Started the programme and named a lead; nothing of any pair after that.",
    "Lena": "Each proposal's reasons; a neutral 'did not go ahead' with the next proposal; the pause; an "
    "alert she acted on. Never a reflection, a contract's words or a reason.",
    "Amara": "Her offer first, privately; the introduction, booking, reminders, her own check-in and "
    "reflection, the contract; only that her partner took a short break.",
    "Chris": "An offer he declined privately. Diana never heard of it; he stays in the pool.",
    "Ben": "His offer, the introduction, a nudge, and Lena's private note that got them booked.",
    "Diana": "Nothing until Amara said yes, never Chris's name; then the introduction, the first session, "
    "the contract, her own pause.",
    "Evan": "Nothing until Ben said yes; then the introduction, a nudge and, after Lena's note, a booking.",
}


def _latest(person: Person, label: str) -> Seen | None:
    return next((s for s in reversed(person.seen()) if s.has_button(label)), None)


def _await(stage: Stage, person: Person, label: str, within: timedelta = timedelta(days=4)) -> Seen | None:
    """The latest message offering ``label`` to ``person``, waiting (hour by hour) for it to arrive.

    A message may be held for the recipient's working hours, so the story waits rather than
    assuming the exact moment it is delivered.
    """
    return _wait_for(stage, lambda: _latest(person, label), within)


def _await_words(stage: Stage, person: Person, words: str, within: timedelta = timedelta(days=4)) -> Seen | None:
    """Like :func:`_await`, for a message in ``person``'s DM that says ``words`` (it may offer no button)."""
    return _wait_for(stage, lambda: next((s for s in reversed(person.dms()) if words in s.text), None), within)


def _wait_for(stage: Stage, find: Callable[[], Seen | None], within: timedelta) -> Seen | None:
    deadline = now() + within
    while True:
        found = find()
        if found is not None or now() >= deadline:
            return found
        stage.wait(timedelta(hours=1))


def _form(stage: Stage, person: Person, name: str, text: str) -> bool:
    """Run a command that opens a form; on a busy machine Slack's 3 seconds can pass, so try again."""
    for _attempt in range(3):
        person.command("/mentoring", text)
        if person.modal is not None:
            return True
        stage.narrator.say(f"the form did not open in time on this busy machine; {name} tries again")
        stage.wait(timedelta(minutes=1))
    return False


def _offered_times(person: Person) -> tuple[Seen, list[str]]:
    offer = [s for s in person.seen() if s.kind == "ephemeral" and "Times for" in s.text][-1]
    labels = [
        b["accessory"]["text"]["text"]
        for b in offer.blocks
        if (b.get("accessory") or {}).get("action_id") == "session_book"
    ]
    return offer, labels


def _working_morning(after: datetime, hour: int = 10) -> datetime:
    """The next weekday at ``hour``:00 UTC after ``after``."""
    day = after.replace(tzinfo=None, hour=hour, minute=0, second=0, microsecond=0)
    if day <= after.replace(tzinfo=None):
        day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


# ---------------------------------------------------------------------------------------------
# The brief story


def act_programme(stage: Stage) -> None:
    stage.narrator.scene("Monday 4 January 2027: an admin starts a programme with an independent lead")
    olu = stage.person("Olu", "admin", is_admin=True, title="Head of People", tz="Europe/London")
    lena = stage.person("Lena", "programme lead", title="Programme lead (independent)", tz="Europe/London")
    stage.person("Amara", "mentor", title="Data Analyst", tz="Europe/London")
    stage.person("Chris", "mentor", title="Marketing Assistant", tz="Europe/London")
    stage.person("Ben", "mentor", title="Graduate Engineer", tz="America/New_York")
    stage.person("Diana", "mentee", title="Chief Financial Officer", tz="Europe/London")
    stage.person("Evan", "mentee", title="VP Engineering", tz="America/New_York")
    if stage.full:
        stage.narrator.say("Amara types /mentoring help; Ben mistypes a command")
        stage.cast["Amara"].command("/mentoring", "help")
        stage.cast["Ben"].command("/mentoring", "joni")
        stage.show()
    olu.command("/mentoring", "programme new")
    stage.narrator.show_modal(olu, "Olu")
    olu.fill(
        {
            "Programme name": PROGRAMME,
            "Description": "Senior leaders learn from colleagues earlier in their careers.",
            "Organisation mode": "Across organisations",
            "Programme leads": [lena.user_id],
        }
    )
    olu.submit()


def act_enrol(stage: Stage) -> None:
    stage.wait(timedelta(hours=1))
    stage.narrator.scene("Five people enrol, each with a short profile")
    people = [
        ("Amara", "Mentor", "Acme", "Operations", ["Gender"]),
        ("Chris", "Mentor", "Initech", "Marketing", ["Gender", "Race and ethnicity", "Disability"]),
        ("Ben", "Mentor", "Globex", "Engineering", ["Social mobility and class background"]),
        ("Diana", "Mentee", "Globex", "Finance", ["Gender", "Race and ethnicity"]),
        ("Evan", "Mentee", "Acme", "Engineering", ["Social mobility and class background"]),
    ]
    for index, (name, role, organisation, department, topics) in enumerate(people):
        person = stage.cast[name]
        person.command("/mentoring", "join")
        if index == 0:
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
        if index == 0:
            stage.show()
            if not stage.full:
                stage.narrator.say("Chris, Ben, Diana and Evan enrol the same way")
        elif not stage.full:
            stage.narrator.skip_new()
        stage.wait(timedelta(minutes=20))


def act_match(stage: Stage) -> None:
    stage.wait_until(datetime(2027, 1, 5, 10, 0))
    stage.narrator.scene("Lena matches; each mentor is asked first, privately")
    lena = stage.cast["Lena"]
    if not _form(stage, lena, "Lena", "match"):
        return
    stage.narrator.show_modal(lena, "Lena", limit=8 if stage.full else 5)
    lena.submit()
    stage.narrator.say("she approves: each proposed mentor is asked first, privately; one left over waits")
    stage.wait(timedelta(minutes=5))


def act_decline(stage: Stage) -> None:
    stage.narrator.scene("Chris says no. Diana never learns who it was")
    chris, lena = stage.cast["Chris"], stage.cast["Lena"]
    offer = _await(stage, chris, DECLINE, timedelta(days=2))
    if offer is None:
        stage.narrator.say("Chris was not offered a match this time")
        return
    stage.wait(timedelta(minutes=30))
    chris.click(DECLINE, in_message=offer)
    stage.show()
    stage.wait(timedelta(minutes=5))
    stage.show()
    stage.narrator.say("Lena opens the next proposal from her alert, and approves it")
    alert = _await(stage, lena, "Open the next proposal", timedelta(days=2))
    if alert is not None:
        lena.click("Open the next proposal", in_message=alert)
        stage.narrator.show_modal(lena, "Lena", limit=5)
        lena.submit()
    stage.wait(timedelta(minutes=5))


def act_accept(stage: Stage) -> None:
    stage.narrator.scene("Amara and Ben say yes; only then are their mentees told")
    for name in ("Amara", "Ben"):
        mentor = stage.cast[name]
        offer = _await(stage, mentor, ACCEPT)  # Ben's waits for his working day in New York
        if offer is not None:
            stage.show()
            mentor.click(ACCEPT, in_message=offer)
            stage.show()
    stage.narrator.say("each introduction waits for the mentee's next working morning")
    stage.wait_until(datetime(2027, 1, 6, 15, 0))


def act_icebreaker(stage: Stage) -> None:
    stage.narrator.scene("A light first icebreaker")
    stage.cast["Diana"].click("Show an icebreaker")


def act_first_session(stage: Stage) -> None:
    stage.wait(timedelta(hours=1))
    stage.narrator.scene("Amara and Diana book their first session; the worker reminds them and asks each privately")
    amara, diana = stage.cast["Amara"], stage.cast["Diana"]
    amara.click("Schedule our first session")
    offer, labels = _offered_times(amara)
    stage.show()
    amara.click(labels[0], in_message=offer)
    stage.show()
    stage.wait(timedelta(minutes=1))
    stage.show()
    booked = _booking_time(stage)
    if booked is None:
        return
    starts, ends = booked
    stage.wait_until(starts - timedelta(hours=2))
    if not stage.full:
        stage.narrator.skip_new("the day before, and an hour before, both get a reminder in their group DM")
    stage.wait_until(ends + timedelta(hours=2))
    stage.show()
    stage.narrator.say("Each answers privately; neither sees the other's answer")
    for person in (amara, diana):
        prompt = _await(stage, person, "Yes, we met")
        if prompt is not None:
            person.click("Yes, we met", in_message=prompt)
    stage.show()
    stage.wait(timedelta(minutes=5))


def _booking_time(stage: Stage) -> tuple[datetime, datetime] | None:
    """When the pair's booked session is: read back from the app, only to know how long to wait."""
    from bot.sessions import service as sessions

    mentee = stage.cast[stage.state.get("booking_mentee", "Diana")]
    with stage.world.db.session() as session:
        from sqlalchemy import select

        from bot.models import Pair

        pair_id = session.scalars(select(Pair.id).where(Pair.mentee_user_id == mentee.user_id)).first()
    if pair_id is None:
        return None
    booked = [s for s in sessions.sessions_of_pair(stage.world.db, pair_id) if s.status == "booked"]
    if not booked:
        return None
    return booked[-1].starts_at.replace(tzinfo=None), booked[-1].ends_at.replace(tzinfo=None)


def act_reflections(stage: Stage) -> None:
    stage.narrator.scene("Each reflects, privately; Amara shares her takeaways, and only them")
    amara, diana = stage.cast["Amara"], stage.cast["Diana"]
    prompt = _await(stage, amara, "Write my reflection")
    stage.show()
    amara.click("Write my reflection", in_message=prompt)
    stage.narrator.show_modal(amara, "Amara", limit=4)
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
    diana.click("Write my reflection", in_message=_await(stage, diana, "Write my reflection"))
    diana.fill(
        {
            "Key takeaways": "I assumed our flexible working policy was used evenly. It is not (private to Diana).",
            "What I will do differently": "Ask my team leads who has actually used it.",
        }
    )
    diana.submit()
    stage.wait(timedelta(minutes=10))


def act_contract(stage: Stage) -> None:
    stage.wait(timedelta(hours=2))
    stage.narrator.scene("After their first meeting, Amara and Diana agree how they will work together")
    amara, diana = stage.cast["Amara"], stage.cast["Diana"]
    diana.command("/mentoring", "contract")
    stage.narrator.show_modal(diana, "Diana", limit=3)
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
    if not stage.full:
        stage.narrator.skip_new("Diana drafts the contract and agrees to it; Amara reads it")
    amara.command("/mentoring", "contract")
    amara.click("I agree to this contract")
    stage.wait(timedelta(minutes=5))
    stage.show()
    stage.narrator.show_home(stage.cast["Lena"], "Lena", limit=8 if stage.full else 5)
    stage.narrator.say("Lena sees that a contract is agreed, never what it says")


def act_agenda(stage: Stage) -> None:
    stage.wait(timedelta(hours=2))
    stage.narrator.scene("Diana sets the agenda for their next session; Amara adds to it")
    diana, amara = stage.cast["Diana"], stage.cast["Amara"]
    diana.command("/mentoring", "agenda")
    diana.fill({"What would you like to talk about?": "How did the hybrid working policy land in your team?"})
    diana.submit()
    amara.click("Add to the agenda")
    amara.fill({"Anything you would like to add?": "How promotion decisions are really made."})
    amara.submit()


def act_pause(stage: Stage) -> None:
    stage.wait_until(_working_morning(now()))
    stage.narrator.scene("Diana pauses for two weeks: no reason needed")
    diana = stage.cast["Diana"]
    diana.command("/mentoring", "pause 2")
    stage.wait(timedelta(hours=1))
    stage.show()
    stage.wait(timedelta(days=6))
    stage.narrator.say("a week later Diana is ready again")
    stage.wait_until(_working_morning(now()))
    diana.command("/mentoring", "resume")
    stage.wait(timedelta(hours=1))


def act_rescue(stage: Stage) -> None:
    stage.narrator.scene("Ben and Evan never found a time: a nudge, then an at-risk alert Lena acts on")
    ben, lena = stage.cast["Ben"], stage.cast["Lena"]
    for _ in range(40):
        stage.wait(timedelta(days=1))
        if _latest(lena, "Check in with Ben") is not None:
            break
    stage.show()
    alert = _latest(lena, "Check in with Ben")
    if alert is None:
        stage.narrator.say("no alert came")
        return
    stage.wait(timedelta(minutes=30))
    lena.click("Check in with Ben", in_message=alert)
    stage.narrator.show_modal(lena, "Lena", limit=3)
    lena.fill({"Your message": CHECK_IN})
    lena.submit()
    lena.close_modal()
    stage.show()
    # Her note is delivered in Ben's working hours, like every prompt: wait for it as he would.
    _await_words(stage, ben, "A private message from", within=timedelta(hours=12))
    stage.show()
    stage.narrator.say("Ben books the first time on offer")
    stage.wait(timedelta(hours=2))
    ben.command("/mentoring", "schedule")
    offer, labels = _offered_times(ben)
    ben.click(labels[0], in_message=offer)
    stage.wait(timedelta(minutes=5))
    if not stage.full:
        stage.narrator.skip_new("the booking and its calendar invite reach Ben and Evan's group DM")
    alert = _latest(lena, "Mark handled")
    if alert is not None:
        lena.click("Mark handled", in_message=alert)
        stage.show()
    stage.wait(timedelta(minutes=5))


# ---------------------------------------------------------------------------------------------
# The full story adds the rest of the programme year


def act_concern(stage: Stage) -> None:
    stage.wait(timedelta(days=1))
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
    stage.wait(timedelta(minutes=5))
    stage.show()
    stage.narrator.say("Lena's alert says there is a concern, not what it says; she opens it to read it")
    stage.wait(timedelta(minutes=40))
    lena.click("Open")
    stage.narrator.show_modal(lena, "Lena")
    lena.click("Acknowledge")
    stage.wait(timedelta(minutes=5))
    stage.show()
    stage.wait(timedelta(days=1))
    stage.show()
    stage.narrator.say("Lena talks it through with Amara, then closes the concern with an outcome note")
    lena.click("Close with an outcome note")
    lena.fill({"Outcome note": "Met Amara; agreed fixed dates with Diana (leads only)."})
    for label in ("A message to Amara", "Message to the reporter", "What you'd like the reporter to hear"):
        try:
            lena.fill({label: "We met and agreed fixed dates; thank you for telling me."})
            break
        except (LookupError, KeyError, AssertionError):
            continue
    lena.submit()
    lena.close_modal()
    # What the lead did reaches Amara in her working hours (a close late on a Friday, on Monday).
    _await_words(stage, amara, "closed your concern", within=timedelta(days=5))
    stage.show()
    stage.narrator.say("Diana was never told. The audit trail records every step, and nobody can edit it")


def _through_one_session(stage: Stage, answers: tuple[str, str] = ("Yes, we met", "Yes, we met")) -> None:
    stage.state["booking_mentee"] = "Evan"
    booked = _booking_time(stage)
    if booked is None:
        return
    _, ends = booked
    stage.wait_until(ends + timedelta(hours=2))
    for name, answer in zip(("Ben", "Evan"), answers, strict=True):
        person = stage.cast[name]
        prompt = _await(stage, person, answer)
        if prompt is not None:
            person.click(answer, in_message=prompt)
    stage.wait(timedelta(minutes=5))


def act_ben_and_evan_sessions(stage: Stage) -> None:
    stage.narrator.scene("Ben and Evan's sessions: reminders, a reschedule, and months of rhythm")
    ben, evan = stage.cast["Ben"], stage.cast["Evan"]
    _through_one_session(stage)
    stage.show()
    stage.wait(timedelta(hours=3))
    evan.command("/mentoring", "schedule")
    offer, labels = _offered_times(evan)
    evan.click(labels[0], in_message=offer)
    stage.wait(timedelta(days=2))
    stage.show()
    stage.narrator.say("Something came up for Ben: one click to reschedule, and the same calendar event updates")
    reschedule = _latest(ben, "Reschedule")
    if reschedule is not None:
        ben.click("Reschedule", in_message=reschedule)
        offer, labels = _offered_times(ben)
        ben.click(labels[-1], in_message=offer)
    stage.wait(timedelta(minutes=5))
    stage.show()
    _through_one_session(stage)
    stage.show()
    for round_number in range(2):
        stage.wait(timedelta(hours=2))
        booker = evan if round_number % 2 == 0 else ben
        booker.command("/mentoring", "schedule")
        offer, labels = _offered_times(booker)
        booker.click(labels[len(labels) // 2], in_message=offer)
        stage.wait(timedelta(minutes=5))
        answers = ("Yes, we met", "No, it didn't happen") if round_number == 1 else ("Yes, we met", "Yes, we met")
        _through_one_session(stage, answers)
        stage.show()
    stage.narrator.say("Their answers stayed private; the lead heard only that one answer differed")


def act_speed_event(stage: Stage) -> None:
    from datetime import UTC, time
    from zoneinfo import ZoneInfo

    stage.wait(timedelta(days=1))
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
    while day.weekday() >= 5:
        day += timedelta(days=1)
    olu.command("/mentoring", "event new")
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
    stage.wait(timedelta(minutes=5))
    stage.show()
    stage.narrator.say("Everyone says yes and names their organisation; the mentees add two private notes")
    for name, person in (("Priya", mentors[0]), ("Tom", mentors[1]), ("Grace", mentees[0]), ("Hugo", mentees[1])):
        person.click("Yes, I'll be there")
        fields = {"My organisation": organisations[name]}
        if person in mentees:
            fields["The state of inclusion in my business"] = f"(private to {name})"
            fields["The gap I want to understand"] = "What our hybrid policy feels like for new starters."
        person.fill(fields)
        person.submit()
    stage.show()
    stage.narrator.say("Lena reviews the rotation (nobody meets someone from their own organisation) and publishes")
    lena.command("/mentoring", "event plan")
    lena.submit()
    start = datetime.combine(day, time(14, 0), london).astimezone(UTC).replace(tzinfo=None)
    stage.wait_until(start + timedelta(minutes=56))
    stage.show()
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
    stage.wait_until(start + timedelta(minutes=55, hours=2, seconds=30))
    stage.narrator.say(f"Two hours later Lena gets the summary: feedback totals wait for {stage.min_group} responses")


def act_survey(stage: Stage) -> None:
    stage.narrator.scene("Impact: Amara answers her private starting survey")
    amara = stage.cast["Amara"]
    invitation = next((s for s in amara.dms() if s.has_button("Take the survey")), None)
    if invitation is None:
        stage.narrator.say("no survey invitation reached Amara")
        return
    from bot.content import load_content

    amara.click("Take the survey", in_message=invitation)
    stage.narrator.show_modal(amara, "Amara")
    kind = "baseline" if "Before you start" in invitation.text else "midpoint"
    questions = load_content().survey(kind, "mentor").questions
    amara.fill({q.text: f"4: {q.scale.label(4)}" for q in questions})
    amara.submit()
    stage.narrator.say(f"the lead will only ever see totals for groups of at least {stage.min_group}")


def act_report_and_close(stage: Stage) -> None:
    stage.wait(timedelta(hours=2))
    stage.narrator.scene("Lena asks for the report, then closes the programme and thanks the mentors")
    lena = stage.cast["Lena"]
    lena.command("/mentoring", f"report {PROGRAMME}")
    stage.wait(timedelta(minutes=5))
    stage.show()
    members = [person.user_id for person in stage.cast.values()]
    channel = stage.world.emulator.add_channel("inclusion-news", members=members)
    lena.command("/mentoring", f"close {PROGRAMME}")
    if lena.modal is None:
        return
    lena.fill({"Thank mentors by name in this channel (optional)": channel})
    lena.submit()
    stage.wait(timedelta(minutes=5))
    stage.show()
    stage.wait(timedelta(days=1, minutes=10))
    stage.show()
    ben = stage.cast["Ben"]
    thanks = _await(stage, ben, "Yes, thank me by name", timedelta(days=2))
    if thanks is not None:
        ben.click("Yes, thank me by name", in_message=thanks)
        stage.narrator.say("Ben agrees to be thanked in #inclusion-news; nobody is named without saying yes")
    stage.wait(timedelta(minutes=5))
    stage.show()
    lena.command("/mentoring", f"report csv {PROGRAMME}")
    stage.wait(timedelta(minutes=5))


BRIEF: list[Callable[[Stage], None]] = [
    act_programme,
    act_enrol,
    act_match,
    act_decline,
    act_accept,
    act_icebreaker,
    act_first_session,
    act_reflections,
    act_contract,
    act_pause,
    act_rescue,
]

FULL_EXTRA: dict[Callable[[Stage], None], list[Callable[[Stage], None]]] = {
    act_contract: [act_agenda],
    act_rescue: [act_concern, act_ben_and_evan_sessions, act_survey, act_speed_event, act_report_and_close],
}


def acts(full: bool) -> list[Callable[[Stage], None]]:
    """The brief story, or the full one: the same acts with the rest of the year woven in."""
    if not full:
        return list(BRIEF)
    out: list[Callable[[Stage], None]] = []
    for act in BRIEF:
        out.append(act)
        out.extend(FULL_EXTRA.get(act, []))
    return out
