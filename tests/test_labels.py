"""Labels live on the enums, one place for each name (STYLE.md §4, issue 14 part 5): a table of names keyed by an
enum's members sits in the enum's own module, behind its `.label`; pages, ledgers, exports, documents and the audit
log read `.label`. Two tables of one enum's names drift apart (the ledger said 已交办 where the pages said
已交办待签收), so a second table anywhere else fails here."""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import pytest

from ecoloop.i18n import gettext

SRC = Path(__file__).resolve().parents[1] / "src"
ENUM_BASES = {"Enum", "StrEnum", "IntEnum"}
MESSAGE_FUNCTIONS = {"N_", "_", "gettext"}
# The demo city writes its fixture texts in Chinese, keyed by category; they are data, not names.
FIXTURES = ("ecoloop.demo",)
# Words inside a sentence, not names of members: a finding says "hourly mean" mid-sentence where the limit's
# averaging period is named "Hourly mean" (`Averaging.label`).
SENTENCE_WORDS = {("ecoloop.alerts.findings", "_AVERAGING"), ("ecoloop.alerts.findings", "_AQI_PERIOD")}
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class LabelTable:
    """A dict literal keyed by members of an enum whose values are names shown to users."""

    module: str
    line: int
    enum: str
    home: frozenset[str]  # the modules that define the enum
    by_value: bool = False  # keyed by the members' values (text), not by the members
    name: str = ""  # the name it is assigned to


def _module_name(path: Path, src: Path) -> str:
    parts = path.relative_to(src).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _enums(trees: dict[str, ast.Module]) -> tuple[dict[str, set[str]], dict[str, set[tuple[str, str]]]]:
    """Enum class name -> the modules defining a class of that name with an Enum base; and each string value of
    an enum member -> the (enum, module) pairs having a member of that value."""
    homes: dict[str, set[str]] = {}
    values: dict[str, set[tuple[str, str]]] = {}
    for module, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and any(
                (isinstance(b, ast.Name) and b.id in ENUM_BASES)
                or (isinstance(b, ast.Attribute) and b.attr in ENUM_BASES)
                for b in node.bases
            ):
                homes.setdefault(node.name, set()).add(module)
                for item in node.body:
                    if isinstance(item, ast.Assign) and isinstance(item.value, ast.Constant):
                        value = item.value.value
                        if isinstance(value, str):
                            values.setdefault(value, set()).add((node.name, module))
    return homes, values


def _imported_names(tree: ast.Module) -> dict[str, tuple[str, str]]:
    """Local name -> (module, name) it was imported from (`from x import Action as Step`: Step -> (x, Action))."""
    names: dict[str, tuple[str, str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                names[alias.asname or alias.name] = (node.module, alias.name)
    return names


def _is_name(value: ast.expr) -> bool:
    """A name shown to users: a message id without placeholders (a sentence with `%(…)s` is a message, not a
    name), or Chinese text written in the code."""
    if (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id in MESSAGE_FUNCTIONS
        and len(value.args) == 1
        and isinstance(value.args[0], ast.Constant)
        and isinstance(value.args[0].value, str)
    ):
        return "%(" not in value.args[0].value
    return isinstance(value, ast.Constant) and isinstance(value.value, str) and bool(_CJK.search(value.value))


def label_tables(src: Path) -> Iterator[LabelTable]:
    """Every dict literal under `src/ecoloop` with names as values, keyed by members of one enum, or by the
    values of enum members (text keys that are all values of enums, as tables looked up by stored codes are)."""
    trees = {
        _module_name(path, src): ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted((src / "ecoloop").rglob("*.py"))
    }
    homes, values = _enums(trees)
    for module, tree in trees.items():
        imported = _imported_names(tree)
        assigned = {
            id(node.value): target.id
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign | ast.AnnAssign)
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
            if isinstance(target, ast.Name)
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Dict) or not node.keys or not all(_is_name(v) for v in node.values):
                continue
            if all(isinstance(k, ast.Constant) and isinstance(k.value, str) for k in node.keys) and len(node.keys) > 1:
                keys = [k.value for k in node.keys if isinstance(k, ast.Constant)]
                # The enums of which the table names two or more values; flagged when together they cover its keys
                # (a code table of one enum, or of two, like the receiver's and the plausibility rule's refusals).
                covered: dict[tuple[str, str], set[str]] = {}
                for key in keys:
                    for pair in values.get(key, set()):
                        covered.setdefault(pair, set()).add(key)
                named = {pair: found for pair, found in covered.items() if len(found) > 1}
                if named and set().union(*named.values()) == set(keys):
                    enums = " or ".join(sorted({enum for enum, _home in named}))
                    homes_of = frozenset(home for _enum, home in named)
                    yield LabelTable(module, node.lineno, enums, homes_of, True, assigned.get(id(node), ""))
                continue
            members = {
                imported.get(key.value.id, (module, key.value.id))
                for key in node.keys
                if isinstance(key, ast.Attribute) and isinstance(key.value, ast.Name)
            }
            if len(members) != 1 or len(node.keys) != sum(isinstance(k, ast.Attribute) for k in node.keys):
                continue
            ((source, enum),) = members
            if enum not in homes:
                continue
            # The module it is imported from, where that defines it; else (a re-export) every module defining it.
            home = {source} if source in homes[enum] else homes[enum]
            yield LabelTable(module, node.lineno, enum, frozenset(home), False, assigned.get(id(node), ""))


def test_names_of_enum_members_live_only_in_the_enums_module() -> None:
    """No label table keyed by an enum outside the module that defines the enum (routes, ledgers, exports,
    documents, the audit log): put the names behind the enum's `.label` and read that."""
    stray = [
        f"{t.module}:{t.line} {t.name} names {t.enum} members (the enum lives in {', '.join(sorted(t.home))})"
        for t in label_tables(SRC)
        if t.module not in t.home and not t.module.startswith(FIXTURES) and (t.module, t.name) not in SENTENCE_WORDS
    ]
    assert stray == []


def test_the_scan_finds_the_label_tables_that_do_exist() -> None:
    """The scan is not blind: it sees the tables behind `.label` in the enums' own modules."""
    found = {(t.module, t.enum) for t in label_tables(SRC)}
    assert {("ecoloop.cases.workflow", "State"), ("ecoloop.alerts.rules", "RuleKind")} <= found
    assert ("ecoloop.access.roles", "Role") in found


def _labelled_enums() -> Iterator[type[Enum]]:
    """The enums of ecoloop that name their members (`.label`)."""
    for table in label_tables(SRC):
        for home in () if table.by_value else table.home:
            enum = getattr(importlib.import_module(home), table.enum)
            if isinstance(getattr(enum, "label", None), property):
                yield enum


@pytest.mark.parametrize("enum", sorted(set(_labelled_enums()), key=lambda e: f"{e.__module__}.{e.__qualname__}"))
def test_every_member_of_a_labelled_enum_has_a_name(enum: type[Enum]) -> None:
    """A member added to an enum without a name would fail on the page that shows it (the catalog's coverage of
    the names is `test_i18n`'s)."""
    for member in enum:
        label = member.label  # type: ignore[attr-defined]  # the enums found all have `.label`
        assert isinstance(label, str) and label and gettext(label)
