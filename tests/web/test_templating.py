"""The template environment translates only its own messages: every `_()` in every template takes a literal, an
enum's `.label` or a label table's entry, never stored text (issue 13, point 1); and what it returns is escaped."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from jinja2 import nodes
from markupsafe import Markup

from ecoloop.db.base import Base
from ecoloop.i18n import use_locale
from ecoloop.web.templating import make_templates

TRANSLATING = frozenset({"_", "gettext", "ngettext"})


def template_names() -> list[str]:
    return [n for n in make_templates().env.list_templates() if n.endswith(".html")]


def translated(node: nodes.Node) -> Iterator[nodes.Call]:
    for call in node.find_all(nodes.Call):
        if isinstance(call.node, nodes.Name) and call.node.name in TRANSLATING:
            yield call


def is_message(arg: nodes.Node) -> bool:
    """A literal message id, an enum member's `.label`, or an entry of a label table passed as `labels.<table>`
    (the routes fill those from enums and `N_()` literals); a conditional of those."""
    if isinstance(arg, nodes.Const):
        return isinstance(arg.value, str)
    if isinstance(arg, nodes.Getattr):
        return arg.attr == "label"
    if isinstance(arg, nodes.Getitem):
        table = arg.node
        return isinstance(table, nodes.Getattr) and isinstance(table.node, nodes.Name) and table.node.name == "labels"
    if isinstance(arg, nodes.CondExpr):
        return is_message(arg.expr1) and (arg.expr2 is None or is_message(arg.expr2))
    return False


@pytest.mark.parametrize("name", template_names())
def test_templates_translate_messages_only(name: str) -> None:
    env = make_templates().env
    source, _filename, _uptodate = env.loader.get_source(env, name)  # type: ignore[union-attr]
    tree = env.parse(source, name)

    wrong = [
        f"line {call.lineno}: {source.splitlines()[call.lineno - 1].strip()[:120]}"
        for call in translated(tree)
        if not call.args or not all(is_message(a) for a in call.args[: 2 if call.node.name == "ngettext" else 1])  # type: ignore[attr-defined]
    ]

    assert not wrong, f"{name} translates what is not a message id (show stored text as is): {wrong}"


def test_no_table_has_a_label_column() -> None:
    # `_(x.label)` is allowed above because `.label` is always an enum's (or a menu entry's) message id.
    assert [f"{t.name}.label" for t in Base.metadata.sorted_tables if "label" in t.columns] == []


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_translations_are_escaped_not_trusted(locale: str) -> None:
    env = make_templates().env
    template = env.from_string('{{ _(text) }}|{{ _("version %(version)s", version=text) }}')
    with use_locale(locale):
        html = template.render(text="<i hx-post='/x'>")

    assert "<i" not in html
    assert html.count("&lt;i hx-post=&#39;/x&#39;&gt;") == 2
    assert isinstance(Markup(html), Markup)


@pytest.mark.parametrize("name", template_names())
def test_templates_have_no_inline_script_style_or_handler(name: str) -> None:
    """The CSP allows scripts and styles from files only: inline ones would be refused, and would need unsafe-*."""
    env = make_templates().env
    source = env.loader.get_source(env, name)[0]  # type: ignore[union-attr]
    tags = re.findall(r"<[a-zA-Z][^>]*>", source)

    assert not [t for t in tags if re.search(r"\sstyle\s*=", t)], "inline style"
    assert not [t for t in tags if re.search(r"\son[a-z]+\s*=", t)], "inline event handler"
    assert not [t for t in tags if t.startswith("<script") and "src=" not in t and "application/json" not in t]
    assert "javascript:" not in source


def test_nothing_is_marked_safe_by_hand() -> None:
    """Markup comes from templates only: no `|safe`, no autoescape switched off, no `Markup(...)` in the code (the
    template environment's own `escape()` is the one way text becomes markup)."""
    env = make_templates().env
    loader = env.loader
    assert loader is not None
    sources = {name: loader.get_source(env, name)[0] for name in env.list_templates()}
    package = Path(__file__).resolve().parents[2] / "src" / "ecoloop"

    assert [n for n, s in sources.items() if re.search(r"\|\s*safe\b|autoescape\s+false", s)] == []
    assert [p.name for p in package.rglob("*.py") if re.search(r"\bMarkup\(", p.read_text(encoding="utf-8"))] == []


def test_times_are_shown_in_the_bureaus_time_zone() -> None:
    """`localtime` without a zone shows a stored UTC time as it is, eight hours off in China (penalty timelines and
    review sheets did, issue 19): every use names the zone the pages are given (`tz`)."""
    env = make_templates().env
    loader = env.loader
    assert loader is not None
    sources = {name: loader.get_source(env, name)[0] for name in env.list_templates()}

    assert [n for n, s in sources.items() if re.search(r"\|\s*localtime\b(?!\s*\()", s)] == []
