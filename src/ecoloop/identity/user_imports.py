"""The user registry sheet (用户): accounts with their name, role and organisation (or, for an enterprise's account,
its enterprise). No password is ever read from a file: each new account gets a one-time set-password link, handed
over once in the import's outcome. A registered account (by user name) has its name, role and organisation
updated; retired accounts are not brought back by an import, that is a decision taken on the user's page (issue 15)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action, require
from ecoloop.access.principal import Principal
from ecoloop.access.scope import scoped
from ecoloop.db.base import utcnow
from ecoloop.enterprises.models import Enterprise
from ecoloop.i18n import N_
from ecoloop.identity.enums import Role
from ecoloop.identity.models import Organisation, User
from ecoloop.identity.service import ERROR_TEXT, IdentityError, create_user, issue_password_link, update_user
from ecoloop.sheets import SheetLimits
from ecoloop.sheets.registry import Parsed, Registry, import_sheet, unique_rows
from ecoloop.sheets.table import Cells, Column, ImportReport, Layout, Words

ROLE_WORDS = Words.of(
    Role,
    {
        "管理员": Role.ADMIN,
        "局领导": Role.LEADER,
        "分析员": Role.ANALYST,
        "执法人员": Role.INSPECTOR,
        "分局": Role.BRANCH,
        "责任部门": Role.DEPARTMENT,
        "企业": Role.ENTERPRISE,
        "热线": Role.HOTLINE,
    },
    also={
        "系统管理员": Role.ADMIN,
        "领导": Role.LEADER,
        "分析": Role.ANALYST,
        "业务人员": Role.ANALYST,
        "执法": Role.INSPECTOR,
        "分局人员": Role.BRANCH,
        "部门": Role.DEPARTMENT,
        "部门人员": Role.DEPARTMENT,
        "企业用户": Role.ENTERPRISE,
        "热线接线员": Role.HOTLINE,
        "12369": Role.HOTLINE,
    },
)

LAYOUT = Layout(
    sheet="用户",
    columns=(
        Column(
            "username",
            "用户名",
            True,
            ("账号", "登录名"),
            N_("Letters, digits, '.', '_' or '-'; the sign-in name"),
            text=True,
        ),
        Column("display_name", "姓名", True, ("名称",)),
        Column("role", "角色", True),
        Column(
            "organisation",
            "所属机构编码",
            aliases=("机构编码",),
            note=N_("The code of a registered organisation (not for an enterprise's account)"),
            text=True,
        ),
        Column(
            "enterprise",
            "企业统一社会信用代码",
            aliases=("统一社会信用代码",),
            note=N_("For an enterprise's account only"),
            text=True,
        ),
    ),
    messages={
        "organisation_unknown": N_("No organisation with the code %(value)s in your area."),
        "enterprise_unknown": N_("No enterprise with the credit code %(value)s in your area."),
        "user_retired": N_("The account is retired; bring it back on its page first."),
        "password_in_file": N_("Passwords are never imported: each new user chooses one through a one-time link."),
        **ERROR_TEXT,
    },
    examples=(
        ("zhangwei", "张伟", "分局", "branch-371802", ""),
        ("lina", "李娜", "分析员", "bureau", ""),
    ),
)
# A password column is refused by name, so that nobody believes the passwords of a sheet were taken.
PASSWORD_HEADERS = frozenset({"密码", "初始密码", "password"})


@dataclass(frozen=True)
class UserRow:
    username: str
    display_name: str
    role: Role
    organisation_code: str | None
    credit_code: str | None


def _parse(cells: Cells) -> UserRow | None:
    username = cells.code(
        "username", 64, required=True, pattern=r"[0-9A-Za-z._\-]+", allowed=N_("letters, digits, '.', '_' and '-'")
    )
    name = cells.text("display_name", 100, required=True)
    role = cells.choice("role", ROLE_WORDS, required=True)
    organisation = cells.code("organisation", 64)
    credit = cells.code("enterprise", 18, pattern=r"[0-9A-Za-z]{18}")
    if not cells.ok or username is None or name is None or role is None:
        return None
    return UserRow(
        username.lower(), name.strip(), role, organisation and organisation.lower(), credit and credit.upper()
    )


def _write(session: Session, principal: Any, rows: Parsed[UserRow], report: ImportReport, lifetime: timedelta) -> None:
    require(principal, Action.MANAGE_USERS)
    assert isinstance(principal, Principal)
    if PASSWORD_HEADERS & {name.strip().lower() for name in report.ignored_columns}:
        report.problem(0, "", "password_in_file")
        return
    org_codes = {row.organisation_code for _n, row in rows if row.organisation_code}
    orgs = {
        o.code: o
        for o in session.scalars(
            scoped(select(Organisation).where(Organisation.code.in_(org_codes)), principal, Organisation)
        )
    }
    credits = {row.credit_code for _n, row in rows if row.credit_code}
    enterprises = {
        e.credit_code: e
        for e in session.scalars(
            scoped(select(Enterprise).where(Enterprise.credit_code.in_(credits)), principal, Enterprise)
        )
    }
    names = [row.username for _n, row in rows]
    existing = {u.username: u for u in session.scalars(select(User).where(User.username.in_(names)))}
    new_users: list[User] = []
    for number, row in unique_rows(report, rows, lambda row: row.username, "username"):
        org = orgs.get(row.organisation_code) if row.organisation_code else None
        if row.organisation_code and org is None:
            report.problem(number, "organisation", "organisation_unknown", row.organisation_code)
            continue
        enterprise = enterprises.get(row.credit_code) if row.credit_code else None
        if row.credit_code and enterprise is None:
            report.problem(number, "enterprise", "enterprise_unknown", row.credit_code)
            continue
        binding = (row.role, org.id if org else None, enterprise.id if enterprise else None)
        user = existing.get(row.username)
        try:
            if user is None:
                user = create_user(
                    session,
                    username=row.username,
                    display_name=row.display_name,
                    role=row.role,
                    organisation_id=binding[1],
                    enterprise_id=binding[2],
                )
                new_users.append(user)
                report.added += 1
            elif not user.active:
                report.problem(number, "username", "user_retired")
            elif (user.display_name, user.role, user.organisation_id, user.enterprise_id) == (
                row.display_name,
                *binding,
            ):
                report.unchanged += 1
            else:
                update_user(
                    session,
                    user,
                    display_name=row.display_name,
                    role=row.role,
                    organisation_id=binding[1],
                    enterprise_id=binding[2],
                    active=True,
                    now=utcnow(),
                )
                report.updated += 1
        except IdentityError as exc:
            column = "enterprise" if "enterprise" in exc.code else "organisation" if "organisation" in exc.code else ""
            report.problem(number, column or "role", exc.code)
    if not report.problems:
        for user in new_users:
            report.handover.append((user.username, issue_password_link(session, user, lifetime=lifetime)))


def registry(lifetime: timedelta) -> Registry[UserRow]:
    """The user sheet, new accounts' set-password links valid for `lifetime`."""

    def write(session: Session, principal: Any, rows: Parsed[UserRow], report: ImportReport) -> None:
        _write(session, principal, rows, report, lifetime)

    return Registry(LAYOUT, _parse, write)


def import_users(
    session: Session,
    principal: Principal,
    data: bytes,
    limits: SheetLimits | None = None,
    *,
    lifetime: timedelta = timedelta(hours=72),
) -> ImportReport:
    """Import a user sheet as `principal` (who needs `manage_users`): all rows or none. The report hands over each
    new user's one-time set-password token (the caller makes it an address and shows it once)."""
    require(principal, Action.MANAGE_USERS)
    return import_sheet(session, principal, registry(lifetime), data, limits)


def importer_for(lifetime: timedelta) -> Callable[[Session, Principal, bytes, SheetLimits | None], ImportReport]:
    """`import_users` with the deployment's link lifetime."""

    def run(session: Session, principal: Principal, data: bytes, limits: SheetLimits | None) -> ImportReport:
        return import_users(session, principal, data, limits, lifetime=lifetime)

    return run


def template() -> bytes:
    """The user sheet's template with example rows and its notes."""
    from ecoloop.sheets.table import template_workbook

    return template_workbook(LAYOUT, {"role": ROLE_WORDS.shown})
