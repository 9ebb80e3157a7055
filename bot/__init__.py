"""Reverse mentoring bot: the core (settings, database, services, Slack gateway, emulator)."""
