"""python-telegram-bot's HTTP transport on aiohttp instead of httpx.

PTB lets the transport be replaced (`BaseRequest`); everything above it is unchanged: building
the request, parsing answers, and turning error answers into `RetryAfter`, `Forbidden`,
`ChatMigrated` and the rest. aiohttp parses HTTP in C and keeps its connection pool in a few
dictionaries; httpx + httpcore spent about 2 ms of CPU per sendMessage here (a scan of the whole
pool on every request), which limited how many commands a second one core could answer.

Requests go out as PTB's own do: form fields (values JSON-encoded by PTB where they are not
strings), or multipart when a file is attached. Errors never carry the URL, which holds the
token: a timeout is `TimedOut`, anything else on the network `NetworkError` with the error's
class name only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import FieldTuple, ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}


class AiohttpRequest(BaseRequest):
    """One connection pool of `pool_size` connections; timeouts in seconds (None: no limit)."""

    def __init__(
        self,
        *,
        pool_size: int = 256,
        connect_timeout: float | None = 10.0,
        read_timeout: float | None = 30.0,
        write_timeout: float | None = 30.0,
        media_write_timeout: float | None = 60.0,
        pool_timeout: float | None = 10.0,
        before: Callable[[], Awaitable[None]] | None = None,
        answered: Callable[[bytes], bytes] | None = None,
    ) -> None:
        self.pool_size = pool_size
        self._before = before  # awaited before each request (it may raise a TelegramError)
        self._answered = answered  # given each successful answer's body, returns what PTB gets
        self._connect = connect_timeout
        self._read = read_timeout
        self._write = write_timeout
        self._media_write = media_write_timeout
        self._pool = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self.pool_size, limit_per_host=self.pool_size)
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self.USER_AGENT},
                skip_auto_headers=("Accept-Encoding",),
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._before is not None:
            await self._before()
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        files = request_data.multipart_data if request_data is not None else None
        read = _given(read_timeout, self._read)
        write = _given(write_timeout, self._media_write if files else self._write)
        connect = _given(connect_timeout, self._connect)
        pool = _given(pool_timeout, self._pool)
        timeout = aiohttp.ClientTimeout(
            total=None,
            # aiohttp's `connect` covers waiting for a free pooled connection and connecting.
            connect=None if pool is None or connect is None else pool + connect,
            sock_connect=connect,
            # Reading the answer starts once the request is written: the write time counts too.
            sock_read=None if read is None else read + (write or 0.0),
        )
        body: aiohttp.FormData | bytes | None = None
        headers: dict[str, str] | None = None
        if request_data is not None and files:
            body = _form(request_data.json_parameters, files)
        elif request_data is not None:
            # Encoded here: aiohttp's FormData costs more than the rest of the request.
            body = urlencode(request_data.json_parameters).encode()
            headers = FORM_HEADERS
        try:
            async with session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as answer:
                content = await answer.read()
                if self._answered is not None and answer.status == 200:
                    content = self._answered(content)
                return answer.status, content
        except TimeoutError as error:  # aiohttp's own timeouts are TimeoutErrors too
            raise TimedOut from error
        except aiohttp.ClientError as error:
            # The class name only: some aiohttp messages quote the URL, which holds the token.
            raise NetworkError(f"aiohttp.{type(error).__name__}") from None


def _given(value: ODVInput[float], default: float | None) -> float | None:
    return default if isinstance(value, DefaultValue) else value


def _form(fields: dict[str, str], files: dict[str, FieldTuple]) -> aiohttp.FormData:
    form = aiohttp.FormData(quote_fields=False)
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in files.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
