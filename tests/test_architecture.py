"""The contracts that keep the house in order (issue 14): the import-linter contracts of pyproject.toml hold on the
code and break on a planted import, the packages import each other in no circle, and pure modules read no clock."""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grimp
import pytest
from importlinter.configuration import configure
from importlinter.contracts.acyclic_siblings import AcyclicSiblingsContract
from importlinter.contracts.forbidden import ForbiddenContract
from importlinter.contracts.independence import IndependenceContract
from importlinter.contracts.layers import LayersContract
from importlinter.domain.contract import Contract

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "ecoloop"
KINDS: dict[str, type[Contract]] = {
    "layers": LayersContract,
    "independence": IndependenceContract,
    "forbidden": ForbiddenContract,
    "acyclic_siblings": AcyclicSiblingsContract,
}
# A planted import that each contract must refuse: (importer, imported).
PLANTED = {
    "layers": ("ecoloop.db.base", "ecoloop.alerts.models"),  # a floor reaching up to a capability
    "capabilities-through-their-interfaces": ("ecoloop.cases.service", "ecoloop.alerts.stream"),
    "no-package-cycles": ("ecoloop.regions.models", "ecoloop.cases.models"),  # cases already imports regions
    "pure-no-io": ("ecoloop.cases.workflow", "sqlalchemy"),
    "standards-self-contained": ("ecoloop.standards.aqi", "ecoloop.readings.vocabulary"),
}
# The modules that take values and return values (STYLE.md §3): no clock, so no `now()` or `today()` either.
PURE_MODULES = (
    "standards",
    "alerts/rules.py",
    "alerts/device_rules.py",
    "readings/reasons.py",
    "cases/rules.py",
    "enterprises/rules.py",
    "identity/rules.py",
    "readings/rules.py",
    "regions/rules.py",
    "regions/datum.py",
    "cases/workflow.py",
    "cases/workdays.py",
    "draws/algorithm.py",
    "intake/rules.py",
    "inspections/rules.py",
    "intake/similarity.py",
    "monitoring/quality.py",
    "monitoring/rules.py",
    "alerts/lifecycle.py",
    "ingest/hj212",
    "reports/assessment.py",
    "reports/config.py",
    "reports/periods.py",
    "reports/statements.py",
    "penalties/procedure.py",
    "penalties/clock.py",
    "penalties/discretion.py",
    "penalties/numerals.py",
)
# `x.now()`, `x.today()`, `utcnow()` (ecoloop.db.base), and the clocks of the `time` module (`time(0)` alone is
# the datetime.time of midnight, a value).
CLOCK_METHODS = frozenset({"now", "utcnow", "today"})
CLOCK_FUNCTIONS = frozenset({"utcnow"})
TIME_CLOCKS = frozenset({"time", "time_ns", "monotonic", "monotonic_ns", "perf_counter", "process_time"})


def _graph() -> grimp.ImportGraph:
    return grimp.build_graph("ecoloop", include_external_packages=True, cache_dir=None)


def _contract(contract_id: str) -> Contract:
    configure()
    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (raw,) = [c for c in options["contracts"] if c["id"] == contract_id]
    # import-linter reads its options as strings and lists of strings, as its own readers give them.
    contract_options: dict[str, Any] = {
        key: value if isinstance(value, list) else str(value).lower() if isinstance(value, bool) else str(value)
        for key, value in raw.items()
        if key not in {"id", "name", "type"}
    }
    session = {key: value for key, value in options.items() if key != "contracts"}
    return KINDS[raw["type"]](name=contract_id, session_options=session, contract_options=contract_options)


@pytest.mark.parametrize("contract_id", sorted(PLANTED))
def test_contract_holds_and_refuses_a_planted_import(contract_id: str) -> None:
    contract = _contract(contract_id)
    assert contract.check(_graph(), verbose=False).kept, f"{contract_id} is broken: run `uv run lint-imports`"
    graph = _graph()
    importer, imported = PLANTED[contract_id]
    graph.add_import(importer=importer, imported=imported, line_number=1, line_contents="planted")
    assert not contract.check(graph, verbose=False).kept, f"{contract_id} let {importer} -> {imported} pass"


def package_cycles(graph: grimp.ImportGraph) -> list[set[str]]:
    """The sets of ecoloop's top-level packages (and modules) that import each other in a circle (strongly
    connected components of more than one package)."""

    def package(module: str) -> str:
        return module.split(".")[1] if "." in module else module

    edges: dict[str, set[str]] = {}
    for module in graph.modules:
        if not module.startswith("ecoloop."):
            continue
        for imported in graph.find_modules_directly_imported_by(module):
            if imported.startswith("ecoloop.") and package(imported) != package(module):
                edges.setdefault(package(module), set()).add(package(imported))
    # Tarjan's algorithm, iterative enough for two dozen packages.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in edges.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in sorted({package(m) for m in graph.modules if m.startswith("ecoloop.")}):
        if node not in index:
            visit(node)
    return found


def test_no_package_imports_another_in_a_circle() -> None:
    """Before issue 14, 12 of the packages formed one circle (web, db and access imported every capability)."""
    assert package_cycles(_graph()) == []


def test_a_planted_circle_is_found() -> None:
    graph = _graph()
    graph.add_import(importer="ecoloop.db.base", imported="ecoloop.web.deps", line_number=1, line_contents="planted")
    assert package_cycles(graph) == [{"db", "web"}]


def _pure_files() -> Iterator[Path]:
    for name in PURE_MODULES:
        path = SRC / name
        yield from sorted(path.rglob("*.py")) if path.is_dir() else [path]


def clock_calls(source: str) -> list[str]:
    """The calls in `source` that read the clock: `datetime.now()`, `date.today()`, `time.time()` and their kin."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute):
            on_time = isinstance(func.value, ast.Name) and func.value.id == "time"
            if func.attr in CLOCK_METHODS or (on_time and func.attr in TIME_CLOCKS):
                found.append(f"line {node.lineno}: {func.attr}()")
        elif isinstance(func, ast.Name) and func.id in CLOCK_FUNCTIONS:
            found.append(f"line {node.lineno}: {func.id}()")
    return found


@pytest.mark.parametrize("path", list(_pure_files()), ids=lambda p: str(p.relative_to(SRC)))
def test_pure_modules_read_no_clock(path: Path) -> None:
    """A pure function is given `now`; it never asks the clock (the contract forbids `time`, this the calls)."""
    assert clock_calls(path.read_text()) == []


def test_a_clock_call_is_found() -> None:
    planted = "from datetime import date, datetime\n\ndef due() -> date:\n    return datetime.now().date()\n"
    assert clock_calls(planted) == ["line 4: now()"]
    assert clock_calls("import datetime\nx = datetime.date.today()\n") == ["line 2: today()"]
    assert clock_calls("import time\nx = time.monotonic()\n") == ["line 2: monotonic()"]
    assert clock_calls("from datetime import time\nmidnight = time(0)\n") == []
