"""Who sees which briefs (registered with `ecoloop.access.scope`).

A brief about a region is seen by the users whose area contains it (the city's staff see the city's briefs and
every county's own assessment; a branch its county's). A brief about a region above the user's (the city's notice,
seen from a county) is seen too, unless the bureau keeps it internal: then a branch receives only its own
assessment. A department sees the city's briefs that are not internal. Templates and settings are the bureau's
(every reader of briefs sees which apply); an on-demand generation is seen by whoever asked for it.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, literal, or_, select, true

from ecoloop.access.principal import Principal
from ecoloop.access.scope import REGION_ROLES, register
from ecoloop.regions.models import Region
from ecoloop.reports.models import AirForecast, Report, ReportConfig, ReportRun, ReportTemplate


def _above(p: Principal) -> ColumnElement[bool]:
    # The region of the brief is the user's region or one above it (its path a prefix of the user's).
    above = select(Region.id).where(literal(p.region_path).startswith(Region.path))
    return and_(Report.region_id.in_(above), Report.internal.is_(False))


def _reports(p: Principal) -> ColumnElement[bool]:
    if p.role not in REGION_ROLES:
        return _above(p)
    within = select(Region.id).where(Region.path.startswith(p.region_path, autoescape=True))
    return or_(Report.region_id.in_(within), _above(p))


def _runs(p: Principal) -> ColumnElement[bool]:
    return ReportRun.requested_by_user_id == p.user_id


def _forecasts(p: Principal) -> ColumnElement[bool]:
    within = select(Region.id).where(Region.path.startswith(p.region_path, autoescape=True))
    above = select(Region.id).where(literal(p.region_path).startswith(Region.path))
    return or_(AirForecast.region_id.in_(within), AirForecast.region_id.in_(above))


def _everyone(p: Principal) -> ColumnElement[bool]:
    return true()


register(Report, _reports)
register(ReportRun, _runs)
register(ReportTemplate, _everyone)
register(ReportConfig, _everyone)
register(AirForecast, _forecasts)
