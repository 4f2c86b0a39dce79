"""The Open311 GeoReport v2 writer and readers (pure): field names as the spec has them, XML with its declaration,
JSON root arrays, errors, the POST form with `attribute[...]`, the list query's ranges, public values only."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from ecoloop.intake import open311
from ecoloop.intake.enums import Channel, Status, Topic
from ecoloop.intake.models import Complaint
from ecoloop.intake.open311 import Open311Error

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
PHONE = "13812345678"


def words(text: str) -> str:
    return f"<{text}>"


def complaint(**changes: object) -> Complaint:
    values: dict[str, object] = {
        "ticket": "2026-ABCD-EFGH",
        "channel": Channel.OPEN311,
        "topic": Topic.SMOKE,
        "category": Topic.SMOKE.category,
        "description": "烟囱冒黑烟 138****5678",
        "address": "幸福路 1 号",
        "longitude": Decimal("116.397123"),
        "latitude": Decimal("39.908567"),
        "status": Status.ACCEPTED,
        "received_at": NOW,
        "updated_at": NOW + timedelta(hours=1),
        "accept_due": date(2026, 12, 28),
        "conclude_due": None,
        "reply": "",
        "decision_note": "",
    }
    values.update(changes)
    return Complaint(**values)


def test_xml_carries_the_spec_declaration_and_parses() -> None:
    body = open311.document("xml", "services", "service", [open311.service_row(Topic.SMOKE, words)])

    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<services>')
    root = ET.fromstring(body)
    assert root.tag == "services"
    assert [child.tag for child in root] == ["service"]
    assert tuple(child.tag for child in root[0]) == open311.SERVICE_FIELDS


def test_json_roots_are_arrays_and_codes_strings() -> None:
    rows = json.loads(open311.document("json", "services", "service", [open311.service_row(t, words) for t in Topic]))

    assert isinstance(rows, list)
    assert [row["service_code"] for row in rows] == [t.value for t in Topic]
    assert all(isinstance(row["service_code"], str) and row["metadata"] is False for row in rows)
    assert all(row["type"] == "realtime" for row in rows)


def test_service_rows_name_topics_and_their_category_group() -> None:
    row = open311.service_row(Topic.CONSTRUCTION_NOISE, words)

    assert row["service_name"] == f"<{Topic.CONSTRUCTION_NOISE.label}>"
    assert row["group"] == f"<{Topic.CONSTRUCTION_NOISE.category.label}>"
    assert row["description"] == f"<{Topic.CONSTRUCTION_NOISE.description}>"
    assert str(row["keywords"]).split(",") == [row["service_name"], row["group"]]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_errors_bodies(fmt: open311.Format) -> None:
    body = open311.errors(fmt, [(403, "bad key"), (400, "no <place>")])

    if fmt == "json":
        assert json.loads(body) == [{"code": 403, "description": "bad key"}, {"code": 400, "description": "no <place>"}]
        return
    root = ET.fromstring(body)
    assert root.tag == "errors"
    assert [[(c.tag, c.text) for c in error] for error in root] == [
        [("code", "403"), ("description", "bad key")],
        [("code", "400"), ("description", "no <place>")],
    ]
    assert b"&lt;place&gt;" in body


def test_a_request_row_has_the_spec_fields_and_only_public_values() -> None:
    row = open311.request_row(complaint(description=f"烟囱冒黑烟 {PHONE}"), "城区分局", SHANGHAI, words, "湖滨街道")

    assert tuple(row) == open311.REQUEST_FIELDS
    assert row["service_request_id"] == "2026-ABCD-EFGH"
    assert row["status"] == "open"
    assert row["description"] == ""  # what the citizen wrote is not published: it may name them or their home
    assert row["address"] == "湖滨街道"  # the area, not the address they gave
    assert row["agency_responsible"] == "城区分局"
    assert row["requested_datetime"] == "2026-12-07T10:00:00+08:00"
    assert row["updated_datetime"] == "2026-12-07T11:00:00+08:00"
    assert row["expected_datetime"] == "2026-12-28T23:59:59+08:00"
    assert (row["lat"], row["long"]) == ("39.909", "116.397")
    assert row["media_url"] == ""
    assert PHONE not in json.dumps(row, ensure_ascii=False)


@pytest.mark.parametrize(
    ("status", "public", "notes"),
    [
        (Status.RECEIVED, "open", ""),
        (Status.ACCEPTED, "open", ""),
        (Status.REVIEW, "open", "已处理"),
        (Status.REPLIED, "closed", "已处理"),
        (Status.CLOSED, "closed", "已处理"),
        (Status.NOT_ACCEPTED, "closed", "不属于环保职责"),
    ],
)
def test_status_and_its_notes(status: Status, public: str, notes: str) -> None:
    reply = "" if status in (Status.RECEIVED, Status.ACCEPTED) else "已处理"
    row = open311.request_row(
        complaint(status=status, reply=reply, decision_note="不属于环保职责"), "", SHANGHAI, words
    )

    assert (row["status"], row["status_notes"]) == (public, notes)


def test_expected_datetime_is_the_conclusion_deadline_once_there_is_one() -> None:
    row = open311.request_row(complaint(conclude_due=date(2027, 3, 1)), "", SHANGHAI, words)

    assert row["expected_datetime"] == "2027-03-01T23:59:59+08:00"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("39.908567"), "39.909"),
        (Decimal("39.9085"), "39.909"),
        (Decimal("39.9084999"), "39.908"),
        (Decimal("-0.0005"), "-0.001"),
        (Decimal("116"), "116.000"),
        (None, ""),
    ],
)
def test_coordinates_are_rounded_to_about_100_m(value: Decimal | None, shown: str) -> None:
    assert open311.coarse(value) == shown


def test_the_post_form_reads_fields_and_attributes() -> None:
    creation = open311.read_form(
        [
            ("service_code", "air.smoke"),
            ("service_code", "ignored.second"),
            ("lat", "39.9"),
            ("long", "116.4"),
            ("first_name", "三"),
            ("last_name", "张"),
            ("email", "a@b.c"),
            ("media_url", "http://169.254.169.254/"),
            ("attribute[consent]", "true"),
            ("attribute[KIND][]", "a"),
            ("attribute[KIND][]", "b"),
            ("attribute[bad", "x"),
        ]
    )

    assert creation.service_code == "air.smoke"
    assert (creation.lat, creation.long, creation.name) == ("39.9", "116.4", "三 张")
    assert creation.attributes == {"consent": ("true",), "KIND": ("a", "b")}
    assert not hasattr(creation, "media_url") and not hasattr(creation, "email")


def test_the_list_query_defaults_to_the_last_90_days() -> None:
    listing = open311.read_listing({}, NOW)

    assert (listing.start, listing.end) == (NOW - timedelta(days=90), NOW)
    assert listing.statuses == frozenset()


def test_ids_override_every_other_argument() -> None:
    listing = open311.read_listing({"service_request_id": "A, B,,C", "start_date": "nonsense"}, NOW)

    assert listing.tickets == ("A", "B", "C")
    assert listing.start is None


def test_the_list_query_reads_codes_dates_and_statuses() -> None:
    listing = open311.read_listing(
        {
            "service_code": "air.smoke,noise.construction",
            "start_date": "2026-11-01T00:00:00+08:00",
            "status": "closed",
        },
        NOW,
    )

    assert listing.topics == (Topic.SMOKE, Topic.CONSTRUCTION_NOISE)
    assert listing.start == datetime(2026, 10, 31, 16, tzinfo=UTC)
    assert listing.end == listing.start + timedelta(days=90)
    assert listing.statuses == {Status.NOT_ACCEPTED, Status.REPLIED, Status.CLOSED}


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-05-01T00:00:00Z"}, 400),  # 120 days
        ({"start_date": "2026-05-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, 400),
        ({"start_date": "2026-11-01T00:00:00"}, 400),  # no zone
        ({"end_date": "yesterday"}, 400),
        ({"status": "pending"}, 400),
        ({"service_code": "air.smoke,no.such"}, 404),
    ],
)
def test_the_list_query_refuses(params: dict[str, str], status: int) -> None:
    with pytest.raises(Open311Error) as refused:
        open311.read_listing(params, NOW)

    assert refused.value.status == status


def test_z_and_offsets_are_read() -> None:
    assert open311.parse_datetime("2026-12-07T02:00:00Z", "x") == NOW
    assert open311.parse_datetime("2026-12-07T10:00:00+08:00", "x") == NOW


@pytest.mark.parametrize(("text", "bound"), [("91", 90), ("abc", 90), ("NaN", 90), ("-181", 180), ("Infinity", 180)])
def test_coordinates_out_of_range_are_refused(text: str, bound: int) -> None:
    with pytest.raises(Open311Error) as refused:
        open311.parse_coordinate(text, "lat", bound)

    assert refused.value.status == 400


def test_discovery_names_the_endpoint_and_its_formats() -> None:
    stamp = datetime(2026, 12, 7, tzinfo=UTC)
    as_json = json.loads(open311.discovery("json", "https://x.example/open311/v2", stamp, "12369", "ask"))
    root = ET.fromstring(open311.discovery("xml", "https://x.example/open311/v2", stamp, "12369", "ask"))

    assert set(as_json) == {"changeset", "contact", "key_service", "endpoints"}
    assert as_json["endpoints"][0]["formats"] == ["text/xml", "application/json"]
    assert [c.tag for c in root] == ["changeset", "contact", "key_service", "endpoints"]
    endpoint = root.find("endpoints/endpoint")
    assert endpoint is not None
    assert [c.tag for c in endpoint] == ["specification", "url", "changeset", "type", "formats"]
    assert [f.text for f in endpoint.iter("format")] == ["text/xml", "application/json"]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_a_service_definition_has_no_attributes(fmt: open311.Format) -> None:
    body = open311.definition(fmt, Topic.DUST)

    if fmt == "json":
        assert json.loads(body) == {"service_code": "air.dust", "attributes": []}
    else:
        root = ET.fromstring(body)
        assert (root.tag, [c.tag for c in root]) == ("service_definition", ["service_code", "attributes"])
