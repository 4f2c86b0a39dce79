"""The after-action report of a warning: compliance per county and industry, the flagged enterprises, the levels
held and the air quality against the forecast, with figures worked by hand; and its Word document."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from sqlalchemy.orm import Session

from ecoloop.analytics import backends
from ecoloop.episodes import service
from ecoloop.episodes.enums import WarningLevel
from ecoloop.episodes.models import PollutionWarning
from ecoloop.reports import after_action
from ecoloop.reports.after_action import Compliance, Flag, ListedEnterprise, compliance
from ecoloop.reports.models import AirForecast
from ecoloop.results.air import AIR_DAY_AREA, AIR_HOUR_AREA
from ecoloop.results.queries import ResultReads
from tests.conftest import make_settings
from tests.episodes.conftest import NOW, H, issued
from tests.factories import World, plant_results

TZ = ZoneInfo("Asia/Shanghai")
T = datetime(2026, 12, 10, 8, tzinfo=UTC)


def _e(i: int, county: str, industry: str, required: bool = True) -> ListedEnterprise:
    return ListedEnterprise(i, f"企业{i}", county, industry, required)


LISTED = [
    _e(1, "清源区", "水泥", True),
    _e(2, "清源区", "水泥", True),
    _e(3, "清源区", "钢铁", False),  # A grade: reduces on its own, not in the rate
    _e(4, "临河县", "钢铁", True),
    _e(5, "临河县", "钢铁", True),
    _e(6, "临河县", "钢铁", True),
]
FLAGS = [
    Flag(1, "production", T + 5 * H),
    Flag(1, "treatment", T + H),
    Flag(3, "production", T),
    Flag(5, "production", T + 2 * H),
    Flag(99, "production", T),  # not on the list: left out
]


def test_compliance_per_county_and_industry() -> None:
    figures = compliance(LISTED, FLAGS)
    # Required 1, 2, 4, 5, 6 (5); flagged among them 1 and 5 (2): (5 - 2) / 5 = 60.0 %.
    assert figures.overall == Compliance("", 6, 5, 2)
    assert figures.overall.rate == Decimal("60.0")
    # 临河县: 4, 5, 6 required, 5 flagged: 2 / 3 = 66.7 %; 清源区: 1, 2 required, 1 flagged: 50.0 %.
    assert [(c.group, c.listed, c.required, c.flagged, c.rate) for c in figures.by_county] == [
        ("临河县", 3, 3, 1, Decimal("66.7")),
        ("清源区", 3, 2, 1, Decimal("50.0")),
    ]
    # 水泥: 1, 2 required, 1 flagged: 50.0 %; 钢铁: 4, 5, 6 required (3 is not), 5 flagged: 66.7 %.
    assert [(c.group, c.required, c.flagged, c.rate) for c in figures.by_industry] == [
        ("水泥", 2, 1, Decimal("50.0")),
        ("钢铁", 3, 1, Decimal("66.7")),
    ]
    # Flagged: 3 counts here though not in the rate; 1's flags the first first.
    assert [(f.enterprise.enterprise_id, [x.kind for x in f.flags]) for f in figures.flagged] == [
        (5, ["production"]),
        (1, ["treatment", "production"]),
        (3, ["production"]),
    ]


def test_a_group_with_no_one_required_has_no_rate() -> None:
    assert Compliance("x", 2, 0, 0).rate is None


@pytest.fixture
def reads(tmp_path: Path) -> Iterator[ResultReads]:
    settings = make_settings(tmp_path)
    with ResultReads(settings.results_root, partial(backends.reading, settings)) as r:
        yield r


def _episode(db: Session, world: World) -> PollutionWarning:
    """Yellow from 12-10 00:00 (Beijing), orange from 12-11 00:00, lifted at 12-11 18:00."""
    w = issued(db, world)
    start = NOW + 8 * H  # 2026-12-10 00:00 Beijing
    leader = world.users["leader"]
    service.change_level(db, leader, w.id, level=WarningLevel.ORANGE, effective_at=start + 24 * H, reason="加重",
                         now=start + 23 * H)  # fmt: skip
    service.lift(db, leader, w.id, effective_at=start + 42 * H, reason="好转", now=start + 42 * H)
    return w


def test_the_episode_against_the_forecast(db: Session, world: World, reads: ResultReads) -> None:
    w = _episode(db, world)
    d1, d2 = date(2026, 12, 10), date(2026, 12, 11)
    city = world.city.id
    plant_results(
        reads.root,
        AIR_DAY_AREA,
        [
            {"region_id": city, "day": d1, "aqi": 230, "level": 5},
            {"region_id": city, "day": d2, "aqi": 260, "level": 5},
        ],
    )
    hours = [(d1, 10, 280), (d2, 8, 290), (d2, 20, 300)]  # 12-11 20:00 is after the lift: not the peak
    plant_results(
        reads.root,
        AIR_HOUR_AREA,
        [
            {
                "region_id": city,
                "day": d,
                "hour_start": datetime(d.year, d.month, d.day, h, tzinfo=UTC).replace(tzinfo=None),
                "aqi": a,
            }
            for d, h, a in hours
        ],
    )
    for day in (d1, d2):
        db.add(AirForecast(region_id=city, day=day, aqi_low=201, aqi_high=250, imported_by="test"))
    db.flush()
    report = after_action.build(db, reads, w, now=NOW + 100 * H, tz=TZ)
    assert not report.interim
    assert [(r.start, r.end, r.hours) for r in report.levels] == [
        (NOW + 8 * H, NOW + 32 * H, Decimal("24.0")),
        (NOW + 32 * H, NOW + 50 * H, Decimal("18.0")),
    ]
    assert [(d.day, d.forecast, d.aqi, d.within) for d in report.days] == [
        (d1, (201, 250), 230, True),
        (d2, (201, 250), 260, False),
    ]
    assert report.heavy_days == 2
    assert report.forecast_hits == (1, 2)
    assert [(p.aqi, p.hour) for p in report.peaks] == [
        (290, datetime(2026, 12, 11, 8, tzinfo=UTC).replace(tzinfo=None))
    ]  # local, as stored
    # The composition's reader (`reports.after_action_inputs`): no enterprise is on this city's list.
    assert report.figures is not None and report.figures.overall.listed == 0

    registered = list(after_action._INPUTS)
    after_action.register_inputs(lambda session, warning: (LISTED, FLAGS))
    try:
        report = after_action.build(db, reads, w, now=NOW + 100 * H, tz=TZ)
        data = after_action.document(db, report, now=NOW + 100 * H, tz=TZ)
    finally:
        after_action._INPUTS[:] = registered
    assert report.figures is not None and report.figures.overall.rate == Decimal("60.0")
    text = "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
    assert w.number in text
    assert "60.0%" in text
    tables = Document(io.BytesIO(data)).tables
    cells = [[c.text for c in row.cells] for t in tables for row in t.rows]
    assert ["临河县", "3", "1", "66.7%"] in cells
    assert [world.city.name, "2026-12-11", "201-250", "260"] in [row[:4] for row in cells]


def test_an_interim_report_while_in_force(db: Session, world: World) -> None:
    w = issued(db, world)
    report = after_action.build(db, None, w, now=NOW + 20 * H, tz=TZ)
    assert report.interim
    assert report.end == NOW + 56 * H  # the planned end
    # Days so far: 12-10 (Beijing) only, as of 12-10 12:00.
    assert [d.day for d in report.days] == [date(2026, 12, 10)]
    assert after_action.document(db, report, now=NOW + 20 * H, tz=TZ)[:2] == b"PK"
