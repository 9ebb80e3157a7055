"""Small helpers shared by the emulator's parts: argument parsing, timestamps, multipart bodies."""

from __future__ import annotations

import json
from collections.abc import Mapping
from email.message import Message as EmailMessage
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any, Protocol

from bot.emulator.blockkit import flatten_text
from bot.emulator.errors import SlackApiError
from bot.emulator.state import Message


class Headers(Protocol):
    """The part of an HTTP message's headers the emulator reads."""

    def get(self, name: str, default: None = None, /) -> str | None: ...


def ts_key(ts: str) -> tuple[int, int]:
    """Sort key of a Slack timestamp (``"1700000000.000123"``)."""
    whole, _, frac = ts.partition(".")
    try:
        return int(whole), int((frac + "000000")[:6])
    except ValueError:
        return 0, 0


def truthy(value: Any) -> bool:
    """Slack's reading of a boolean argument (``true``, ``1``, ``yes``)."""
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)


def str_arg(args: Mapping[str, Any], key: str) -> str | None:
    """A string argument, ``None`` when absent or empty."""
    value = args.get(key)
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode()
    value = str(value)
    return value if value != "" else None


def json_arg(args: Mapping[str, Any], key: str, error: str = "invalid_arguments") -> Any:
    """An argument that may arrive JSON-encoded (form posts) or already decoded (JSON posts)."""
    value = args.get(key)
    if isinstance(value, str):
        if value == "":
            return None
        try:
            return json.loads(value)
        except ValueError as exc:
            raise SlackApiError(error, [f"[ERROR] invalid JSON [json-pointer:/{key}]"]) from exc
    return value


def message_text(m: Message) -> str:
    """What a person reads: the message text, its blocks' text and attachment text."""
    parts = [m.text, flatten_text(m.blocks)]
    for att in m.attachments or []:
        if isinstance(att, dict):
            parts.extend(str(att.get(k) or "") for k in ("pretext", "title", "text"))
            parts.append(flatten_text(att.get("blocks")))
    return "\n".join(p for p in parts if p)


def parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    """Form fields as strings, file parts as bytes."""
    raw = b"Content-Type: " + content_type.encode() + b"\r\nMIME-Version: 1.0\r\n\r\n" + body
    msg = BytesParser(policy=HTTP).parsebytes(raw)
    out: dict[str, Any] = {}
    if not msg.is_multipart():
        return out
    for part in msg.iter_parts():
        if not isinstance(part, EmailMessage):
            continue
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if part.get_filename() is not None:
            out[name] = data
        else:
            out[name] = data.decode("utf-8", "replace")
    return out
