"""Issue 15, item 1: a label that says who will see something lives in content/promises.yml.

Every string the app can show (string literals in bot/ and handlers/, every text in content/) is
searched for the words such labels use ("only you", "private to", "won't see", ...). A hit must be
a promise in content/promises.yml (shown with ``content.promise(id)`` and proved by
tests/test_promises_e2e.py), or be listed below with the reason it is not one. So a new
hard-coded label fails here, and an entry below that no longer matches anything fails too.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

PHRASES = re.compile(
    r"only you\b|seen only|only ever|only the two of you|private to|doesn't see|does not see|can't see"
    r"|never shown|never (?:be )?told|nobody is told|nobody else|won't see"
    r"|can see (?:this|it\b|them|every|which|that you)"
    r"|stays between you and|sees only|shared with your|is private",
    re.IGNORECASE,
)

# Not shown to participants: the local Slack emulator, the demo's narration and planted words, and
# the database migrations.
SKIPPED = ("bot/emulator/", "bot/demo/", "bot/migrations/")

# Long-form explanation, not a label beside something: the privacy notice walks through who sees
# what (DESIGN.md section 4), and the induction's prose tells the same story.
EXPLANATION = {
    "content/privacy_notice.yml": ("",),  # the whole notice
    "content/induction.yml": ("Reflections you write after each session are private to you.",),
    "bot/content.py": ("sees only totals: leave it out of `visibility`",),  # an error for content authors
}

# Labels still hard-coded, each a promise to move to content/promises.yml and prove (issue 15,
# item 1). Empty now: keep it so, and make a new label a promise rather than an entry here.
NOT_YET_PROVED: dict[str, tuple[str, ...]] = {}


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the string nodes that are docstrings or bare string statements (not shown)."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
    }


def python_strings(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):  # an f-string: its words, with {} where a value goes
            yield "".join(str(part.value) if isinstance(part, ast.Constant) else "{}" for part in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skipped:
            yield node.value


def yaml_strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from yaml_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from yaml_strings(item)


def shown_strings() -> Iterator[tuple[str, str]]:
    """(file, string) for every string the app may show."""
    for folder in ("bot", "handlers"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if not name.startswith(SKIPPED):
                for text in python_strings(path):
                    yield name, text
    for path in sorted((ROOT / "content").rglob("*.yml")):
        name = path.relative_to(ROOT).as_posix()
        if name != "content/promises.yml":
            for text in yaml_strings(yaml.safe_load(path.read_text(encoding="utf-8"))):
                yield name, text


def test_every_label_that_says_who_sees_something_is_a_promise() -> None:
    allowed = {
        name: EXPLANATION.get(name, ()) + NOT_YET_PROVED.get(name, ()) for name in {*EXPLANATION, *NOT_YET_PROVED}
    }
    used: set[tuple[str, str]] = set()
    hard_coded = []
    for name, text in shown_strings():
        if not PHRASES.search(text):
            continue
        entries = [entry for entry in allowed.get(name, ()) if entry in text]
        used.update((name, entry) for entry in entries)
        if not entries:
            hard_coded.append(f"{name}: {text.strip()[:160]!r}")
    assert not hard_coded, (
        "a label that says who will see something belongs in content/promises.yml (shown with "
        "content.promise(id), proved in tests/test_promises_e2e.py):\n" + "\n".join(hard_coded)
    )
    stale = sorted(
        f"{name}: {entry!r}" for name, entries in allowed.items() for entry in entries if (name, entry) not in used
    )
    assert not stale, "these entries no longer match anything: remove them\n" + "\n".join(stale)
