"""People's own words are never cut: long texts span several blocks, and every field at its maximum
length reaches its reader whole.

Slack takes at most 3,000 characters in a section, counted as sent, so after escaping: a 2,000
character answer full of ``&`` is 10,000 characters of mrkdwn. The builders in ``bot.blockkit``
split at paragraph, line or word boundaries (never inside ``&amp;`` or an app-made mention), and
where a message or view would pass Slack's block limits they stop with a visible sign.

The end-to-end tests fill each field a reader is later shown (the contract, the concern the lead
reads and the lead's closing words, the briefings, the introduction, the profile, reflections and
shared takeaways) to its maximum length with text that grows when escaped and ends with a marker,
then rebuild what the reader sees from the blocks and look for the whole text in it.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from typing import Any

from freezegun import freeze_time
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from bot.blockkit import (
    MESSAGE_BLOCK_LIMIT,
    MORE_NOT_SHOWN,
    SECTION_TEXT_LIMIT,
    SHORTENED_SIGN,
    context,
    escape,
    limit_blocks,
    mention,
    section,
    sections,
    split_text,
    verbatim,
    verbatims,
)
from bot.concerns.service import DETAILS_MAX, HELP_MAX, MESSAGE_MAX, NOTE_MAX
from bot.content import load_content
from bot.db import Database
from bot.emulator import validate_blocks, validate_view
from bot.journey.service import CONTRACT_ANSWER_MAX
from bot.local_slack import LocalSlack, Person
from bot.models import Concern, Enrolment, PairContract, Reflection
from bot.reflections.blocks import my_reflections_message
from bot.reflections.service import TEXT_MAX
from tests.factory import MONDAY, accept_offer, build_world, create_programme, enrol, hold_session, make_cast

CONTENT = load_content()
ENROLMENT_FIELD_MAX = 2000  # the enrolment form's long fields (max_length on each input)


def long_words(length: int, marker: str) -> str:
    """Exactly ``length`` characters of a person's words that grow when escaped, ending in ``marker``."""
    pattern = "R&D&&<<>>&& P&L <&&> Q&A\n"  # a hostile or just very punctuated writer: 4x when escaped
    end = f" END-{marker}"
    body = (pattern * (length // len(pattern) + 1))[: length - len(end)]
    return body + end


def squash(text: str) -> str:
    """Text without whitespace: a cut at a boundary drops only the whitespace where it falls."""
    return "".join(text.split())


def shown(blocks: Iterable[dict[str, Any]] | None) -> str:
    """What a reader sees in these blocks, in order, with mrkdwn's escapes read back."""
    parts: list[str] = []
    for block in blocks or []:
        texts = [block.get("text"), *(block.get("fields") or []), *(block.get("elements") or [])]
        for item in texts:
            if isinstance(item, dict) and isinstance(item.get("text"), str):
                value = item["text"]
                parts.append(html.unescape(value) if item.get("type") == "mrkdwn" else value)
    return "\n".join(parts)


def reaches_whole(words: str, blocks: Iterable[dict[str, Any]] | None) -> bool:
    return squash(words) in squash(shown(blocks))


# ------------------------------------------------------------------------------------ the builders


def test_long_text_is_split_at_boundaries_and_nothing_is_lost() -> None:
    words = escape(long_words(9000, "UNIT"))
    pieces = split_text(words)
    assert len(pieces) > 3 and all(len(piece) <= SECTION_TEXT_LIMIT for piece in pieces)
    assert squash("".join(pieces)) == squash(words)
    assert all(not piece.endswith(("&", "&a", "&am", "&amp", "&l", "&lt", "&g", "&gt")) for piece in pieces)
    blocks = sections(words, block_id="terms", accessory={"type": "button", "text": {"type": "plain_text",
                                                                                     "text": "Edit"},
                                                          "action_id": "edit"})
    assert [b.get("block_id") for b in blocks][:3] == ["terms", "terms-2", "terms-3"]
    assert "accessory" in blocks[0] and all("accessory" not in b for b in blocks[1:])
    assert validate_blocks(blocks) == []
    assert reaches_whole(long_words(9000, "UNIT"), blocks)


def test_text_with_no_spaces_never_splits_an_escape_or_a_mention() -> None:
    escaped = escape("&" * 3000)  # 15,000 characters of "&amp;"
    assert all(piece.endswith("&amp;") for piece in split_text(escaped))
    assert "".join(split_text(escaped)) == escaped
    run = "x" * 2990 + mention("U0ABCDEF12") + "y" * 100
    pieces = split_text(run)
    assert any(piece.startswith("<@U0ABCDEF12>") for piece in pieces), pieces[1][:20]
    assert "".join(pieces) == run


def test_short_and_exact_texts_stay_one_block() -> None:
    assert split_text("") == [""] and split_text("hello") == ["hello"]
    exact = "a" * SECTION_TEXT_LIMIT
    assert split_text(exact) == [exact] and len(split_text(exact + "b")) == 2
    assert [len(b) for b in (sections(exact), verbatims(exact + " more"))] == [1, 2]


@given(st.text(alphabet=st.sampled_from(["a", "b", " ", "\n", "&", "<", ">", "é", "😀"]), max_size=8000))
def test_any_text_splits_into_pieces_that_fit_and_lose_nothing(text: str) -> None:
    escaped = escape(text)
    pieces = split_text(escaped)
    assert all(len(piece) <= SECTION_TEXT_LIMIT for piece in pieces)
    assert squash("".join(pieces)) == squash(escaped)


def test_a_single_section_asked_to_hold_too_much_says_it_shortened() -> None:
    block = section("word " * 1000)
    assert len(block["text"]["text"]) <= SECTION_TEXT_LIMIT and block["text"]["text"].endswith(SHORTENED_SIGN)
    plain = verbatim("word " * 1000)
    assert len(plain["text"]["text"]) <= SECTION_TEXT_LIMIT and "shortened" in plain["text"]["text"]


def test_past_slacks_block_limit_the_message_stops_with_a_visible_sign_and_keeps_its_buttons() -> None:
    body = [section(f"part {n}") for n in range(70)]
    buttons = {"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Edit"},
                                                "action_id": "edit"}]}
    fitted = limit_blocks([*body, buttons, context("footer")], MESSAGE_BLOCK_LIMIT, keep_last=2)
    assert len(fitted) == MESSAGE_BLOCK_LIMIT and fitted[-2:] == [buttons, context("footer")]
    assert fitted[-3] == context(MORE_NOT_SHOWN)
    assert limit_blocks(body[:10], MESSAGE_BLOCK_LIMIT) == body[:10]


def test_the_reflection_list_shows_whole_reflections_and_says_when_some_do_not_fit() -> None:
    from datetime import UTC, datetime

    from bot.reflections.service import MyReflection, ReflectionData, ReflectionTarget

    at = datetime(2027, 3, 1, tzinfo=UTC)
    items = [
        MyReflection(
            ReflectionTarget(session_id=n, session_number=n, starts_at=at, pair_id=1, programme_id=1,
                             programme_name="Pilot", role="mentor", partner_id="UDIANA", partner_name="Diana"),
            ReflectionData(id=n, session_id=n, takeaways=long_words(TEXT_MAX, f"T{n}"),
                           do_differently=long_words(TEXT_MAX, f"D{n}"), explore_next=long_words(TEXT_MAX, f"E{n}"),
                           safety=4, usefulness=5, share_takeaways=False, shared_at=None, created_at=at,
                           updated_at=at),
        )
        for n in range(1, 9)
    ]
    _, blocks = my_reflections_message(load_content(), items)
    assert len(blocks) <= MESSAGE_BLOCK_LIMIT and validate_blocks(blocks) == []
    text = shown(blocks)
    whole = [n for n in range(1, 9) if all(f"END-{k}{n}" in text for k in "TDE")]
    assert whole == list(range(1, len(whole) + 1)) and len(whole) >= 4  # whole reflections, newest first
    assert not any(f"END-{k}{n}" in text for n in range(len(whole) + 1, 9) for k in "TDE"), "none half shown"
    assert f"Showing your latest {len(whole)} of 8 reflections" in text


# ------------------------------------------------------------------------------------ end to end


def test_the_contract_at_its_longest_reaches_both_people_whole(slack: LocalSlack, db: Database) -> None:
    cast = make_cast(slack)
    answers = {p.title: long_words(CONTRACT_ANSWER_MAX, f"Contractmark{i}")
               for i, p in enumerate(CONTENT.contracting.prompts)}
    with freeze_time(MONDAY.replace(hour=10)):
        create_programme(cast.admin, [cast.lead])
        enrol(cast.mentor, "mentor", "Acme", "Finance")
        enrol(cast.mentee, "mentee", "Globex", "Strategy")
        cast.lead.command("/mentoring", "match")
        assert cast.lead.submit().ok
        accept_offer(cast)
        slack.deliver()
        cast.mentor.command("/mentoring", "contract")
        cast.mentor.fill(answers)
        assert cast.mentor.submit().ok
        view = cast.mentor.modal
        assert view is not None and view["callback_id"] == "contract_view" and validate_view(view) == []
        for words in answers.values():
            assert reaches_whole(words, view["blocks"]), "the contract as the pair reads it"
        cast.mentor.click("I agree to this contract")
        cast.mentee.command("/mentoring", "contract")
        cast.mentee.click("I agree to this contract")
        slack.deliver()
    with db.session() as session:
        stored = json.loads(session.scalars(select(PairContract.terms)).one())
    assert sorted(len(v) for v in stored.values()) == [CONTRACT_ANSWER_MAX] * len(answers)
    [pinned] = [m for m in slack.emulator.messages_in(cast.group_dm()) if m.pinned]
    assert validate_blocks(pinned.blocks) == []
    for words in stored.values():
        assert reaches_whole(words, pinned.blocks), "the agreed contract, pinned in the pair's DM"


def test_briefings_introduction_and_profile_carry_every_long_field_whole(slack: LocalSlack, db: Database) -> None:
    cast = make_cast(slack)
    mentor_words = {
        "What I can bring": long_words(ENROLMENT_FIELD_MAX, "MENTOR-BRING"),
        "What I hope to get out of it": long_words(ENROLMENT_FIELD_MAX, "MENTOR-HOPE"),
        "Topics that are off limits for me": long_words(ENROLMENT_FIELD_MAX, "MENTOR-OFFLIMITS"),
    }
    mentee_words = {
        "What I can bring": long_words(ENROLMENT_FIELD_MAX, "MENTEE-BRING"),
        "What I hope to get out of it": long_words(ENROLMENT_FIELD_MAX, "MENTEE-HOPE"),
        "Topics that are off limits for me": long_words(ENROLMENT_FIELD_MAX, "MENTEE-OFFLIMITS"),
        "Mentees: the state of inclusion in my part of the business today": long_words(ENROLMENT_FIELD_MAX,
                                                                                        "MENTEE-INCLUSION"),
        "Mentees: the gap in understanding I hope to close": long_words(ENROLMENT_FIELD_MAX, "MENTEE-GAP"),
    }
    with freeze_time(MONDAY.replace(hour=10)):
        create_programme(cast.admin, [cast.lead])
        enrol(cast.mentor, "mentor", "Acme", "Finance", **mentor_words)
        enrol(cast.mentee, "mentee", "Globex", "Strategy", **mentee_words)
        cast.lead.command("/mentoring", "match")
        assert cast.lead.submit().ok
        accept_offer(cast)
        slack.deliver()
    with db.session() as session:
        rows = {e.role: e for e in session.scalars(select(Enrolment))}
        mentor, mentee = rows["mentor"], rows["mentee"]
        assert len(mentee.understanding_gap or "") == ENROLMENT_FIELD_MAX

    def briefing(person: Person) -> list[dict[str, Any]]:
        found = [s for s in person.dms() if "Before you meet" in shown(s.blocks)]
        assert len(found) == 1, [s.text[:60] for s in person.dms()]
        assert validate_blocks(found[0].blocks) == []
        return found[0].blocks or []

    # Each person's private briefing holds what the partner shared privately, whole.
    assert reaches_whole(mentee.off_limits or "", briefing(cast.mentor))
    assert reaches_whole(mentee.understanding_gap or "", briefing(cast.mentor))
    assert reaches_whole(mentor.off_limits or "", briefing(cast.mentee))
    # The introduction in the pair's DM holds both people's own words, whole, and nothing private.
    [intro] = [m for m in slack.emulator.messages_in(cast.group_dm()) if "in their own words" in shown(m.blocks)]
    assert validate_blocks(intro.blocks) == []
    for words in (mentor.can_bring, mentor.hope_to_get, mentee.can_bring, mentee.hope_to_get):
        assert reaches_whole(words, intro.blocks)
    everything_shared = json.dumps([m.blocks for m in slack.emulator.messages_in(cast.group_dm())])
    for private in ("MENTOR-OFFLIMITS", "MENTEE-OFFLIMITS", "MENTEE-GAP", "MENTEE-INCLUSION"):
        assert private not in everything_shared, "private notes never go into the shared conversation"
        assert private not in json.dumps([s.blocks for s in cast.lead.seen()]), "nor to the lead"
    # Her own profile shows everything she wrote, whole.
    cast.mentee.command("/mentoring", "profile")
    profile = next(s for s in reversed(cast.mentee.seen()) if "Your profile in" in shown(s.blocks) + s.text)
    assert validate_blocks(profile.blocks) == []
    for words in (mentee.can_bring, mentee.hope_to_get, mentee.off_limits, mentee.inclusion_statement,
                  mentee.understanding_gap):
        assert reaches_whole(words or "", profile.blocks)


def test_the_concern_the_lead_reads_and_the_answer_the_reporter_gets_are_whole(
    slack: LocalSlack, db: Database
) -> None:
    world = build_world(slack, db)
    amara, lena = world.mentor, world.lead
    details, helps = long_words(DETAILS_MAX, "DETAILS"), long_words(HELP_MAX, "HELPS")
    amara.command("/mentoring", "concern")
    amara.fill({
        "What would you like the programme lead to know?": details,
        "How soon do you need a response?": "This week",
        "How would you like to raise it?": "named",
        "What would help?": helps,
    })
    assert amara.submit().ok
    slack.deliver()
    lena.click("Open")
    view = lena.modal
    assert view is not None and validate_view(view) == []
    with db.session() as session:
        concern = session.scalars(select(Concern)).one()
        stored_details, stored_helps = concern.details, concern.what_would_help or ""
    assert len(stored_details) == DETAILS_MAX
    assert reaches_whole(stored_details, view["blocks"]) and reaches_whole(stored_helps, view["blocks"])

    note, message = long_words(NOTE_MAX, "OUTCOME"), long_words(MESSAGE_MAX, "TO-REPORTER")
    lena.click("Close with an outcome note")
    lena.fill({"Outcome note": note, "Message to the reporter": message})
    assert lena.submit().ok
    closed = lena.modal
    assert closed is not None and validate_view(closed) == []
    assert reaches_whole(note.strip(), closed["blocks"]), "the outcome note, for the leads"
    slack.deliver()
    answer = next(s for s in reversed(amara.dms()) if "END-TO-REPORTER" in shown(s.blocks))
    assert validate_blocks(answer.blocks) == [] and reaches_whole(message.strip(), answer.blocks)
    assert "END-DETAILS" not in json.dumps([s.blocks for s in world.mentee.seen()]), "the partner never sees it"


def test_reflections_at_their_longest_reach_their_author_and_the_shared_part_the_partner(
    slack: LocalSlack, db: Database
) -> None:
    world = build_world(slack, db, channel=False)
    amara = world.mentor
    hold_session(db, world, hours_ago=3)
    words = {
        "Key takeaways": long_words(TEXT_MAX, "TAKEAWAYS"),
        "What I will do differently": long_words(TEXT_MAX, "DIFFERENTLY"),
        "What I want to explore next time": long_words(TEXT_MAX, "EXPLORE"),
    }
    amara.command("/mentoring", "reflect")
    amara.fill({**words, "How safe did you feel to speak openly?": "4", "How useful was this session for you?": "5",
                "Share with my partner": True})
    assert amara.submit().ok
    slack.deliver()
    with db.session() as session:
        saved = session.scalars(select(Reflection)).one()
        texts = (saved.takeaways, saved.do_differently, saved.explore_next or "")
    assert [len(t) for t in texts] == [TEXT_MAX] * 3
    amara.command("/mentoring", "reflections")
    listing = next(s for s in reversed(amara.seen()) if "Your reflections" in shown(s.blocks))
    assert validate_blocks(listing.blocks) == []
    assert all(reaches_whole(t, listing.blocks) for t in texts), "the author reads every word back"
    pair_dm = slack.emulator.group_dm(amara.user_id, world.mentee.user_id) or ""
    shared = [m for m in slack.emulator.messages_in(pair_dm) if "END-TAKEAWAYS" in shown(m.blocks)]
    assert len(shared) == 1 and reaches_whole(texts[0], shared[0].blocks), "the shared takeaways, whole"
    assert "END-DIFFERENTLY" not in json.dumps(shared[0].blocks), "and only the takeaways"
