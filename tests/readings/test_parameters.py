"""The HJ 212 code table: names and units of the codes readings carry (issue 13 §11: bare codes on pages)."""

from __future__ import annotations

import pytest

from ecoloop.demo.simulator.profiles import PARAMETERS as SIMULATED
from ecoloop.i18n import use_locale
from ecoloop.readings import parameters


@pytest.mark.parametrize(
    ("code", "ambient", "label"),
    [
        ("w21003", False, "氨氮 (mg/L)"),
        ("w01018", False, "化学需氧量 (mg/L)"),
        ("a21026", False, "二氧化硫 (mg/m³)"),
        ("a21026", True, "二氧化硫 (µg/m³)"),
        ("a21005", True, "一氧化碳 (mg/m³)"),
        ("a34013-Max", False, "颗粒物最大值 (mg/m³)"),
        ("w00000-Cou", False, "废水流量累计值 (m³)"),
        ("w01001", False, "pH值"),
        ("Leq", False, "等效声级 (dB(A))"),
        ("x99999", False, "x99999"),
    ],
)
def test_codes_are_labelled_with_name_and_unit(code: str, ambient: bool, label: str) -> None:
    assert parameters.label(code, ambient=ambient) == label


def test_the_english_names_are_the_catalog_ids() -> None:
    with use_locale("en"):
        assert parameters.label("w21003") == "Ammonia nitrogen (mg/L)"


def test_every_code_the_loggers_send_is_in_the_table() -> None:
    sent = {p.code for group in SIMULATED.values() for p in group}
    assert sent <= set(parameters.PARAMETERS)


def test_labels_map_only_known_codes() -> None:
    labels = parameters.Labels(codes=("w21003",), aliases={"NH3_N": "w21003"})
    assert "w21003-Min" in labels and "NH3_N" in labels and "x1" not in labels
    assert dict(labels.items()) == {"w21003": "氨氮 (mg/L)"}
    with pytest.raises(KeyError):
        labels["x1"]
