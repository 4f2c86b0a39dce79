"""The briefs' settings page (`/reports/settings`): the settings in force shown as a form, a new version saved
from a chosen day and used from that day on, refusals with the reason in Chinese and what was written kept; who
may."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import httpx
from sqlalchemy.orm import Session

from ecoloop.reports import service
from ecoloop.reports.enums import ReportKind
from tests.factories import World
from tests.web.helpers import csrf_for, open_session, parse


def _form(html: str) -> dict[str, str]:
    form = parse(html).find("form", id="config-form")
    assert form is not None
    return form.fields()


def _internal(html: str) -> list[str]:
    form = parse(html).find("form", id="config-form")
    assert form is not None
    return [e.attrs["value"] for e in form.find_all("input", name="internal") if "checked" in e.attrs]


async def test_the_settings_are_shown_saved_as_a_version_and_refused_in_chinese(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "analyst")
    page = await client.get("/reports/settings")
    assert page.status_code == 200
    shown = _form(page.text)
    assert [shown[f"weight_{k}"] for k in ("air_quality", "improvement", "water")] == ["30", "20", "15"]
    assert (shown["pm25_penalty"], shown["water_level"], shown["prefix_monthly"]) == ("100000", "200000", "")
    assert _internal(page.text) == ["monthly"]  # the defaults keep the assessment internal
    assert parse(page.text).find("td", class_="empty") is not None  # no version saved yet

    csrf = await csrf_for(client)
    form = shown | {"csrf_token": csrf, "valid_from": "2025-01-01"}
    for change, reason in (
        ({"weight_water": "101"}, "权重"),
        ({k: "0" for k in shown if k.startswith("weight_")}, "权重"),
        ({"pm25_reward": "1e3x"}, "元"),
        ({"pm25_penalty": "0.001"}, "元"),
        ({"prefix_weekly": "x" * 201}, "200"),
        ({"valid_from": "2026-13-01"}, "YYYY-MM-DD"),
        ({"valid_from": "1999-12-31"}, "2000"),
    ):
        refused = await client.post("/reports/settings", data=form | change)
        assert refused.status_code == 422, change
        assert reason in parse(refused.text).find("p", class_="alert").text, change
        assert all(_form(refused.text)[k] == v for k, v in change.items())  # what was written, again
    assert service.config_versions(app_db) == []
    unknown = await client.post("/reports/settings", data=form | {"internal": "secret"})
    assert unknown.status_code == 422 and "简报" in parse(unknown.text).find("p", class_="alert").text

    doubled = {f"weight_{k}": str(2 * int(shown[f"weight_{k}"])) for k in ("air_quality", "improvement", "water")}
    saved = await client.post(
        "/reports/settings",
        data=form
        | doubled
        | {"pm25_penalty": "50000.50", "prefix_monthly": "清环考", "internal": ["weekly", "monthly"]},
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/reports/settings?saved=2025-01-01"
    app_db.commit()  # end the read transaction: see what the app committed
    config = service.config_for(app_db, date(2025, 1, 1))
    assert (config.weights["air_quality"], config.weights["complaints"]) == (Decimal(60), Decimal(10))
    assert (config.pm25_penalty, config.prefixes[ReportKind.MONTHLY]) == (Decimal("50000.50"), "清环考")
    assert config.internal == {ReportKind.WEEKLY, ReportKind.MONTHLY}
    assert service.config_for(app_db, date(2024, 12, 31)).weights["air_quality"] == Decimal(30)  # before it: defaults
    (version,) = service.config_versions(app_db)
    assert version.changed_by == "Analyst"

    after = await client.get("/reports/settings?saved=2025-01-01")
    assert "2025-01-01" in parse(after.text).find("p", class_="notice").text
    rows = parse(after.text).find_all("tr", class_="current")
    assert [r.attrs["data-version"] for r in rows] == [str(version.id)]
    assert _form(after.text)["pm25_penalty"] == "50000.50"  # in force today (the clock is past 2025)
    assert _internal(after.text) == ["weekly", "monthly"]

    open_session(app_db, client, "branch_a")
    assert (await client.get("/reports/settings")).status_code == 403
    branch = {"csrf_token": await csrf_for(client), "valid_from": "2025-01-02"}
    assert (await client.post("/reports/settings", data=form | branch)).status_code == 403
