"""The simulated wafer: its file is validated, every device is reproducible from the seed,
the spread and the defect fractions are those the file sets, each defect behaves as named,
and the simulated prober puts the device of each die under the SMU."""

import math

import numpy as np
import pytest
import yaml

from bmrlab.die_address import DieAddress
from bmrlab.errors import BadInput
from bmrlab.paths import CONFIG_DIR
from bmrlab.recipe import Recipe, execute, plan
from bmrlab.sim.library import load_device
from bmrlab.sim.wafer import SimWafer, WaferFile, load_wafer
from bmrlab.station import Station
from bmrlab.storage import list_runs, load_run
from bmrlab.validation import validate

DEMO = yaml.safe_load((CONFIG_DIR / "wafers" / "demo-10x10.yaml").read_text())


def wafer(**changes) -> SimWafer:
    spec = validate(WaferFile, {**DEMO, **changes}, "w.yaml")
    return SimWafer(spec, load_device(spec.device), spec.device)


def test_a_wafer_file_is_refused_with_every_problem_by_its_path(tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                **DEMO,
                "variability": {"tau0": 0.3, "Vset": 0.1, "sigma_tau0": 0.1},
                "defects": {"shorted": 0.6, "open": 0.5},
                "layout": {"columns": 3, "rows": 3, "sites": [{"name": "a", "x_um": 6000}]},
            }
        )
    )
    with pytest.raises(BadInput) as refused:
        load_wafer(str(path))
    problems = refused.value.problems
    assert problems == [
        f"{path}: layout: sites[0]: (6000.0, 0.0) µm lies outside the die "
        "(0 <= x < 5000.0, 0 <= y < 5000.0)",
        f"{path}: variability: Vset, sigma_tau0: not a model parameter that varies from "
        "device to device (allowed: G_off, G_on, tau0, V0, tau_x, k_d0, w_max, w_LTP, "
        "k_LTP, tau0r_w, N_fail, a, L, V0r, tau0r, I_ref, tau_c, kappa)",
        f"{path}: defects: the fractions of shorted, open, never_sets, sets_once add up to "
        "more than 1",
    ]
    with pytest.raises(BadInput, match="not a wafer shipped with bmrlab"):
        load_wafer("no-such-wafer")


def test_every_device_is_the_same_for_the_same_seed_in_any_order():
    first, second = wafer(), wafer()
    addresses = first.addresses()
    forward = [(first.kind_of(a), first.params_of(a)) for a in addresses]
    backward = [(second.kind_of(a), second.params_of(a)) for a in reversed(addresses)]
    assert forward == backward[::-1]
    other = wafer(seed=8)
    assert [other.params_of(a) for a in addresses] != [p for _, p in forward]


def test_spread_and_defect_fractions_are_those_of_the_file():
    sigma = {"tau0": 0.3, "G_off": 0.5}
    fractions = {"shorted": 0.05, "open": 0.03, "never_sets": 0.08, "sets_once": 0.04}
    big = wafer(
        layout={"columns": 50, "rows": 50},
        variability=sigma,
        defects=fractions,
    )
    addresses = big.addresses()
    n = len(addresses)
    kinds = [big.kind_of(a) for a in addresses]
    for defect, p in fractions.items():
        observed = kinds.count(defect) / n
        assert abs(observed - p) < 4 * math.sqrt(p * (1 - p) / n), defect
    nominal = big.nominal.params
    for name, s in sigma.items():
        logs = np.log([getattr(big.params_of(a), name) / getattr(nominal, name) for a in addresses])
        assert abs(logs.mean()) < 4 * s / math.sqrt(n), name
        assert logs.std() == pytest.approx(s, rel=4 / math.sqrt(2 * n)), name
    unvaried = {big.params_of(a).V0 for a in addresses[:50]}
    assert unvaried == {nominal.V0}


def _first(w: SimWafer, kind: str) -> DieAddress:
    return next(a for a in w.addresses() if w.kind_of(a) == kind)


def test_each_defect_behaves_as_named():
    w = wafer(defects={"shorted": 0.2, "open": 0.2, "never_sets": 0.2, "sets_once": 0.2})
    shorted = w.build(_first(w, "shorted"))
    assert shorted.current(0.02)[0] == pytest.approx(0.02 / 1000.0)  # 1 kOhm short
    assert w.build(_first(w, "open")).current(0.02)[0] < 1e-17
    never = w.build(_first(w, "never_sets"))
    assert never.time_to_set(0.5, t_max=100.0) is None
    once = w.build(_first(w, "sets_once"))
    assert once.time_to_set(0.3, t_max=10.0) is not None  # the first set
    once.advance(once.t + 10.0, 0.0)  # volatile: the filament dissolves at rest
    assert not once.bridged
    assert once.time_to_set(0.5, t_max=100.0) is None  # and never again
    good = w.build(_first(w, "good"))
    assert good.time_to_set(0.3, t_max=10.0) is not None
    good.advance(good.t + 10.0, 0.0)
    assert good.time_to_set(0.3, t_max=10.0) is not None


def test_the_simulated_prober_puts_each_die_s_device_under_the_smu():
    with Station.load("sim-wafer") as station:
        w = station.sentio_sim.wafer
        shorted, good = _first(w, "shorted"), _first(w, "good")
        station.connect()
        assert station.snapshot()["prober_idn"].startswith("SENTIO Version: 26.2.0")
        smu = station.smu
        smu.configure(max_abs_v=0.1, compliance=1e-4, nplc=1)

        def current() -> float:
            return float(smu.read(0.02).i[0])

        assert abs(current()) < 1e-9  # probes up: nothing there
        station.prober.next_device(str(shorted))
        assert current() == pytest.approx(0.02 / 1000.0, rel=0.1)
        station.prober.next_device(str(good))
        assert abs(current()) < 1e-9  # a pristine device in its high-resistance state
        station.prober.separate()
        assert abs(current()) < 1e-9
        station.prober.contact()
        assert station.sim.devices["dut"].p == w.params_of(good)
        smu.safe_off()


def test_a_device_reached_again_remembers_what_it_went_through():
    with Station.load("sim-wafer") as station:
        w = station.sentio_sim.wafer
        good = _first(w, "good")
        station.prober.next_device(str(good))
        device = station.sim.devices["dut"]
        device.sets = 500  # as if an endurance run had cycled it
        station.prober.next_device("c9r9")
        assert station.sim.devices["dut"] is not device
        station.prober.next_device(str(good))
        assert station.sim.devices["dut"] is device and device.sets == 500
        station.sim.sync()
        assert device.t == pytest.approx(station.clock.now())  # it rested meanwhile


def test_the_one_device_default_station_is_unchanged():
    with Station.load() as station:
        assert station.prober.kind == "simulated" and station.sentio_sim is None
    with pytest.raises(BadInput, match=r"--device ag-pnw-pd: .* has a simulated wafer"):
        Station.load("sim-wafer", device="ag-pnw-pd")


def test_a_recipe_steps_the_prober_to_each_die_and_stores_each_device_by_its_die(tmp_path):
    recipe = Recipe.model_validate(
        {
            "sample": "wafer7",
            "devices": [{"id": "c1r0"}, {"id": "c5r0"}, {"id": "c3r5"}],  # good, shorted, never
            "steps": [{"protocol": "iv-sweep", "set": {"cycles": 1}}],
        }
    )

    def station_for(device):
        return Station.load("sim-wafer")

    out = tmp_path / "wafer7.h5"
    outcomes = execute(recipe, plan(recipe, station_for), station_for, out)
    assert [o.status for o in outcomes] == ["finished"] * 3
    good, shorted, never = outcomes
    assert 20 < good.figures["vset_mV"] < 120
    assert never.figures["vset_mV"] is None
    runs = list_runs(out)
    assert [r.split("/")[2] for r in runs["run"]] == ["c1r0", "c5r0", "c3r5"]
    data = load_run(out, shorted.run).data
    beyond = data["v_V"] > 0.002  # 1 kOhm reaches the 1 µA limit at 1 mV
    assert data.loc[beyond, "limit_hit"].all() and beyond.any()


MATRIX = yaml.safe_load((CONFIG_DIR / "wafers" / "demo-10x10-matrix.yaml").read_text())


def test_a_matrix_layout_adds_devices_per_landing_and_keeps_each_landing_s_first_device():
    plain, matrix = wafer(), load_wafer("demo-10x10-matrix")
    assert matrix.layout.devices == 4 and len(matrix.addresses()) == 400
    assert matrix.addresses()[:5] == [
        DieAddress(0, 0, 0, 0),
        DieAddress(0, 0, 0, 1),
        DieAddress(0, 0, 0, 2),
        DieAddress(0, 0, 0, 3),
        DieAddress(1, 0, 0, 0),
    ]
    for address in plain.addresses():  # device 0: the same wafer as demo-10x10
        assert matrix.kind_of(address) == plain.kind_of(address)
        assert matrix.params_of(address) == plain.params_of(address)
    others = [a for a in matrix.addresses() if a.device]
    assert len({matrix.params_of(a).tau0 for a in others}) == len(others)
    assert not matrix.contains(DieAddress(0, 0, 0, 4))


def test_the_defect_fractions_hold_for_the_matrix_devices_too():
    fractions = {"shorted": 0.05, "open": 0.05, "never_sets": 0.1, "sets_once": 0.05}
    spec = validate(
        WaferFile,
        {**MATRIX, "layout": {**MATRIX["layout"], "columns": 25, "rows": 25}, "defects": fractions},
        "w.yaml",
    )
    big = SimWafer(spec, load_device(spec.device), spec.device)
    matrix_devices = [a for a in big.addresses() if a.device]
    n = len(matrix_devices)
    kinds = [big.kind_of(a) for a in matrix_devices]
    for defect, p in fractions.items():
        assert abs(kinds.count(defect) / n - p) < 4 * math.sqrt(p * (1 - p) / n), defect


def test_a_matrix_layout_is_refused_with_its_problems(tmp_path):
    path = tmp_path / "w.yaml"
    layout = {
        **MATRIX["layout"],
        "matrix": [{"name": "a", "channel": "1A01"}, {"name": "b", "channel": "1A01"}],
    }
    path.write_text(yaml.safe_dump({**MATRIX, "layout": layout}))
    with pytest.raises(BadInput, match="matrix: each device needs its own channel"):
        load_wafer(str(path))
    layout["matrix"] = [{"name": "a", "channel": "1I01"}]
    path.write_text(yaml.safe_dump({**MATRIX, "layout": layout}))
    with pytest.raises(BadInput, match=r"1I01: not a 707B crosspoint \(slot 1-6, row A-H"):
        load_wafer(str(path))
