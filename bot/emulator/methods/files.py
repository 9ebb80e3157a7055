"""The ``files.getUploadURLExternal`` upload flow, ``files.info``, and the upload/download URLs."""

from __future__ import annotations

import mimetypes
import string
from typing import Any

from bot.emulator.core import EmulatorCore, web_api
from bot.emulator.errors import SlackApiError, missing
from bot.emulator.state import Conversation, Message, StoredFile
from bot.emulator.util import Headers, parse_multipart


class FileMethods(EmulatorCore):
    @web_api("files.getUploadURLExternal")
    def _files_get_upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        filename = self._str(args, "filename")
        length_raw = self._str(args, "length")
        absent = [n for n, v in (("filename", filename), ("length", length_raw)) if not v]
        if absent:
            raise missing(*absent)
        try:
            length = int(length_raw or "")
        except ValueError as exc:
            raise SlackApiError("invalid_arguments", ["[ERROR] expected integer [json-pointer:/length]"]) from exc
        if length < 1:
            raise SlackApiError("invalid_arguments", ["[ERROR] must be at least 1 [json-pointer:/length]"])
        fid = self._new_id("F")
        upload_token = "".join(self._rng.choice(string.ascii_letters + string.digits) for _ in range(32))
        self._files[fid] = StoredFile(id=fid, name=filename or "", length=length, user=self.bot_user_id,
                                      created=self._now(), alt_txt=self._str(args, "alt_txt"),
                                      snippet_type=self._str(args, "snippet_type"))
        self._upload_tokens[upload_token] = fid
        return {"ok": True, "upload_url": f"{self.base_url}/upload/v1/{upload_token}", "file_id": fid}

    @web_api("files.completeUploadExternal")
    def _files_complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        files = self._json_arg(args, "files")
        if files is None:
            raise missing("files")
        if not isinstance(files, list) or not files or not all(isinstance(f, dict) and f.get("id") for f in files):
            raise SlackApiError("invalid_arguments", ["[ERROR] invalid files [json-pointer:/files]"])
        stored: list[StoredFile] = []
        for item in files:
            f = self._files.get(str(item["id"]))
            if f is None or f.content is None:
                raise SlackApiError("file_not_found")
            stored.append(f)
        targets: list[Conversation] = []
        channel_id = self._str(args, "channel_id")
        if channel_id:
            targets.append(self._resolve(channel_id))
        for cid in (self._str(args, "channels") or "").split(","):
            if cid.strip():
                targets.append(self._resolve(cid.strip()))
        for conv in targets:
            self._check_can_post(conv)
        for item, f in zip(files, stored, strict=True):
            f.title = str(item.get("title") or f.title or f.name)
            f.completed = True
        comment = self._str(args, "initial_comment") or ""
        thread_ts = self._str(args, "thread_ts")
        for conv in targets:
            for f in stored:
                if conv.id not in f.channels:
                    f.channels.append(conv.id)
            conv.messages.append(Message(
                ts=self._next_ts(), channel=conv.id, user=self.bot_user_id, text=comment, thread_ts=thread_ts,
                files=[f.id for f in stored], bot_id=self.bot_id,
            ))
        return {"ok": True, "files": [self._file_obj(f) for f in stored]}

    @web_api("files.info")
    def _files_info(self, args: dict[str, Any]) -> dict[str, Any]:
        f = self._files.get(self._str(args, "file") or "")
        if f is None or not f.completed:
            raise SlackApiError("file_not_found")
        return {"ok": True, "file": self._file_obj(f), "comments": [], "response_metadata": {"next_cursor": ""}}

    def _http_upload(self, token: str, headers: Headers, body: bytes
                     ) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            fid = self._upload_tokens.get(token)
            if fid is None:
                return 404, {"Content-Type": "text/plain"}, b"Not Found"
            content = body
            ctype = headers.get("Content-Type") or ""
            if ctype.lower().startswith("multipart/form-data"):
                parts = parse_multipart(ctype, body)
                content = next((v for v in parts.values() if isinstance(v, bytes)), b"")
            self._files[fid].content = content
            self._record("files.upload_url", {"file_id": fid, "bytes": len(content)}, {"ok": True}, 200)
            return 200, {"Content-Type": "text/plain"}, f"OK - {len(content)}".encode()

    def _http_download(self, path: str) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            segment = path[len("/files-pri/"):].split("/", 1)[0]
            fid = segment.rsplit("-", 1)[-1]
            f = self._files.get(fid)
            if f is None or f.content is None:
                return 404, {"Content-Type": "text/plain"}, b"Not Found"
            mimetype = mimetypes.guess_type(f.name)[0] or "application/octet-stream"
            return 200, {"Content-Type": mimetype}, f.content

    # response_url ------------------------------------------------------------
