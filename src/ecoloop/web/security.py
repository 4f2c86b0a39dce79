"""Cookies, CSRF tokens and client addresses for the web layer."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request

SESSION_COOKIE = "ecoloop_session"
LOGIN_NONCE_COOKIE = "ecoloop_login_nonce"
LANG_COOKIE = "ecoloop_lang"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_token(key: bytes, purpose: str, secret_value: str) -> str:
    """The CSRF token bound to one session (or one login form): an HMAC nobody without the key can forge."""
    return hmac.new(key, f"{purpose}:{secret_value}".encode(), hashlib.sha256).hexdigest()


def csrf_matches(key: bytes, purpose: str, secret_value: str, presented: str | None) -> bool:
    """Whether `presented` is the CSRF token for this session or login form."""
    return bool(presented) and hmac.compare_digest(csrf_token(key, purpose, secret_value), presented or "")


def new_nonce() -> str:
    """A random value for a login form's cookie."""
    return secrets.token_urlsafe(24)


def client_ip(request: Request) -> str:
    """The address of the client: the connection's, or the one a proxy of ECOLOOP_TRUSTED_PROXIES forwarded
    (`create_app` installs the proxy-headers middleware only for those)."""
    return request.client.host if request.client else "unknown"


def is_secure(request: Request) -> bool:
    """Whether the request came over TLS, so that cookies get the Secure flag."""
    return request.url.scheme == "https"


async def presented_csrf(request: Request) -> str | None:
    """The CSRF token sent with a request: the X-CSRF-Token header (htmx, fetch) or the form field."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None
