"""The `ecoloop` command and its subcommands."""

from __future__ import annotations

import ecoloop.tables  # noqa: F401  # every table and its scope rule, for every command
from ecoloop.cli import (
    accounts,
    boundaries,
    data,
    devices,
    inspections,
    jobs,
    pii,
    platform,
    registries,
    reports,
    results,
    setup,
)
from ecoloop.cli.base import app
from ecoloop.cli.platform import web_server_config

__all__ = [
    "accounts",
    "app",
    "boundaries",
    "data",
    "devices",
    "inspections",
    "jobs",
    "main",
    "pii",
    "platform",
    "registries",
    "reports",
    "results",
    "setup",
    "web_server_config",
]


def main() -> None:
    """Entry point of the `ecoloop` console script."""
    app()
