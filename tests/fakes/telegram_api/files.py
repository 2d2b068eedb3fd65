"""Documents: sendDocument, getFile and downloading a file."""

from __future__ import annotations

import copy
import mimetypes
from typing import Any

from aiohttp import web

from tests.fakes.telegram_api.config import JSON, MAX_CAPTION_LENGTH
from tests.fakes.telegram_api.core import _json_response
from tests.fakes.telegram_api.entities import format_text
from tests.fakes.telegram_api.errors import ApiError, _bad
from tests.fakes.telegram_api.messages import _Messages
from tests.fakes.telegram_api.requests import _Args, _parse_reply_markup
from tests.fakes.telegram_api.state import _StoredFile


class _Files(_Messages):
    """Documents: sendDocument (an upload or a known file_id), getFile, and the download
    route at /file/bot{token}/{path}."""

    async def _m_send_document(self, args: _Args) -> tuple[Any, str | None]:
        upload = args.get_file("document")
        reference = args.get("document")
        stored: _StoredFile | None = None
        if upload is None:
            if not reference:
                raise _bad("there is no document in the request")
            stored = self._files.get(reference)
            if stored is None:
                if reference.startswith(("http://", "https://")):
                    raise _bad("failed to get HTTP URL content")
                raise _bad("wrong file identifier/HTTP URL specified")
        caption_raw = args.get("caption")
        parse_mode = args.get("parse_mode")
        caption, caption_entities = format_text(
            caption_raw, parse_mode, args.get("caption_entities"), allow_empty=True
        )
        markup = _parse_reply_markup(args.get("reply_markup"))
        chat = self._resolve_chat(args)
        if len(caption) > MAX_CAPTION_LENGTH:
            raise _bad("message caption is too long")
        reply_to = self._may_send(chat, args, markup)
        if upload is not None:
            if not upload.data:
                raise _bad("file must be non-empty")
            number = next(self._file_counter)
            extension = upload.filename.rsplit(".", 1)[-1] if "." in upload.filename else ""
            stored = _StoredFile(
                file_id=f"BQACAgIAAxkDAAI{number:08d}fake",
                file_unique_id=f"AgAD{number:06d}",
                file_path=f"documents/file_{number}" + (f".{extension}" if extension else ""),
                data=upload.data,
            )
            self._files[stored.file_id] = stored
            filename = upload.filename
            mime = upload.content_type
            if not mime or mime == "application/octet-stream":
                mime = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        else:
            assert stored is not None
            filename = stored.file_path.rsplit("/", 1)[-1]
            mime = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        document: JSON = {
            "file_name": filename,
            "mime_type": mime,
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }
        message = self._bot_message(chat, reply_to)
        message["document"] = document
        if caption:
            message["caption"] = caption
            if caption_entities:
                message["caption_entities"] = caption_entities
        document_sent = (filename, stored.data, mime)
        self._sent(
            "sendDocument",
            chat,
            message,
            args,
            markup,
            caption or None,
            caption_entities,
            caption_raw or None,
            document_sent,
        )
        return copy.deepcopy(message), None

    async def _m_get_file(self, args: _Args) -> tuple[Any, str | None]:
        file_id = args.get("file_id")
        if not file_id:
            raise _bad("file_id not specified")
        stored = self._files.get(file_id)
        if stored is None:
            raise _bad("wrong file_id or the file is temporarily unavailable")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }, None

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _json_response(ApiError(401, "Unauthorized").body(), 401)
        path = request.match_info["path"]
        for stored in self._files.values():
            if stored.file_path == path:
                return web.Response(body=stored.data, content_type="application/octet-stream")
        return _json_response(ApiError(404, "Not Found").body(), 404)
