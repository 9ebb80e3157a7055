"""App Home: published on ``app_home_opened`` and again after anything that changes it.

Other features can call :func:`refresh_home` after an action that changes what someone's Home
shows (it is cheap: a fixed number of queries per programme, whatever its size).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from slack_bolt import Ack, App

from bot.clock import now
from bot.errors import NotAllowed, NotFound
from bot.home import service as dashboard
from bot.home.blocks import (
    HOME_CLOSE,
    HOME_CSV,
    HOME_GUIDE,
    HOME_PAGE_NEXT,
    HOME_PAGE_PREV,
    HOME_REPORT,
    home_view,
    pair_page_size,
    participant_blocks,
)
from bot.impact import service as impact
from bot.impact import surveys
from bot.impact.blocks import close_modal
from bot.runtime import Runtime
from handlers.common import acting_user, user_is_admin
from handlers.common import tell as common_tell

log = logging.getLogger(__name__)


def build_home(runtime: Runtime, user_id: str, pages: dict[int, int] | None = None) -> dict[str, Any]:
    content = runtime.content
    views = dashboard.participant_views(runtime.db, user_id)
    pending = surveys.pending_surveys(runtime.db, user_id)
    at = now()
    participant = len(participant_blocks(content, views, pending, at)) if (views or pending) else 0
    led = len(runtime_programmes_led(runtime, user_id))
    size = pair_page_size(participant, led)
    boards = dashboard.lead_dashboards(runtime.db, user_id, pages=pages, page_size=size) if led else []
    return home_view(content, boards=boards, views=views, pending=pending, now=at)


def runtime_programmes_led(runtime: Runtime, user_id: str) -> list[int]:
    from bot.programmes.access import led_programme_ids

    with runtime.db.session() as session:
        return led_programme_ids(session, user_id)


def publish_home(runtime: Runtime, user_id: str, pages: dict[int, int] | None = None) -> None:
    runtime.gateway.publish_home(user_id, build_home(runtime, user_id, pages))


def refresh_home(runtime: Runtime, user_id: str) -> None:
    """Re-publish someone's Home (best effort: a failure here never breaks the action that caused it)."""
    try:
        publish_home(runtime, user_id)
    except Exception:
        log.warning("Could not refresh App Home", exc_info=True)


def refresh_homes(runtime: Runtime, user_ids: Iterable[str | None]) -> None:
    for user_id in dict.fromkeys(u for u in user_ids if u):
        refresh_home(runtime, user_id)


def register(app: App, runtime: Runtime) -> None:
    db, gateway = runtime.db, runtime.gateway

    def tell(user_id: str, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        common_tell(runtime, user_id, text, blocks)

    def turn_page(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        raw = str(body["actions"][0].get("value") or "")
        programme_id, _, page = raw.partition(":")
        try:
            pages = {int(programme_id): int(page)}
        except ValueError:
            pages = {}
        publish_home(runtime, acting_user(body), pages)

    app.action(HOME_PAGE_NEXT)(turn_page)
    app.action(HOME_PAGE_PREV)(turn_page)

    def send_report(fmt: str) -> Any:
        def handler(ack: Ack, body: dict[str, Any]) -> None:
            ack()
            user_id = acting_user(body)
            try:
                programme_id = int(body["actions"][0].get("value") or 0)
                impact.request_report(
                    db,
                    programme_id,
                    user_id,
                    fmt=fmt,
                    min_group=runtime.settings.min_group_size,
                    admin=user_is_admin(runtime, user_id),
                )
            except (NotAllowed, NotFound, ValueError) as error:
                tell(user_id, str(error) or "Only this programme's leads can do that.")
                return
            what = "CSV export" if fmt == "csv" else "report, with its chart,"
            tell(user_id, f"Your {what} is on its way to this conversation.")

        return handler

    app.action(HOME_REPORT)(send_report("summary"))
    app.action(HOME_CSV)(send_report("csv"))

    @app.action(HOME_CLOSE)
    def open_close(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        user_id = acting_user(body)
        try:
            programme_id = int(body["actions"][0].get("value") or 0)
            board = dashboard.lead_dashboards(db, user_id, page_size=1)
            match = next((b for b in board if b.programme_id == programme_id), None)
            if match is None and not user_is_admin(runtime, user_id):
                raise NotAllowed("Only this programme's leads can do that.")
            from bot.programmes.service import get_programme

            programme = get_programme(db, programme_id)
        except (NotAllowed, NotFound, ValueError) as error:
            tell(user_id, str(error))
            return
        live = (match.pairs_by_status.get("active", 0) + match.pairs_by_status.get("paused", 0)) if match else 0
        gateway.open_view(
            str(body["trigger_id"]), close_modal(programme.id, programme.name, live, programme.retention_days)
        )

    @app.action(HOME_GUIDE)
    def read_guide(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        from bot.programmes.enrolment_blocks import guide_blocks

        role = str(body["actions"][0].get("value") or "mentor")
        _, blocks = guide_blocks(runtime.content, role if role in {"mentor", "mentee"} else "mentor")
        view = {
            "type": "modal",
            "title": {"type": "plain_text", "text": "Your guide"},
            "close": {"type": "plain_text", "text": "Close"},
            "blocks": [b for b in blocks if b.get("type") != "actions"][:100],
        }
        gateway.open_view(str(body["trigger_id"]), view)
