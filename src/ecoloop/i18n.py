"""Translation of user-facing text through the Babel message catalogs in `ecoloop/locale/`.

The active language is a context variable set per request (or per CLI run); `_()` translates into it.
Catalogs are compiled from the committed `.po` files in memory at first use, so no binary `.mo` is committed.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from importlib import resources
from io import BytesIO
from typing import Any

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
DOMAIN = "messages"

_current: ContextVar[str] = ContextVar("ecoloop_locale", default=DEFAULT_LOCALE)


@cache
def translations(locale: str) -> _gettext.NullTranslations:
    """The compiled catalog of `locale`; English is the source language and needs none."""
    if locale == "en":
        return _gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    po_file = resources.files("ecoloop") / "locale" / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po_file.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def get_locale() -> str:
    """The language of the current request or command."""
    return _current.get()


def set_locale(locale: str) -> None:
    """Make `locale` the language of the current context."""
    _current.set(locale if locale in LOCALES else DEFAULT_LOCALE)


@contextmanager
def use_locale(locale: str) -> Iterator[None]:
    """Translate into `locale` inside the block."""
    token = _current.set(locale if locale in LOCALES else DEFAULT_LOCALE)
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    """Translate `message` into the current language."""
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a message with a count into the current language."""
    return translations(_current.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark `message` for extraction without translating it now (it is translated where it is shown)."""
    return message


_ = gettext


# --- validation errors ------------------------------------------------------------------------------------------

# Pydantic's error types (https://docs.pydantic.dev/latest/errors/validation_errors/) as messages with the field's
# label and the error's context (`min_length`, `ge`, `expected` …) as named placeholders. Types of our own
# validators (`PydanticCustomError`) are listed alike.
VALIDATION_MESSAGES = {
    "missing": N_("%(field)s is missing"),
    "extra_forbidden": N_("%(field)s is not an expected field"),
    "string_type": N_("%(field)s must be text"),
    "string_too_short": N_("%(field)s needs at least %(min_length)s characters"),
    "string_too_long": N_("%(field)s has more than %(max_length)s characters"),
    "string_pattern_mismatch": N_("%(field)s contains characters that are not allowed"),
    "enum": N_("%(field)s must be one of %(expected)s"),
    "literal_error": N_("%(field)s must be one of %(expected)s"),
    "int_type": N_("%(field)s must be a whole number"),
    "int_parsing": N_("%(field)s must be a whole number"),
    "int_from_float": N_("%(field)s must be a whole number"),
    "float_type": N_("%(field)s must be a number"),
    "float_parsing": N_("%(field)s must be a number"),
    "decimal_type": N_("%(field)s must be a number"),
    "decimal_parsing": N_("%(field)s must be a number"),
    "finite_number": N_("%(field)s must be a finite number"),
    "time_before_floor": N_("%(field)s is before the earliest plausible date"),
    "time_ahead": N_("%(field)s is later than the server's clock allows"),
    "time_out_of_range": N_("%(field)s is not a representable instant"),
    "greater_than": N_("%(field)s must be greater than %(gt)s"),
    "greater_than_equal": N_("%(field)s must be at least %(ge)s"),
    "less_than": N_("%(field)s must be less than %(lt)s"),
    "less_than_equal": N_("%(field)s must be at most %(le)s"),
    "bool_type": N_("%(field)s must be yes or no"),
    "bool_parsing": N_("%(field)s must be yes or no"),
    "datetime_type": N_("%(field)s must be a date and time, e.g. 2026-11-22T08:00:00+08:00"),
    "datetime_parsing": N_("%(field)s must be a date and time, e.g. 2026-11-22T08:00:00+08:00"),
    "datetime_from_date_parsing": N_("%(field)s must be a date and time, e.g. 2026-11-22T08:00:00+08:00"),
    "timezone_aware": N_("%(field)s needs a UTC offset, e.g. 2026-11-22T08:00:00+08:00"),
    "date_type": N_("%(field)s must be a date, e.g. 2026-11-22"),
    "date_parsing": N_("%(field)s must be a date, e.g. 2026-11-22"),
    "date_from_datetime_parsing": N_("%(field)s must be a date, e.g. 2026-11-22"),
    "too_short": N_("%(field)s has too few items"),
    "too_long": N_("%(field)s has too many items"),
    "list_type": N_("%(field)s must be a list"),
    "dict_type": N_("%(field)s has the wrong form"),
    "model_type": N_("%(field)s has the wrong form"),
    "model_attributes_type": N_("%(field)s has the wrong form"),
    "json_invalid": N_("%(field)s is not valid JSON"),
    "url_parsing": N_("%(field)s is not a web address"),
    "unknown_site": N_("%(field)s %(site)s is no site you may submit data for"),
}
_INVALID = N_("%(field)s is not valid")
_WHOLE = N_("The row")


def validation_text(errors: Iterable[Mapping[str, Any]], labels: Mapping[str, str]) -> str:
    """Validation errors (pydantic's `ValidationError.errors()`) as one text in the current language: each error
    by its type's message, naming the field by its label in `labels` (a message id by field name) or else by its
    name; errors of unknown types say the field is not valid."""
    texts = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ()) if not isinstance(part, int)]
        name = loc[-1] if loc else ""
        field = gettext(labels[name]) if name in labels else (name or gettext(_WHOLE))
        context = {k: _shown(k, v) for k, v in (error.get("ctx") or {}).items()}
        message = VALIDATION_MESSAGES.get(str(error.get("type")), _INVALID)
        try:
            texts.append(gettext(message) % {**context, "field": field})
        except (KeyError, TypeError, ValueError):
            texts.append(gettext(_INVALID) % {"field": field})
    return gettext("; ").join(texts)


def _shown(key: str, value: Any) -> str:
    """A context value as a message shows it: the values pydantic lists as `'a', 'b' or 'c'` as a、b、c."""
    if key != "expected":
        return str(value)
    return str(value).replace("'", "").replace(" or ", "\u3001").replace(", ", "\u3001")
