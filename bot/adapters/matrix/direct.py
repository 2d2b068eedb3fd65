"""The bot's `m.direct` account data (user id -> DM room ids): Matrix clients show a room as a
direct chat only when it is listed there. The adapter records each DM it creates or accepts
(and the successor of an upgraded DM).

Read-modify-write of one account-data object: the current content is read each time (another
client may have changed it), and updates are serialized. A failure is logged and never fails
the message that made the DM: `m.direct` is how clients show the room, not how the bot knows it
(that is DirectRooms, in the database)."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
from nio import AsyncClient

from bot.adapters.matrix.api import ApiProblem, get_account_data, put_account_data

log = logging.getLogger(__name__)

M_DIRECT = "m.direct"
_ERRORS = (ApiProblem, aiohttp.ClientError, asyncio.TimeoutError, TimeoutError, OSError)


class DirectAccountData:
    def __init__(self) -> None:
        self._lock = asyncio.Lock()

    async def record(self, client: AsyncClient, user_id: str, room_id: str) -> bool:
        """List `room_id` as a DM with `user_id`; True when it is listed afterwards."""
        async with self._lock:
            try:
                content = await get_account_data(client, M_DIRECT) or {}
                listed = content.get(user_id)
                rooms = (
                    [r for r in listed if isinstance(r, str)] if isinstance(listed, list) else []
                )
                if room_id in rooms:
                    return True
                await put_account_data(client, M_DIRECT, {**content, user_id: [*rooms, room_id]})
            except _ERRORS as error:
                log.warning(
                    "matrix m.direct not updated",
                    extra={"room_id": room_id, "error": str(error) or type(error).__name__},
                )
                return False
        return True
