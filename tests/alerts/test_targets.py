"""Where webhooks may send (issue 13: webhooks could target loopback and private addresses): the address rule
over a table of addresses, names resolving to them, and the operator's allowed networks."""

from __future__ import annotations

import socket
from ipaddress import ip_address, ip_network
from typing import Any

import pytest

from ecoloop.alerts.targets import NOT_PUBLIC, NOT_RESOLVED, allowed_address, is_public, target_problem

REFUSED = [
    "127.0.0.1",
    "127.8.9.10",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # the cloud metadata service
    "100.64.0.1",  # shared address space (carrier NAT)
    "0.0.0.0",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "198.18.0.1",  # benchmarking
    "192.0.2.1",  # documentation
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "ff0e::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "2001:db8::1",  # documentation
]
PUBLIC = ["8.8.8.8", "1.1.1.1", "114.114.114.114", "2606:4700:4700::1111", "::ffff:8.8.8.8", "2400:3200::1"]


@pytest.mark.parametrize("address", REFUSED)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public(ip_address(address))
    assert not allowed_address(ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address: str) -> None:
    assert allowed_address(ip_address(address))


@pytest.mark.parametrize(
    ("address", "networks", "allowed"),
    [
        ("127.0.0.1", ["127.0.0.0/8"], True),
        ("::ffff:127.0.0.1", ["127.0.0.0/8"], True),
        ("10.20.3.4", ["10.20.0.0/16"], True),
        ("10.21.3.4", ["10.20.0.0/16"], False),
        ("169.254.169.254", ["10.20.0.0/16"], False),
        ("::1", ["127.0.0.0/8"], False),
    ],
)
def test_the_operator_allows_networks(address: str, networks: list[str], allowed: bool) -> None:
    assert allowed_address(ip_address(address), [ip_network(n) for n in networks]) is allowed


def resolver(*answers: str) -> Any:
    """A DNS stand-in (an outside service): the name resolves to `answers`."""

    def resolve(host: str, port: int, *_args: object) -> list[tuple[Any, Any, Any, Any, Any]]:
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in answers
        ]

    return resolve


@pytest.mark.parametrize(
    ("url", "answers", "problem"),
    [
        ("https://hooks.example.org/in", ("8.8.8.8",), None),
        ("https://hooks.example.org/in", ("8.8.8.8", "10.0.0.7"), NOT_PUBLIC),
        ("https://hooks.example.org/in", ("fd00::7",), NOT_PUBLIC),
        ("https://hooks.example.org/in", (), NOT_RESOLVED),
        ("http://127.0.0.1:8080/in", ("127.0.0.1",), NOT_PUBLIC),
        ("http://[::ffff:7f00:1]/in", ("::ffff:127.0.0.1",), NOT_PUBLIC),
    ],
)
def test_a_url_is_checked_by_every_address_its_host_resolves_to(
    url: str, answers: tuple[str, ...], problem: str | None
) -> None:
    assert target_problem(url, (), resolver(*answers)) == problem


@pytest.mark.parametrize(
    "url", ["http://localhost:8080/in", "http://127.1/in", "http://2130706433/in", "http://0x7f.1/in", "http://[::1]/"]
)
def test_loopback_spelled_any_way_is_refused_with_the_real_resolver(url: str) -> None:
    assert target_problem(url) == NOT_PUBLIC
    assert target_problem(url, [ip_network("127.0.0.0/8"), ip_network("::1/128")]) is None
