"""Random draws (双随机) at a city's scale (issue 19): a draw over 20,000 enterprises and 500 certified officers in
20 units with every avoidance rule busy (a tenth of the enterprises on the key-polluter list with weight 3, 2 % on
the positive list, half with a last inspection, 1,500 declared conflicts), drawing 10 % of them:

- `draw_seconds`: the algorithm (`draws.algorithm.draw`) from the frozen snapshots, with the canonical JSON of its
  result and that JSON's SHA-256, as `service.perform` runs it;
- `verify_seconds`: what `ecoloop inspections verify` computes beyond reading the rows: every snapshot's SHA-256 of
  its stored text, the snapshots parsed, the algorithm re-run and its bytes compared with the stored result;
- the baseline in the same run: an unweighted `random.Random(seed).sample` of the same count with officers dealt
  round-robin, no avoidance and no hashing (what a draw costs without being reproducible or fair);
- `identical`: how many of `--repeats` draws (each its own seed, over a pool of `--repeat-enterprises`) give the
  same bytes in a second Python process started with another PYTHONHASHSEED (set and dict order cannot leak in);
- with `--database`: the same city in a SQLite file through the service (pools frozen from the tables at the
  announcement, the draw with its rows and chain, `verify` with its reads), a real draw before it giving the
  history.

    uv run python bench/inspections.py                  # the figures above; 1,000 repeats over 2,000 enterprises
    uv run python bench/inspections.py --database       # also through the service on SQLite
    uv run python bench/inspections.py --repeats 50     # a quick run

The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ecoloop.draws import algorithm

DRAW_ON = "2026-12-09"
UNITS = 20


def city(enterprises: int, officers: int, seed: int = 19) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """An enterprise pool snapshot and an officer pool snapshot as `service.announce` freezes them."""
    rng = random.Random(seed)
    staff = [{"user_id": u, "name": f"O{u}", "unit_id": 1000 + u % UNITS, "unit": f"U{u % UNITS}", "region": "R"}
             for u in range(1, officers + 1)]  # fmt: skip
    members = []
    for i in range(enterprises):
        last = None
        if rng.random() < 0.5:
            month = rng.randint(1, 12)
            last = {"date": f"2026-{month:02d}-15", "unit_id": 1000 + rng.randrange(UNITS),
                    "officers": sorted(rng.sample(range(1, officers + 1), 2))}  # fmt: skip
        members.append(
            {"enterprise_id": i + 1, "credit_code": f"91371802{i:09d}X", "name": f"企业{i}", "region": "清源区",
             "weight": 3 if i % 10 == 0 else 1, "positive_list": i % 50 == 7, "last_inspection": last,
             "conflicts": sorted(rng.sample(range(1, officers + 1), 1)) if i % 13 == 0 else []}
        )  # fmt: skip
    members.sort(key=lambda m: m["credit_code"])
    pool = {"kind": "enterprises", "name": "全市日常监管", "ratio": "10", "count": None, "members": members}
    return [pool], {"kind": "officers", "name": "全市执法人员", "members": staff}


def best_of(runs: int, work: Any) -> tuple[float, Any]:
    """The fastest of `runs` timed calls of `work` and its last value."""
    best, value = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        value = work()
        best = min(best, time.perf_counter() - start)
    return best, value


def baseline(pools: list[dict[str, Any]], officers: dict[str, Any], seed: str) -> list[tuple[str, list[int]]]:
    """A plain seeded sample with officers dealt round-robin: no weights, no avoidance, no hashes."""
    members = [m for m in pools[0]["members"] if not m["positive_list"]]
    take = algorithm.take_of(pools[0], len(members))
    chosen = random.Random(seed).sample(members, take)
    ids = [o["user_id"] for o in officers["members"]]
    return [(m["credit_code"], [ids[(2 * k) % len(ids)], ids[(2 * k + 1) % len(ids)]]) for k, m in enumerate(chosen)]


def digests(repeats: int, enterprises: int) -> list[str]:
    """The result hash of each of `repeats` draws, seeds bench-0 … bench-(repeats-1), over a smaller city."""
    pools, officers = city(enterprises, max(20, enterprises // 40))
    rules = algorithm.Rules(draw_on=DRAW_ON)
    out = []
    for n in range(repeats):
        seed = algorithm.seed_of("SJ20260001", f"bench-{n}")
        out.append(algorithm.sha256_hex(algorithm.canonical(algorithm.draw(pools, officers, seed, rules))))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--enterprises", type=int, default=20_000)
    parser.add_argument("--officers", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=1000)
    parser.add_argument("--repeat-enterprises", type=int, default=2000)
    parser.add_argument("--database", action="store_true", help="also run announce, draw and verify on SQLite")
    parser.add_argument("--digests", type=int, default=0, help=argparse.SUPPRESS)  # the second process's part
    args = parser.parse_args()
    if args.digests:
        full = city(args.enterprises, args.officers)
        seed = algorithm.seed_of("SJ20260001", "3412.56")
        whole = algorithm.canonical(algorithm.draw(*full, seed, algorithm.Rules(draw_on=DRAW_ON)))
        print(json.dumps({"full": algorithm.sha256_hex(whole), "each": digests(args.digests, args.repeat_enterprises)}))
        return

    pools, officers = city(args.enterprises, args.officers)
    seed = algorithm.seed_of("SJ20260001", "3412.56")
    rules = algorithm.Rules(draw_on=DRAW_ON)

    def run_draw() -> bytes:
        return algorithm.canonical(algorithm.draw(pools, officers, seed, rules))

    draw_seconds, result = best_of(3, run_draw)
    stored_hash = algorithm.sha256_hex(result)
    texts = [algorithm.canonical(p).decode() for p in [*pools, officers]]
    hashes = [algorithm.sha256_hex(t.encode()) for t in texts]

    def run_verify() -> bool:
        if [algorithm.sha256_hex(t.encode()) for t in texts] != hashes:
            return False
        parsed = [json.loads(t) for t in texts]
        again = algorithm.canonical(algorithm.draw(parsed[:-1], parsed[-1], seed, rules))
        return again == result and algorithm.sha256_hex(again) == stored_hash

    verify_seconds, matched = best_of(3, run_verify)
    baseline_seconds, _ = best_of(3, lambda: baseline(pools, officers, seed))
    parsed_result = json.loads(result)
    on_site = [a for a in parsed_result["assignments"] if a["on_site"]]
    loads = [n for _, n in parsed_result["loads"]]
    avoided = sum(len(a["avoided"]) for a in on_site)
    waived = sum(a["rotation_waived"] for a in on_site)
    print(f"city: {args.enterprises:,} enterprises, {args.officers} officers in {UNITS} units; result "
          f"{len(result):,} bytes, SHA-256 {stored_hash[:16]}…")  # fmt: skip
    print(f"drawn: {len(on_site):,} on site, {len(parsed_result['assignments']) - len(on_site):,} off site; "
          f"loads {min(loads)}-{max(loads)} (cap {parsed_result['load_cap']}); {avoided:,} avoidances applied, "
          f"rotation waived {waived}")  # fmt: skip
    print(f"draw    {draw_seconds:.3f} s   (baseline sample {baseline_seconds * 1000:.1f} ms: "
          f"{draw_seconds / baseline_seconds:.0f}x)")  # fmt: skip
    print(f"verify  {verify_seconds:.3f} s   ({verify_seconds / draw_seconds:.2f}x the draw); matched: {matched}")

    started = time.perf_counter()
    mine = digests(args.repeats, args.repeat_enterprises)
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    other = subprocess.run(
        [sys.executable, __file__, "--digests", str(args.repeats), "--enterprises", str(args.enterprises),
         "--officers", str(args.officers), "--repeat-enterprises", str(args.repeat_enterprises)],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    theirs = json.loads(other.stdout.strip().splitlines()[-1])
    identical = sum(a == b for a, b in zip(mine, theirs["each"], strict=True))
    print(f"repeats: {identical} of {args.repeats} draws over {args.repeat_enterprises:,} enterprises identical in a "
          f"second process ({len(set(mine))} distinct results); the full draw identical: "
          f"{theirs['full'] == stored_hash}  ({time.perf_counter() - started:.1f} s)")  # fmt: skip
    figures: dict[str, Any] = {
        "draw_seconds": round(draw_seconds, 4),
        "verify_seconds": round(verify_seconds, 4),
        "baseline_seconds": round(baseline_seconds, 5),
        "identical": identical,
        "repeats": args.repeats,
        "full_identical": theirs["full"] == stored_hash,
        "enterprises": args.enterprises,
        "officers": args.officers,
    }
    if args.database:
        figures |= through_database(args.enterprises, args.officers)
    print(json.dumps(figures))


def through_database(enterprises: int, officers: int) -> dict[str, float]:
    """Announce, draw and verify through the service on a SQLite file holding the same city."""
    from sqlalchemy import insert, select
    from sqlalchemy.orm import Session

    import ecoloop.tables  # noqa: F401  # every table and scope rule
    from ecoloop.db.engine import make_engine
    from ecoloop.db.migrate import upgrade
    from ecoloop.draws import service, verification
    from ecoloop.draws.models import OfficerCertificate, OfficerConflict
    from ecoloop.enterprises.models import Enterprise, ListMembership, SupervisionList
    from ecoloop.identity.enums import OrgKind, Role
    from ecoloop.identity.models import Organisation, User
    from tests.factories import build_world

    zone = ZoneInfo("Asia/Shanghai")
    folder = tempfile.mkdtemp(prefix="bench-draws-")
    url = f"sqlite:///{folder}/draws.sqlite"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as db:
        world = build_world(db)
        units = []
        for n in range(UNITS):
            unit = Organisation(code=f"unit-{n}", name=f"执法大队{n}", kind=OrgKind.BRANCH, region_id=world.city.id)
            db.add(unit)
            units.append(unit)
        db.flush()
        db.execute(insert(User), [
            {"username": f"officer{u}", "display_name": f"执法人员{u}", "password_hash": "x", "role": Role.INSPECTOR,
             "organisation_id": units[u % UNITS].id} for u in range(officers)])  # fmt: skip
        ids = list(db.scalars(select(User.id).where(User.username.startswith("officer"))))
        db.execute(insert(OfficerCertificate), [
            {"user_id": u, "number": f"C{u}", "valid_from": date(2025, 1, 1), "valid_to": date(2030, 1, 1),
             "issued_by": ""} for u in ids])  # fmt: skip
        db.execute(insert(Enterprise), [
            {"credit_code": f"91371802{i:09d}X", "name": f"企业{i}", "region_id": world.town_a.id,
             "industry_code": "C3011"} for i in range(enterprises)])  # fmt: skip
        firms = list(db.scalars(select(Enterprise.id).where(Enterprise.name.startswith("企业"))))
        lists = {c: db.scalars(select(SupervisionList.id).where(SupervisionList.code == c)).one()
                 for c in ("key_discharge_units", "enforcement_positive_list")}  # fmt: skip
        db.execute(insert(ListMembership), [
            {"list_id": lists["key_discharge_units" if k % 10 == 0 else "enforcement_positive_list"],
             "enterprise_id": e, "start": date(2026, 1, 1), "reason": "", "document": ""}
            for k, e in enumerate(firms) if k % 10 == 0 or k % 50 == 7])  # fmt: skip
        rng = random.Random(7)
        db.execute(insert(OfficerConflict), [
            {"user_id": rng.choice(ids), "enterprise_id": e, "reason": "", "start": date(2026, 1, 1)}
            for k, e in enumerate(firms) if k % 13 == 0])  # fmt: skip
        p = world.principal(db, "analyst")
        pool = service.save_enterprise_pool(db, p, service.EnterprisePoolForm(
            name="全市", region_id=world.county_a.id, ratio_percent=Decimal(10),
            weights={"key_discharge_units": 3}))  # fmt: skip
        staff = service.save_officer_pool(db, p, name="全市执法人员", region_id=world.city.id)
        db.commit()

        def one(day: date, value: str) -> tuple[int, float, float]:
            now = datetime.combine(day - timedelta(days=2), datetime.min.time(), UTC)
            a = service.Announcement(
                title="bench", region_id=world.county_a.id, period_label="", period_start=day, period_end=day,
                draw_on=day, seed_source="bench", seed_date=day, enterprise_pool_ids=[pool.id],
                officer_pool_ids=[staff.id])  # fmt: skip
            start = time.perf_counter()
            draw = service.announce(db, p, a, now=now, zone=zone)
            announced = time.perf_counter() - start
            later = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=2)
            service.enter_public_value(db, p, draw.id, value, now=later, zone=zone)
            start = time.perf_counter()
            service.perform(db, p, draw.id, now=later)
            db.commit()
            return draw.id, announced, time.perf_counter() - start

        one(date(2026, 6, 10), "first")  # the history the second draw avoids
        draw_id, announced, drawn = one(date(2026, 12, 9), "3412.56")
        db.expire_all()
        start = time.perf_counter()
        found = verification.verify(db, draw_id)
        verified = time.perf_counter() - start
        assert found is not None and found.ok, found.problems if found else None
    engine.dispose()
    print(f"database (SQLite): announce {announced:.2f} s (pools frozen from the tables), draw {drawn:.2f} s "
          f"(with its rows and audit trail), verify {verified:.2f} s (with its reads)")  # fmt: skip
    return {"db_announce_seconds": round(announced, 3), "db_draw_seconds": round(drawn, 3),
               "db_verify_seconds": round(verified, 3)}  # fmt: skip


if __name__ == "__main__":
    main()
