"""Which actions each role may take (pure)."""

from __future__ import annotations

from enum import StrEnum

from ecoloop.access.principal import Principal
from ecoloop.access.roles import Role


class Action(StrEnum):
    """Something a user may be allowed to do, independent of which rows it touches."""

    MANAGE_USERS = "manage_users"
    MANAGE_ORGANISATIONS = "manage_organisations"
    MANAGE_REGIONS = "manage_regions"
    VIEW_AUDIT = "view_audit"
    VIEW_REGIONS = "view_regions"
    VIEW_ORGANISATIONS = "view_organisations"
    VIEW_ENTERPRISES = "view_enterprises"
    VIEW_MONITORING = "view_monitoring"
    MANAGE_MONITORING = "manage_monitoring"
    VIEW_COMPLAINANT_IDENTITY = "view_complainant_identity"
    USE_API_TOKENS = "use_api_tokens"
    SUBMIT_OBSERVATIONS = "submit_observations"
    MANAGE_ENTERPRISES = "manage_enterprises"
    MANAGE_LISTS = "manage_lists"
    REQUEST_CORRECTIONS = "request_corrections"
    REVIEW_CORRECTIONS = "review_corrections"
    VIEW_CASES = "view_cases"
    REGISTER_CASES = "register_cases"
    SUPERVISE_CASES = "supervise_cases"
    IMPORT_BATCHES = "import_batches"
    VIEW_LEDGERS = "view_ledgers"
    ISSUE_SUPERVISION = "issue_supervision"
    VIEW_ALERTS = "view_alerts"
    REVIEW_ALERTS = "review_alerts"
    MANAGE_ALERT_RULES = "manage_alert_rules"
    MANAGE_WEBHOOKS = "manage_webhooks"
    VIEW_QUALITY = "view_quality"
    MANAGE_TARGETS = "manage_targets"
    VIEW_REPORTS = "view_reports"
    GENERATE_REPORTS = "generate_reports"
    MANAGE_REPORTS = "manage_reports"
    MANAGE_CALENDAR = "manage_calendar"
    VIEW_COMPLAINTS = "view_complaints"
    HANDLE_COMPLAINTS = "handle_complaints"
    APPROVE_REWARDS = "approve_rewards"
    TAKE_CASES = "take_cases"
    MANAGE_COMPLAINT_RULES = "manage_complaint_rules"
    MANAGE_PARTNERS = "manage_partners"
    HANDLE_PUSH_TASKS = "handle_push_tasks"
    VIEW_INSPECTIONS = "view_inspections"
    MANAGE_DRAWS = "manage_draws"
    INSPECT = "inspect"
    MANAGE_CHECKLISTS = "manage_checklists"
    VIEW_PENALTIES = "view_penalties"
    HANDLE_PENALTIES = "handle_penalties"
    APPROVE_PENALTIES = "approve_penalties"
    MANAGE_PENALTY_RULES = "manage_penalty_rules"
    REVIEW_CASE_FILES = "review_case_files"
    VIEW_WARNINGS = "view_warnings"
    MANAGE_WARNINGS = "manage_warnings"
    APPROVE_WARNINGS = "approve_warnings"
    VIEW_CONTROL_LISTS = "view_control_lists"
    MANAGE_CONTROL_LISTS = "manage_control_lists"
    VIEW_HOTSPOT_ORDERS = "view_hotspot_orders"
    DISPATCH_HOTSPOT_ORDERS = "dispatch_hotspot_orders"
    ANSWER_HOTSPOT_ORDERS = "answer_hotspot_orders"
    VIEW_ELECTRICITY = "view_electricity"
    MANAGE_ELECTRICITY = "manage_electricity"


_BUREAU_READ = frozenset(
    {
        Action.VIEW_REGIONS,
        Action.VIEW_ORGANISATIONS,
        Action.VIEW_ENTERPRISES,
        Action.VIEW_MONITORING,
        Action.VIEW_ALERTS,
        Action.USE_API_TOKENS,
        Action.VIEW_QUALITY,
    }
)

# Following, registering cases and reading ledgers: the bureau's staff and the branches.
_CASE_WORK = frozenset({Action.VIEW_CASES, Action.REGISTER_CASES, Action.VIEW_LEDGERS})
# The supervisor's steps on the cases of their area (交办, 复核 pass or fail, merge, reopen, extend, milestones):
# the bureau's administrator, leaders and analysts, and a branch for its county; not inspectors or the hotline,
# who find and register problems (issue 13).
_SUPERVISION = frozenset({Action.SUPERVISE_CASES})
# The briefs (issue 17): read by the bureau's staff, the branches and the departments; generated again on demand,
# and their templates, settings and forecasts kept, by the administrator and the analysts.
_BRIEF_WORK = frozenset({Action.VIEW_REPORTS, Action.GENERATE_REPORTS, Action.MANAGE_REPORTS})
# Complaints (issue 18): the hotline registers and answers them, the bureau's analysts and a branch (for its county)
# accept, route and answer them too; leaders follow them, approve rewards and take cases in person (领导包案).
_COMPLAINT_WORK = frozenset({Action.VIEW_COMPLAINTS, Action.HANDLE_COMPLAINTS})
# Enforcement (issue 19): the bureau's staff, the officers and the branches follow the random checks (双随机) and the
# penalty cases of their area; the analysts and a branch (for its county) keep the pools and make the draws; the
# officers and the branch's staff inspect on site and handle penalty cases; leaders approve (立案, 延期, 决定); the
# analysts keep the checklists, the discretion table and the documents' templates, and review case files (案卷评审)
# with the leaders.
_ENFORCEMENT_READ = frozenset({Action.VIEW_INSPECTIONS, Action.VIEW_PENALTIES})
# Air control operations (issue 20): the bureau's staff and the branches follow the heavy-pollution warnings, the
# emergency control list (应急减排清单), the hotspot orders (高值热点消除指令) and the electricity checks of their area;
# the analysts prepare warnings and the leaders approve them (审签); the analysts and a branch (for its county) keep
# the control list; the analysts dispatch hotspot orders, which the branches, departments and officers answer and
# check on site; the analysts keep the electricity meters and feeds. An enterprise reads the warnings, its own
# measures and its own electricity checks; a department the warnings and the orders sent to it; the hotline the
# warnings it is asked about.
_AIR_CONTROL_READ = frozenset(
    {Action.VIEW_WARNINGS, Action.VIEW_CONTROL_LISTS, Action.VIEW_HOTSPOT_ORDERS, Action.VIEW_ELECTRICITY}
)

ALLOWED: dict[Role, frozenset[Action]] = {
    Role.ADMIN: _BUREAU_READ
    | {
        Action.MANAGE_USERS,
        Action.MANAGE_ORGANISATIONS,
        Action.MANAGE_REGIONS,
        Action.MANAGE_MONITORING,
        Action.VIEW_AUDIT,
        Action.SUBMIT_OBSERVATIONS,
        Action.MANAGE_ENTERPRISES,
        Action.MANAGE_LISTS,
        Action.REVIEW_CORRECTIONS,
        Action.MANAGE_TARGETS,
    }
    | _CASE_WORK
    | _SUPERVISION
    | {Action.IMPORT_BATCHES, Action.ISSUE_SUPERVISION, Action.REVIEW_ALERTS, Action.MANAGE_ALERT_RULES}
    | {Action.MANAGE_WEBHOOKS}
    | _BRIEF_WORK
    | {Action.MANAGE_CALENDAR, Action.MANAGE_COMPLAINT_RULES}
    | _COMPLAINT_WORK
    | {Action.MANAGE_PARTNERS, Action.HANDLE_PUSH_TASKS}
    | _ENFORCEMENT_READ
    | {Action.MANAGE_DRAWS, Action.MANAGE_CHECKLISTS, Action.MANAGE_PENALTY_RULES}
    | _AIR_CONTROL_READ
    | {Action.MANAGE_WARNINGS, Action.MANAGE_CONTROL_LISTS, Action.DISPATCH_HOTSPOT_ORDERS}
    | {Action.MANAGE_ELECTRICITY},
    # Leaders follow cases, issue 督办 and hold 约谈.
    Role.LEADER: _BUREAU_READ
    | {Action.VIEW_AUDIT, Action.VIEW_REPORTS}
    | _CASE_WORK
    | _SUPERVISION
    | {Action.ISSUE_SUPERVISION, Action.VIEW_COMPLAINTS, Action.APPROVE_REWARDS, Action.TAKE_CASES}
    | _ENFORCEMENT_READ
    | {Action.APPROVE_PENALTIES, Action.REVIEW_CASE_FILES}
    | _AIR_CONTROL_READ
    | {Action.APPROVE_WARNINGS},
    # Analysts keep the enterprise files (records, permits, list memberships, grades) and review corrections;
    # defining new lists is an administrator's decision. They keep the alert rules and check alerts (核查).
    Role.ANALYST: _BUREAU_READ
    | {Action.SUBMIT_OBSERVATIONS, Action.MANAGE_ENTERPRISES, Action.REVIEW_CORRECTIONS, Action.MANAGE_TARGETS}
    | _CASE_WORK
    | _SUPERVISION
    | {Action.IMPORT_BATCHES, Action.REVIEW_ALERTS, Action.MANAGE_ALERT_RULES}
    | _BRIEF_WORK
    | _COMPLAINT_WORK
    | {Action.MANAGE_COMPLAINT_RULES, Action.HANDLE_PUSH_TASKS}
    | _ENFORCEMENT_READ
    | {Action.MANAGE_DRAWS, Action.MANAGE_CHECKLISTS, Action.HANDLE_PENALTIES, Action.MANAGE_PENALTY_RULES}
    | {Action.REVIEW_CASE_FILES}
    | _AIR_CONTROL_READ
    | {Action.MANAGE_WARNINGS, Action.MANAGE_CONTROL_LISTS, Action.DISPATCH_HOTSPOT_ORDERS}
    | {Action.MANAGE_ELECTRICITY},
    # Inspectors find problems on site and register them; they follow cases but take no supervisor step.
    Role.INSPECTOR: _BUREAU_READ
    | _CASE_WORK
    | {Action.VIEW_REPORTS}
    | _ENFORCEMENT_READ
    | {Action.INSPECT, Action.HANDLE_PENALTIES}
    | _AIR_CONTROL_READ
    | {Action.ANSWER_HOTSPOT_ORDERS},
    # A branch keeps the files of the enterprises in its county and the register of its county's monitoring sites
    # and data loggers, supervises its county's cases and checks its county's alerts (row scoping limits it to them).
    Role.BRANCH: _BUREAU_READ
    | {Action.MANAGE_ENTERPRISES, Action.MANAGE_MONITORING, Action.MANAGE_REGIONS, Action.REVIEW_CORRECTIONS}
    | _CASE_WORK
    | _SUPERVISION
    | {Action.IMPORT_BATCHES, Action.REVIEW_ALERTS, Action.VIEW_REPORTS}
    | _COMPLAINT_WORK
    | {Action.HANDLE_PUSH_TASKS}
    | _ENFORCEMENT_READ
    | {Action.MANAGE_DRAWS, Action.INSPECT, Action.HANDLE_PENALTIES}
    | _AIR_CONTROL_READ
    | {Action.MANAGE_CONTROL_LISTS, Action.ANSWER_HOTSPOT_ORDERS},
    # A department sees and works the cases assigned to it (no scope rule for sites), and their alerts; it follows
    # the air and water quality and the rankings its work is judged by.
    Role.DEPARTMENT: frozenset(
        {
            Action.VIEW_REGIONS,
            Action.VIEW_ORGANISATIONS,
            Action.USE_API_TOKENS,
            Action.VIEW_CASES,
            Action.VIEW_ALERTS,
            Action.VIEW_QUALITY,
            Action.VIEW_REPORTS,
            Action.VIEW_COMPLAINTS,
            Action.HANDLE_PUSH_TASKS,
            Action.VIEW_WARNINGS,
            Action.VIEW_HOTSPOT_ORDERS,
            Action.ANSWER_HOTSPOT_ORDERS,
        }
    ),
    # An enterprise views and uploads its own self-monitoring data (scoping limits it to its own sites).
    Role.ENTERPRISE: frozenset(
        {
            Action.VIEW_ENTERPRISES,
            Action.VIEW_MONITORING,
            Action.USE_API_TOKENS,
            Action.SUBMIT_OBSERVATIONS,
            Action.REQUEST_CORRECTIONS,
            Action.VIEW_CASES,
            Action.VIEW_ALERTS,
            Action.VIEW_WARNINGS,
            Action.VIEW_CONTROL_LISTS,
            Action.VIEW_ELECTRICITY,
        }
    ),
    # The hotline takes complaints and registers them as cases, and follows them; it alone may see who complained
    # (DEVELOPERS.md, non-negotiables). It takes no supervisor step (issue 13).
    Role.HOTLINE: frozenset(
        {
            Action.VIEW_REGIONS,
            Action.VIEW_COMPLAINANT_IDENTITY,
            Action.VIEW_CASES,
            Action.REGISTER_CASES,
            Action.VIEW_QUALITY,
            Action.VIEW_WARNINGS,
        }
    )
    | _COMPLAINT_WORK,
}


class ForbiddenError(PermissionError):
    """The user's role may not take this action."""


def allowed(principal: Principal, action: Action) -> bool:
    """Whether the principal's role may take `action`."""
    return action in ALLOWED[principal.role]


def require(principal: Principal, action: Action) -> None:
    """Raise `ForbiddenError` unless the principal may take `action`."""
    if not allowed(principal, action):
        raise ForbiddenError(f"role {principal.role} may not {action}")
