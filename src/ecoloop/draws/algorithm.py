"""The draw (双随机): which enterprises of the frozen pools are checked and which certified officers go to each,
computed from the pool snapshots, the seed and the rules alone, so that anyone can re-run it and get the same
bytes (docs/draws.md walks through it by hand).

Pure: values in, values out; no session, clock, settings or logging. The policy it implements: 国务院办公厅关于推广
随机抽查规范事中事后监管的通知 (国办发[2015]58号) (random choice of the enterprises and of the officers, results
published) and 环境保护部办公厅关于在污染源日常环境监管领域推广随机抽查制度的实施方案 (环办[2015]88号) (重点排污单位
drawn in a higher proportion) [unverified: wording of both]; at least two certified officers per check:
行政处罚法 (2021) 第四十二条 (执法人员不得少于两人, 应当具有行政执法资格).

1. Canonical JSON: keys sorted, no spaces, UTF-8 (`canonical`); every hash is the SHA-256 of those bytes.
2. The seed: SHA-256 of the UTF-8 of the draw number, a line feed and the public value (`seed_of`).
3. Enterprises, per pool in order: members on the 正面清单 are set aside as 非现场 checks; the others are ranked by
   their ticket key, the largest HMAC-SHA256(seed, "<credit code>#<t>") for t = 1 … weight, read as a 256-bit
   integer, descending (ties: credit code ascending). The largest of `w` uniform tickets is distributed as
   U^(1/w): this is Efraimidis-Spirakis weighted sampling without replacement, in integers. The first
   `take` are drawn, skipping enterprises already drawn from an earlier pool; `take` is the pool's count, or
   ceil(ratio * on-site members / 100).
4. Officers: the certified officers are ordered once by HMAC-SHA256(seed, "officer#<user id>") descending; each
   drawn enterprise rotates that order to start at HMAC-SHA256(seed, "team#<credit code>") mod N. In draw order,
   each enterprise gets the `team` officers with the smallest (load so far, place in its rotated order) among
   those not avoided and under the load cap ceil(team * enterprises / N) + slack. Avoided: declared conflicts,
   the officers of its last inspection, and the officers of the unit of its last inspection when that was
   within `rotation_months` — unless without that unit fewer than `team` officers remain (then the rotation is
   waived for it and the result says so).
5. If an enterprise cannot be staffed, the draw is refused with the list of those enterprises (`Unstaffable`).
"""

from __future__ import annotations

import bisect
import hashlib
import hmac
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any

ALGORITHM = "ecoloop-draw-1"
"""The name and version of this algorithm, stored with each draw and published with it."""

MIN_TEAM = 2  # 行政处罚法 (2021) 第四十二条: 执法人员不得少于两人
POSITIVE_LIST = "enforcement_positive_list"  # 生态环境监督执法正面清单 (migration 0004)


def canonical(value: Any) -> bytes:
    """The canonical JSON bytes of `value`: keys sorted, no spaces, UTF-8 (non-ASCII as is)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of `data` in lowercase hex."""
    return hashlib.sha256(data).hexdigest()


def seed_of(number: str, public_value: str) -> str:
    """The draw's seed: SHA-256 (hex) of the UTF-8 of its number, a line feed, and the public value as entered
    (surrounding spaces removed)."""
    return sha256_hex(f"{number.strip()}\n{public_value.strip()}".encode())


def ticket(seed: str, message: str) -> int:
    """HMAC-SHA256 with the seed (its 64 hex characters as ASCII) as key over `message` (UTF-8), as an integer."""
    return int.from_bytes(hmac.digest(seed.encode(), message.encode(), "sha256"), "big")


@dataclass(frozen=True)
class Rules:
    """The rules a draw applies, frozen with it at the announcement."""

    draw_on: str  # ISO date the pools, certificates and recent inspections are judged on
    team: int = MIN_TEAM  # officers per on-site enterprise
    avoid_conflicts: bool = True
    avoid_last_inspectors: bool = True
    rotation_months: int = 12  # 0: no rotation between units
    load_slack: int = 1  # the cap is ceil(team * enterprises / officers) + slack

    def as_json(self) -> dict[str, Any]:
        """The rules as the JSON object stored and hashed."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Rules:
        """Rules from their stored JSON object."""
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


class Unstaffable(ValueError):
    """The draw cannot give every drawn enterprise enough officers: the draw is refused."""

    def __init__(self, enterprises: Sequence[tuple[str, str]], team: int) -> None:
        super().__init__(f"{len(enterprises)} enterprises cannot be given {team} officers")
        self.enterprises = list(enterprises)  # (credit code, name)
        self.team = team


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier (the month's last day when that month is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = index // 12, index % 12 + 1
    following = date(year + month // 12, month % 12 + 1, 1)
    return date(year, month, min(day.day, (following - date(year, month, 1)).days))


def take_of(pool: Mapping[str, Any], on_site_members: int) -> int:
    """How many on-site enterprises a pool gives: its count, else ceil(ratio * members / 100), at most all."""
    if pool.get("count") is not None:
        wanted = int(pool["count"])
    elif pool.get("ratio") is not None:
        wanted = math.ceil(Decimal(str(pool["ratio"])) * on_site_members / 100)
    else:
        wanted = on_site_members
    return max(0, min(wanted, on_site_members))


def _rank(seed: str, members: Sequence[Mapping[str, Any]]) -> list[tuple[int, Mapping[str, Any]]]:
    """Members with their ticket key, largest key first (ties: credit code ascending)."""
    keyed = []
    for member in members:
        code = member["credit_code"]
        weight = max(1, int(member.get("weight", 1)))
        keyed.append((max(ticket(seed, f"{code}#{t}") for t in range(1, weight + 1)), member))
    keyed.sort(key=lambda pair: (-pair[0], pair[1]["credit_code"]))
    return keyed


@dataclass
class _Officers:
    """The officer order and the officers by load, each load's list kept in officer order (for the rotation)."""

    ids: list[int]  # in officer order
    units: dict[int, int | None]
    load: dict[int, int]
    levels: dict[int, list[int]]  # load → sorted places in the officer order

    def pick(self, start: int, team: int, cap: int, excluded: set[int]) -> list[int]:
        """The `team` officers with the smallest (load, place after `start`) not in `excluded`, under `cap`."""
        chosen: list[int] = []
        for level in sorted(self.levels):
            if level >= cap:
                break
            places = self.levels[level]
            i = bisect.bisect_left(places, start)
            for p in places[i:] + places[:i]:
                officer = self.ids[p]
                if officer not in excluded:
                    chosen.append(officer)
                    if len(chosen) == team:
                        return chosen
        return chosen

    def add(self, officer: int, place: int) -> None:
        """One more enterprise for `officer`."""
        level = self.load[officer]
        self.levels[level].remove(place)
        if not self.levels[level]:
            del self.levels[level]
        self.load[officer] = level + 1
        bisect.insort(self.levels.setdefault(level + 1, []), place)


def draw(
    enterprise_pools: Sequence[Mapping[str, Any]], officer_pool: Mapping[str, Any], seed: str, rules: Rules
) -> dict[str, Any]:
    """The result of the draw (a JSON object; `canonical` of it is what is stored and hashed), or `Unstaffable`."""
    drawn: list[dict[str, Any]] = []
    seen: set[str] = set()
    pools_out = []
    for position, pool in enumerate(enterprise_pools, start=1):
        members = pool["members"]
        offsite = [m for m in members if m.get("positive_list")]
        onsite = [m for m in members if not m.get("positive_list")]
        take = take_of(pool, len(onsite))
        taken = 0
        for key, member in _rank(seed, onsite):
            if taken == take:
                break
            if member["credit_code"] in seen:
                continue
            seen.add(member["credit_code"])
            drawn.append(_entry(member, position, on_site=True, key=key))
            taken += 1
        listed = 0
        for member in offsite:  # already in credit-code order
            if member["credit_code"] not in seen:
                seen.add(member["credit_code"])
                drawn.append(_entry(member, position, on_site=False, key=None))
                listed += 1
        pools_out.append(
            {"position": position, "name": pool["name"], "size": len(members), "on_site_members": len(onsite),
             "take": take, "drawn": taken, "offsite": listed}
        )  # fmt: skip
    by_code = {m["credit_code"]: m for pool in enterprise_pools for m in pool["members"]}
    loads, cap = _staff(drawn, by_code, officer_pool["members"], seed, rules)
    for index, entry in enumerate(drawn, start=1):
        entry["position"] = index
    return {
        "algorithm": ALGORITHM,
        "seed": seed,
        "rules": rules.as_json(),
        "pools": pools_out,
        "officers": len(officer_pool["members"]),
        "load_cap": cap,
        "loads": [[officer, n] for officer, n in sorted(loads.items()) if n],
        "assignments": drawn,
    }


def _entry(member: Mapping[str, Any], pool: int, *, on_site: bool, key: int | None) -> dict[str, Any]:
    return {
        "pool": pool,
        "enterprise_id": member["enterprise_id"],
        "credit_code": member["credit_code"],
        "name": member["name"],
        "region": member.get("region", ""),
        "weight": int(member.get("weight", 1)),
        "key": None if key is None else f"{key:064x}",
        "on_site": on_site,
        "officers": [],
        "unit_id": None,
        "avoided": [],
        "rotation_waived": False,
    }


def _staff(
    drawn: list[dict[str, Any]],
    members: Mapping[str, Mapping[str, Any]],
    officers: Sequence[Mapping[str, Any]],
    seed: str,
    rules: Rules,
) -> tuple[dict[int, int], int]:
    """Give each on-site entry its officers (step 4); the final loads and the cap."""
    onsite = [e for e in drawn if e["on_site"]]
    team = max(MIN_TEAM, rules.team)
    order = sorted(officers, key=lambda o: (-ticket(seed, f"officer#{o['user_id']}"), int(o["user_id"])))
    ids = [int(o["user_id"]) for o in order]
    place = {officer: i for i, officer in enumerate(ids)}
    pool = _Officers(
        ids=ids,
        units={int(o["user_id"]): o.get("unit_id") for o in order},
        load=dict.fromkeys(ids, 0),
        levels={0: list(range(len(ids)))} if ids else {},
    )
    n = len(ids)
    cap = math.ceil(team * len(onsite) / n) + rules.load_slack if n else 0
    cutoff = months_before(date.fromisoformat(rules.draw_on), rules.rotation_months).isoformat()
    failed: list[tuple[str, str]] = []
    for entry in onsite:
        member = members[entry["credit_code"]]
        excluded, avoided = _avoided(member, rules)
        last = member.get("last_inspection") or {}
        unit = last.get("unit_id") if rules.rotation_months > 0 and last.get("date", "") >= cutoff else None
        start = ticket(seed, f"team#{entry['credit_code']}") % n if n else 0
        chosen: list[int] = []
        if unit is not None:
            by_unit = {o for o in ids if pool.units[o] == unit}
            chosen = pool.pick(start, team, cap, excluded | by_unit)
            if len(chosen) == team:
                avoided.append({"rule": "recent_unit", "unit_id": unit})
            else:
                entry["rotation_waived"] = True
                chosen = []
        if not chosen:
            chosen = pool.pick(start, team, cap, excluded)
        if len(chosen) < team:
            failed.append((entry["credit_code"], entry["name"]))
            continue
        for officer in chosen:
            pool.add(officer, place[officer])
        entry["officers"] = [{"user_id": o, "unit_id": pool.units[o]} for o in chosen]
        entry["unit_id"] = pool.units[chosen[0]]
        entry["avoided"] = avoided
    if failed:
        raise Unstaffable(failed, team)
    return pool.load, cap


def _avoided(member: Mapping[str, Any], rules: Rules) -> tuple[set[int], list[dict[str, Any]]]:
    """The officers an enterprise must not get (declared conflicts, its last inspectors) and the report of why."""
    excluded: set[int] = set()
    avoided: list[dict[str, Any]] = []
    if rules.avoid_conflicts:
        for officer in sorted({int(o) for o in member.get("conflicts", [])}):
            excluded.add(officer)
            avoided.append({"rule": "conflict", "user_id": officer})
    last = member.get("last_inspection") or {}
    if rules.avoid_last_inspectors:
        for officer in sorted({int(o) for o in last.get("officers", [])} - excluded):
            excluded.add(officer)
            avoided.append({"rule": "last_inspector", "user_id": officer})
    return excluded, avoided
