"""Wafer recipes: the devices of a wafer map, a quick screen that decides who gets the full
characterization, one station for the whole route, resume at the exact device.

The issue's done-when (400 devices unattended: quick screen of all, SIGINT in the middle,
--resume without repeating a device, yield and figure distributions as the wafer file
implies) runs here with the quick screen and a short second step on all 400 devices; the
full characterization of the passers runs on a few devices (it takes seconds per device:
the 400-device run with the full characterization is bench/wafer_throughput.py, its figures
in docs/performance.md)."""

import json
import math
import subprocess

import h5py
import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from bmrlab.characterize import ORDER
from bmrlab.device_map import Every, WaferSelection, route_addresses
from bmrlab.die_address import DieAddress
from bmrlab.errors import BadInput
from bmrlab.instruments.sentio import SentioRemote
from bmrlab.paths import CONFIG_DIR
from bmrlab.recipe import Recipe, execute, finished_keys, load_recipe, plan
from bmrlab.screen import stored_verdicts
from bmrlab.sim.calibration import Protocols, sweep_vset
from bmrlab.sim.sentio import SimSentioLink
from bmrlab.sim.wafer import load_wafer
from bmrlab.station import Station
from bmrlab.storage import list_runs, load_run

SCREEN = {
    "steps": [{"protocol": "iv-sweep", "set": {"cycles": 1}}],
    "pass_if": [{"figure": "vset_mV", "below": 120}, {"figure": "on_off_ratio", "above": 10}],
}
FAILS_SCREEN = ("shorted", "open", "never_sets")  # sets_once sets once: it passes one cycle


def wafer_station(tmp_path, sites: int):
    """A station stepping over the demo wafer with ``sites`` devices per die (landings of
    the probes, no matrix), and its wafer."""
    spec = yaml.safe_load((CONFIG_DIR / "wafers" / "demo-10x10.yaml").read_text())
    spec["layout"]["sites"] = [
        {"name": f"d{k + 1}", "x_um": 1000 * (k % 2), "y_um": 1000 * (k // 2)} for k in range(sites)
    ]
    wafer = tmp_path / "wafer.yaml"
    wafer.write_text(yaml.safe_dump(spec))
    station = yaml.safe_load((CONFIG_DIR / "stations" / "sim-wafer.yaml").read_text())
    station["simulation"]["wafer"] = str(wafer)
    path = tmp_path / "station.yaml"
    path.write_text(yaml.safe_dump(station))
    with Station.load(path) as loaded:
        return path, loaded.sentio_sim.wafer


def test_a_selection_keeps_ids_ranges_and_patterns_in_the_maps_order():
    wafer_map = [DieAddress(c, r, 0, d) for r in range(4) for c in range(5) for d in range(2)]
    assert WaferSelection().select(wafer_map) == wafer_map
    picked = WaferSelection(ids=["c4r3d1", "c0r1"]).select(wafer_map)
    assert picked == [DieAddress(0, 1), DieAddress(4, 3, 0, 1)]  # the route's order
    ranged = WaferSelection(columns=(1, 3), rows=(2, 3), every=Every(columns=2))
    assert {(a.column, a.row) for a in ranged.select(wafer_map)} == {(1, 2), (3, 2), (1, 3), (3, 3)}
    assert all(a.device == 1 for a in WaferSelection(matrix_devices=[1]).select(wafer_map))
    with pytest.raises(BadInput, match=r"wafer.ids: c5r0: not on the station's wafer map"):
        WaferSelection(ids=["c5r0"]).select(wafer_map)
    with pytest.raises(BadInput, match=r"wafer.rows: \[2, 4\] reaches beyond .*\(rows 0 to 3\)"):
        WaferSelection(rows=(2, 4)).select(wafer_map)


def test_a_malformed_wafer_recipe_is_refused_by_its_yaml_path(tmp_path, capsys):
    from bmrlab.cli import main

    recipe = {
        "station": "sim-wafer",
        "wafer": {"ids": ["c1r0", "die7"], "columns": [3, 1]},
        "screen": {**SCREEN, "pass_if": [{"figure": "vset_mv", "below": 120}]},
        "steps": [{"characterize": {"iv-sweep": {"cycles": 2}, "forming": {}}, "repeat": 2}],
    }
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump(recipe))
    assert main(["recipe", str(path), "--out", str(tmp_path / "x.h5")]) == 2
    err = capsys.readouterr().err
    assert "wafer.ids: die7: a device id is c<column>r<row>" in err
    assert "wafer.columns: [3, 1]: give first <= last" in err
    assert "characterize takes its fixed parameters by protocol" in err
    assert "Traceback" not in err
    recipe["wafer"] = {"ids": ["c1r0", "c12r0"]}
    recipe["steps"] = [{"characterize": {"iv-sweep": {"cycles": "many"}}}]
    path.write_text(yaml.safe_dump(recipe))
    assert main(["recipe", str(path), "--out", str(tmp_path / "x.h5")]) == 2
    err = capsys.readouterr().err
    assert "wafer.ids: c12r0: not on the station's wafer map (100 devices: 100 dies" in err
    assert "screen.pass_if[0]: vset_mv is not a figure of the screen's protocols" in err
    assert "steps[0]: cycles = many" in err
    recipe["station"] = None  # the one-device simulated station has no wafer map
    path.write_text(yaml.safe_dump({k: v for k, v in recipe.items() if k != "station"}))
    assert main(["recipe", str(path), "--out", str(tmp_path / "x.h5")]) == 2
    assert "has no wafer map (prober: simulated)" in capsys.readouterr().err
    assert not (tmp_path / "x.h5").exists()


def test_the_route_read_from_sentio_is_the_simulated_wafers(tmp_path):
    path, wafer = wafer_station(tmp_path, sites=2)
    with Station.load(path) as station:
        remote = SentioRemote(SimSentioLink(station.sentio_sim))
        assert route_addresses(remote) == wafer.addresses()
        assert route_addresses(remote, 3)[:4] == [
            DieAddress(0, 0, 0, 0),
            DieAddress(0, 0, 0, 1),
            DieAddress(0, 0, 0, 2),
            DieAddress(0, 0, 1, 0),
        ]
        assert station.sentio_sim.moves == 0  # map queries only: the chuck did not move


def test_passers_get_the_full_characterization_on_one_station_and_resume_adapts(tmp_path):
    """c1r0 good, c5r0 shorted, c3r5 never sets (tests/test_wafer.py): the good one is
    characterized, its five runs adapted as bmrlab characterize adapts them; a stop after
    its pulse-delay run, then resume: the retention pulse follows from the stored one."""
    recipe = Recipe.model_validate(
        {
            "sample": "w",
            "wafer": {"ids": ["c1r0", "c5r0", "c3r5"]},
            "screen": SCREEN,
            "steps": [
                {
                    "characterize": {
                        "iv-sweep": {"cycles": 3},
                        "pulse-delay": {"pulses": 3, "timeout": "200ms"},
                        "retention": {"traces": 3},
                        "endurance": {"max_cycles": 20},
                        "paired-pulse": {"repeats": 1, "intervals": ["1ms", "10ms"]},
                    }
                }
            ],
        }
    )
    loaded = []

    def station_for(device):
        loaded.append(device.id)
        return Station.load("sim-wafer")

    out = tmp_path / "w.h5"
    runs = plan(recipe, station_for)
    assert [r.key for r in runs[:2]] == ["c1r0/screen0/run0", "c1r0/step0/run0"]
    import threading

    stop = threading.Event()

    def on_run(k, planned):
        if planned.protocol == "retention":
            stop.set()  # the retention run starts stopped: it is aborted at once

    first = execute(recipe, runs, station_for, out, stop=stop, on_run=on_run)
    assert [o.status for o in first[:4]] == ["finished", "finished", "finished", "aborted"]
    assert loaded == ["wafer", "wafer"]  # one station to plan, one for the whole route
    outcomes = execute(recipe, runs, station_for, out, done=finished_keys(out))
    statuses = {o.planned.key: o.status for o in outcomes}
    assert [statuses[f"c1r0/step0/run{k}"] for k in range(5)] == ["resumed"] * 2 + ["finished"] * 3
    for bad in ("c5r0", "c3r5"):
        assert statuses[f"{bad}/screen0/run0"] == "finished"
        assert {statuses[f"{bad}/step0/run{k}"] for k in range(5)} == {"skipped"}
    table = list_runs(out)
    finished = table[table["status"] == "finished"]
    assert finished["step"].is_unique
    assert list(finished.loc[finished["step"].str.startswith("c1r0/step0"), "protocol"]) == list(
        ORDER
    )
    # adapted as characterize does: delays at multiples of the measured Vset, the retention
    # pulse the Table 1 one (its median delay there is shorter than its width)
    runs_of = dict(zip(finished["step"], finished["run"], strict=True))
    vset = load_run(out, runs_of["c1r0/step0/run0"]).figures["vset_mV"]
    amplitudes = load_run(out, runs_of["c1r0/step0/run1"]).parameters["amplitudes"]
    assert any(abs(a - 2 * vset * 1e-3) < 1e-4 for a in amplitudes)
    delay = load_run(out, runs_of["c1r0/step0/run1"]).figures
    retention = load_run(out, runs_of["c1r0/step0/run2"]).parameters
    median_at_100mv = delay["stats"]["delay_by_mV"]["100"]["median"]
    assert median_at_100mv < 20 and retention["pulse_v"] == pytest.approx(0.1)
    with h5py.File(out, "r") as handle:
        verdicts = {
            d: (g.attrs["screen"], g.attrs["screen_reason"]) for d, g in handle["w"].items()
        }
    assert verdicts["c1r0"] == ("pass", "")
    assert verdicts["c5r0"][0] == "fail" and "on_off_ratio" in verdicts["c5r0"][1]
    # never sets: no On/Off window (the I-V analysis may still mark a noise step as a set)
    assert verdicts["c3r5"][0] == "fail" and "on_off_ratio" in verdicts["c3r5"][1]


def test_a_die_whose_devices_failed_the_screen_is_skipped(tmp_path):
    station, wafer = wafer_station(tmp_path, sites=2)
    assert wafer.kind_of(DieAddress(5, 0)) == "shorted"  # site 0 as on the one-site wafer
    recipe = Recipe.model_validate(
        {
            "wafer": {"ids": ["c5r0", "c5r0s1", "c1r0"]},
            "screen": {**SCREEN, "skip_die_after": 1},
            "steps": [{"protocol": "iv-sweep", "set": {"cycles": 1}}],
        }
    )
    runs = plan(recipe, lambda device: Station.load(station))
    outcomes = execute(recipe, runs, lambda device: Station.load(station), tmp_path / "d.h5")
    status = {o.planned.key: (o.status, o.reason) for o in outcomes}
    assert status["c5r0/screen0/run0"][0] == "finished"
    assert status["c5r0s1/screen0/run0"] == (
        "skipped",
        "die c5r0: 1 of its devices failed the screen",
    )
    assert status["c1r0/step0/run0"][0] == "finished"


def test_400_devices_unattended_sigint_resume_and_yield_as_the_wafer_file_implies(
    tmp_path, interrupted_recipe
):
    """The quick screen of all 400 devices of the matrix wafer and a short I-V step on the
    passers, through the command line: SIGINT in the middle, --resume completes without
    repeating a device; the verdicts are those of the devices the file draws, the yield the
    one its defect fractions imply, the distributions of Vset and of the LRS those its
    variability implies (the HRS, read near the noise, ranks with it); the per-device table
    and the maps are written beside the file."""
    wafer = load_wafer("demo-10x10-matrix")  # 10 x 10 dies, a 707B selecting 4 devices at each
    recipe = {
        "sample": "w400",
        "station": "sim-wafer-matrix",
        "wafer": {},
        "screen": SCREEN,
        "steps": [{"protocol": "iv-sweep", "set": {"cycles": 1}}],
    }
    path = tmp_path / "w400.yaml"
    path.write_text(yaml.safe_dump(recipe))
    out = tmp_path / "w400.h5"

    def past_device_150(progress: str) -> bool:  # "[301/...": about device 150
        return progress.startswith("[") and int(progress[1:].split("/")[0]) > 300

    command = interrupted_recipe(path, out, past_device_150)
    interrupted = list_runs(out)
    assert 100 < interrupted["step"].str.split("/").str[0].nunique() < 400
    done = subprocess.run([*command, "--resume"], capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr

    table = list_runs(out)
    finished = table[table["status"] == "finished"]
    assert finished["step"].is_unique  # nothing finished twice
    assert set(table["status"]) <= {"finished", "aborted"}
    assert (table["status"] == "aborted").sum() <= 1  # the run SIGINT stopped, run again
    addresses = wafer.addresses()
    screened = finished[finished["step"].str.endswith("/screen0/run0")]
    assert sorted(screened["step"].str.split("/").str[0]) == sorted(map(str, addresses))

    verdict = stored_verdicts(out, "w400")
    with h5py.File(out, "r") as handle:
        figures = {
            run.split("/")[2]: json.loads(handle[run].attrs["figures"]) for run in screened["run"]
        }
    kinds = {str(a): wafer.kind_of(a) for a in addresses}
    # each device as the file draws it: the defects that cannot set fail; the others pass,
    # unless the device-to-device spread of their set kinetics put their Vset at 120 mV
    assert all(verdict[d][0] == "fail" for d in kinds if kinds[d] in FAILS_SCREEN)
    can_set = [d for d in kinds if kinds[d] not in FAILS_SCREEN]
    too_high = [d for d in can_set if verdict[d][0] == "fail"]
    assert all(verdict[d][1].startswith("vset_mV ") for d in too_high)
    assert all(figures[d]["vset_mV"] >= 120 for d in too_high)
    assert len(too_high) < 0.05 * len(can_set)
    report = tmp_path / "w400_report"
    table = pd.read_csv(report / "w400_devices.csv", keep_default_na=False)
    assert dict(zip(table["device_id"], table["screen"], strict=True)) == {
        d: v for d, (v, _) in verdict.items()
    }
    assert (report / "w400_map_yield.png").stat().st_size > 0
    assert (report / "w400_map_vset_mV.png").stat().st_size > 0
    characterized = finished[finished["step"].str.endswith("/step0/run0")]
    assert set(characterized["step"].str.split("/").str[0]) == {
        d for d, (v, _) in verdict.items() if v == "pass"
    }
    # the devices that fail for a defect: within their sampling error of the file's fractions
    defects = wafer.spec.defects
    expected = sum(getattr(defects, k) for k in FAILS_SCREEN)
    n = len(addresses)
    failed = sum(v == "fail" for v, _ in verdict.values()) - len(too_high)
    assert abs(failed / n - expected) < 3 * math.sqrt(expected * (1 - expected) / n)
    # each figure's distribution over the good devices is the one the file implies
    good = [d for d in kinds if kinds[d] == "good"]
    drawn = {d: wafer.params_of(DieAddress.parse(d)) for d in good}
    # Vset: the file's spread of tau0 and the model's own draw of tau0 at each set event,
    # replayed on the bare model for each device (ten draws each) against the measured
    vsets = [figures[d]["vset_mV"] for d in good]
    assert None not in vsets
    expected_vsets = expected_vset_mV(wafer, [drawn[d] for d in good], draws=10)
    assert stats.ks_2samp(vsets, expected_vsets).pvalue > 1e-3
    standard_error = 1.25 * np.std(expected_vsets) / math.sqrt(len(vsets))  # of a median
    assert abs(np.median(vsets) - np.median(expected_vsets)) < 3 * standard_error + 0.5  # step
    # the LRS read: the spread of G_on (sigma of its log) within its sampling error
    lrs = np.log([figures[d]["stats"]["lrs_A"]["median"] for d in good])
    sigma = wafer.spec.variability["G_on"]
    assert abs(np.std(lrs, ddof=1) - sigma) < 3 * sigma / math.sqrt(2 * (len(lrs) - 1))
    # the HRS read sits near the 2450's noise at 20 mV (sub-pA): it still ranks with G_off
    pairs = [(figures[d]["stats"]["hrs_A"]["median"], drawn[d].G_off) for d in good]
    assert stats.spearmanr(pairs).statistic > 0.5


def expected_vset_mV(wafer, devices: list, draws: int) -> np.ndarray:
    """The one-cycle Vset of each device as the bare model gives it, with the per-event
    draw of tau0 the simulator makes (``draws`` of each device)."""
    cycle = Protocols(wafer.nominal.conditions()).iv
    rng = np.random.default_rng(1)
    values = [
        sweep_vset(p.model_copy(update={"tau0": p.tau0 * math.exp(p.sigma_tau0 * z)}), cycle)
        for p in devices
        for z in rng.standard_normal(draws)
    ]
    return 1e3 * np.array(values, dtype=float)


def test_the_shipped_wafer_screen_recipe_plans_every_device_of_the_demo_wafer():
    recipe = load_recipe("wafer-screen")
    runs = plan(recipe, lambda device: Station.load(recipe.station))
    assert len({r.device.id for r in runs}) == 100
    assert len(runs) == 100 * (1 + len(ORDER))
