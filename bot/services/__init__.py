"""Domain services: plain data in, plain results out; no Slack here."""
