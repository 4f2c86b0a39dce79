"""Pages and their permissions, the menu, the administration forms, htmx fragments and response headers."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.audit.models import AuditRecord
from ecoloop.i18n import gettext, use_locale
from ecoloop.identity.models import User
from ecoloop.regions.models import Region
from ecoloop.settings import Settings
from ecoloop.web.security import LANG_COOKIE
from tests.factories import World
from tests.web.helpers import (
    COOKIE_DOMAIN,
    csrf_for,
    form_for,
    login,
    menu_links,
    open_client,
    open_session,
    page_title,
    parse,
    reread,
)

# Every role once (branch_b mirrors branch_a).
USERS = ["admin", "leader", "analyst", "inspector", "hotline", "branch_a", "department", "enterprise_a"]
EVERYONE = frozenset(USERS)
ENTERPRISE_VIEWERS = frozenset({"admin", "leader", "analyst", "inspector", "branch_a", "enterprise_a"})
ADMIN = frozenset({"admin"})
REGION_KEEPERS = frozenset({"admin", "branch_a"})  # a branch keeps the towns and villages of its county
LEDGER_VIEWERS = frozenset({"admin", "leader", "analyst", "inspector", "branch_a"})
QUALITY_VIEWERS = frozenset({"admin", "leader", "analyst", "inspector", "hotline", "branch_a", "department"})
ENTERPRISE_KEEPERS = frozenset({"admin", "analyst", "branch_a"})
QUALITY_VIEWERS = EVERYONE - {"enterprise_a"}  # view_quality: results, overview screen, rankings (issue 16)
# The entries of what the data says, after the start page, for the roles that view quality (issue 16).
QUALITY = ["/screen", "/air", "/water", "/noise", "/sources", "/rankings"]
# The briefs (issue 17), after the rankings, for the roles that read them (not the hotline).
BRIEFS = [*QUALITY, "/reports"]
REPORT_READERS = QUALITY_VIEWERS - {"hotline"}
CASES = ["/cases", "/cases/mine"]
CASE_BOOKS = ["/cases", "/cases/mine", "/cases/batches", "/cases/ledger"]
# The complaints (issue 18), before the cases, for the roles that see them (not inspectors or enterprises).
COMPLAINT_VIEWERS = frozenset({"admin", "leader", "analyst", "hotline", "branch_a", "department"})
COMPLAINT_HANDLERS = frozenset({"admin", "analyst", "hotline", "branch_a"})
# Case-file review (issue 19): the roles that view penalty cases (reviewers and handling units); the reviewers'
# pages (a new round, the standard) for those who review case files.
PENALTY_VIEWERS = frozenset({"admin", "leader", "analyst", "inspector", "branch_a"})
CASE_FILE_REVIEWERS = frozenset({"leader", "analyst"})
REVIEW = ["/case-reviews"]
# The push tasks of partner platforms' warnings (issue 18): those who push and the departments who handle them.
PUSH_HANDLERS = frozenset({"admin", "analyst", "branch_a", "department"})
# Enforcement in the field (issue 19): the inspections and campaigns for view_inspections, the officer's phone page
# for inspect (the bureau's inspectors and the branches), the checklists for manage_checklists.
INSPECTION_VIEWERS = frozenset({"admin", "leader", "analyst", "inspector", "branch_a"})
# The random checks: those who run them (manage_draws).
DRAW_MANAGERS = frozenset({"admin", "analyst", "branch_a"})
OFFICERS = frozenset({"inspector", "branch_a"})
INSPECTIONS = ["/inspections", "/inspections/campaigns"]
OFFICER_INSPECTIONS = ["/inspections", "/inspections/mine", "/inspections/campaigns"]

# Penalty cases (issue 19): the bureau's staff, the officers and the branches follow them; analysts, officers and
# branches handle them; the administrator and analysts keep their settings.
PENALTY_VIEWERS = frozenset({"admin", "leader", "analyst", "inspector", "branch_a"})
PENALTY_HANDLERS = frozenset({"analyst", "inspector", "branch_a"})

# Electricity checks (issue 20): view_electricity; an enterprise sees its own meters.
ELECTRICITY_VIEWERS = frozenset({"admin", "leader", "analyst", "inspector", "branch_a", "enterprise_a"})

# page → (users who may open it, text in its title); {enterprise} is enterprise_a, {user} the analyst
PAGES = {
    "/": (EVERYONE, "首页"),
    "/account": (EVERYONE, "我的账户"),
    "/screen": (QUALITY_VIEWERS, "综合态势"),
    "/enterprises": (ENTERPRISE_VIEWERS, "企业"),
    "/electricity": (ELECTRICITY_VIEWERS, "用电监控"),
    "/enterprises/{enterprise}": (ENTERPRISE_VIEWERS, "清源华能热电有限公司"),
    "/enterprises/import": (ENTERPRISE_KEEPERS, "导入企业档案"),
    "/cases": (EVERYONE, "案件"),
    "/cases/mine": (EVERYONE, "我的待办"),
    "/cases/batches": (LEDGER_VIEWERS, "督察批次"),
    "/cases/ledger": (LEDGER_VIEWERS, "整改台账"),
    "/draws": (INSPECTION_VIEWERS, "双随机抽查"),
    "/draws/new": (DRAW_MANAGERS, "公告抽查"),
    "/draws/officers": (DRAW_MANAGERS, "执法证与利害关系"),
    "/draws/pools": (DRAW_MANAGERS, "名录库"),
    "/admin/regions": (REGION_KEEPERS, "行政区划"),
    "/admin/regions?parent=371802": (REGION_KEEPERS, "行政区划"),
    "/admin/audit": (frozenset({"admin", "leader"}), "审计日志"),
    "/air": (QUALITY_VIEWERS, "空气质量"),
    "/air/compare": (QUALITY_VIEWERS, "站点对比"),
    "/sources": (QUALITY_VIEWERS, "污染源达标"),
    "/noise": (QUALITY_VIEWERS, "声环境"),
    "/rankings": (QUALITY_VIEWERS, "排名"),
    "/quality/targets": (frozenset({"admin", "analyst"}), "空气质量目标"),
    "/water": (QUALITY_VIEWERS, "水质"),
    "/reports": (REPORT_READERS, "简报"),
    "/reports/templates": (frozenset({"admin", "analyst"}), "Word模板"),
    "/reports/settings": (frozenset({"admin", "analyst"}), "简报设置"),
    "/reports/forecasts": (REPORT_READERS, "空气质量预报"),
    "/admin/calendar": (ADMIN, "工作日历"),
    "/complaints": (COMPLAINT_VIEWERS, "信访投诉"),
    "/complaints?queue=accept_overdue": (COMPLAINT_VIEWERS, "信访投诉"),
    "/complaints/new": (COMPLAINT_HANDLERS, "登记来电来信"),
    "/complaints/settings": (frozenset({"admin", "analyst"}), "举报办理设置"),
    "/admin/partners": (ADMIN, "外部平台"),
    "/admin/partners/report": (ADMIN, "分平台预警统计"),
    "/push-tasks": (PUSH_HANDLERS, "推送任务"),
    "/penalties": (PENALTY_VIEWERS, "行政处罚"),
    "/penalties?queue=overdue": (PENALTY_VIEWERS, "行政处罚"),
    "/penalties/new": (PENALTY_HANDLERS, "新建处罚案件"),
    "/penalties/settings": (frozenset({"admin", "analyst"}), "行政处罚设置"),
    "/case-reviews": (PENALTY_VIEWERS, "案卷评审"),
    "/case-reviews/summary": (PENALTY_VIEWERS, "案卷评审年度汇总"),
    "/case-reviews/summary?year=2026": (PENALTY_VIEWERS, "案卷评审年度汇总"),
    "/case-reviews/rounds/new": (CASE_FILE_REVIEWERS, "新建评查活动"),
    "/case-reviews/standard": (CASE_FILE_REVIEWERS, "评查标准"),
    "/inspections": (INSPECTION_VIEWERS, "现场检查"),
    "/inspections/mine": (OFFICERS, "我的检查任务"),
    "/inspections/new": (frozenset({"admin", "analyst", "inspector", "branch_a"}), "安排检查"),
    "/inspections/campaigns": (INSPECTION_VIEWERS, "专项执法"),
    "/inspections/campaigns/new": (frozenset({"admin", "analyst", "branch_a"}), "新建专项行动"),
    "/inspections/checklists": (frozenset({"admin", "analyst"}), "检查表"),
    "/inspections/checklists/new": (frozenset({"admin", "analyst"}), "新建检查表"),
}
USER_ADMIN_PAGES = {
    "/admin/users": (ADMIN, "用户"),
    "/admin/users/new": (ADMIN, "新增用户"),
    "/admin/users/{user}": (ADMIN, "analyst"),
    "/admin/organisations": (ADMIN, "单位"),
}

# user → the menu, in order
MENUS = {
    "admin": [
        "/",
        *BRIEFS,
        "/alerts",
        "/complaints",
        "/push-tasks",
        "/warnings",
        "/hotspots",
        "/controls",
        "/electricity",
        *CASE_BOOKS,
        "/draws",
        *INSPECTIONS,
        "/penalties",
        *REVIEW,
        "/enterprises",
        "/monitoring/sites",
        "/monitoring/upload",
        "/admin/users",
        "/admin/organisations",
        "/admin/regions",
        "/admin/calendar",
        "/admin/partners",
        "/admin/audit",
        "/account",
    ],
    "leader": [
        "/",
        *BRIEFS,
        "/alerts",
        "/complaints",
        "/warnings",
        "/hotspots",
        "/controls",
        "/electricity",
        *CASE_BOOKS,
        "/draws",
        *INSPECTIONS,
        "/penalties",
        *REVIEW,
        "/enterprises",
        "/monitoring/sites",
        "/admin/audit",
        "/account",
    ],
    "analyst": [
        "/",
        *BRIEFS,
        "/alerts",
        "/complaints",
        "/push-tasks",
        "/warnings",
        "/hotspots",
        "/controls",
        "/electricity",
        *CASE_BOOKS,
        "/draws",
        *INSPECTIONS,
        "/penalties",
        *REVIEW,
        "/enterprises",
        "/monitoring/sites",
        "/monitoring/upload",
        "/account",
    ],
    "inspector": [
        "/",
        *BRIEFS,
        "/alerts",
        "/warnings",
        "/hotspots",
        "/controls",
        "/electricity",
        *CASE_BOOKS,
        "/draws",
        *OFFICER_INSPECTIONS,
        "/penalties",
        *REVIEW,
        "/enterprises",
        "/monitoring/sites",
        "/account",
    ],
    "hotline": ["/", *QUALITY, "/complaints", "/warnings", *CASES, "/account"],
    "branch_a": [
        "/",
        *BRIEFS,
        "/alerts",
        "/complaints",
        "/push-tasks",
        "/warnings",
        "/hotspots",
        "/controls",
        "/electricity",
        *CASE_BOOKS,
        "/draws",
        *OFFICER_INSPECTIONS,
        "/penalties",
        *REVIEW,
        "/enterprises",
        "/monitoring/sites",
        "/admin/regions",
        "/account",
    ],
    "department": ["/", *BRIEFS, "/alerts", "/complaints", "/push-tasks", "/warnings", "/hotspots", *CASES, "/account"],
    "enterprise_a": [
        "/",
        "/alerts",
        "/warnings",
        "/controls",
        "/electricity",
        *CASES,
        "/enterprises",
        "/monitoring/sites",
        "/monitoring/upload",
        "/account",
    ],
}

# user → the figures on the overview, by caption
TILES = {
    "admin": {"县（市、区）": 2, "乡镇（街道）": 2, "村（社区）": 2, "单位": 4, "企业": 3},
    "branch_a": {"县（市、区）": 1, "乡镇（街道）": 1, "村（社区）": 1, "单位": 1, "企业": 2},
    "department": {"县（市、区）": 2, "乡镇（街道）": 2, "村（社区）": 2, "单位": 1},
    "hotline": {"县（市、区）": 2, "乡镇（街道）": 2, "村（社区）": 2},
    "enterprise_a": {"企业": 1},
}

FORBIDDEN_TEXT = "您的角色无权执行此操作。"
NEW_USER = {"username": "newbie", "display_name": "新来的分析员", "password": "Strong-pass-2027", "role": "analyst"}


def fill(page: str, world: World) -> str:
    return page.format(enterprise=world.enterprise_a.id, user=world.users["analyst"].id)


async def statuses_of(
    client: httpx.AsyncClient, world: World, pages: dict[str, tuple[frozenset[str], str]]
) -> dict[str, int]:
    """Open every page; check that a page shown is in Chinese with its title, and that a refusal says why."""
    found = {}
    for page, (_allowed, title) in pages.items():
        response = await client.get(fill(page, world))
        found[page] = response.status_code
        if response.status_code == 200:
            assert title in page_title(response.text), page
            html = parse(response.text).find("html")
            assert html is not None and html.attrs["lang"] == "zh-CN", page
        elif response.status_code == 403:
            assert FORBIDDEN_TEXT in parse(response.text).text, page
    return found


def expected_statuses(username: str, pages: dict[str, tuple[frozenset[str], str]]) -> dict[str, int]:
    return {page: 200 if username in allowed else 403 for page, (allowed, _title) in pages.items()}


def tile_figures(html: str) -> dict[str, int]:
    """The overview's figures by caption."""
    figures = {}
    for tile in parse(html).find_all(class_="tile"):
        caption, figure = tile.find(class_="caption"), tile.find(class_="figure")
        assert caption is not None and figure is not None
        figures[caption.text] = int(figure.text)
    return figures


def region_count(db: Session) -> int:
    reread(db)
    return db.scalar(select(func.count()).select_from(Region)) or 0


def user_count(db: Session) -> int:
    reread(db)
    return db.scalar(select(func.count()).select_from(User)) or 0


# --- who may open which page ------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", USERS)
async def test_pages_by_role(client: httpx.AsyncClient, app_db: Session, app_world: World, username: str) -> None:
    open_session(app_db, client, username)

    assert await statuses_of(client, app_world, PAGES) == expected_statuses(username, PAGES)


@pytest.mark.parametrize("username", USERS)
async def test_user_and_organisation_pages_by_role(
    client: httpx.AsyncClient, app_db: Session, app_world: World, username: str
) -> None:
    open_session(app_db, client, username)

    assert await statuses_of(client, app_world, USER_ADMIN_PAGES) == expected_statuses(username, USER_ADMIN_PAGES)


async def test_login_page_is_in_chinese_unless_english_is_chosen(client: httpx.AsyncClient) -> None:
    chinese = await client.get("/login")
    client.cookies.set(LANG_COOKIE, "en", domain=COOKIE_DOMAIN)
    english = await client.get("/login")

    assert chinese.status_code == 200
    assert "登录" in page_title(chinese.text)
    assert parse(chinese.text).find("html", lang="zh-CN") is not None
    assert "Sign in" in page_title(english.text)
    assert parse(english.text).find("html", lang="en") is not None


@pytest.mark.parametrize("page", [*PAGES, *USER_ADMIN_PAGES])
async def test_anonymous_page_visit_goes_to_the_login_form(
    client: httpx.AsyncClient, app_world: World, page: str
) -> None:
    target = fill(page, app_world)

    response = await client.get(target)

    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == "/login"
    assert parse_qs(location.query)["next"] == [target]


async def test_after_signing_in_the_user_lands_on_the_page_asked_for(
    client: httpx.AsyncClient, app_world: World
) -> None:
    target = "/admin/regions?parent=371802"
    login_url = (await client.get(target)).headers["location"]
    assert form_for((await client.get(login_url)).text, "/login").fields()["next"] == target

    response = await login(client, "admin", form_url=login_url)  # posts the form as the page filled it in

    assert response.status_code == 303
    assert response.headers["location"] == target
    assert (await client.get(target)).status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/me", "/api/v1/enterprises", "/api/v1/regions/371802", "/api/v1/audit"])
async def test_anonymous_api_request_gets_401_json(client: httpx.AsyncClient, app_world: World, path: str) -> None:
    response = await client.get(path)

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {"detail": "authentication required"}


# --- layout: menu, role, overview -------------------------------------------------------------------------------


@pytest.mark.parametrize("username", USERS)
async def test_menu_offers_what_the_role_may_do(
    client: httpx.AsyncClient, app_db: Session, app_world: World, username: str
) -> None:
    open_session(app_db, client, username)

    menu = menu_links((await client.get("/")).text)

    assert list(menu) == MENUS[username]
    assert ("用户管理" in menu.values()) == (username == "admin")
    assert (menu.get("/admin/users") == "用户管理") == (username == "admin")


@pytest.mark.parametrize(
    ("page", "current"),
    [("/cases", "/cases"), ("/cases/mine", "/cases/mine"), ("/cases/batches", "/cases/batches"), ("/", "/")],
)
async def test_the_menu_marks_the_closest_entry_as_current(
    client: httpx.AsyncClient, app_db: Session, app_world: World, page: str, current: str
) -> None:
    open_session(app_db, client, "analyst")

    html = (await client.get(page)).text

    nav = parse(html).find("nav", class_="menu")
    assert nav is not None
    assert [a.attrs["href"] for a in nav.find_all("a") if a.attrs.get("aria-current") == "page"] == [current]


@pytest.mark.parametrize("username", USERS)
async def test_every_menu_entry_opens(
    client: httpx.AsyncClient, app_db: Session, app_world: World, username: str
) -> None:
    open_session(app_db, client, username)
    menu = menu_links((await client.get("/")).text)

    assert {href: (await client.get(href)).status_code for href in menu} == dict.fromkeys(menu, 200)


@pytest.mark.parametrize("username", USERS)
async def test_header_names_the_user_and_their_role_in_chinese(
    client: httpx.AsyncClient, app_db: Session, app_world: World, username: str
) -> None:
    open_session(app_db, client, username)
    role = app_world.users[username].role

    header = parse((await client.get("/account")).text).find("div", class_="whoami")

    assert header is not None
    name, label = header.find("span", class_="name"), header.find("span", class_="role")
    assert name is not None and name.text == app_world.users[username].display_name
    with use_locale("zh_CN"):
        expected = gettext(role.label)
    assert label is not None and label.text == expected != role.label


@pytest.mark.parametrize(("username", "expected"), sorted(TILES.items()), ids=sorted(TILES))
async def test_overview_counts_the_users_area(
    client: httpx.AsyncClient, app_db: Session, app_world: World, username: str, expected: dict[str, int]
) -> None:
    open_session(app_db, client, username)

    figures = tile_figures((await client.get("/")).text)

    assert figures == expected


async def test_user_chooses_english(client: httpx.AsyncClient, app_db: Session, app_world: World) -> None:
    open_session(app_db, client, "analyst")
    csrf = await csrf_for(client)

    assert (await client.post("/account/language", data={"locale": "fr", "csrf_token": csrf})).status_code == 422
    response = await client.post("/account/language", data={"locale": "en", "csrf_token": csrf})

    assert response.status_code == 303
    page = await client.get("/account")
    assert parse(page.text).find("html", lang="en") is not None
    assert "My account" in page_title(page.text)
    reread(app_db)
    assert app_db.scalars(select(User.locale).where(User.username == "analyst")).one() == "en"


async def test_api_token_hint_shows_the_header_format_in_english(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "analyst")
    client.cookies.set(LANG_COOKIE, "en", domain=COOKIE_DOMAIN)

    hints = [p.text for p in parse((await client.get("/account")).text).find_all("p", class_="hint")]

    assert any("Authorization: Bearer <token>" in hint for hint in hints), hints


# --- administration forms ---------------------------------------------------------------------------------------


@pytest.fixture
async def admin_csrf(client: httpx.AsyncClient, app_db: Session, app_world: World) -> str:
    """Sign the client in as the administrator; the session's CSRF token."""
    open_session(app_db, client, "admin")
    return await csrf_for(client)


async def test_admin_creates_a_user_who_can_then_sign_in(
    client: httpx.AsyncClient, app_settings: Settings, app_world: World, admin_csrf: str
) -> None:
    form = form_for((await client.get("/admin/users/new")).text, "/admin/users").fields()
    form.update(NEW_USER, organisation_id=str(app_world.bureau.id))

    response = await client.post("/admin/users", data=form)

    assert response.status_code == 303
    assert response.headers["location"].startswith("/admin/users/")
    async with open_client(app_settings, ip="10.7.7.7") as newbie:
        assert (await login(newbie, "newbie", NEW_USER["password"])).status_code == 303
        me = (await newbie.get("/api/v1/me")).json()
    assert (me["role"], me["organisation_id"], me["display_name"]) == ("analyst", app_world.bureau.id, "新来的分析员")


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Short-1", "密码至少 10 个字符。"),
        ("only-letters-here", "密码须同时包含字母和数字。"),
        ("my-newbie-2027", "密码不得包含用户名。"),
    ],
    ids=["too-short", "no-digits", "contains-username"],
)
async def test_weak_password_is_refused_with_the_reason(
    client: httpx.AsyncClient, app_db: Session, app_world: World, admin_csrf: str, password: str, message: str
) -> None:
    before = user_count(app_db)
    form = {**NEW_USER, "password": password, "organisation_id": str(app_world.bureau.id), "csrf_token": admin_csrf}

    response = await client.post("/admin/users", data=form)

    assert response.status_code == 422
    alert = parse(response.text).find(role="alert")
    assert alert is not None and alert.text == message
    assert form_for(response.text, "/admin/users").fields()["username"] == "newbie", "the form keeps what was typed"
    assert user_count(app_db) == before


async def test_user_creation_is_audited_without_the_password_hash(
    client: httpx.AsyncClient, app_db: Session, app_world: World, admin_csrf: str
) -> None:
    form = {**NEW_USER, "organisation_id": str(app_world.bureau.id), "csrf_token": admin_csrf}
    response = await client.post("/admin/users", data=form)
    assert response.status_code == 303

    reread(app_db)
    created = app_db.scalars(select(User).where(User.username == "newbie")).one()
    records = app_db.scalars(
        select(AuditRecord).where(
            AuditRecord.entity_type == "users",
            AuditRecord.action == "create",
            AuditRecord.actor_label == "admin",
            AuditRecord.entity_id == str(created.id),
        )
    ).all()
    assert len(records) == 1
    record = records[0]
    assert record.ip == "10.1.2.3"
    assert record.before is None
    assert record.after is not None
    assert record.after["username"] == "newbie"
    assert record.after["password_hash"] == "***"
    everything = " ".join(f"{r.before} {r.after}" for r in app_db.scalars(select(AuditRecord)))
    assert created.password_hash not in everything
    assert NEW_USER["password"] not in everything


async def test_admin_retires_a_user_who_is_signed_out_then_reactivates_them(
    client: httpx.AsyncClient, app_db: Session, app_settings: Settings, app_world: World, admin_csrf: str
) -> None:
    analyst = app_world.users["analyst"]
    async with open_client(app_settings, ip="10.7.7.7") as other:
        open_session(app_db, other, "analyst")
        page = await client.get(f"/admin/users/{analyst.id}")
        form = form_for(page.text, f"/admin/users/{analyst.id}/retire").fields()

        response = await client.post(f"/admin/users/{analyst.id}/retire", data=form)

        assert response.status_code == 303
        assert (await other.get("/api/v1/me")).status_code == 401
        assert (await login(other, "analyst")).status_code == 401
        page = await client.get(f"/admin/users/{analyst.id}")
        assert "已停用" in parse(page.text).find("h1").text  # type: ignore[union-attr]
        history = parse(page.text).find("section", id="history")
        assert history is not None and "修改" in history.text, "the retirement is in the user's history"
        form = form_for(page.text, f"/admin/users/{analyst.id}/reactivate").fields()
        assert (await client.post(f"/admin/users/{analyst.id}/reactivate", data=form)).status_code == 303
        assert (await login(other, "analyst")).status_code == 303


async def test_admin_adds_a_town_under_a_county(
    client: httpx.AsyncClient, app_db: Session, app_world: World, admin_csrf: str
) -> None:
    page = await client.get("/admin/regions", params={"parent": "371802"})
    form = form_for(page.text, "/admin/regions").fields()
    form.update(code="371802002000", name="东湖街道")

    response = await client.post("/admin/regions", data=form)

    assert response.status_code == 303
    assert response.headers["location"] == "/admin/regions?parent=371802"
    listed = parse((await client.get(response.headers["location"])).text).find("table", class_="list")
    assert listed is not None
    assert {c.text for c in listed.find_all("code")} == {"371802001000", "371802002000"}
    town = (await client.get("/api/v1/regions/371802002000")).json()
    assert (town["name"], town["level"], town["path"]) == ("东湖街道", "town", "371800.371802.371802002000.")
    reread(app_db)
    record = app_db.scalars(
        select(AuditRecord).where(AuditRecord.entity_type == "regions", AuditRecord.actor_label == "admin")
    ).one()
    assert (record.action, record.after and record.after["code"]) == ("create", "371802002000")


@pytest.mark.parametrize(
    ("parent", "code"),
    [
        ("371802", "371821002000"),  # a town of the other county
        ("371802", "37180200200"),  # 11 digits
        ("371802", "371802000000"),  # town part 000
        ("371802", "371802002001"),  # a village code, not a town
        ("371802", "371802001000"),  # exists already
        ("371802", "3718020020x0"),  # not digits
        ("371802001001", "371802001002"),  # nothing sits below a village
    ],
)
async def test_region_code_that_does_not_fit_is_refused(
    client: httpx.AsyncClient, app_db: Session, app_world: World, admin_csrf: str, parent: str, code: str
) -> None:
    before = region_count(app_db)

    response = await client.post(
        "/admin/regions", data={"parent": parent, "code": code, "name": "错误街道", "csrf_token": admin_csrf}
    )

    assert response.status_code == 422
    alert = parse(response.text).find(role="alert")
    assert alert is not None and alert.text.startswith("区划代码不符合要求：")
    assert not re.search(r"[A-Za-z]{3,}", alert.text)  # the reason in Chinese too (issue 13 §11)
    assert region_count(app_db) == before


async def test_only_the_administrator_adds_regions(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "leader")
    csrf = await csrf_for(client)
    before = region_count(app_db)

    response = await client.post(
        "/admin/regions", data={"parent": "371802", "code": "371802002000", "name": "东湖街道", "csrf_token": csrf}
    )

    assert response.status_code == 403
    assert region_count(app_db) == before


# --- htmx, headers, health, schema ------------------------------------------------------------------------------


async def test_audit_log_serves_only_rows_to_htmx(client: httpx.AsyncClient, app_world: World, admin_csrf: str) -> None:
    full = parse((await client.get("/admin/audit")).text)
    partial = parse((await client.get("/admin/audit", headers={"HX-Request": "true"})).text)
    boosted = parse((await client.get("/admin/audit", headers={"HX-Request": "true", "HX-Boosted": "true"})).text)

    assert partial.find("html") is None
    assert partial.find("body") is None
    top_level = [c.tag for c in partial.children if not isinstance(c, str)]
    assert top_level and set(top_level) == {"tr"}
    body_rows = full.find("tbody", id="audit-rows")
    assert body_rows is not None
    assert len(body_rows.find_all("tr")) == len(top_level)
    assert boosted.find("html") is not None, "a boosted navigation gets the whole page"


async def test_audit_filter_narrows_the_rows(client: httpx.AsyncClient, app_world: World, admin_csrf: str) -> None:
    response = await client.get("/admin/audit", params={"entity_type": "regions"}, headers={"HX-Request": "true"})

    rows = [c for c in parse(response.text).children if not isinstance(c, str)]
    records = [row.find_all("td")[3].text for row in rows]
    assert len(records) == 7
    assert all(r.startswith("行政区域 #") for r in records)  # the table by its label, not its name


@pytest.mark.parametrize("path", ["/login", "/healthz", "/api/v1/me", "/api/v1/openapi.json", "/static/app.css", "/"])
async def test_every_response_carries_the_security_headers(client: httpx.AsyncClient, path: str) -> None:
    headers = (await client.get(path)).headers

    csp = {d.split()[0]: d.split()[1:] for d in headers["content-security-policy"].split(";") if d.strip()}
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"


async def test_health_check(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_openapi_lists_the_api_and_no_pages(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    paths = set(response.json()["paths"])
    assert "/api/v1/me" in paths
    assert {"/api/v1/enterprises", "/api/v1/regions", "/api/v1/audit"} <= paths
    assert [p for p in paths if not p.startswith("/api/v1/")] == []
