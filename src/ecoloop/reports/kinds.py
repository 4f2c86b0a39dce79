"""The kinds of brief, by kind (each module's `BRIEF`)."""

from __future__ import annotations

from ecoloop.reports import daily, monthly
from ecoloop.reports.content import Brief
from ecoloop.reports.enums import ReportKind

BRIEFS: dict[ReportKind, Brief] = {brief.kind: brief for brief in (daily.BRIEF, monthly.BRIEF)}
