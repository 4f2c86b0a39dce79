"""The control list's forms read into the service's arguments; what cannot be read is refused as a ControlError
(the pages say why in words)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.access.principal import Principal
from ecoloop.access.scope import scoped
from ecoloop.controls import service
from ecoloop.controls.enums import GuideIndustry, Livelihood, MeasureKind, Pollutant, TruckRule
from ecoloop.controls.rules import Measure, MeasureKey, Window
from ecoloop.controls.service import ControlError
from ecoloop.enterprises.enums import PerformanceGrade
from ecoloop.enterprises.models import Enterprise
from ecoloop.episodes.enums import WarningLevel
from ecoloop.web.forms import FieldError, parse_day

Fields = Sequence[tuple[str, str]]


def _choice(enum: Any, text: str) -> Any:
    try:
        return enum(text.strip())
    except ValueError:
        raise ControlError("not_found") from None


def _day(text: str, default: date) -> date:
    try:
        return parse_day(text) or default
    except FieldError:
        raise ControlError("date_invalid") from None


def _whole(text: str, code: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 6:
        raise ControlError(code)
    return int(text)


def _kg(text: str) -> Decimal | None:
    text = text.strip().replace(",", "")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ControlError("emission_invalid") from None
    if not value.is_finite() or len(text) > 20:
        raise ControlError("emission_invalid")
    return value


def enterprise_of(session: Session, principal: Principal, text: str) -> int:
    """The enterprise of the user's area whose unified social credit code (or name) is `text`."""
    text = text.strip()
    stmt = scoped(select(Enterprise.id), principal, Enterprise)
    found = session.scalars(stmt.where(Enterprise.credit_code == text.upper())).first()
    if found is None and text:
        found = session.scalars(stmt.where(Enterprise.name == text)).first()
    if found is None:
        raise ControlError("not_found")
    return found


def entry_fields(form: Mapping[str, str]) -> dict[str, Any]:
    """An entry's fields."""
    return {
        "industry": _choice(GuideIndustry, form.get("industry", "")),
        "livelihood": _choice(Livelihood, form.get("livelihood", Livelihood.NONE.value) or Livelihood.NONE.value),
        "transport": form.get("transport", ""),
        "heavy_trucks": _whole(form.get("heavy_trucks", ""), "text_too_long"),
        "note": form.get("note", ""),
    }


def since(form: Mapping[str, str], today: date) -> dict[str, Any]:
    """The day an enterprise goes on the list (today when not given), and the document that puts it there."""
    return {"since": _day(form.get("since", ""), today), "document": form.get("document", "")}


def measure(form: Mapping[str, str]) -> Measure:
    """A measure from its kind, percent, processes and transport rule."""
    processes = tuple(p.strip() for p in form.get("processes", "").replace(",", "、").split("、") if p.strip())
    percent = _whole(form.get("percent", ""), "percent_invalid") or 0
    kind = _choice(MeasureKind, form.get("kind", ""))
    trucks = _choice(TruckRule, form.get("trucks", TruckRule.ANY.value) or TruckRule.ANY.value)
    return service.checked_measure(Measure(kind, percent, processes, trucks))


def template_key(form: Mapping[str, str]) -> MeasureKey:
    """The industry, grade (empty: without a grade) and level of a template form."""
    grade = form.get("grade", "").strip()
    return (
        _choice(GuideIndustry, form.get("industry", "")),
        _choice(PerformanceGrade, grade) if grade else None,
        _choice(WarningLevel, form.get("level", "")),
    )


def baseline(form: Mapping[str, str]) -> tuple[int, dict[Pollutant, Decimal | None], int | None, str]:
    """A county's inventory form: the county, the figure of each pollutant, the year, the source."""
    region_id = _whole(form.get("region_id", ""), "not_found")
    if region_id is None:
        raise ControlError("not_found")
    values = {p: _kg(form.get(p.value, "")) for p in Pollutant}
    return region_id, values, _whole(form.get("year", ""), "year_invalid"), form.get("source", "")


def windows(text: str, weekdays: Sequence[str]) -> list[Window]:
    """Windows written as "08:00-12:00, 14:00-18:00" on the ticked weekdays (0 Monday … 6 Sunday)."""
    marks = "".join("1" if str(i) in weekdays else "0" for i in range(7))
    out = []
    for part in text.replace("，", ",").replace(";", ",").split(","):  # noqa: RUF001 - a Chinese comma is a comma
        if not part.strip():
            continue
        try:
            start, end = (_minute(t) for t in part.replace("–", "-").split("-"))  # noqa: RUF001 - an en dash too
        except ValueError:
            raise ControlError("window_invalid") from None
        out.append(Window(marks, start, end))
    if out and "1" not in marks:
        raise ControlError("window_invalid")
    return out


def _minute(text: str) -> int:
    hours, _, minutes = text.strip().partition(":")
    if not (hours.isascii() and hours.isdigit() and minutes.isascii() and minutes.isdigit()):
        raise ValueError(text)
    value = int(hours) * 60 + int(minutes)
    if not 0 <= value < 1440 or int(minutes) >= 60:
        raise ValueError(text)
    return value


def _entry(session: Session, principal: Principal, enterprise_id: int, fields: Fields, today: date) -> None:
    service.update_entry(session, principal, enterprise_id, **entry_fields(dict(fields)))


def _remove(session: Session, principal: Principal, enterprise_id: int, fields: Fields, today: date) -> None:
    form = dict(fields)
    last = _day(form.get("last_day", ""), today)
    service.remove_from_list(session, principal, enterprise_id, last_day=last, reason=form.get("reason", ""))


def _override(session: Session, principal: Principal, enterprise_id: int, fields: Fields, today: date) -> None:
    form = dict(fields)
    level = _choice(WarningLevel, form.get("level", ""))
    if not form.get("kind"):
        service.clear_override(session, principal, enterprise_id, level=level)
        return
    reason = form.get("reason", "")
    service.set_override(session, principal, enterprise_id, level=level, measure=measure(form), reason=reason)


def _windows(session: Session, principal: Principal, enterprise_id: int, fields: Fields, today: date) -> None:
    form = dict(fields)
    level = _choice(WarningLevel, form.get("level", ""))
    days = [value for key, value in fields if key == "weekday"]
    service.set_windows(session, principal, enterprise_id, level=level, windows=windows(form.get("hours", ""), days))


def _emissions(session: Session, principal: Principal, enterprise_id: int, fields: Fields, today: date) -> None:
    # Fields "em-<line id or 0>-<pollutant>": 0 is the rest of the enterprise.
    values: dict[tuple[int | None, Pollutant], Decimal | None] = {}
    for key, value in fields:
        name, _, rest = key.partition("-")
        line, _, pollutant = rest.partition("-")
        if name != "em":
            continue
        line_id = _whole(line, "line_unknown")
        values[(line_id or None, _choice(Pollutant, pollutant))] = _kg(value)
    service.set_emissions(session, principal, enterprise_id, values)


Part = Callable[[Session, Principal, int, Fields, date], None]
PARTS: dict[str, Part] = {
    "entry": _entry,
    "remove": _remove,
    "override": _override,
    "windows": _windows,
    "emissions": _emissions,
}
