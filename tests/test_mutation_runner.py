"""`make mutation` names the mistakes the suite once missed by their code: that code must still exist,
or the named mutants would stop the run (a refactor that moves it must update tests/mutation/run.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_named_mutant_still_finds_its_code() -> None:
    spec = importlib.util.spec_from_file_location("mutation_runner", ROOT / "tests" / "mutation" / "run.py")
    assert spec is not None and spec.loader is not None
    runner = importlib.util.module_from_spec(spec)
    sys.modules["mutation_runner"] = runner
    spec.loader.exec_module(runner)
    mutants = runner.named_mutants()  # raises SystemExit naming the first one whose code moved
    assert {m.named for m in mutants} == {n.name for n in runner.NAMED}
    assert all(m.source != runner.Source(m.path).text for m in mutants), "each named mutant changes its module"
