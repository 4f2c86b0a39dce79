"""What a brief says, as data (pure): the values its Word template prints, the tables its workbook holds and the
charts it draws. Each kind of brief (`daily`, `weekly`, `monthly`, `annual`) builds one `Content` from the engine's
results; `documents` turns it into .docx and .xlsx, and `service` keeps it with the version it was generated as.

Numbers are formatted here, once, with the standards' rounding, and passed to the template as text: a bureau's edit
of the template can move a number but never change it, so the brief says what the pages say. The tables keep the
numbers as numbers (the workbook's cells) beside the same text (the document's cells).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any, Literal, Protocol

from sqlalchemy.orm import Session

from ecoloop.i18n import gettext
from ecoloop.regions.models import Region
from ecoloop.reports.config import Config
from ecoloop.reports.enums import ReportKind
from ecoloop.reports.layout import Block
from ecoloop.reports.periods import ReportPeriod
from ecoloop.results import periods as result_periods
from ecoloop.results.queries import ResultReads

Cell = str | int | Decimal | date | None


@dataclass(frozen=True)
class Table:
    """A table of the brief: in the document under its `name` in the template's context (a list of rows, each a
    dict of column key → text), and a sheet of the workbook (the same rows, numbers as numbers). The first column
    names the row (a county, a unit, a station): rows are compared by it when a brief is regenerated."""

    name: str  # context key, e.g. "counties"
    title: str  # the sheet's title, translated
    columns: Sequence[tuple[str, str]]  # (key, translated header)
    rows: Sequence[Mapping[str, Cell]]

    def text_rows(self) -> list[dict[str, str]]:
        """The rows as the document prints them."""
        return [{key: text(row.get(key)) for key, _ in self.columns} for row in self.rows]


@dataclass(frozen=True)
class Chart:
    """A chart drawn as an image into the document under `name`: bars or lines over the categories."""

    name: str
    title: str
    kind: Literal["bar", "line"]
    categories: Sequence[str]
    series: Sequence[tuple[str, Sequence[float | None]]]  # (translated name, values by category)
    unit: str = ""
    limit: float | None = None  # a horizontal line (a standard's limit, a target)


@dataclass(frozen=True)
class Content:
    """A brief: scalar values (text) for the template, its tables and its charts. `region_id` is the area it is
    about: the city, or one county (a county's own assessment)."""

    region_id: int
    values: Mapping[str, str | Sequence[str]]
    tables: Sequence[Table] = ()
    charts: Sequence[Chart] = ()

    def __post_init__(self) -> None:
        # One name, one thing: a table or chart named like a value would silently replace it in the template.
        names = [*self.values, *(t.name for t in self.tables), *(c.name for c in self.charts)]
        clashes = sorted({n for n in names if names.count(n) > 1})
        if clashes:
            raise ValueError(f"a brief's values, tables and charts share names: {clashes}")

    def context(self) -> dict[str, Any]:
        """The template's context without the images: the values, and each table's rows as text."""
        found: dict[str, Any] = dict(self.values)
        for table in self.tables:
            found[table.name] = table.text_rows()
        return found


@dataclass
class Source:
    """What a brief is built from: the session (unscoped: the brief is the bureau's; who may read which brief is
    decided when it is read), the results as the pages read them, the bureau's time zone, the city, the moment
    of generation and the settings in force."""

    session: Session
    reads: ResultReads
    tz: tzinfo
    city: Region
    now: datetime
    config: Config = field(default_factory=Config)

    def area_statistics(
        self, first: date, last: date, region_ids: Sequence[int] | None = None
    ) -> dict[int, result_periods.Statistics]:
        """The air statistics of areas (city, counties, towns) over first…last, as the pages compute them."""
        period = result_periods.range_period(first, last)
        return result_periods.statistics(self.reads.lazy_con(), self.reads.root, "areas", period, region_ids)

    def station_statistics(
        self, first: date, last: date, site_ids: Sequence[int] | None = None
    ) -> dict[int, result_periods.Statistics]:
        """The air statistics of stations over first…last."""
        period = result_periods.range_period(first, last)
        return result_periods.statistics(self.reads.lazy_con(), self.reads.root, "stations", period, site_ids)


@dataclass(frozen=True)
class Column:
    """A table's column: its key in the rows and its header, a message id."""

    key: str
    label: str


def columns(headers: Mapping[str, str]) -> list[tuple[str, str]]:
    """The columns `headers` (key → header, a message id) with their headers in the current language."""
    return [(column.key, gettext(column.label)) for column in (Column(k, v) for k, v in headers.items())]


def text(value: Cell) -> str:
    """A cell as the document prints it: a dash for nothing, dates as ISO, numbers as they are (already rounded),
    decimals grouped by thousands."""
    if value is None:
        return "—"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:,}"  # amounts in thousands (300,000.00), as the sentences write them
    return str(value)


def signed(value: Decimal | int | None, unit: str = "") -> str:
    """A change with its sign: +3.2, a true minus sign (U+2212) before a fall, 0 unsigned."""
    if value is None:
        return "—"
    if value > 0:
        return f"+{value}{unit}"
    if value < 0:
        return f"\u2212{-value}{unit}"
    return f"{value}{unit}"


class Brief(Protocol):
    """A kind of brief: its title for a period, its default layout, and its content built from the engine: the
    city's first, then any county's own version (the monthly assessment gives each county its own)."""

    kind: ReportKind

    def title(self, period: ReportPeriod) -> str: ...

    def layout(self) -> Sequence[Block]: ...

    def build(self, source: Source, period: ReportPeriod) -> Sequence[Content]: ...
