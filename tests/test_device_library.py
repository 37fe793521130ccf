"""The device library: every device, calibrated from its figures, gives them back."""

import pytest
import yaml

from bmrlab import runner
from bmrlab.benchmarks.figure_space import seeded_station
from bmrlab.characterize import characterize
from bmrlab.device import preset_names
from bmrlab.errors import BadInput
from bmrlab.sim.calibration import model_figures
from bmrlab.sim.library import load_device
from bmrlab.station import Station

LIBRARY = [
    "ag-pnw-ag",
    "ag-pnw-pt",
    "ag-pnw-pd",
    "cu-rdnaj-pt",
    "ag-cspbi3-ag",
    "ag-bioi-pt",
    "ag-tioxfy-pt",
    "ag-ag2s-gap-pt",
]
TOLERANCE = {
    "vset_mV": 0.15,
    "vreset_mV": 0.15,
    "delay_ms": 0.20,
    "retention_ms": 0.25,
    "endurance_cycles": 0.30,
}


def within(key, got, want):
    if key == "on_off_ratio":
        return want / 2 <= got <= want * 2
    return abs(got - want) <= TOLERANCE[key] * want


def check(figures, published):
    for key, want in published.items():
        if key in TOLERANCE or key == "on_off_ratio":
            assert figures[key] is not None, key
            assert within(key, figures[key], want), (key, figures[key], want)


def test_the_library_holds_the_devices_of_the_issue():
    assert set(LIBRARY) <= set(preset_names())


@pytest.mark.parametrize("preset", LIBRARY)
def test_the_model_gives_the_published_figures_back(preset):
    device = load_device(preset)
    published = device.spec.published_figures()
    figures = model_figures(device.params, device.spec.volatile, device.conditions())
    check(figures, published)


def test_a_users_own_device_with_unusual_figures_is_calibrated_too(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(
        "name: my device\nvolatile: true\n"
        "conditions: {delay_at_mV: 150, retention_pulse_mV: 150,"
        " retention_pulse_ms: 10}\n"
        "published: {vset_mV: 90, on_off_ratio: 3.0e4, delay_ms: 5,"
        " retention_ms: 60, endurance_cycles: 2000}\n"
    )
    device = load_device(str(path))
    figures = model_figures(device.params, True, device.conditions())
    check(figures, device.spec.published_figures())


def test_a_bad_device_file_names_each_problem_by_its_yaml_path(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "name: bad\nvolatile: maybe\npublished: {vset_mV: -5, vset_mv: 3}\n"
        "conditions: {delay_at_mV: 0, retention_pulse: 1}\nmodel: {tau0: fast}\n"
    )
    with pytest.raises(BadInput) as refused:
        load_device(str(path))
    text = "\n".join(refused.value.problems)
    for where in (
        "volatile",
        "published.vset_mV",
        "published.vset_mv",
        "conditions.delay_at_mV",
        "conditions.retention_pulse",
    ):
        assert where in text
    path.write_text("name: bad\nmodel: {tau0: fast, G_of: 1}\n")
    with pytest.raises(BadInput) as refused:
        load_device(str(path))
    assert "model.tau0" in str(refused.value) and "model.G_of" in str(refused.value)


@pytest.mark.parametrize("preset", LIBRARY)
def test_iv_figures_come_back_through_the_simulated_instruments(preset, tmp_path):
    with Station.load(device=preset) as station:
        procedure = runner.prepare(station, "iv-sweep", {"cycles": 10})
        result = runner.run(station, procedure, tmp_path / "r.h5", sample="s", device=preset)
    assert result.status == "finished", result.reason
    published = load_device(preset).spec.published_figures()
    check(
        result.figures,
        {k: v for k, v in published.items() if k in ("vset_mV", "vreset_mV", "on_off_ratio")},
    )


def test_figures_rewritten_in_a_pinned_device_file_change_nothing_measured(tmp_path):
    """Tampering: with every model parameter pinned in ``model:``, rewriting the published
    figures leaves the simulated device as it was, and so every measured figure and
    spread: the analysis sees only measured arrays. The published figures may only plan how
    long characterize measures (endurance's reach, the stimuli a precision may take, how
    long the retention traces are read), so the plan is given here: the same measurements,
    whatever the file says."""
    pinned = load_device("ag-pnw-pt")
    model = pinned.params.model_dump()
    quick = {
        "iv-sweep": {"cycles": 5, "precision": 0},
        "pulse-delay": {"pulses": 5, "precision": 0},
        "retention": {"traces": 5, "precision": 0, "window": 1.0},
        "endurance": {"max_cycles": 200},
        "paired-pulse": {"repeats": 1},
    }
    measured = []
    for k, published in enumerate(
        (
            pinned.spec.published_figures(),
            {"vset_mV": 110, "on_off_ratio": 30, "endurance_cycles": 7, "retention_ms": 900},
        )
    ):
        path = tmp_path / f"pinned{k}.yaml"
        path.write_text(
            yaml.safe_dump(
                {"name": "pinned", "volatile": True, "published": published, "model": model}
            )
        )
        assert load_device(str(path)).params == pinned.params
        with Station.load(device=str(path)) as station:
            result = characterize(
                station, tmp_path / f"c{k}.h5", sample="s", device="d", overrides=quick
            )
        assert [r.status for r in result.results] == ["finished"] * 5
        assert result.published == published
        measured.append((result.figures, result.stats))
    assert measured[0] == measured[1]


def test_iv_figures_are_inside_their_tolerance_for_every_seed(tmp_path):
    """Seed stability, the quick part (bench/seed_stability.py characterizes the whole
    library with five seeds): the I-V figures of ag-pnw-ag for three simulation seeds."""
    published = load_device("ag-pnw-ag").spec.published_figures()
    for seed in (2, 3, 4):
        with seeded_station("ag-pnw-ag", seed) as station:
            procedure = runner.prepare(station, "iv-sweep", {"cycles": 10})
            result = runner.run(station, procedure, tmp_path / "r.h5", sample="s", device="d")
        assert result.status == "finished", result.reason
        check(result.figures, {k: published[k] for k in ("vset_mV", "on_off_ratio")})
