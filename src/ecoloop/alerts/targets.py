"""Where webhooks may send (issue 13, server-side request forgery): only to public addresses, unless the operator
allows some other networks (`ECOLOOP_WEBHOOK_ALLOWED_NETWORKS`).

A webhook's URL is checked when it is saved (`target_problem`, with a Chinese message on the form) and again at
every delivery, where the connection itself resolves the host, refuses it unless every address is allowed and
connects to the address it checked (`guarded_connection`), so a host name that later resolves to another address
(DNS rebinding) gains nothing. Redirects are never followed (`webhooks.post`).

Refused: loopback, private (RFC 1918, fc00::/7), link-local (169.254.0.0/16 with the cloud metadata service,
fe80::/10), multicast, reserved, unspecified, shared (100.64.0.0/10) and every other non-global address, in IPv4
or inside IPv6 (IPv4-mapped ::ffff:a.b.c.d, 6to4, NAT64 and the like count as the IPv4 address they carry).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from typing import Any, Final
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Networks = Sequence[IPNetwork]
# socket.getaddrinfo's shape: (host, port, family, type) → [(family, type, proto, canonname, sockaddr)]
Resolve = Callable[..., list[tuple[Any, Any, Any, Any, Any]]]

NOT_RESOLVED: Final = "not_resolved"
NOT_PUBLIC: Final = "not_public"
_NAT64: Final = ipaddress.ip_network("64:ff9b::/96")


class RefusedAddressError(OSError):
    """A webhook's host resolves to an address it may not be sent to (`reason`: `not_public` or `not_resolved`)."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"refused address for {host}: {reason.replace('_', ' ')}")
        self.reason = reason


def _carried_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """Whether `address` (and any IPv4 address it carries) is a global unicast address."""
    if isinstance(address, ipaddress.IPv6Address) and (carried := _carried_ipv4(address)) is not None:
        return is_public(carried) and not address.is_multicast
    return address.is_global and not (
        address.is_multicast
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_unspecified
    )


def allowed_address(address: IPAddress, allowed: Networks = ()) -> bool:
    """Whether a webhook may be sent to `address`: a public one, or one inside a network the operator allows."""
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    candidates = (address,) if mapped is None else (address, mapped)
    return is_public(address) or any(a in net for a in candidates for net in allowed)


def resolved(host: str, port: int, resolve: Resolve = socket.getaddrinfo) -> list[IPAddress]:
    """The addresses `host` (a name or a literal) stands for; raises `RefusedAddressError` when it has none."""
    try:
        infos = resolve(host, port, 0, socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise RefusedAddressError(host, NOT_RESOLVED) from exc
    found = []
    for _family, _type, _proto, _name, sockaddr in infos:
        try:
            found.append(ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0]))
        except ValueError:
            continue
    if not found:
        raise RefusedAddressError(host, NOT_RESOLVED)
    return found


def checked_addresses(
    host: str, port: int, allowed: Networks = (), resolve: Resolve = socket.getaddrinfo
) -> list[IPAddress]:
    """The addresses of `host`, all of them allowed; raises `RefusedAddressError` if any is not (a name with one
    private address among public ones is refused: which one a client picks is not ours to choose)."""
    addresses = resolved(host, port, resolve)
    if not all(allowed_address(a, allowed) for a in addresses):
        raise RefusedAddressError(host, NOT_PUBLIC)
    return addresses


def target_problem(url: str, allowed: Networks = (), resolve: Resolve = socket.getaddrinfo) -> str | None:
    """Why a webhook may not be sent to `url` (`not_public`, `not_resolved`), or None when it may."""
    parts = urlsplit(url)
    if not parts.hostname:
        return NOT_RESOLVED
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        checked_addresses(parts.hostname, port, allowed, resolve)
    except RefusedAddressError as exc:
        return exc.reason
    return None


def guarded_connection(allowed: Networks = (), resolve: Resolve = socket.getaddrinfo) -> Callable[..., socket.socket]:
    """A `socket.create_connection` that connects only to checked addresses of the host (for `http.client`)."""

    def create_connection(
        address: tuple[str, int], timeout: float | None = None, source_address: tuple[str, int] | None = None
    ) -> socket.socket:
        host, port = address
        last: OSError | None = None
        for ip in checked_addresses(host, port, allowed, resolve):
            try:
                return socket.create_connection((str(ip), port), timeout, source_address)
            except OSError as exc:
                last = exc
        assert last is not None  # checked_addresses returns at least one address
        raise last

    return create_connection
