"""App Home views."""

from __future__ import annotations

from typing import Any

from bot.blocks import context, header, section


def home_view() -> dict[str, Any]:
    return {
        "type": "home",
        "blocks": [
            header("Reverse mentoring"),
            section(
                "Welcome. Here junior colleagues mentor senior leaders, so leaders learn how work is "
                "really experienced by people unlike them. Type `/mentoring help` to see what you can do."
            ),
            context("What you write in reflections and concerns is private. Only you decide what to share."),
        ],
    }
