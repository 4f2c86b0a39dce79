"""The yearly review summary as a workbook (through `ecoloop.exports`): per unit, per officer, the most frequent
deductions; headers in the reader's language."""

from __future__ import annotations

from typing import Any

from ecoloop.casereviews.enums import Grade
from ecoloop.casereviews.queries import Summary, Tally
from ecoloop.exports import append_row, new_workbook, workbook_bytes
from ecoloop.i18n import gettext


def _tally_header(first: str, with_unit: bool = False) -> list[str]:
    """`first` is the first column's header, already translated."""
    return [
        first,
        *([gettext("Handling unit")] if with_unit else []),
        gettext("Files scored"),
        gettext("Mean score"),
        *(gettext(g.label) for g in Grade),
        gettext("Vetoed"),
        gettext("Returned for correction"),
        gettext("Correction accepted"),
    ]


def _tally_row(tally: Tally, with_unit: bool = False) -> list[Any]:
    first: list[Any] = [tally.name] + ([tally.unit] if with_unit else [])
    mean = float(tally.mean) if tally.mean is not None else None
    grades = [tally.by_grade[g] for g in Grade]
    return [*first, tally.files, mean, *grades, tally.vetoed, tally.returned, tally.corrected]


def summary_workbook(summary: Summary) -> bytes:
    """Three sheets: units, officers, deductions."""
    book = new_workbook()
    units = book.create_sheet(gettext("Scores per unit")[:31])
    append_row(units, _tally_header(gettext("Handling unit")))
    for tally in summary.units:
        append_row(units, _tally_row(tally))
    total = summary.total
    total.name = gettext("All units")
    append_row(units, _tally_row(total))
    officers = book.create_sheet(gettext("Scores per officer")[:31])
    append_row(officers, _tally_header(gettext("Officer"), with_unit=True))
    for tally in summary.officers:
        append_row(officers, _tally_row(tally, with_unit=True))
    deductions = book.create_sheet(gettext("Frequent deductions")[:31])
    append_row(deductions, [gettext("Review item"), gettext("Sub-point"), gettext("Times"), gettext("Points deducted")])
    for d in summary.deductions:
        append_row(deductions, [d.item, d.text, d.times, float(d.points)])
    return workbook_bytes(book)
