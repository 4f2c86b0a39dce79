"""The cases in an enterprise's file: all of them, those that came from inspections and those from public
complaints (`ecoloop.app` registers `SECTIONS` with `ecoloop.enterprises.sections`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import partial

from sqlalchemy.orm import Session

from ecoloop.access.principal import Principal
from ecoloop.cases import queries
from ecoloop.cases.enums import CaseSource
from ecoloop.cases.queries import CaseFilter
from ecoloop.i18n import N_, gettext

CASES_SHOWN = 50
CASE_FILTERS = (
    ("cases", N_("Cases"), CaseFilter()),
    ("inspections", N_("Inspections"), CaseFilter(source=CaseSource.INSPECTION)),
    ("complaints", N_("Complaints"), CaseFilter(source=CaseSource.COMPLAINT)),
)


def case_rows(db: Session, p: Principal, enterprise_id: int, f: CaseFilter) -> list[tuple[str, str]]:
    """Links to the enterprise's cases the user may see, newest first: (href, "number · title · state")."""
    found = queries.search_cases(
        db, p, dataclasses.replace(f, enterprise_id=enterprise_id), limit=CASES_SHOWN, offset=0
    )
    return [(f"/cases/{c.id}", f"{c.number} · {c.title} · {gettext(c.state.label)}") for c in found]


# (key, title message, links of one enterprise) of each section, in the order the file shows them.
SECTIONS: tuple[tuple[str, str, Callable[[Session, Principal, int], list[tuple[str, str]]]], ...] = tuple(
    (key, title, partial(case_rows, f=f)) for key, title, f in CASE_FILTERS
)
