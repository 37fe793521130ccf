"""A full disk during a run, for real: the process's file-size limit (``ulimit -f``) makes the
output file unable to grow. The run stops through the safe shutdown, keeps the rows already
stored, is marked failed with the reason, and the next run is refused while the disk is full."""

import os
import resource
import shutil
import signal
import subprocess
import sys
from collections import namedtuple

import h5py
import numpy as np
import pytest

from bmrlab import runner
from bmrlab.cli import main
from bmrlab.recipe import Recipe, execute, plan
from bmrlab.station import Station
from bmrlab.storage import Store, list_runs, load_run
from bmrlab.storage.writer import START_ROOM, is_out_of_space

LIMIT = 8_000_000  # bytes: an iv-sweep of 400 cycles needs about 16 MB
RUN = [sys.executable, "-m", "bmrlab.cli", "run", "iv-sweep", "--set", "cycles=400"]


def limited(limit: int):
    """Give the child process a file-size limit; writes beyond it fail with EFBIG (the signal
    that would otherwise kill the process is ignored, as a shell's ``ulimit -f`` user sees)."""

    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(
            resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1])
        )

    return apply


def run_limited(out, limit: int | None = LIMIT):
    return subprocess.run(
        [*RUN, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        preexec_fn=limit and limited(limit),
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def errors(stderr: str) -> list[str]:
    """The stderr lines that are not progress lines."""
    return [line for line in stderr.splitlines() if not line.rstrip().endswith("%")]


def assert_intact(data):
    assert len(data) > 0
    assert data["t_s"].is_monotonic_increasing
    assert not data.isna().any().any()
    cycles = np.unique(data["cycle"])
    assert cycles[0] == 1 and (np.diff(cycles) == 1).all()  # no cycle missing


def test_a_full_disk_fails_the_run_keeps_the_rows_and_refuses_the_next(tmp_path):
    out = tmp_path / "full.h5"
    first = run_limited(out)
    assert first.returncode == 1
    assert "Traceback" not in first.stderr
    lines = errors(first.stderr)
    assert len(lines) == 1 and lines[0].startswith("bmrlab: disk full: ")
    assert str(out) in lines[0]
    assert os.path.getsize(out) <= LIMIT
    run = load_run(out)
    assert run.status == "failed" and run.reason.startswith("disk full: ")
    assert_intact(run.data)
    assert f"with {len(run.data)} rows in the file" in run.reason

    second = run_limited(out)  # the disk is still full: refused before any instrument
    assert second.returncode == 2
    assert "Traceback" not in second.stderr
    lines = errors(second.stderr)
    assert len(lines) == 1 and lines[0].startswith(f"bmrlab: --out {out}: disk full: ")
    assert "MB left under the process's file-size limit" in lines[0]
    assert list(list_runs(out)["status"]) == ["failed"]  # nothing added


@pytest.fixture
def small_disk(tmp_path):
    """A 10 MB file system (tmpfs), where this process may mount one; skipped elsewhere."""
    folder = tmp_path / "disk"
    folder.mkdir()
    if (
        shutil.which("mount") is None
        or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=10m", "tmpfs", str(folder)], capture_output=True
        ).returncode
        != 0
    ):
        pytest.skip("no small file system can be mounted here")
    yield folder
    subprocess.run(["umount", str(folder)], check=True)


def test_a_full_file_system_fails_the_run_and_refuses_the_next(small_disk):
    out = small_disk / "full.h5"
    first = run_limited(out, limit=None)
    assert first.returncode == 1
    assert "Traceback" not in first.stderr
    lines = errors(first.stderr)
    assert len(lines) == 1 and lines[0].startswith(f"bmrlab: disk full: {out}: ")
    assert "MB free on its file system" in lines[0]
    run = load_run(out)
    assert run.status == "failed" and run.reason == lines[0].removeprefix("bmrlab: ")
    assert_intact(run.data)
    second = run_limited(out, limit=None)
    assert second.returncode == 2
    assert errors(second.stderr)[0].startswith(f"bmrlab: --out {out}: disk full: ")


@pytest.fixture
def file_size_limit():
    """This process's file-size limit lowered for one test, and restored."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    yield lambda limit: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    signal.signal(signal.SIGXFSZ, previous)


def test_a_full_disk_ends_at_0_V_with_the_output_off(station, file_size_limit, tmp_path):
    out = tmp_path / "full.h5"
    procedure = runner.prepare(station, "iv-sweep", {"cycles": 400})
    file_size_limit(LIMIT)
    result = runner.run(station, procedure, out, sample="s", device="d")
    smu = station.sim.by_name("smu")
    assert result.status == "failed" and result.disk_full
    assert not smu.output and smu.level == 0.0
    stored = load_run(out)
    assert stored.status == "failed" and stored.reason == result.reason
    assert_intact(stored.data)
    assert 0 < len(stored.data) < result.rows_measured  # the rows after the last block lost


Usage = namedtuple("Usage", "total used free")


def test_a_run_is_refused_while_the_disk_is_full(monkeypatch, commands, tmp_path, capsys):
    free = START_ROOM - 1
    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(10**9, 10**9 - free, free))
    out = tmp_path / "refused.h5"
    assert main(["run", "iv-sweep", "--out", str(out)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        f"bmrlab: --out {out}: disk full: 4.0 MB free on its file system, a run "
        "needs at least 4 MB; free some space or choose another disk"
    ]
    assert commands == []
    assert not out.exists()


def test_rows_claimed_but_never_written_are_not_read_back(tmp_path):
    """A write that fails for lack of space may leave columns longer than what was written
    (their tail reads as zeros); the reader keeps the rows the writer counted as stored."""
    out = tmp_path / "claimed.h5"
    writer = Store(out).begin_run(
        sample="s", device="d", protocol="p", parameters={}, units={}, station={}
    )
    writer.declare({"t_s": "s", "i_A": "A"})
    writer.append({"t_s": np.arange(100.0), "i_A": np.ones(100)})
    writer.finish("failed", "disk full: test")
    with h5py.File(out, "a") as handle:  # what a failed write leaves: longer columns
        group = handle[list_runs(out)["run"][0]]
        for name in ("t_s", "i_A"):
            group[name].resize((150,))
    assert len(load_run(out).data) == 100
    assert list(list_runs(out)["rows"]) == [100]


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError(
            "Unable to synchronously flush file (file write failed: ..., errno = 27, "
            "error message = 'File too large', ...)"
        ),  # h5py at the file-size limit
        OSError(
            28,
            "Write through metadata accumulator failed (file write failed: ..., "
            "errno = 28, error message = 'No space left on device', ...)",
        ),  # full disk
        OSError(122, "Disk quota exceeded"),
    ],
)
def test_what_h5py_raises_for_lack_of_space_is_recognized(error):
    """The texts h5py 3.16 gave for a write past the limit (captured from real failures)."""
    assert is_out_of_space(error)
    assert not is_out_of_space(RuntimeError("Unable to open object (object 'x' doesn't exist)"))


def test_a_recipe_stops_at_a_full_disk_and_skips_the_rest(file_size_limit, tmp_path):
    """The next device's run would be refused at its start: the recipe says why instead."""
    recipe = Recipe.model_validate(
        {
            "sample": "s",
            "devices": [{"id": "A1"}, {"id": "A2"}],
            "steps": [
                {"protocol": "iv-sweep", "set": {"cycles": 400}},
                {"protocol": "iv-sweep", "set": {"cycles": 1}},
            ],
        }
    )
    runs = plan(recipe, lambda d: Station.load(None, d.preset))
    file_size_limit(LIMIT)
    outcomes = execute(recipe, runs, lambda d: Station.load(None, d.preset), tmp_path / "r.h5")
    assert [o.status for o in outcomes] == ["failed", "skipped", "skipped", "skipped"]
    assert outcomes[0].reason.startswith("disk full")
    assert {o.reason for o in outcomes[1:]} == {"the disk is full"}
