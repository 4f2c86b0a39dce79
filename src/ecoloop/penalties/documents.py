"""The documents of a penalty case (.docx) from editable templates: 责令改正违法行为决定书, 行政处罚事先(听证)告知书
and 行政处罚决定书.

The default template of each kind is written in code in the layout of the briefs (GB/T 9704, `reports.layout`) in
the catalog's language; the bureau downloads it, edits it in Word or WPS and uploads its own version per kind
(versions kept; the file under DATA_DIR/penalties/templates named by its SHA-256, the database keeps the path and
the hash). A template is filled in by docxtpl in a sandboxed Jinja environment: its tags read the case's values
(`TAGS`) and nothing else.

What the decision says follows 行政处罚法 第五十九条 (the party's name and address, the facts and evidence, the
kind and basis of the penalty, the manner and time limit of performance, the ways and time limits of review and
suit, the authority and the date); the amount is written in figures and in capital numerals (`numerals`); the
remedies are 行政复议 within 60 days (行政复议法 2023 第二十条) and 行政诉讼 within 6 months (行政诉讼法 第四十六条).
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from docxtpl import DocxTemplate
from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.enterprises.models import Enterprise
from ecoloop.i18n import N_, get_locale, gettext
from ecoloop.identity.enums import OrgKind
from ecoloop.identity.models import Organisation
from ecoloop.penalties import clock, numerals, service
from ecoloop.penalties.enums import Approval, DecisionKind, DocumentKind
from ecoloop.penalties.models import PenaltyCase, PenaltyEvidence, PenaltyTemplate
from ecoloop.reports import service as report_service
from ecoloop.reports.layout import Block, Heading, Items, Paragraph, build_template

MAX_TEMPLATE_BYTES = 5 * 1024 * 1024
REVIEW_DAYS = 60  # 行政复议法 (2023) 第二十条第一款
LITIGATION_MONTHS = 6  # 行政诉讼法 (2017) 第四十六条第一款


@dataclass(frozen=True)
class Issuer:
    """Who issues the documents: the bureau's name (and the handling unit, printed below the facts)."""

    name: str
    unit: str = ""


def _if(name: str, *blocks: Block) -> list[Block]:
    return [Paragraph("{%p if " + name + " %}"), *blocks, Paragraph("{%p endif %}")]


def _party() -> list[Block]:
    return [
        Paragraph(gettext("Party: {{ party }}")),
        Paragraph(gettext("Unified social credit code: {{ credit_code }}")),
        Paragraph(gettext("Address: {{ address }}")),
    ]


def _remedies() -> Paragraph:
    return Paragraph(
        gettext(
            "If you do not accept this decision, you may apply for administrative reconsideration within "
            "{{ review_days }} days of receiving it (Administrative Reconsideration Law, Article 20), or bring "
            "an administrative lawsuit before the people's court within {{ litigation_months }} months "
            "(Administrative Procedure Law, Article 46)."
        )
    )


def _blocks(kind: DocumentKind) -> list[Block]:
    if kind is DocumentKind.RECTIFICATION_ORDER:
        return [
            *_party(),
            Paragraph(gettext("On investigation, our bureau found the following illegal act: {{ facts }}")),
            Paragraph(
                gettext(
                    "This act violates {{ violated }}. In accordance with {{ basis }}, our bureau orders you to "
                    "correct it: {{ rectification }}, by {{ rectification_deadline }}."
                )
            ),
            _remedies(),
        ]
    if kind is DocumentKind.NOTICE:
        return [
            *_party(),
            Paragraph(gettext("On investigation, our bureau found the following illegal act: {{ facts }}")),
            Paragraph(
                gettext(
                    "This act violates {{ violated }}. In accordance with {{ basis }}, our bureau intends to decide: "
                    "{{ decision_text }}"
                )
            ),
            Paragraph(
                gettext(
                    "Under Articles 44 and 45 of the Administrative Penalty Law you have the right to state your "
                    "case and defend yourself within {{ statement_days }} working days of receiving this notice; "
                    "if you do not, you are deemed to have given up this right."
                )
            ),
            *_if(
                "hearing_right",
                Paragraph(
                    gettext(
                        "Under Articles 63 and 64 of the Administrative Penalty Law you have the right to ask for a "
                        "hearing within {{ hearing_days }} working days of receiving this notice."
                    )
                ),
            ),
        ]
    return [
        *_party(),
        Heading(gettext("1. The illegal act and the evidence")),
        Paragraph("{{ facts }}"),
        Paragraph(gettext("The above facts are proved by the following evidence:")),
        Items("evidence", "{{ item }}", gettext("(no evidence listed)")),
        Heading(gettext("2. The basis and the penalty")),
        Paragraph(
            gettext(
                "This act violates {{ violated }}. In accordance with {{ basis }}, our bureau decides: "
                "{{ decision_text }}"
            )
        ),
        *_if("reasons", Paragraph(gettext("Reasons for the discretion: {{ reasons }}"))),
        Heading(gettext("3. Manner and time limit of performance")),
        *_if(
            "fine_figures",
            Paragraph(
                gettext(
                    "Pay the fine of {{ fine_figures }} yuan ({{ fine_capital }}) within {{ payment_days }} days of "
                    "receiving this decision at the designated bank or by electronic payment (Administrative Penalty "
                    "Law, Article 67). If you do not pay in time, {{ late_fee_percent }}% of the fine is added for "
                    "each day of delay (Administrative Penalty Law, Article 72)."
                )
            ),
        ),
        Paragraph(gettext("Correct the illegal act: {{ rectification }}, by {{ rectification_deadline }}.")),
        Heading(gettext("4. Remedies")),
        _remedies(),
    ]


def default_template(kind: DocumentKind) -> bytes:
    """The built-in Word template of `kind`, in the catalog's language."""
    return _default_template(kind, get_locale())


@functools.lru_cache(maxsize=16)
def _default_template(kind: DocumentKind, locale: str) -> bytes:
    return build_template(_blocks(kind))


def environment() -> SandboxedEnvironment:
    """Templates are filled in a sandbox, every value escaped for XML."""
    return SandboxedEnvironment(autoescape=True)


# The tags a template may use: the values `context` gives (any template may use any of them).
TAGS = frozenset(
    {
        "issuer", "issuer_header", "doc_number", "title", "addressees", "issued_on", "marking", "party",
        "credit_code", "address", "unit", "facts", "evidence", "violated", "basis", "rectification",
        "rectification_deadline", "decision_text", "reasons", "fine_figures", "fine_capital", "payment_days",
        "late_fee_percent", "statement_days", "hearing_days", "hearing_right", "review_days", "litigation_months",
    }
)  # fmt: skip


# --- filling in -----------------------------------------------------------------------------------------------------


def _decision_text(case: PenaltyCase, fine: Decimal | None) -> str:
    if case.decision_kind is DecisionKind.NO_PENALTY:
        return gettext("no administrative penalty is imposed.")
    parts = []
    if fine:
        parts.append(
            gettext("a fine of %(figures)s yuan (%(capital)s)")
            % {"figures": numerals.figures(fine), "capital": numerals.capital_yuan(fine)}
        )
    parts.extend(text for text in (case.confiscation, case.other_measures) if text)
    return gettext("; ").join(parts) + gettext(".")


def context(
    case: PenaltyCase,
    enterprise: Enterprise,
    evidence: list[PenaltyEvidence],
    issuer: Issuer,
    limits: clock.Limits,
    kind: DocumentKind,
    day: date,
) -> dict[str, Any]:
    """The values a template of `kind` is filled with (stored text as it is: the sandbox escapes it)."""
    # The notice tells the fine proposed then; the decision the fine decided.
    fine = case.notified_fine if kind is DocumentKind.NOTICE else case.fine_amount
    if case.decision_kind is DecisionKind.NO_PENALTY and kind is not DocumentKind.NOTICE:
        fine = None
    return {
        "issuer": issuer.name,
        "issuer_header": issuer.name,
        "doc_number": case.number or "",
        "title": gettext(kind.label),
        "addressees": enterprise.name,
        "issued_on": report_service.long_date(day),
        "marking": "",
        "party": enterprise.name,
        "credit_code": enterprise.credit_code,
        "address": enterprise.address or "",
        "unit": issuer.unit,
        "facts": case.facts,
        "evidence": [f"{n}. {item.description}" for n, item in enumerate(evidence, 1)],
        "violated": case.violated_provision,
        "basis": case.penalty_provision,
        "rectification": case.rectification,
        "rectification_deadline": report_service.long_date(case.rectification_deadline)
        if case.rectification_deadline
        else "",
        "decision_text": _decision_text(case, fine),
        "reasons": case.decision_reasons,
        "fine_figures": numerals.figures(fine) if fine else "",
        "fine_capital": numerals.capital_yuan(fine) if fine else "",
        "payment_days": limits.payment_days,
        "late_fee_percent": _plain(limits.late_fee_percent),
        "statement_days": limits.statement_days,
        "hearing_days": limits.hearing_request_days,
        "hearing_right": case.hearing_right,
        "review_days": REVIEW_DAYS,
        "litigation_months": LITIGATION_MONTHS,
    }


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


def fill(template: bytes, values: dict[str, Any]) -> bytes:
    """The template filled in with `values`."""
    document = DocxTemplate(io.BytesIO(template))
    document.render(values, jinja_env=environment(), autoescape=True)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- the bureau's templates -----------------------------------------------------------------------------------------


class TemplateRefusedError(ValueError):
    """An uploaded template that cannot be used; `code` says why (`TEMPLATE_ERRORS`)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


TEMPLATE_ERRORS = {
    "size": N_("The template is larger than 5 MB."),
    "format": N_("The file is not a Word document (.docx)."),
    "syntax": N_("The template's tags cannot be read: check that every brace is closed."),
    "unknown": N_("The template uses tags this document does not provide."),
    "render": N_("The template could not be filled in with a case's values."),
}


def check_template(kind: DocumentKind, data: bytes, sample: dict[str, Any]) -> None:
    """Refuse a template that is too large, not a .docx, unreadable, asks for tags the document does not provide,
    or cannot be filled in with `sample` (TemplateRefusedError)."""
    if len(data) > MAX_TEMPLATE_BYTES:
        raise TemplateRefusedError("size")
    try:
        used = DocxTemplate(io.BytesIO(data)).get_undeclared_template_variables(environment())
    except TemplateError as exc:
        raise TemplateRefusedError("syntax") from exc
    except Exception as exc:  # a damaged zip or XML: python-docx raises many kinds of error
        raise TemplateRefusedError("format") from exc
    if set(used) - TAGS:
        raise TemplateRefusedError("unknown")
    try:
        fill(data, sample)
    except Exception as exc:  # a sandbox refusal, a filter on the wrong type, a broken loop
        raise TemplateRefusedError("render") from exc


def templates_root(data_dir: Path) -> Path:
    """Where the bureau's penalty templates are kept."""
    return data_dir / "penalties"


def current_template(session: Session, data_dir: Path, kind: DocumentKind) -> tuple[bytes, int]:
    """The template used for `kind` and its version (0: the built-in one)."""
    row = session.scalars(
        select(PenaltyTemplate).where(PenaltyTemplate.kind == kind).order_by(PenaltyTemplate.version.desc())
    ).first()
    if row is None or not row.file:
        return default_template(kind), 0 if row is None else row.version
    return (templates_root(data_dir) / row.file).read_bytes(), row.version


def save_template(
    session: Session, data_dir: Path, kind: DocumentKind, data: bytes | None, by: str, now: datetime
) -> PenaltyTemplate:
    """A new version of `kind`'s template (`data` already checked), or back to the built-in one (`data` None)."""
    version = (session.scalar(select(func.max(PenaltyTemplate.version)).where(PenaltyTemplate.kind == kind)) or 0) + 1
    row = PenaltyTemplate(kind=kind, version=version, uploaded_by=by, uploaded_at=now)
    if data is not None:
        digest = hashlib.sha256(data).hexdigest()
        row.file, row.sha256 = f"templates/{digest}.docx", digest
        path = templates_root(data_dir) / row.file
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(path.name + ".part")
            with partial.open("wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            partial.replace(path)
    session.add(row)
    session.flush()
    return row


def versions(session: Session, kind: DocumentKind) -> list[PenaltyTemplate]:
    """The versions of `kind`'s template, newest first."""
    stmt = select(PenaltyTemplate).where(PenaltyTemplate.kind == kind).order_by(PenaltyTemplate.version.desc())
    return list(session.scalars(stmt.limit(20)))


# --- a case's document ----------------------------------------------------------------------------------------------


def issuer_of(session: Session, case: PenaltyCase) -> Issuer:
    """The bureau that issues the case's documents (a branch's case: its bureau) and the handling unit."""
    unit = session.get(Organisation, case.organisation_id)
    bureau = unit
    while bureau is not None and bureau.kind is not OrgKind.BUREAU and bureau.parent_id is not None:
        bureau = session.get(Organisation, bureau.parent_id)
    name = bureau.name if bureau is not None and bureau.kind is OrgKind.BUREAU else (unit.name if unit else "")
    return Issuer(name, unit.name if unit else "")


def available(case: PenaltyCase) -> list[DocumentKind]:
    """The documents a case can print at its stage: the order from 立案, the notice from 告知, the decision once
    it is proposed or made."""
    found = []
    if case.registered_on is not None:
        found.append(DocumentKind.RECTIFICATION_ORDER)
    if case.notified_on is not None:
        found.append(DocumentKind.NOTICE)
    if case.decided_on is not None or (case.decision_kind is not None and case.awaiting is Approval.DECISION):
        found.append(DocumentKind.DECISION)
    return found


def render(session: Session, data_dir: Path, case: PenaltyCase, kind: DocumentKind, today: date) -> bytes:
    """The document `kind` of `case`, from the bureau's current template (or the built-in one)."""
    enterprise = session.get(Enterprise, case.enterprise_id)
    assert enterprise is not None  # a foreign key
    evidence = list(
        session.scalars(
            select(PenaltyEvidence).where(PenaltyEvidence.penalty_case_id == case.id).order_by(PenaltyEvidence.id)
        )
    )
    day = {DocumentKind.DECISION: case.decided_on, DocumentKind.NOTICE: case.notified_on}.get(kind) or today
    values = context(case, enterprise, evidence, issuer_of(session, case), service.limits_for(session, day), kind, day)
    template, _ = current_template(session, data_dir, kind)
    return fill(template, values)


def sample_values(kind: DocumentKind) -> dict[str, Any]:
    """Values to try an uploaded template with (every tag filled, one evidence item)."""
    values: dict[str, Any] = dict.fromkeys(TAGS, "-")
    values.update(evidence=["1. -"], hearing_right=True, payment_days=15, review_days=REVIEW_DAYS)
    return values
