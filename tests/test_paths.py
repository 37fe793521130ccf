"""Shipped station templates and recipes are named by name; a user's file by its path."""

from pathlib import Path

import pytest

from bmrlab.config import load_station_config
from bmrlab.errors import BadInput
from bmrlab.paths import DEFAULT_STATION, RECIPES, STATIONS, recipe_file, station_file
from bmrlab.recipe import load_recipe


def test_a_shipped_station_is_found_by_its_name():
    assert station_file("sim-2636b") == STATIONS / "sim-2636b.yaml"
    assert load_station_config("sim-2636b").instruments["smu"].model == "keithley2636b"


def test_no_station_is_the_default_one():
    assert station_file(None) == DEFAULT_STATION and DEFAULT_STATION.is_file()


def test_a_yaml_path_is_kept_as_given_even_if_a_template_has_its_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sim-2450.yaml").write_text((STATIONS / "sim-2636b.yaml").read_text())
    assert station_file("sim-2450.yaml") == Path("sim-2450.yaml")
    assert load_station_config("sim-2450.yaml").instruments["smu"].model == "keithley2636b"


def test_an_unknown_name_is_refused_with_the_shipped_names():
    with pytest.raises(BadInput) as refused:
        station_file("sim-2460")
    assert str(refused.value) == (
        "station sim-2460: not a station shipped with bmrlab (k2400-33220a, k2450-33500b, "
        "k2636b, sim-2400, sim-2450, sim-2636b, sim-wafer, sim-wafer-matrix) nor a .yaml file"
    )


def test_a_shipped_recipe_is_found_by_its_name():
    assert recipe_file("array-3x3") == RECIPES / "array-3x3.yaml"
    assert load_recipe("delay-sweep").sample == "delay-sweep"
    with pytest.raises(
        BadInput,
        match="recipe array: not a recipe shipped with bmrlab "
        r"\(array-3x3, delay-sweep, paired-pulse-intervals, wafer-screen\)",
    ):
        recipe_file("array")
