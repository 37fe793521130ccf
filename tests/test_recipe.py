"""Recipes: a device array end to end, refusal of malformed recipes, safe interruption and
resume."""

import json
import subprocess
import threading

import pytest
import yaml

from bmrlab.cli import main
from bmrlab.paths import CONFIG_DIR
from bmrlab.recipe import Recipe, execute, finished_keys, plan
from bmrlab.station import Station
from bmrlab.storage import list_runs, load_run


def write(tmp_path, recipe: dict, name="r.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(recipe))
    return path


def test_the_array_example_runs_every_step_on_every_device(tmp_path, capsys):
    out = tmp_path / "run.h5"
    status = main(
        ["recipe", str(CONFIG_DIR / "recipes" / "array-3x3.yaml"), "--out", str(out), "--json"]
    )
    report = json.loads(capsys.readouterr().out)
    assert status == 0
    devices = {r["device"] for r in report["runs"]}
    assert devices == {f"{r}{c}" for r in "ABC" for c in (1, 2, 3)}
    assert {r["status"] for r in report["runs"]} == {"finished"}
    assert len(report["runs"]) == 9 * 4
    for run in report["runs"]:
        if run["protocol"] == "iv-sweep":
            assert run["figures"]["vset_mV"] == pytest.approx(60, rel=0.2)
    assert set(list_runs(out)["status"]) == {"finished"}


def test_other_examples_are_valid_recipes():
    for name in ("delay-sweep.yaml", "paired-pulse-intervals.yaml"):
        from bmrlab.recipe import load_recipe

        recipe = load_recipe(CONFIG_DIR / "recipes" / name)
        runs = plan(recipe, lambda d: Station.load(None, d.preset))
        assert runs


def test_a_malformed_recipe_is_refused_with_every_problem_by_its_yaml_path(tmp_path, capsys):
    bad = write(
        tmp_path,
        {
            "sample": "s",
            "colour": "blue",
            "devices": [{"id": "A1", "preset": "no-such-device"}, {"id": "A2"}],
            "steps": [
                {"protocol": "iv-swep"},
                {"protocol": "iv-sweep", "set": {"v_max": "0.8"}},
                {"protocol": "iv-sweep", "set": {"cycles": "many"}},
                {"protocol": "iv-sweep", "repeat": "twice"},
            ],
        },
    )
    assert main(["recipe", str(bad), "--out", str(tmp_path / "x.h5")]) == 2
    err = capsys.readouterr().err
    assert "colour: Extra inputs are not permitted" in err
    assert "steps[3].repeat" in err
    assert "Traceback" not in err
    assert not (tmp_path / "x.h5").exists()
    fixed = write(
        tmp_path,
        {
            "sample": "s",
            "devices": [{"id": "A1", "preset": "no-such-device"}, {"id": "A2"}],
            "steps": [
                {"protocol": "iv-swep"},
                {"protocol": "iv-sweep", "set": {"v_max": "0.8"}},
                {"protocol": "iv-sweep", "set": {"cycles": "many"}},
            ],
        },
        "fixed.yaml",
    )
    assert main(["recipe", str(fixed), "--out", str(tmp_path / "x.h5")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert any(line.startswith("bmrlab: devices[0]: --device-file no-such-device") for line in err)
    assert any("steps[0]: protocol 'iv-swep' is not known" in line for line in err)
    assert any("steps[1]: v_max = 0.8 V is not allowed" in line for line in err)
    assert any("steps[2]: cycles = many" in line for line in err)
    assert not (tmp_path / "x.h5").exists()


def test_skip_rest_if_and_a_failed_step_end_a_device(tmp_path):
    recipe = Recipe.model_validate(
        {
            "sample": "s",
            "devices": [{"id": "A1"}],
            "steps": [
                {
                    "protocol": "endurance",
                    "set": {"max_cycles": 20},
                    "skip_rest_if": {"figure": "endurance_cycles", "above": 10},
                },
                {"protocol": "iv-sweep", "set": {"cycles": 1}},
            ],
        }
    )
    runs = plan(recipe, lambda d: Station.load(None, d.preset))
    outcomes = execute(recipe, runs, lambda d: Station.load(None, d.preset), tmp_path / "r.h5")
    assert [o.status for o in outcomes] == ["finished", "skipped"]
    assert "skip_rest_if" in outcomes[1].reason


LONG_RECIPE = {
    "sample": "s",
    "prompt": "never",
    "devices": [{"id": "A1"}],
    "steps": [
        {"protocol": "iv-sweep", "set": {"cycles": 2}},
        {"protocol": "read-disturb", "set": {"reads": 60000}},
        {"protocol": "iv-sweep", "set": {"cycles": 1}},
    ],
}


def test_a_stop_during_a_later_step_leaves_0V_and_keeps_the_data_then_resume(tmp_path):
    recipe = Recipe.model_validate(LONG_RECIPE)
    out = tmp_path / "r.h5"
    stations = []

    def station_for(device):
        stations.append(Station.load(None, device.preset))
        return stations[-1]

    stop = threading.Event()

    def on_event(topic, record):
        if topic == "progress" and record > 30 and len(finished_keys(out)) == 1:
            stop.set()  # what the SIGINT handler does

    runs = plan(recipe, station_for)
    outcomes = execute(recipe, runs, station_for, out, stop=stop, on_event=on_event)
    assert [o.status for o in outcomes] == ["finished", "aborted", "skipped"]
    smu = stations[-1].sim.by_name("smu")
    assert not smu.output and smu.level == 0.0 and not smu.switches[-1][1]
    table = list_runs(out)
    assert list(table["status"]) == ["finished", "aborted"]
    assert load_run(out, table["run"][1]).data.shape[0] > 1000  # the reads taken are kept

    done = finished_keys(out)
    outcomes = execute(recipe, plan(recipe, station_for), station_for, out, done=done)
    assert [o.status for o in outcomes] == ["resumed", "finished", "finished"]
    table = list_runs(out)
    assert list(table["status"]) == ["finished", "aborted", "finished", "finished"]
    assert list(table["step"]).count("A1/step0/run0") == 1  # not repeated


def test_sigint_exits_1_and_resume_finishes_without_repeating(tmp_path, interrupted_recipe):
    path = write(tmp_path, LONG_RECIPE)
    out = tmp_path / "r.h5"

    def in_second_run(progress: str) -> bool:
        return progress.startswith("[2/3]") and "%" in progress

    command = interrupted_recipe(path, out, in_second_run, settle_s=0.5)
    assert list(list_runs(out)["status"]) == ["finished", "aborted"]
    done = subprocess.run([*command, "--resume"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    table = list_runs(out)
    assert list(table["status"]) == ["finished", "aborted", "finished", "finished"]
    assert "resumed" in done.stdout
