"""The audit log in words: a label for every audited table and field, and stored values as text (enum values by
their labels, times in local time, secrets as hidden), so that the log page shows no table names and no JSON.

Every audited model's table and columns are listed here (a test holds the lists complete); the records keep the
raw values, and the API returns them as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from enum import StrEnum
from functools import cache
from typing import Any

from ecoloop.audit.models import AuditRecord
from ecoloop.audit.service import REDACTED
from ecoloop.db.base import Base, StrEnumType, UtcDateTime
from ecoloop.i18n import N_, gettext
from ecoloop.readings import parameters
from ecoloop.readings.vocabulary import parse_source

TABLES = {
    "observations": N_("Monitoring data"),  # upload records (no table of this database)
    "regions": N_("Region"),
    "organisations": N_("Unit or department"),
    "users": N_("User account"),
    "organisation_regions": N_("Covered region"),
    "organisation_duties": N_("Duty"),
    "password_setups": N_("Set-password link"),
    "api_tokens": N_("API token"),
    "enterprises": N_("Enterprise"),
    "permits": N_("Discharge permit"),
    "outlets": N_("Outlet"),
    "outlet_limits": N_("Emission limit"),
    "grade_records": N_("Performance grade"),
    "production_lines": N_("Production line or facility"),
    "electricity_meters": N_("Electricity meter"),
    "electricity_settings": N_("Electricity check settings"),
    "supervision_lists": N_("Supervision list"),
    "list_memberships": N_("List membership"),
    "data_corrections": N_("Data correction request"),
    "sites": N_("Monitoring site"),
    "devices": N_("Data logger"),
    "cases": N_("Case record"),
    "case_milestones": N_("Case milestone"),
    "supervision_batches": N_("Supervision batch"),
    "alert_rules": N_("Alert rule"),
    "webhooks": N_("Webhook"),
    "air_targets": N_("Air-quality target"),
    "reports": N_("Brief"),
    "calendar_days": N_("Working-day calendar"),
    "report_templates": N_("Brief template"),
    "report_configs": N_("Brief settings"),
    "air_forecasts": N_("Air-quality forecast"),
    "complaints": N_("Complaint"),
    "partners": N_("Partner platform"),
    "case_leaders": N_("Leader in charge of a case"),
    "complaint_rewards": N_("Reward for a report"),
    "intake_configs": N_("Complaint settings"),
    "penalty_cases": N_("Penalty case"),
    "penalty_case_officers": N_("Handling officer of a penalty case"),
    "penalty_configs": N_("Penalty time limits"),
    "penalty_benchmarks": N_("Discretion benchmark"),
    "penalty_templates": N_("Penalty document template"),
    "review_standards": N_("Case-file review standard"),
    "review_rounds": N_("Case-file review round"),
    "review_files": N_("Reviewed case file"),
    "review_sheets": N_("Review score sheet"),
    "review_deductions": N_("Review deduction"),
    # Random checks (双随机, issue 19).
    "officer_certificates": N_("Enforcement certificate"),
    "officer_conflicts": N_("Declared conflict of interest"),
    "draw_enterprise_pools": N_("Enterprise pool"),
    "draw_officer_pools": N_("Officer pool"),
    "draws": N_("Random draw"),
    "draw_snapshots": N_("Pool snapshot"),
    "draw_assignments": N_("Drawn enterprise"),
    "draw_assignment_officers": N_("Drawn officer"),
    "checklists": N_("Inspection checklist"),
    "checklist_versions": N_("Checklist version"),
    "campaigns": N_("Special enforcement campaign"),
    "campaign_targets": N_("Campaign target"),
    "inspections": N_("Inspection"),
    "inspection_officers": N_("Inspection officer"),
    "inspection_answers": N_("Checklist answer"),
    "pollution_sources": N_("Registered pollution source"),
    "hotspot_orders": N_("Hotspot order"),
    # Heavy-pollution warnings (重污染天气预警, issue 20).
    "pollution_warnings": N_("Heavy-pollution warning"),
    "warning_areas": N_("County covered by a warning"),
    "warning_changes": N_("Change of a warning"),
    "warning_trigger_configs": N_("Warning trigger rules"),
    # The control list (应急减排清单, issue 20).
    "control_entries": N_("Control list entry"),
    "control_measure_templates": N_("Emergency measure template"),
    "control_overrides": N_("Enterprise's own emergency measure"),
    "control_schedules": N_("Staggered production window"),
    "control_normal_emissions": N_("Normal daily emission"),
    "control_county_baselines": N_("County emission inventory"),
}
# Fields every audited table has.
COMMON_FIELDS = {"id": N_("Record number"), "created_at": N_("Created"), "updated_at": N_("Updated")}
FIELDS: dict[str, dict[str, str]] = {
    "regions": {"code": N_("Code"), "name": N_("Name"), "level": N_("Level"), "parent_id": N_("Parent region"),
                "path": N_("Region path"), "boundary": N_("Boundary"), "active": N_("Active")},
    "organisations": {"code": N_("Code"), "name": N_("Name"), "kind": N_("Kind"),
                      "department_type": N_("Department type"), "region_id": N_("Region"),
                      "parent_id": N_("Parent organisation"), "active": N_("Active")},
    "users": {"username": N_("Username"), "display_name": N_("Display name"), "password_hash": N_("Password"),
              "role": N_("Role"), "organisation_id": N_("Organisation"), "enterprise_id": N_("Enterprise"),
              "active": N_("Active"), "locale": N_("Language"), "password_changed_at": N_("Password changed")},
    "organisation_regions": {"organisation_id": N_("Organisation"), "region_id": N_("Region")},
    "air_targets": {"region_id": N_("Region"), "year": N_("Year"), "good_ratio_target": N_("Good-day ratio target"),
                    "pm25_target": N_("PM2.5 target"), "heavy_days_target": N_("Heavy-pollution days target")},
    "calendar_days": {"day": N_("Day"), "workday": N_("Working day"), "name": N_("Name")},
    "report_templates": {"kind": N_("Kind"), "version": N_("Version"), "file": N_("File"), "sha256": N_("SHA-256"),
                         "uploaded_at": N_("Uploaded"), "uploaded_by": N_("Uploaded by")},
    "report_configs": {"valid_from": N_("Valid from"), "parameters": N_("Settings"), "changed_at": N_("Changed"),
                       "changed_by": N_("Changed by")},
    "air_forecasts": {"region_id": N_("Region"), "day": N_("Day"), "aqi_low": N_("AQI from"), "aqi_high": N_("AQI to"),
                      "primary": N_("Primary pollutant"), "issued_at": N_("Issued"), "imported_by": N_("Imported by")},
    "organisation_duties": {"organisation_id": N_("Organisation"), "category": N_("Category")},
    "complaints": {"ticket": N_("Ticket code"), "channel": N_("Channel"), "partner_id": N_("Partner platform"),
                   "external_id": N_("External reference"), "topic": N_("Topic"), "category": N_("Category"),
                   "description": N_("Description"), "description_enc": N_("Original description (encrypted)"),
                   "address": N_("Address"), "longitude": N_("Longitude"), "latitude": N_("Latitude"),
                   "region_id": N_("Region"), "anonymous": N_("Anonymous"), "name_enc": N_("Name (encrypted)"),
                   "phone_enc": N_("Phone (encrypted)"), "phone_index": N_("Phone digest"),
                   "phone_masked": N_("Phone (masked)"), "consent_at": N_("Consent given"),
                   "received_at": N_("Time received"), "registered_by_id": N_("Registered by"),
                   "bigrams": N_("Text index"), "case_id": N_("Case"), "duplicate": N_("Repeat complaint"),
                   "status": N_("Status"), "accept_due": N_("Acceptance due"), "conclude_due": N_("Conclusion due"),
                   "extended": N_("Extended"), "decided_at": N_("Decided"), "decision_note": N_("Decision note"),
                   "reply": N_("Reply"), "replied_at": N_("Replied"), "satisfaction": N_("Satisfaction"),
                   "satisfaction_note": N_("Satisfaction note"), "rated_at": N_("Rated"), "closed_at": N_("Concluded")},
    "partners": {"code": N_("Code"), "name": N_("Name"), "key_hash": N_("Key digest"), "key_prefix": N_("Key prefix"),
                 "webhook_url": N_("Feedback address"), "webhook_secret": N_("Signing secret"), "active": N_("Active")},
    "case_leaders": {"case_id": N_("Case"), "user_id": N_("Leader"), "since": N_("Since")},
    "complaint_rewards": {"complaint_id": N_("Complaint"), "amount": N_("Amount"), "status": N_("Status"),
                          "basis": N_("Basis"), "proposed_by_id": N_("Proposed by"), "decided_by_id": N_("Decided by"),
                          "decided_at": N_("Decided"), "paid_at": N_("Paid")},
    "intake_configs": {"valid_from": N_("Valid from"), "parameters": N_("Settings"), "changed_at": N_("Changed"),
                       "changed_by": N_("Changed by")},
    "penalty_cases": {"version": N_("Version"), "number": N_("Document number"), "number_year": N_("Number year"),
                      "number_seq": N_("Number in the year"), "enterprise_id": N_("Enterprise"),
                      "region_id": N_("Region"), "organisation_id": N_("Handling unit"),
                      "inspection_id": N_("Inspection"), "case_id": N_("Case"), "stage": N_("Stage"),
                      "awaiting": N_("Awaiting approval"), "violation_code": N_("Violation code"),
                      "violation_name": N_("Violation"), "violated_provision": N_("Provision violated"),
                      "penalty_provision": N_("Penalty provision"), "circumstances": N_("Circumstances"),
                      "exemptions": N_("No-penalty or reduction conditions"),
                      "recommendation": N_("Benchmark recommendation"),
                      "benchmark_version_id": N_("Discretion benchmark"), "facts": N_("Facts"),
                      "discovered_on": N_("Discovered on"), "proposed_on": N_("Proposed on"),
                      "registered_on": N_("Registered on"), "rectification": N_("Correction ordered"),
                      "rectification_deadline": N_("Correction deadline"), "notified_on": N_("Notified on"),
                      "hearing_right": N_("Right to a hearing"), "notified_fine": N_("Fine in the notice"),
                      "severe_measures": N_("Heavy measures"), "statement_heard": N_("Statement heard"),
                      "hearing_waived": N_("Hearing waived"), "extensions": N_("Extensions"),
                      "extension_requested_days": N_("Days of extension requested"),
                      "hearing_requested_on": N_("Hearing requested on"),
                      "hearing_notice_on": N_("Hearing notice on"), "hearing_on": N_("Hearing on"),
                      "hearing_held_on": N_("Hearing held on"), "extended_days": N_("Days of extension"),
                      "decision_kind": N_("Decision"), "fine_amount": N_("Fine"),
                      "confiscation": N_("Confiscation"), "other_measures": N_("Other measures"),
                      "decision_reasons": N_("Reasons for the discretion"),
                      "collective_discussion_on": N_("Collective discussion on"), "decided_on": N_("Decided on"),
                      "served_on": N_("Served on"), "service_method": N_("Manner of service"),
                      "paid_on": N_("Paid on"), "paid_amount": N_("Amount paid"), "late_fee": N_("Late payment fine"),
                      "enforcement_on": N_("Enforcement applied for on"), "closed_on": N_("Closed on"),
                      "created_by_id": N_("Created by")},
    "penalty_case_officers": {"penalty_case_id": N_("Penalty case"), "user_id": N_("Officer"),
                              "position": N_("Position")},
    "penalty_configs": {"valid_from": N_("Valid from"), "parameters": N_("Settings"), "changed_at": N_("Changed"),
                        "changed_by": N_("Changed by")},
    "penalty_benchmarks": {"valid_from": N_("Valid from"), "table": N_("Benchmark table"),
                           "changed_at": N_("Changed"), "changed_by": N_("Changed by")},
    "penalty_templates": {"kind": N_("Kind"), "version": N_("Version"), "file": N_("File"), "sha256": N_("SHA-256"),
                          "uploaded_at": N_("Uploaded"), "uploaded_by": N_("Uploaded by")},
    "review_standards": {"version": N_("Version"), "parameters": N_("Settings"), "changed_at": N_("Changed"),
                         "changed_by": N_("Changed by")},
    "review_rounds": {"name": N_("Name"), "year": N_("Year"), "period_from": N_("Period from"),
                      "period_to": N_("Period to"), "basis": N_("Files of the period"),
                      "per_unit": N_("Files per unit"),
                      "standard_id": N_("Review standard"), "reviewers_per_file": N_("Reviewers per file"),
                      "seed": N_("Seed"), "status": N_("Status"), "created_by_id": N_("Created by")},
    "review_files": {"version": N_("Version"), "round_id": N_("Case-file review round"),
                     "penalty_case_id": N_("Penalty case"),
                     "unit_id": N_("Handling unit"), "region_id": N_("Region"), "status": N_("Status"),
                     "score": N_("Score"), "vetoed": N_("Vetoed"), "grade": N_("Review grade"),
                     "scored_at": N_("Scored"), "returns": N_("Times returned"), "correction": N_("Correction")},
    "review_sheets": {"file_id": N_("Reviewed case file"), "reviewer_id": N_("Reviewer"),
                      "assigned_at": N_("Assigned"), "submitted_at": N_("Submitted"), "total": N_("Total"),
                      "vetoes": N_("Veto items"), "comment": N_("Comment")},
    "review_deductions": {"sheet_id": N_("Review score sheet"), "point": N_("Sub-point"),
                          "points": N_("Points deducted"), "reason": N_("Reason")},
    "password_setups": {"token_hash": N_("Token"), "user_id": N_("User account"), "created_at": N_("Created"),
                        "expires_at": N_("Expires"), "used_at": N_("Used")},
    "api_tokens": {"user_id": N_("User account"), "name": N_("Name"), "prefix": N_("Token prefix"),
                   "token_hash": N_("Token"), "revoked_at": N_("Revoked")},
    "enterprises": {"credit_code": N_("Unified social credit code"), "name": N_("Name"),
                    "industry_code": N_("Industry code"), "address": N_("Address"), "region_id": N_("Region"),
                    "status": N_("Status"), "longitude": N_("Longitude"), "latitude": N_("Latitude"),
                    "contact_name": N_("Contact person"), "contact_phone": N_("Contact phone")},
    "permits": {"enterprise_id": N_("Enterprise"), "number": N_("Permit number"),
                "permit_class": N_("Permit class"), "valid_from": N_("Valid from"), "valid_to": N_("Valid to"),
                "issued_by": N_("Issued by")},
    "outlets": {"permit_id": N_("Discharge permit"), "code": N_("Outlet code"), "name": N_("Name"),
                "kind": N_("Kind"), "site_id": N_("Monitoring site")},
    "outlet_limits": {"outlet_id": N_("Outlet"), "pollutant": N_("Pollutant"), "limit_value": N_("Limit"),
                      "unit": N_("Unit"), "averaging": N_("Averaging"),
                      "reference_o2": N_("Reference oxygen content"), "source": N_("Source")},
    "grade_records": {"enterprise_id": N_("Enterprise"), "grade": N_("Grade"), "start": N_("From"),
                      "end": N_("To"), "document": N_("Document")},
    "production_lines": {"enterprise_id": N_("Enterprise"), "name": N_("Name"), "kind": N_("Kind"),
                         "serves_id": N_("Serves"), "capacity": N_("Capacity"), "active": N_("Active")},
    "electricity_meters": {"number": N_("Meter number"), "enterprise_id": N_("Enterprise"),
                           "line_id": N_("Line or facility"), "target": N_("Measures"), "interval": N_("Interval"),
                           "source": N_("Source"), "active": N_("Active")},
    "electricity_settings": {"parameters": N_("Parameters"), "changed_at": N_("Changed at"),
                             "changed_by": N_("Changed by")},
    "supervision_lists": {"code": N_("Code"), "name": N_("Name"), "description": N_("Description"),
                          "builtin": N_("Built in")},
    "list_memberships": {"list_id": N_("Supervision list"), "enterprise_id": N_("Enterprise"), "start": N_("From"),
                         "end": N_("To"), "reason": N_("Reason"), "document": N_("Document")},
    "data_corrections": {"enterprise_id": N_("Enterprise"), "site_id": N_("Monitoring site"),
                         "parameter": N_("Parameter"), "interval": N_("Data"), "time": N_("Time"),
                         "current_value": N_("Current value"), "proposed_value": N_("Proposed value"),
                         "proposed_flag": N_("Proposed flag"), "reason": N_("Reason"), "status": N_("Status"),
                         "submitted_by_id": N_("Submitted by"), "reviewed_by_id": N_("Reviewed by"),
                         "reviewed_at": N_("Reviewed"), "review_note": N_("Review note")},
    "sites": {"code": N_("Site code"), "name": N_("Name"), "kind": N_("Kind"), "level": N_("Level"),
              "region_id": N_("Region"), "enterprise_id": N_("Enterprise"), "longitude": N_("Longitude"),
              "latitude": N_("Latitude"), "water_target": N_("Water quality target"), "active": N_("Active"),
              "station_level": N_("Station level"), "noise_zone": N_("Acoustic zone"),
              "located_region_id": N_("Region by coordinates")},
    "devices": {"mn": N_("MN"), "password": N_("Password"), "site_id": N_("Monitoring site"),
                "crc_mode": N_("CRC mode"), "interval_minutes": N_("Reporting interval (minutes)"),
                "active": N_("Active")},
    "cases": {"number": N_("Case number"), "version": N_("Version"), "source": N_("Source"),
              "category": N_("Category"), "title": N_("Title"), "description": N_("Problem description"),
              "region_id": N_("Region"), "longitude": N_("Longitude"), "latitude": N_("Latitude"),
              "enterprise_id": N_("Enterprise"), "site_id": N_("Monitoring site"), "lead_unit_id": N_("Lead unit"),
              "responsible_leader": N_("Responsible leader"), "severity": N_("Urgency"), "state": N_("State"),
              "deadline": N_("Deadline"), "long_term": N_("Long-term rectification"),
              "batch_id": N_("Supervision batch"), "merged_into_id": N_("Merged into"),
              "external_ref": N_("Hand-down reference"), "finding": N_("Finding"),
              "investigation": N_("Investigation"), "handling": N_("Handling"),
              "accountable_persons": N_("Persons held accountable"), "overdue": N_("Overdue"),
              "closed_at": N_("Closed"), "registered_by_id": N_("Registered by")},
    "case_milestones": {"case_id": N_("Case"), "year": N_("Year"), "target": N_("Target"), "due": N_("Due"),
                        "status": N_("Status"), "done_on": N_("Done on"), "note": N_("Note")},
    "supervision_batches": {"code": N_("Code"), "name": N_("Name"), "source": N_("Source"),
                            "received_on": N_("Received on"), "deadline": N_("Deadline"),
                            "document": N_("Document")},
    "alert_rules": {"code": N_("Code"), "name": N_("Name"), "kind": N_("Kind"), "enabled": N_("Enabled"),
                    "region_id": N_("Region"), "escalation": N_("Escalation"),
                    "case_deadline_days": N_("Case deadline (days)"), "reopen_hours": N_("Reopen within (hours)"),
                    "parameters": N_("Parameters"), "version": N_("Version")},
    "webhooks": {"organisation_id": N_("Organisation"), "url": N_("Address"), "secret": N_("Signing secret"),
                 "enabled": N_("Enabled"), "description": N_("Description"), "case_events": N_("Case events")},
    "officer_certificates": {"user_id": N_("Officer"), "number": N_("Certificate number"),
                             "valid_from": N_("Valid from"), "valid_to": N_("Valid to"), "issued_by": N_("Issued by"),
                             "revoked_on": N_("Revoked on")},
    "officer_conflicts": {"user_id": N_("Officer"), "enterprise_id": N_("Enterprise"), "reason": N_("Reason"),
                          "start": N_("From"), "end": N_("To"), "declared_by_id": N_("Recorded by")},
    "draw_enterprise_pools": {"name": N_("Name"), "organisation_id": N_("Unit"), "region_id": N_("Region"),
                              "list_codes": N_("Supervision lists"), "industry_prefix": N_("Industry code prefix"),
                              "grades": N_("Performance grades"),
                              "not_inspected_months": N_("Not inspected for (months)"),
                              "inspected_before": N_("Last inspected before"), "ratio_percent": N_("Ratio (%)"),
                              "count": N_("Count"), "weights": N_("Weights"), "active": N_("Active")},
    "draw_officer_pools": {"name": N_("Name"), "organisation_id": N_("Unit"), "region_id": N_("Region"),
                           "unit_ids": N_("Units"), "active": N_("Active")},
    "draws": {"number": N_("Draw number"), "title": N_("Title"), "organisation_id": N_("Unit"),
              "region_id": N_("Region"), "period_label": N_("Period"), "period_start": N_("Period from"),
              "period_end": N_("Period to"), "draw_on": N_("Draw day"), "status": N_("Status"),
              "algorithm": N_("Algorithm"), "rules": N_("Rules"), "announcement_hash": N_("Announcement hash"),
              "seed_source": N_("Source of the seed"), "seed_date": N_("Date of the public value"),
              "public_value": N_("Public value"), "seed": N_("Seed"), "announced_by_id": N_("Announced by"),
              "announced_at": N_("Announced"), "value_entered_by_id": N_("Public value entered by"),
              "value_entered_at": N_("Public value entered"), "drawn_by_id": N_("Drawn by"),
              "drawn_at": N_("Drawn"), "result": N_("Result"), "result_sha256": N_("Result hash"),
              "chain_seq": N_("Place in the chain"), "previous_hash": N_("Previous record hash"),
              "record_hash": N_("Record hash")},
    "draw_snapshots": {"draw_id": N_("Random draw"), "position": N_("Position"), "kind": N_("Kind"),
                       "pool_id": N_("Pool"), "name": N_("Name"), "size": N_("Size"), "content": N_("Content"),
                       "sha256": N_("SHA-256")},
    "draw_assignments": {"draw_id": N_("Random draw"), "enterprise_id": N_("Enterprise"),
                         "on_site": N_("On-site check"), "position": N_("Position"),
                         "pool_position": N_("Pool snapshot"), "unit_id": N_("Checking unit"),
                         "details": N_("Details")},
    "draw_assignment_officers": {"assignment_id": N_("Drawn enterprise"), "position": N_("Position"),
                                 "user_id": N_("Officer"), "organisation_id": N_("Unit")},
    "checklists": {"code": N_("Code"), "name": N_("Name"), "prefixes": N_("Industry code prefixes"),
                   "active": N_("Active")},
    "checklist_versions": {"checklist_id": N_("Inspection checklist"), "number": N_("Version"),
                           "items": N_("Items"), "created_at": N_("Created"), "created_by_id": N_("Created by")},
    "campaigns": {"name": N_("Name"), "description": N_("Description"), "starts_on": N_("From"),
                  "ends_on": N_("To"), "checklist_id": N_("Inspection checklist"), "organisation_id": N_("Unit"),
                  "region_id": N_("Region"), "created_by_id": N_("Created by")},
    "campaign_targets": {"campaign_id": N_("Special enforcement campaign"), "enterprise_id": N_("Enterprise")},
    "inspections": {"number": N_("Inspection number"), "version": N_("Version"), "kind": N_("Kind"),
                    "status": N_("Status"), "enterprise_id": N_("Enterprise"), "region_id": N_("Region"),
                    "organisation_id": N_("Checking unit"), "on_site": N_("On-site check"),
                    "planned_on": N_("Planned date"), "assignment_id": N_("Drawn enterprise"),
                    "campaign_id": N_("Special enforcement campaign"), "complaint_id": N_("Complaint"),
                    "checklist_version_id": N_("Checklist version"), "findings": N_("Findings"),
                    "conclusion": N_("Conclusion"), "recorded_at": N_("Recorded"), "completed_at": N_("Completed"),
                    "case_id": N_("Case"), "created_by_id": N_("Created by")},
    "inspection_officers": {"inspection_id": N_("Inspection"), "user_id": N_("Officer"),
                            "position": N_("Position"), "confirmed_at": N_("Confirmed on")},
    "inspection_answers": {"inspection_id": N_("Inspection"), "item_key": N_("Item"),
                           "answer": N_("Result of the item"), "note": N_("Note")},
    "pollution_sources": {"name": N_("Name"), "kind": N_("Kind"), "region_id": N_("Region"),
                          "longitude": N_("Longitude"), "latitude": N_("Latitude"), "address": N_("Address"),
                          "organisation_id": N_("Responsible department"), "operator": N_("Operator"),
                          "active_from": N_("Active from"), "active_to": N_("Active until"), "note": N_("Note")},
    "hotspot_orders": {"number": N_("Order number"), "site_id": N_("Monitoring site"), "region_id": N_("Region"),
                       "parameter": N_("Parameter"), "alert_id": N_("Alert"), "case_id": N_("Case"),
                       "lead_unit_id": N_("Lead unit"), "hotspot_at": N_("Hotspot began"),
                       "observed": N_("Observed"), "reference": N_("Reference"),
                       "radius_km": N_("Search radius (km)"), "wind_from": N_("Wind direction"),
                       "suspects": N_("Suspect sources"), "instructions": N_("Instructions"),
                       "repeats": N_("Orders at the station"), "status": N_("Status"),
                       "dispatched_at": N_("Dispatched"), "dispatched_by_id": N_("Dispatched by"),
                       "respond_due": N_("Respond by"), "on_site_due": N_("On site by"), "reply_due": N_("Reply by"),
                       "responded_at": N_("Responded"), "on_site_at": N_("Arrived on site"),
                       "replied_at": N_("Replied"), "overdue": N_("Overdue"), "missed": N_("Time limits missed"),
                       "supervised_at": N_("Supervision notice"), "interview_proposed_at": N_("Interview proposed"),
                       "finding": N_("What was found"), "source_key": N_("Source found"),
                       "source_name": N_("Source found"), "measures": N_("Measures taken"),
                       "replied_by_id": N_("Replied by"), "check_result": N_("Result of the check"),
                       "check_note": N_("Note of the check"), "checked_at": N_("Checked"),
                       "checked_by_id": N_("Checked by"), "closed_at": N_("Closed")},
    "pollution_warnings": {"number": N_("Warning number"), "city_id": N_("City"), "city_wide": N_("Whole city"),
                           "level": N_("Warning level"), "pollutant": N_("Primary pollutant"),
                           "forecast": N_("Forecast"), "peak_aqi": N_("Forecast peak AQI"),
                           "planned_start": N_("Planned start"), "planned_end": N_("Planned end"),
                           "status": N_("Status"), "measures": N_("Measures and advice"),
                           "prepared_by_id": N_("Prepared by"), "prepared_at": N_("Prepared"),
                           "submitted_at": N_("Submitted for approval"), "approved_by_id": N_("Approved by"),
                           "approved_at": N_("Approved"), "decision_note": N_("Leader's note"),
                           "issued_by_id": N_("Issued by"), "issued_at": N_("Issued"), "lifted_at": N_("Lifted at")},
    "warning_areas": {"warning_id": N_("Heavy-pollution warning"), "region_id": N_("Region")},
    "warning_changes": {"warning_id": N_("Heavy-pollution warning"), "seq": N_("Position"), "kind": N_("Kind"),
                        "level": N_("Warning level"), "effective_at": N_("Effective from"),
                        "planned_end": N_("Planned end"), "approver_id": N_("Approved by"),
                        "recorded_by_id": N_("Recorded by"), "recorded_at": N_("Recorded"),
                        "reason": N_("Reason")},
    "warning_trigger_configs": {"rules": N_("Rules"), "preset": N_("Preset"), "changed_at": N_("Changed"),
                                "changed_by_id": N_("Changed by")},
    "control_entries": {"enterprise_id": N_("Enterprise"), "industry": N_("Guide industry"),
                        "livelihood": N_("Livelihood protection"), "transport": N_("Transport"),
                        "heavy_trucks": N_("Heavy trucks"), "note": N_("Note")},
    "control_measure_templates": {"industry": N_("Guide industry"), "grade": N_("Performance grade"),
                                  "level": N_("Warning level"), "kind": N_("Measure"), "percent": N_("Percent"),
                                  "processes": N_("Processes to stop"), "trucks": N_("Transport rule"),
                                  "source": N_("Source")},
    "control_overrides": {"entry_id": N_("Control list entry"), "level": N_("Warning level"),
                          "kind": N_("Measure"), "percent": N_("Percent"), "processes": N_("Processes to stop"),
                          "trucks": N_("Transport rule"), "reason": N_("Reason")},
    "control_schedules": {"entry_id": N_("Control list entry"), "level": N_("Warning level"),
                          "weekdays": N_("Weekdays"), "start_minute": N_("From"), "end_minute": N_("To")},
    "control_normal_emissions": {"enterprise_id": N_("Enterprise"), "line_id": N_("Production line"),
                                 "pollutant": N_("Pollutant"), "kg_per_day": N_("Emission (kg/d)")},
    "control_county_baselines": {"region_id": N_("County"), "pollutant": N_("Pollutant"),
                                 "kg_per_day": N_("Emission (kg/d)"), "year": N_("Inventory year"),
                                 "source": N_("Source")},
}  # fmt: skip
# Events that are no row change (`audit.service.record_event`) and the keys of their detail.
ACTIONS = {
    "create": N_("Record created"),
    "update": N_("Changed"),
    "delete": N_("Deleted"),
    "login": N_("Signed in"),
    "logout": N_("Signed out"),
    "login_failed": N_("Sign-in failed"),
    "login_locked": N_("Sign-in refused (locked)"),
    "password_link_failed": N_("Set-password link refused"),
    "upload": N_("Uploaded monitoring data"),
    "accept_conflict": N_("Accepted a conflicting value"),
    "brief_generated": N_("Generated a brief"),
    "brief_marked": N_("Changed who receives a brief"),
}
EVENT_FIELDS = {
    "username": N_("Username"),
    # Uploads of monitoring data and accepted conflicts (`observations`, issue 13).
    "via": N_("Way in"),
    "file": N_("File"),
    "size": N_("Size (bytes)"),
    "format": N_("File layout"),
    "rows": N_("Rows"),
    "stored": N_("Stored"),
    "duplicates": N_("Duplicates"),
    "conflicts": N_("Conflicting values"),
    "refused": N_("Refused"),
    "site_id": N_("Site"),
    "parameter": N_("Parameter"),
    "interval": N_("Interval"),
    "time": N_("Data time"),
    "value": N_("Value"),
    "flag": N_("Flag"),
    "source": N_("Data source"),
    "replaced_value": N_("Replaced value"),
    "replaced_flag": N_("Replaced flag"),
    "replaced_source": N_("Source of the replaced value"),
    # Briefs (`reports`, issue 17): a version generated, a brief kept internal or shared.
    "kind": N_("Kind"),
    "period": N_("Period"),
    "version": N_("Version"),
    "number": N_("Document number"),
    "internal": N_("Internal"),
}
# How monitoring data came in (`via` of an upload record).
VIA_LABELS = {"form": N_("Upload page"), "api": N_("API")}
# The system processes that act without a user (`audit.service.Actor` labels).
SYSTEM_ACTORS = {
    "anonymous": N_("Anonymous"),
    "cli": N_("Command line"),
    "demo-loader": N_("Demo data loader"),
    "scheduler": N_("Scheduled jobs"),
    "alerts": N_("Alert engine"),
    "webhooks": N_("Webhook delivery"),
    "citizen": N_("A citizen (public channel)"),
}
# Fields whose values are codes and identifiers, shown as they are (as code).
LITERAL_FIELDS = frozenset(
    {"code", "number", "mn", "credit_code", "username", "url", "prefix", "external_ref", "industry_code", "path",
     "document"}
)  # fmt: skip
# Fields that say nothing new on a created record.
_QUIET_ON_CREATE = frozenset({"id", "created_at", "updated_at", "version"})
_PARAMETER_FIELDS = frozenset({("outlet_limits", "pollutant"), ("data_corrections", "parameter")})


@dataclass(frozen=True)
class Change:
    """One field of an audit record: its label and its values before and after, as text."""

    field: str
    before: str
    after: str
    literal: bool = False


@dataclass(frozen=True)
class AuditEntry:
    """An audit record as the log page shows it."""

    record: AuditRecord
    actor: str
    action: str
    table: str
    changes: list[Change]


def table_label(table: str) -> str:
    """The label of an audited table (a record of an unknown table is just a record)."""
    return gettext(TABLES.get(table, N_("Record")))


def field_label(table: str, name: str) -> str:
    """The label of a field of an audited table, or of an event's detail."""
    message = FIELDS.get(table, {}).get(name) or COMMON_FIELDS.get(name) or EVENT_FIELDS.get(name)
    return gettext(message) if message else name


@cache
def _column_types() -> dict[tuple[str, str], Any]:
    """The column types of every audited model, by (table, column)."""
    types = {}
    for mapper in Base.registry.mappers:
        if getattr(mapper.class_, "__audit__", False):
            table = mapper.class_.__tablename__
            for attr in mapper.column_attrs:
                if not attr.columns[0].info.get("audit_ignore"):
                    types[table, attr.key] = attr.columns[0].type
    return types


def enum_label(member: StrEnum) -> str:
    """An enum member by its label (`.label`, a message id), or by its value for an enum without labels."""
    label = getattr(member, "label", None)
    return gettext(label) if isinstance(label, str) else member.value


# Labels that a capability keeps outside its enums and its tables' fields: the values and the keys inside its JSON
# fields (the alert rules' parameters). The capability registers them here (`register_labels`, called by
# `ecoloop.app`), so that the audit trail imports no capability (issue 14).
_NESTED_VALUES: dict[str, dict[str, str]] = {}
_NESTED_KEYS: dict[str, str] = {}


def register_labels(
    *, values: Mapping[str, Mapping[Any, str]] | None = None, keys: Mapping[str, str] | None = None
) -> None:
    """Give the audit log the words of a capability: labels of the values under a key of a JSON field
    (`{"severity": {"high": ...}}`), and of the keys of a JSON field. Enum members name themselves (`.label`)."""
    for key, labels in (values or {}).items():
        _NESTED_VALUES.setdefault(key, {}).update({str(v): label for v, label in labels.items()})
    _NESTED_KEYS.update(keys or {})


def value_text(table: str, name: str, value: Any, zone: tzinfo) -> str:
    """A stored value of a field as text: hidden secrets, yes/no, enum labels, local times, parameter names,
    and nested values (rule parameters) as `label: value` pairs."""
    if value is None or value == "":
        return ""
    if value == REDACTED:
        return gettext("(hidden)")
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    kind = _column_types().get((table, name))
    if isinstance(kind, StrEnumType) and isinstance(value, str) and value in kind.enum._value2member_map_:
        return enum_label(kind.enum(value))
    if isinstance(kind, UtcDateTime) and isinstance(value, str):
        return _local(value, zone)
    if (table, name) in _PARAMETER_FIELDS and isinstance(value, str):
        return parameters.name(value)
    if table == "observations" and isinstance(value, str):
        return _observation_text(name, value, zone)
    if isinstance(value, Mapping):
        return "\uff1b".join(f"{_key(table, k)}\uff1a{_nested(table, k, v, zone)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "\u3001".join(value_text(table, name, v, zone) for v in value)
    return str(value)


def _observation_text(name: str, value: str, zone: tzinfo) -> str:
    """A value of an upload or accepted-conflict record: the way in, sources, parameters and times in words."""
    if name == "via" and value in VIA_LABELS:
        return gettext(VIA_LABELS[value])
    if name in {"source", "replaced_source"}:
        source, who = parse_source(value)
        if source is not None:
            return f"{gettext(source.label)} {who}" if who else gettext(source.label)
    if name == "parameter":
        return parameters.name(value)
    if name == "time":
        return _local(value, zone)
    return value


def _nested(table: str, key: str, value: Any, zone: tzinfo) -> str:
    """A value inside a JSON field: rule parameters name severities, area levels, noise periods and pollutants by
    code."""
    if isinstance(value, str) and value in _NESTED_VALUES.get(key, {}):
        return gettext(_NESTED_VALUES[key][value])
    if key in _NESTED_VALUES and isinstance(value, list | tuple):
        return "\u3001".join(_nested(table, key, v, zone) for v in value)
    if key in ("parameters", "quantities") and isinstance(value, list | tuple):
        return "\u3001".join(parameters.name(str(v)) for v in value)
    return value_text(table, key, value, zone)


def _key(table: str, key: str) -> str:
    label = field_label(table, key)
    if label != key:
        return label
    return gettext(_NESTED_KEYS[key]) if key in _NESTED_KEYS else key


def _local(value: str, zone: tzinfo) -> str:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        return date.fromisoformat(value[:10]).isoformat() if len(value) == 10 else value
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def entry(record: AuditRecord, zone: tzinfo) -> AuditEntry:
    """An audit record in words: its action, its table and each field that changed (on creation, each field
    that was set; on deletion, each field that was held)."""
    table = record.entity_type
    before, after = record.before or {}, record.after or {}
    changes = []
    for name in dict.fromkeys([*before, *after]):
        old, new = before.get(name), after.get(name)
        if record.action == "create" and (name in _QUIET_ON_CREATE or new in (None, "")):
            continue
        if record.action == "delete" and old in (None, ""):
            continue
        if record.action == "update" and old == new and old != REDACTED:  # a secret that changed stays hidden
            continue
        old_text, new_text = value_text(table, name, old, zone), value_text(table, name, new, zone)
        changes.append(Change(field_label(table, name), old_text, new_text, name in LITERAL_FIELDS))
    action = gettext(ACTIONS[record.action]) if record.action in ACTIONS else record.action
    actor = record.actor_label
    if record.actor_user_id is None and actor in SYSTEM_ACTORS:
        actor = gettext(SYSTEM_ACTORS[actor])
    return AuditEntry(record, actor, action, table_label(table), changes)


def audited_tables() -> list[str]:
    """The tables of the audited models (`__audit__`), for the log's filter and the completeness test."""
    return sorted({t for t, _name in _column_types()})


def audited_columns() -> list[tuple[str, str]]:
    """(table, column) of every audited column (secrets included)."""
    return sorted(_column_types())
