"""Request bodies bounded before they are read (issue 13): sizes per route from Content-Length and from the bytes
as they stream in, anonymous bodies refused before any of them is read, and JSON nesting bounded; the streaming
tests run a real uvicorn server and a raw socket client that counts how much the server took."""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
import uvicorn
from sqlalchemy.orm import Session

from ecoloop.app import create_app
from ecoloop.db.base import utcnow
from ecoloop.identity.service import create_api_token, start_session
from ecoloop.settings import Settings
from ecoloop.web.limits import MIB, BodyKind, JsonDepthGauge, body_kind
from ecoloop.web.security import SESSION_COOKIE, csrf_token
from tests.conftest import make_settings
from tests.factories import World
from tests.web.helpers import COOKIE_DOMAIN, open_session, parse

TOO_LARGE = "请求内容超过此处允许的"
TOO_DEEP = "JSON 嵌套超过"
HUGE = 200 * MIB


# --- the JSON depth gauge (pure) -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "most", "within"),
    [
        ('{"a": [1, 2, {"b": []}]}', 4, True),
        ('{"a": [1, 2, {"b": [[]]}]}', 4, False),
        ('["[[[[[[", "{{{{{{{"]', 1, True),  # brackets inside strings do not nest
        (r'["\"[[[[", "\\", [[1]]]', 3, True),  # escaped quotes and backslashes
        (r'["\\", [[[1]]]]', 3, False),
        ("[" * 10_000, 32, False),
        ('{"observations": [' + ",".join(['{"site": "AQ-001", "value": 1}'] * 500) + "]}", 3, True),
    ],
)
def test_the_depth_gauge_counts_structure_outside_strings(text: str, most: int, within: bool) -> None:
    data = text.encode()
    whole = JsonDepthGauge(most)
    assert whole.feed(data) is within
    bytewise = JsonDepthGauge(most)  # the same, fed one byte at a time as a body may arrive
    assert all(bytewise.feed(data[i : i + 1]) for i in range(len(data))) is within


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/cases/12/attachments", BodyKind.ATTACHMENT),
        ("/cases/12/actions", BodyKind.ATTACHMENT),
        ("/cases/12/comments", BodyKind.FORM),
        ("/hotspots/12/reply", BodyKind.ATTACHMENT),
        ("/hotspots/12/check", BodyKind.FORM),
        ("/hotspots/sources/import", BodyKind.UPLOAD),
        ("/monitoring/upload", BodyKind.UPLOAD),
        ("/enterprises/import", BodyKind.UPLOAD),
        ("/cases/batches", BodyKind.UPLOAD),
        ("/api/v1/observations", BodyKind.OBSERVATIONS),
        ("/api/v1/cases/3/actions", BodyKind.FORM),
        ("/login", BodyKind.FORM),
    ],
)
def test_each_route_has_its_kind_of_body(path: str, kind: BodyKind) -> None:
    assert body_kind(path) is kind


# --- in-process ----------------------------------------------------------------------------------------------------


def bearer(db: Session, world: World, name: str = "enterprise_a") -> dict[str, str]:
    _token, raw = create_api_token(db, world.users[name], "uploader", utcnow())
    db.commit()
    return {"Authorization": f"Bearer {raw}"}


async def test_a_declared_length_over_the_limit_is_refused_in_chinese(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "analyst")
    big = {"text": "长" * (2 * MIB)}
    page = await client.post("/cases/1/comments", data=big)
    api = await client.post("/api/v1/observations", json={"observations": [], "pad": "x" * (9 * MIB)})

    assert page.status_code == 413
    message = parse(page.text).find("p", class_="message")
    assert message is not None and TOO_LARGE in message.text and "1 MB" in message.text
    assert api.status_code == 413 and TOO_LARGE in api.json()["detail"] and "8 MB" in api.json()["detail"]


async def test_anonymous_bodies_are_refused_before_reading_except_the_sign_in_form(
    client: httpx.AsyncClient, app_world: World
) -> None:
    form = await client.post("/cases/1/attachments", files={"file": ("a.png", b"\x89PNG" + b"0" * 1000)})
    api = await client.post("/api/v1/observations", json={"observations": []})
    forged = await client.post(
        "/api/v1/observations", json={"observations": []}, headers={"Authorization": "Bearer eco_forged"}
    )
    client.cookies.set(SESSION_COOKIE, "unknown", domain=COOKIE_DOMAIN)
    stale = await client.post("/cases/1/comments", data={"text": "x"})
    client.cookies.clear()
    sign_in = await client.post("/login", data={"username": "analyst", "password": "x"})

    assert (form.status_code, form.headers["location"]) == (303, "/login?next=/cases/1/attachments")
    assert api.status_code == forged.status_code == 401
    assert stale.status_code == 303
    assert sign_in.status_code == 403  # the sign-in form was read (and its missing CSRF token refused)


@pytest.mark.parametrize("depth", [40, 5_000, 100_000])
async def test_deeply_nested_json_is_refused_with_a_reason(
    client: httpx.AsyncClient, app_db: Session, app_world: World, depth: int
) -> None:
    headers = bearer(app_db, app_world)
    nested = "[" * depth + "]" * depth
    body = '{"observations": [{"site": "AQ-001", "parameter": ' + nested + "}]}"
    observations = await client.post(
        "/api/v1/observations", content=body, headers=headers | {"Content-Type": "application/json"}
    )
    step = await client.post(
        "/api/v1/cases/1/actions",
        content='{"action": "merge", "version": 1, "reason": ' + nested + "}",
        headers=bearer(app_db, app_world, "analyst") | {"Content-Type": "application/json"},
    )
    untyped = await client.post("/api/v1/observations", content=body, headers=headers | {"Content-Type": "text/plain"})
    for response in (observations, step, untyped):
        assert response.status_code == 400
        assert TOO_DEEP in response.json()["detail"]


# --- a real server and a raw socket --------------------------------------------------------------------------------


@pytest.fixture
def server(app_settings: Settings, tmp_path: object) -> Iterator[tuple[int, Settings]]:
    """The app on a real uvicorn server on a free loopback port, with a 1 MiB attachment limit."""
    settings = make_settings(app_settings.data_dir, request_max_attachment_mb=1)
    app = create_app(settings)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", lifespan="off")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert uv.started
    try:
        yield sock.getsockname()[1], settings
    finally:
        uv.should_exit = True
        thread.join(10)
        app.state.engine.dispose()
        sock.close()


FILE_PART = (
    b'------b\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n'
)


def stream_body(port: int, head: bytes, total: int = HUGE, seconds: float = 30) -> tuple[int, bytes]:
    """Send `head` and then up to `total` bytes as chunks, as fast as the server takes them; return how many body
    bytes the server took before it answered (or closed), and its answer. A multipart body starts with a file."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(head)
    if b"multipart" in head:
        sock.sendall(b"%x\r\n" % len(FILE_PART) + FILE_PART + b"\r\n")
    sock.setblocking(False)
    piece = b"x" * 65_536
    chunk = b"%x\r\n" % len(piece) + piece + b"\r\n"
    sent, pending, answer = 0, b"", b""
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline and sent < total:
            readable, writable, _ = select.select([sock], [sock], [], 0.5)
            if readable:
                break
            if writable:
                pending = pending or chunk
                try:
                    done = sock.send(pending)
                except (BrokenPipeError, ConnectionResetError):
                    break
                sent += done
                pending = pending[done:]
        sock.setblocking(True)
        sock.settimeout(10)
        while b"\r\n\r\n" not in answer:
            data = sock.recv(65_536)
            if not data:
                break
            answer += data
    except (ConnectionResetError, TimeoutError):
        pass
    finally:
        sock.close()
    return sent, answer


def multipart_head(path: str, extra: str = "") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n{extra}"
        "Content-Type: multipart/form-data; boundary=----b\r\n\r\n"
    ).encode()


def test_an_anonymous_200_mb_upload_is_answered_before_it_is_read(server: tuple[int, Settings]) -> None:
    port, _settings = server
    sent, answer = stream_body(port, multipart_head("/cases/1/attachments"))

    assert answer.startswith(b"HTTP/1.1 303"), answer[:200]
    assert b"location: /login?next=/cases/1/attachments" in answer.lower()
    assert sent < 24 * MIB  # what the sockets' buffers hold at most; the server itself read none of it


def test_a_signed_in_upload_stops_being_read_at_the_limit(
    server: tuple[int, Settings], app_db: Session, app_world: World
) -> None:
    port, settings = server
    raw = start_session(app_db, app_world.users["analyst"], "127.0.0.1", utcnow(), timedelta(hours=1))
    app_db.commit()
    csrf = csrf_token(settings.signing_key, "session", raw)
    head = multipart_head("/cases/1/attachments", f"Cookie: {SESSION_COOKIE}={raw}\r\nX-CSRF-Token: {csrf}\r\n")
    sent, answer = stream_body(port, head)

    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < 1 * MIB + 24 * MIB  # the limit plus the sockets' buffers, not 200 MB


def test_a_200_mb_json_body_stops_being_read_at_the_limit(
    server: tuple[int, Settings], app_db: Session, app_world: World
) -> None:
    port, _settings = server
    token = bearer(app_db, app_world)["Authorization"]
    head = (
        "POST /api/v1/observations HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
        f"Authorization: {token}\r\nContent-Type: application/json\r\n\r\n"
    ).encode()
    sent, answer = stream_body(port, head)

    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < 8 * MIB + 24 * MIB
