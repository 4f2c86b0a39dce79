"""No caching of private responses (issue 13): pages, fragments, API answers and downloads (ledgers, exports,
attachments, notices) may hold what only the signed-in user may see, so no browser or proxy cache keeps them."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

NO_STORE = [(b"cache-control", b"no-store"), (b"pragma", b"no-cache")]


class NoStoreMiddleware:
    """Marks every response `Cache-Control: no-store` (and `Pragma: no-cache` for HTTP/1.0 caches), replacing what a
    route set, except under `public_prefixes` (the static files, which keep their caching)."""

    def __init__(self, app: ASGIApp, public_prefixes: tuple[str, ...] = ("/static/",)) -> None:
        self.app = app
        self.public_prefixes = public_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope.get("path", "")).startswith(self.public_prefixes):
            await self.app(scope, receive, send)
            return

        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in (b"cache-control", b"pragma")]
                message["headers"] = kept + NO_STORE
            await send(message)

        await self.app(scope, receive, send_no_store)
