"""`characterize` gives every library device its published Table 1 figures back, within the
tolerances of DESIGN.md, from measured arrays only (the slowest tests of the suite: one full
characterization per device)."""

import json
from pathlib import Path

import pytest

from bmrlab.characterize import TABLE1, characterize, table_row
from bmrlab.cli import main
from bmrlab.device import load_device_file, preset_names
from bmrlab.station import Station

USER_DEVICE = Path(__file__).parent / "data" / "user-device.yaml"
RELATIVE = {
    "vset_mV": 0.15,
    "vreset_mV": 0.15,
    "delay_ms": 0.20,
    "retention_ms": 0.25,
    "endurance_cycles": 0.30,
}
ON_OFF_FACTOR = 2.0


def assert_within_tolerance(measured: dict, published: dict):
    misses = []
    for key, tolerance in RELATIVE.items():
        if key in published:
            got = measured[key]
            if got is None or abs(got / published[key] - 1) > tolerance:
                misses.append(f"{key}: {got} vs {published[key]} (+-{tolerance:.0%})")
    if "on_off_ratio" in published:
        ratio = measured["on_off_ratio"] / published["on_off_ratio"]
        if not 1 / ON_OFF_FACTOR <= ratio <= ON_OFF_FACTOR:
            misses.append(
                f"on_off_ratio: {measured['on_off_ratio']:.3g} vs "
                f"{published['on_off_ratio']:.3g} (x2)"
            )
    assert not misses, "; ".join(misses)


@pytest.mark.parametrize("device", [*preset_names(), str(USER_DEVICE)])
def test_characterize_gives_the_published_figures(device, tmp_path):
    with Station.load(device=device) as station:
        result = characterize(station, tmp_path / "c.h5", sample="s", device="d")
    assert [r.status for r in result.results] == ["finished"] * 5, [
        r.reason for r in result.results
    ]
    spec = load_device_file(device)
    assert set(result.figures) == set(TABLE1)
    assert result.figures["volatile"] == spec.volatile
    assert_within_tolerance(result.figures, spec.published_figures())
    for key in ("delay_at_mV", "retention_pulse_mV", "retention_pulse_ms"):
        assert result.figures[key] == pytest.approx(getattr(spec.conditions, key))


def test_characterize_cli_json_table_and_figures(tmp_path, capsys):
    status = main(
        [
            "characterize",
            "--device",
            "ag-bioi-pt",
            "--out",
            str(tmp_path),
            "--json",
            "--set",
            "endurance.max_cycles=100",
            "--set",
            "pulse-delay.pulses=5",
            "--set",
            "retention.window=10s",
        ]
    )
    summary = json.loads(capsys.readouterr().out)
    assert status == 0
    assert set(summary["figures"]) == set(TABLE1)
    assert summary["figures"]["volatile"] is False
    assert summary["retention_censored"] is True  # nonvolatile: the state outlasts 10 s
    names = {Path(f).name.split("_")[-1] for f in summary["files"]}
    assert names == {"iv.png", "vset.png", "delay.png", "retention.png", "endurance.png", "ppf.png"}
    assert (tmp_path / "sample_summary.json").exists()
    assert [r["protocol"] for r in summary["runs"]] == [
        "iv-sweep",
        "pulse-delay",
        "retention",
        "endurance",
        "paired-pulse",
    ]


def test_table_row_reads_like_table_1(tmp_path):
    with Station.load() as station:
        result = characterize(
            station,
            tmp_path / "c.h5",
            sample="s",
            device="ag-pnw-ag",
            overrides={
                "endurance": {"max_cycles": 50},
                "pulse-delay": {"pulses": 3},
                "retention": {"traces": 3},
                "paired-pulse": {"repeats": 1},
            },
        )
    header, _rule, row = table_row(result).splitlines()
    assert header.split(" | ")[0].strip() == "Device" and "Vset (mV)" in header
    assert row.startswith("ag-pnw-ag") and "volatile" in row
    assert ">50" in row  # the window was still open after 50 cycles: censored


def test_characterize_refuses_a_bad_protocol_parameter_before_sending(capsys):
    assert main(["characterize", "--set", "endurance.set_v=2V"]) == 2
    assert "set_v" in capsys.readouterr().err
