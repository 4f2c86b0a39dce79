"""The navigation menu, by what each role may do."""

from __future__ import annotations

from dataclasses import dataclass

from ecoloop.access.actions import Action, allowed
from ecoloop.access.principal import Principal
from ecoloop.i18n import N_


@dataclass(frozen=True)
class NavItem:
    """One menu entry, shown when the user may take `action` (always when None); `badge` is the address of an
    htmx fragment with a count shown beside the label (the unread notifications beside 预警)."""

    label: str
    url: str
    action: Action | None = None
    badge: str = ""


MENU = (
    NavItem(N_("Overview"), "/"),
    # What the data says (issue 16), together after the start page.
    NavItem(N_("Overview screen"), "/screen", Action.VIEW_QUALITY),
    NavItem(N_("Air quality"), "/air", Action.VIEW_QUALITY),
    NavItem(N_("Water quality"), "/water", Action.VIEW_QUALITY),
    NavItem(N_("Acoustic environment"), "/noise", Action.VIEW_QUALITY),
    NavItem(N_("Source compliance"), "/sources", Action.VIEW_QUALITY),
    NavItem(N_("Rankings"), "/rankings", Action.VIEW_QUALITY),
    # The bureau's rhythm on paper (issue 17): daily analysis, weekly notice, monthly assessment, annual figures.
    NavItem(N_("Briefs"), "/reports", Action.VIEW_REPORTS),
    NavItem(N_("Alerts"), "/alerts", Action.VIEW_ALERTS, badge="/alerts/notifications/unread"),
    NavItem(N_("Complaints"), "/complaints", Action.VIEW_COMPLAINTS),
    NavItem(N_("Push tasks"), "/push-tasks", Action.HANDLE_PUSH_TASKS),
    # Air control operations (issue 20): heavy-pollution warnings, hotspot orders (高值热点消除指令), the emergency
    # control list by performance grade (应急减排清单) and the electricity checks during warnings (用电监控).
    NavItem(N_("Heavy-pollution warnings"), "/warnings", Action.VIEW_WARNINGS),
    NavItem(N_("Hotspot orders"), "/hotspots", Action.VIEW_HOTSPOT_ORDERS),
    NavItem(N_("Emergency control list"), "/controls", Action.VIEW_CONTROL_LISTS),
    NavItem(N_("Electricity monitoring"), "/electricity", Action.VIEW_ELECTRICITY),
    NavItem(N_("Cases"), "/cases", Action.VIEW_CASES),
    NavItem(N_("My tasks"), "/cases/mine", Action.VIEW_CASES),
    # Batches are the bureau's and the branches' bookkeeping, like ledgers (`access.scope` hides them from others).
    NavItem(N_("Inspection batches"), "/cases/batches", Action.VIEW_LEDGERS),
    NavItem(N_("Ledgers"), "/cases/ledger", Action.VIEW_LEDGERS),
    # Enforcement (issue 19): the random checks (双随机: draws, their officers and pools), the inspections, the
    # officer's phone page, the special campaigns, the penalty cases and the review of their files (every role that
    # reviews case files also views penalties, so one action opens the review to the reviewers and to the handling
    # units' returned files).
    NavItem(N_("Random checks"), "/draws", Action.VIEW_INSPECTIONS),
    NavItem(N_("Inspections"), "/inspections", Action.VIEW_INSPECTIONS),
    NavItem(N_("My inspection tasks"), "/inspections/mine", Action.INSPECT),
    NavItem(N_("Special campaigns"), "/inspections/campaigns", Action.VIEW_INSPECTIONS),
    NavItem(N_("Administrative penalties"), "/penalties", Action.VIEW_PENALTIES),
    NavItem(N_("Case-file review"), "/case-reviews", Action.VIEW_PENALTIES),
    NavItem(N_("Enterprises"), "/enterprises", Action.VIEW_ENTERPRISES),
    NavItem(N_("Monitoring"), "/monitoring/sites", Action.VIEW_MONITORING),
    NavItem(N_("Upload data"), "/monitoring/upload", Action.SUBMIT_OBSERVATIONS),
    NavItem(N_("Manage users"), "/admin/users", Action.MANAGE_USERS),
    NavItem(N_("Manage organisations"), "/admin/organisations", Action.MANAGE_ORGANISATIONS),
    NavItem(N_("Regions"), "/admin/regions", Action.MANAGE_REGIONS),
    NavItem(N_("Working-day calendar"), "/admin/calendar", Action.MANAGE_CALENDAR),
    NavItem(N_("Partner platforms"), "/admin/partners", Action.MANAGE_PARTNERS),
    NavItem(N_("Audit log"), "/admin/audit", Action.VIEW_AUDIT),
    NavItem(N_("My account"), "/account"),
)


def menu_for(principal: Principal) -> list[NavItem]:
    """The menu entries the principal may use."""
    return [item for item in MENU if item.action is None or allowed(principal, item.action)]
