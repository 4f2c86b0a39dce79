"""Why the HJ 212 receiver rejected bytes: the stable codes archived with every rejected packet (HJ 212-2017 §6.3
frame rules; the device register's checks), with their names for the data-quality pages.

The codec (`ecoloop.ingest.hj212.codec`) decides most of them; they live with the packet archive they describe, so
that the pages that count rejected packets read them without importing a way in (issue 14). Pure.
"""

from __future__ import annotations

from enum import StrEnum

from ecoloop.i18n import N_


class Reason(StrEnum):
    """Why bytes were rejected; stable codes stored with every rejected packet."""

    BAD_HEADER = "bad_header"
    BAD_LENGTH = "bad_length"
    LENGTH_MISMATCH = "length_mismatch"
    BAD_CRC_FORMAT = "bad_crc_format"
    CRC_MISMATCH = "crc_mismatch"
    MISSING_CRLF = "missing_crlf"
    BAD_FIELD = "bad_field"
    MISSING_FIELD = "missing_field"
    TOO_LARGE = "too_large"
    BAD_ENCODING = "bad_encoding"
    # Decided by the receiver against the device register, not by the codec.
    UNKNOWN_MN = "unknown_mn"
    WRONG_PASSWORD = "wrong_password"

    @property
    def label(self) -> str:
        """The reason in words, a message id: the data-quality pages count rejected packets under it."""
        return REASON_LABELS[self]


REASON_LABELS = {
    Reason.BAD_HEADER: N_("Malformed header"),
    Reason.BAD_LENGTH: N_("Malformed length field"),
    Reason.LENGTH_MISMATCH: N_("Length does not match"),
    Reason.BAD_CRC_FORMAT: N_("Malformed CRC"),
    Reason.CRC_MISMATCH: N_("CRC mismatch"),
    Reason.MISSING_CRLF: N_("Missing line end"),
    Reason.BAD_FIELD: N_("Malformed field"),
    Reason.MISSING_FIELD: N_("Missing field"),
    Reason.TOO_LARGE: N_("Packet too large"),
    Reason.BAD_ENCODING: N_("Bad character encoding"),
    Reason.UNKNOWN_MN: N_("Unknown MN"),
    Reason.WRONG_PASSWORD: N_("Wrong password"),
}
