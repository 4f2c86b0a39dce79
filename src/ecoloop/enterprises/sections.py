"""The sections of an enterprise's file that other capabilities keep: the alerts about its sites, its cases, the
compliance of its outlets.

The enterprise file sits below those capabilities (they name enterprises), so it does not import them; each one
registers its section here, and `ecoloop.app` imports them all (issue 14). A section is a list of links to the
records the user may see: (href, text), newest first; or a panel, drawn by its own template (charts and tables of
results, issue 16).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from fastapi import Request
from sqlalchemy.orm import Session

from ecoloop.access.principal import Principal

SectionRows = Callable[[Session, Principal, int], list[tuple[str, str]]]


class Panel(Protocol):
    """A section drawn by its own `template` (included with `panel` = this panel, its data in `context`), with the
    static `scripts` it needs (loaded deferred, e.g. the charts'). A capability gives its own frozen dataclass of
    these fields (it reaches the enterprise file through no module but its queries)."""

    @property
    def template(self) -> str: ...

    @property
    def context(self) -> Mapping[str, Any]: ...

    @property
    def scripts(self) -> tuple[str, ...]: ...


# The panel of one enterprise for the request (its settings and stores are the app's), or None to show nothing.
PanelOf = Callable[[Request, Session, Principal, int], Panel | None]

# key → rows, in the order the file shows them, and key → title message (the pages' labels read this one dict).
_SECTIONS: dict[str, SectionRows] = {}
_PANELS: dict[str, PanelOf] = {}
TITLES: dict[str, str] = {}


def register_section(key: str, title: str, rows: SectionRows) -> None:
    """Add a section `key` with the catalog message `title` whose links `rows(session, principal, enterprise_id)`
    gives; a section registered again keeps its place."""
    _SECTIONS[key] = rows
    TITLES[key] = title


def later_sections(
    session: Session, principal: Principal, enterprise_id: int
) -> list[tuple[str, list[tuple[str, str]]]]:
    """(key, links) of each section for one enterprise, in order."""
    return [(key, rows(session, principal, enterprise_id)) for key, rows in _SECTIONS.items()]


def register_panel(key: str, title: str, panel: PanelOf) -> None:
    """Add a section `key` with the catalog message `title` drawn as the panel `panel(request, session, principal,
    enterprise_id)` gives (shown after the link sections); a panel registered again keeps its place."""
    _PANELS[key] = panel
    TITLES[key] = title


def panels(request: Request, session: Session, principal: Principal, enterprise_id: int) -> list[tuple[str, Panel]]:
    """(key, panel) of each panel section the user is shown for one enterprise, in order."""
    found = ((key, panel(request, session, principal, enterprise_id)) for key, panel in _PANELS.items())
    return [(key, p) for key, p in found if p is not None]
