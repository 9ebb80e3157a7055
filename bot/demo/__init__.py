"""`python -m bot demo`: a scripted programme played offline against the local Slack emulator.

No Slack workspace or credentials: a throw-away SQLite database, the real Bolt app over HTTP, the
emulator, simulated people, and simulated time. It prints what each person sees, in order, with
the simulated date and time. Each feature adds an act to ``ACTS`` in :mod:`bot.demo.script`.
"""

from bot.demo.runner import run_demo

__all__ = ["run_demo"]
