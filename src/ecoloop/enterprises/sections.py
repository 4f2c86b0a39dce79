"""The sections of an enterprise's file that other capabilities keep: the alerts about its sites, its cases.

The enterprise file sits below those capabilities (they name enterprises), so it does not import them; each one
registers its section here, and `ecoloop.app` imports them all (issue 14). A section is a list of links to the
records the user may see: (href, text), newest first.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from ecoloop.access.principal import Principal

SectionRows = Callable[[Session, Principal, int], list[tuple[str, str]]]

# key → rows, in the order the file shows them, and key → title message (the pages' labels read this one dict).
_SECTIONS: dict[str, SectionRows] = {}
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
