"""The demo city's complaints (issue 18): a month of reports through each channel, at every step of their way —
waiting for acceptance (one overdue), repeats of one smoking chimney linked to its case, handled and answered,
rated, sent back for review, not accepted, with a reward and a case a leader took in person; one with a known
ticket and phone for trying the citizen's look-up. Filed through `intake.service`, as a real city's are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.cases.models import Case
from ecoloop.enterprises.models import Enterprise
from ecoloop.identity.models import User
from ecoloop.identity.service import principal_for
from ecoloop.intake import service
from ecoloop.intake.enums import Channel, Satisfaction, Topic
from ecoloop.intake.keyring import keyring
from ecoloop.intake.models import Complaint
from ecoloop.intake.service import Submission

# The complaint a visitor of the demo looks up on /public/lookup: its ticket is printed by `ecoloop demo`, and the
# last four digits of its phone are these.
LOOKUP_PHONE = "13800005678"


@dataclass(frozen=True)
class Filed:
    """What `add_demo_complaints` filed: how many, and the ticket to try the look-up with."""

    count: int
    lookup_ticket: str


def _point(enterprise: Enterprise, east_m: float = 0.0, north_m: float = 0.0) -> dict[str, Decimal]:
    # about 91 km per degree of longitude and 111 km per degree of latitude at 35° N
    lon = Decimal(str(enterprise.longitude)) + Decimal(str(round(east_m / 91_000, 6)))
    lat = Decimal(str(enterprise.latitude)) + Decimal(str(round(north_m / 111_000, 6)))
    return {"longitude": lon, "latitude": lat}


def add_demo_complaints(session: Session, now: datetime, keys: Path, data_dir: Path, zone: tzinfo) -> Filed:
    """File the demo's complaints unless there are some already."""
    if session.scalar(select(func.count()).select_from(Complaint)):
        ticket = session.scalar(select(Complaint.ticket).where(Complaint.phone_masked == "138****5678")) or ""
        return Filed(0, ticket)
    ring = keyring(keys)
    users = {u.username: u for u in session.scalars(select(User).where(User.username.in_(["hotline", "leader"])))}
    hotline, leader = users["hotline"], users["leader"]
    desk, chief = principal_for(hotline, session), principal_for(leader, session)
    places = list(
        session.scalars(
            select(Enterprise).where(Enterprise.longitude.is_not(None)).order_by(Enterprise.credit_code).limit(40)
        )
    )

    def file(
        days_ago: float, channel: Channel, topic: Topic, text: str, where: dict[str, Decimal], **extra: object
    ) -> Complaint:
        submission = Submission(channel=channel, topic=topic, description=text, **where, **extra)  # type: ignore[arg-type]
        by = hotline if channel in service.DESK_CHANNELS else None
        return service.submit(session, ring, data_dir, submission, now - timedelta(days=days_ago), zone=zone, user=by)

    def accept(c: Complaint, days_ago: float) -> Case:
        return service.accept(session, c, hotline, desk, now - timedelta(days=days_ago), zone=zone)

    count = 0
    cement, chemical, plant, yard = places[0], places[5], places[10], places[15]
    # A chimney smoking black, reported four times; its case is urgent and a leader took it in person.
    first = file(20, Channel.WEB, Topic.SMOKE, "厂区烟囱下午一直冒黑烟，附近居民不敢开窗。", _point(cement, 40, 30))
    case = accept(first, 19)
    for days, text, east in (
        (15, "烟囱又在冒黑烟，比上次还严重。", 60),
        (9, "晚上八点左右看到浓烟，气味刺鼻，请尽快处理！", -50),
        (3, "这家厂的烟囱冒黑烟问题一直没有解决。", 20),
    ):
        file(days, Channel.WECHAT, Topic.SMOKE, text, _point(cement, east, 10))
    service.take_case(session, case, leader, chief, now - timedelta(days=2))
    count += 4
    # A chemical smell at night, called in to 12369 by a resident who gave a name and phone: handled, answered,
    # rated satisfied; a reward proposed and approved.
    smell = file(
        26,
        Channel.HOTLINE,
        Topic.ODOUR,
        "来电反映：化工园区夜间有刺鼻气味，来电人电话13912345678，要求回电。",
        _point(chemical, 200, -100),
        name="王先生",
        phone="13912345678",
        consent=True,
    )
    accept(smell, 25)
    service.publish_reply(
        session,
        smell,
        desk,
        "经执法人员夜间突击检查，该企业废气收集设施故障，已责令停产整改并立案处罚。",
        now - timedelta(days=8),
    )
    service.rate(session, smell, Satisfaction.SATISFIED, "处理及时", now - timedelta(days=7))
    reward = service.propose_reward(
        session, smell, hotline, desk, Decimal("2000.00"), "举报属实，查处违法排污", now - timedelta(days=6)
    )
    service.decide_reward(session, reward, leader, chief, True, now - timedelta(days=5))
    count += 1
    # Night-time piling on a building site: answered, waiting for the citizen's rating (the look-up's example).
    noise = file(
        12,
        Channel.WEB,
        Topic.CONSTRUCTION_NOISE,
        "工地每天夜里十一点后还在打桩，严重影响休息。",
        _point(plant, -300, 250),
        phone=LOOKUP_PHONE,
        consent=True,
    )
    accept(noise, 11)
    service.publish_reply(
        session,
        noise,
        desk,
        "已会同住建部门约谈施工单位，夜间施工须办理许可，违规将依法处罚。",
        now - timedelta(days=1),
    )
    count += 1
    # Dust from a yard: answered, not satisfied, back under review.
    dust = file(18, Channel.OPEN311, Topic.DUST, "堆场没有覆盖，刮风时扬尘很大。", _point(yard, 100, 100))
    accept(dust, 17)
    service.publish_reply(session, dust, desk, "已责令堆场全部苫盖并安装喷淋设施。", now - timedelta(days=6))
    service.rate(session, dust, Satisfaction.NOT_SATISFIED, "现场只盖了一半", now - timedelta(days=4))
    count += 1
    # Not the bureau's business: not accepted, with the reason told.
    other = file(
        10,
        Channel.LETTER,
        Topic.OTHER,
        "来信反映小区物业乱收费，并请环保部门处理。",
        {},
        address="滨河小区",
        region_id=cement.region_id,
    )
    service.dismiss(
        session, other, desk, "该事项不属于生态环境部门职责，已告知向住房和城乡建设部门反映。", now - timedelta(days=9)
    )
    count += 1
    # Waiting for acceptance: a river, a restaurant, dumped waste (one received weeks ago, now overdue).
    file(30, Channel.WEB, Topic.DUMPING, "路边有人倾倒建筑垃圾和废油桶。", _point(places[20], 500, -400))
    file(2, Channel.WECHAT, Topic.RIVER, "河道发黑发臭，还有死鱼。", _point(places[25], -200, 300))
    file(
        1,
        Channel.WEB,
        Topic.CATERING,
        "楼下烧烤店油烟直排，电话：13700001111。",
        {},
        address="建设路88号",
        region_id=places[30].region_id,
    )
    count += 3
    session.flush()
    return Filed(count, noise.ticket)
