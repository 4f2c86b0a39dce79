"""The draws as published (一公开), without sign-in: `/public/draws` lists them, `/public/draws/{number}` shows one —
its unit, period and date, the seed's source and value and the seed, the algorithm with a link to how it works,
the pools' sizes and the enterprises drawn (name, unified social credit code, region) with the checking unit.

Nothing private: no officer's name or certificate, no phone or contact, no declared conflict, no avoidance detail
(who was kept away from whom). 国务院办公厅关于推广随机抽查规范事中事后监管的通知 (国办发[2015]58号) asks for the
draws' results to be published [unverified: the exact fields required]."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from ecoloop.draws import queries
from ecoloop.draws.enums import DrawStatus
from ecoloop.draws.models import Draw
from ecoloop.regions.models import Region
from ecoloop.web.deps import DbSession
from ecoloop.web.templating import render

router = APIRouter()


@router.get("/public/draws", include_in_schema=False)
def published(request: Request, db: DbSession) -> Response:
    """The draws announced and drawn, newest first."""
    draws = queries.published_draws(db)
    units = queries.organisation_names(db, [d.organisation_id for d in draws])
    return render(request, "draws/public_list.html", {"draws": draws, "units": units})


@router.get("/public/draw-algorithm", include_in_schema=False)
def algorithm_page(request: Request) -> Response:
    """How a draw is made and how anyone re-runs it."""
    return render(request, "draws/public_algorithm.html", {})


@router.get("/public/draws/{number}", include_in_schema=False)
def published_draw(request: Request, db: DbSession, number: str) -> Response:
    """One draw as published."""
    draw = queries.published_draw(db, number[:32])
    if draw is None:
        raise HTTPException(404)
    return render(request, "draws/public_draw.html", _public(db, draw))


def _public(db: Any, draw: Draw) -> dict[str, Any]:
    """What the page shows of a draw: only the published fields."""
    result = json.loads(draw.result) if draw.status is DrawStatus.DRAWN and draw.result else None
    entries = result["assignments"] if result else []
    units = queries.organisation_names(db, [draw.organisation_id, *(e["unit_id"] for e in entries)])
    region = db.get(Region, draw.region_id)
    rows = [
        {"name": e["name"], "credit_code": e["credit_code"], "region": e["region"],
         "unit": units.get(e["unit_id"], "") if e["unit_id"] else ""}
        for e in entries
    ]  # fmt: skip
    return {
        "draw": draw,
        "unit": units.get(draw.organisation_id, ""),
        "region": region.name if region else "",
        "pools": [{"name": s.name, "kind": s.kind, "size": s.size} for s in draw.snapshots],
        "on_site": [r for r, e in zip(rows, entries, strict=True) if e["on_site"]],
        "off_site": [r for r, e in zip(rows, entries, strict=True) if not e["on_site"]],
    }
