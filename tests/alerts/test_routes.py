"""Alert pages over HTTP: the board with its counts, filters and scope (404 for another county's alert), the alert
page with its triggering data, chart and timeline, checking (confirm into a case, dismiss with a reason), the
notification list with its badge, the rule editor with versions and field errors, webhooks and their delivery
log, the JSON list and the menu."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.alerts import config, rule_service, service
from ecoloop.alerts.enums import AlertStatus, Review
from ecoloop.alerts.evaluate import Evaluation
from ecoloop.alerts.models import Alert, AlertRule, AlertRuleVersion, Notification, Webhook, WebhookDelivery
from ecoloop.alerts.rules import Finding, NoiseHour, NoiseThresholds, RuleKind, Severity, noise_exceedances
from ecoloop.cases.enums import CaseSource
from ecoloop.cases.models import Case
from ecoloop.db.base import utcnow
from ecoloop.identity.models import User
from ecoloop.monitoring.enums import NoiseZone, SiteKind
from ecoloop.monitoring.models import Site
from ecoloop.readings.store import open_hot_store
from ecoloop.readings.vocabulary import Interval, Reading
from ecoloop.settings import Settings
from tests.factories import World
from tests.web.helpers import csrf_for, menu_links, open_client, open_session, page_title, parse, reread

TZ = ZoneInfo("Asia/Shanghai")
PM25 = "a34004"
FORBIDDEN_TEXT = "您的角色无权执行此操作。"


@dataclass
class Alerts:
    """Two alerts: one at an enterprise's outlet in county A, one at a station in county B."""

    a: Alert
    b: Alert
    site_a: Site
    site_b: Site


def add_site(
    db: Session, code: str, name: str, region_id: int, kind: SiteKind, enterprise_id: int | None = None
) -> Site:
    site = Site(code=code, name=name, kind=kind, region_id=region_id, enterprise_id=enterprise_id)
    db.add(site)
    db.flush()
    return site


def raise_alert(
    db: Session,
    site: Site,
    *,
    rule: str = "air-hotspot",
    at: datetime | None = None,
    observed: str = "180",
    reference: str = "60",
    parameter: str = PM25,
) -> Alert:
    """An alert raised by `rule` at `site` through the service, as the engine would (committed)."""
    spec = next(s for s in rule_service.rule_specs(db) if s.code == rule)
    time = at or utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    finding = Finding(
        kind=spec.kind,
        site_id=site.id,
        parameter=parameter,
        time=time,
        observed=Decimal(observed),
        reference=Decimal(reference),
        severity=Severity.MEDIUM,
        detail={"neighbours": 4, "radius_km": "5", "difference": "120"},
    )
    applied = service.apply(db, [Evaluation(spec, site.id, site.region_id, time, (finding,))], utcnow(), TZ)
    db.commit()
    alert = db.get(Alert, applied.events[0].alert_id)
    assert alert is not None
    return alert


def build_alerts(db: Session, w: World) -> Alerts:
    """The built-in rules and an air-hotspot alert in each county (committed)."""
    rule_service.ensure_builtin_rules(db, utcnow())
    site_a = add_site(db, "DA001", "华能热电1号烟囱", w.village_a.id, SiteKind.AIR_SOURCE, w.enterprise_a.id)
    site_b = add_site(db, "AQ1", "柳林1号站", w.town_b.id, SiteKind.AIR_STATION)
    db.commit()
    return Alerts(raise_alert(db, site_a), raise_alert(db, site_b), site_a, site_b)


@pytest.fixture
def alerts(app_db: Session, app_world: World) -> Alerts:
    return build_alerts(app_db, app_world)


def board_numbers(html: str) -> set[str]:
    table = parse(html).find("table", id="alert-list")
    assert table is not None
    return {row.attrs["data-alert-number"] for row in table.find_all("tr") if "data-alert-number" in row.attrs}


def tab_counts(html: str) -> dict[str, int]:
    tabs = parse(html).find("nav", class_="tabs")
    assert tabs is not None
    return {a.attrs["data-status"]: int(a.find(class_="count").text) for a in tabs.find_all("a")}  # type: ignore[union-attr]


def alert_text(html: str) -> str:
    return " ".join(a.text for a in parse(html).find_all(role="alert"))


def count(db: Session, model: type[object]) -> int:
    reread(db)
    return db.scalar(select(func.count()).select_from(model)) or 0


# --- the board -------------------------------------------------------------------------------------------------


async def test_board_lists_the_alerts_of_the_users_area_only(
    client: httpx.AsyncClient, app_db: Session, alerts: Alerts
) -> None:
    open_session(app_db, client, "branch_a")

    page = await client.get("/alerts")

    assert page.status_code == 200
    assert "预警" in page_title(page.text)
    assert board_numbers(page.text) == {alerts.a.number}
    assert tab_counts(page.text) == {"": 1, "open": 1, "cleared": 0, "closed": 0}
    assert (await client.get(f"/alerts/{alerts.b.id}")).status_code == 404
    assert (await client.get("/alerts/999999")).status_code == 404
    assert (await client.get(f"/alerts/{alerts.a.id}")).status_code == 200


async def test_the_bureau_sees_every_alert_with_counts_by_kind(
    client: httpx.AsyncClient, app_db: Session, alerts: Alerts
) -> None:
    open_session(app_db, client, "analyst")

    page = await client.get("/alerts")

    assert board_numbers(page.text) == {alerts.a.number, alerts.b.number}
    kinds = parse(page.text).find("ul", class_="kind-counts")
    assert kinds is not None
    assert [li.attrs["data-kind"] for li in kinds.find_all("li")] == ["air_hotspot"]
    row = parse(page.text).find("tr", data_alert_number=alerts.b.number)
    assert row is not None
    assert "柳林1号站" in row.text and "空气质量高值热点" in row.text and "180 / 60" in row.text


async def test_enterprise_sees_the_alerts_of_its_own_sites(
    client: httpx.AsyncClient, app_db: Session, alerts: Alerts
) -> None:
    open_session(app_db, client, "enterprise_a")

    assert board_numbers((await client.get("/alerts")).text) == {alerts.a.number}
    assert (await client.get(f"/alerts/{alerts.b.id}")).status_code == 404


@pytest.mark.parametrize("path", ["/alerts", "/alerts/notifications", "/alerts/rules", "/alerts/stream"])
async def test_hotline_may_not_open_the_alert_pages(
    client: httpx.AsyncClient, app_db: Session, app_world: World, path: str
) -> None:
    open_session(app_db, client, "hotline")

    response = await client.get(path)

    assert response.status_code == 403
    assert FORBIDDEN_TEXT in parse(response.text).text


async def test_filters_narrow_the_board_and_htmx_gets_the_results_only(
    client: httpx.AsyncClient, app_db: Session, alerts: Alerts, app_world: World
) -> None:
    open_session(app_db, client, "analyst")

    by_region = await client.get("/alerts", params={"region": app_world.county_b.code})
    by_text = await client.get("/alerts", params={"q": "DA00"})
    closed = await client.get("/alerts", params={"status": "closed"})
    by_kind = await client.get("/alerts", params={"kind": "device_silent"})
    fragment = await client.get("/alerts", params={"q": "柳林"}, headers={"HX-Request": "true"})

    assert board_numbers(by_region.text) == {alerts.b.number}
    assert board_numbers(by_text.text) == {alerts.a.number}
    assert board_numbers(closed.text) == set()
    assert board_numbers(by_kind.text) == set()
    assert parse(fragment.text).find("title") is None
    assert parse(fragment.text).find("div", id="results") is not None
    assert board_numbers(fragment.text) == {alerts.b.number}


async def test_the_json_list_is_scoped(client: httpx.AsyncClient, app_db: Session, alerts: Alerts) -> None:
    open_session(app_db, client, "branch_b")

    response = await client.get("/api/v1/alerts")

    assert response.status_code == 200
    assert [a["number"] for a in response.json()] == [alerts.b.number]
    assert response.json()[0]["status"] == "open" and response.json()[0]["observed"] == "180.000000"


async def test_the_menu_offers_alerts_to_those_who_see_them(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "analyst")
    assert menu_links((await client.get("/")).text).get("/alerts") == "预警"
    client.cookies.clear()
    open_session(app_db, client, "hotline")
    assert "/alerts" not in menu_links((await client.get("/")).text)


# --- one alert -----------------------------------------------------------------------------------------------


async def test_alert_page_shows_the_triggering_data_the_rule_version_and_the_timeline(
    client: httpx.AsyncClient, app_db: Session, alerts: Alerts
) -> None:
    open_session(app_db, client, "analyst")

    page = await client.get(f"/alerts/{alerts.b.id}")

    doc = parse(page.text)
    findings = doc.find("table", class_="findings")
    assert findings is not None and "PM2.5 180 µg/m³，比周边 5 千米内 4 个站点的中位数 60 高 120" in findings.text
    facts = doc.find("section", id="facts")
    assert facts is not None and "第1版" in facts.text
    assert facts.find("a", href=f"/monitoring/sites/{alerts.site_b.id}") is not None
    timeline = doc.find("ol", class_="timeline")
    assert timeline is not None
    assert [li.attrs["data-event"] for li in timeline.find_all("li")] == ["raised"]
    assert doc.find("form", data_action="confirm") is not None
    assert doc.find("form", data_action="dismiss") is not None


async def test_alert_page_charts_the_parameter_around_the_alert_against_the_reference(
    client: httpx.AsyncClient, app_db: Session, alerts: Alerts, app_settings: Settings
) -> None:
    store = open_hot_store(app_settings)
    at = alerts.b.first_at
    readings = [
        Reading(alerts.site_b.id, PM25, Interval.HOUR, at + timedelta(hours=h), 50.0 + h, "N") for h in range(-3, 2)
    ]
    store.write(readings, now=utcnow())
    store.close()
    open_session(app_db, client, "analyst")

    page = await client.get(f"/alerts/{alerts.b.id}")

    doc = parse(page.text)
    data = doc.find("script", id="alert-chart-data")
    assert data is not None and data.attrs["type"] == "application/json"
    chart = json.loads(data.text)
    assert chart["reference"] == 60.0
    assert [v for v in chart["values"] if v is not None] == [47.0, 48.0, 49.0, 50.0, 51.0]
    assert chart["span"][0] == at.astimezone(TZ).strftime("%m-%d %H:%M")
    assert doc.find("script", src="/static/vendor/echarts.min.js") is not None
    assert (await client.get("/static/vendor/echarts.min.js")).status_code == 200


async def test_the_live_part_of_the_alert_page_is_served_to_htmx(
    client: httpx.AsyncClient, app_db: Session, alerts: Alerts
) -> None:
    open_session(app_db, client, "analyst")

    fragment = await client.get(f"/alerts/{alerts.a.id}", headers={"HX-Request": "true"})

    doc = parse(fragment.text)
    assert doc.find("title") is None and doc.find("table", class_="findings") is None
    live = doc.find("div", id="alert-live")
    assert live is not None and live.attrs["data-alert"] == str(alerts.a.id)
    assert live.find("li", data_event="raised") is not None


async def test_confirming_an_alert_hands_it_over_as_a_case_and_links_it(
    client: httpx.AsyncClient, app_db: Session, alerts: Alerts, app_world: World
) -> None:
    open_session(app_db, client, "branch_b")
    csrf = await csrf_for(client)

    response = await client.post(f"/alerts/{alerts.b.id}/confirm", data={"csrf_token": csrf, "note": "现场核实"})

    assert response.status_code == 303
    reread(app_db)
    alert = app_db.get(Alert, alerts.b.id)
    assert alert is not None and alert.review is Review.CONFIRMED and alert.case_id is not None
    case = app_db.get(Case, alert.case_id)
    assert case is not None and case.source is CaseSource.ALERT and case.lead_unit_id == app_world.branch_b.id
    page = await client.get(response.headers["location"])
    done = parse(page.text).find("p", id="done")
    assert done is not None and case.number in done.text
    assert parse(page.text).find("a", href=f"/cases/{case.id}") is not None
    assert parse(page.text).find("form", data_action="confirm") is None
    events = [li.attrs["data-event"] for li in parse(page.text).find_all("li") if "data-event" in li.attrs]
    assert events == ["raised", "confirmed", "escalated"]


async def test_dismissing_needs_a_reason_and_closes_the_alert(
    client: httpx.AsyncClient, app_db: Session, alerts: Alerts
) -> None:
    open_session(app_db, client, "analyst")
    csrf = await csrf_for(client)

    refused = await client.post(f"/alerts/{alerts.a.id}/dismiss", data={"csrf_token": csrf, "reason": "  "})
    accepted = await client.post(f"/alerts/{alerts.a.id}/dismiss", data={"csrf_token": csrf, "reason": "设备校准"})

    assert refused.status_code == 422
    assert "请填写排除预警的原因" in alert_text(refused.text)
    assert accepted.status_code == 303
    reread(app_db)
    alert = app_db.get(Alert, alerts.a.id)
    assert alert is not None
    assert (alert.status, alert.review, alert.feedback) == (AlertStatus.CLOSED, Review.DISMISSED, "设备校准")
    again = await client.post(f"/alerts/{alerts.a.id}/dismiss", data={"csrf_token": csrf, "reason": "再次"})
    assert again.status_code == 422 and "该预警已关闭" in alert_text(again.text)


async def test_checking_is_refused_without_the_role_the_scope_or_the_csrf_token(
    client: httpx.AsyncClient, app_db: Session, alerts: Alerts
) -> None:
    open_session(app_db, client, "inspector")
    csrf = await csrf_for(client)
    assert (await client.post(f"/alerts/{alerts.a.id}/confirm", data={"csrf_token": csrf})).status_code == 403
    page = await client.get(f"/alerts/{alerts.a.id}")
    assert parse(page.text).find("form", data_action="confirm") is None

    client.cookies.clear()
    open_session(app_db, client, "branch_a")
    csrf = await csrf_for(client)
    assert (await client.post(f"/alerts/{alerts.b.id}/confirm", data={"csrf_token": csrf})).status_code == 404
    assert (await client.post(f"/alerts/{alerts.a.id}/confirm", data={"csrf_token": "0" * 64})).status_code == 403
    reread(app_db)
    assert app_db.scalar(select(func.count(Case.id))) == 0


# --- notifications -------------------------------------------------------------------------------------------------


async def test_notifications_are_listed_counted_and_marked_read(
    client: httpx.AsyncClient, app_db: Session, alerts: Alerts
) -> None:
    open_session(app_db, client, "analyst")
    csrf = await csrf_for(client)

    listed = await client.get("/alerts/notifications")
    badge = await client.get("/alerts/notifications/unread", headers={"HX-Request": "true"})

    rows = [r for r in parse(listed.text).find_all("tr") if "data-notification" in r.attrs]
    assert [r.attrs["class"] for r in rows] == ["unread", "unread"]
    assert {alerts.a.number, alerts.b.number} <= {c.text for r in rows for c in r.find_all("code")}
    assert parse(badge.text).find("span", class_="count").attrs["data-unread"] == "2"  # type: ignore[union-attr]

    first = rows[0].attrs["data-notification"]
    await client.post("/alerts/notifications/read", data={"csrf_token": csrf, "ids": first})
    after_one = parse((await client.get("/alerts/notifications")).text)
    assert [r.attrs["class"] for r in after_one.find_all("tr") if "data-notification" in r.attrs] == ["unread", "read"]

    await client.post("/alerts/notifications/read", data={"csrf_token": csrf})
    reread(app_db)
    assert app_db.scalar(select(func.count(Notification.id)).where(Notification.read_at.is_(None))) == 3  # the others'
    badge = await client.get("/alerts/notifications/unread", headers={"HX-Request": "true"})
    assert parse(badge.text).find("span", class_="count") is None


async def test_a_user_marks_only_their_own_notifications(
    client: httpx.AsyncClient, app_db: Session, alerts: Alerts
) -> None:
    others = list(app_db.scalars(select(Notification.id).where(Notification.user_id != alerts_user(app_db, "analyst"))))
    open_session(app_db, client, "analyst")
    csrf = await csrf_for(client)

    await client.post("/alerts/notifications/read", data={"csrf_token": csrf, "ids": others})

    reread(app_db)
    assert all(app_db.get(Notification, i).read_at is None for i in others)  # type: ignore[union-attr]


def alerts_user(db: Session, username: str) -> int:
    user_id = db.scalar(select(User.id).where(User.username == username))
    assert user_id is not None
    return user_id


# --- rules ---------------------------------------------------------------------------------------------------------


def rule_by_code(db: Session, code: str) -> AlertRule:
    reread(db)
    rule = db.scalar(select(AlertRule).where(AlertRule.code == code))
    assert rule is not None
    return rule


def rule_fields(html: str, **values: str) -> dict[str, str]:
    form = parse(html).find("form", id="rule-form")
    assert form is not None
    return form.fields() | values


async def test_editing_a_rule_saves_version_two_with_the_note(
    client: httpx.AsyncClient, app_db: Session, alerts: Alerts
) -> None:
    rule = rule_by_code(app_db, "air-hotspot")
    open_session(app_db, client, "analyst")
    page = await client.get(f"/alerts/rules/{rule.id}")

    response = await client.post(
        f"/alerts/rules/{rule.id}", data=rule_fields(page.text, **{"param.ratio": "2", "note": "提高阈值"})
    )

    assert response.status_code == 303 and response.headers["location"].endswith("done=saved")
    rule = rule_by_code(app_db, "air-hotspot")
    assert rule.version == 2 and rule.parameters["ratio"] == "2"
    assert rule.name == "空气站高值热点（高于周边站点）", "built-in names are kept in the bureau's language"
    history = parse((await client.get(response.headers["location"])).text).find("table", class_="versions")
    assert history is not None
    rows = [r for r in history.find_all("tr") if "data-version" in r.attrs]
    assert [r.attrs["data-version"] for r in rows] == ["2", "1"]
    assert "提高阈值" in rows[0].text and "Analyst" in rows[0].text


async def test_saving_a_rule_unchanged_makes_no_version(
    client: httpx.AsyncClient, app_db: Session, alerts: Alerts
) -> None:
    rule = rule_by_code(app_db, "device-silent")
    open_session(app_db, client, "analyst")
    page = await client.get(f"/alerts/rules/{rule.id}")

    response = await client.post(f"/alerts/rules/{rule.id}", data=rule_fields(page.text))

    assert response.headers["location"].endswith("done=unchanged")
    assert rule_by_code(app_db, "device-silent").version == 1


async def test_a_bad_parameter_is_shown_at_its_field_and_saves_nothing(
    client: httpx.AsyncClient, app_db: Session, alerts: Alerts
) -> None:
    rule = rule_by_code(app_db, "air-hotspot")
    versions = count(app_db, AlertRuleVersion)
    open_session(app_db, client, "analyst")
    page = await client.get(f"/alerts/rules/{rule.id}")

    bad = await client.post(f"/alerts/rules/{rule.id}", data=rule_fields(page.text, **{"param.ratio": "abc"}))
    days = await client.post(f"/alerts/rules/{rule.id}", data=rule_fields(page.text, case_deadline_days="x"))

    assert bad.status_code == 422
    errors = parse(bad.text).find_all("p", class_="field-error")
    assert [e.attrs["data-field"] for e in errors] == ["ratio"]
    assert errors[0].text == "请输入数值。"
    field = parse(bad.text).find("input", name="param.ratio")
    assert field is not None and field.attrs["value"] == "abc"
    assert [e.attrs["data-field"] for e in parse(days.text).find_all("p", class_="field-error")] == [
        "case_deadline_days"
    ]
    assert count(app_db, AlertRuleVersion) == versions
    assert rule_by_code(app_db, "air-hotspot").version == 1


async def test_a_check_across_parameters_is_shown_above_them(
    client: httpx.AsyncClient, app_db: Session, alerts: Alerts
) -> None:
    rule = rule_by_code(app_db, "water-below-target")
    open_session(app_db, client, "analyst")
    page = await client.get(f"/alerts/rules/{rule.id}")

    response = await client.post(
        f"/alerts/rules/{rule.id}", data=rule_fields(page.text, **{"param.classes_below": "0"})
    )

    assert response.status_code == 422
    (error,) = parse(response.text).find_all("p", class_="field-error")
    assert error.attrs["data-field"] == "parameters" and "低于目标的类别数" in error.text
    assert "classes_below" not in error.text  # the parameter by its label (issue 13 §11)
    assert rule_by_code(app_db, "water-below-target").version == 1


async def test_a_new_rule_of_a_chosen_kind_starts_at_version_one(
    client: httpx.AsyncClient, app_db: Session, alerts: Alerts
) -> None:
    open_session(app_db, client, "analyst")
    page = await client.get("/alerts/rules/new", params={"kind": "aqi_level"})
    values = {
        "code": "aqi-county-150",
        "name": "区县AQI达到150",
        "param.threshold": "150",
        "param.area_level": "county",
    }

    response = await client.post("/alerts/rules", data=rule_fields(page.text, **values))
    taken = await client.post("/alerts/rules", data=rule_fields(page.text, **values))

    assert response.status_code == 303
    rule = rule_by_code(app_db, "aqi-county-150")
    assert (rule.kind, rule.version, rule.parameters["threshold"], rule.parameters["area_level"]) == (
        RuleKind.AQI_LEVEL,
        1,
        150,
        "county",
    )
    assert taken.status_code == 422
    assert [e.attrs["data-field"] for e in parse(taken.text).find_all("p", class_="field-error")] == ["code"]


async def test_branches_read_rules_others_do_not_and_only_analysts_edit(
    client: httpx.AsyncClient, app_db: Session, alerts: Alerts
) -> None:
    rule = rule_by_code(app_db, "air-hotspot")
    open_session(app_db, client, "branch_a")
    csrf = await csrf_for(client)
    listed = await client.get("/alerts/rules")
    assert len([r for r in parse(listed.text).find_all("tr") if "data-rule" in r.attrs]) == len(config.BUILTIN_RULES)
    page = await client.get(f"/alerts/rules/{rule.id}")
    assert page.status_code == 200 and parse(page.text).find("button", type="submit") is not None  # sign out only
    assert parse(page.text).find("form", id="rule-form").find("button") is None  # type: ignore[union-attr]
    saved = await client.post(f"/alerts/rules/{rule.id}", data=rule_fields(page.text, csrf_token=csrf, name="x"))
    assert saved.status_code == 403
    assert (await client.get("/alerts/rules/new", params={"kind": "aqi_level"})).status_code == 403

    client.cookies.clear()
    open_session(app_db, client, "department")
    assert [r for r in parse((await client.get("/alerts/rules")).text).find_all("tr") if "data-rule" in r.attrs] == []
    assert (await client.get(f"/alerts/rules/{rule.id}")).status_code == 404


# --- webhooks ------------------------------------------------------------------------------------------------------


async def test_webhooks_are_the_administrators(client: httpx.AsyncClient, app_db: Session, app_world: World) -> None:
    open_session(app_db, client, "analyst")

    assert (await client.get("/alerts/webhooks")).status_code == 403
    csrf = await csrf_for(client)
    data = {"csrf_token": csrf, "organisation_id": str(app_world.branch_a.id), "url": "https://example.org/hook"}
    assert (await client.post("/alerts/webhooks", data=data)).status_code == 403
    assert count(app_db, Webhook) == 0


async def test_administrator_adds_a_webhook_sees_its_secret_once_and_switches_it_off(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "admin")
    csrf = await csrf_for(client)
    data = {"csrf_token": csrf, "organisation_id": str(app_world.branch_a.id), "url": "ftp://example.org/hook"}

    refused = await client.post("/alerts/webhooks", data=data)
    added = await client.post("/alerts/webhooks", data=data | {"url": "https://example.org/hook"})

    assert refused.status_code == 422
    assert [e.attrs["data-field"] for e in parse(refused.text).find_all("p", class_="field-error")] == ["url"]
    assert added.status_code == 200
    reread(app_db)
    hook = app_db.scalars(select(Webhook)).one()
    shown = parse(added.text).find("p", id="new-secret")
    assert shown is not None and hook.secret in shown.text and len(hook.secret) >= 40
    listing = await client.get("/alerts/webhooks")
    assert hook.secret not in listing.text and "https://example.org/hook" in listing.text

    switched = await client.post(f"/alerts/webhooks/{hook.id}/enabled", data={"csrf_token": csrf, "enabled": ""})
    edited = await client.post(
        f"/alerts/webhooks/{hook.id}", data={"csrf_token": csrf, "url": "http://1.2.3.4:8080/in", "enabled": "1"}
    )

    assert switched.status_code == 303 and edited.status_code == 303
    reread(app_db)
    hook = app_db.scalars(select(Webhook)).one()
    assert (hook.url, hook.enabled) == ("http://1.2.3.4:8080/in", True)


NOT_PUBLIC_TEXT = (
    "该地址不是公网地址（环回、内网、链路本地或保留网段）。"
    "只有运维人员允许的网段（ECOLOOP_WEBHOOK_ALLOWED_NETWORKS）才能作为推送地址。"
)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/in",
        "http://localhost/in",
        "http://10.0.0.5:8080/in",
        "http://169.254.169.254/latest/meta-data/",
        "https://[::ffff:127.0.0.1]/in",
        "http://[fd00::1]/in",
        "http://0.0.0.0:9/",
    ],
)
async def test_a_webhook_to_a_non_public_address_is_refused_on_the_form(
    client: httpx.AsyncClient, app_db: Session, app_world: World, url: str
) -> None:
    open_session(app_db, client, "admin")
    csrf = await csrf_for(client)
    data = {"csrf_token": csrf, "organisation_id": str(app_world.branch_a.id), "url": url}

    refused = await client.post("/alerts/webhooks", data=data)

    assert refused.status_code == 422
    errors = {e.attrs["data-field"]: e.text for e in parse(refused.text).find_all("p", class_="field-error")}
    assert errors == {"url": NOT_PUBLIC_TEXT}
    assert count(app_db, Webhook) == 0


async def test_changing_a_webhook_to_a_private_address_is_refused_unless_the_network_is_allowed(
    app_settings: Settings, app_db: Session, app_world: World
) -> None:
    app_db.add(Webhook(organisation_id=app_world.branch_a.id, url="https://1.2.3.4/in", secret="s" * 43))
    app_db.commit()
    hook = app_db.scalars(select(Webhook)).one()
    allowing = app_settings.model_copy(update={"webhook_allowed_networks": "10.20.0.0/16, 127.0.0.1/32"})
    for settings, url, status in (
        (app_settings, "http://10.20.0.5/in", 422),
        (allowing, "http://10.21.0.5/in", 422),
        (allowing, "http://10.20.0.5/in", 303),
        (allowing, "http://127.0.0.1:8080/in", 303),
    ):
        async with open_client(settings) as client:
            open_session(app_db, client, "admin")
            data = {"csrf_token": await csrf_for(client), "url": url, "enabled": "1"}
            assert (await client.post(f"/alerts/webhooks/{hook.id}", data=data)).status_code == status, url
    reread(app_db)
    assert app_db.scalars(select(Webhook.url)).one() == "http://127.0.0.1:8080/in"


async def test_the_delivery_log_shows_attempts_and_errors(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    app_db.add(Webhook(organisation_id=app_world.branch_b.id, url="https://example.org/b", secret="s" * 43))
    app_db.commit()
    rule_service.ensure_builtin_rules(app_db, utcnow())
    site = add_site(app_db, "AQ2", "柳林2号站", app_world.town_b.id, SiteKind.AIR_STATION)
    alert = raise_alert(app_db, site)
    delivery = app_db.scalars(select(WebhookDelivery)).one()
    delivery.attempts, delivery.response_status, delivery.error = 2, 502, "Bad Gateway"
    app_db.commit()
    open_session(app_db, client, "admin")

    page = await client.get("/alerts/webhooks")
    failed_only = await client.get("/alerts/webhooks", params={"status": "failed"})

    row = parse(page.text).find("tr", data_delivery=str(delivery.id))
    assert row is not None
    assert alert.number in row.text and "502" in row.text and "Bad Gateway" in row.text and "待发送" in row.text
    assert parse(failed_only.text).find("tr", data_delivery=str(delivery.id)) is None
    hook_page = await client.get(f"/alerts/webhooks/{delivery.webhook_id}")
    assert parse(hook_page.text).find("tr", data_delivery=str(delivery.id)) is not None


# --- noise ---------------------------------------------------------------------------------------------------------


async def test_a_noise_alert_and_its_rule_read_in_chinese(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    """A class 1 point at 46 dB(A) at 23:00 local (night limit 45): the board, the alert page and the rule editor
    name the kind, the period, the zone and the thresholds in Chinese."""
    rule_service.ensure_builtin_rules(app_db, utcnow())
    site = Site(code="ZS1", name="柳林噪声点", kind=SiteKind.NOISE, region_id=app_world.town_b.id)
    site.noise_zone = NoiseZone.CLASS_1
    app_db.add(site)
    app_db.commit()
    spec = next(s for s in rule_service.rule_specs(app_db) if s.code == "noise-exceedance")
    assert isinstance(spec.thresholds, NoiseThresholds)
    at = datetime(2026, 12, 6, 23, tzinfo=TZ)
    (finding,) = noise_exceedances(site.id, "1", [NoiseHour(at, {"Leq": Decimal(46)})], spec.thresholds, zone=TZ)
    applied = service.apply(app_db, [Evaluation(spec, site.id, site.region_id, at, (finding,))], utcnow(), TZ)
    app_db.commit()
    alert = app_db.get(Alert, applied.events[0].alert_id)
    assert alert is not None
    open_session(app_db, client, "analyst")

    board = await client.get("/alerts")
    row = parse(board.text).find("tr", data_alert_number=alert.number)
    assert (
        row is not None
        and "柳林噪声点" in row.text
        and "噪声超过功能区限值" in row.text
        and "等效声级 46 / 45" in row.text
    )

    html = (await client.get(f"/alerts/{alert.id}")).text
    assert "噪声监测点超过声环境功能区限值" in page_title(html)
    page = parse(html)
    findings = page.find("table", class_="findings")
    assert findings is not None
    assert (
        "2026-12-06 23:00 柳林噪声点 夜间等效声级 46 dB(A)，超过1类声环境功能区夜间限值 45 dB(A) 1 dB" in findings.text
    )
    assert "等效声级" in findings.text

    rule = rule_by_code(app_db, "noise-exceedance")
    editor = await client.get(f"/alerts/rules/{rule.id}")
    doc = parse(editor.text)
    labels = {
        label.attrs["data-parameter"]: label.text for label in doc.find_all("label") if "data-parameter" in label.attrs
    }
    assert "超过限值多少分贝才预警" in labels["margin"] and "判定时段" in labels["periods"]
    assert "昼间起始时刻（时）" in labels["day_start"] and "夜间起始时刻（时）" in labels["night_start"]
    periods = doc.find("select", name="param.periods")
    assert periods is not None
    assert [(o.attrs["value"], o.text, "selected" in o.attrs) for o in periods.find_all("option")] == [
        ("day, night", "昼间和夜间", True),
        ("day", "昼间", False),
        ("night", "夜间", False),
    ]
    saved = await client.post(
        f"/alerts/rules/{rule.id}",
        data=rule_fields(editor.text, **{"param.periods": "night", "param.night_start": "21", "note": "县政府规定"}),
    )
    assert saved.status_code == 303
    rule = rule_by_code(app_db, "noise-exceedance")
    assert rule.parameters["periods"] == ["night"] and rule.parameters["night_start"] == 21
    versions = parse((await client.get(f"/alerts/rules/{rule.id}")).text).find("table", class_="versions")
    assert versions is not None
    latest = versions.find("tr", data_version="2")
    assert latest is not None
    shown = latest.find("span", data_parameter="periods")
    assert shown is not None and shown.text.strip() == "判定时段: 夜间"
    quantities = latest.find("span", data_parameter="quantities")
    assert quantities is not None and "等效声级、最大声级" in quantities.text
