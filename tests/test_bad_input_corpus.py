"""The bad-input corpus: every case is refused with exit 2 and one line per problem naming
it, no traceback, no instrument command and no file written."""

import pytest

from bmrlab.cli import main
from bmrlab.paths import CONFIG_DIR

HARDWARE = str(CONFIG_DIR / "stations" / "k2450-33500b.yaml")
STATION_OK = """name: s
instruments:
  smu: {model: keithley2450, resource: "USB0::1::2::3::INSTR", visa_library: "@bmrsim"}
simulation: {device: ag-pnw-ag}
"""

FILES = {
    "syntax.yaml": "name: [unclosed\n",
    "unknown-key.yaml": STATION_OK + "colour: blue\n",
    "negative-limit.yaml": STATION_OK + "limits: {max_voltage: -1V}\n",
    "nan-limit.yaml": STATION_OK + "limits: {max_voltage: .nan}\n",
    "unknown-model.yaml": STATION_OK.replace("keithley2450", "keithley9999"),
    "no-smu.yaml": STATION_OK.replace("  smu:", "  meter:"),
    "refused.yaml": """name: s
instruments:
  smu: {model: keithley2450, resource: "TCPIP0::127.0.0.1::1::SOCKET", visa_library: "@py"}
""",
    "device-unknown-key.yaml": "name: d\nvolatile: true\npublished: {vset_mV: 60}\nshape: round\n",
    "device-bad-figure.yaml": "name: d\nvolatile: true\npublished: {vset_mV: sixty}\n",
    "device-syntax.yaml": "name: d\npublished: {vset_mV: 60\n",
    "recipe-protocol.yaml": "devices: [{id: A1}]\nsteps: [{protocol: iv-swep}]\n",
    "recipe-limit.yaml": "devices: [{id: A1}]\nsteps: [{protocol: iv-sweep, set: {v_max: 2V}}]\n",
    "recipe-type.yaml": "devices: [{id: A1}]\nsteps: [{protocol: iv-sweep, repeat: twice}]\n",
    "recipe-key.yaml": "devices: [{id: A1}]\nsteps: [{protocol: iv-sweep}]\nwhen: now\n",
    "recipe-device.yaml": "devices: [{id: A1, preset: nosuch}]\nsteps: [{protocol: iv-sweep}]\n",
    "recipe-logspace.yaml": (
        "devices: [{id: A1}]\nsteps: [{protocol: paired-pulse, sweep: "
        "{intervals: {logspace: [0, 1, 3]}}}]\n"
    ),
    "recipe-empty.yaml": "devices: [{id: A1}]\nsteps: []\n",
    "not-hdf5.h5": "this is text\n",
}

CASES = [
    (["run", "iv-sweep", "--set", "v_max=0.8"], "v_max = 0.8 V is not allowed"),
    (["run", "iv-sweep", "--set", "compliance=0"], "compliance"),
    (["run", "iv-sweep", "--set", "compliance=-1uA"], "compliance"),
    (["run", "iv-sweep", "--set", "compliance=2mA"], "compliance"),
    (["run", "iv-sweep", "--set", "v_max=nan"], "v_max"),
    (["run", "iv-sweep", "--set", "v_max=inf"], "v_max"),
    (["run", "iv-sweep", "--set", "v_max=150mA"], "v_max"),
    (["run", "iv-sweep", "--set", "cycles=abc"], "cycles"),
    (["run", "iv-sweep", "--set", "cycles=2.5"], "cycles"),
    (["run", "iv-sweep", "--set", "cycles=0"], "cycles"),
    (["run", "iv-swep"], "protocol 'iv-swep' is not known"),
    (["run", "iv-sweep", "--set", "colour=red"], "colour: not a parameter"),
    (["run", "iv-sweep", "--set", "noequals"], "expected NAME=VALUE"),
    (["run", "iv-sweep", "--set", "dwell=0.1ms"], "dwell"),
    (["run", "iv-sweep", "--set", "v_read=0.3"], "v_read"),
    (["run", "iv-sweep", "--device", "no-such"], "--device no-such"),
    (["run", "iv-sweep", "--station", HARDWARE, "--device", "ag-pnw-ag"], "--device ag-pnw-ag"),
    (["run", "iv-sweep", "--station", "{tmp}/missing.yaml"], "missing.yaml"),
    (["run", "iv-sweep", "--station", "{tmp}/syntax.yaml"], "syntax.yaml"),
    (["run", "iv-sweep", "--station", "{tmp}/unknown-key.yaml"], "colour"),
    (["run", "iv-sweep", "--station", "{tmp}/negative-limit.yaml"], "limits.max_voltage"),
    (["run", "iv-sweep", "--station", "{tmp}/nan-limit.yaml"], "limits.max_voltage"),
    (["run", "iv-sweep", "--station", "{tmp}/unknown-model.yaml"], "instruments.smu.model"),
    (["run", "iv-sweep", "--station", "{tmp}/no-smu.yaml"], "smu"),
    (["run", "iv-sweep", "--station", "{tmp}/refused.yaml"], "instruments.smu.resource"),
    (["run", "iv-sweep", "--out", "/proc/bmrlab/x.h5"], "cannot be written"),
    (["run", "iv-sweep", "--out", "{tmp}/not-hdf5.h5/x.h5"], "cannot be written"),
    (["run", "pulse-delay", "--set", "amplitudes=100mV,x"], "amplitudes"),
    (["run", "pulse-delay", "--set", "delay_at=120mV"], "delay_at = 120 mV"),
    (["run", "pulse-delay", "--set", "amplitudes=100mV,700mV"], "amplitudes = 0.7 V"),
    (["run", "retention", "--set", "read_period=0.5ms"], "read_period"),
    (["run", "retention", "--set", "pulse_width=10us"], "pulse_width"),
    (["run", "paired-pulse", "--set", "source=generator"], "source = generator"),
    (["run", "paired-pulse", "--set", "source=laser"], "source"),
    (["run", "endurance", "--set", "set_v=1V"], "set_v"),
    (["run", "neuron", "--set", "spike_width=10us"], "spike_width"),
    (["run", "forming", "--set", "stop=0.9V"], "stop"),
    (["run", "iv-sweep", "--device", "{tmp}/device-unknown-key.yaml"], "shape"),
    (["run", "iv-sweep", "--device", "{tmp}/device-bad-figure.yaml"], "published.vset_mV"),
    (["run", "iv-sweep", "--device", "{tmp}/device-syntax.yaml"], "device-syntax.yaml"),
    (["characterize", "--set", "endurance.set_v=2V"], "set_v"),
    (["characterize", "--set", "nodot=1"], "PROTOCOL.NAME=VALUE"),
    (["recipe", "{tmp}/recipe-protocol.yaml"], "steps[0]: protocol 'iv-swep'"),
    (["recipe", "{tmp}/recipe-limit.yaml"], "steps[0]: v_max = 2 V"),
    (["recipe", "{tmp}/recipe-type.yaml"], "steps[0].repeat"),
    (["recipe", "{tmp}/recipe-key.yaml"], "when"),
    (["recipe", "{tmp}/recipe-device.yaml"], "devices[0]"),
    (["recipe", "{tmp}/recipe-logspace.yaml"], "logspace"),
    (["recipe", "{tmp}/recipe-empty.yaml"], "steps"),
    (["recipe", "{tmp}/missing-recipe.yaml"], "missing-recipe.yaml"),
    (["runs", "{tmp}/not-hdf5.h5"], "cannot be read"),
    (["sim", "serve", "--port", "70000"], "--port 70000"),
]


@pytest.mark.parametrize("argv, expected", CASES, ids=[" ".join(c[0])[:60] for c in CASES])
def test_bad_input_is_refused_before_any_instrument_command(
    argv, expected, tmp_path, capsys, commands, monkeypatch
):
    for name, text in FILES.items():
        (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)  # default outputs (data/...) land here, if any
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    if argv[0] in ("run", "characterize", "recipe") and "--out" not in argv:
        argv += ["--out", str(tmp_path / ("out" if argv[0] == "characterize" else "out.h5"))]
    status = main(argv)
    err = capsys.readouterr().err
    assert status == 2, err
    lines = err.strip().splitlines()
    assert lines and all(line.startswith("bmrlab: ") for line in lines), err
    assert any(expected in line for line in lines), err
    assert "Traceback" not in err
    assert commands == []  # no simulated instrument received anything
    assert not list(tmp_path.rglob("out*.h5")) and not (tmp_path / "data").exists()


def test_the_corpus_is_large():
    assert len(CASES) >= 40
