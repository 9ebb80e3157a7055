"""Close-out, recognition, the lead's report and data-rights messages, rendered when they are sent.

Importing this module also registers close-out with the sessions feature's ``CLOSE_OUT_HOOKS``
(through :mod:`bot.closeout.service`).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.blockkit import escape, mention, section
from bot.closeout import data_rights
from bot.closeout import service as closeout
from bot.content import Content
from bot.home.service import goals_from_terms
from bot.impact import blocks
from bot.impact import service as impact
from bot.models import (
    Enrolment,
    MentoringSession,
    OutboxMessage,
    Pair,
    PairContract,
    Programme,
    ProgrammeCloseout,
    ProgrammeLead,
    RecognitionConsent,
)
from bot.outbox import Kind, OutboxFile, Rendered, Skip
from bot.reflections import service as reflection_service
from bot.reflections.blocks import prompt_message

REPORT_KIND = impact.REPORT_KIND


def _name(session: Session, programme_id: int, user_id: str) -> str | None:
    return session.scalar(
        select(Enrolment.real_name).where(Enrolment.programme_id == programme_id, Enrolment.user_id == user_id)
    )


def _held(session: Session, pair_id: int) -> list[MentoringSession]:
    return list(
        session.scalars(
            select(MentoringSession)
            .where(MentoringSession.pair_id == pair_id, MentoringSession.status == "held")
            .order_by(MentoringSession.starts_at)
        )
    )


def _pair(session: Session, row: OutboxMessage) -> tuple[Pair, Programme] | Skip:
    pair = session.get(Pair, int(row.payload["pair_id"]))
    if pair is None:
        return Skip("the pair no longer exists")
    programme = session.get(Programme, pair.programme_id)
    if programme is None:
        return Skip("the programme no longer exists")
    if row.recipient_user_id and row.recipient_user_id not in (pair.mentor_user_id, pair.mentee_user_id):
        return Skip("the person's data was deleted")
    return pair, programme


def render_final_reflection(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    found = _pair(session, row)
    if isinstance(found, Skip):
        return found
    pair, programme = found
    user_id = row.recipient_user_id or ""
    held = _held(session, pair.id)
    if not held:
        return Skip("no session was held")
    last = held[-1]
    if reflection_service.has_reflected(session, last.id, user_id):
        return Skip("already reflected on the last session")
    target = reflection_service.target_in_session(session, last, user_id)
    _text, prompt = prompt_message(content, target, min_group=content.setting("min_group_size"))
    return Rendered(
        text=f"A final reflection for {escape(programme.name)}",
        blocks=[section(blocks.final_reflection_intro(programme.name)), *prompt[1:]],
        user_id=user_id,
    )


def render_mentee_thanks(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    found = _pair(session, row)
    if isinstance(found, Skip):
        return found
    pair, programme = found
    mentor_name = _name(session, programme.id, pair.mentor_user_id)
    if mentor_name is None:
        return Skip("the mentor's data was deleted")
    text, body = blocks.mentee_thanks(programme.name, mentor_name, len(_held(session, pair.id)))
    return Rendered(text=text, blocks=body, user_id=pair.mentee_user_id)


def render_mentor_thanks(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    found = _pair(session, row)
    if isinstance(found, Skip):
        return found
    pair, programme = found
    name = _name(session, programme.id, pair.mentor_user_id)
    if name is None:
        return Skip("the mentor's data was deleted")
    mentee = _name(session, programme.id, pair.mentee_user_id) or "your mentee"
    text, body = blocks.mentor_thanks(content, programme.name, name.split()[0], mentee, len(_held(session, pair.id)))
    return Rendered(text=text, blocks=body, user_id=pair.mentor_user_id)


def render_journey_summary(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    found = _pair(session, row)
    if isinstance(found, Skip):
        return found
    pair, programme = found
    user_id = row.recipient_user_id or ""
    role = "mentor" if user_id == pair.mentor_user_id else "mentee"
    partner_id = pair.mentee_user_id if role == "mentor" else pair.mentor_user_id
    if _name(session, programme.id, user_id) is None:
        return Skip("the person's data was deleted")
    contract = session.scalar(select(PairContract).where(PairContract.pair_id == pair.id))
    goals = goals_from_terms(contract.terms, role) if contract else None
    from bot.clock import as_utc

    text, body = blocks.journey_summary(
        programme.name,
        role,
        _name(session, programme.id, partner_id) or "your partner",
        as_utc(pair.created_at),
        [as_utc(s.starts_at) for s in _held(session, pair.id)],
        goals,
    )
    return Rendered(text=text, blocks=body, user_id=user_id)


def render_consent_request(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    found = _pair(session, row)
    if isinstance(found, Skip):
        return found
    pair, programme = found
    consent = session.get(RecognitionConsent, pair.id)
    closed = session.get(ProgrammeCloseout, programme.id)
    if consent is None or consent.answer is not None or closed is None or not closed.recognition_channel_id:
        return Skip("nothing to ask")
    text, body = blocks.consent_request(programme.name, closed.recognition_channel_id, pair.id)
    return Rendered(text=text, blocks=body, user_id=pair.mentor_user_id)


def render_recognition_post(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    pair_id = int(row.payload["pair_id"])
    consent = session.get(RecognitionConsent, pair_id)
    if consent is None or consent.answer != "yes":
        return Skip("the mentor has not agreed to be named")  # consent is checked again at send time
    programme = session.get(Programme, consent.programme_id)
    if programme is None or not row.channel_id:
        return Skip("nowhere to post")
    text, body = blocks.recognition_post(programme.name, consent.mentor_user_id)
    return Rendered(text=text, blocks=body, channel=row.channel_id)


def render_lead_summary(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    payload = row.payload
    programme = session.get(Programme, int(payload["programme_id"]))
    if programme is None:
        return Skip("the programme no longer exists")
    from datetime import timedelta

    from bot.clock import as_utc

    purge_after = (
        as_utc(programme.closed_at) + timedelta(days=programme.retention_days) if programme.closed_at else None
    )
    text = blocks.closed_for_lead(
        programme.name,
        int(payload.get("pairs") or 0),
        int(payload.get("surveyed") or 0),
        payload.get("by") == closeout.CLOSED_BY_END_DATE,
        purge_after,
    )
    return Rendered(text=text, blocks=[section(text)], user_id=row.recipient_user_id)


def render_waiting_notice(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    programme = session.get(Programme, int(row.payload["programme_id"]))
    if programme is None:
        return Skip("the programme no longer exists")
    return Rendered(text=blocks.waiting_closed(programme.name), user_id=row.recipient_user_id)


# ------------------------------------------------------------------------------------ leaving


def render_partner_notice(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    programme = session.get(Programme, int(row.payload["programme_id"]))
    if programme is None:
        return Skip("the programme no longer exists")
    return Rendered(
        text=content.message("leaving_partner_notice", programme=escape(programme.name)),
        user_id=row.recipient_user_id,
    )


def render_lead_notice(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    programme = session.get(Programme, int(row.payload["programme_id"]))
    if programme is None:
        return Skip("the programme no longer exists")
    enrolment = session.get(Enrolment, int(row.payload.get("enrolment_id") or 0))
    person = (
        f"*{escape(enrolment.real_name)}* ({mention(enrolment.user_id)})" if enrolment is not None else "A participant"
    )
    return Rendered(
        text=content.message("leaving_lead_notice", person=person, programme=escape(programme.name)),
        user_id=row.recipient_user_id,
    )


def render_deleted_notice(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    programme = session.get(Programme, int(row.payload["programme_id"]))
    if programme is None:
        return Skip("the programme no longer exists")
    text = blocks.deleted_for_lead(
        programme.name, str(row.payload.get("role") or "participant"), row.payload.get("partner_user_id")
    )
    return Rendered(text=text, user_id=row.recipient_user_id)


def render_data_export(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    user_id = row.recipient_user_id or ""
    # Built now, in this unit of work; the file goes only to the person's own DM.
    data = data_rights.export_my_data_in(session, user_id)
    data["about"] = f"{data['about']} {content.promise('data-export')}"
    payload = data_rights.as_json(data)
    return Rendered(
        text=f"{content.message('data_export_ready')} {content.promise('this-message')}",
        user_id=user_id,
        file=OutboxFile("my-mentoring-data.json", payload, "Your reverse mentoring data"),
    )


# ------------------------------------------------------------------------------------ report


def render_report(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    programme_id = int(row.payload["programme_id"])
    lead = row.recipient_user_id or ""
    is_lead = session.scalar(
        select(ProgrammeLead.id).where(ProgrammeLead.programme_id == programme_id, ProgrammeLead.user_id == lead)
    )
    if is_lead is None and not row.payload.get("admin"):
        return Skip("no longer a lead of this programme")
    min_group = impact.effective_min_group(int(row.payload.get("min_group") or impact.DEFAULT_MIN_GROUP))
    report = impact.programme_report(session, programme_id, content, min_group)
    if row.payload.get("format") == "csv":
        text, body = blocks.csv_message(report.name)
        data = impact.report_csv(report.name, report.summary, report.pairs, report.impact)
        stamp = report.generated_at[:10]
        filename = f"{_slug(report.name)}-{stamp}.csv"
        return Rendered(text=text, blocks=body, user_id=lead, file=OutboxFile(filename, data, f"{report.name} (CSV)"))
    ratings = rating_lines(session, programme_id, min_group)
    text, body = blocks.report_message(report, ratings)
    chart = impact.report_chart(report.name, report.sessions_per_month, report.impact)
    filename = f"{_slug(report.name)}-{report.generated_at[:10]}.png"
    return Rendered(text=text, blocks=body, user_id=lead, file=OutboxFile(filename, chart, f"{report.name}: chart"))


def rating_lines(session: Session, programme_id: int, min_group: int) -> list[str]:
    """Reflection ratings from the reflections feature, with the same complementary suppression.

    A role group is hidden when the other role's group is hidden and the overall figure is shown
    (the overall figure minus one group would give the other).
    """
    aggregates = reflection_service.rating_aggregates(session, programme_id, min_group=min_group)
    lines: list[str] = []
    for question in ("safety", "usefulness"):
        overall = aggregates.overall[question]
        groups = {role: aggregates.by_role[role][question] for role in ("mentor", "mentee")}
        shown = {role: not g.suppressed and g.mean is not None for role, g in groups.items()}
        hidden_some = any(g.suppressed for g in groups.values())
        if hidden_some and overall.mean is not None and not overall.suppressed:
            shown = {role: False for role in shown}
        bits = []
        if overall.mean is not None and not overall.suppressed:
            bits.append(f"everyone {overall.mean:.1f} ({overall.people} people)")
        for role, group in groups.items():
            if shown[role] and group.mean is not None:
                bits.append(f"{role}s {group.mean:.1f} ({group.people} people)")
        lines.append(f"• {question}: " + ("; ".join(bits) if bits else f"hidden (fewer than {min_group} people)"))
    return lines


def _slug(name: str) -> str:
    return "".join(ch.lower() if ch.isalnum() else "-" for ch in name).strip("-") or "programme"


# Every timed message this feature sends: its kind, how it renders, its overdue policy.
KINDS: dict[str, Kind] = {
    closeout.FINAL_REFLECTION_KIND: Kind(render_final_reflection),
    closeout.MENTEE_THANKS_KIND: Kind(render_mentee_thanks),
    closeout.MENTOR_THANKS_KIND: Kind(render_mentor_thanks),
    closeout.JOURNEY_SUMMARY_KIND: Kind(render_journey_summary),
    closeout.CONSENT_REQUEST_KIND: Kind(render_consent_request),
    closeout.RECOGNITION_POST_KIND: Kind(render_recognition_post),
    closeout.LEAD_SUMMARY_KIND: Kind(render_lead_summary),
    closeout.WAITING_NOTICE_KIND: Kind(render_waiting_notice),
    data_rights.PARTNER_NOTICE_KIND: Kind(render_partner_notice),
    data_rights.LEAD_NOTICE_KIND: Kind(render_lead_notice),
    data_rights.DELETED_NOTICE_KIND: Kind(render_deleted_notice),
    data_rights.EXPORT_KIND: Kind(render_data_export),
    REPORT_KIND: Kind(render_report),
}
