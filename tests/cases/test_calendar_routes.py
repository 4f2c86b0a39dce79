"""The working-day calendar page (`/admin/calendar`): a year's holidays from the package, a year it does not know
announced as such, the administrator's entries saved, used by the deadlines, refused with a reason, removed; no one
else may keep it."""

from __future__ import annotations

from datetime import date

import httpx
from sqlalchemy.orm import Session

from ecoloop.cases.queries import work_calendar
from tests.factories import World
from tests.web.helpers import csrf_for, open_session, parse, reread


async def test_the_administrator_enters_next_years_holidays(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "admin")
    known = parse((await client.get("/admin/calendar?year=2026")).text)
    row = known.find("tr", data_day="2026-10-10")
    assert row is not None and "工作日" in row.text and "国庆节" in row.text  # the make-up Saturday
    assert known.find("p", id="unknown-year") is None
    unknown = parse((await client.get("/admin/calendar?year=2027")).text)
    assert "2027年的节假日安排尚未录入" in unknown.find("p", id="unknown-year").text

    csrf = await csrf_for(client)
    for day, workday, name in (("2027-01-01", "false", "元旦"), ("2027-01-10", "true", "元旦调休上班")):
        saved = await client.post(
            "/admin/calendar", data={"csrf_token": csrf, "day": day, "workday": workday, "name": name}
        )
        assert saved.status_code == 303
    page = parse((await client.get("/admin/calendar?year=2027")).text)
    assert page.find("p", id="unknown-year") is None
    assert "本局录入" in page.find("tr", data_day="2027-01-10").text
    reread(app_db)
    calendar = work_calendar(app_db)
    assert not calendar.is_workday(date(2027, 1, 1)) and calendar.is_workday(date(2027, 1, 10))
    # Thursday 31 December 2026 + 1 working day: 1 January is the holiday entered, so Monday 4 January.
    assert calendar.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 4)

    refused = await client.post("/admin/calendar", data={"csrf_token": csrf, "day": "2027-13-01", "workday": "false"})
    assert refused.status_code == 422 and "2027-01-01的格式" in parse(refused.text).find("p", class_="alert").text
    removed = await client.post("/admin/calendar/clear", data={"csrf_token": csrf, "day": "2027-01-10"})
    assert removed.status_code == 303
    reread(app_db)
    assert not work_calendar(app_db).is_workday(date(2027, 1, 10))  # an ordinary Sunday again

    for name in ("analyst", "branch_a"):
        open_session(app_db, client, name)
        assert (await client.get("/admin/calendar")).status_code == 403
