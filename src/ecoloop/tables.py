"""The model registry: every capability's tables and their scope rules (and the one registry of reads across two
capabilities that runs without the web app: the draws' inspection history), so that `Base.metadata` is complete (for
Alembic and test set-up) and `ecoloop.access.scope` knows the rule of every table.

It sits above the capabilities (issue 14): `db/` holds the declarative base and imports no capability. A new
capability adds its `models` and `scope` imports here (docs/development/adding-a-capability.md)."""

from __future__ import annotations

from ecoloop.alerts import scope as alerts_scope
from ecoloop.alerts.models import (
    Alert,
    AlertEvent,
    AlertRule,
    AlertRuleVersion,
    Notification,
    Webhook,
    WebhookCursor,
    WebhookDelivery,
)
from ecoloop.audit import scope as audit_scope
from ecoloop.audit.models import AuditRecord
from ecoloop.casereviews import scope as casereviews_scope
from ecoloop.casereviews.models import (
    ReviewDeduction,
    ReviewEvent,
    ReviewFile,
    ReviewRound,
    ReviewSheet,
    ReviewStandard,
)
from ecoloop.cases import scope as cases_scope
from ecoloop.cases.models import Attachment, CalendarDay, Case, CaseEvent, CaseUnit, Milestone, SupervisionBatch
from ecoloop.controls import scope as controls_scope
from ecoloop.controls.models import (
    ControlEntry,
    ControlOverride,
    ControlSchedule,
    CountyBaseline,
    MeasureTemplate,
    NormalEmission,
)
from ecoloop.db.base import Base
from ecoloop.draws import queries as draws_queries
from ecoloop.draws import scope as draws_scope
from ecoloop.draws.models import (
    Draw,
    DrawAssignment,
    DrawAssignmentOfficer,
    DrawSnapshot,
    EnterprisePool,
    OfficerCertificate,
    OfficerConflict,
    OfficerPool,
)
from ecoloop.electricity import scope as electricity_scope
from ecoloop.electricity.models import (
    CheckSettings,
    ElectricityFlag,
    Meter,
    MeterReading,
    ReadingImport,
    RefusedReading,
)
from ecoloop.enterprises import scope as enterprises_scope
from ecoloop.enterprises.models import (
    DataCorrection,
    Enterprise,
    GradeRecord,
    ListMembership,
    Outlet,
    OutletLimit,
    Permit,
    ProductionLine,
    SupervisionList,
)
from ecoloop.episodes import queries as episodes_queries
from ecoloop.episodes import scope as episodes_scope
from ecoloop.episodes.models import (
    PollutionWarning,
    WarningArea,
    WarningChange,
    WarningDelivery,
    WarningNotice,
    WarningTriggerConfig,
)
from ecoloop.hotspots import scope as hotspots_scope
from ecoloop.hotspots.models import HotspotEvent, HotspotOrder, HotspotOrderUnit, PollutionSource
from ecoloop.identity import scope as identity_scope
from ecoloop.identity.models import (
    ApiToken,
    LoginThrottle,
    Organisation,
    OrganisationDuty,
    OrganisationRegion,
    PasswordSetup,
    User,
    WebSession,
)
from ecoloop.inspections import queries as inspection_queries
from ecoloop.inspections import scope as inspections_scope
from ecoloop.inspections.models import (
    Campaign,
    CampaignTarget,
    Checklist,
    ChecklistVersion,
    Inspection,
    InspectionAnswer,
    InspectionOfficer,
    InspectionPhoto,
    InspectionSubmission,
)
from ecoloop.intake import scope as intake_scope
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
from ecoloop.monitoring import scope as monitoring_scope
from ecoloop.monitoring.models import Device, Site
from ecoloop.penalties import scope as penalties_scope
from ecoloop.penalties.models import (
    PenaltyBenchmark,
    PenaltyCase,
    PenaltyCaseOfficer,
    PenaltyConfig,
    PenaltyEvent,
    PenaltyEvidence,
    PenaltySuspension,
    PenaltyTemplate,
)
from ecoloop.regions import scope as regions_scope
from ecoloop.regions.models import Region
from ecoloop.reports import after_action, after_action_inputs
from ecoloop.reports import scope as reports_scope
from ecoloop.reports.models import AirForecast, Report, ReportConfig, ReportRun, ReportTemplate
from ecoloop.results import scope as results_scope
from ecoloop.results.models import AirTarget
from ecoloop.scheduler.models import JobRun

# The inspections done in the field are part of the history the random draws' pools and avoidance rules read
# (issue 19); the inspections import the draws, so the composition joins them here, where every entry point looks.
draws_queries.register_history(inspection_queries.history)
# The warnings' form proposes a level from the city's forecast, which the briefs keep; the briefs read the warnings
# (the after-action report), so the composition joins them here (issue 20); likewise the after-action report reads
# the control list and the confirmed electricity flags of a warning, which both read the warnings.
episodes_queries.register_forecasts(after_action.forecast_aqi)
after_action.register_inputs(after_action_inputs.list_and_flags)

# The scope rule of each table, registered with ecoloop.access.scope when its module is imported.
SCOPES = (
    alerts_scope,
    audit_scope,
    casereviews_scope,
    cases_scope,
    controls_scope,
    draws_scope,
    electricity_scope,
    enterprises_scope,
    hotspots_scope,
    episodes_scope,
    identity_scope,
    inspections_scope,
    intake_scope,
    monitoring_scope,
    penalties_scope,
    regions_scope,
    reports_scope,
    results_scope,
)

__all__ = [
    "AirForecast",
    "AirTarget",
    "Alert",
    "AlertEvent",
    "AlertRule",
    "AlertRuleVersion",
    "ApiToken",
    "Attachment",
    "AuditRecord",
    "Base",
    "CalendarDay",
    "Campaign",
    "CampaignTarget",
    "Case",
    "CaseEvent",
    "CaseLeader",
    "CaseUnit",
    "CheckSettings",
    "Checklist",
    "ChecklistVersion",
    "Complaint",
    "ComplaintPhoto",
    "ControlEntry",
    "ControlOverride",
    "ControlSchedule",
    "CountyBaseline",
    "DataCorrection",
    "Device",
    "Draw",
    "DrawAssignment",
    "DrawAssignmentOfficer",
    "DrawSnapshot",
    "ElectricityFlag",
    "Enterprise",
    "EnterprisePool",
    "FormNonce",
    "GradeRecord",
    "HotspotEvent",
    "HotspotOrder",
    "HotspotOrderUnit",
    "Inspection",
    "InspectionAnswer",
    "InspectionOfficer",
    "InspectionPhoto",
    "InspectionSubmission",
    "IntakeConfig",
    "JobRun",
    "ListMembership",
    "LoginThrottle",
    "MeasureTemplate",
    "Meter",
    "MeterReading",
    "Milestone",
    "NormalEmission",
    "Notification",
    "OfficerCertificate",
    "OfficerConflict",
    "OfficerPool",
    "Organisation",
    "OrganisationDuty",
    "OrganisationRegion",
    "Outlet",
    "OutletLimit",
    "Partner",
    "PartnerEvent",
    "PartnerFeedback",
    "PasswordSetup",
    "PenaltyBenchmark",
    "PenaltyCase",
    "PenaltyCaseOfficer",
    "PenaltyConfig",
    "PenaltyEvent",
    "PenaltyEvidence",
    "PenaltySuspension",
    "PenaltyTemplate",
    "Permit",
    "PollutionSource",
    "PollutionWarning",
    "ProductionLine",
    "PushTask",
    "RateCounter",
    "ReadingImport",
    "RefusedReading",
    "Region",
    "Report",
    "ReportConfig",
    "ReportRun",
    "ReportTemplate",
    "ReviewDeduction",
    "ReviewEvent",
    "ReviewFile",
    "ReviewRound",
    "ReviewSheet",
    "ReviewStandard",
    "Reward",
    "Site",
    "SupervisionBatch",
    "SupervisionList",
    "User",
    "WarningArea",
    "WarningChange",
    "WarningDelivery",
    "WarningNotice",
    "WarningTriggerConfig",
    "WebSession",
    "Webhook",
    "WebhookCursor",
    "WebhookDelivery",
]
