# ruff: noqa: RUF001  # the complaints are Chinese text, with its full-width punctuation
"""Public complaints at a city's scale (issue 18): 100,000 complaints on record in the demo city (its 280 county,
town and village boundaries: a submission's point is placed by them), then
- the duplicate search (`intake.service.find_repeat`) for new complaints at random points of the city, against a
  linear scan in Python of every complaint of an open case (what the indexed pre-filter avoids), on a sample;
- `service.submit` in process, one transaction each, with the time of its `regions.locate.locate_point` apart;
- the real app served by `python -m ecoloop serve` (uvicorn, one process; `--servers N` for several sharing one
  secret key, the requests taking turns, as several behind a proxy) on 127.0.0.1: public submissions
  (`POST /public/complaints`, each with a fresh single-use form token fetched ahead from
  `GET /public/complaints`) at a fixed rate, started on schedule whatever the earlier answers (open loop), and the
  same rate of `GET /healthz` as the baseline (the server's floor).

    uv run python bench/intake.py                     # SQLite file; 100,000 complaints; 100/s for 60 s
    uv run python bench/intake.py --postgres          # a throw-away PostgreSQL cluster (fsync on)
    uv run python bench/intake.py --postgres postgresql+psycopg://user@host/db   # a fresh database made there
    uv run python bench/intake.py --complaints 2000 --seconds 5 --rate 20 --dedup 50   # a quick run
    uv run python bench/intake.py --seconds 0 --profile   # no server: the searches, and a profile of the submits

Every request comes from 127.0.0.1, so the server runs with the per-address and per-phone limits raised above
the load (ECOLOOP_COMPLAINTS_PER_IP_HOUR, ECOLOOP_COMPLAINTS_PER_PHONE_DAY) and the form's minimum time at 0
(ECOLOOP_COMPLAINT_FORM_MIN_SECONDS); the token, its signature and its single use are checked as always.
Figures (the issue's targets in brackets): `p99_ms` of the submissions [< 300 ms], `errors` (answers other than
200, and failed requests) [0], `dedup_ms` (the p99 of the duplicate search per new complaint) [< 20 ms].
The last line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import json
import os
import pstats
import random
import re
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import shapely
import uvloop
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import ecoloop.app  # noqa: F401  # every table, scope rule and registration
from ecoloop.cases.enums import CaseSource, Severity
from ecoloop.cases.models import Case
from ecoloop.cases.workflow import State
from ecoloop.db.engine import make_engine
from ecoloop.db.migrate import upgrade
from ecoloop.demo.service import load_demo
from ecoloop.intake import rules, service, similarity
from ecoloop.intake.enums import Channel, Status, Topic
from ecoloop.intake.keyring import Keyring, keyring
from ecoloop.intake.models import Complaint
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.locate import Boundaries, geometry_of, load_boundaries, locate_point
from ecoloop.regions.models import Region
from tests.pg import free_port

TZ_NAME = "Asia/Shanghai"
OPEN_STATES = (State.REGISTERED, State.ASSIGNED, State.RECTIFYING, State.REPORTED, State.VERIFYING)
CLOSED = (State.CLOSED, State.MERGED)
TOKEN = re.compile(r'name="form_token" value="([^"]+)"')

# What citizens write, per topic (a problem's later reports pick another wording: repeats are reworded).
TEXTS: dict[Topic, tuple[str, ...]] = {
    Topic.SMOKE: (
        "{place}的工厂烟囱{when}一直冒黑烟，附近居民不敢开窗。",
        "{place}那边{when}烟囱冒浓烟，气味刺鼻，请尽快处理！",
        "{place}有人焚烧垃圾和秸秆，{when}烟很大。",
    ),
    Topic.ODOUR: (
        "{place}{when}有很浓的化工异味，闻了头疼恶心。",
        "{place}附近的厂{when}排放臭气，小区里都能闻到。",
        "{when}{place}一带有刺鼻的气味，持续好几个小时。",
    ),
    Topic.DUST: (
        "{place}的工地{when}扬尘很大，渣土车没有覆盖。",
        "{place}堆放的沙土没有苫盖，{when}一刮风满天灰。",
    ),
    Topic.CATERING: (
        "{place}的饭店油烟直排，{when}楼上都是油烟味。",
        "{place}烧烤摊{when}油烟很大，没有净化设施。",
    ),
    Topic.WASTEWATER: (
        "{place}的企业{when}往河里偷排废水，水是黑色的。",
        "{place}有暗管排污，{when}排出的水有颜色有味道。",
    ),
    Topic.RIVER: (
        "{place}的河道{when}发黑发臭，还有死鱼。",
        "{place}河水{when}变成了乳白色，岸边很臭。",
    ),
    Topic.CONSTRUCTION_NOISE: (
        "{place}的工地{when}还在施工，噪音吵得睡不着。",
        "{place}夜间打桩，{when}噪声很大，影响休息。",
    ),
    Topic.BUSINESS_NOISE: (
        "{place}的厂房机器{when}轰鸣，噪声扰民。",
        "{place}的商户音响{when}开得很大，严重扰民。",
    ),
    Topic.DUMPING: (
        "{place}有人{when}倾倒建筑垃圾，堆了一大片。",
        "{place}路边{when}被倒了很多工业固废，没人清理。",
    ),
    Topic.HAZARDOUS: ("{place}有人{when}偷偷倾倒废机油桶，地面都渗透了。",),
    Topic.OTHER: ("{place}{when}的环境问题一直没有解决，希望有关部门来看看。",),
}
# How often each topic is reported (about the shares a city hotline sees: air and noise first).
WEIGHTS = {
    Topic.SMOKE: 12, Topic.ODOUR: 14, Topic.DUST: 10, Topic.CATERING: 10, Topic.WASTEWATER: 8, Topic.RIVER: 5,
    Topic.CONSTRUCTION_NOISE: 14, Topic.BUSINESS_NOISE: 12, Topic.DUMPING: 8, Topic.HAZARDOUS: 2, Topic.OTHER: 5,
}  # fmt: skip
PLACES = (
    "东关街", "化工园区", "西环路", "北湖小区", "人民路", "开发区", "柳林镇", "河滨公园", "南门口", "幸福里",
    "工业大道", "新华路", "建设路", "黄河路", "滨河小区", "火车站", "城南村", "老城区", "高铁新城", "湖滨街道",
)  # fmt: skip
WHENS = ("每天晚上", "最近几天", "今天下午", "凌晨两三点", "周末", "这一个月", "早上七点", "")


def text_of(rng: random.Random, topic: Topic, place: str, wording: int | None = None) -> str:
    options = TEXTS[topic]
    pattern = options[wording % len(options)] if wording is not None else rng.choice(options)
    return pattern.format(place=place, when=rng.choice(WHENS))


def ticket(rng: random.Random, year: int) -> str:
    code = "".join(rng.choice(service._TICKET_ALPHABET) for _ in range(8))
    return f"{year}-{code[:4]}-{code[4:]}"


def phone(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"


# --- the city -------------------------------------------------------------------------------------------------------


@dataclass
class City:
    """The demo city's outline and boundaries, and where its complaints come from: 70 % around 150 hot spots
    (industrial parks, busy streets: a normal spread of 1.5 km), 30 % anywhere in the city."""

    boundaries: Boundaries
    outline: Any  # the city's shapely geometry
    hotspots: list[tuple[float, float]]

    def point(self, rng: random.Random) -> tuple[float, float, Region]:
        west, south, east, north = self.outline.bounds
        while True:
            if rng.random() < 0.7:
                lon0, lat0 = rng.choice(self.hotspots)
                lon, lat = rng.gauss(lon0, 1500 / 91_000), rng.gauss(lat0, 1500 / 111_000)
            else:
                lon, lat = rng.uniform(west, east), rng.uniform(south, north)
            lon, lat = round(lon, 6), round(lat, 6)
            region = self.boundaries.locate(lon, lat) if shapely.contains_xy(self.outline, lon, lat) else None
            if region is not None:
                return lon, lat, region


def city(session: Session, rng: random.Random) -> City:
    boundaries = load_boundaries(session)
    for region in boundaries.regions:  # kept as loaded (the run's rollbacks would expire them)
        session.expunge(region)
    top = session.scalars(select(Region).where(Region.level == RegionLevel.CITY)).one()
    outline = geometry_of(top.boundary or "")
    shapely.prepare(outline)
    west, south, east, north = outline.bounds
    hotspots: list[tuple[float, float]] = []
    while len(hotspots) < 150:
        lon, lat = rng.uniform(west, east), rng.uniform(south, north)
        if shapely.contains_xy(outline, lon, lat):
            hotspots.append((lon, lat))
    return City(boundaries, outline, hotspots)


# --- planting -------------------------------------------------------------------------------------------------------


@dataclass
class Problem:
    """One thing wrong somewhere, reported one or more times (its later reports are repeats of its case)."""

    topic: Topic
    lon: float
    lat: float
    region_id: int
    place: str
    first: datetime
    state: State | None  # its case's, or None: not accepted / still to accept
    reports: int
    case_id: int | None = None


@dataclass
class Planted:
    complaints: int = 0
    open_cases: int = 0
    closed_cases: int = 0
    on_open_cases: int = 0
    recent_open: list[Problem] = field(default_factory=list)


def plan(rng: random.Random, where: City, count: int, now: datetime) -> list[Problem]:
    """Problems whose reports add up to `count`, first reported over the last year; a problem is reported 1 to 6
    times (1.6 on average). Open cases are most of the recent ones (70 % in the last 60 days, 22 % before), so that
    about 30 % of all complaints are on open cases; the older rest mostly on closed cases."""
    topics, weights = list(WEIGHTS), list(WEIGHTS.values())
    problems, total = [], 0
    while total < count:
        reports = min(count - total, 6, 1 + int(rng.expovariate(1.0)))
        age = timedelta(days=rng.uniform(0, 365))
        draw = rng.random()
        if age < timedelta(days=60):
            state = rng.choice(OPEN_STATES) if draw < 0.7 else (State.CLOSED if draw < 0.85 else None)
        else:
            state = rng.choice(OPEN_STATES) if draw < 0.22 else (State.CLOSED if draw < 0.9 else None)
        lon, lat, region = where.point(rng)
        topic = rng.choices(topics, weights)[0]
        problems.append(Problem(topic, lon, lat, region.id, rng.choice(PLACES), now - age, state, reports))
        total += reports
    return problems


def plant(session: Session, ring: Keyring, rng: random.Random, where: City, count: int, now: datetime) -> Planted:
    """`count` complaints and their cases, inserted in bulk (no audit trail: these are the record before the run)."""
    problems = plan(rng, where, count, now)
    cased = [p for p in problems if p.state is not None]
    rows = [
        {
            "number": f"BENCH-{n:07d}",
            "source": CaseSource.COMPLAINT,
            "category": p.topic.category,
            "title": f"{p.topic.value}: {p.place}",
            "description": text_of(rng, p.topic, p.place, 0),
            "region_id": p.region_id,
            "longitude": Decimal(f"{p.lon:.6f}"),
            "latitude": Decimal(f"{p.lat:.6f}"),
            "severity": Severity.NORMAL,
            "state": p.state,
            "deadline": (p.first + timedelta(days=90)).date(),
            "closed_at": p.first + timedelta(days=30) if p.state is State.CLOSED else None,
            "created_at": p.first,
            "updated_at": p.first,
        }
        for n, p in enumerate(cased)
    ]
    # Core inserts (executemany): the ORM's bulk insert with RETURNING takes minutes at this size.
    session.execute(insert(Case.__table__), rows)
    numbered = session.execute(select(Case.number, Case.id).where(Case.number.like("BENCH-%")))
    ids = {number: case_id for number, case_id in numbered}
    for n, p in enumerate(cased):
        p.case_id = ids[f"BENCH-{n:07d}"]
    planted = Planted()
    seen: set[str] = set()
    batch: list[dict[str, Any]] = []
    for p in problems:
        for k in range(p.reports):
            at = min(p.first + timedelta(days=rng.uniform(0, 20) * k), now - timedelta(minutes=1))
            code = ticket(rng, at.year)
            while code in seen:
                code = ticket(rng, at.year)
            seen.add(code)
            lon = p.lon + rng.gauss(0, 80) / 91_000
            lat = p.lat + rng.gauss(0, 80) / 111_000
            text = text_of(rng, p.topic, p.place, k)
            named = rng.random() < 0.6
            number = phone(rng) if named else ""
            status = (
                Status.ACCEPTED
                if p.state in OPEN_STATES
                else Status.CLOSED
                if p.state is State.CLOSED
                else Status.RECEIVED
                if now - at < timedelta(days=15)
                else Status.NOT_ACCEPTED
            )
            batch.append(
                {
                    "ticket": code,
                    "channel": rng.choice((Channel.WEB, Channel.WEB, Channel.WECHAT, Channel.HOTLINE)),
                    "external_id": "",
                    "topic": p.topic,
                    "category": p.topic.category,
                    "description": text,
                    "description_enc": "",
                    "address": f"{p.place}附近",
                    "longitude": Decimal(f"{lon:.6f}"),
                    "latitude": Decimal(f"{lat:.6f}"),
                    "region_id": p.region_id,
                    "anonymous": not named,
                    "name_enc": ring.encrypt("张先生" if named else "", service.context("name", code)),
                    "phone_enc": ring.encrypt(number, service.context("phone", code)),
                    "phone_index": ring.digest("phone", number) if named else "",
                    "phone_masked": f"{number[:3]}****{number[-4:]}" if named else "",
                    "consent_at": at if named else None,
                    "received_at": at,
                    "bigrams": similarity.packed(similarity.bigrams(text)),
                    "case_id": p.case_id,
                    "duplicate": p.case_id is not None and k > 0,
                    "status": status,
                    "accept_due": (at + timedelta(days=21)).date(),
                    "conclude_due": (at + timedelta(days=90)).date() if p.case_id else None,
                    "decided_at": at + timedelta(days=2) if p.case_id else None,
                    "closed_at": at + timedelta(days=30) if status is Status.CLOSED else None,
                    "created_at": at,
                    "updated_at": at,
                }
            )
            planted.complaints += 1
            planted.on_open_cases += p.state in OPEN_STATES
            if len(batch) == 5000:
                session.execute(insert(Complaint.__table__), batch)
                batch = []
    if batch:
        session.execute(insert(Complaint.__table__), batch)
    session.commit()
    planted.open_cases = sum(p.state in OPEN_STATES for p in cased)
    planted.closed_cases = len(cased) - planted.open_cases
    planted.recent_open = [p for p in cased if p.state in OPEN_STATES and now - p.first < timedelta(days=25)]
    return planted


# --- the duplicate search -------------------------------------------------------------------------------------------


def new_complaints(rng: random.Random, where: City, planted: Planted, count: int, now: datetime) -> list[Complaint]:
    """`count` new complaints (not stored): 30 % report again a problem of an open case of the last 25 days (within
    300 m, reworded), the rest anything anywhere (the city's spread)."""
    made = []
    topics, weights = list(WEIGHTS), list(WEIGHTS.values())
    for _ in range(count):
        if planted.recent_open and rng.random() < 0.3:
            p = rng.choice(planted.recent_open)
            lon, lat = p.lon + rng.uniform(-200, 200) / 91_000, p.lat + rng.uniform(-200, 200) / 111_000
            topic, place, region_id = p.topic, p.place, p.region_id
        else:
            lon, lat, region = where.point(rng)
            topic, place, region_id = rng.choices(topics, weights)[0], rng.choice(PLACES), region.id
        text = text_of(rng, topic, place)
        made.append(
            Complaint(
                ticket=ticket(rng, now.year),
                topic=topic,
                category=topic.category,
                description=text,
                address=f"{place}附近",
                longitude=Decimal(f"{lon:.6f}"),
                latitude=Decimal(f"{lat:.6f}"),
                region_id=region_id,
                received_at=now,
                bigrams=similarity.packed(similarity.bigrams(text)),
            )
        )
    return made


def linear_repeat(session: Session, complaint: Complaint, config: rules.Config) -> int | None:
    """The baseline: every complaint of an open case read and judged in Python (the same rules, no pre-filter)."""
    rows = session.execute(
        select(
            Complaint.case_id, Complaint.category, Complaint.received_at, Complaint.latitude, Complaint.longitude,
            Complaint.address, Complaint.bigrams,
        )
        .join(Case, Case.id == Complaint.case_id)
        .where(Case.state.not_in(CLOSED))
    )  # fmt: skip
    since = complaint.received_at - timedelta(days=config.repeat_days)
    lat, lon = float(complaint.latitude or 0), float(complaint.longitude or 0)
    mine = similarity.unpacked(complaint.bigrams)
    address = similarity.normalise(complaint.address)
    candidates = []
    for case_id, category, received_at, c_lat, c_lon, c_address, c_bigrams in rows:
        if category != complaint.category or received_at < since:
            continue
        distance = similarity.distance_m(lat, lon, float(c_lat), float(c_lon)) if c_lat is not None else None
        same = bool(address) and similarity.normalise(c_address) == address
        score = similarity.cosine(mine, similarity.unpacked(c_bigrams))
        candidates.append(rules.Candidate(int(case_id), distance, same, score))
    best = rules.best_repeat(candidates, config)
    return best.case_id if best else None


def counts(session: Session) -> tuple[int, int]:
    """Complaints on record, and how many of them are linked repeats."""
    total = session.scalar(select(func.count()).select_from(Complaint)) or 0
    repeats = session.scalar(select(func.count()).select_from(Complaint).where(Complaint.duplicate)) or 0
    return total, repeats


def ms(seconds: list[float], q: float) -> float:
    """The q-quantile of `seconds`, in milliseconds (nearest rank)."""
    ordered = sorted(seconds)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))] * 1000


# --- submissions in process -----------------------------------------------------------------------------------------


def submit_in_process(
    session: Session, ring: Keyring, data_dir: Path, new: list[Complaint], profile: bool
) -> tuple[list[float], list[float]]:
    """`service.submit` of each complaint (anonymous, as the public form), committed one by one; the seconds of each
    and of `locate_point` alone for the same point."""
    zone = ZoneInfo(TZ_NAME)
    submits, locates = [], []
    profiler = cProfile.Profile() if profile else None
    for c in new:
        submission = service.Submission(
            channel=Channel.WEB, topic=c.topic, description=c.description, address=c.address,
            longitude=c.longitude, latitude=c.latitude,
        )  # fmt: skip
        start = time.perf_counter()
        if profiler:
            profiler.enable()
        service.submit(session, ring, data_dir, submission, datetime.now(UTC), zone=zone)
        session.commit()
        if profiler:
            profiler.disable()
        submits.append(time.perf_counter() - start)
        start = time.perf_counter()
        locate_point(session, float(c.longitude or 0), float(c.latitude or 0))
        locates.append(time.perf_counter() - start)
        session.rollback()
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        print(out.getvalue())
    return submits, locates


# --- the served app -------------------------------------------------------------------------------------------------


def server_env(database_url: str, data_dir: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECOLOOP_")}
    env.update(
        {
            "ECOLOOP_DATABASE_URL": database_url,
            "ECOLOOP_DATA_DIR": str(data_dir),
            "ECOLOOP_ANALYTICS_URL": f"duckdb:///{data_dir / 'analytics.duckdb'}",
            "ECOLOOP_HOST": "127.0.0.1",
            "ECOLOOP_PORT": str(port),
            "ECOLOOP_TIMEZONE": TZ_NAME,
            # Every request comes from 127.0.0.1: the per-address limit (10 an hour) is raised above the load; each
            # submission has its own phone, so the per-phone one would not refuse, raised all the same.
            "ECOLOOP_COMPLAINTS_PER_IP_HOUR": "100000000",
            "ECOLOOP_COMPLAINTS_PER_PHONE_DAY": "100000000",
            "ECOLOOP_COMPLAINT_FORM_MIN_SECONDS": "0",
        }
    )
    return env


@contextlib.contextmanager
def served(database_url: str, data_dir: Path, count: int) -> Iterator[list[tuple[str, int]]]:
    """`count` processes of `python -m ecoloop serve`, each on its own port with one secret key (as several behind
    a proxy, docs/deploy.md); yields their base URLs and process ids."""
    key = secrets.token_hex(32)
    started: list[tuple[str, subprocess.Popen[bytes], Any]] = []
    try:
        for n in range(count):
            port = free_port()
            log = (data_dir / f"server-{n}.log").open("w")
            env = server_env(database_url, data_dir, port) | {"ECOLOOP_SECRET_KEY": key}
            proc = subprocess.Popen(
                [sys.executable, "-m", "ecoloop", "serve"], env=env, stdout=log, stderr=subprocess.STDOUT
            )
            started.append((f"http://127.0.0.1:{port}", proc, log))
        deadline = time.monotonic() + 90
        for base, proc, _log in started:
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"a server did not start: see {data_dir}/server-*.log")
                time.sleep(0.2)
        yield [(base, proc.pid) for base, proc, _log in started]
    finally:
        for _base, proc, _log in started:
            proc.terminate()
        for _base, proc, log in started:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                print(f"a server (pid {proc.pid}) did not stop within 30 s of SIGTERM: killed", flush=True)
                proc.kill()
                proc.wait()
            log.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (/proc)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    utime, stime = text[text.rindex(")") + 2 :].split()[11:13]
    return (int(utime) + int(stime)) / os.sysconf("SC_CLK_TCK")


def form(rng: random.Random, where: City, token: str) -> dict[str, str]:
    """What a citizen's phone sends: a topic, a description, a place, and 60 % of the time a name and phone."""
    topic = rng.choices(list(WEIGHTS), list(WEIGHTS.values()))[0]
    place = rng.choice(PLACES)
    lon, lat, _region = where.point(rng)
    fields = {
        "form_token": token,
        "website": "",
        "topic": topic.value,
        "description": text_of(rng, topic, place),
        "address": f"{place}附近",
        "longitude": f"{lon:.6f}",
        "latitude": f"{lat:.6f}",
    }
    if rng.random() < 0.6:
        fields |= {"name": "李女士", "phone": phone(rng), "consent": "1"}
    else:
        fields |= {"anonymous": "1", "name": "", "phone": ""}
    return fields


async def tokens(client: httpx.AsyncClient, bases: list[str], count: int) -> list[str]:
    """`count` form tokens, each from its own page (4 requests at a time)."""
    got: list[str] = []
    gate = asyncio.Semaphore(4)

    async def one(n: int) -> None:
        async with gate:
            answer = await client.get(f"{bases[n % len(bases)]}/public/complaints")
            found = TOKEN.search(answer.text)
            if answer.status_code != 200 or not found:
                raise RuntimeError(f"no form token: {answer.status_code}")
            got.append(found.group(1))

    await asyncio.gather(*(one(n) for n in range(count)))
    return got


@dataclass
class Run:
    latencies: list[float]  # seconds, from the scheduled start to the whole answer
    statuses: dict[str, int]
    late: float  # the most a request started after its scheduled time, seconds
    elapsed: float

    @property
    def errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != "200")


async def open_loop(rate: float, seconds: float, send: Callable[[int], Any]) -> Run:
    """Requests started at `rate` a second for `seconds`, each on its schedule whatever the earlier ones did."""
    count = int(rate * seconds)
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    late = 0.0

    async def one(n: int, at: float) -> None:
        nonlocal late
        late = max(late, time.perf_counter() - at)
        try:
            answer = await send(n)
            status = str(answer.status_code)
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        latencies.append(time.perf_counter() - at)
        statuses[status] = statuses.get(status, 0) + 1

    start = time.perf_counter() + 0.05
    tasks = []
    for n in range(count):
        at = start + n / rate
        await asyncio.sleep(max(0.0, at - time.perf_counter()))
        tasks.append(asyncio.create_task(one(n, at)))
    await asyncio.gather(*tasks)
    return Run(latencies, statuses, late, time.perf_counter() - start)


async def load(
    servers: list[tuple[str, int]], rng: random.Random, where: City, rate: float, seconds: float
) -> dict[str, Any]:
    """Fetch the form tokens, then send /healthz (the baseline) and the submissions at `rate` for `seconds` each,
    after one second of each not counted (a deployed server is warm); requests go to the servers in turn."""
    bases, pids = [base for base, _pid in servers], [pid for _base, pid in servers]
    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=200)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        warm = max(1, int(rate))
        count = int(rate * seconds)
        start = time.perf_counter()
        issued = await tokens(client, bases, count + warm)
        print(f"  {len(issued):,} form tokens fetched in {time.perf_counter() - start:.1f} s", flush=True)
        forms = [form(rng, where, token) for token in issued]
        warming, measured = forms[count:], forms[:count]
        empty = {"photos": ("", b"", "application/octet-stream")}  # the form's file field left empty, as sent

        def health(n: int) -> Any:
            return client.get(f"{bases[n % len(bases)]}/healthz")

        def posting(forms: list[dict[str, str]]) -> Callable[[int], Any]:
            return lambda n: client.post(f"{bases[n % len(bases)]}/public/complaints", data=forms[n], files=empty)

        def cpu() -> float:
            return sum(cpu_seconds(pid) for pid in pids)

        await open_loop(rate, warm / rate, health)
        before = cpu()
        baseline = await open_loop(rate, seconds, health)
        baseline_cpu = cpu() - before
        await open_loop(rate, warm / rate, posting(warming))
        before = cpu()
        submitted = await open_loop(rate, seconds, posting(measured))
        submitted_cpu = cpu() - before
    return {"baseline": baseline, "baseline_cpu": baseline_cpu, "run": submitted, "cpu": submitted_cpu, "warm": warm}


# --- the database ---------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def postgres(url: str) -> Iterator[str]:
    """A fresh database on the server at `url` (or on a throw-away local cluster with fsync on, for "auto"),
    dropped afterwards."""
    import psycopg

    with contextlib.ExitStack() as stack:
        if url == "auto":
            from tests.pg import postgres_cluster

            url = stack.enter_context(postgres_cluster(durable=True))
        libpq = url.replace("postgresql+psycopg://", "postgresql://", 1)
        name = f"ecoloop_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(libpq, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        try:
            yield url.rsplit("/", 1)[0] + "/" + name
        finally:
            with psycopg.connect(libpq, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--complaints", type=int, default=100_000, help="complaints on record before the run")
    parser.add_argument("--rate", type=float, default=100, help="public submissions (and baseline requests) a second")
    parser.add_argument("--seconds", type=float, default=60, help="how long each kind is sent (0: no server)")
    parser.add_argument("--dedup", type=int, default=1000, help="new complaints searched for repeats")
    parser.add_argument("--baseline-sample", type=int, default=50, help="of them, searched by the linear scan too")
    parser.add_argument("--submits", type=int, default=200, help="service.submit calls timed in process")
    parser.add_argument(
        "--servers", type=int, default=1, help="web processes taking the requests in turn (default 1: `ecoloop serve`)"
    )
    parser.add_argument("--postgres", nargs="?", const="auto", help="PostgreSQL: a server's URL, or none to start one")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the in-process submits")
    parser.add_argument("--keep", help="a new directory to keep the data directory in (the server's log too)")
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    load_average = os.getloadavg()[0]

    with contextlib.ExitStack() as stack:
        if args.keep:
            data_dir = Path(args.keep)
            data_dir.mkdir(parents=True)
        else:
            data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ecoloop-bench-intake-")))
        if args.postgres:
            database_url = stack.enter_context(postgres(args.postgres))
        else:
            database_url = f"sqlite:///{data_dir / 'ecoloop.sqlite'}"
        store = "postgresql" if args.postgres else "sqlite"
        upgrade(database_url)
        engine = make_engine(database_url)
        session = Session(engine, expire_on_commit=False)
        start = time.perf_counter()
        load_demo(session, storage=None)
        session.commit()
        where = city(session, rng)
        bounded = len(where.boundaries.regions)
        print(f"{store}: the demo city ({bounded} boundaries) in {time.perf_counter() - start:.1f} s", flush=True)
        ring = keyring(data_dir / "pii_keys.json")  # the served app's (DATA_DIR/pii_keys.json)
        now = datetime.now(UTC)
        start = time.perf_counter()
        planted = plant(session, ring, rng, where, args.complaints, now)
        if args.postgres:  # the statistics autovacuum would have gathered on a year's record (the bulk came at once)
            session.execute(text("ANALYZE"))
            session.commit()
        on_record = session.scalar(select(func.count()).select_from(Complaint)) or 0
        print(
            f"planted {planted.complaints:,} complaints in {time.perf_counter() - start:.1f} s ({on_record:,} on"
            f" record): {planted.open_cases:,} open cases holding {planted.on_open_cases:,} complaints"
            f" ({planted.on_open_cases / planted.complaints:.0%}), {planted.closed_cases:,} closed cases",
            flush=True,
        )

        # The duplicate search, then the linear baseline on a sample of the same complaints.
        config = service.config_for(session, now.date())
        new = new_complaints(rng, where, planted, args.dedup, now)
        searches: list[float] = []
        found: list[int | None] = []
        for c in new:
            start = time.perf_counter()
            case = service.find_repeat(session, c, config)
            searches.append(time.perf_counter() - start)
            found.append(case.id if case else None)
        session.rollback()
        sample = list(range(0, len(new), max(1, len(new) // args.baseline_sample)))[: args.baseline_sample]
        scans: list[float] = []
        agree = 0
        for i in sample:
            start = time.perf_counter()
            linear = linear_repeat(session, new[i], config)
            scans.append(time.perf_counter() - start)
            agree += linear == found[i]
        session.rollback()
        dedup_median, dedup_p99 = ms(searches, 0.5), ms(searches, 0.99)
        scan_median = ms(scans, 0.5)
        print(
            f"duplicate search, {len(new):,} new complaints ({sum(f is not None for f in found):,} repeats found):"
            f" median {dedup_median:.2f} ms, p99 {dedup_p99:.2f} ms, max {ms(searches, 1.0):.2f} ms;"
            f" linear scan of the open cases' complaints ({len(scans)} of them): median {scan_median:.1f} ms,"
            f" ratio {scan_median / dedup_median:.0f}x; same case found {agree}/{len(scans)}",
            flush=True,
        )

        submits, locates = submit_in_process(
            session, ring, data_dir, new_complaints(rng, where, planted, args.submits, now), args.profile
        )
        print(
            f"service.submit in process, {len(submits)} committed one by one: median {ms(submits, 0.5):.1f} ms,"
            f" p99 {ms(submits, 0.99):.1f} ms; of which locate_point (loads every boundary) median"
            f" {ms(locates, 0.5):.1f} ms",
            flush=True,
        )
        before = counts(session)
        session.close()
        engine.dispose()

        if args.seconds <= 0:  # the duplicate search and the in-process submits only
            print(json.dumps({"dedup_ms": round(dedup_p99, 2), "dedup_median_ms": round(dedup_median, 2)}))
            return
        with served(database_url, data_dir, args.servers) as servers:
            print(
                f"served by {len(servers)} process(es) at {', '.join(base for base, _pid in servers)};"
                f" {args.rate:g}/s for {args.seconds:g} s (open loop)",
                flush=True,
            )
            result = uvloop.run(load(servers, rng, where, args.rate, args.seconds))
        run, baseline = result["run"], result["baseline"]
        engine = make_engine(database_url)
        with Session(engine) as check:
            after = counts(check)
        engine.dispose()
        stored, repeats = after[0] - before[0], after[1] - before[1]

    p50, p95, p99 = (ms(run.latencies, q) for q in (0.5, 0.95, 0.99))
    b50, b95, b99 = (ms(baseline.latencies, q) for q in (0.5, 0.95, 0.99))
    sent, checked = len(run.latencies), len(baseline.latencies)
    cpu_post, cpu_get = result["cpu"] / max(1, sent) * 1000, result["baseline_cpu"] / max(1, checked) * 1000
    print(
        f"GET /healthz (baseline): {checked:,} requests, p50 {b50:.1f} ms, p95 {b95:.1f} ms,"
        f" p99 {b99:.1f} ms, answers {baseline.statuses}; server CPU {cpu_get:.2f} ms a request"
    )
    print(
        f"POST /public/complaints: {sent:,} requests in {run.elapsed:.1f} s, p50 {p50:.1f} ms, p95 {p95:.1f} ms,"
        f" p99 {p99:.1f} ms (baseline ratio p50 {p50 / b50:.1f}x, p99 {p99 / b99:.1f}x), answers {run.statuses},"
        f" latest start {run.late * 1000:.1f} ms after schedule; server CPU {cpu_post:.2f} ms"
        f" a submission; stored {stored:,} complaints ({result['warm']} warm-up requests were sent first), {repeats:,}"
        f" of them linked as repeats of open cases"
    )
    summary = {
        "store": store,
        "complaints_on_record": on_record,
        "complaints_on_open_cases": planted.on_open_cases,
        "servers": args.servers,
        "rate": args.rate,
        "seconds": args.seconds,
        "requests": sent,
        "p50_ms": round(p50, 1),
        "p95_ms": round(p95, 1),
        "p99_ms": round(p99, 1),
        "errors": run.errors,
        "stored": stored,
        "statuses": run.statuses,
        "baseline_p50_ms": round(b50, 1),
        "baseline_p99_ms": round(b99, 1),
        "ratio_p99_vs_baseline": round(p99 / b99, 1),
        "server_cpu_ms_per_submission": round(cpu_post, 2),
        "server_cpu_ms_per_baseline_request": round(cpu_get, 2),
        "dedup_ms": round(dedup_p99, 2),
        "dedup_median_ms": round(dedup_median, 2),
        "dedup_searches": len(searches),
        "dedup_baseline_median_ms": round(scan_median, 1),
        "dedup_ratio_vs_baseline": round(scan_median / dedup_median, 1),
        "dedup_baseline_agrees": f"{agree}/{len(scans)}",
        "submit_median_ms": round(ms(submits, 0.5), 1),
        "submit_p99_ms": round(ms(submits, 0.99), 1),
        "locate_median_ms": round(ms(locates, 0.5), 1),
        "load_average": round(load_average, 2),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
