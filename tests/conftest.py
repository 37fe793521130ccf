"""Shared fixtures: a fresh simulated station per test, nothing shared between tests."""

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # the GUI tests need no display
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ["BMRLAB_CATALOG"] = (
    "off"  # no test records into the user's catalog (test_catalog: its own)
)

from bmrlab.sim.backend import forget_bench, register_bench
from bmrlab.sim.bench import SimBench
from bmrlab.sim.builder import DEFAULT_STATION, build_bench
from bmrlab.station import Station


@pytest.fixture
def station():
    with Station.load() as st:
        yield st


@pytest.fixture
def bioi_station():
    with Station.load(device="ag-bioi-pt") as st:
        yield st


@pytest.fixture
def bench():
    """The default simulated bench (one instrument of each model) registered in-process:
    (bench, the pyvisa library that opens it)."""
    bench = build_bench(DEFAULT_STATION)
    key = register_bench(bench)
    yield bench, f"{key}@bmrsim"
    forget_bench(key)


@pytest.fixture
def commands(monkeypatch):
    """Every message any simulated instrument receives."""
    sent = []
    handle = SimBench.handle

    def counting(self, resource, message):
        sent.append(message)
        return handle(self, resource, message)

    monkeypatch.setattr(SimBench, "handle", counting)
    return sent
