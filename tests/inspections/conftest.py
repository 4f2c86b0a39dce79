"""Helpers of the inspection tests: who acts, an inspection planned and a record to submit, a photo."""

from __future__ import annotations

import io
import secrets
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from PIL import Image
from sqlalchemy.orm import Session

from ecoloop.cases.service import Acting
from ecoloop.db.base import utcnow
from ecoloop.inspections import service
from ecoloop.inspections.enums import Answer, Conclusion
from ecoloop.inspections.models import Inspection
from ecoloop.inspections.rules import Record, Response
from tests.factories import World

FINDING = "危废贮存间未设置防渗漏措施"

LOCAL = ZoneInfo("Asia/Shanghai")  # the settings' default time zone, which the pages count days in


def acting(db: Session, world: World, who: str) -> Acting:
    """The user called `who` acting."""
    return Acting(world.users[who], world.principal(db, who))


def key() -> str:
    """A client-generated submission key."""
    return secrets.token_hex(16)


def plan(db: Session, world: World, *, on_site: bool = False, officers: tuple[str, ...] = ("branch_a", "inspector"),
         enterprise: Any = None, **extra: Any) -> Inspection:  # fmt: skip
    """An inspection of enterprise A (county A) by the branch of county A and the bureau's inspector, planned for
    tomorrow (the bureau's local day, as the pages count days) by the analyst; off site unless `on_site` (no photo
    needed)."""
    return service.create_inspection(
        db, acting(db, world, "analyst"), enterprise_id=(enterprise or world.enterprise_a).id,
        officer_ids=[world.users[o].id for o in officers],
        planned_on=utcnow().astimezone(LOCAL).date() + timedelta(days=1),
        now=utcnow(), on_site=on_site, **extra,
    )  # fmt: skip


def full_record(inspection: Inspection, *, violation: bool = False, findings: str = "") -> Record:
    """Every item answered compliant (the second not compliant with a note when `violation`)."""
    keys = [item["key"] for item in inspection.checklist_version.items]
    answers = {k: Response(Answer.COMPLIANT) for k in keys}
    if violation:
        answers[keys[1]] = Response(Answer.NONCOMPLIANT, FINDING)
    conclusion = Conclusion.VIOLATION if violation else Conclusion.NO_PROBLEM
    return Record(answers, findings, conclusion)


def photo_bytes(fmt: str = "JPEG", exif: bool = False) -> bytes:
    """A small photo; with `exif`, carrying a camera owner and GPS block in its EXIF."""
    out = io.BytesIO()
    image = Image.new("RGB", (32, 24), (120, 140, 90))
    if exif:
        data = Image.Exif()
        data[0x013B] = "柯文远"  # Artist
        data[0x8825] = {1: "N", 2: (36.0, 41.0, 46.0)}  # GPSInfo
        image.save(out, format=fmt, exif=data)
    else:
        image.save(out, format=fmt)
    return out.getvalue()
