"""The draw's algorithm on hand-made snapshots: reproducible bytes, weights, the 正面清单 set aside as 非现场
checks, each avoidance rule, the two-officer minimum and the load cap."""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from datetime import date
from typing import Any

import pytest

from ecoloop.draws import algorithm
from ecoloop.draws.algorithm import Rules, Unstaffable, canonical, months_before, seed_of, take_of

SEED = seed_of("SJ20260001", "3412.56")
RULES = Rules(draw_on="2026-12-09")


def member(i: int, **extra: Any) -> dict[str, Any]:
    return {"enterprise_id": i, "credit_code": f"91371802{i:010d}", "name": f"E{i}", "region": "R", "weight": 1,
            "positive_list": False, "last_inspection": None, "conflicts": [], **extra}  # fmt: skip


def officers(n: int, units: int = 2) -> dict[str, Any]:
    return {"members": [{"user_id": u, "name": f"O{u}", "unit_id": 100 + u % units} for u in range(1, n + 1)]}


def pool(members: list[dict[str, Any]], **take: Any) -> dict[str, Any]:
    return {"name": "P", "ratio": None, "count": None, **take, "members": members}


def test_the_seed_is_sha256_of_number_line_feed_value() -> None:
    assert seed_of(" SJ20260001 ", " 3412.56 ") == hashlib.sha256(b"SJ20260001\n3412.56").hexdigest()


def test_canonical_json_sorts_keys_and_keeps_chinese() -> None:
    assert canonical({"b": 1, "a": "清源"}) == '{"a":"清源","b":1}'.encode()


def test_a_ticket_is_hmac_sha256_with_the_seed_as_key() -> None:
    expected = hmac.new(SEED.encode(), b"91371802#1", hashlib.sha256).digest()
    assert algorithm.ticket(SEED, "91371802#1") == int.from_bytes(expected, "big")


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 12, 9), 12, date(2025, 12, 9)),
        (date(2026, 3, 31), 1, date(2026, 2, 28)),
        (date(2024, 3, 31), 1, date(2024, 2, 29)),
        (date(2026, 1, 15), 1, date(2025, 12, 15)),
        (date(2026, 5, 31), 0, date(2026, 5, 31)),
    ],
)
def test_months_before(day: date, months: int, expected: date) -> None:
    assert months_before(day, months) == expected


@pytest.mark.parametrize(
    ("take", "members", "expected"),
    [
        ({"count": 3}, 10, 3),
        ({"count": 30}, 10, 10),
        ({"ratio": "5"}, 100, 5),
        ({"ratio": "5"}, 101, 6),  # ceil(5.05)
        ({"ratio": "33.33"}, 3, 1),  # ceil(0.9999)
        ({"ratio": "100"}, 7, 7),
        ({}, 4, 4),
    ],
)
def test_how_many_a_pool_gives(take: dict[str, Any], members: int, expected: int) -> None:
    assert take_of(take, members) == expected


def test_same_seed_same_bytes_and_another_seed_another_draw() -> None:
    pools = [pool([member(i) for i in range(1, 41)], count=10)]
    first = canonical(algorithm.draw(pools, officers(8), SEED, RULES))
    again = canonical(algorithm.draw(pools, officers(8), SEED, RULES))
    other = algorithm.draw(pools, officers(8), seed_of("SJ20260001", "3412.57"), RULES)
    assert first == again
    drawn = {a["credit_code"] for a in algorithm.draw(pools, officers(8), SEED, RULES)["assignments"]}
    assert drawn != {a["credit_code"] for a in other["assignments"]}


def test_the_ranking_is_by_the_largest_ticket_descending() -> None:
    members = [member(i) for i in range(1, 11)]
    result = algorithm.draw([pool(members, count=3)], officers(6), SEED, RULES)
    by_hand = sorted(members, key=lambda m: -algorithm.ticket(SEED, f"{m['credit_code']}#1"))[:3]
    assert [a["credit_code"] for a in result["assignments"]] == [m["credit_code"] for m in by_hand]
    assert result["assignments"][0]["key"] == f"{algorithm.ticket(SEED, by_hand[0]['credit_code'] + '#1'):064x}"


def test_key_enterprises_with_a_weight_are_drawn_more_often() -> None:
    heavy = {f"91371802{i:010d}" for i in range(1, 11)}
    members = [member(i, weight=3 if i <= 10 else 1) for i in range(1, 41)]
    counts: Counter[str] = Counter()
    for n in range(300):
        result = algorithm.draw([pool(members, count=5)], officers(10), seed_of("T", str(n)), RULES)
        counts.update("heavy" if a["credit_code"] in heavy else "light" for a in result["assignments"])
    # 10 of 40 members hold 30 of 60 tickets: about half of the draws' places go to them, not a quarter.
    assert counts["heavy"] / (counts["heavy"] + counts["light"]) > 0.4


def test_positive_list_members_are_listed_as_off_site_checks_and_not_drawn_on_site() -> None:
    members = [member(i, positive_list=i % 3 == 0) for i in range(1, 13)]
    result = algorithm.draw([pool(members, ratio="50")], officers(6), SEED, RULES)
    on_site = [a for a in result["assignments"] if a["on_site"]]
    off_site = [a for a in result["assignments"] if not a["on_site"]]
    assert {a["enterprise_id"] for a in off_site} == {3, 6, 9, 12}
    assert all(a["officers"] == [] for a in off_site)
    assert not {a["enterprise_id"] for a in on_site} & {3, 6, 9, 12}
    assert len(on_site) == 4  # half of the 8 on-site members
    assert result["pools"][0] | {} == {"position": 1, "name": "P", "size": 12, "on_site_members": 8, "take": 4,
                                       "drawn": 4, "offsite": 4}  # fmt: skip


def test_an_enterprise_in_two_pools_is_drawn_once() -> None:
    members = [member(i) for i in range(1, 6)]
    result = algorithm.draw([pool(members, count=5), pool(members, count=5)], officers(6), SEED, RULES)
    assert len(result["assignments"]) == 5
    assert result["pools"][1]["drawn"] == 0


def test_every_on_site_enterprise_gets_two_distinct_officers() -> None:
    result = algorithm.draw([pool([member(i) for i in range(1, 21)])], officers(7), SEED, RULES)
    for a in result["assignments"]:
        assert len({o["user_id"] for o in a["officers"]}) == 2
        assert a["unit_id"] == a["officers"][0]["unit_id"]


def test_a_team_of_three_when_the_rules_say_so() -> None:
    rules = Rules(draw_on="2026-12-09", team=3)
    result = algorithm.draw([pool([member(i) for i in range(1, 5)])], officers(9), SEED, rules)
    assert all(len(a["officers"]) == 3 for a in result["assignments"])


def test_a_declared_conflict_keeps_the_officer_away_and_is_reported() -> None:
    members = [member(i, conflicts=[1, 2]) for i in range(1, 11)]
    result = algorithm.draw([pool(members)], officers(6), SEED, RULES)
    for a in result["assignments"]:
        assert not {o["user_id"] for o in a["officers"]} & {1, 2}
        assert {"rule": "conflict", "user_id": 1} in a["avoided"]
    relaxed = algorithm.draw([pool(members)], officers(6), SEED, Rules(draw_on="2026-12-09", avoid_conflicts=False))
    assert any({o["user_id"] for o in a["officers"]} & {1, 2} for a in relaxed["assignments"])


def test_the_officers_of_the_last_inspection_are_avoided() -> None:
    last = {"date": "2020-01-01", "unit_id": 101, "officers": [3, 4]}
    members = [member(i, last_inspection=last) for i in range(1, 9)]
    result = algorithm.draw([pool(members)], officers(6), SEED, RULES)
    for a in result["assignments"]:
        assert not {o["user_id"] for o in a["officers"]} & {3, 4}
        assert {"rule": "last_inspector", "user_id": 3} in a["avoided"]


def test_the_unit_of_a_recent_inspection_is_rotated_out_when_another_unit_can_go() -> None:
    # Officers 1..6: odd ones in unit 101, even ones in unit 100.
    recent = {"date": "2026-06-01", "unit_id": 101, "officers": []}
    old = {"date": "2025-06-01", "unit_id": 101, "officers": []}
    result = algorithm.draw([pool([member(1, last_inspection=recent), member(2, last_inspection=old)])],
                            officers(6), SEED, RULES)  # fmt: skip
    by_id = {a["enterprise_id"]: a for a in result["assignments"]}
    assert {o["unit_id"] for o in by_id[1]["officers"]} == {100}
    assert {"rule": "recent_unit", "unit_id": 101} in by_id[1]["avoided"]
    assert not any(x["rule"] == "recent_unit" for x in by_id[2]["avoided"])  # older than 12 months
    off = algorithm.draw([pool([member(1, last_inspection=recent)])], officers(6), SEED,
                         Rules(draw_on="2026-12-09", rotation_months=0))  # fmt: skip
    assert not any(x["rule"] == "recent_unit" for x in off["assignments"][0]["avoided"])


def test_the_rotation_is_waived_when_no_other_unit_has_two_officers() -> None:
    # One officer in unit 100, three in unit 101: without unit 101 only one officer is left.
    pool_of_officers = {
        "members": [{"user_id": 1, "unit_id": 100}] + [{"user_id": u, "unit_id": 101} for u in (2, 3, 4)]
    }
    recent = {"date": "2026-10-01", "unit_id": 101, "officers": []}
    result = algorithm.draw([pool([member(1, last_inspection=recent)])], pool_of_officers, SEED, RULES)
    entry = result["assignments"][0]
    assert entry["rotation_waived"] is True
    assert len(entry["officers"]) == 2


def test_the_draw_is_refused_naming_the_enterprises_that_cannot_get_two_officers() -> None:
    members = [member(1, conflicts=[1]), member(2), member(3, conflicts=[2])]
    with pytest.raises(Unstaffable) as refused:
        algorithm.draw([pool(members)], officers(2), SEED, RULES)
    assert sorted(refused.value.enterprises) == [("913718020000000001", "E1"), ("913718020000000003", "E3")]
    assert refused.value.team == 2


def test_a_single_officer_never_makes_a_team() -> None:
    with pytest.raises(Unstaffable):
        algorithm.draw([pool([member(1)])], officers(1), SEED, Rules(draw_on="2026-12-09", team=1))


def test_the_load_is_fair() -> None:
    members = [member(i, conflicts=[1] if i % 4 == 0 else []) for i in range(1, 101)]
    result = algorithm.draw([pool(members)], officers(13, units=3), SEED, RULES)
    loads = dict(result["loads"])
    # 100 enterprises x 2 officers over 13 officers: cap ceil(200 / 13) + 1 = 17; the spread is at most 1 here.
    assert result["load_cap"] == 17
    assert max(loads.values()) <= 17
    assert max(loads.values()) - min(loads.values()) <= 1
    assert sum(loads.values()) == 200


def test_the_load_cap_refuses_rather_than_overloads() -> None:
    # Every enterprise avoids officers 1..3 of 5: 20 enterprises x 2 would need 20 each of officers 4 and 5,
    # over the cap ceil(40 / 5) + 1 = 9.
    members = [member(i, conflicts=[1, 2, 3]) for i in range(1, 21)]
    with pytest.raises(Unstaffable) as refused:
        algorithm.draw([pool(members)], officers(5), SEED, RULES)
    assert len(refused.value.enterprises) == 11  # 9 staffed, 11 left
