"""Who sees which complaints and partner records (registered with `ecoloop.access.scope`).

The bureau's staff, the hotline and a branch see the complaints of their area; a department those whose case it
leads or helps with; an enterprise none (it sees the case about it, whose text is masked). Seeing a complaint
never means seeing its complainant: that takes `view_complainant_identity` or being the case's 包案 leader
(`service.identity`). Partners, the intake settings, the public form's counters and tokens are the bureau's."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select, true

from ecoloop.access.principal import Principal
from ecoloop.access.roles import Role
from ecoloop.access.scope import REGION_ROLES, register
from ecoloop.alerts.models import Alert
from ecoloop.cases.models import Case, CaseUnit
from ecoloop.intake.models import (
    CaseLeader,
    Complaint,
    ComplaintPhoto,
    FormNonce,
    IntakeConfig,
    Partner,
    PartnerEvent,
    PartnerFeedback,
    PushTask,
    RateCounter,
    Reward,
)
from ecoloop.regions.queries import in_subtree


def _complaints(p: Principal) -> ColumnElement[bool]:
    if p.role in REGION_ROLES:
        return in_subtree(Complaint.region_id, p)
    if p.role is Role.DEPARTMENT:
        helping = select(CaseUnit.case_id).where(CaseUnit.organisation_id == p.organisation_id)
        led = select(Case.id).where(or_(Case.lead_unit_id == p.organisation_id, Case.id.in_(helping)))
        return Complaint.case_id.in_(led)
    return false()


def _of_complaint(p: Principal) -> ColumnElement[bool]:
    return ComplaintPhoto.complaint_id.in_(select(Complaint.id).where(_complaints(p)))


def _rewards(p: Principal) -> ColumnElement[bool]:
    return Reward.complaint_id.in_(select(Complaint.id).where(_complaints(p)))


def _leaders(p: Principal) -> ColumnElement[bool]:
    return true() if p.role in REGION_ROLES else false()


def _bureau(p: Principal) -> ColumnElement[bool]:
    return true() if p.role in (Role.ADMIN, Role.LEADER, Role.ANALYST) else false()


def _push_tasks(p: Principal) -> ColumnElement[bool]:
    if p.role in REGION_ROLES:
        return PushTask.alert_id.in_(select(Alert.id).where(in_subtree(Alert.region_id, p)))
    if p.role is Role.DEPARTMENT:
        return PushTask.organisation_id == p.organisation_id
    return false()


def _events(p: Principal) -> ColumnElement[bool]:
    if p.role in REGION_ROLES:
        return PartnerEvent.alert_id.in_(select(Alert.id).where(in_subtree(Alert.region_id, p)))
    return false()


register(Complaint, _complaints)
register(ComplaintPhoto, _of_complaint)
register(Reward, _rewards)
register(CaseLeader, _leaders)
register(IntakeConfig, lambda p: true())  # the deadline rules every user's deadlines follow
register(Partner, _bureau)
register(PartnerEvent, _events)
register(PartnerFeedback, _bureau)  # the delivery log of the partners' feedback, kept with the partners
register(PushTask, _push_tasks)
register(RateCounter, lambda p: false())
register(FormNonce, lambda p: false())
