"""Mutation testing for the modules where a silent mistake hurts people: `make mutation`.

    python tests/mutation/run.py [--per-module N] [--all] [--jobs 2] [--module PATH] [--json FILE]

For each critical module it makes small mutants over the AST (a comparison or ``==`` flipped,
an arithmetic operator swapped, an integer constant moved by one, ``and``/``or`` swapped, a
``not`` removed, a boolean flipped, a constant keyword argument such as ``include_all_metadata=True``
dropped, a return value replaced by ``None``) plus the *named* mutants below (mistakes the suite
once missed: they always run and must all be killed). Each mutant runs only the fast test files
mapped to its module, SQLite only, stopping at the first failure: a failing (or timed-out) run
kills the mutant, a passing one lets it survive.

Speed: one parent process imports the app once; each mutant runs in a forked child that patches
the mutated function's code object in place (``__code__`` and defaults; a module constant is set on
the module), then runs pytest in process. Nothing is written to the source tree, so two mutants
can run at once. Generated mutants are sampled deterministically (a fixed seed per module) when a
module has more than ``--per-module``; the report says how many were generated and how many ran.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import copy
import dataclasses
import importlib
import inspect
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

# Module -> the fast test files that cover it, fastest (most likely to kill early) first.
TARGETS: dict[str, list[str]] = {
    "bot/matching/service.py": ["tests/test_matching_rules.py", "tests/test_matching.py"],
    "bot/concerns/service.py": [
        "tests/test_concerns_service.py",
        "tests/test_concerns_e2e.py",
        "tests/test_concern_followthrough_e2e.py",
    ],
    "bot/reflections/service.py": ["tests/test_reflections_service.py", "tests/test_reflections_e2e.py"],
    "bot/outbox/__init__.py": ["tests/test_dispatcher.py", "tests/test_outbox.py"],
    "bot/outbox/dispatcher.py": ["tests/test_dispatcher.py", "tests/test_outbox.py"],
}
# Modules that only carry named mutants (one line each that matters), and their tests.
NAMED_ONLY: dict[str, list[str]] = {
    "bot/slack_gateway.py": TARGETS["bot/outbox/dispatcher.py"],
    "bot/outbox/pacing.py": TARGETS["bot/outbox/dispatcher.py"],
    "bot/matching/proposals.py": TARGETS["bot/matching/service.py"],
}


@dataclasses.dataclass(frozen=True)
class Named:
    """A mistake the suite once missed: replace the ``occurrence``-th ``old`` in ``path`` with ``new``."""

    name: str
    path: str
    old: str
    new: str
    occurrence: int = 1


NAMED: list[Named] = [
    Named(
        "lease takeover: _finish ignores who holds the row",
        "bot/outbox/__init__.py",
        "OutboxMessage.id == row_id, OutboxMessage.leased_by == worker, OutboxMessage.status == \"sending\"",
        "OutboxMessage.id == row_id, OutboxMessage.status == \"sending\"",
    ),
    Named(
        "lease takeover: mark_sent ignores who holds the row",
        "bot/outbox/__init__.py",
        "OutboxMessage.id == row.id, OutboxMessage.leased_by == worker, OutboxMessage.status == \"sending\")\n"
        "            .values(last_error=None",
        "OutboxMessage.id == row.id, OutboxMessage.status == \"sending\")\n            .values(last_error=None",
    ),
    Named(
        "backoff exponent off by one",
        "bot/outbox/__init__.py",
        "5 * 2 ** max(attempts - 1, 0)",
        "5 * 2 ** max(attempts, 0)",
    ),
    Named(
        "attempt limit off by one (one attempt more)",
        "bot/outbox/dispatcher.py",
        "if row.attempts >= outbox.MAX_ATTEMPTS:",
        "if row.attempts > outbox.MAX_ATTEMPTS:",
    ),
    Named(
        "attempt limit off by one (one attempt fewer)",
        "bot/outbox/dispatcher.py",
        "if row.attempts >= outbox.MAX_ATTEMPTS:",
        "if row.attempts >= outbox.MAX_ATTEMPTS - 1:",
    ),
    Named(
        "pacing switched off",
        "bot/outbox/dispatcher.py",
        "if self.pacing is None:\n            return rows, []",
        "if True:\n            return rows, []",
    ),
    Named(
        "pacing off by default",
        "bot/outbox/dispatcher.py",
        "per_conversation_interval: float = 1.0,",
        "per_conversation_interval: float = 0.0,",
    ),
    Named(
        "shared pacing: a token is spent whether or not it is there",
        "bot/outbox/pacing.py",
        ".where(table.key == digest(target), available >= 1.0)",
        ".where(table.key == digest(target))",
    ),
    Named(
        "shared pacing: a lagging clock moves a bucket's time back (mints tokens)",
        "bot/outbox/pacing.py",
        "(table.refilled_at > clock, table.refilled_at),",
        "",
    ),
    Named(
        "the history check also after a clear 5xx",
        "bot/outbox/dispatcher.py",
        "and self.history_check and unclear(row):",
        "and self.history_check:",
    ),
    Named(
        "metadata lookup without include_all_metadata",
        "bot/slack_gateway.py",
        "conversations_history(channel=channel, limit=limit, include_all_metadata=True)",
        "conversations_history(channel=channel, limit=limit)",
    ),
    Named(
        "a failed file upload or pin posts the message again (posted ts not noted)",
        "bot/outbox/dispatcher.py",
        "if message.file is not None or message.pin or kind.on_sent is not None:",
        "if False:",
    ),
    Named(
        "a lead's concern view carries an anonymous reporter's id",
        "bot/concerns/service.py",
        "reporter_user_id=None if concern.anonymous else concern.reporter_user_id,",
        "reporter_user_id=concern.reporter_user_id,",
    ),
    Named(
        "the audit trail names an anonymous reporter",
        "bot/concerns/service.py",
        "_record(session, concern, \"raised\", None if anonymous else reporter_id)",
        "_record(session, concern, \"raised\", reporter_id)",
    ),
    Named(
        "closed concerns stay in the open list",
        "bot/concerns/service.py",
        "Concern.programme_id.in_(list(programme_ids)), Concern.status != \"closed\")",
        "Concern.programme_id.in_(list(programme_ids)))",
    ),
    Named(
        "the reflection edit path loses its author check",
        "bot/reflections/service.py",
        "if row is None or row.author_user_id != user_id:\n"
        "            raise NotFound(\"reflections.not_yours\")\n        held",
        "if row is None:\n            raise NotFound(\"reflections.not_yours\")\n        held",
    ),
    Named(
        "reporting lines read from one programme only",
        "bot/matching/proposals.py",
        "select(Enrolment.user_id, Enrolment.line_manager_id).where(Enrolment.line_manager_id.isnot(None))",
        "select(Enrolment.user_id, Enrolment.line_manager_id).where(\n"
        "                Enrolment.line_manager_id.isnot(None), Enrolment.programme_id == programme.id\n"
        "            )",
    ),
]


@dataclasses.dataclass
class Mutant:
    path: str
    line: int
    description: str
    source: str  # the whole mutated module
    scope: str  # "func:Qual.name" or "const:NAME" (what the child patches)
    named: str | None = None
    outcome: str = ""  # killed | survived | timeout | error
    seconds: float = 0.0
    log: str = ""

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


# ------------------------------------------------------------------------------------ making mutants

COMPARE_SWAPS: dict[type, type] = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
    ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}
BINOP_SWAPS: dict[type, type] = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.FloorDiv, ast.Div: ast.Mult, ast.FloorDiv: ast.Mult,
    ast.Mod: ast.FloorDiv, ast.Pow: ast.Mult,
}
SYMBOL = {
    ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=", ast.In: "in",
    ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not", ast.Add: "+", ast.Sub: "-", ast.Mult: "*",
    ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**", ast.And: "and", ast.Or: "or",
}
QUIET_CALLS = {"debug", "info", "warning", "error", "exception", "critical"}  # log.x(...): not behaviour


class Source:
    def __init__(self, path: str) -> None:
        self.path = path
        self.text = (ROOT / path).read_text()
        self.tree = ast.parse(self.text)
        self._offsets = [0]
        for line in self.text.splitlines(keepends=True):
            self._offsets.append(self._offsets[-1] + len(line))

    def offset(self, line: int, col: int) -> int:
        # ast columns are UTF-8 byte offsets; convert within the line
        start = self._offsets[line - 1]
        raw = self.text[start:self._offsets[line]].encode()
        return start + len(raw[:col].decode())

    def replace(self, node: ast.AST, replacement: str) -> str:
        start = self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]
        end = self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
        return self.text[:start] + replacement + self.text[end:]


def _scopes(tree: ast.Module) -> Iterator[tuple[str, list[ast.AST]]]:
    """(scope, the nodes to mutate in it): functions and methods, and simple module constants."""
    for statement in tree.body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            yield f"func:{statement.name}", _function_parts(statement)
        elif isinstance(statement, ast.ClassDef):
            for member in statement.body:
                if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef):
                    yield f"func:{statement.name}.{member.name}", _function_parts(member)
        elif (
            isinstance(statement, ast.Assign | ast.AnnAssign)
            and isinstance(statement.targets[0] if isinstance(statement, ast.Assign) else statement.target, ast.Name)
            and statement.value is not None
        ):
            target = statement.targets[0] if isinstance(statement, ast.Assign) else statement.target
            assert isinstance(target, ast.Name)
            if isinstance(statement.value, ast.Constant | ast.Call | ast.BinOp | ast.UnaryOp):
                yield f"const:{target.id}", [statement.value]


def _function_parts(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.AST]:
    body = list(function.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    defaults = [d for d in (*function.args.defaults, *function.args.kw_defaults) if d is not None]
    return [*defaults, *body]


def _skipped(tree_parts: list[ast.AST]) -> set[int]:
    """Nodes never mutated: annotations, f-strings, log calls, slices (truncation lengths)."""
    skip: set[int] = set()
    for part in tree_parts:
        for node in ast.walk(part):
            inner: list[ast.AST] = []
            if isinstance(node, ast.AnnAssign):
                inner.append(node.annotation)
            elif isinstance(node, ast.JoinedStr | ast.Slice) or (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in QUIET_CALLS
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in {"log", "logger", "logging"}
            ):
                inner.append(node)
            for each in inner:
                skip.update(id(n) for n in ast.walk(each))
    return skip


def _mutations(node: ast.AST) -> Iterator[tuple[ast.AST, ast.AST, str, bool]]:
    """(node to replace, its replacement, description, wrap in parentheses) for one node."""
    if isinstance(node, ast.Compare):
        for index, op in enumerate(node.ops):
            swap = COMPARE_SWAPS.get(type(op))
            if swap:
                new = copy.deepcopy(node)
                new.ops[index] = swap()
                yield node, new, f"{SYMBOL[type(op)]} -> {SYMBOL[swap]}", True
    elif isinstance(node, ast.BinOp) and type(node.op) in BINOP_SWAPS:
        if not any(isinstance(side, ast.Constant) and isinstance(side.value, str) for side in (node.left, node.right)):
            swap = BINOP_SWAPS[type(node.op)]
            yield node, ast.BinOp(node.left, swap(), node.right), f"{SYMBOL[type(node.op)]} -> {SYMBOL[swap]}", True
    elif isinstance(node, ast.AugAssign) and type(node.op) in (ast.Add, ast.Sub):
        swap = ast.Sub if isinstance(node.op, ast.Add) else ast.Add
        new_aug = ast.AugAssign(node.target, swap(), node.value)
        yield node, new_aug, f"{SYMBOL[type(node.op)]}= -> {SYMBOL[swap]}=", False
    elif isinstance(node, ast.BoolOp):
        swap = ast.Or if isinstance(node.op, ast.And) else ast.And
        yield node, ast.BoolOp(swap(), node.values), f"{SYMBOL[type(node.op)]} -> {SYMBOL[swap]}", True
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield node, node.operand, "not removed", True
    elif isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            yield node, ast.Constant(not value), f"{value} -> {not value}", True
        elif isinstance(value, int | float) and not isinstance(value, bool):
            yield node, ast.Constant(value + 1), f"{value!r} -> {value + 1!r}", True
            if value != 0:
                yield node, ast.Constant(value - 1), f"{value!r} -> {value - 1!r}", True
    elif isinstance(node, ast.Call):
        for index, keyword in enumerate(node.keywords):
            if keyword.arg and isinstance(keyword.value, ast.Constant) and not isinstance(keyword.value.value, str):
                new_call = copy.deepcopy(node)
                del new_call.keywords[index]
                yield node, new_call, f"drop {keyword.arg}={keyword.value.value!r}", True
    elif isinstance(node, ast.Return) and node.value is not None and not _is_none(node.value):
        yield node, ast.Return(ast.Constant(None)), "return value -> None", False


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def generated_mutants(path: str) -> list[Mutant]:
    source = Source(path)
    original = ast.dump(source.tree)
    mutants: list[Mutant] = []
    seen: set[str] = set()
    for scope, parts in _scopes(source.tree):
        skip = _skipped(parts)
        for part in parts:
            for node in ast.walk(part):
                if id(node) in skip:
                    continue
                for target, replacement, description, wrap in _mutations(node):
                    code = ast.unparse(replacement)
                    text = source.replace(target, f"({code})" if wrap else code)
                    try:
                        mutated_tree = ast.parse(text)
                    except SyntaxError:
                        continue
                    if ast.dump(mutated_tree) == original or text in seen:
                        continue
                    seen.add(text)
                    line = target.lineno  # type: ignore[attr-defined]
                    mutants.append(Mutant(path, line, description, text, scope))
    return mutants


def named_mutants() -> list[Mutant]:
    mutants: list[Mutant] = []
    for named in NAMED:
        source = Source(named.path)
        start = -1
        for _ in range(named.occurrence):
            start = source.text.find(named.old, start + 1)
            if start < 0:
                raise SystemExit(f"named mutant {named.name!r}: its code is no longer in {named.path}; update it")
        text = source.text[:start] + named.new + source.text[start + len(named.old):]
        line = source.text.count("\n", 0, start) + 1
        mutants.append(Mutant(named.path, line, named.name, text, _scope_of(source.tree, line), named=named.name))
    return mutants


def _scope_of(tree: ast.Module, line: int) -> str:
    for scope, parts in _scopes(tree):
        for part in parts:
            for node in ast.walk(part):
                if getattr(node, "lineno", 0) <= line <= getattr(node, "end_lineno", 0):
                    return scope
    raise SystemExit(f"line {line}: not inside a function or a module constant")


def sample(mutants: list[Mutant], limit: int, seed: str) -> list[Mutant]:
    if len(mutants) <= limit:
        return mutants
    chosen = random.Random(seed).sample(range(len(mutants)), limit)
    return [mutants[i] for i in sorted(chosen)]


# ------------------------------------------------------------------------------------ running them


def module_name(path: str) -> str:
    name = path.removesuffix(".py").replace("/", ".")
    return name.removesuffix(".__init__")


def _function(holder: Any, qualname: str) -> Any:
    obj = holder
    for part in qualname.split("."):
        raw = obj.__dict__.get(part) if isinstance(obj, type) else getattr(obj, part)
        if isinstance(raw, staticmethod | classmethod):
            raw = raw.__func__
        elif isinstance(raw, property):
            raw = raw.fget
        obj = raw
    return inspect.unwrap(obj)


def apply(mutant: Mutant) -> None:
    """In the child: run the mutated module in a scratch namespace and move the change into the real one."""
    name = module_name(mutant.path)
    module = importlib.import_module(name)
    scratch: dict[str, Any] = {
        "__name__": name, "__file__": str(ROOT / mutant.path), "__builtins__": builtins,
        "__package__": module.__package__, "__spec__": module.__spec__,
    }
    exec(compile(mutant.source, str(ROOT / mutant.path), "exec"), scratch)
    kind, _, what = mutant.scope.partition(":")
    if kind == "func":
        old, new = _function(module, what), _function(_Namespace(scratch), what)
        old.__code__, old.__defaults__, old.__kwdefaults__ = new.__code__, new.__defaults__, new.__kwdefaults__
    else:
        setattr(module, what, scratch[what])
        for qualname in _all_functions(module):  # defaults captured the old constant at import
            try:
                old, new = _function(module, qualname), _function(_Namespace(scratch), qualname)
            except (AttributeError, KeyError):
                continue
            if old.__defaults__ != new.__defaults__:
                old.__defaults__ = new.__defaults__
            if old.__kwdefaults__ != new.__kwdefaults__:
                old.__kwdefaults__ = new.__kwdefaults__


class _Namespace:
    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


def _all_functions(module: Any) -> Iterator[str]:
    for key, value in vars(module).items():
        if inspect.isfunction(value) and value.__module__ == module.__name__:
            yield key
        elif inspect.isclass(value) and value.__module__ == module.__name__:
            for member, raw in vars(value).items():
                if inspect.isfunction(raw):
                    yield f"{key}.{member}"


def run_child(mutant: Mutant | None, tests: list[str], log_path: Path, basetemp: Path) -> None:
    """The forked child: patch, run pytest in process, exit with its status."""
    try:
        with open(log_path, "w") as log:
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
        if mutant is not None:
            apply(mutant)
        import pytest

        args = [*tests, "-x", "-q", "-p", "no:cacheprovider", "--basetemp", str(basetemp), "-W", "ignore"]
        code = int(pytest.main(args))
    except BaseException as error:  # the patch itself failed: reported as an error, not a kill
        print(f"mutation child error: {error!r}", file=sys.stderr)
        code = 99
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


class Pool:
    """At most ``jobs`` forked children at once, each with a timeout."""

    def __init__(self, jobs: int, workdir: Path) -> None:
        self.jobs, self.workdir = jobs, workdir
        self.running: dict[int, tuple[Mutant | None, float, float, Path, str, int]] = {}
        self.serial = 0
        self.baselines: dict[str, tuple[int, float]] = {}  # label -> (exit code, seconds)
        self.cpu_seconds = 0.0  # used by all the children: a machine-load-free measure of the work

    def start(self, mutant: Mutant | None, tests: list[str], timeout: float, label: str = "") -> None:
        while len(self.running) >= self.jobs:
            self.reap(block=True)
        self.serial += 1
        log_path = self.workdir / f"mutant-{self.serial}.log"
        basetemp = self.workdir / f"tmp-{self.serial}"
        pid = os.fork()
        if pid == 0:
            run_child(mutant, tests, log_path, basetemp)
        self.running[pid] = (mutant, time.monotonic(), timeout, basetemp, label, self.serial)

    def reap(self, block: bool) -> list[tuple[Mutant | None, int, float]]:
        done: list[tuple[Mutant | None, int, float]] = []
        while True:
            for pid, (mutant, started, timeout, basetemp, label, serial) in list(self.running.items()):
                finished, status, usage = os.wait4(pid, os.WNOHANG)
                elapsed = time.monotonic() - started
                if finished == 0 and elapsed > timeout:
                    os.kill(pid, signal.SIGKILL)
                    _, _, usage = os.wait4(pid, 0)
                    finished, status = pid, -1
                if finished:
                    self.cpu_seconds += usage.ru_utime + usage.ru_stime
                    del self.running[pid]
                    shutil.rmtree(basetemp, ignore_errors=True)
                    code = -1 if status == -1 else os.waitstatus_to_exitcode(status)
                    self.finish(mutant, code, elapsed, serial)
                    if mutant is None:
                        self.baselines[label] = (code, elapsed)
                    done.append((mutant, code, elapsed))
            if done or not block or not self.running:
                return done
            time.sleep(0.05)

    def finish(self, mutant: Mutant | None, code: int, elapsed: float, serial: int) -> None:
        if mutant is not None:
            # pytest: 0 passed, 1 a test failed, 2 collection failed; anything else is the runner's fault
            outcomes = {-1: "timeout", 0: "survived", 1: "killed", 2: "killed"}
            mutant.outcome = outcomes.get(code, "error")
            mutant.seconds = elapsed
            mutant.log = str(self.workdir / f"mutant-{serial}.log")
            mark = {"killed": ".", "survived": "S", "timeout": "T", "error": "E"}[mutant.outcome]
            print(mark, end="", flush=True)

    def drain(self) -> None:
        while self.running:
            self.reap(block=True)


def preload() -> None:
    """Import the app once in the parent (the children are forked from it); no test module is imported."""
    os.environ["TEST_DATABASE_URL"] = ""
    os.environ.setdefault("HYPOTHESIS_PROFILE", "ci")
    os.environ.pop("REQUIRE_POSTGRES", None)
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    for name in ("pytest", "hypothesis", "freezegun", "bot.app", "bot.local_slack", "bot.registry",
                 *(module_name(p) for p in (*TARGETS, *NAMED_ONLY))):
        importlib.import_module(name)
    # Warm the migration machinery once (each child still migrates its own fresh SQLite database).
    from bot.db import Database

    with tempfile.TemporaryDirectory() as folder:
        warm = Database(f"sqlite:///{folder}/warm.db")
        warm.migrate()
        warm.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-module", type=int, default=30, help="generated mutants per module (sampled)")
    parser.add_argument("--all", action="store_true", help="run every generated mutant")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--module", action="append", help="only these modules (repeatable)")
    parser.add_argument("--named-only", action="store_true")
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--seed", default="reverse-mentoring")
    parser.add_argument("--where", action="append", help="only mutants at this path:line (repeatable)")
    options = parser.parse_args()

    modules = options.module or list(TARGETS)
    tests_for = {**TARGETS, **NAMED_ONLY}
    generated: dict[str, int] = {}
    mutants: list[Mutant] = [m for m in named_mutants() if not options.module or m.path in modules]
    if not options.named_only:
        for path in modules:
            made = generated_mutants(path)
            generated[path] = len(made)
            mutants += made if options.all else sample(made, options.per_module, f"{options.seed}:{path}")
    if options.where:
        mutants = [m for m in mutants if m.where in options.where]
    if options.list:
        for m in mutants:
            print(f"{m.where:38} {'[named] ' if m.named else ''}{m.description}  ({m.scope})")
        print(f"{len(mutants)} mutants; generated per module: {generated}")
        return 0

    preload()
    workdir = Path(tempfile.mkdtemp(prefix="mutation-"))
    pool = Pool(options.jobs, workdir)
    started = time.monotonic()
    print("baseline (the unmutated tests, which must pass):", flush=True)
    suites = sorted({" ".join(tests_for[m.path]) for m in mutants})
    for suite in suites:
        pool.start(None, suite.split(), timeout=1800, label=suite)
    pool.drain()
    for suite in suites:
        code, seconds = pool.baselines[suite]
        print(f"  {suite}: {'ok' if code == 0 else f'FAILED ({code})'} in {seconds:.0f} s")
        if code != 0:
            print(f"the unmutated tests fail: see the logs in {workdir}", file=sys.stderr)
            return 2
    print(f"{len(mutants)} mutants ({sum(1 for m in mutants if m.named)} named), {options.jobs} at a time:")
    for mutant in mutants:
        suite = tests_for[mutant.path]
        pool.start(mutant, suite, timeout=max(60.0, 3 * pool.baselines[" ".join(suite)][1]))
    pool.drain()
    print()
    elapsed = time.monotonic() - started
    print(f"CPU time of all runs: {pool.cpu_seconds / 60:.1f} min (on 2 idle cores about "
          f"{pool.cpu_seconds / 60 / max(options.jobs, 1):.1f} min of wall time); load average now "
          f"{os.getloadavg()[0]:.1f}")
    return report(mutants, generated, elapsed, options.json, workdir)


def report(mutants: list[Mutant], generated: dict[str, int], elapsed: float, json_path: Path | None,
           workdir: Path) -> int:
    """The per-module table (errors are left out of the score and listed), named mutants, survivors."""
    rows = []
    print("\n| module | generated | run | killed | survived | score |\n| --- | ---: | ---: | ---: | ---: | ---: |")
    for path in sorted({m.path for m in mutants}):
        mine = [m for m in mutants if m.path == path and m.outcome != "error"]
        killed = sum(m.outcome in {"killed", "timeout"} for m in mine)
        score = killed / len(mine) if mine else 1.0
        row = {"module": path, "generated": generated.get(path, 0), "run": len(mine), "killed": killed,
               "survived": len(mine) - killed, "score": round(score, 3)}
        rows.append(row)
        print(f"| {path} | {row['generated'] or 'named only'} | {len(mine)} | {killed} | {row['survived']} "
              f"| {score:.0%} |")
    run, killed = sum(r["run"] for r in rows), sum(r["killed"] for r in rows)
    print(f"| all | {sum(generated.values())} | {run} | {killed} | {run - killed} | {killed / max(run, 1):.0%} |")
    named = [m for m in mutants if m.named]
    print(f"\nnamed mutants: {sum(m.outcome in {'killed', 'timeout'} for m in named)}/{len(named)} killed")
    for m in named:
        print(f"  {m.outcome.upper():9} {m.where:36} {m.description}")
    for title, outcome in (("surviving mutants", "survived"), ("mutants the runner could not apply", "error")):
        chosen = [m for m in mutants if m.outcome == outcome]
        if chosen:
            print(f"\n{title}:")
            for m in chosen:
                print(f"  {m.where:36} {m.description}  [{m.scope}]  {m.log if outcome == 'error' else ''}")
    print(f"\n{len(mutants)} mutants in {elapsed / 60:.1f} min (logs: {workdir})")
    if json_path:
        json_path.write_text(json.dumps({
            "modules": rows, "minutes": round(elapsed / 60, 1),
            "mutants": [{"where": m.where, "mutation": m.description, "named": m.named, "outcome": m.outcome,
                         "seconds": round(m.seconds, 1)} for m in mutants],
        }, indent=2) + "\n")
    failed = [m for m in named if m.outcome not in {"killed", "timeout"}]
    errors = [m for m in mutants if m.outcome == "error"]
    return 1 if failed or errors else 0


if __name__ == "__main__":
    sys.exit(main())
