"""Two reviewers submitting their sheets of one file at the same moment: each transaction read the other's sheet as
not yet submitted, so neither would settle the file and it would wait forever with both sheets in. The second step
on a stale copy of the file fails instead, and done again it settles the file."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.audit.service import Actor, set_actor
from ecoloop.casereviews import service
from ecoloop.casereviews.enums import FileStatus
from ecoloop.casereviews.models import ReviewFile
from ecoloop.identity.models import User
from tests.casereviews.conftest import NOW, penalty_case, review_people
from tests.factories import World


def test_a_sheet_submitted_on_a_stale_copy_of_the_file_is_refused(app_db: Session, app_world: World) -> None:
    w = app_world
    review = review_people(app_db, w)
    case = penalty_case(app_db, w, w.branch_b, [review.officer_b])
    round_ = service.create_round(
        app_db,
        name="2026年度行政处罚案卷评查",
        year=2026,
        period_from=date(2026, 1, 1),
        period_to=date(2026, 12, 31),
        by=w.users["analyst"],
        now=NOW,
    )
    app_db.commit()
    file_id = app_db.scalars(select(ReviewFile.id).filter_by(round_id=round_.id, penalty_case_id=case.id)).one()
    with Session(app_db.get_bind(), expire_on_commit=False) as other:
        set_actor(other, Actor(label="analyst"))
        theirs = other.get_one(ReviewFile, file_id)
        assert len(theirs.sheets) == 2  # both unsubmitted as the analyst's request reads them
        mine = app_db.get_one(ReviewFile, file_id)
        service.submit_sheet(app_db, mine, w.users["leader"], [], {}, NOW)
        app_db.commit()
        analyst = other.get_one(User, w.users["analyst"].id)
        with pytest.raises(service.ReviewError, match="concurrent"):
            service.submit_sheet(other, theirs, analyst, [], {}, NOW)
        other.rollback()
        again = other.get_one(ReviewFile, file_id)
        other.refresh(again)
        service.submit_sheet(other, again, analyst, [], {}, NOW)
        other.commit()
        assert (again.status, again.score) == (FileStatus.SCORED, Decimal(100))
