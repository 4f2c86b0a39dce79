"""The alerts in an enterprise's file: those about its sites (`ecoloop.app` registers `SECTIONS` with
`ecoloop.enterprises.sections`)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ecoloop.access.actions import Action, allowed
from ecoloop.access.principal import Principal
from ecoloop.alerts import queries
from ecoloop.alerts.config import shown_name
from ecoloop.alerts.queries import AlertFilter
from ecoloop.i18n import N_, gettext

ALERTS_SHOWN = 50


def alert_rows(db: Session, p: Principal, enterprise_id: int) -> list[tuple[str, str]]:
    """Links to the alerts about the enterprise's sites the user may see, newest first."""
    if not allowed(p, Action.VIEW_ALERTS):
        return []
    found = queries.search_alerts(db, p, AlertFilter(enterprise_id=enterprise_id), limit=ALERTS_SHOWN, offset=0)
    return [
        (
            f"/alerts/{r.alert.id}",
            f"{r.alert.number} · {r.place} · {shown_name(r.alert.rule.code, r.alert.rule.name)} · "
            f"{gettext(r.alert.status.label)}",
        )
        for r in found
    ]


# (key, title message, links of one enterprise) of the section.
SECTIONS = (("alerts", N_("Alerts"), alert_rows),)
