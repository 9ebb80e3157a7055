"""Outbox renderers: what each kind of timed message says, rendered when it is sent.

Importing this package registers every kind with :mod:`bot.services.outbox`. Add a module per
feature and import it here.
"""

from bot import dispatcher as _dispatcher  # noqa: F401  (registers delivery_failed)
from bot.renderers import enrolment as _enrolment  # noqa: F401
