"""What the after-action report reads of a warning's control list and electricity checks (issue 20 part 5): the
enterprises the list covered during the warning, whether their measures asked them to act, and the electricity
flags an analyst confirmed (核查属实). Registered with `after_action.register_inputs` by the composition
(`ecoloop.tables`), since the warnings may not import the list or the checks that read them."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.alerts.enums import Review
from ecoloop.alerts.models import Alert
from ecoloop.controls.queries import allowances, listed_enterprises
from ecoloop.electricity.models import ElectricityFlag
from ecoloop.enterprises.models import Enterprise
from ecoloop.episodes.models import PollutionWarning
from ecoloop.episodes.queries import level_periods
from ecoloop.i18n import gettext
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region
from ecoloop.reports.after_action import Flag, ListedEnterprise


def list_and_flags(session: Session, warning: PollutionWarning) -> tuple[list[ListedEnterprise], list[Flag]]:
    """The warning's listed enterprises (those the list gave an allowance during one of its levels; required to
    act when some allowance is below their normal load: 自主减排 and transport-only measures are not) and the flags
    of its electricity checks whose alert was confirmed."""
    start = min((c.effective_at for c in warning.changes), default=None)
    if start is None:
        return [], []
    end = warning.lifted_at or warning.planned_end or start + timedelta(days=30)
    periods = [p for p in level_periods(session, start, end + timedelta(seconds=1)) if p.warning_id == warning.id]
    allowed: dict[int, bool] = defaultdict(bool)
    for allowance in allowances(session, periods):
        allowed[allowance.enterprise_id] |= allowance.fraction < 1
    if not allowed:
        return [], []
    industries = {item.enterprise_id: item.industry for item in listed_enterprises(session, enterprise_ids=allowed)}
    county_rows = session.execute(select(Region.path, Region.name).where(Region.level == RegionLevel.COUNTY))
    counties: dict[str, str] = {path: name for path, name in county_rows}
    listed: list[ListedEnterprise] = []
    for enterprise_id, name, path in session.execute(
        select(Enterprise.id, Enterprise.name, Region.path)
        .join(Region, Region.id == Enterprise.region_id)
        .where(Enterprise.id.in_(list(allowed)))
        .order_by(Enterprise.id)
    ):
        county_path = ".".join(path.split(".")[:2]) + "."
        industry = industries.get(enterprise_id)
        listed.append(
            ListedEnterprise(
                enterprise_id=enterprise_id,
                name=name,
                county=counties.get(county_path, ""),
                industry=gettext(industry.label) if industry is not None else "",
                required=allowed[enterprise_id],
            )
        )
    flags = [
        Flag(enterprise_id=flag.enterprise_id, kind=gettext(flag.kind.label), first_at=flag.first_at)
        for flag in session.scalars(
            select(ElectricityFlag)
            .join(Alert, Alert.id == ElectricityFlag.alert_id)
            .where(ElectricityFlag.warning_id == warning.id, Alert.review == Review.CONFIRMED)
            .order_by(ElectricityFlag.first_at)
        )
    ]
    return listed, flags
