"""API shapes live in the capability's `schemas.py` (STYLE.md §1, issue 14 part 5): a routes module defines no
pydantic model, so the shapes of a capability's API are read in one file."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "ecoloop"


def _models(path: Path) -> list[str]:
    """The classes defined in `path` whose bases name `BaseModel`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        and any(isinstance(b, ast.Name | ast.Attribute) and ast.unparse(b).endswith("BaseModel") for b in node.bases)
    ]


def test_no_routes_module_defines_an_api_shape() -> None:
    routes = sorted(p for p in PACKAGE.rglob("*.py") if p.stem == "routes" or p.stem.endswith("_routes"))
    assert len(routes) > 10  # the scan sees the routes modules
    defined = {str(p.relative_to(PACKAGE)): names for p in routes if (names := _models(p))}
    assert defined == {}


def test_the_scan_sees_the_shapes_in_schemas_modules() -> None:
    assert "SiteQualityOut" in _models(PACKAGE / "monitoring" / "schemas.py")
    assert "CaseOut" in _models(PACKAGE / "cases" / "schemas.py")
