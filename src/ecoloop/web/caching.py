"""No caching of private responses (issue 13): pages, fragments, API answers and downloads (ledgers, exports,
attachments, notices) may hold what only the signed-in user may see, so no browser or proxy cache keeps them."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

NO_STORE = [(b"cache-control", b"no-store"), (b"pragma", b"no-cache")]
# Kept by the browser but asked for again each time with its ETag (the region maps: boundaries, large and rarely
# changed; the server answers 304 when they have not changed). Never shared with other users' caches.
REVALIDATE = [(b"cache-control", b"private, no-cache")]


class NoStoreMiddleware:
    """Marks every response `Cache-Control: no-store` (and `Pragma: no-cache` for HTTP/1.0 caches), replacing what a
    route set, except under `public_prefixes` (the static files, which keep their caching) and under
    `revalidated_prefixes`, which are `private, no-cache`: kept by the user's browser and revalidated each time."""

    def __init__(
        self,
        app: ASGIApp,
        public_prefixes: tuple[str, ...] = ("/static/",),
        revalidated_prefixes: tuple[str, ...] = ("/maps/", "/public/map.geojson"),
    ) -> None:
        self.app = app
        self.public_prefixes = public_prefixes
        self.revalidated_prefixes = revalidated_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope.get("path", "")).startswith(self.public_prefixes):
            await self.app(scope, receive, send)
            return

        revalidated = str(scope.get("path", "")).startswith(self.revalidated_prefixes)

        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in (b"cache-control", b"pragma")]
                # A map itself (200, or 304 for the one kept) is revalidated; a redirect or an error is not kept.
                keep = revalidated and message.get("status") in (200, 304)
                message["headers"] = kept + (REVALIDATE if keep else NO_STORE)
            await send(message)

        await self.app(scope, receive, send_no_store)
