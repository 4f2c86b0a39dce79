"""Shapes at the boundaries of the alert pages and API: the board's query, an alert as the API returns it, and the
address of a webhook."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from ecoloop.web.paging import PageField

MAX_URL = 500


class AlertQuery(BaseModel):
    """The filters of the alert board and of `GET /api/v1/alerts`; values that name nothing are ignored."""

    status: str = Field("", max_length=16)
    kind: str = Field("", max_length=32)
    severity: str = Field("", max_length=16)
    review: str = Field("", max_length=16)
    region: str = Field("", max_length=12, description="region code: alerts in its subtree")
    q: str = Field("", max_length=100, description="text in the alert number or the site's name or code")
    page: PageField = 1


class AlertOut(BaseModel):
    """An alert as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    rule_id: int
    rule_version_id: int
    kind: str
    site_id: int | None
    region_id: int
    enterprise_id: int | None
    parameter: str | None
    severity: str
    status: str
    review: str
    first_at: datetime
    last_at: datetime
    observed: Decimal | None
    reference: Decimal | None
    repeats: int
    reopened: int
    raised_at: datetime
    cleared_at: datetime | None
    closed_at: datetime | None
    case_id: int | None
    feedback: str


def valid_webhook_url(url: str) -> bool:
    """An absolute http or https address with a host, without spaces, at most MAX_URL characters."""
    if not url or len(url) > MAX_URL or any(c.isspace() for c in url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  # raises ValueError for a port out of range
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


class RuleForm(BaseModel):
    """The rule editor's form: the rule's own fields, and its kind's parameters as `param.<name>` fields (which
    parameters there are depends on the kind, `config.fields_of`)."""

    model_config = ConfigDict(extra="allow")

    code: str = Field("", max_length=64)
    kind: str = Field("", max_length=32)
    name: str = Field("", max_length=200)
    enabled: str = Field("", max_length=5)
    region_id: str = Field("", max_length=12)
    escalation: str = Field("", max_length=16)
    case_deadline_days: str = Field("", max_length=6)
    reopen_hours: str = Field("", max_length=6)
    note: str = Field("", max_length=2000)

    def parameters(self) -> dict[str, str]:
        """The submitted parameters by name."""
        extra = self.model_extra or {}
        return {k.removeprefix(PARAM): v for k, v in extra.items() if k.startswith(PARAM) and isinstance(v, str)}


PARAM = "param."
