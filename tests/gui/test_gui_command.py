"""`bmrlab gui` as a user starts it: its options reach the station of the window."""

import json
import os
import subprocess
import sys

import h5py

from bmrlab.storage import load_run


def test_the_window_takes_a_device_file_like_the_other_commands(tmp_path):
    out = tmp_path / "gui.h5"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bmrlab.cli",
            "gui",
            "--device-file",
            "ag-bioi-pt",
            "--out",
            str(out),
            "--run",
            "iv-sweep",
            "--set",
            "cycles=1",
            "--quit-when-done",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    run = load_run(out)
    assert run.status == "finished"
    with h5py.File(out) as handle:
        published = json.loads(handle[run.run].attrs["published"])
    assert published["vset_mV"] == 50  # ag-bioi-pt's, not the default device's 60 mV
