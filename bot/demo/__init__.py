"""`python -m bot demo [--full]`: one programme's story, played offline against the local Slack emulator.

No Slack workspace or credentials: a throw-away SQLite database, the real Bolt app over HTTP, the
emulator, simulated people and a simulated clock that only the worker's own jobs move. It prints what
each person sees, each message once, under who sees it. The brief story is what ``make run`` plays
without credentials; ``--full`` plays the whole year. The acts are in :mod:`bot.demo.script`
(``BRIEF``, and ``FULL_EXTRA`` woven in after them).
"""

from bot.demo.runner import run_demo

__all__ = ["run_demo"]
