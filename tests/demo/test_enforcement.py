"""The demo city's enforcement: the winter campaign's inspections, penalty cases at every stage with live clocks,
and the year's case-file review with one file passed and one returned to its branch."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.casereviews.enums import FileStatus
from ecoloop.casereviews.models import ReviewFile
from ecoloop.cases.models import Case
from ecoloop.demo.enforcement import add_demo_enforcement
from ecoloop.demo.service import load_demo
from ecoloop.draws.enums import DrawStatus
from ecoloop.draws.models import Draw
from ecoloop.draws.verification import verify
from ecoloop.inspections.enums import Conclusion, Kind, Status
from ecoloop.inspections.models import Inspection
from ecoloop.penalties.enums import Approval, Stage
from ecoloop.penalties.models import PenaltyCase

ZONE = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("now", [datetime(2026, 12, 7, 2, tzinfo=UTC), datetime(2027, 2, 10, 2, tzinfo=UTC)])
def test_demo_enforcement_is_live_whatever_the_day(db: Session, tmp_path: Path, now: datetime) -> None:
    load_demo(db, now=now)
    added = add_demo_enforcement(db, now, tmp_path, ZONE)
    assert added["penalty cases"] == 4
    # The winter campaign: six inspections completed (one found a violation), two planned for today.
    campaign = select(Inspection).where(Inspection.kind == Kind.CAMPAIGN)
    done = list(db.scalars(campaign.where(Inspection.status == Status.COMPLETED)))
    assert len(done) == 6 and [i.conclusion for i in done].count(Conclusion.VIOLATION) == 1
    today = list(db.scalars(campaign.where(Inspection.status == Status.PLANNED)))
    assert len(today) == 2 and {o.user.username for i in today for o in i.officers} == {"inspector", "inspector2"}
    # The quarter's random check: drawn, verified, its inspections planned and half of them done.
    [draw] = db.scalars(select(Draw))
    checked = verify(db, draw.id)
    assert draw.status is DrawStatus.DRAWN and checked is not None and checked.ok, checked
    random = list(db.scalars(select(Inspection).where(Inspection.kind == Kind.RANDOM)))
    assert len(random) == len(draw.assignments) == added["enterprises drawn"] >= 10
    assert sum(i.status is Status.COMPLETED for i in random) == added["random checks done"] == (len(random) + 1) // 2
    cases = list(db.scalars(select(PenaltyCase).order_by(PenaltyCase.id)))
    assert [c.stage for c in cases] == [Stage.CLOSED, Stage.CLOSED, Stage.NOTIFIED, Stage.PROPOSED]
    assert cases[3].awaiting is Approval.REGISTRATION
    found = next(i for i in done if i.conclusion is Conclusion.VIOLATION)
    assert cases[2].inspection_id == found.id and cases[2].enterprise_id == found.enterprise_id
    # Each registered case put its problem into the closed loop.
    assert all(db.get(Case, c.case_id) is not None for c in cases[:3])
    files = {f.penalty_case_id: f for f in db.scalars(select(ReviewFile))}
    assert files[cases[0].id].status is FileStatus.SCORED
    returned = files[cases[1].id]
    assert returned.status is FileStatus.RETURNED and returned.score is not None and returned.score < 70
    assert add_demo_enforcement(db, now, tmp_path, ZONE) == {}
