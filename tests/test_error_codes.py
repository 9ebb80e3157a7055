"""Service errors carry codes; their words live in content/errors.yml.

The source scan below finds every code the app can raise (``NotFound("...")``, ``NotAllowed``,
``Problem``, ``FieldErrors.on``, ``error_text``) and checks it against the file both ways, with
the placeholders each site fills, so a typo'd code or a renamed placeholder fails here rather
than in front of a person.
"""

from __future__ import annotations

import ast
import logging
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.content import ContentError, load_content, placeholders
from bot.errors import FieldErrors, NotAllowed, NotFound, Problem, error_text, is_code

ROOT = Path(__file__).resolve().parent.parent
CODE_CALLS = {"NotFound", "NotAllowed", "Problem", "error_text"}
"""Calls whose first argument is a code."""


@dataclass(frozen=True)
class Site:
    where: str
    code: str
    params: frozenset[str]


@dataclass
class Scan:
    sites: list[Site]
    problems: list[str]


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        if func.attr == "on" and isinstance(func.value, ast.Name) and func.value.id == "FieldErrors":
            return "FieldErrors.on"
        if func.attr == "error_text":
            return "error_text"
    return None


def _is_words(node: ast.expr) -> bool:
    """English written in place: a string, an f-string, or text glued together."""
    return (
        (isinstance(node, ast.Constant) and isinstance(node.value, str))
        or isinstance(node, ast.JoinedStr)
        or (isinstance(node, ast.BinOp) and (_is_words(node.left) or _is_words(node.right)))
    )


def scan_source(source: str, where: str, *, strict: bool = True) -> Scan:
    """The codes raised in ``source``. ``strict`` (services) also reports words where a code
    belongs; handlers may still wrap words, so they are scanned for codes only."""
    sites: list[Site] = []
    problems: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = _name(node.func)
            if name in CODE_CALLS or name == "FieldErrors.on":
                position = 1 if name == "FieldErrors.on" else 0
                argument = node.args[position] if len(node.args) > position else None
                at = f"{where}:{node.lineno}"
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str) and is_code(argument.value):
                    if any(keyword.arg is None for keyword in node.keywords):
                        problems.append(f"{at}: pass a code's values by name, not **mapping")
                    params = frozenset(k.arg for k in node.keywords if k.arg is not None)
                    sites.append(Site(at, argument.value, params))
                elif strict:
                    problems.append(f"{at}: {name}() needs a literal error code as its first argument")
            elif name == "FieldErrors" and strict and node.args and isinstance(node.args[0], ast.Dict):
                problems += [
                    f"{where}:{node.lineno}: FieldErrors values must be Problem(code), not words"
                    for value in node.args[0].values
                    if _is_words(value)
                ]
        elif isinstance(node, ast.Assign) and strict and _is_words(node.value):
            for target in node.targets:
                if (
                    isinstance(target, ast.Subscript)
                    and isinstance(target.value, ast.Name)
                    and target.value.id == "errors"
                ):
                    problems.append(f"{where}:{node.lineno}: errors[...] takes Problem(code), not words")
    return Scan(sites, problems)


def scan_app() -> Scan:
    sites: list[Site] = []
    problems: list[str] = []
    for folder, strict in (("bot", True), ("handlers", False)):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "emulator" in path.parts or path.name == "errors.py":
                continue
            scan = scan_source(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)), strict=strict)
            sites += scan.sites
            problems += scan.problems
    return Scan(sites, problems)


@pytest.fixture(scope="module")
def app_scan() -> Scan:
    return scan_app()


def test_services_raise_codes_not_words(app_scan: Scan) -> None:
    assert not app_scan.problems
    assert len(app_scan.sites) > 150  # the scan does find the raise sites


def test_every_raised_code_has_words_and_every_text_is_raised(app_scan: Scan) -> None:
    texts = load_content().errors.texts
    used = {site.code for site in app_scan.sites}
    assert sorted(f"{s.where}: {s.code}" for s in app_scan.sites if s.code not in texts) == []
    assert sorted(set(texts) - used) == []


def test_every_site_fills_exactly_the_placeholders_its_text_uses(app_scan: Scan) -> None:
    texts = load_content().errors.texts
    mismatched = [
        f"{site.where}: {site.code} passes {sorted(site.params)}, its text has {sorted(placeholders(texts[site.code]))}"
        for site in app_scan.sites
        if site.code in texts and site.params != placeholders(texts[site.code])
    ]
    assert mismatched == []


def test_the_scan_catches_typos_words_and_wrong_placeholders() -> None:
    source = """
raise NotFound("programmes.not_fuond")
raise NotAllowed("Only leads can do that.")
raise FieldErrors({"name": "Give it a name."})
raise FieldErrors.on("name", "programmes.name_taken", nmae="x")
errors["name"] = f"Keep it under {MAX}."
"""
    scan = scan_source(source, "example.py")
    assert sorted(p.split(": ", 1)[0] for p in scan.problems) == ["example.py:3", "example.py:4", "example.py:6"]
    texts = load_content().errors.texts
    assert [s.code for s in scan.sites if s.code not in texts] == ["programmes.not_fuond"]
    (taken,) = [s for s in scan.sites if s.code == "programmes.name_taken"]
    assert taken.params != placeholders(texts["programmes.name_taken"])


def test_constants_handlers_still_show_as_words_match_the_content() -> None:
    from bot.journey import service as journey
    from bot.programmes import access

    assert error_text("programmes.lead_only") == access.LEAD_ONLY
    assert error_text("journey.not_a_member") == journey.NOT_A_MEMBER


# --------------------------------------------------------------------------------------------
# The error classes


def test_an_error_carries_its_code_and_renders_its_words() -> None:
    error = NotAllowed("closeout.already_closed", programme="Spring 2025")
    assert error.code == "closeout.already_closed"
    assert error.params == {"programme": "Spring 2025"}
    assert str(error) == "Spring 2025 is already closed."
    assert str(NotFound("programmes.not_found")) == "That programme no longer exists."


def test_field_errors_carry_codes_per_field_and_render_words_for_the_modal() -> None:
    error = FieldErrors(
        {
            "details": Problem("concerns.details_too_long", max=3000, length=3120),
            "urgency": Problem("concerns.urgency_required"),
        }
    )
    assert error.codes == {"details": "concerns.details_too_long", "urgency": "concerns.urgency_required"}
    assert error.params["details"] == {"max": 3000, "length": 3120}
    assert error.errors == {
        "details": "Please keep this under 3,000 characters (it is 3,120).",
        "urgency": "Choose how soon you need a response.",
    }
    assert FieldErrors.on("time", "sessions.clash").codes == {"time": "sessions.clash"}


def test_words_from_a_handler_pass_through_without_a_code() -> None:
    wrapped = FieldErrors({"date": str(NotAllowed("sessions.cancelled")), "time": "Choose a start time."})
    assert wrapped.codes == {"date": None, "time": None}
    assert wrapped.errors == {"date": error_text("sessions.cancelled"), "time": "Choose a start time."}
    refusal = NotAllowed("Only this programme's leads can do that.")
    assert refusal.code is None and str(refusal) == "Only this programme's leads can do that."


def test_an_unknown_code_says_something_generic_and_logs_the_code(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="bot.errors"):
        text = str(NotFound("programmes.no_such_code"))
        missing_value = str(NotFound("programmes.no_such_programme"))
    assert text == missing_value == load_content().message("error_generic")
    assert "programmes.no_such_code" in caplog.text and "programmes.no_such_programme" in caplog.text


# --------------------------------------------------------------------------------------------
# A programme's own words


def _programme_folder(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "programme"
    folder.mkdir()
    (folder / "errors.yml").write_text(text, encoding="utf-8")
    return folder


def test_a_programme_can_override_some_error_texts(tmp_path: Path) -> None:
    folder = _programme_folder(tmp_path, "programmes:\n  not_found: Ce programme n'existe plus.\n")
    content = load_content(extra_folders=[folder])
    assert content.error_text("programmes.not_found") == "Ce programme n'existe plus."
    assert content.error_text("sessions.clash") == error_text("sessions.clash")  # the rest stays
    error = NotFound("programmes.not_found")
    assert error.text(content) == "Ce programme n'existe plus."
    assert str(error) == "That programme no longer exists."  # the default content is untouched
    assert FieldErrors.on("x", "programmes.not_found").texts(content) == {"x": "Ce programme n'existe plus."}


def test_an_override_with_an_unknown_code_or_placeholder_is_an_error(tmp_path: Path) -> None:
    folder = _programme_folder(tmp_path, "programmes:\n  not_fund: Gone.\n  name_taken: '{nom} is taken.'\n")
    with pytest.raises(ContentError) as error:
        load_content(extra_folders=[folder])
    assert error.value.problems == [
        "programmes.not_fund: unknown error code (a typo? the app raises only the codes in the default file)",
        "programmes.name_taken: unknown placeholder(s) {nom}; allowed here: {name}",
    ]


def test_a_badly_formed_error_text_is_an_error(tmp_path: Path) -> None:
    folder = _programme_folder(tmp_path, "programmes:\n  not_found: 'Gone {'\n")
    with pytest.raises(ContentError) as error:
        load_content(extra_folders=[folder])
    assert [p.split(":")[0] for p in error.value.problems] == ["features.programmes.not_found"]
