"""The installed package, not the checkout: build the wheel, install it into a fresh venv and
run `bmrlab characterize` from a directory outside the checkout.

Offline and fast: the wheel is built with this environment's setuptools (no build isolation),
the venv gets no pip and no downloads; its dependencies come from this environment's
site-packages, listed in a .pth file after the venv's own, so the installed wheel's bmrlab
is the one imported.
"""

import json
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import h5py
import pytest
from packaging.requirements import Requirement

import bmrlab
from bmrlab.characterize import ORDER

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

CHECKOUT = Path(__file__).resolve().parent.parent
PYPROJECT = CHECKOUT / "pyproject.toml"
SHORT = {
    "iv-sweep.cycles": 3,
    "pulse-delay.amplitudes": "0.1",
    "pulse-delay.pulses": 3,
    "retention.traces": 3,
    "endurance.max_cycles": 100,
    "paired-pulse.intervals": "0.001,0.01",
    "paired-pulse.repeats": 2,
}


def _build_backend_missing() -> str | None:
    """Why this environment cannot build the wheel offline, or None if it can."""
    for line in tomllib.loads(PYPROJECT.read_text())["build-system"]["requires"]:
        requirement = Requirement(line)
        try:
            installed = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            installed = None
        if installed is None or not requirement.specifier.contains(installed, prereleases=True):
            return (
                f"building the wheel offline needs {line} here (found {installed}); "
                "pip install -e '.[test]' brings it"
            )
    return None


def _sources(into: Path) -> Path:
    """A copy of what the wheel is built from, so the build leaves nothing in the checkout
    (and no stale build/ directory there can add files to the wheel)."""
    for name in ("pyproject.toml", "README.md", "pyvisa_bmrsim.py"):
        shutil.copy2(CHECKOUT / name, into / name)
    shutil.copytree(
        CHECKOUT / "bmrlab", into / "bmrlab", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    return into


def _site_dirs() -> list[str]:
    """This interpreter's site-packages directories, where bmrlab's dependencies are."""
    return [
        p
        for p in sys.path
        if Path(p).name in ("site-packages", "dist-packages") and Path(p).is_dir()
    ]


def _run(*argv, cwd: Path, venv: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """``argv`` in ``cwd`` with nothing of this environment but PATH (no PYTHONPATH); the
    calibration cache is the venv's, shared by its runs."""
    environment = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(cwd),
        "XDG_CACHE_HOME": str(venv.parent / "cache"),
        "MPLBACKEND": "Agg",
        "QT_QPA_PLATFORM": "offscreen",
    }
    return subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A fresh venv with the wheel installed; dependencies from this environment."""
    missing = _build_backend_missing()
    if missing:
        pytest.skip(missing)
    tmp = tmp_path_factory.mktemp("wheel")
    source = _sources(tmp_path_factory.mktemp("source"))
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-index",
            "--no-build-isolation",
            "--wheel-dir",
            str(tmp / "dist"),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    [wheel] = (tmp / "dist").glob("bmrlab-*.whl")
    assert wheel.name.startswith(f"bmrlab-{bmrlab.__version__}-")  # the version, written once

    venv = tmp / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60
    )
    python = venv / "bin" / "python"
    installed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            "--quiet",
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    # after the wheel is in: pip saw no bmrlab of this environment while installing it
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, "test-environment.pth").write_text("\n".join(_site_dirs()) + "\n")
    return venv


def test_the_installed_bmrlab_is_the_wheel_with_its_configuration(venv, tmp_path):
    shown = _run(
        venv / "bin" / "python",
        "-c",
        "import json, bmrlab, bmrlab.paths as p; print(json.dumps({"
        "'package': bmrlab.__file__, 'devices': p.shipped_names(p.DEVICE_LIBRARY), "
        "'stations': p.shipped_names(p.STATIONS), 'recipes': p.shipped_names(p.RECIPES), "
        "'default': str(p.DEFAULT_STATION), 'is_file': p.DEFAULT_STATION.is_file()}))",
        cwd=tmp_path,
        venv=venv,
    )
    assert shown.returncode == 0, shown.stderr
    found = json.loads(shown.stdout)
    assert Path(found["package"]).is_relative_to(venv)
    assert Path(found["default"]).is_relative_to(venv) and found["is_file"]
    shipped = CHECKOUT / "bmrlab" / "config_files"
    for kind in ("devices", "stations", "recipes"):  # every shipped file is package data
        assert found[kind] == sorted(p.stem for p in (shipped / kind).glob("*.yaml")), kind


def test_characterize_runs_from_any_directory(venv, tmp_path):
    settings = [f"--set={name}={value}" for name, value in SHORT.items()]
    done = _run(
        venv / "bin" / "bmrlab",
        "characterize",
        "--out",
        "out",
        "--sample",
        "wheel",
        *settings,
        cwd=tmp_path,
        venv=venv,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ag-pnw-ag" in done.stdout  # the Table 1 row of the default device
    with h5py.File(tmp_path / "out" / "wheel.h5", "r") as stored:
        runs = stored["wheel"]["ag-pnw-ag"]  # the shipped library's default device
        assert sorted(str(runs[name].attrs["protocol"]) for name in runs) == sorted(ORDER)
        assert {str(runs[name].attrs["status"]) for name in runs} == {"finished"}
        station_file = json.loads(runs[next(iter(runs))].attrs["station"])["file"]
    assert Path(station_file).is_relative_to(venv)  # the station shipped in the wheel


def test_shipped_files_are_named_by_name_from_any_directory(venv, tmp_path):
    done = _run(
        venv / "bin" / "bmrlab",
        "run",
        "iv-sweep",
        "--station",
        "sim-2636b",
        "--set",
        "cycles=2",
        "--out",
        "runs.h5",
        cwd=tmp_path,
        venv=venv,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    with h5py.File(tmp_path / "runs.h5", "r") as stored:
        [run] = stored["sample"]["ag-pnw-ag"].values()
        station_file = Path(json.loads(run.attrs["station"])["file"])
    assert station_file.is_relative_to(venv) and station_file.name == "sim-2636b.yaml"
    refused = _run(venv / "bin" / "bmrlab", "recipe", "no-such-recipe", cwd=tmp_path, venv=venv)
    assert refused.returncode == 2
    assert "array-3x3" in refused.stderr  # the shipped examples are listed
