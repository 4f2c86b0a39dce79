"""Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2), the subset a civic client needs: its documents
written as XML or JSON, its POST form read, its `errors` bodies, its dates (pure: values in, bytes out).

What the spec fixes and is kept here exactly: the element and key names, the format chosen by the path's suffix,
JSON whose root is an array (a service definition is the one object), dates in W3C format with a time zone,
`text/xml; charset=utf-8` with the declaration written as `<?xml version="1.0" encoding="UTF-8"?>` (ElementTree's
own is single-quoted and lower-case), and errors as `errors` ⇊ `error` ↴ `code`, `description`. Codes are strings
(the spec's own JSON examples have `001`, which is not JSON). The POST body is form-encoded, so no client XML is ever
parsed here. See docs/open311.md for what each method answers and how requests are made public.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Literal
from xml.etree import ElementTree as ET

from ecoloop.intake.enums import OPEN_STATUSES, Status, Topic
from ecoloop.intake.models import Complaint
from ecoloop.standards.personal_data import mask

Format = Literal["xml", "json"]
FORMATS: tuple[Format, ...] = ("xml", "json")
XML_TYPE = "text/xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"
DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MAX_RANGE = timedelta(days=90)  # the spec's default span, and the widest range a list may ask for
MAX_REQUESTS = 1000  # "a span of 90 days or first 1000 requests returned, whichever is smallest"
MAX_DESCRIPTION = 4000  # the spec's limit of a request's description
COORDINATE_PLACES = Decimal("0.001")  # ≈ 100 m: a public request does not pinpoint the home it came from

# The fields of each document, in the spec's order (GeoReport v2, "GET Service List", "GET Service Requests",
# "POST Service Request").
SERVICE_FIELDS = ("service_code", "service_name", "description", "metadata", "type", "keywords", "group")
REQUEST_FIELDS = (
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
)
CREATED_FIELDS = ("service_request_id", "service_notice", "account_id")
ERROR_FIELDS = ("code", "description")

Value = str | int | bool | None
Row = Mapping[str, Value]
Translate = Callable[[str], str]


class Open311Error(Exception):
    """A request refused: its HTTP status (400, 403, 404, 429) and the description the `errors` body carries."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


# --- writing ---------------------------------------------------------------------------------------------------------


def media_type(fmt: Format) -> str:
    """The Content-Type of a document in `fmt`."""
    return XML_TYPE if fmt == "xml" else JSON_TYPE


def document(fmt: Format, root: str, item: str, rows: Sequence[Row]) -> bytes:
    """A list document: `<root><item>…</item>…</root>` in XML, a JSON array of objects otherwise."""
    if fmt == "json":
        return _json([dict(row) for row in rows])
    element = ET.Element(root)
    for row in rows:
        _append(element, item, row)
    return _xml(element)


def single(fmt: Format, root: str, row: Row) -> bytes:
    """A one-object document (a service definition): `<root>…</root>` or a JSON object."""
    if fmt == "json":
        return _json(dict(row))
    element = ET.Element(root)
    _fill(element, row)
    return _xml(element)


def discovery(fmt: Format, url: str, changeset: datetime, contact: str, key_service: str) -> bytes:
    """The Service Discovery document: one production endpoint at `url` speaking GeoReport v2 in XML and JSON."""
    stamp = changeset.replace(microsecond=0).isoformat()
    endpoint = {"specification": SPECIFICATION, "url": url, "changeset": stamp, "type": "production"}
    formats = ["text/xml", "application/json"]
    if fmt == "json":
        head: dict[str, object] = {"changeset": stamp, "contact": contact, "key_service": key_service}
        return _json({**head, "endpoints": [{**endpoint, "formats": formats}]})
    root = ET.Element("discovery")
    _fill(root, {"changeset": stamp, "contact": contact, "key_service": key_service})
    element = ET.SubElement(ET.SubElement(root, "endpoints"), "endpoint")
    _fill(element, endpoint)
    listed = ET.SubElement(element, "formats")
    for name in formats:
        ET.SubElement(listed, "format").text = name
    return _xml(root)


def errors(fmt: Format, problems: Iterable[tuple[int, str]]) -> bytes:
    """An `errors` body: each problem's code (the HTTP status) and description."""
    rows: list[Row] = [{"code": code, "description": description} for code, description in problems]
    return document(fmt, "errors", "error", rows)


def _append(parent: ET.Element, tag: str, row: Row) -> None:
    _fill(ET.SubElement(parent, tag), row)


def _fill(element: ET.Element, row: Row) -> None:
    for key, value in row.items():
        child = ET.SubElement(element, key)
        child.text = _text(value)


def _text(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _xml(element: ET.Element) -> bytes:
    text: bytes = ET.tostring(element, encoding="utf-8", xml_declaration=False)
    return DECLARATION + text


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


# --- values ----------------------------------------------------------------------------------------------------------


def w3c(instant: datetime, zone: tzinfo) -> str:
    """An instant in W3C date-time format in the bureau's zone, with its offset (2026-12-07T18:05:00+08:00)."""
    return instant.astimezone(zone).replace(microsecond=0).isoformat()


def end_of_day(day: date, zone: tzinfo) -> datetime:
    """The last second of `day` in the bureau's zone: a deadline day lasts until then."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=zone)


def coarse(coordinate: Decimal | None) -> str:
    """A coordinate rounded to 3 decimal places (≈ 100 m), as text; empty when unknown."""
    if coordinate is None:
        return ""
    return str(coordinate.quantize(COORDINATE_PLACES, rounding=ROUND_HALF_UP))


def public_status(status: Status) -> str:
    """The spec's two statuses: `open` while the complaint is received, accepted or under review, else `closed`."""
    return "open" if status in OPEN_STATUSES else "closed"


def parse_datetime(text: str, name: str) -> datetime:
    """A W3C date-time that names its zone (the spec requires one); `Open311Error(400)` otherwise."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise Open311Error(400, f"{name}: not a W3C date-time") from None
    if value.tzinfo is None:
        raise Open311Error(400, f"{name}: the date-time must carry its time zone")
    return value


def parse_coordinate(text: str, name: str, bound: int) -> Decimal:
    """A latitude (bound 90) or longitude (bound 180) in decimal degrees; `Open311Error(400)` otherwise."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise Open311Error(400, f"{name}: not a number") from None
    if not value.is_finite() or abs(value) > bound:
        raise Open311Error(400, f"{name}: out of range")
    return value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


def topic_of(code: str) -> Topic | None:
    """The topic a service code names, or None."""
    try:
        return Topic(code)
    except ValueError:
        return None


# --- documents of our records ---------------------------------------------------------------------------------------


def service_row(topic: Topic, translate: Translate) -> dict[str, Value]:
    """A topic as an Open311 service: its code, its name and description in the reader's language, no attributes
    (`metadata` false), answered at once (`realtime`), the words it is found by, its category as the group."""
    name = translate(topic.label)
    return {
        "service_code": topic.value,
        "service_name": name,
        "description": translate(topic.description),
        "metadata": False,
        "type": "realtime",
        "keywords": ",".join(dict.fromkeys([name, translate(topic.category.label)])),
        "group": translate(topic.category.label),
    }


def request_row(
    complaint: Complaint, agency: str, zone: tzinfo, translate: Translate, area: str = ""
) -> dict[str, Value]:
    """A complaint as a public Open311 request: never its complainant, nor what they wrote — a citizen's own words
    may name them or their home in ways no pattern finds — so no description and, for the address, the region's
    name (`area`); the point rounded to ≈ 100 m; the bureau's answer masked once more; its photos not linked."""
    notes = complaint.decision_note if complaint.status is Status.NOT_ACCEPTED else complaint.reply
    due = complaint.conclude_due or complaint.accept_due
    return {
        "service_request_id": complaint.ticket,
        "status": public_status(complaint.status),
        "status_notes": mask(notes),
        "service_name": translate(complaint.topic.label),
        "service_code": complaint.topic.value,
        "description": "",
        "agency_responsible": agency,
        "service_notice": translate(complaint.status.label),
        "requested_datetime": w3c(complaint.received_at, zone),
        "updated_datetime": w3c(complaint.updated_at or complaint.received_at, zone),
        "expected_datetime": w3c(end_of_day(due, zone), zone) if due else "",
        "address": area,
        "address_id": "",
        "zipcode": "",
        "lat": coarse(complaint.latitude),
        "long": coarse(complaint.longitude),
        "media_url": "",
    }


def definition(fmt: Format, topic: Topic) -> bytes:
    """A service's definition: no attributes (every service has `metadata` false, so a client needs none)."""
    if fmt == "json":
        return _json({"service_code": topic.value, "attributes": []})
    root = ET.Element("service_definition")
    ET.SubElement(root, "service_code").text = topic.value
    ET.SubElement(root, "attributes")
    return _xml(root)


def created_row(ticket: str, notice: str) -> dict[str, Value]:
    """The answer to a POST: the ticket as the request's id (every service is realtime: no token), the notice."""
    return {"service_request_id": ticket, "service_notice": notice, "account_id": None}


# --- the POST form ---------------------------------------------------------------------------------------------------

_ATTRIBUTE = re.compile(r"attribute\[([^\[\]]{1,64})\](\[\])?")


@dataclass(frozen=True)
class Creation:
    """What a POST Service Request form says (the fields the spec names; `email`, `device_id`, `account_id` and
    `media_url` are read but never stored: an address given by a client is not fetched)."""

    service_code: str = ""
    api_key: str = ""
    jurisdiction_id: str = ""
    lat: str = ""
    long: str = ""
    address_string: str = ""
    description: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    attributes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The complainant's name as one text (given name then family name, as the client sent them)."""
        return " ".join(part for part in (self.first_name.strip(), self.last_name.strip()) if part)


_CREATION_FIELDS = frozenset(
    {"service_code", "api_key", "jurisdiction_id", "lat", "long", "address_string"}
    | {"description", "first_name", "last_name", "phone"}
)


def read_form(items: Iterable[tuple[str, str]]) -> Creation:
    """The POST form's fields (the first value of each) and its `attribute[code]=v` / `attribute[code][]=v`
    values, in order; other keys are ignored."""
    values: dict[str, str] = {}
    attributes: dict[str, list[str]] = {}
    for key, value in items:
        if key in _CREATION_FIELDS:
            values.setdefault(key, value)
        elif match := _ATTRIBUTE.fullmatch(key):
            attributes.setdefault(match.group(1), []).append(value)
    return Creation(**values, attributes={k: tuple(v) for k, v in attributes.items()})


# --- the list query --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    """What GET Service Requests asks for: ticket codes (which override the rest), or topics, a range of
    `requested_datetime` and statuses; at most `MAX_REQUESTS`, newest first."""

    tickets: tuple[str, ...] = ()
    topics: tuple[Topic, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: frozenset[Status] = frozenset()


def read_listing(params: Mapping[str, str], now: datetime) -> Listing:
    """The list query of `params`: `service_request_id` (a comma list, overriding all else), `service_code`
    (comma list), `start_date` and `end_date` (W3C with a zone; at most 90 days apart; by default the 90 days up to
    now or to `end_date`, or from `start_date`), `status` (`open`, `closed`, comma list)."""
    tickets = _items(params.get("service_request_id", ""))
    if tickets:
        return Listing(tickets=tuple(tickets[:MAX_REQUESTS]))
    topics = []
    for code in _items(params.get("service_code", "")):
        topic = topic_of(code)
        if topic is None:
            raise Open311Error(404, f"service_code {code}: no such service")
        topics.append(topic)
    start_text, end_text = params.get("start_date", "").strip(), params.get("end_date", "").strip()
    start = parse_datetime(start_text, "start_date") if start_text else None
    end = parse_datetime(end_text, "end_date") if end_text else None
    if start is None:
        end = end or now
        start = end - MAX_RANGE
    elif end is None:
        end = start + MAX_RANGE
    if end < start:
        raise Open311Error(400, "end_date is before start_date")
    if end - start > MAX_RANGE:
        raise Open311Error(400, "start_date and end_date are more than 90 days apart")
    statuses: set[Status] = set()
    for word in _items(params.get("status", "")):
        if word == "open":
            statuses |= OPEN_STATUSES
        elif word == "closed":
            statuses |= set(Status) - OPEN_STATUSES
        else:
            raise Open311Error(400, f"status {word}: open or closed")
    return Listing(topics=tuple(topics), start=start, end=end, statuses=frozenset(statuses))


def _items(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]
