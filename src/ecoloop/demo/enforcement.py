"""The demo city's enforcement (issue 19): the quarter's random check (双随机) drawn and half inspected, the winter
special campaign (专项执法) with inspections done, found
compliant or not, and some planned for today on the officers' phones; penalty cases at every stage of their
procedure — two closed, one told (告知) and waiting for the party, one awaiting the leader's 立案 — and the year's
case-file review (案卷评审) with one file passed and one returned to its branch with the points named.

Dates are counted back from the day the demo is loaded, so the clocks are live: the told case's decision is due in
some weeks, the proposed one waits for the leader today. `add_demo_enforcement` adds nothing when the demo's penalty
cases are there already.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.casereviews import rules as review_rules
from ecoloop.casereviews import service as reviews
from ecoloop.casereviews.models import ReviewFile
from ecoloop.cases.service import Acting
from ecoloop.demo.evidence import evidence_png
from ecoloop.draws import service as draws
from ecoloop.enterprises.models import Enterprise
from ecoloop.identity.models import User
from ecoloop.identity.service import principal_for
from ecoloop.inspections import service as inspections
from ecoloop.inspections.enums import Answer, Conclusion, Kind
from ecoloop.inspections.models import Inspection
from ecoloop.inspections.rules import Record, Response
from ecoloop.penalties import service as penalties
from ecoloop.penalties.enums import DecisionKind, EvidenceKind
from ecoloop.penalties.models import PenaltyCase
from ecoloop.penalties.procedure import Entry, Step
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region

# The fixture's enterprises the cases are about (demo/city.json).
XINYUAN = "91371821683814002E"  # 临河县鑫源化工, county 371821 (branch 刘洋 and 周斌)
HUANYU = "913718022014288987"  # 清源市环宇汽车维修, county 371802 (branch 吴磊 and 钱峰)

# The benchmark's circumstances of an emission over the limit (penalties/benchmark.json factor codes).
OVER_LIMIT = {
    "exceed": "lt3",
    "duration": "lt7d",
    "sensitive": "near",
    "repeat": "first",
    "rectify": "in_time",
    "harm": "general",
}


@dataclass
class People:
    """The demo's users by username, and acting as one (also for the air control demo)."""

    session: Session

    def user(self, username: str) -> User:
        return self.session.scalars(select(User).where(User.username == username)).one()

    def acting(self, username: str) -> Acting:
        user = self.user(username)
        return Acting(user, principal_for(user, self.session))


def _at(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(10, 0), zone).astimezone(UTC)


def _enterprise(session: Session, credit_code: str) -> Enterprise:
    return session.scalars(select(Enterprise).where(Enterprise.credit_code == credit_code)).one()


class _Walk:
    """Steps of one penalty case, each on its own day."""

    def __init__(self, people: People, case: PenaltyCase, zone: tzinfo, root: Path) -> None:
        self.people, self.case, self.zone, self.root = people, case, zone, root

    def step(self, who: str, step: Step, day: date, entry: Entry | None = None) -> None:
        acting = self.people.acting(who)
        penalties.take_step(
            self.people.session, self.case, acting, step, entry or Entry(day=day), now=_at(day, self.zone), today=day
        )

    def evidence(self, who: str, day: date, kind: EvidenceKind, text: str) -> None:
        penalties.add_evidence(
            self.people.session,
            self.case,
            self.people.acting(who),
            kind=kind,
            description=text,
            collected_on=day,
            now=_at(day, self.zone),
            today=day,
            storage=self.root,
        )


def _open(
    people: People,
    who: str,
    officers: tuple[str, str],
    credit_code: str,
    day: date,
    facts: str,
    violation: str,
    rectification: str,
    zone: tzinfo,
    inspection_id: int | None = None,
) -> PenaltyCase:
    new = penalties.NewCase(
        enterprise_id=_enterprise(people.session, credit_code).id,
        discovered_on=day,
        facts=facts,
        violation_code=violation,
        officer_ids=[people.user(name).id for name in officers],
        levels=OVER_LIMIT,
        rectification=rectification,
        rectification_deadline=day + timedelta(days=30),
        inspection_id=inspection_id,
    )
    return penalties.open_case(people.session, people.acting(who), new, now=_at(day, zone), today=day)


def _closed_case(
    people: People, unit: tuple[str, str], credit_code: str, start: date, facts: str, zone: tzinfo, root: Path
) -> PenaltyCase:
    """A case worked from discovery to 结案 over fifty days: evidence, 告知 of the benchmark's amount, the hearing
    waived and the party's statement heard, collective discussion (above 100,000 yuan), decision, service,
    payment on time, closure."""
    who, second = unit
    case = _open(
        people,
        who,
        unit,
        credit_code,
        start,
        facts,
        "AIR-EXCEED",
        "立即停止超标排放，完成废气治理设施检修并提交监测报告",
        zone,
    )
    walk = _Walk(people, case, zone, root)
    walk.step("leader", Step.APPROVE_REGISTRATION, start + timedelta(days=1), Entry())
    walk.evidence(who, start + timedelta(days=3), EvidenceKind.RECORD, "现场检查笔录及调查询问笔录各一份")
    walk.evidence(second, start + timedelta(days=4), EvidenceKind.MONITORING, "执法监测报告：二氧化硫折算浓度超标1.2倍")
    fine = Decimal(case.recommendation["amount"])
    notice = start + timedelta(days=14)
    walk.step(who, Step.NOTIFY, notice, Entry(day=notice, kind=DecisionKind.PENALTY, fine=fine))
    walk.step(who, Step.WAIVE_HEARING, notice + timedelta(days=2))
    walk.step(who, Step.HEAR_STATEMENT, notice + timedelta(days=3))
    walk.step(who, Step.PROPOSE_DECISION, notice + timedelta(days=9), Entry(kind=DecisionKind.PENALTY, fine=fine))
    walk.step("leader", Step.RECORD_DISCUSSION, notice + timedelta(days=10))
    walk.step("leader", Step.APPROVE_DECISION, notice + timedelta(days=10), Entry())
    walk.step(who, Step.SERVE, notice + timedelta(days=13))
    paid = notice + timedelta(days=20)
    walk.step(who, Step.RECORD_PAYMENT, paid, Entry(day=paid, amount=fine))
    walk.step(who, Step.PROPOSE_CLOSURE, paid + timedelta(days=2), Entry())
    walk.step("leader", Step.APPROVE_CLOSURE, paid + timedelta(days=5), Entry())
    return case


def _inspect(
    people: People,
    inspection: Inspection,
    day: date,
    zone: tzinfo,
    data_dir: Path,
    *,
    violation: str = "",
) -> None:
    """Both officers record and confirm an inspection on `day`, with a photo taken on site: every item compliant,
    or the second not compliant with the violation's note."""
    session, at = people.session, _at(day, zone)
    first, *others = [o.user.username for o in inspection.officers]
    acting = people.acting(first)
    if inspection.on_site:
        inspections.add_photo(
            session, acting, inspection.id, key=f"demo-photo-{inspection.number}",
            content=evidence_png(inspection.number), taken_at=at, longitude=None, latitude=None, data_dir=data_dir,
            now=at,
        )  # fmt: skip
    keys = [item["key"] for item in inspection.checklist_version.items]
    answers = {k: Response(Answer.COMPLIANT) for k in keys}
    if violation:
        answers[keys[1]] = Response(Answer.NONCOMPLIANT, violation)
    conclusion = Conclusion.VIOLATION if violation else Conclusion.NO_PROBLEM
    record = Record(answers, "现场检查时企业正常生产，执法人员出示执法证件，企业负责人在场", conclusion)
    for n, who in enumerate([first, *others]):
        inspections.submit(
            session, people.acting(who), inspection.id, key=f"demo-{inspection.number}-{n}",
            seen_version=inspection.version, record=record, now=at,
        )  # fmt: skip


def _campaign(people: People, today: date, zone: tzinfo, data_dir: Path) -> tuple[int, Inspection | None]:
    """The winter campaign against air pollution of the bureau's enforcement officers: the fixture's enterprises
    as targets, most inspected over the last weeks (one with a violation), two planned for today."""
    session = people.session
    now = _at(today, zone)
    inspections.install_default_checklists(session, now)
    campaign = inspections.create_campaign(
        session,
        people.acting("analyst"),
        name=f"{today.year}年冬季大气污染防治专项执法",
        starts_on=today - timedelta(days=60),
        ends_on=today + timedelta(days=60),
        description="重点检查涉气企业污染防治设施运行、自动监控设施运行和重污染天气应急减排措施落实情况",
    )
    targets = [e.id for e in session.scalars(select(Enterprise).order_by(Enterprise.id).limit(8))]
    inspections.add_targets(session, people.acting("analyst"), campaign, targets)
    officers = [people.user("inspector").id, people.user("inspector2").id]
    planned: list[Inspection] = []
    found: Inspection | None = None
    for n, enterprise_id in enumerate(targets):
        # Six inspected over the last weeks (the effluent at 鑫源化工 over its limit), the last two for today.
        day = today if n >= len(targets) - 2 else today - timedelta(days=45 - 6 * n)
        inspection = inspections.create_inspection(
            session, people.acting("analyst"), enterprise_id=enterprise_id, officer_ids=officers, planned_on=day,
            now=_at(day, zone), kind=Kind.CAMPAIGN, campaign=campaign,
        )  # fmt: skip
        planned.append(inspection)
        if day == today:
            continue
        if inspection.enterprise.credit_code == XINYUAN and found is None:
            _inspect(people, inspection, day, zone, data_dir, violation=FOUND_AT_XINYUAN)
            found = inspection
        else:
            _inspect(people, inspection, day, zone, data_dir)
    return len(planned), found


# The demo's enforcement officers: the bureau's three and two in each of four branches, with their certificates.
OFFICERS = (
    "inspector", "inspector2", "inspector3", "branch", "officer-371821", "branch-371802", "officer-371802",
    "branch-371822", "officer-371822", "branch-371881", "officer-371881",
)  # fmt: skip


def _draw(people: People, today: date, zone: tzinfo, data_dir: Path) -> tuple[int, int]:
    """The quarter's random check of the city (双随机): the officers' certificates, a pool of every operating
    enterprise (3 %, the key polluters three times as likely), an officer pool of every unit; announced twelve days
    ago with the public value of the next day, drawn that day; its inspections planned, half of them done.
    Returns the enterprises drawn and the inspections completed."""
    session = people.session
    analyst = people.acting("analyst")
    for n, username in enumerate(OFFICERS, start=1):
        draws.add_certificate(
            session, analyst.principal, user_id=people.user(username).id, number=f"鲁执3718{n:05d}",
            valid_from=date(today.year - 2, 1, 1), valid_to=date(today.year + 3, 12, 31), issued_by="省人民政府",
        )  # fmt: skip
    city = session.scalars(select(Region).where(Region.level == RegionLevel.CITY)).one()
    pool = draws.save_enterprise_pool(
        session,
        analyst.principal,
        draws.EnterprisePoolForm(
            name="全市排污单位随机抽查对象名录库",
            region_id=city.id,
            ratio_percent=Decimal(3),
            weights={"key_discharge_units": 3},
        ),
    )
    officer_pool = draws.save_officer_pool(session, analyst.principal, name="全市执法检查人员名录库", region_id=city.id)
    announced, seeded = today - timedelta(days=12), today - timedelta(days=11)
    quarter = (today.month - 1) // 3
    start = date(today.year, 3 * quarter + 1, 1)
    end = (date(today.year + (quarter == 3), 1 if quarter == 3 else 3 * quarter + 4, 1)) - timedelta(days=1)
    draw = draws.announce(
        session,
        analyst.principal,
        draws.Announcement(
            title=f"{today.year}年第{'一二三四'[quarter]}季度“双随机、一公开”抽查",
            region_id=city.id,
            period_label=f"{today.year}年第{'一二三四'[quarter]}季度",
            period_start=start,
            period_end=end,
            draw_on=seeded,
            seed_source=f"上海证券交易所上证综合指数{seeded.isoformat()}收盘点位",
            seed_date=seeded,
            enterprise_pool_ids=[pool.id],
            officer_pool_ids=[officer_pool.id],
        ),
        now=_at(announced, zone),
        zone=zone,
    )
    draws.enter_public_value(session, analyst.principal, draw.id, "3386.57", now=_at(seeded, zone), zone=zone)
    draws.perform(session, analyst.principal, draw.id, now=_at(seeded, zone))
    remote = [people.user("inspector3").id, people.user("inspector2").id]
    planned = inspections.plan_draw(
        session, analyst, draw.id, planned_on=today - timedelta(days=7), now=_at(seeded, zone),
        remote_officer_ids=remote,
    )  # fmt: skip
    done = 0
    for n, inspection in enumerate(planned):
        if n % 2 == 0:
            _inspect(people, inspection, inspection.planned_on + timedelta(days=n % 3), zone, data_dir)
            done += 1
        else:  # the rest spread over the coming days
            inspection.planned_on = today + timedelta(days=n % 5)
    return len(draw.assignments), done


FOUND_AT_XINYUAN = "污水处理站出水化学需氧量超标，在线监测数据显示连续超标"


def add_demo_enforcement(session: Session, now: datetime, data_dir: Path, zone: tzinfo) -> dict[str, int]:
    """The demo's penalty cases and case-file review (see the module's text); counts of what was added."""
    if session.scalar(select(func.count()).select_from(PenaltyCase)):
        return {}
    root = data_dir / "penalties" / "evidence"
    people = People(session)
    today = now.astimezone(zone).date()
    planned, found = _campaign(people, today, zone, data_dir)
    drawn, done = _draw(people, today, zone, data_dir)
    linhe = _closed_case(
        people,
        ("branch", "officer-371821"),
        XINYUAN,
        today - timedelta(days=150),
        "临河县分局执法人员现场检查发现，该公司导热油炉废气排放口二氧化硫折算浓度超过排放标准1.2倍，持续约三日",
        zone,
        root,
    )
    qingyuan = _closed_case(
        people,
        ("branch-371802", "officer-371802"),
        HUANYU,
        today - timedelta(days=110),
        "清源区分局执法人员检查发现，该公司喷漆房废气治理设施未正常运行，挥发性有机物排放浓度超标",
        zone,
        root,
    )
    # Told (告知) ten days ago; the party has waived neither its statement nor a hearing yet.
    told = _open(
        people,
        "inspector",
        ("inspector", "inspector2"),
        XINYUAN,
        today - timedelta(days=40),
        "市局执法支队专项执法检查发现，该公司污水处理站出水化学需氧量超过排放标准0.8倍",
        "WATER-EXCEED",
        "立即停止超标排放，对污水处理设施进行整改",
        zone,
        inspection_id=found.id if found else None,
    )
    walk = _Walk(people, told, zone, root)
    walk.step("leader", Step.APPROVE_REGISTRATION, today - timedelta(days=38), Entry())
    walk.evidence("inspector", today - timedelta(days=30), EvidenceKind.RECORD, "现场检查笔录、采样记录及照片")
    fine = Decimal(told.recommendation["amount"])
    day = today - timedelta(days=10)
    walk.step("inspector", Step.NOTIFY, day, Entry(day=day, kind=DecisionKind.PENALTY, fine=fine))
    # Proposed two days ago: waits for the leader's 立案.
    _open(
        people,
        "inspector2",
        ("inspector2", "inspector3"),
        HUANYU,
        today - timedelta(days=2),
        "根据12369举报线索，执法人员检查发现该公司未按规定安装使用挥发性有机物在线监测设备",
        "AIR-MONITOR",
        "按规定安装挥发性有机物自动监测设备并与生态环境部门联网",
        zone,
    )
    added = {"campaign inspections": planned, "enterprises drawn": drawn, "random checks done": done}
    added["penalty cases"] = 4
    added["case files reviewed"] = _review(people, today, now, [linhe, qingyuan])
    return added


def _review(people: People, today: date, now: datetime, files: list[PenaltyCase]) -> int:
    """The year's review round over the closed files, scored by the leader and the analyst (both of the bureau,
    so independent of the branches): 临河 passes, 清源区 is returned with the points named."""
    session = people.session
    leader, analyst = people.user("leader"), people.user("analyst")
    round_ = reviews.create_round(
        session,
        name=f"{today.year}年度行政处罚案卷评查",
        year=today.year,
        period_from=date(today.year, 1, 1) if today.month > 5 else today - timedelta(days=200),
        period_to=today,
        by=analyst,
        now=now,
        seed=today.year,
    )
    marks = {
        files[0].id: [review_rules.Deduction("documents.wording", Decimal(1), "送达回证日期书写不规范")],
        files[1].id: [
            review_rules.Deduction("procedure.evidence", Decimal(5), "询问笔录无被询问人签字确认"),
            review_rules.Deduction("facts.evidence", Decimal(8), "超标事实仅有单次监测数据，证据链不完整"),
            review_rules.Deduction("law.discretion", Decimal(8), "裁量因子认定与现场记录不符，未说明理由"),
            review_rules.Deduction("documents.complete", Decimal(4), "缺少集体讨论记录"),
            review_rules.Deduction("archive.binding", Decimal(3), "案卷未编制目录"),
            review_rules.Deduction("procedure.service", Decimal(3), "送达方式记载不清"),
        ],
    }
    scored = 0
    for file in session.scalars(select(ReviewFile).where(ReviewFile.round_id == round_.id)):
        for reviewer in (leader, analyst):
            reviews.submit_sheet(session, file, reviewer, marks.get(file.penalty_case_id, []), {}, now)
        scored += 1
    return scored
