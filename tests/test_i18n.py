"""The zh_CN catalog covers every user-facing message and is the default language."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from ecoloop.i18n import gettext, use_locale
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


def test_default_is_chinese_and_english_is_available() -> None:
    assert gettext("Sign in") == "登录"
    with use_locale("en"):
        assert gettext("Sign in") == "Sign in"
    with use_locale("zh_CN"):
        assert gettext(Role.HOTLINE.label) == "热线受理员"
