"""The client address used for sign-in locks and the audit log: X-Forwarded-For is believed from the proxies of
ECOLOOP_TRUSTED_PROXIES only (issue 13: a forged header from anyone dodged the per-address lock)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.audit.models import AuditRecord
from ecoloop.cli import web_server_config
from ecoloop.identity.models import LoginThrottle
from ecoloop.settings import ImproperlyConfiguredError, Settings, load_settings
from tests.factories import World
from tests.web.helpers import login, open_client, reread

WRONG = "Wrong-pass-0000"
FORGED = ["203.0.113.7", "203.0.113.8", "203.0.113.9", "198.51.100.1", "198.51.100.2"]


def addresses_seen(db: Session) -> tuple[set[str], set[str | None]]:
    """The addresses of the per-address throttles and of the failed sign-ins in the audit log."""
    reread(db)
    throttled = set(db.scalars(select(LoginThrottle.key).where(LoginThrottle.scope == "ip")))
    audited = set(db.scalars(select(AuditRecord.ip).where(AuditRecord.action == "login_failed")))
    return throttled, audited


async def fail_with_forged_addresses(client: httpx.AsyncClient) -> list[int]:
    statuses = []
    for name, forged in zip(["leader", "analyst", "inspector", "nobody", "nobody2"], FORGED, strict=True):
        client.headers["x-forwarded-for"] = forged
        statuses.append((await login(client, name, WRONG)).status_code)
    return statuses


async def test_a_forged_forwarded_for_from_a_client_changes_nothing(
    app_db: Session, app_settings: Settings, app_world: World
) -> None:
    async with open_client(app_settings, ip="10.1.2.3") as client:
        statuses = await fail_with_forged_addresses(client)
        client.headers["x-forwarded-for"] = "192.0.2.200"
        assert (await login(client, "hotline")).status_code == 429, "the address is locked whatever it claims"

    assert statuses == [401, 401, 401, 401, 429]
    assert addresses_seen(app_db) == ({"10.1.2.3"}, {"10.1.2.3"})


async def test_a_trusted_proxy_s_forwarded_for_is_the_client_address(
    app_db: Session, app_settings: Settings, app_world: World
) -> None:
    settings = app_settings.model_copy(update={"trusted_proxies": "10.0.0.0/24"})
    async with open_client(settings, ip="10.0.0.5") as proxy:
        statuses = await fail_with_forged_addresses(proxy)
        proxy.headers["x-forwarded-for"] = "192.0.2.200"
        assert (await login(proxy, "hotline")).status_code == 303, "another client behind the proxy"
    async with open_client(settings, ip="10.9.0.5") as outsider:  # not a proxy: its header is not believed
        outsider.headers["x-forwarded-for"] = "192.0.2.201"
        assert (await login(outsider, "nobody3", WRONG)).status_code == 401

    assert statuses == [401] * 5
    assert addresses_seen(app_db) == (set(FORGED) | {"10.9.0.5"}, set(FORGED) | {"10.9.0.5"})


def test_trusted_proxies_must_be_addresses_or_networks(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ECOLOOP_TRUSTED_PROXIES", "10.0.0.1, proxy.example")
    with pytest.raises(ImproperlyConfiguredError, match="ECOLOOP_TRUSTED_PROXIES"):
        load_settings()


@contextlib.contextmanager
def served(settings: Settings) -> Iterator[str]:
    """The web app served as `ecoloop serve` serves it, on a free port of 127.0.0.1; yields its base URL."""
    config = web_server_config(settings.model_copy(update={"host": "127.0.0.1", "port": 0}))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
            time.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


async def test_the_served_app_ignores_a_forwarded_for_from_localhost(
    app_db: Session, app_settings: Settings, app_world: World
) -> None:
    """Over real TCP from 127.0.0.1, which uvicorn's own proxy handling trusted by default."""
    with served(app_settings) as base:
        async with httpx.AsyncClient(base_url=base) as client:
            statuses = await fail_with_forged_addresses(client)

    assert statuses == [401, 401, 401, 401, 429]
    assert addresses_seen(app_db) == ({"127.0.0.1"}, {"127.0.0.1"})
