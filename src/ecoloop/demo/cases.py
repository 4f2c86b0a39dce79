"""The demo city's cases (issue 6): a central-supervision batch of forty letters, a provincial batch, a Yellow-River
warning-film batch, monitoring alerts, 12369 complaints, inspections and long-term cases with yearly milestones,
worked by the demo users over the past months so that every state of the workflow has several cases.

`plan_demo_cases` is pure and deterministic (seeded `random.Random`, dates counted back from the `today` it is
given); `case_loading.add_demo_cases` applies the plan to the database. Everything here is invented; the texts are in
`case_texts`.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from ecoloop.cases.batches import title_of
from ecoloop.cases.enums import CaseSource, Category, MilestoneStatus, Severity
from ecoloop.cases.workflow import State
from ecoloop.demo.case_plans import BatchPlan, CasePlan, DemoCases, MilestonePlan, Move, RowPlan, at_local
from ecoloop.demo.case_scripts import CasePlace, Parties, Script, case_places, case_words, walk
from ecoloop.demo.case_texts import (
    ACCEPT_NOTES,
    ACCOUNTABLE,
    ALERT,
    ALERTS,
    COMPLAINTS,
    FALSE_FOUND,
    KIND,
    KINDS,
    LONG_TERM,
    MILESTONE_NOTES,
    PROGRESS_NOTES,
    Kind,
)
from ecoloop.demo.enterprises import EnterpriseFiles, EnterprisePlan

SEED = "ecoloop-demo-cases-371800"
CENTRAL_CODE = "central-3-12"  # its presence means the demo cases are loaded
PROVINCIAL_CODE = "provincial-2-05"
FILM_CODE = "yellow-river-film"
CENTRAL_DAYS, PROVINCIAL_DAYS, FILM_DAYS, LONG_TERM_DAYS = 140, 35, 6, 200  # received this many days ago
URBAN = ("371802", "371803", "371804")
# The demo users who work cases as the responsible unit, by organisation; branches supervise their county.
UNIT_USERS = {
    "branch-371802": "branch-371802",
    "branch-371821": "branch",
    "branch-371822": "branch-371822",
    "branch-371881": "branch-371881",
    "dept-housing": "department",
    "dept-water_resources": "dept-water",
    "dept-urban_management": "dept-urban",
    "dept-agriculture": "dept-agriculture",
}
BRANCH_COUNTIES = tuple(code.removeprefix("branch-") for code in UNIT_USERS if code.startswith("branch-"))
XINYUAN = "91371821683814002E"  # 临河县鑫源化工, whose demo user is `enterprise`
ENTERPRISE_USERS = {XINYUAN: "enterprise"}  # enterprises whose demo user adds its evidence itself


# --- the batches ------------------------------------------------------------------------------------------------------

# Forty letters of the central batch: three duplicates come on top of these base problems.
CENTRAL_KINDS = (
    ("chemical_odour", 4), ("restaurant_fumes", 3), ("site_dust", 3), ("manure", 3), ("black_river", 2),
    ("urban_black_river", 1), ("village_rubbish", 3), ("factory_noise", 3), ("sand_mining", 2),
    ("hazardous_waste", 3), ("sewage_plant", 1), ("kiln_dust", 2), ("coke_emission", 2), ("dye_wastewater", 2),
    ("paint_odour", 2), ("night_construction", 1),
)  # fmt: skip
# The path each base letter is walked along (see `walk`), and its deadline in days after the batch came in.
CENTRAL_ARCS = (
    *["closed"] * 11, *["closed_false"] * 3, *["closed_after_fail"] * 2, *["closed_late"] * 3, "returned_closed",
    *["reopened"] * 2, *["verifying"] * 3, *["reported"] * 4, *["rectifying"] * 3, *["overdue"] * 2,
    "overdue_supervised", "extended", "interview",
)  # fmt: skip
CENTRAL_DEADLINES: dict[str, tuple[int, ...]] = {
    "closed": (30, 45, 60), "closed_false": (30,), "closed_after_fail": (90,), "closed_late": (30, 45),
    "returned_closed": (60,), "reopened": (60,), "verifying": (120, 150, 180), "reported": (120, 150, 180),
    "rectifying": (170, 200, 230), "overdue": (90, 100, 110, 120), "overdue_supervised": (90, 100),
    "extended": (120,), "interview": (160,),
}  # fmt: skip
PROVINCIAL_ARCS = (
    "closed", "closed", "reported", "reported", "verifying", "rectifying", "rectifying", "assigned_overdue",
    "returned_late", "assigned_recent",
)  # fmt: skip
PROVINCIAL_DEADLINES: dict[str, tuple[int, ...]] = {
    "closed": (20, 25), "reported": (45,), "verifying": (30, 45), "rectifying": (60, 90), "assigned_overdue": (20,),
    "returned_late": (45,), "assigned_recent": (45,),
}  # fmt: skip


# --- the plan ---------------------------------------------------------------------------------------------------------

FINISHED = frozenset(
    {"closed", "closed_after_fail", "closed_late", "returned_closed", "reopened", "verifying", "reported"}
)


@dataclass
class _Letter:
    """A letter of a batch while the plan is drawn up."""

    kind: Kind
    arc: str
    place: CasePlace
    enterprise: EnterprisePlan | None = None
    duplicate_of: _Letter | None = None
    unassigned: bool = False  # the sheet names no unit: the bureau assigns it afterwards
    key: str = ""
    seq: int = 0
    deadline: int = 0
    words: dict[str, str] = field(default_factory=dict)
    text: int = 0


class _Planner:
    """Draws up the plan with one seeded generator, used in a fixed order."""

    def __init__(self, fixture: Mapping[str, Any], files: EnterpriseFiles, today: date) -> None:
        self.rng = random.Random(SEED)
        self.today = today
        self.places = case_places(fixture)
        self.by_village = {p.village_code: p for p in self.places}
        self.details = files.details
        self.site_names: dict[str, str] = {site["code"]: site["name"] for site in fixture.get("sites", [])}
        self.xinyuan_key = ""
        self.enterprises = sorted([*files.details.values(), *files.enterprises], key=lambda e: e.credit_code)
        self.used: set[str] = set()
        self.plan = DemoCases()

    def enterprise(self, industries: Sequence[str], counties: Sequence[str] = BRANCH_COUNTIES) -> EnterprisePlan:
        options = [
            e
            for e in self.enterprises
            if e.industry_code[-4:] in industries and e.region_code[:6] in counties and e.credit_code not in self.used
        ]
        chosen = self.rng.choice(options)
        self.used.add(chosen.credit_code)
        return chosen

    def place(self, urban: bool | None) -> CasePlace:
        options = [p for p in self.places if urban is None or (p.county_code in URBAN) == urban]
        return self.rng.choice([p for p in options if p.town.endswith("街道")] if urban else options)

    def letter(self, kind_key: str, arc: str, enterprise: EnterprisePlan | None = None) -> _Letter:
        kind = KIND[kind_key]
        if enterprise is None and kind.industries:
            enterprise = self.enterprise(kind.industries)
        place = self.by_village[enterprise.region_code] if enterprise else self.place(kind.urban)
        return _Letter(kind, arc, place, enterprise)

    def parties(self, unit: str, county: str, enterprise: str | None = None, co_units: tuple[str, ...] = ()) -> Parties:
        """The unit's demo user, the supervisor (the county's branch for half of other units' cases, else the
        bureau's analyst) and who adds evidence."""
        unit_user = UNIT_USERS.get(unit, "")
        branch_user = UNIT_USERS.get(f"branch-{county}")
        supervisor = "analyst"
        if branch_user and unit != f"branch-{county}" and self.rng.random() < 0.5:
            supervisor = branch_user
        return Parties(unit, unit_user, supervisor, ENTERPRISE_USERS.get(enterprise or "", unit_user), co_units)

    def units(self, kind: Kind, place: CasePlace) -> tuple[str, ...]:
        """The lead unit and co-units of a problem of `kind` at `place`."""
        return tuple(f"branch-{place.county_code}" if u == "branch" else u for u in (kind.unit, *kind.co_units))

    def row_cells(
        self, letter: _Letter, words: Mapping[str, str], units: tuple[str, ...], ref: str, deadline: date
    ) -> RowPlan:
        """The sheet's cells: investigation and handling as far as the letter got, none for duplicates."""
        kind, place, rng = letter.kind, letter.place, self.rng
        cells: dict[str, Any] = {}
        if letter.arc == "closed_false":
            found = FALSE_FOUND.get(kind.category, "") if letter.enterprise else ""
            found = found or "多次白天及夜间巡查均未发现反映的问题"
            cells = {
                "investigation": f"经{place.county}{place.town}会同相关部门现场核查，{found}，反映问题不属实。",
                "finding": "不属实",
                "handling": "向信访人做好解释说明，将该点位纳入日常巡查。",
            }
        elif letter.duplicate_of is None and not letter.unassigned and not letter.arc.startswith("assigned"):
            finding = rng.choice(("属实", "属实", "属实", "部分属实"))
            investigation = kind.found.format_map(words)
            if finding == "部分属实":
                investigation = investigation.replace("反映问题属实", "反映问题部分属实")
            done = letter.arc in FINISHED
            cells = {
                "investigation": investigation,
                "finding": finding,
                "handling": kind.handling.format_map(words) if done else "已责令整改，正在按序时推进。",
                "accountable": rng.choice(ACCOUNTABLE).format_map(words) if done else "",
            }
        return RowPlan(letter.seq, ref, f"{place.county}{place.town}", kind.label, units, deadline, **cells)

    def batch_case(self, batch: BatchPlan, letter: _Letter, ref: str, end: int) -> CasePlan:
        """A letter of a batch as a case: its text, its sheet row and its script from the batch's receipt."""
        rng, kind, place, ent = self.rng, letter.kind, letter.place, letter.enterprise
        base = batch.received_at.date()
        first = letter.duplicate_of
        if first is None:
            letter.words, letter.text = case_words(rng, place, ent.name if ent else ""), rng.randrange(len(kind.texts))
        else:  # the same problem in other words
            letter.words, letter.text = first.words, (first.text + 1) % len(kind.texts)
        words = letter.words
        description = kind.texts[letter.text].format_map(words)
        units = self.units(kind, place)
        credit_code = ent.credit_code if ent else None
        p = self.parties(units[0], place.county_code, credit_code, units[1:])
        s = Script(rng, base, batch.received_at)
        sheet_units: tuple[str, ...] = () if letter.unassigned else units
        if first is not None:
            note = f"与本批第{first.seq}号交办件反映同一问题，合并办理。"
            s.add(rng.randint(1, 3), Move.MERGE, "analyst", into=first.key, note=note)
        elif letter.arc == "returned_closed":
            sheet_units = ("dept-housing",)  # handed to the wrong department first
            back = rng.randint(1, 2)
            s.add(
                back, Move.RETURN, UNIT_USERS["dept-housing"], note="餐饮油烟污染防治由城市管理部门负责，请重新交办。"
            )
            walk(s, "closed", p, letter.deadline, end, assign_at=back + 1)
        elif letter.arc == "returned_late":
            wrong = Parties("dept-water_resources", UNIT_USERS["dept-water_resources"], "analyst", "")
            note = "该河段位于城市建成区，属城市黑臭水体治理范围，应由住房城乡建设部门牵头，请重新交办。"
            walk(s, "returned", wrong, letter.deadline, end, assign_at=end - 4, return_note=note)
        elif letter.unassigned:
            walk(s, letter.arc, p, letter.deadline, end, assign_at=end - 2 if letter.arc == "assigned_recent" else 1)
        else:
            walk(s, letter.arc, p, letter.deadline, end)
        row = self.row_cells(letter, words, sheet_units, ref, base + timedelta(days=letter.deadline))
        return CasePlan(
            letter.key,
            batch.source,
            kind.category,
            title_of(description),
            description,
            place.town_code,
            batch.importer,
            batch.received_at,
            tuple(s.steps),
            "merged" if letter.duplicate_of else letter.arc,
            enterprise=credit_code,
            batch=batch.code,
            row=row,
        )

    def central(self) -> None:
        """The central batch: forty letters, three of them duplicates merged into earlier ones."""
        rng = self.rng
        base = self.today - timedelta(days=CENTRAL_DAYS)
        batch = BatchPlan(
            CENTRAL_CODE,
            "中央第三生态环境保护督察组 第12批 交办信访件",
            CaseSource.CENTRAL_SUPERVISION,
            at_local(base, 16, 30),
            base + timedelta(days=60),
            f"督察交办〔{base.year}〕12号",
            "analyst",
            "中央第三生态环境保护督察组交办信访件办理情况表（第12批）",
        )
        self.plan.batches.append(batch)
        kinds = [k for k, n in CENTRAL_KINDS for _ in range(n)]
        arcs = list(CENTRAL_ARCS)
        # The letter about 鑫源化工 (whose demo user adds its own evidence) ends in an interview; a letter about
        # restaurant fumes goes to the wrong department first.
        for kind, arc in (("chemical_odour", "interview"), ("restaurant_fumes", "returned_closed")):
            kinds.remove(kind)
            arcs.remove(arc)
        rng.shuffle(arcs)
        self.used.add(XINYUAN)
        xinyuan = self.letter("chemical_odour", "interview", self.details[XINYUAN])
        letters = [xinyuan, self.letter("restaurant_fumes", "returned_closed")]
        letters += [self.letter(k, a) for k, a in zip(kinds, arcs, strict=True)]
        rng.shuffle(letters)
        for letter in rng.sample([x for x in letters if x.arc == "closed"], 2):
            letter.unassigned = True
        targets = [x for x in letters if x.arc in ("closed", "rectifying", "overdue", "reported") and not x.unassigned]
        for target in rng.sample(targets, 3):
            duplicate = _Letter(target.kind, "merged", target.place, target.enterprise, duplicate_of=target)
            letters.insert(letters.index(target) + rng.randint(1, 6), duplicate)
        number = rng.randint(1200, 1500)
        for seq, letter in enumerate(letters, start=1):
            letter.seq, letter.key = seq, f"central-{seq:02d}"
            first = letter.duplicate_of
            letter.deadline = first.deadline if first else rng.choice(CENTRAL_DEADLINES[letter.arc])
            number += rng.randint(1, 9)
            ref = f"{rng.choice('XD')}370000{base.year}{number:04d}"
            self.plan.cases.append(self.batch_case(batch, letter, ref, CENTRAL_DAYS))
        self.xinyuan_key = xinyuan.key

    def provincial(self) -> None:
        """The provincial batch: ten letters, a month old."""
        rng = self.rng
        base = self.today - timedelta(days=PROVINCIAL_DAYS)
        batch = BatchPlan(
            PROVINCIAL_CODE,
            "省第二生态环境保护督察组 第5批 交办信访件",
            CaseSource.PROVINCIAL_SUPERVISION,
            at_local(base, 17, 10),
            base + timedelta(days=45),
            f"省督察交办〔{base.year}〕5号",
            "analyst",
            "省第二生态环境保护督察组交办信访件办理情况表（第5批）",
        )
        self.plan.batches.append(batch)
        general = [k.key for k in KINDS if k.key not in ("mine_restoration", "urban_black_river")]
        special = {"assigned_overdue": "mine_restoration", "returned_late": "urban_black_river"}
        letters = []
        for arc in PROVINCIAL_ARCS:
            letter = self.letter(special.get(arc) or rng.choice(general), arc)
            letter.unassigned = arc in ("returned_late", "assigned_recent")
            letters.append(letter)
        rng.shuffle(letters)
        number = rng.randint(300, 500)
        for seq, letter in enumerate(letters, start=1):
            letter.seq, letter.key = seq, f"provincial-{seq:02d}"
            letter.deadline = rng.choice(PROVINCIAL_DEADLINES[letter.arc])
            number += rng.randint(1, 6)
            ref = f"{rng.choice('XD')}371800{base.year}{number:04d}"
            self.plan.cases.append(self.batch_case(batch, letter, ref, PROVINCIAL_DAYS))

    def town(self, county: str, name: str) -> CasePlace:
        return next(p for p in self.places if p.county_code == county and p.town == name)

    def film(self) -> None:
        """Problems a Yellow-River warning film disclosed: received last week, two not assigned yet."""
        rng = self.rng
        base = self.today - timedelta(days=FILM_DAYS)
        batch = BatchPlan(
            FILM_CODE,
            f"{base.year}年黄河流域生态环境警示片披露问题（清源市）",
            CaseSource.WARNING_FILM,
            at_local(base, 10, 0),
            base + timedelta(days=120),
            f"黄河流域生态环境警示片披露问题整改通知（{base.year}）",
            "analyst",
            f"{base.year}年黄河流域生态环境警示片披露问题整改清单",
        )
        self.plan.batches.append(batch)
        park = self.enterprise(("2614",), ("371882",))
        problems = (
            (self.town("371823", "黄河镇"), None, "生态", Category.ECOLOGY, (),
             "{county}{town}黄河滩区内违规建设养殖场{n}处，粪污未经处理经排水沟排入黄河支流。"),
            (self.town("371882", "长乐镇"), None, "生态", Category.ECOLOGY, (),
             "{county}{town}黄河大堤附近非法采砂场死灰复燃，砂石料露天堆放，扬尘污染严重。"),
            (self.by_village[park.region_code], park, "水", Category.WATER, ("branch-371882",),
             "{county}化工园区{ent}等企业污水处理设施长期超负荷运行，园区污水管网破损渗漏。"),
            (self.town("371823", "泗河镇"), None, "水", Category.WATER, ("dept-water_resources", "dept-housing"),
             "{river}入黄口断面水质长期为劣Ⅴ类，沿线{n}个村庄生活污水直排入河。"),
        )  # fmt: skip
        for seq, (place, ent, label, category, units, text) in enumerate(problems, start=1):
            description = text.format_map(case_words(rng, place, ent.name if ent else ""))
            s = Script(rng, base, batch.received_at)
            arc = "registered" if not units else "assigned" if units[0].startswith("branch") else "rectifying"
            if arc == "rectifying":
                s.add(rng.randint(1, 2), Move.ACCEPT, UNIT_USERS[units[0]], note=ACCEPT_NOTES[1])
                s.add(rng.randint(3, 5), Move.COMMENT, UNIT_USERS[units[0]], note=PROGRESS_NOTES[0])
            deadline = batch.deadline if units else None
            row = RowPlan(seq, f"YR-{base.year}-{seq:02d}", f"{place.county}{place.town}", label, units, deadline)
            self.plan.cases.append(
                CasePlan(
                    f"film-{seq:02d}",
                    batch.source,
                    category,
                    title_of(description),
                    description,
                    place.town_code,
                    batch.importer,
                    batch.received_at,
                    tuple(s.steps),
                    arc,
                    enterprise=ent.credit_code if ent else None,
                    batch=batch.code,
                    row=row,
                )
            )

    def single(
        self,
        key: str,
        source: CaseSource,
        category: Category,
        texts: tuple[str, str],
        where: CasePlace | EnterprisePlan,
        arc: str,
        days_ago: int,
        *,
        unit: str = "",
        deadline: int = 0,
        assign_at: int = 0,
        site: str | None = None,
        severity: Severity = Severity.NORMAL,
        supervisor: str = "",
        return_note: str = "该问题不属本单位职责，请重新交办。",
        co_units: tuple[str, ...] = (),
        words: Mapping[str, str] | None = None,
    ) -> None:
        """A case registered on its own `days_ago` (an alert, a complaint, an inspection) at a place or an
        enterprise, walked along `arc`."""
        rng = self.rng
        base = self.today - timedelta(days=days_ago)
        enterprise = where if isinstance(where, EnterprisePlan) else None
        place = self.by_village[enterprise.region_code] if enterprise else where
        assert isinstance(place, CasePlace)
        values = {**case_words(rng, place, enterprise.name if enterprise else ""), **(words or {})}
        title, description = (text.format_map(values) for text in texts)
        registrar = {CaseSource.ALERT: "analyst", CaseSource.COMPLAINT: "hotline"}.get(source, "inspector")
        registered_at = at_local(base, rng.randint(8, 10), rng.randint(0, 59))
        s = Script(rng, base, registered_at)
        credit_code = enterprise.credit_code if enterprise else None
        p = self.parties(unit, place.county_code, credit_code, co_units)
        if supervisor:
            p = Parties(p.unit, p.unit_user, supervisor, p.evidence_by, p.co_units)
        if arc == "merged":
            note = "与中央督察交办件反映同一问题，合并办理。"
            s.add(1, Move.MERGE, "analyst", into=self.xinyuan_key, note=note)
        elif arc != "registered":
            walk(s, arc, p, deadline, days_ago, assign_at, return_note)
        self.plan.cases.append(
            CasePlan(key, source, category, title, description, place.village_code, registrar, registered_at,
                     tuple(s.steps), arc, enterprise=credit_code, site=site, severity=severity)
        )  # fmt: skip

    def alerts(self) -> None:
        """Monitoring alerts on the demo outlets, registered by the analyst."""
        for key, code, outlet, category, arc, days, unit, deadline, severity, title, text, span in ALERTS:
            site = f"{code}-{outlet}"
            words = {"site": self.site_names[site], "v": str(self.rng.randint(*span))}
            self.single(key, CaseSource.ALERT, category, ("{site}" + title, ALERT + text), self.details[code], arc,
                        days, unit=unit, deadline=deadline, site=site, severity=severity, supervisor="analyst",
                        words=words)  # fmt: skip

    def complaints_and_inspections(self) -> None:
        """12369 complaints the hotline took, and problems inspectors found on site."""
        c, i, air, waste = CaseSource.COMPLAINT, CaseSource.INSPECTION, Category.AIR, Category.SOLID_WASTE
        rows: tuple[tuple[str, CaseSource, Category, CasePlace | EnterprisePlan, str, int, dict[str, Any]], ...]
        rows = (
            ("complaint-1", c, air, self.town("371802", "湖滨街道"), "returned", 4,
             {"unit": "dept-housing", "deadline": 15, "assign_at": 1, "supervisor": "branch-371802",
              "return_note": "餐饮油烟污染防治由城市管理部门负责，请重新交办。"}),
            ("complaint-2", c, Category.NOISE, self.town("371803", "城关街道"), "returned", 5,
             {"unit": "dept-urban_management", "deadline": 10, "assign_at": 1,
              "return_note": "建筑施工噪声由住房城乡建设部门监管，请重新交办。"}),
            ("complaint-3", c, air, self.enterprise(("8111",), ("371802",)), "closed", 75,
             {"unit": "branch-371802", "deadline": 20, "supervisor": "analyst"}),
            ("complaint-4", c, air, self.details["933718225108744297"], "rectifying", 15,
             {"unit": "dept-agriculture", "deadline": 30, "assign_at": 1, "co_units": ("branch-371822",)}),
            ("complaint-5", c, air, self.details[XINYUAN], "merged", 20, {}),
            ("complaint-6", c, air, self.town("371804", "解放路街道"), "registered", 1, {}),
            ("complaint-7", c, waste, self.town("371882", "白沙镇"), "registered", 2, {}),
            ("inspection-1", i, waste, self.enterprise(("3360",), ("371822",)), "reported", 30,
             {"unit": "branch-371822", "deadline": 30, "severity": Severity.HIGH}),
            ("inspection-2", i, air, self.enterprise(("3391",), ("371881",)), "closed", 90,
             {"unit": "branch-371881", "deadline": 30}),
            ("inspection-3", i, air, self.enterprise(("2110",), ("371821",)), "assigned", 3,
             {"unit": "branch-371821", "deadline": 20, "assign_at": 1}),
        )  # fmt: skip
        for key, source, category, where, arc, days, options in rows:
            self.single(key, source, category, COMPLAINTS[key], where, arc, days, **options)

    def long_term(self) -> None:
        """Problems the central inspection's feedback named, rectified over years with yearly targets."""
        rng, year = self.rng, self.today.year
        base = self.today - timedelta(days=LONG_TERM_DAYS)
        done = MilestoneStatus.DONE
        deadline = date(year + 1, 12, 31)
        for key, county, unit, co_units, leader, title, text, category, targets in LONG_TERM:
            registered_at = at_local(base, 9, rng.randint(0, 59))
            s = Script(rng, base, registered_at)
            p = Parties(unit, UNIT_USERS[unit], "analyst", UNIT_USERS[unit], co_units)
            walk(s, "rectifying", p, (deadline - base).days, LONG_TERM_DAYS, assign_at=1)
            for day, share in ((60, 30), (120, 45), (180, 60)):
                s.add(
                    day, Move.COMMENT, p.unit_user, note=f"本年度目标任务推进中，已完成{share + rng.randint(0, 9)}%。"
                )
            milestones = tuple(
                MilestonePlan(
                    year - 1 + i,
                    target,
                    date(year - 1 + i, 12, 31),
                    status,
                    date(year - 1, 12, rng.randint(10, 28)) if status is done else None,
                    MILESTONE_NOTES.get(status, ""),
                )
                for i, (target, status) in enumerate(targets)
            )
            self.plan.cases.append(
                CasePlan(key, CaseSource.CENTRAL_SUPERVISION, category, title, text.format(end=year + 1), county,
                         "analyst", registered_at, tuple(s.steps), "long_term", long_term=True, leader=leader,
                         milestones=milestones)
            )  # fmt: skip


# Where each path leaves its case.
ARC_STATES: dict[str, State] = {
    "registered": State.REGISTERED,
    "assigned": State.ASSIGNED,
    "assigned_overdue": State.ASSIGNED,
    "assigned_recent": State.ASSIGNED,
    "returned": State.RETURNED,
    "returned_late": State.RETURNED,
    "rectifying": State.RECTIFYING,
    "overdue": State.RECTIFYING,
    "overdue_supervised": State.RECTIFYING,
    "extended": State.RECTIFYING,
    "interview": State.RECTIFYING,
    "reopened": State.RECTIFYING,
    "long_term": State.RECTIFYING,
    "reported": State.REPORTED,
    "verifying": State.VERIFYING,
    "closed": State.CLOSED,
    "closed_false": State.CLOSED,
    "closed_after_fail": State.CLOSED,
    "closed_late": State.CLOSED,
    "returned_closed": State.CLOSED,
    "merged": State.MERGED,
}


def plan_demo_cases(fixture: Mapping[str, Any], files: EnterpriseFiles, today: date) -> DemoCases:
    """The demo cases, the same for the same fixture, enterprise files and day (pure): every step falls on an
    earlier day than `today` and after the one before it."""
    planner = _Planner(fixture, files, today)
    planner.long_term()
    planner.central()
    planner.provincial()
    planner.film()
    planner.alerts()
    planner.complaints_and_inspections()
    plan = planner.plan
    midnight = at_local(today, 0, 0)
    for case in plan.cases:
        moments = [case.registered_at, *(step.at for step in case.steps)]
        if moments != sorted(set(moments)) or moments[-1] >= midnight or case.arc not in ARC_STATES:
            raise ValueError(f"demo case {case.key}: steps out of order or not before {today}")
    return plan
