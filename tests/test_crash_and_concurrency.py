"""Crash safety and concurrent access of the HDF5 store, with real processes."""

import os
import signal
import subprocess
import sys
import time

import h5py

from bmrlab.storage import list_runs, load_run

RUN = [sys.executable, "-m", "bmrlab.cli", "run", "read-disturb", "--set", "reads=200000"]


def start(out, *extra):
    return subprocess.Popen(
        [*RUN, "--out", str(out), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def wait_for_progress(process, percent: int):
    for line in process.stderr:
        if line.rstrip().endswith("%") and int(line.split()[-2]) >= percent:
            return
    raise AssertionError("the run ended before it got there")


def test_sigkill_leaves_a_readable_file_with_the_flushed_points(tmp_path):
    out = tmp_path / "killed.h5"
    process = start(out)
    wait_for_progress(process, 20)
    time.sleep(1.5)  # more than one flush period
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    with h5py.File(out, "r"):
        pass  # opens
    table = list_runs(out)
    assert list(table["status"]) == ["interrupted"]
    run = load_run(out)
    assert len(run.data) > 0.15 * 200_000  # what was flushed up to the last second
    assert run.data["t_trace_s"].is_monotonic_increasing


def test_a_second_writer_is_refused_and_the_first_run_is_intact(tmp_path):
    out = tmp_path / "shared.h5"
    first = start(out)
    wait_for_progress(first, 10)
    second = subprocess.run(
        [*RUN[:-2], "--set", "reads=100", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert second.returncode == 2
    assert "being written by another process" in second.stderr
    assert "Traceback" not in second.stderr
    first.communicate(timeout=300)
    assert first.returncode == 0
    table = list_runs(out)
    assert list(table["status"]) == ["finished"]
    assert len(load_run(out).data) == 200_000
