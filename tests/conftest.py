"""Shared fixtures: a fresh simulated station per test, nothing shared between tests."""

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # the GUI tests need no display
os.environ.setdefault("MPLBACKEND", "Agg")

from bmrlab.station import Station


@pytest.fixture
def station():
    with Station.load() as st:
        yield st


@pytest.fixture
def bioi_station():
    with Station.load(device="ag-bioi-pt") as st:
        yield st
