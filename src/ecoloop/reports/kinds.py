"""The kinds of brief, by kind (each module's `BRIEF`), in the bureau's rhythm: day, week, month, year."""

from __future__ import annotations

from ecoloop.reports import annual, daily, monthly, weekly
from ecoloop.reports.content import Brief
from ecoloop.reports.enums import ReportKind

BRIEFS: dict[ReportKind, Brief] = {
    brief.kind: brief for brief in (daily.BRIEF, weekly.BRIEF, monthly.BRIEF, annual.BRIEF)
}
