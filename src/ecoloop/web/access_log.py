"""Secrets kept out of the logs: paths that carry one (a set-password link's token, issue 15) are written with the
secret part replaced, in the web server's access log (uvicorn's `uvicorn.access` logger) and in our own lines."""

from __future__ import annotations

import logging
import re
from urllib.parse import quote

REDACTED = "[redacted]"
ACCESS_LOGGER = "uvicorn.access"

_SECRET_PATTERNS: list[tuple[re.Pattern[str], str]] = []


def keep_out_of_logs(prefix: str) -> None:
    """Log every path under `prefix` (e.g. "/set-password/") with the segment that follows it redacted, also where
    it appears inside another address (`/login?next=/set-password/…`, percent-encoded or not)."""
    for form in (prefix, quote(prefix, safe=""), quote(prefix, safe="").lower()):
        pattern = re.compile(re.escape(form) + r"[^/?&#\s\"]+")
        if all(p.pattern != pattern.pattern for p, _form in _SECRET_PATTERNS):
            _SECRET_PATTERNS.append((pattern, form))


def redact_path(path: str) -> str:
    """`path` (with its query string, if any) as a log may show it: the secret after a secret prefix replaced."""
    for pattern, form in _SECRET_PATTERNS:
        path = pattern.sub(form + REDACTED, path)
    return path


class RedactSecretPaths(logging.Filter):
    """Rewrites the request path of an access-log record (an argument of its message) before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact_path(arg) if isinstance(arg, str) else arg for arg in record.args)
        return True


_FILTER = RedactSecretPaths()


def redact_access_log() -> None:
    """Install the filter on the web server's access logger (once; `logging.config` keeps a logger's filters when
    uvicorn configures its handlers)."""
    logging.getLogger(ACCESS_LOGGER).addFilter(_FILTER)
