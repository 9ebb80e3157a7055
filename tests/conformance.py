"""Our own conformance check: every Web API call the suite makes, held against Slack's published spec.

The emulator records every call the app makes (and every ``response_url`` post). After each test,
each new call is checked against ``../shared/reference/slack/web-api-openapi-v2.json`` (Slack's
Web API spec, October 2020): the method exists and is not retired, required arguments are present,
every argument name is known, and the method's scope is granted in ``manifest.yml``. Every Block Kit
payload (message blocks, views) is parsed with ``slack_sdk.models`` and checked against Slack's
documented limits. Methods and arguments newer than the spec are listed below with the page of
Slack's current documentation that defines them. A problem fails the test that caused it; the
session ends by printing how many calls and payloads were covered.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

ROOT = Path(__file__).resolve().parents[1]
_SPEC_PATH = Path("reference") / "slack" / "web-api-openapi-v2.json"


def _find_spec() -> Path:
    """Slack's published spec: in ``$SLACK_REFERENCE_ROOT`` if set, else the ``shared`` folder beside
    the checkout (or beside any folder above it, for a checkout made elsewhere). A missing spec is an
    error when it is read, never a skip."""
    if os.environ.get("SLACK_REFERENCE_ROOT"):
        return Path(os.environ["SLACK_REFERENCE_ROOT"]) / _SPEC_PATH
    candidates = [parent / "shared" / _SPEC_PATH for parent in ROOT.parents] + [Path("/work/shared") / _SPEC_PATH]
    return next((c for c in candidates if c.is_file()), ROOT.parent / "shared" / _SPEC_PATH)


SPEC = _find_spec()

# Newer than the October 2020 spec, from Slack's current method pages (docs.slack.dev/reference/methods/...).
NEWER_METHODS: dict[str, dict[str, Any]] = {
    # files.getUploadURLExternal / files.completeUploadExternal: the upload flow that replaced files.upload.
    "files.getUploadURLExternal": {"required": {"filename", "length"}, "scopes": {"files:write"},
                                   "args": {"filename", "length", "alt_txt", "snippet_type"}},
    "files.completeUploadExternal": {"required": {"files"}, "scopes": {"files:write"},
                                     "args": {"files", "channel_id", "channels", "initial_comment", "thread_ts",
                                              "blocks"}},
    # apps.connections.open: Socket Mode, with an app-level token (connections:write).
    "apps.connections.open": {"required": set(), "scopes": {"connections:write"}, "args": set(), "app_token": True},
}
# Arguments added to older methods since the spec was published.
NEWER_ARGUMENTS: dict[str, set[str]] = {
    "chat.postMessage": {"metadata"},  # message metadata (2022)
    "chat.update": {"metadata"},
    "conversations.history": {"include_all_metadata"},
    "conversations.replies": {"include_all_metadata"},
    "chat.postEphemeral": set(),
}
# Accepted by every method since org-wide installs (Enterprise Grid): which workspace the call is for.
ANY_METHOD_ARGUMENTS = {"team_id"}
# The spec still names the umbrella scopes of the old workspace-app model; bot tokens hold the granular ones.
UMBRELLA_SCOPES: dict[str, set[str]] = {
    "conversations:history": {"channels:history", "groups:history", "im:history", "mpim:history"},
    "conversations:read": {"channels:read", "groups:read", "im:read", "mpim:read"},
    "conversations:write": {"channels:manage", "groups:write", "im:write", "mpim:write"},
    "channels:write": {"channels:manage", "channels:join"},
    "none": set(),
}
# What the emulator records besides Web API calls: response_url posts and the upload URL the
# external upload flow hands out (files.getUploadURLExternal's upload_url).
NOT_WEB_API = {"response_url", "files.upload_url"}
NO_SCOPE_NEEDED = {"api.test", "auth.test", "views.open", "views.push", "views.update", "views.publish"}
MESSAGE_TEXT_LIMIT = 40_000  # chat.postMessage: longer text is truncated by Slack
MESSAGE_BLOCKS_LIMIT = 50
VIEW_BLOCKS_LIMIT = 100


@cache
def spec_methods() -> dict[str, dict[str, Any]]:
    paths = json.loads(SPEC.read_text())["paths"]
    methods: dict[str, dict[str, Any]] = {}
    for path, operations in paths.items():
        for operation in operations.values():
            params = operation.get("parameters") or []
            token = next((p for p in params if p["name"] == "token"), {})
            scopes = set(re.findall(r"`([^`]+)`", token.get("description", "")))
            methods[path.lstrip("/")] = {
                "args": {p["name"] for p in params} - {"token"},
                "required": {p["name"] for p in params if p.get("required") and p["name"] != "token"},
                "scopes": scopes,
                "deprecated": bool(operation.get("deprecated")),
            }
    return methods


@cache
def manifest_scopes() -> frozenset[str]:
    """The manifest's bot scopes, plus the ones README documents as an operator's opt-in (the
    dispatcher's history check: tests that opt in grant them in the emulator as a reinstall would)."""
    from bot.outbox.dispatcher import HISTORY_SCOPES

    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    return frozenset(manifest["oauth_config"]["scopes"]["bot"]) | frozenset(HISTORY_SCOPES)


def method_rules(method: str) -> dict[str, Any] | None:
    if method in NEWER_METHODS:
        return NEWER_METHODS[method]
    rules = spec_methods().get(method)
    if rules is None:
        return None
    return {**rules, "args": rules["args"] | NEWER_ARGUMENTS.get(method, set())}


def granted(scopes: Iterable[str]) -> bool:
    """True if the manifest grants one of the scopes the method documents (umbrellas expanded)."""
    wanted: set[str] = set()
    for scope in scopes:
        wanted |= UMBRELLA_SCOPES.get(scope, {scope})
    return not wanted or bool(wanted & manifest_scopes())


def block_problems(blocks: Any, where: str, limit: int) -> list[str]:
    if not isinstance(blocks, list):
        return [f"{where}: blocks is not a list"]
    problems = [f"{where}: {len(blocks)} blocks (Slack allows {limit})"] if len(blocks) > limit else []
    for index, raw in enumerate(blocks):
        try:
            block = Block.parse(raw)
            if block is None:
                problems.append(f"{where}: block {index} has an unknown type {raw.get('type')!r}")
                continue
            block.validate_json()
        except (SlackObjectFormationError, KeyError, TypeError, ValueError) as error:
            problems.append(f"{where}: block {index} ({raw.get('type') if isinstance(raw, dict) else raw!r}): {error}")
    return problems


def view_problems(view: Any, where: str) -> list[str]:
    if isinstance(view, str):
        view = json.loads(view)
    if not isinstance(view, Mapping):
        return [f"{where}: the view is not an object"]
    problems = block_problems(view.get("blocks") or [], where, VIEW_BLOCKS_LIMIT)
    try:
        View(**view).validate_json()
    except (SlackObjectFormationError, TypeError) as error:
        problems.append(f"{where}: {error}")
    return problems


@dataclass
class Coverage:
    calls: int = 0
    payloads: int = 0
    methods: set[str] = field(default_factory=set)
    rate_limited: int = 0  # calls answered 429, by Slack's limits (on in every journey) or injected
    by_limits: int = 0  # of those, by the limits


def check_call(method: str, args: Mapping[str, Any], coverage: Coverage) -> list[str]:
    """Everything wrong with one recorded call, as Slack's documentation would see it."""
    coverage.calls += 1
    coverage.methods.add(method)
    where = method
    problems: list[str] = []
    payload_args = dict(args)
    if method not in NOT_WEB_API:
        rules = method_rules(method)
        if rules is None:
            return [f"{method}: not a Slack Web API method"]
        if rules.get("deprecated"):
            problems.append(f"{method}: retired")
        present = {name for name, value in args.items() if value not in (None, "")} - {"token"}
        missing = rules["required"] - present
        if missing:
            problems.append(f"{method}: missing required argument(s) {sorted(missing)}")
        unknown = present - rules["args"] - ANY_METHOD_ARGUMENTS
        if unknown:
            problems.append(f"{method}: unknown argument(s) {sorted(unknown)}")
        if method not in NO_SCOPE_NEEDED and not rules.get("app_token") and not granted(rules["scopes"]):
            problems.append(f"{method}: needs {sorted(rules['scopes'])}, which manifest.yml does not grant")
    text = payload_args.get("text")
    if isinstance(text, str) and len(text) > MESSAGE_TEXT_LIMIT:
        problems.append(f"{where}: text of {len(text)} characters")
    blocks = payload_args.get("blocks")
    if isinstance(blocks, str) and blocks:
        blocks = json.loads(blocks)
    if blocks:
        coverage.payloads += 1
        problems += block_problems(blocks, where, MESSAGE_BLOCKS_LIMIT)
    if payload_args.get("view"):
        coverage.payloads += 1
        problems += view_problems(payload_args["view"], where)
    return problems
