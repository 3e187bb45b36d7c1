"""Two ASGI middlewares in front of every route, Gradio's included.

- `SameOrigin`: a request that changes something (any method but GET, HEAD, OPTIONS) coming from another site's
  page is refused (403), except asking (/api/ask, the widget's host pages call it, under CORS). A browser names
  the page that sent a request (`Sec-Fetch-Site`, `Origin`) and a page cannot forge either, so a form posted
  from another site to this app (a CORS "simple request") never reaches a route. Clients that are not
  browsers (curl, gradio_client, scripts) send neither header and go on to the credential checks.
- `BodyLimit`: an upload larger than the limit is refused with 413 from its Content-Length before anything is
  read, or, without one, as soon as the bytes received pass the limit.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any
from urllib.parse import urlsplit

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
ASKING = ("/api/ask", "/api/ask/stream")


def cross_site(headers: Mapping[str, str]) -> bool:
    """Whether a browser sent this request from a page of another origin."""
    site = headers.get("sec-fetch-site")
    if site is not None:
        return site not in ("same-origin", "none")
    origin = headers.get("origin")
    if origin is None:
        return False  # not a browser's cross-origin request (they all send Origin with such requests)
    ours = {headers.get("host", ""), headers.get("x-forwarded-host", "")} - {""}
    return origin == "null" or urlsplit(origin).netloc not in ours


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


async def _error(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class SameOrigin:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] not in SAFE_METHODS
            and scope["path"] not in ASKING
            and cross_site(_headers(scope))
        ):
            await _error(send, 403, "refused: this request came from another site's page")
            return
        await self.app(scope, receive, send)


class _TooLarge(Exception):
    pass


class BodyLimit:
    """Caps the body of POSTs to paths ending in one of `suffixes` at `limit` bytes."""

    def __init__(self, app: ASGIApp, suffixes: tuple[str, ...], limit: int) -> None:
        self.app, self.suffixes, self.limit = app, suffixes, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].endswith(self.suffixes):
            await self.app(scope, receive, send)
            return
        message = f"refused: an upload may hold at most {self.limit / 1e6:g} MB"
        length = _headers(scope).get("content-length", "")
        if length.isdigit() and int(length) > self.limit:
            await _error(send, 413, message)
            return
        seen, over = 0, False

        async def counted() -> Message:
            nonlocal seen, over
            if over:
                return {"type": "http.disconnect"}
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.limit:
                    over = True
                    raise _TooLarge
            return msg

        async def guarded(msg: Message) -> None:
            if not over:  # past the limit, only our 413 is sent
                await send(msg)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not over:
                raise
        if over:
            await _error(send, 413, message)
