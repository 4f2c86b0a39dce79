"""The public channels of complaints take anonymous bodies (issue 18), each bounded before it is read: the public
form with its photos (REQUEST_MAX_COMPLAINT_MB), the look-up, the rating, Open311 and the complaints API (the form
limit); every other body still needs a session or a token."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from starlette.requests import Request
from starlette.responses import PlainTextResponse

from ecoloop.app import create_app
from ecoloop.settings import Settings
from ecoloop.web.limits import MIB, BodyKind, body_kind, is_anonymous_body
from tests.conftest import make_settings
from tests.factories import World
from tests.web.helpers import parse
from tests.web.test_limits import TOO_DEEP, TOO_LARGE, multipart_head, stream_body

PUBLIC_FORM_PATHS = [
    "/public/lookup",
    "/public/complaints/2026-7K3Q9M2X/rating",
    "/open311/v2/requests.json",
    "/open311/v2/requests.xml",
    "/api/v1/complaints",
]


@pytest.mark.parametrize(
    ("path", "anonymous", "kind"),
    [
        ("/public/complaints", True, BodyKind.COMPLAINT),
        ("/public/lookup", True, BodyKind.FORM),
        ("/public/complaints/2026-7K3Q9M2X/rating", True, BodyKind.FORM),
        ("/open311/v2/requests.json", True, BodyKind.FORM),
        ("/open311/v2/requests.xml", True, BodyKind.FORM),
        ("/api/v1/complaints", True, BodyKind.FORM),
        ("/login", True, BodyKind.FORM),
        # Near misses stay closed to anonymous bodies.
        ("/public/complaints/2026-7K3Q9M2X/reply", False, BodyKind.FORM),
        ("/public/complaints/a.b/rating", False, BodyKind.FORM),
        ("/public/complaints/x/rating/more", False, BodyKind.FORM),
        ("/public/complaints/", False, BodyKind.FORM),
        ("/open311/v2/requests", False, BodyKind.FORM),
        ("/open311/v2/services.json", False, BodyKind.FORM),
        ("/api/v1/complaints/12", False, BodyKind.FORM),
        ("/api/v1/cases", False, BodyKind.FORM),
    ],
)
def test_which_paths_take_an_anonymous_body_and_of_what_size(path: str, anonymous: bool, kind: BodyKind) -> None:
    assert is_anonymous_body(path) is anonymous
    assert body_kind(path) is kind


async def test_an_anonymous_complaint_form_over_its_limit_is_refused_in_chinese(client: httpx.AsyncClient) -> None:
    photos = {f"photo{n}": (f"{n}.jpg", b"\xff\xd8\xff" + b"0" * (6 * MIB), "image/jpeg") for n in range(3)}
    response = await client.post("/public/complaints", data={"description": "x"}, files=photos)

    assert response.status_code == 413
    message = parse(response.text).find("p", class_="message")
    assert message is not None and TOO_LARGE in message.text and "16 MB" in message.text


@pytest.mark.parametrize("path", PUBLIC_FORM_PATHS)
async def test_an_anonymous_body_over_the_form_limit_is_refused_on_each_public_channel(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.post(path, data={"pad": "x" * MIB})

    assert response.status_code == 413
    if path.startswith("/api/"):
        assert TOO_LARGE in response.json()["detail"] and "1 MB" in response.json()["detail"]
    else:
        assert TOO_LARGE in response.text


@pytest.mark.parametrize("path", ["/public/complaints", *PUBLIC_FORM_PATHS])
async def test_an_anonymous_body_within_the_limit_reaches_the_public_channel(
    client: httpx.AsyncClient, app_world: World, path: str
) -> None:
    response = await client.post(path, data={"description": "烟"})

    # What the route makes of it is the route's business; the body limit let it through, unsigned.
    assert response.status_code not in (303, 401, 413), response.text[:300]


async def test_other_anonymous_bodies_are_still_refused_before_reading(
    client: httpx.AsyncClient, app_world: World
) -> None:
    page = await client.post("/public/complaints/2026-7K3Q9M2X/reply", data={"text": "x"})
    api = await client.post("/api/v1/complaints/1", json={"status": "closed"})
    cases = await client.post("/api/v1/cases", json={})

    assert (page.status_code, page.headers["location"]) == (303, "/login?next=/public/complaints/2026-7K3Q9M2X/reply")
    assert api.status_code == cases.status_code == 401


@pytest.fixture
def small_server(app_settings: Settings) -> Iterator[int]:
    """The app on a real uvicorn server on a free loopback port, with a 1 MiB limit on the complaint form, and a
    route after the app's own that reads any body sent to the form (so that something asks for all of it)."""
    settings = make_settings(app_settings.data_dir, request_max_complaint_mb=1)
    app = create_app(settings)

    async def read_all(request: Request) -> PlainTextResponse:
        return PlainTextResponse(f"read {len(await request.body())} bytes")

    app.add_route("/public/complaints", read_all, methods=["POST"])
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(10)
        app.state.engine.dispose()
        sock.close()


def test_an_anonymous_200_mb_complaint_form_stops_being_read_at_its_limit(small_server: int) -> None:
    sent, answer = stream_body(small_server, multipart_head("/public/complaints"))

    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < 1 * MIB + 24 * MIB  # the limit plus the sockets' buffers, not 200 MB


async def test_deeply_nested_json_to_the_public_api_is_refused_unsigned(app_settings: Settings) -> None:
    app = create_app(app_settings)

    async def read_all(request: Request) -> PlainTextResponse:  # after the app's own route, if it has one
        return PlainTextResponse(f"read {len(await request.body())} bytes")

    app.add_route("/api/v1/complaints", read_all, methods=["POST"])
    nested = "[" * 5_000 + "]" * 5_000
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        response = await client.post(
            "/api/v1/complaints",
            content='{"description": ' + nested + "}",
            headers={"Content-Type": "application/json"},
        )
    app.state.engine.dispose()

    assert response.status_code == 400
    assert TOO_DEEP in response.json()["detail"]
