"""Outbox renderers: what each kind of timed message says, rendered when it is sent.

Importing this package registers every kind with :mod:`bot.services.outbox`. Add a module per
feature and import it here.
"""

from bot import dispatcher as _dispatcher  # noqa: F401  (registers delivery_failed)
from bot.renderers import closeout as _closeout  # noqa: F401  (close-out, recognition, reports, data rights)
from bot.renderers import concerns as _concerns  # noqa: F401  (concerns: receipts, alerts, chasers)
from bot.renderers import enrolment as _enrolment  # noqa: F401
from bot.renderers import journey as _journey  # noqa: F401  (the pair's journey)
from bot.renderers import reflections as _reflections  # noqa: F401  (reflection prompts, shared takeaways)
from bot.renderers import sessions as _sessions  # noqa: F401  (sessions: invites, reminders, did-you-meet)
from bot.renderers import speed_events as _speed_events  # noqa: F401  (reverse speed mentoring events)
from bot.renderers import surveys as _surveys  # noqa: F401  (impact survey invitations and reminders)
