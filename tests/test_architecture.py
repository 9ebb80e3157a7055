"""The house rules, checked on the source: where things live and what may import what.

These are static checks over the code (``ast``), so a rule broken anywhere fails here at once,
with the file and line, instead of surfacing as a surprise in a later change.
"""

from __future__ import annotations

import ast
import graphlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.registry import OUTBOX_KINDS, outbox_kinds

ROOT = Path(__file__).resolve().parents[1]
FEATURES = (
    "programmes",
    "matching",
    "journey",
    "sessions",
    "reflections",
    "concerns",
    "impact",
    "closeout",
    "speed_events",
    "induction",
    "home",
)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def app_modules() -> dict[str, Path]:
    """The app's own modules: bot/ and handlers/, without the test emulator, the demo and migrations."""
    paths = [*ROOT.glob("bot/**/*.py"), *ROOT.glob("handlers/**/*.py")]
    skip = {"migrations", "emulator", "demo"}
    return {module_name(p): p for p in paths if not skip & set(p.relative_to(ROOT).parts)}


def imports_of(path: Path) -> Iterator[tuple[int, str]]:
    """Every module a file imports, at the top or inside a function (a hidden import counts too)."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name


def test_there_is_no_import_cycle_hidden_or_not() -> None:
    modules = app_modules()
    graph = {name: {target for _, target in imports_of(path) if target in modules and target != name}
             for name, path in modules.items()}
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as error:
        pytest.fail(f"import cycle: {' -> '.join(error.args[1])}")


def test_services_and_blocks_import_nothing_from_slack() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {target}"
        for feature in (*FEATURES, "outbox")
        for path in (ROOT / "bot" / feature).glob("*.py")
        for line, target in imports_of(path)
        if target.split(".")[0] in {"slack_sdk", "slack_bolt"} and path.name != "dispatcher.py"
    ]
    assert offenders == []


def test_only_the_gateway_holds_a_web_client() -> None:
    """Handlers and services never touch a WebClient: every Web API call goes through the port."""
    allowed = {"bot.slack_gateway"}
    offenders = []
    for name, path in app_modules().items():
        source = path.read_text()
        if name in allowed:
            continue
        for line, target in imports_of(path):
            if target in {"slack_sdk.WebClient", "slack_sdk.web.WebClient"}:
                offenders.append(f"{path.relative_to(ROOT)}:{line} imports WebClient")
        for number, text in enumerate(source.splitlines(), 1):
            if re.search(r"\.client\b(?!_)|\._client\b", text):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {text.strip()}")
    assert offenders == []


def test_handlers_mirror_the_feature_packages_one_to_one() -> None:
    handler_modules = {p.stem for p in (ROOT / "handlers").glob("*.py")} - {"__init__", "common", "commands"}
    assert handler_modules == set(FEATURES)
    for feature in FEATURES:
        assert (ROOT / "bot" / feature / "service.py").exists(), feature


def test_no_test_module_imports_another_test_module() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {target}"
        for path in ROOT.glob("tests/**/*.py")
        for line, target in imports_of(path)
        if target.startswith("tests.") and target.split(".")[-1].startswith("test_")
    ]
    assert offenders == []


def enqueued_kinds() -> Iterator[tuple[str, int, ast.expr, dict[str, object]]]:
    """Every ``enqueue(kind=...)`` in the app, with the namespace its expression is read in."""
    import importlib

    for name, path in app_modules().items():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            called = getattr(node, "func", None)
            if not (isinstance(node, ast.Call) and getattr(called, "attr", getattr(called, "id", "")) == "enqueue"):
                continue
            for keyword in node.keywords:
                if keyword.arg == "kind":
                    module = importlib.import_module(name)
                    yield f"{path.relative_to(ROOT)}:{node.lineno}", node.lineno, keyword.value, vars(module)


def test_every_kind_the_code_enqueues_is_registered() -> None:
    """``enqueue`` checks nothing at run time: which kinds exist is decided once, in bot.registry."""
    checked, unknown = 0, []
    for where, _, expression, namespace in enqueued_kinds():
        if isinstance(expression, ast.Name) and expression.id == "kind":
            continue  # a helper passing its own parameter on; its callers are checked
        value = eval(compile(ast.Expression(expression), where, "eval"), dict(namespace))
        checked += 1
        if value not in OUTBOX_KINDS:
            unknown.append(f"{where}: {value!r}")
    assert unknown == []
    assert checked >= 40  # the check really looked at the code


def test_a_kind_defined_twice_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="defined twice"):
        outbox_kinds({"delivery_failed": OUTBOX_KINDS["delivery_failed"]})
