"""The `bmrlab` command as a user runs it: output, exit status, refusals without traceback."""

import json
import subprocess
import sys

import pytest

from bmrlab.cli import main


def bmrlab(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "bmrlab.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def test_run_json_gives_the_table1_keys_of_the_protocol(tmp_path):
    done = bmrlab("run", "iv-sweep", "--device", "ag-pnw-ag", "--json", "--set", "cycles=8",
                  "--out", str(tmp_path / "a.h5"))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["device"] == "ag-pnw-ag"
    assert set(report["figures"]) == {"vset_mV", "vreset_mV", "on_off_ratio"}
    assert report["figures"]["vset_mV"] == pytest.approx(60, rel=0.2)
    assert report["stats"]["vset_mV"]["n"] == 8
    assert (tmp_path / "a.h5").exists()


def test_run_json_carries_what_a_protocol_finds_beyond_table1(tmp_path):
    """paired-pulse has no Table 1 figure: its PPF indices and fit are the result."""
    done = bmrlab("run", "paired-pulse", "--json", "--set", "repeats=3",
                  "--set", "intervals=1ms,5ms,20ms,100ms", "--out", str(tmp_path / "p.h5"))
    assert done.returncode == 0, done.stderr
    ppf = json.loads(done.stdout)["results"]["ppf"]
    assert ppf["interval_ms"] == [1.0, 5.0, 20.0, 100.0]
    assert len(ppf["index"]) == 4 and ppf["index"][0] > 1.1  # facilitation at 1 ms
    assert {"C1", "tau1_ms"} <= set(ppf["fit"])


def test_out_of_limit_voltage_exits_2_with_one_line_and_no_traceback(tmp_path):
    done = bmrlab("run", "iv-sweep", "--set", "v_max=0.8", "--out", str(tmp_path / "x.h5"))
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "v_max" in lines[0] and "0.8 V" in lines[0] and "0.5 V" in lines[0]
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "x.h5").exists()


@pytest.mark.parametrize("args, expected", [
    (["run", "nosuch"], "protocol 'nosuch' is not known"),
    (["run", "iv-sweep", "--device", "nosuch"], "--device nosuch"),
    (["run", "iv-sweep", "--set", "compliance=0"], "compliance"),
    (["run", "iv-sweep", "--set", "v_max=nan"], "v_max"),
    (["run", "iv-sweep", "--set", "v_max=5mA"], "v_max"),
    (["run", "iv-sweep", "--set", "cycles"], "NAME=VALUE"),
    (["run", "iv-sweep", "--station", "missing.yaml"], "missing.yaml"),
])
def test_bad_input_is_refused_with_exit_2(args, expected, capsys, tmp_path):
    assert main([*args, "--out", str(tmp_path / "r.h5")]) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert not (tmp_path / "r.h5").exists()


def test_station_file_problems_are_reported_by_their_yaml_path(tmp_path, capsys):
    station = tmp_path / "bad.yaml"
    station.write_text("limits: {max_voltage: -1, max_stepp: 1}\n"
                       "instruments: {smu: {model: keithley9999, resource: ''}}\n")
    assert main(["run", "iv-sweep", "--station", str(station)]) == 2
    err = capsys.readouterr().err
    for where in ("limits.max_voltage", "limits.max_stepp", "instruments.smu.model",
                  "instruments.smu.resource"):
        assert where in err


def test_devices_and_protocols_list_the_registry(capsys):
    assert main(["devices", "--json"]) == 0
    devices = json.loads(capsys.readouterr().out)
    assert devices["ag-pnw-ag"]["figures"]["vset_mV"] == 60
    assert devices["ag-bioi-pt"]["volatile"] is False
    assert main(["protocols", "--json"]) == 0
    protocols = json.loads(capsys.readouterr().out)
    assert protocols["iv-sweep"]["parameters"]["v_max"]["units"] == "V"


def test_runs_lists_the_file_and_exports_csv(tmp_path, capsys):
    out = tmp_path / "r.h5"
    assert main(["run", "iv-sweep", "--set", "cycles=2", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["runs", str(out)]) == 0
    assert "iv-sweep  finished" in capsys.readouterr().out
    assert main(["runs", str(out), "--csv", str(tmp_path / "r.csv")]) == 0
    header = (tmp_path / "r.csv").read_text().splitlines()[0]
    assert header == "t_s,v_V,v_src_V,i_A,cycle,phase,limit_hit,overflow"


def test_help_does_not_import_qt():
    done = subprocess.run([sys.executable, "-c", "import sys; from bmrlab import cli; "
                           "sys.argv=['bmrlab','--help']\ntry: cli.main()\nexcept SystemExit: "
                           "pass\nprint('PyQt6' in sys.modules)"],
                          capture_output=True, text=True)
    assert done.stdout.strip().endswith("False")


def test_the_command_line_does_not_import_qt():
    probe = subprocess.run([sys.executable, "-c", "import sys, bmrlab.cli; "
                            "print(sorted(m for m in sys.modules if m.startswith('PyQt')))"],
                           capture_output=True, text=True, check=True)
    assert probe.stdout.strip() == "[]"
