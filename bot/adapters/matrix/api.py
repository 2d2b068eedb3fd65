"""Client-server API calls that matrix-nio 0.26 does not wrap (cross-signing uploads, account
data), made on nio's own HTTP session and access token. Bodies are never logged."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from nio import AsyncClient

CLIENT_V3 = "/_matrix/client/v3"


@dataclass(frozen=True)
class ApiReply:
    status: int
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def errcode(self) -> str | None:
        code = self.body.get("errcode")
        return str(code) if code else None


async def call(
    client: AsyncClient, method: str, path: str, body: Mapping[str, Any] | None = None
) -> ApiReply:
    """`method` CLIENT_V3 + `path` with a JSON body; the answer's JSON object (or {})."""
    headers = {"Content-Type": "application/json"}
    if client.access_token:
        headers["Authorization"] = f"Bearer {client.access_token}"
    data = None if body is None else json.dumps(body)
    response = await client.send(method, CLIENT_V3 + path, data, headers)
    try:
        answer = await response.json(content_type=None)
    except (ValueError, UnicodeDecodeError):
        answer = None
    finally:
        response.release()
    return ApiReply(response.status, answer if isinstance(answer, dict) else {})


def _account_data_path(client: AsyncClient, kind: str) -> str:
    return f"/user/{quote(str(client.user_id), safe='')}/account_data/{quote(kind, safe='')}"


async def get_account_data(client: AsyncClient, kind: str) -> dict[str, Any] | None:
    """The account's global account data of this type; None when it has none."""
    reply = await call(client, "GET", _account_data_path(client, kind))
    if reply.status == 404:
        return None
    if not reply.ok:
        raise ApiProblem(f"account data {kind}", reply)
    return reply.body


async def put_account_data(client: AsyncClient, kind: str, content: Mapping[str, Any]) -> None:
    reply = await call(client, "PUT", _account_data_path(client, kind), content)
    if not reply.ok:
        raise ApiProblem(f"account data {kind}", reply)


class ApiProblem(Exception):
    """The homeserver refused a request: what was asked, its status and error code."""

    def __init__(self, what: str, reply: ApiReply) -> None:
        super().__init__(f"{what}: HTTP {reply.status} {reply.errcode or ''}".strip())
        self.reply = reply
