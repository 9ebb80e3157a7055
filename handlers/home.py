"""App Home: published on ``app_home_opened`` and again after anything that changes it.

Other features can call :func:`refresh_home` after an action that changes what someone's Home
shows (it is cheap: a fixed number of queries per programme, whatever its size).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from slack_bolt import Ack

from bot.clock import now
from bot.errors import FieldErrors, NotAllowed, NotFound
from bot.home import service as dashboard
from bot.home.blocks import (
    HOME_CLOSE,
    HOME_CSV,
    HOME_GUIDE,
    HOME_PAGE_NEXT,
    HOME_PAGE_PREV,
    HOME_REPORT,
    HOME_RESUME,
    home_view,
    pair_page_size,
    participant_blocks,
)
from bot.impact import service as impact
from bot.impact import surveys
from bot.impact.blocks import close_modal
from bot.programmes import pauses
from bot.programmes.access import led_programme_ids
from bot.programmes.enrolment_blocks import guide_blocks
from bot.programmes.pause_blocks import (
    LEAD_PAUSE_PAIR,
    LEAD_RESUME_PAIR,
    PAUSE_FOR,
    paused_message,
    resumed_message,
)
from bot.programmes.service import get_programme
from bot.runtime import Runtime
from handlers.common import Listeners, acting_user, action_value, parse_int, tell, user_is_admin

log = logging.getLogger(__name__)


def build_home(runtime: Runtime, user_id: str, pages: dict[int, int] | None = None) -> dict[str, Any]:
    content = runtime.content
    views = dashboard.participant_views(runtime.db, user_id)
    pending = surveys.pending_surveys(runtime.db, user_id)
    at = now()
    participant = (
        len(participant_blocks(content, views, pending, at, runtime.settings.min_group_size))
        if (views or pending)
        else 0
    )
    led = len(runtime_programmes_led(runtime, user_id))
    size = pair_page_size(participant, led)
    boards = dashboard.lead_dashboards(runtime.db, user_id, pages=pages, page_size=size) if led else []
    return home_view(
        content, boards=boards, views=views, pending=pending, now=at, min_group=runtime.settings.min_group_size
    )


def runtime_programmes_led(runtime: Runtime, user_id: str) -> list[int]:
    with runtime.db.session() as session:
        return led_programme_ids(session, user_id)


def publish_home(runtime: Runtime, user_id: str, pages: dict[int, int] | None = None) -> None:
    runtime.gateway.publish_home(user_id, build_home(runtime, user_id, pages))


def refresh_home(runtime: Runtime, user_id: str, pages: dict[int, int] | None = None) -> None:
    """Re-publish someone's Home (best effort: a failure here never breaks the action that caused it)."""
    try:
        publish_home(runtime, user_id, pages)
    except Exception:
        log.warning("Could not refresh App Home", exc_info=True)


def refresh_homes(runtime: Runtime, user_ids: Iterable[str | None]) -> None:
    for user_id in dict.fromkeys(u for u in user_ids if u):
        refresh_home(runtime, user_id)


def publish_on_open(event: dict[str, Any], runtime: Runtime) -> None:
    """``app_home_opened``: the Home tab is built for whoever opened it."""
    if event.get("tab", "home") != "home":
        return
    publish_home(runtime, str(event["user"]))


def turn_page(ack: Ack, body: dict[str, Any], runtime: Runtime) -> None:
    ack()
    programme_id, _, page = action_value(body).partition(":")
    try:
        pages = {int(programme_id): int(page)}
    except ValueError:
        pages = {}
    refresh_home(runtime, acting_user(body), pages)


def send_report(ack: Ack, body: dict[str, Any], runtime: Runtime) -> None:
    """The lead's "Report" and "CSV" buttons: the file arrives in the lead's DM."""
    ack()
    user_id = acting_user(body)
    fmt = "csv" if body["actions"][0]["action_id"] == HOME_CSV else "summary"
    try:
        impact.request_report(
            runtime.db,
            parse_int(action_value(body)),
            user_id,
            fmt=fmt,
            min_group=runtime.settings.min_group_size,
            admin=user_is_admin(runtime, user_id),
        )
    except (NotAllowed, NotFound) as error:
        tell(runtime, user_id, str(error) or "Only this programme's leads can do that.")
        return
    what = "CSV export" if fmt == "csv" else "report, with its chart,"
    tell(runtime, user_id, f"Your {what} is on its way to this conversation.")


def open_close(ack: Ack, body: dict[str, Any], runtime: Runtime) -> None:
    ack()
    user_id = acting_user(body)
    try:
        programme_id = parse_int(action_value(body))
        board = dashboard.lead_dashboards(runtime.db, user_id, page_size=1)
        match = next((b for b in board if b.programme_id == programme_id), None)
        if match is None and not user_is_admin(runtime, user_id):
            raise NotAllowed("Only this programme's leads can do that.")
        programme = get_programme(runtime.db, programme_id)
    except (NotAllowed, NotFound) as error:
        tell(runtime, user_id, str(error))
        return
    live = (match.pairs_by_status.get("active", 0) + match.pairs_by_status.get("paused", 0)) if match else 0
    runtime.gateway.open_view(
        str(body["trigger_id"]), close_modal(programme.id, programme.name, live, programme.retention_days)
    )


def read_guide(ack: Ack, body: dict[str, Any], runtime: Runtime) -> None:
    ack()
    role = action_value(body) or "mentor"
    _, blocks = guide_blocks(runtime.content, role if role in {"mentor", "mentee"} else "mentor")
    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Your guide"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [b for b in blocks if b.get("type") != "actions"][:100],
    }
    runtime.gateway.open_view(str(body["trigger_id"]), view)


def pause_from_home(ack: Ack, body: dict[str, Any], runtime: Runtime) -> None:
    """A participant's "Pause 2/4/8 weeks" or "Pause until I resume" (no reason asked)."""
    ack()
    user_id = acting_user(body)
    programme_id, _, length = action_value(body).partition(":")
    try:
        result = pauses.pause(
            runtime.db,
            user_id,
            int(length) if length.isdigit() else None,
            programme_id=parse_int(programme_id),
            long_after=timedelta(weeks=runtime.settings.long_pause_weeks),
        )
    except (NotAllowed, NotFound, FieldErrors) as error:
        tell(runtime, user_id, " ".join(error.errors.values()) if isinstance(error, FieldErrors) else str(error))
        return
    tell(runtime, user_id, paused_message(result.programme_name, result.ends_at, result.tz))
    refresh_home(runtime, user_id)


def resume_from_home(ack: Ack, body: dict[str, Any], runtime: Runtime) -> None:
    ack()
    user_id = acting_user(body)
    try:
        result = pauses.resume(runtime.db, user_id, programme_id=parse_int(action_value(body)))
    except (NotAllowed, NotFound) as error:
        tell(runtime, user_id, str(error))
        return
    tell(runtime, user_id, resumed_message(result.programme_name))
    refresh_home(runtime, user_id)


def lead_pause_or_resume(ack: Ack, body: dict[str, Any], runtime: Runtime) -> None:
    """A lead's "Pause pair" or "Resume pair" on a pair in their App Home."""
    ack()
    user_id = acting_user(body)
    act = pauses.lead_pause if body["actions"][0]["action_id"] == LEAD_PAUSE_PAIR else pauses.lead_resume
    try:
        text = act(runtime.db, parse_int(action_value(body)), user_id, admin=user_is_admin(runtime, user_id))
    except (NotAllowed, NotFound) as error:
        tell(runtime, user_id, str(error))
        return
    tell(runtime, user_id, text)
    refresh_home(runtime, user_id)


LISTENERS = Listeners(
    actions=[
        (HOME_PAGE_NEXT, turn_page),
        (HOME_PAGE_PREV, turn_page),
        (HOME_REPORT, send_report),
        (HOME_CSV, send_report),
        (HOME_CLOSE, open_close),
        (HOME_GUIDE, read_guide),
        (PAUSE_FOR, pause_from_home),
        (HOME_RESUME, resume_from_home),
        (LEAD_PAUSE_PAIR, lead_pause_or_resume),
        (LEAD_RESUME_PAIR, lead_pause_or_resume),
    ],
    events=[("app_home_opened", publish_on_open)],
)
