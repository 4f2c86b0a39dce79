"""What the draw pages show and read: a draw with its names resolved (units, officers, enterprises, the avoidance
applied), and the announce and pool forms read into the service's arguments."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.orm import Session

from ecoloop.db.base import parse_row_id
from ecoloop.draws import queries, service
from ecoloop.draws.algorithm import Rules
from ecoloop.draws.enums import Avoidance
from ecoloop.draws.models import Draw
from ecoloop.draws.service import DrawError
from ecoloop.regions.models import Region


@dataclass(frozen=True)
class Officer:
    """An officer sent to an enterprise, with their unit."""

    name: str
    unit: str


@dataclass(frozen=True)
class Row:
    """One drawn enterprise as the pages show it."""

    position: int
    name: str
    credit_code: str
    region: str
    pool: str
    weight: int
    on_site: bool
    unit: str
    officers: list[Officer]
    avoided: list[tuple[Avoidance, str]]  # (the rule, whom it kept away: an officer or a unit)
    rotation_waived: bool


@dataclass
class DrawView:
    """A draw with its names: the drawing unit and region, who did what, its rules, pools and result rows."""

    unit: str
    region: str
    people: dict[str, str]
    rules: Rules
    pools: list[dict[str, Any]] = field(default_factory=list)
    officers_in_pool: int = 0
    on_site: list[Row] = field(default_factory=list)
    off_site: list[Row] = field(default_factory=list)
    load_cap: int = 0


def draw_rows(session: Session, draws: Sequence[Draw]) -> list[tuple[Draw, str, str]]:
    """The draws of a list with their unit's and region's names."""
    units = queries.organisation_names(session, [d.organisation_id for d in draws])
    regions = {r.id: r.name for r in (session.get(Region, i) for i in {d.region_id for d in draws}) if r}
    return [(d, units.get(d.organisation_id, ""), regions.get(d.region_id, "")) for d in draws]


def draw_view(session: Session, draw: Draw) -> DrawView:
    """The draw with every name resolved (officers' names only here: the public page shows units, never people)."""
    people_ids = [draw.announced_by_id, draw.value_entered_by_id, draw.drawn_by_id]
    result = json.loads(draw.result) if draw.result else None
    officer_ids = {o["user_id"] for a in (result or {}).get("assignments", []) for o in a["officers"]}
    avoided_ids = {x["user_id"] for a in (result or {}).get("assignments", []) for x in a["avoided"] if "user_id" in x}
    names = queries.names(session, [i for i in people_ids if i] + sorted(officer_ids | avoided_ids))
    unit_ids = (
        {draw.organisation_id}
        | {
            u
            for a in (result or {}).get("assignments", [])
            for u in [a["unit_id"], *(x.get("unit_id") for x in a["avoided"])]
        }
        | {o["unit_id"] for a in (result or {}).get("assignments", []) for o in a["officers"]}
    )
    units = queries.organisation_names(session, unit_ids)
    region = session.get(Region, draw.region_id)
    view = DrawView(
        unit=units.get(draw.organisation_id, ""),
        region=region.name if region else "",
        people={
            "announced": names.get(draw.announced_by_id, ""),
            "entered": names.get(draw.value_entered_by_id or 0, ""),
            "drawn": names.get(draw.drawn_by_id or 0, ""),
        },
        rules=Rules.from_json(json.loads(draw.rules)),
    )
    if result is None:
        return view
    view.pools = result["pools"]
    view.officers_in_pool = result["officers"]
    view.load_cap = result["load_cap"]
    pool_names = {p["position"]: p["name"] for p in result["pools"]}
    for a in result["assignments"]:
        row = Row(
            position=a["position"],
            name=a["name"],
            credit_code=a["credit_code"],
            region=a["region"],
            pool=pool_names.get(a["pool"], ""),
            weight=a["weight"],
            on_site=a["on_site"],
            unit=units.get(a["unit_id"], "") if a["unit_id"] else "",
            officers=[Officer(names.get(o["user_id"], ""), units.get(o["unit_id"], "")) for o in a["officers"]],
            avoided=[
                (
                    Avoidance(x["rule"]),
                    names.get(x["user_id"], "") if "user_id" in x else units.get(x.get("unit_id"), ""),
                )
                for x in a["avoided"]
            ],
            rotation_waived=a["rotation_waived"],
        )
        (view.on_site if row.on_site else view.off_site).append(row)
    return view


# --- forms ------------------------------------------------------------------------------------------------------


class FormData:
    """A form's text fields as posted (repeated keys kept: the ticked pools, lists and units)."""

    def __init__(self, items: Sequence[tuple[str, str]]) -> None:
        self.items = list(items)

    def get(self, name: str, default: str = "") -> str:
        """The first value of `name`, or `default`."""
        return next((value for key, value in self.items if key == name), default)

    def getlist(self, name: str) -> list[str]:
        """Every value of `name`, in order."""
        return [value for key, value in self.items if key == name]


def row_id(text: str) -> int:
    """A row id written in a form field, or `number_invalid`."""
    found = parse_row_id(text)
    if found is None:
        raise DrawError("number_invalid")
    return found


def _text(form: FormData, name: str, limit: int) -> str:
    return form.get(name)[:limit]


def _day(form: FormData, name: str) -> date:
    try:
        return date.fromisoformat(_text(form, name, 10).strip())
    except ValueError:
        raise DrawError("date_invalid") from None


def _whole(form: FormData, name: str, default: int | None = None) -> int | None:
    text = _text(form, name, 8).strip()
    if not text:
        return default
    if not text.isascii() or not text.isdigit():
        raise DrawError("number_invalid")
    return int(text)


def _count(form: FormData, name: str, default: int) -> int:
    """A whole number of a rule, `default` when left blank."""
    found = _whole(form, name)
    return default if found is None else found


def _ratio(form: FormData, name: str) -> Decimal | None:
    text = _text(form, name, 8).strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise DrawError("number_invalid") from None
    if not value.is_finite():
        raise DrawError("number_invalid")
    return value


def announcement_of(form: FormData) -> service.Announcement:
    """The announce form as the service's announcement (a ratio or count given applies to every chosen pool)."""
    enterprise_pools = [row_id(str(v)) for v in form.getlist("enterprise_pool_ids")]
    ratio, count = _ratio(form, "ratio_percent"), _whole(form, "count")
    takes = {p: (ratio, count) for p in enterprise_pools} if ratio is not None or count is not None else None
    return service.Announcement(
        title=_text(form, "title", 200),
        region_id=row_id(_text(form, "region_id", 12)),
        period_label=_text(form, "period_label", 100),
        period_start=_day(form, "period_start"),
        period_end=_day(form, "period_end"),
        draw_on=_day(form, "draw_on"),
        seed_source=_text(form, "seed_source", 300),
        seed_date=_day(form, "seed_date"),
        enterprise_pool_ids=enterprise_pools,
        officer_pool_ids=[row_id(str(v)) for v in form.getlist("officer_pool_ids")],
        takes=takes,
        team=_count(form, "team", 2),
        avoid_conflicts=form.get("avoid_conflicts") == "on",
        avoid_last_inspectors=form.get("avoid_last_inspectors") == "on",
        rotation_months=_count(form, "rotation_months", 12),
        load_slack=_count(form, "load_slack", 1),
    )


def enterprise_pool_of(form: FormData) -> service.EnterprisePoolForm:
    """The enterprise pool form as the service's settings; the weight is given to the chosen key lists."""
    lists = [str(v)[:64] for v in form.getlist("list_codes")]
    weight = _count(form, "key_weight", 1)
    weighted = [str(v)[:64] for v in form.getlist("weighted_lists")]
    inspected_before = _text(form, "inspected_before", 10).strip()
    return service.EnterprisePoolForm(
        name=_text(form, "name", 200),
        region_id=row_id(_text(form, "region_id", 12)),
        list_codes=lists,
        industry_prefix=_text(form, "industry_prefix", 8),
        grades=[str(v)[:8] for v in form.getlist("grades")],
        not_inspected_months=_whole(form, "not_inspected_months"),
        inspected_before=_day(form, "inspected_before") if inspected_before else None,
        ratio_percent=_ratio(form, "ratio_percent"),
        count=_whole(form, "count"),
        weights=dict.fromkeys(weighted, weight),
    )
