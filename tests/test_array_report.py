"""The wafer report from an HDF5 file written by short runs on the simulated wafer: the
per-device table against the stored results, the yield by criterion, the distributions, the
maps (their cells) and ``bmrlab wafer-report`` with its refusals."""

import math
import shutil
import subprocess
import sys

import h5py
import matplotlib.image
import numpy as np
import pandas as pd
import pytest
import yaml
from matplotlib.collections import PatchCollection
from matplotlib.figure import Figure

from bmrlab.api import run_protocol
from bmrlab.array_report import (
    DEFAULT_CRITERIA,
    Criterion,
    MapLayout,
    device_table,
    distribution_table,
    judge,
    yield_table,
)
from bmrlab.array_report.maps import draw_figure_map, draw_yield_map
from bmrlab.array_report.table import Measured, Run, device_row, nested_figures
from bmrlab.cli import main
from bmrlab.die_address import DieAddress
from bmrlab.errors import BadInput
from bmrlab.procedures.pulse_delay import DelayFit
from bmrlab.procedures.retention import SetProbability
from bmrlab.sim.wafer import load_wafer
from bmrlab.storage import list_runs, load_run

GOOD, SHORTED, OPEN, NEVER_SETS = ["c0r0", "c1r0", "c2r1"], "c5r0", "c0r2", "c3r5"
WAFER_DEVICES = [*GOOD, SHORTED, OPEN, NEVER_SETS]
MATRIX_DEVICES = ["c0r0d1", "c1r1s1d3"]  # a die's devices behind a switch matrix


@pytest.fixture(scope="module")
def wafer_file(tmp_path_factory):
    """Sample ``w1``: a quick screen (one I-V cycle), a longer I-V and a pulse-delay run on
    good and defective devices of the demo wafer, and one device (``dut``) that is not a
    wafer address; sample ``chip``: devices named by die, site and matrix device."""
    folder = tmp_path_factory.mktemp("wafer")
    out = folder / "wafer.h5"
    recipe = {
        "name": "short wafer screen",
        "sample": "w1",
        "station": "sim-wafer",
        "prompt": "never",
        "devices": [{"id": device} for device in WAFER_DEVICES],
        "steps": [
            {"protocol": "iv-sweep", "set": {"cycles": 1}},
            {"protocol": "iv-sweep", "set": {"cycles": 3}},
            {"protocol": "pulse-delay", "set": {"pulses": 3, "amplitudes": [0.1]}},
        ],
    }
    path = folder / "screen.yaml"
    path.write_text(yaml.safe_dump(recipe))
    assert main(["recipe", str(path), "--out", str(out)]) == 0
    run_protocol("iv-sweep", out=out, sample="w1", device_id="dut", cycles=2)
    for device in MATRIX_DEVICES:
        run_protocol("iv-sweep", out=out, sample="chip", device_id=device, cycles=1)
    return out


def stored(path, sample: str) -> dict[str, list]:
    """Every run of a sample read back with the storage reader, by device."""
    runs: dict[str, list] = {}
    for name in list_runs(path)["run"]:
        _, run_sample, device, _ = name.split("/")
        if run_sample == sample:
            runs.setdefault(device, []).append(load_run(path, name))
    return runs


def test_the_table_has_a_row_per_device_with_its_position_and_the_stored_figures(wafer_file):
    table = device_table(wafer_file, "w1")
    runs = stored(wafer_file, "w1")
    assert sorted(table["device_id"]) == sorted(runs) == sorted([*WAFER_DEVICES, "dut"])
    for row in table.itertuples():
        address = DieAddress.parse(row.device_id)
        position = (row.column, row.row, row.site, row.device)
        if address is None:
            assert all(pd.isna(v) for v in position)
        else:
            assert position == (address.column, address.row, address.site, address.device)
        assert row.runs == len(runs[row.device_id])
        assert row.status == "finished"
    for device in WAFER_DEVICES:
        row = table.set_index("device_id").loc[device]
        iv = [r for r in runs[device] if r.protocol == "iv-sweep"]
        longer = max(iv, key=lambda r: r.parameters["cycles"])  # the screen's 1 cycle loses
        spread = longer.figures["stats"]["vset_mV"]
        assert row["vset_mV_run"] == longer.run
        assert row["vset_mV_n"] == spread["n"]
        for part, key in (("vset_mV", "median"), ("vset_mV_ci_low", "ci_low")):
            expected = spread[key]
            assert (math.isnan(row[part]) and expected is None) or row[part] == expected
        delay = next(r for r in runs[device] if r.protocol == "pulse-delay")
        expected = delay.figures["delay_ms"]
        assert row["delay_ms_run"] == delay.run
        assert (math.isnan(row["delay_ms"]) and expected is None) or row["delay_ms"] == expected
        assert row["set_energy_pJ_run"] == delay.run  # figures beyond Table 1 are there too
    assert table.attrs["figures"]["vset_mV"] == "mV"
    assert "delay_at_mV" not in table.attrs["figures"]  # a test condition, not a figure
    # a device that never set is tested and has no value, with the analysis's reason
    never = table.set_index("device_id").loc[NEVER_SETS]
    assert math.isnan(never["vset_mV"]) and never["vset_mV_note"]


def test_a_run_that_stored_no_result_leaves_its_figures_missing_with_its_reason():
    runs = [
        Run("/s/c1r2/t1_iv-sweep", "c1r2", "iv-sweep", "failed", "SMU timeout", "t1", {}),
        Run("/s/c1r2/t2_pulse-delay", "c1r2", "pulse-delay", "finished", "", "t2", {}),
    ]
    row, units = device_row("c1r2", runs)
    assert units["vset_mV"] == "mV" and units["delay_ms"] == "ms"
    assert row["status"] == "failed"
    assert row["vset_mV_run"] == "/s/c1r2/t1_iv-sweep" and row["vset_mV"] is None
    assert row["vset_mV_note"] == "iv-sweep failed: SMU timeout"
    assert row["reasons"] == "iv-sweep: SMU timeout"
    assert (row["column"], row["row"]) == (1, 2)


def test_fits_and_records_nested_in_a_result_are_figures_with_their_uncertainty():
    fit = DelayFit(V0_mV=92.0, V0_mV_se=4.0, tau0_s=0.02, tau0_s_se=None, points=5, form="sinh")
    found = nested_figures("delay_fit", fit)
    assert found["delay_fit.V0_mV"] == Measured(92.0, "mV", se=4.0)
    assert found["delay_fit.tau_x_s"].value is None  # not determined: an empty cell
    assert not {"delay_fit.points", "delay_fit.V0_mV_se"} & set(found)  # a count, a part
    record = SetProbability(value=0.6, ci_low=0.2, ci_high=0.9, n=5)
    assert nested_figures("set_probability", record) == {
        "set_probability": Measured(0.6, "", ci_low=0.2, ci_high=0.9, n=5)
    }


def test_a_quick_screen_verdict_stored_by_a_recipe_is_in_the_table(wafer_file, tmp_path):
    copy = tmp_path / "screened.h5"
    shutil.copy(wafer_file, copy)
    with h5py.File(copy, "a") as handle:
        handle["w1/c5r0"].attrs["screen"] = "fail"
        handle["w1/c5r0"].attrs["screen_reason"] = "on_off_ratio = 0.998, not above 10"
    table = device_table(copy, "w1").set_index("device_id")
    assert table.loc["c5r0", "screen"] == "fail"
    assert table.loc["c5r0", "screen_reason"] == "on_off_ratio = 0.998, not above 10"
    assert table.loc["c0r0", "screen"] == ""  # no verdict stored


def test_the_defective_devices_fail_a_criterion_and_the_table_says_why(wafer_file):
    judged = judge(device_table(wafer_file, "w1")).set_index("device_id")
    for device in GOOD:
        assert judged.loc[device, "passed"] == "pass", judged.loc[device, "failed_because"]
    for device in (SHORTED, OPEN):  # current flows (or noise) but the states are not apart
        assert judged.loc[device, "passed"] == "fail"
        assert "on_off_ratio" in judged.loc[device, "failed_because"]
    assert judged.loc[NEVER_SETS, "passed"] == "fail"
    assert "vset_mV not measured: not found" in judged.loc[NEVER_SETS, "failed_because"]
    # the pulse-delay never ran on dut: judged by the sweep's criteria only
    assert pd.isna(judged.loc["dut", "pass_delay_ms_measured"])
    assert judged.loc["dut", "passed"] == "pass"


def test_the_yield_counts_the_devices_that_pass_each_criterion(wafer_file):
    table = device_table(wafer_file, "w1")
    yields = yield_table(judge(table)).set_index("criterion")
    assert list(yields.index) == [c.name for c in DEFAULT_CRITERIA] + ["all"]
    assert yields.loc["vset_mV_below_120", "tested"] == len(table)
    assert yields.loc["vset_mV_below_120", "passed"] == (table["vset_mV"] < 120).sum()
    assert yields.loc["on_off_ratio_above_10", "passed"] == (table["on_off_ratio"] > 10).sum()
    assert yields.loc["delay_ms_measured", "tested"] == len(WAFER_DEVICES)
    assert yields.loc["delay_ms_measured", "passed"] == table["delay_ms"].notna().sum()
    overall = yields.loc["all"]
    assert overall["passed"] == len(GOOD) + 1  # and dut
    assert overall["yield_percent"] == pytest.approx(100 * overall["passed"] / overall["tested"])
    assert overall["ci_low_percent"] < overall["yield_percent"] < overall["ci_high_percent"]


def test_criteria_are_configurable_and_a_figure_nobody_measures_is_refused(wafer_file):
    table = device_table(wafer_file, "w1")
    judged = judge(table, [Criterion(name="fast_set", figure="vset_mV", below=50)])
    assert list(judged["pass_fast_set"]) == list(table["vset_mV"] < 50)
    pass_if = judge(table, {"vset_mV": {"below": 50}})  # a recipe screen's pass_if
    assert list(pass_if["pass_vset_mV_below_50"]) == list(judged["pass_fast_set"])
    never_run = [Criterion(figure="endurance_cycles", above=100)]
    assert judge(table, never_run)["passed"].eq("not judged").all()
    with pytest.raises(BadInput, match="vset_V"):
        judge(table, [Criterion(figure="vset_V", below=0.12)])


def test_the_distributions_give_median_and_spread_over_the_devices(wafer_file):
    table = device_table(wafer_file, "w1")
    rows = distribution_table(table).set_index("figure")
    values = table["vset_mV"].dropna()
    assert rows.loc["vset_mV", "devices"] == len(values)
    assert rows.loc["vset_mV", "median"] == pytest.approx(values.median())
    assert rows.loc["vset_mV", "p5"] == pytest.approx(np.percentile(values, 5))
    assert rows.loc["on_off_ratio", "log_scale"]  # the shorted device's ~1 against ~1e6
    assert "vreset_mV" not in rows.index  # unipolar sweeps: no device has a value


def cells(ax) -> int:
    return sum(len(c.get_paths()) for c in ax.collections if isinstance(c, PatchCollection))


def test_a_map_has_a_cell_per_device_of_the_grid_and_finds_the_device_under_a_click(wafer_file):
    table = judge(device_table(wafer_file, "chip"))
    layout = MapLayout.of(table)
    assert layout == MapLayout(columns=2, rows=2, sites=2, devices=4)
    ax = Figure().subplots()
    draw_yield_map(ax, table, layout)
    assert cells(ax) == 2 * 2 * 2 * 4  # two measured, the rest hatched
    for address in layout.addresses():
        x, y, w, h = layout.cell(address)
        assert layout.address_at(x + w / 2, y + h / 2) == address
    assert layout.address_at(0.01, 0.01) is None  # the gap around a die
    wafer = judge(device_table(wafer_file, "w1"))
    ax = Figure().subplots()
    draw_figure_map(ax, wafer, "vset_mV", MapLayout.of(wafer))
    assert cells(ax) == 6 * 6 + 3  # every die up to c5r5; the 3 failing outlined on top


def test_the_devices_chosen_for_these_tests_are_what_the_demo_wafer_makes_them():
    """The tests' expectations rest on these draws of the wafer file (seed 7)."""
    wafer = load_wafer("demo-10x10")
    kinds = {device: wafer.kind_of(DieAddress.parse(device)) for device in WAFER_DEVICES}
    assert kinds == {
        **dict.fromkeys(GOOD, "good"),
        SHORTED: "shorted",
        OPEN: "open",
        NEVER_SETS: "never_sets",
    }


@pytest.fixture(scope="module")
def report(wafer_file, tmp_path_factory):
    """``bmrlab wafer-report`` on sample w1: the folder and what it printed."""
    out = tmp_path_factory.mktemp("report") / "w1"
    assert main(["wafer-report", str(wafer_file), "--sample", "w1", "--out", str(out)]) == 0
    return out


def test_wafer_report_writes_the_table_yield_distributions_and_maps(wafer_file, report):
    names = {path.name for path in report.iterdir()}
    table = judge(device_table(wafer_file, "w1"))
    parquet = pd.read_parquet(report / "w1_devices.parquet")
    assert list(parquet.columns) == list(table.columns)
    assert parquet["vset_mV"].equals(table["vset_mV"])
    csv = pd.read_csv(report / "w1_devices.csv")
    assert list(csv["passed"]) == list(table["passed"])
    yields = pd.read_csv(report / "w1_yield.csv")
    assert list(yields["passed"]) == list(yield_table(table)["passed"])
    # a figure gets plots where some device has it, unless several all have the same value
    plotted = [f for f in table.attrs["figures"] if table[f].nunique() > 1 or table[f].count() == 1]
    assert {"vset_mV", "on_off_ratio", "delay_ms", "hrs_A"} <= set(plotted)
    expected = {f"w1_map_{f}.png" for f in plotted} | {f"w1_cumulative_{f}.png" for f in plotted}
    expected |= {"w1_map_yield.png", "w1_devices.parquet", "w1_devices.csv", "w1_yield.csv"}
    assert names == expected | {"w1_distributions.csv"}
    for name in names:
        if name.endswith(".png"):
            assert matplotlib.image.imread(report / name).shape[0] > 300


def test_criteria_from_a_file_and_the_yield_printed(wafer_file, tmp_path, capsys):
    criteria = tmp_path / "criteria.yaml"
    criteria.write_text(
        yaml.safe_dump({"criteria": [{"name": "fast", "figure": "vset_mV", "below": 50}]})
    )
    out = tmp_path / "chip"
    argv = ["wafer-report", str(wafer_file), "--sample", "chip", "--out", str(out)]
    assert main([*argv, "--criteria", str(criteria)]) == 0
    printed = capsys.readouterr().out
    assert "fast" in printed and f"files in {out}" in printed
    assert pd.read_csv(out / "chip_yield.csv")["criterion"].tolist() == ["fast", "all"]


@pytest.mark.parametrize(
    "arguments, words",
    [
        (["{missing}"], "no such file"),
        (["{not_hdf5}"], "cannot be read as a bmrlab HDF5 file"),
        (["{file}"], "several samples; choose one of chip, w1"),
        (["{file}", "--sample", "w9"], "--sample w9: not in"),
        (["{file}", "--sample", "w1", "--criteria", "{bad_criteria}"], "below"),
        (["{file}", "--sample", "w1", "--out", "{not_hdf5}"], "exists and is not a folder"),
    ],
)
def test_bad_input_is_refused_in_one_line_before_anything_is_written(
    wafer_file, tmp_path, capsys, arguments, words
):
    (tmp_path / "notes.txt").write_text("not HDF5")
    (tmp_path / "bad.yaml").write_text(
        yaml.safe_dump({"criteria": [{"figure": "vset_mV", "below": "low"}]})
    )
    paths = {
        "missing": tmp_path / "none.h5",
        "not_hdf5": tmp_path / "notes.txt",
        "file": wafer_file,
        "bad_criteria": tmp_path / "bad.yaml",
    }
    before = set(tmp_path.iterdir()) | set(wafer_file.parent.iterdir())
    argv = ["wafer-report", *(a.format(**paths) for a in arguments)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert set(tmp_path.iterdir()) | set(wafer_file.parent.iterdir()) == before


def test_the_yield_interval_is_the_wilson_score_interval():
    """Wilson's formula by hand: 3 of 6 devices pass, 18.8-81.2 %; 0 of 10, 0-27.8 %."""
    from bmrlab.array_report.criteria import wilson

    assert wilson(3, 6) == pytest.approx((18.76, 81.24), abs=0.01)
    low, high = wilson(0, 10)
    assert low == pytest.approx(0, abs=1e-9) and high == pytest.approx(27.75, abs=0.01)
    assert all(math.isnan(v) for v in wilson(0, 0))


def test_judging_a_screen_loads_no_plotting_library():
    """A recipe's screen judges with the report's criteria; matplotlib loads only when a
    map or the report is drawn."""
    probe = "import sys, bmrlab.screen; print('matplotlib' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.stdout.strip() == "False", done.stderr
