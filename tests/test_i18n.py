"""The zh_CN catalog covers every user-facing message and is the default language."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from datetime import datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from pydantic import BaseModel, Field, ValidationError

from ecoloop.i18n import VALIDATION_MESSAGES, gettext, use_locale, validation_text
from ecoloop.identity.enums import Role

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "src" / "ecoloop" / "locale" / "zh_CN" / "LC_MESSAGES" / "messages.po"
METHOD_MAP = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}


def extracted() -> set[str]:
    messages = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        str(ROOT / "src" / "ecoloop"),
        METHOD_MAP,
        options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}},
        keywords=KEYWORDS,
    ):
        messages.add(message[0] if isinstance(message, tuple) else message)
    return messages


def test_every_message_has_a_chinese_translation() -> None:
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="zh_CN")
    translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(extracted() - set(translated))
    assert missing == [], "run `make i18n` and translate: " + "; ".join(missing)


def test_no_literal_message_hides_inside_an_f_string() -> None:
    """Extraction does not look into f-strings: a `gettext('Notice number')` there stayed English (issue 13)."""
    call = re.compile(r"\b(?:gettext|ngettext|N_|_)\(\s*[rRbB]?['\"]")
    hidden = []
    for path in (ROOT / "src" / "ecoloop").rglob("*.py"):
        tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
        for token in tokens:
            prefix = re.match(r"[A-Za-z]*", token.string)
            if token.type == tokenize.STRING and prefix and "f" in prefix.group().lower() and call.search(token.string):
                hidden.append(f"{path.relative_to(ROOT)}:{token.start[0]}")
    assert hidden == [], "use a message with named placeholders instead: " + ", ".join(hidden)


def test_default_is_chinese_and_english_is_available() -> None:
    assert gettext("Sign in") == "登录"
    with use_locale("en"):
        assert gettext("Sign in") == "Sign in"
    with use_locale("zh_CN"):
        assert gettext(Role.HOTLINE.label) == "热线受理员"


# Functions whose parameters are message ids by contract (their callers pass `N_()` literals), and the template
# environment's wrappers around the catalog.
# Functions that pick a message id out of tables of messages (N_() literals) before they translate it.
TRANSLATE_PARAMETERS = {
    ("alerts/findings.py", "describe"),
    ("alerts/rule_routes.py", "config_error_text"),
    ("monitoring/routes.py", "issue_detail"),
    ("alerts/findings.py", "_specific"),
    ("audit/labels.py", "field_label"),
    ("audit/labels.py", "enum_label"),
    ("cases/documents.py", "_labelled"),
    ("casereviews/service.py", "default_standard"),  # the built-in standard's N_() texts, in the bureau's language
    ("i18n.py", "validation_text"),
    ("readings/parameters.py", "name"),
    ("enterprises/export.py", "sheet"),
    ("web/templating.py", "_escaped_gettext"),
    ("web/templating.py", "_escaped_ngettext"),
    ("sheets/table.py", "message"),  # a problem's message id, set from a layout's N_() table
    ("sheets/table.py", "template_workbook"),
    ("sheets/table.py", "code"),  # `allowed`, an N_() message id  # a column's note, N_() in the layout
}


def _is_message(arg: ast.expr) -> bool:
    """A literal, an enum's `.label`, or an entry of a module-level table of messages (UPPER_CASE)."""
    if isinstance(arg, ast.Constant):
        return isinstance(arg.value, str)
    if isinstance(arg, ast.Attribute):
        return arg.attr == "label" or arg.attr.isupper()
    if isinstance(arg, ast.Name):
        return arg.id.isupper()
    if isinstance(arg, ast.Subscript):
        return _is_message(arg.value)
    if isinstance(arg, ast.IfExp):
        return _is_message(arg.body) and _is_message(arg.orelse)
    if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Name) and arg.func.id == "N_":
        return len(arg.args) == 1 and _is_message(arg.args[0])
    if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute) and arg.func.attr == "get":
        return _is_message(arg.func.value) and all(_is_message(a) for a in arg.args[1:])
    return False


def test_code_translates_messages_only() -> None:
    """User data never goes through the catalog (issue 13): it would be translated if it matched a message id and
    break on a % sign."""
    wrong = []
    package = ROOT / "src" / "ecoloop"
    for path in sorted(package.rglob("*.py")):
        where = path.relative_to(package).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        exempt = {
            id(call)
            for function in ast.walk(tree)
            if isinstance(function, ast.FunctionDef) and (where, function.name) in TRANSLATE_PARAMETERS
            for call in ast.walk(function)
        }
        for call in ast.walk(tree):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)) or id(call) in exempt:
                continue
            if call.func.id not in KEYWORDS:
                continue
            count = 2 if call.func.id == "ngettext" else 1
            if not call.args or not all(_is_message(a) for a in call.args[:count]):
                wrong.append(f"{where}:{call.lineno}: {ast.unparse(call)}")
    assert not wrong, f"translated values that are not message ids: {wrong}"


class Form(BaseModel):
    name: str = Field(min_length=2, max_length=5)
    count: int = Field(ge=1)
    kind: Role
    when: datetime


def test_validation_errors_are_translated_with_field_labels() -> None:
    """Issue 13 §11: pydantic's English messages reached Chinese users."""
    with pytest.raises(ValidationError) as refused:
        Form.model_validate({"name": "x" * 9, "count": "0", "kind": "nobody", "when": "soon", "extra": 1})
    labels = {"name": "Name", "count": "Count"}
    text = validation_text(refused.value.errors(), labels)
    assert text.split("；") == [
        "名称超过 5 个字符",
        f"{gettext('Count')}不能小于 1",
        "kind应为以下之一：" + "、".join(r.value for r in Role),
        "when应为日期时间，例如 2026-11-22T08:00:00+08:00",
    ]
    with use_locale("en"):
        assert validation_text([{"type": "missing", "loc": ("body", "name")}], labels) == "Name is missing"
    assert validation_text([{"type": "no_such_type", "loc": ()}], {}) == "该行无效"


def test_every_validation_message_is_well_formed_in_chinese() -> None:
    for kind, message in VALIDATION_MESSAGES.items():
        names = set(re.findall(r"%\((\w+)\)s", message))
        assert set(re.findall(r"%\((\w+)\)s", gettext(message))) == names, kind
