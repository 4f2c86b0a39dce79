"""The markers of tests/conftest.py: the list of slow tests names tests that exist."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import SLOW, is_slow

ROOT = Path(__file__).resolve().parents[1]


def test_every_slow_entry_names_a_test_file_or_function() -> None:
    stale = []
    for entry in SLOW:
        path, _, name = entry.partition("::")
        file = ROOT / path
        if not file.is_file() or (name and not re.search(rf"^(async )?def {name}\(", file.read_text(), re.M)):
            stale.append(entry)
    assert stale == []


def test_a_listed_test_is_slow_with_its_cases_and_no_other() -> None:
    assert is_slow("tests/web/test_pages.py::test_pages_by_role[admin]")
    assert is_slow("tests/web/test_pages.py::test_pages_by_role")
    assert is_slow("tests/test_cli.py::test_help_lists_the_commands")
    assert not is_slow("tests/web/test_pages.py::test_pages_by_role_and_more")
    assert not is_slow("tests/web/test_pages.py::test_login_page")
