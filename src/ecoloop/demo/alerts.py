"""The demo's alert history: the alerts behind the demo cases registered from monitoring alerts, each with the
timeline it would have had (raised, confirmed after checking, handed over as the case, and — for a closed
case — closed by its feedback). Live alerts come from the alert engine on the simulated loggers' data."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.alerts.enums import AlertEventKind, AlertStatus, Review
from ecoloop.alerts.models import Alert, AlertEvent, AlertRule, AlertRuleVersion
from ecoloop.alerts.rule_service import ensure_builtin_rules
from ecoloop.alerts.rules import RuleKind, Severity
from ecoloop.alerts.service import next_number
from ecoloop.cases.enums import CaseSource, EventKind
from ecoloop.cases.enums import Severity as CaseSeverity
from ecoloop.cases.models import Case, CaseEvent
from ecoloop.cases.workflow import State
from ecoloop.readings import parameters

# Pollutant names in the demo alert texts → HJ 212-2017 Appendix B codes.
_POLLUTANTS = {"二氧化硫": "a21026", "氮氧化物": "a21002", "化学需氧量": "w01018", "氨氮": "w21003"}
_OBSERVED = re.compile(r"(?:均值|最高)(\d+(?:\.\d+)?)")
_LIMIT = re.compile(r"限值(\d+(?:\.\d+)?)")
_FLAT = re.compile(r"连续(\d+)小时恒定为(\d+(?:\.\d+)?)")


def _first(pattern: re.Pattern[str], text: str) -> Decimal | None:
    found = pattern.search(text)
    return Decimal(found.group(1)) if found else None


def _parameter(text: str) -> str | None:
    return next((code for name, code in _POLLUTANTS.items() if name in text), None)


def _findings(
    kind: RuleKind, case: Case, parameter: str | None, at: datetime, severity: Severity
) -> list[dict[str, Any]]:
    """The triggering data as the alert engine keeps it (`alerts.service._detail`), read from the case's text."""
    observed, reference = _first(_OBSERVED, case.description), _first(_LIMIT, case.description)
    common = {"parameter": parameter, "time": at.isoformat(), "severity": severity.value}
    if kind is RuleKind.SOURCE_EXCEEDANCE and parameter and observed is not None and reference:
        multiple = ((observed - reference) / reference).quantize(Decimal("0.01"))
        averaging = "day" if "日均值" in case.title else "hour"
        unit = parameters.unit(parameter)
        detail = {"averaging": averaging, "multiple": str(multiple), "unit": unit, "source": "", "reference_o2": None}
        return [{**common, "observed": str(observed), "reference": str(reference), **detail}]
    flat = _FLAT.search(case.description)
    if kind is RuleKind.DEVICE_FLAT_LINE and parameter and flat:
        hours = int(flat.group(1))
        start = (at - timedelta(hours=hours - 1)).isoformat()
        return [{**common, "observed": str(hours), "reference": "6", "value": flat.group(2), "start": start}]
    return []


def add_demo_alerts(session: Session, now: datetime) -> int:
    """Add the alert behind each demo alert case that has none; how many were added."""
    ensure_builtin_rules(session, now)
    rules = {
        rule.kind: (rule.id, version)
        for rule, version in session.execute(
            select(AlertRule, AlertRuleVersion.id)
            .join(AlertRuleVersion, AlertRuleVersion.rule_id == AlertRule.id)
            .where(AlertRule.code.in_(["source-exceedance", "device-flat-line"]), AlertRuleVersion.version == 1)
        )
    }
    linked = set(session.scalars(select(Alert.case_id).where(Alert.case_id.is_not(None))))
    cases = session.scalars(
        select(Case).where(Case.source == CaseSource.ALERT, Case.site_id.is_not(None)).order_by(Case.id)
    ).all()
    added = 0
    for case in cases:
        if case.id in linked:
            continue
        registered = session.scalar(
            select(CaseEvent.at).where(CaseEvent.case_id == case.id, CaseEvent.kind == EventKind.REGISTERED)
        )
        at = registered or case.created_at
        kind = RuleKind.DEVICE_FLAT_LINE if "恒" in case.title else RuleKind.SOURCE_EXCEEDANCE
        rule_id, version_id = rules[kind]
        observed = reference = None
        if kind is RuleKind.SOURCE_EXCEEDANCE:
            observed = _first(_OBSERVED, case.description)
            reference = _first(_LIMIT, case.description)
        raised = at - timedelta(hours=1)
        closed = case.state in (State.CLOSED, State.MERGED)
        parameter = _parameter(case.title) or _parameter(case.description)
        severity = Severity.HIGH if case.severity in (CaseSeverity.HIGH, CaseSeverity.CRITICAL) else Severity.MEDIUM
        alert = Alert(
            number=next_number(session, raised.year),
            rule_id=rule_id,
            rule_version_id=version_id,
            kind=kind,
            site_id=case.site_id,
            region_id=case.region_id,
            enterprise_id=case.enterprise_id,
            parameter=parameter,
            severity=severity,
            status=AlertStatus.CLOSED if closed else AlertStatus.OPEN,
            review=Review.CONFIRMED,
            first_at=raised - timedelta(hours=2),
            last_at=raised,
            observed=observed,
            reference=reference,
            detail={"findings": _findings(kind, case, parameter, raised - timedelta(hours=2), severity), "demo": True},
            raised_at=raised,
            case_id=case.id,
            closed_at=case.closed_at if closed else None,
            feedback="复核通过，予以销号。" if closed else "",
        )
        session.add(alert)
        session.flush()
        handed = {
            "case_id": case.id,
            "case": case.number,
            "unit": case.lead_unit.name if case.lead_unit else "",
            "deadline": case.deadline.isoformat() if case.deadline else "",
        }
        events = [
            (AlertEventKind.RAISED, raised, "alerts", {}),
            (AlertEventKind.CONFIRMED, at, "分析人员", {}),
            (AlertEventKind.ESCALATED, at, "分析人员", handed),
        ]
        if closed and case.closed_at is not None:
            events.append((AlertEventKind.CASE_CLOSED, case.closed_at, "alerts", {"case": case.number}))
        for kind_, moment, label, data in events:
            session.add(AlertEvent(alert_id=alert.id, at=moment, kind=kind_, actor_label=label, data=data))
        added += 1
    session.flush()
    return added
