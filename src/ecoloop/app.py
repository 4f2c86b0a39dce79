"""`create_app()`: the web application, assembled above the capabilities (issue 14).

The web shell (`ecoloop.web.app`) knows no capability; here each capability's router is added, the identity
capability tells the shell who is calling, and the model registry (`ecoloop.tables`) gives every table its scope.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from sqlalchemy.orm import Session

import ecoloop.tables  # noqa: F401  # every table and its scope rule, before the first request
from ecoloop.alerts import enterprise_file as alerts_in_enterprise_files
from ecoloop.alerts.config import AREA_LEVEL_LABELS, FIELD_LABELS, PERIOD_LABELS, shown_name
from ecoloop.alerts.routes import router as alerts_router
from ecoloop.alerts.rule_routes import router as alert_rules_router
from ecoloop.alerts.rules import SEVERITY_LABELS
from ecoloop.alerts.stream import router as alert_stream_router
from ecoloop.alerts.webhook_routes import router as webhooks_router
from ecoloop.audit.labels import register_labels
from ecoloop.audit.routes import router as audit_router
from ecoloop.audit.service import Actor, set_actor
from ecoloop.casereviews.routes import router as case_reviews_router
from ecoloop.casereviews.standard_routes import router as review_standard_router
from ecoloop.casereviews.summary_routes import router as review_summary_router
from ecoloop.cases import enterprise_file as cases_in_enterprise_files
from ecoloop.cases.api_routes import router as cases_api_router
from ecoloop.cases.batch_routes import router as batches_router
from ecoloop.cases.calendar_routes import router as calendar_router
from ecoloop.cases.ledger_routes import router as ledger_router
from ecoloop.cases.routes import router as cases_router
from ecoloop.controls.routes import router as controls_router
from ecoloop.draws.public_routes import router as public_draws_router
from ecoloop.draws.routes import router as draws_router
from ecoloop.electricity.routes import router as electricity_router
from ecoloop.enterprises.api_routes import router as enterprises_api_router
from ecoloop.enterprises.correction_routes import router as corrections_router
from ecoloop.enterprises.import_routes import router as enterprise_import_router
from ecoloop.enterprises.list_routes import router as enterprise_lists_router
from ecoloop.enterprises.routes import router as enterprises_router
from ecoloop.enterprises.sections import register_panel, register_section
from ecoloop.episodes.routes import router as warnings_router
from ecoloop.hotspots.routes import router as hotspots_router
from ecoloop.hotspots.source_routes import router as hotspot_sources_router
from ecoloop.i18n import N_
from ecoloop.identity.admin_routes import router as identity_admin_router
from ecoloop.identity.import_routes import router as identity_import_router
from ecoloop.identity.models import User
from ecoloop.identity.queries import active_organisations_in
from ecoloop.identity.routes import SET_PASSWORD_PATH
from ecoloop.identity.routes import router as identity_router
from ecoloop.identity.service import principal_for, resolve_api_token, resolve_session
from ecoloop.ingest.routes import router as ingest_router
from ecoloop.ingest.upload_routes import router as upload_router
from ecoloop.inspections.routes import router as inspections_router
from ecoloop.intake.api_routes import router as complaints_api_router
from ecoloop.intake.config_routes import router as complaint_settings_router
from ecoloop.intake.open311_routes import router as open311_router
from ecoloop.intake.partner_routes import router as partners_router
from ecoloop.intake.public_routes import router as citizen_router
from ecoloop.intake.push_routes import router as push_router
from ecoloop.intake.routes import router as complaints_router
from ecoloop.monitoring.import_routes import router as monitoring_import_router
from ecoloop.monitoring.location import SITES_IN_REGION, active_sites_in, locate_sites
from ecoloop.monitoring.register_routes import router as monitoring_register_router
from ecoloop.monitoring.routes import router as monitoring_router
from ecoloop.overview.rankings import router as rankings_router
from ecoloop.overview.screen import router as screen_router
from ecoloop.overview.start import router as overview_router
from ecoloop.penalties.config_routes import router as penalty_settings_router
from ecoloop.penalties.routes import router as penalties_router
from ecoloop.readings.store import open_hot_store
from ecoloop.regions.import_routes import router as regions_import_router
from ecoloop.regions.routes import router as regions_router
from ecoloop.regions.service import register_holder, register_locator
from ecoloop.reports.after_action_routes import router as after_action_router
from ecoloop.reports.config_routes import router as brief_settings_router
from ecoloop.reports.forecast_routes import router as forecasts_router
from ecoloop.reports.routes import router as reports_router
from ecoloop.results import source_section
from ecoloop.results.air_routes import router as air_router
from ecoloop.results.map_routes import router as maps_router
from ecoloop.results.noise_routes import router as noise_router
from ecoloop.results.public_routes import router as public_router
from ecoloop.results.source_routes import router as sources_router
from ecoloop.results.target_routes import router as targets_router
from ecoloop.results.water_routes import router as water_router
from ecoloop.settings import Settings, load_settings
from ecoloop.site_registry import router as site_import_router
from ecoloop.web.access_log import keep_out_of_logs
from ecoloop.web.app import create_shell
from ecoloop.web.deps import SignIn

# Every capability's router. Their order does not matter: ids in paths are typed (`{case_id:id}`, digits only),
# so `/cases/ledger` is never a case, and tests/web/test_deps.py fails if two routes could match one request.
ROUTERS: tuple[APIRouter, ...] = (
    overview_router,
    screen_router,
    maps_router,
    public_router,
    identity_router,
    identity_import_router,
    identity_admin_router,
    regions_import_router,  # before the tree's routes: /admin/regions/import is not a region
    regions_router,
    corrections_router,
    enterprise_import_router,
    enterprises_router,
    enterprise_lists_router,
    enterprises_api_router,
    batches_router,
    ledger_router,
    cases_router,
    cases_api_router,
    audit_router,
    ingest_router,
    upload_router,
    monitoring_import_router,
    site_import_router,
    monitoring_router,
    monitoring_register_router,
    alert_stream_router,
    alert_rules_router,
    webhooks_router,
    alerts_router,
    air_router,
    sources_router,
    noise_router,
    rankings_router,
    targets_router,
    water_router,
    forecasts_router,
    brief_settings_router,
    reports_router,
    calendar_router,
    complaints_api_router,
    open311_router,
    citizen_router,
    complaint_settings_router,
    penalty_settings_router,
    hotspots_router,
    hotspot_sources_router,
    penalties_router,
    electricity_router,
    complaints_router,
    partners_router,
    push_router,
    case_reviews_router,
    review_standard_router,
    review_summary_router,
    inspections_router,  # with the officer's phone, campaigns, checklists and the published outcomes (issue 19)
    draws_router,
    public_draws_router,
    controls_router,  # the emergency control list (issue 20)
    warnings_router,  # heavy-pollution warnings (issue 20)
    after_action_router,
)


def _act_as(session: Session, user: User, ip: str | None) -> None:
    """Attribute the request's changes to its signed-in user in the audit trail."""
    set_actor(session, Actor(label=user.username, user_id=user.id, ip=ip))


# The words of the alert rules that the audit log shows: the keys and values of their parameters.
register_labels(
    values={"severity": SEVERITY_LABELS, "area_level": AREA_LEVEL_LABELS, "periods": PERIOD_LABELS}, keys=FIELD_LABELS
)

# The sections that other capabilities keep in an enterprise's file, in the order the file shows them.
for key, title, rows in (*alerts_in_enterprise_files.SECTIONS, *cases_in_enterprise_files.SECTIONS):
    register_section(key, title, rows)
for key, title, panel in source_section.PANELS:
    register_panel(key, title, panel)

# Paths that carry a secret: the web server's access log and our error lines show them redacted.
keep_out_of_logs(SET_PASSWORD_PATH)
# Regions do not know sites or organisations: a boundary import places the sites again, and a region with active
# sites or organisations in it is not retired.
register_locator("sites", locate_sites)
register_holder("sites", SITES_IN_REGION, active_sites_in)
ORGANISATIONS_IN_REGION = N_("%(count)s active organisations are attached to this region: move or retire them first.")
register_holder("organisations", ORGANISATIONS_IN_REGION, active_organisations_in)

SIGN_IN = SignIn(by_token=resolve_api_token, by_session=resolve_session, principal_for=principal_for, act_as=_act_as)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The web application for `settings` (read from the environment when not given)."""
    settings = settings or load_settings()
    app = create_shell(settings)
    app.state.hot_store = open_hot_store(settings)
    app.state.sign_in = SIGN_IN
    app.state.templates.env.globals["rule_name"] = shown_name
    for router in ROUTERS:
        app.include_router(router)
    return app
