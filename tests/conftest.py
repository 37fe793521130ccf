"""Shared fixtures: a fresh simulated station per test, nothing shared between tests."""

import os
import signal
import subprocess
import sys
import time

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


@pytest.fixture
def interrupted_recipe():
    """Run ``bmrlab recipe PATH --out OUT`` as a user would, press Ctrl+C (SIGINT) once a
    progress line on stderr satisfies ``when``, check it exits 1; returns the command, to
    be run again with ``--resume``."""

    def interrupt(path, out, when, settle_s: float = 0.0) -> list[str]:
        command = [sys.executable, "-m", "bmrlab.cli", "recipe", str(path), "--out", str(out)]
        process = subprocess.Popen(
            command,
            stderr=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        for line in process.stderr:
            if when(line):
                break
        time.sleep(settle_s)
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=300)
        assert process.returncode == 1
        return command

    return interrupt
