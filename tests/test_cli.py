"""The `bmrlab` command as a user runs it: output, exit status, refusals without traceback."""

import json
import subprocess
import sys

import h5py
import pytest

from bmrlab.cli import main
from bmrlab.procedures import PROTOCOLS
from bmrlab.results import RESULT_SCHEMA_VERSION
from bmrlab.storage import load_run


def bmrlab(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "bmrlab.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def test_run_json_gives_the_table1_keys_of_the_protocol(tmp_path):
    done = bmrlab(
        "run",
        "iv-sweep",
        "--device",
        "ag-pnw-ag",
        "--json",
        "--set",
        "cycles=8",
        "--out",
        str(tmp_path / "a.h5"),
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["device"] == "ag-pnw-ag"
    assert set(report["figures"]) == {"vset_mV", "vreset_mV", "on_off_ratio"}
    assert report["figures"]["vset_mV"] == pytest.approx(60, rel=0.2)
    assert report["results"]["stats"]["vset_mV"]["n"] == 8
    assert (tmp_path / "a.h5").exists()


def test_run_json_carries_what_a_protocol_finds_beyond_table1(tmp_path):
    """paired-pulse has no Table 1 figure: its PPF indices and fit are the result."""
    done = bmrlab(
        "run",
        "paired-pulse",
        "--json",
        "--set",
        "repeats=3",
        "--set",
        "intervals=1ms,5ms,20ms,100ms",
        "--out",
        str(tmp_path / "p.h5"),
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)["results"]
    ppf = results["ppf"]
    assert ppf["interval_ms"] == [1.0, 5.0, 20.0, 100.0]
    assert len(ppf["index"]) == 4 and ppf["index"][0] > 1.1  # facilitation at 1 ms
    assert ppf["n"] == [3] * 4 and len(ppf["index_ci_low"]) == len(ppf["index_ci_high"]) == 4
    assert {"C1", "C1_se", "tau1_ms", "tau1_ms_se"} <= set(ppf["fit"])
    assert PROTOCOLS["paired-pulse"].Result.model_validate(results)  # the whole typed result


def test_run_json_carries_the_whole_result_of_a_protocol_with_a_spread(tmp_path, capsys):
    """neuron: spikes to fire per spacing with the interval of each median."""
    out = tmp_path / "n.h5"
    args = ["run", "neuron", "--json", "--out", str(out)]
    args += ["--set", "spacings=1.5ms,2ms", "--set", "repeats=3", "--set", "max_spikes=40"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["results"] == load_run(out).figures  # what the run stored, whole
    neuron = report["results"]["neuron"]
    assert neuron["n"] == [3, 3] and len(neuron["spikes_to_fire_ci_low"]) == 2
    assert PROTOCOLS["neuron"].Result.model_validate(report["results"])


def test_device_file_gives_the_device_its_conditions_and_published_figures(tmp_path, capsys):
    out = tmp_path / "d.h5"
    assert (
        main(
            [
                "run",
                "iv-sweep",
                "--device-file",
                "ag-bioi-pt",
                "--set",
                "cycles=2",
                "--out",
                str(out),
                "--json",
            ]
        )
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["device"] == "ag-bioi-pt"
    with h5py.File(out, "r") as handle:
        attrs = handle[report["run"]].attrs
        assert json.loads(attrs["published"])["vset_mV"] == 50
        assert json.loads(attrs["conditions"])["volatile"] is False


def test_out_of_limit_voltage_exits_2_with_one_line_and_no_traceback(tmp_path):
    done = bmrlab("run", "iv-sweep", "--set", "v_max=0.8", "--out", str(tmp_path / "x.h5"))
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "v_max" in lines[0] and "0.8 V" in lines[0] and "0.5 V" in lines[0]
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "x.h5").exists()


@pytest.mark.parametrize(
    "args, expected",
    [
        (["run", "nosuch"], "protocol 'nosuch' is not known"),
        (["run", "iv-sweep", "--device", "nosuch"], "--device nosuch"),
        (["run", "iv-sweep", "--set", "compliance=0"], "compliance"),
        (["run", "iv-sweep", "--set", "v_max=nan"], "v_max"),
        (["run", "iv-sweep", "--set", "v_max=5mA"], "v_max"),
        (["run", "iv-sweep", "--set", "cycles"], "NAME=VALUE"),
        (["run", "iv-sweep", "--station", "missing.yaml"], "missing.yaml"),
        (["run", "iv-sweep", "--device-file", "missing.yaml"], "missing.yaml"),
        (["characterize", "--device-file", "missing.yaml"], "missing.yaml"),
    ],
)
def test_bad_input_is_refused_with_exit_2(args, expected, capsys, tmp_path):
    assert main([*args, "--out", str(tmp_path / "r.h5")]) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert not (tmp_path / "r.h5").exists()


def test_station_file_problems_are_reported_by_their_yaml_path(tmp_path, capsys):
    station = tmp_path / "bad.yaml"
    station.write_text(
        "limits: {max_voltage: -1, max_stepp: 1}\n"
        "instruments: {smu: {model: keithley9999, resource: ''}}\n"
    )
    assert main(["run", "iv-sweep", "--station", str(station)]) == 2
    err = capsys.readouterr().err
    for where in (
        "limits.max_voltage",
        "limits.max_stepp",
        "instruments.smu.model",
        "instruments.smu.resource",
    ):
        assert where in err


def test_devices_and_protocols_list_the_registry(capsys):
    assert main(["devices", "--json"]) == 0
    devices = json.loads(capsys.readouterr().out)
    assert devices["ag-pnw-ag"]["published"]["vset_mV"] == 60
    assert devices["ag-pnw-ag"]["conditions"]["retention_pulse_ms"] == 20
    assert devices["ag-bioi-pt"]["volatile"] is False
    assert main(["protocols", "--json"]) == 0
    protocols = json.loads(capsys.readouterr().out)
    v_max = protocols["iv-sweep"]["parameters"]["v_max"]
    assert (v_max["units"], v_max["kind"], v_max["maximum"]) == ("V", "quantity", 200.0)


def test_runs_lists_the_file_and_exports_csv(tmp_path, capsys):
    out = tmp_path / "r.h5"
    assert main(["run", "iv-sweep", "--set", "cycles=2", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["runs", str(out)]) == 0
    assert "iv-sweep  finished" in capsys.readouterr().out
    assert main(["runs", str(out), "--csv", str(tmp_path / "r.csv")]) == 0
    header = (tmp_path / "r.csv").read_text().splitlines()[0]
    assert header == "t_s,v_V,v_src_V,i_A,cycle,phase,limit_hit,overflow"


def short_run(out) -> str:
    """A 3-cycle I-V sweep stored in ``out``; its run path."""
    assert main(["run", "iv-sweep", "--set", "cycles=3", "--out", str(out)]) == 0
    return load_run(out).run


def test_analyze_reproduces_the_stored_figures_exactly(tmp_path, capsys):
    out = tmp_path / "a.h5"
    run = short_run(out)
    run_lines = capsys.readouterr().out.splitlines()
    assert main(["analyze", str(out), "--json"]) == 0
    [entry] = json.loads(capsys.readouterr().out)["runs"]
    assert entry["run"] == run and entry["changed"] is False and "stored" not in entry
    stored = load_run(out).figures
    assert entry["figures"] == {k: stored[k] for k in ("vset_mV", "vreset_mV", "on_off_ratio")}
    assert entry["results"] == stored  # the whole typed result
    assert main(["analyze", str(out)]) == 0
    heading, *figure_lines = capsys.readouterr().out.splitlines()
    assert heading.endswith("recomputed, same as the stored figures")
    assert figure_lines == run_lines[3:]  # as `bmrlab run` printed them, after run and file
    assert "Vset" in figure_lines[0] and "n = 3" in figure_lines[0]


def test_analyze_shows_the_stored_figures_where_they_differ(tmp_path, capsys):
    """The figures are recomputed from the data, not read back: a stored figure changed in
    the file (as an older definition would have left it) is reported beside the new one."""
    out = tmp_path / "a.h5"
    run = short_run(out)
    with h5py.File(out, "a") as handle:
        figures = json.loads(handle[run].attrs["figures"])
        measured = figures["vset_mV"]
        figures["vset_mV"] = measured + 5
        handle[run].attrs["figures"] = json.dumps(figures)
    capsys.readouterr()
    assert main(["analyze", str(out), "--run", run.rsplit("/", 1)[1], "--json"]) == 0
    [entry] = json.loads(capsys.readouterr().out)["runs"]
    assert entry["changed"] is True
    assert entry["figures"]["vset_mV"] == measured
    assert entry["stored"]["vset_mV"] == measured + 5
    assert main(["analyze", str(out), "--all"]) == 0
    text = capsys.readouterr().out
    assert "differs from the stored figures" in text
    assert f"vset_mV                  {measured + 5:.1f}   (now {measured:.1f})" in text


def test_analyze_all_skips_runs_that_did_not_finish(tmp_path, capsys):
    out = tmp_path / "a.h5"
    short_run(out)
    run = short_run(out)
    with h5py.File(out, "a") as handle:
        handle[run].attrs["status"] = "aborted"
    capsys.readouterr()
    assert main(["analyze", str(out), "--all", "--json"]) == 0
    first, second = json.loads(capsys.readouterr().out)["runs"]
    assert first["changed"] is False
    assert second["status"] == "aborted" and "not analysed" in second["reason"]


def test_analyze_exits_1_when_a_stored_run_cannot_be_analysed(tmp_path, capsys):
    out = tmp_path / "a.h5"
    run = short_run(out)
    with h5py.File(out, "a") as handle:
        del handle[run]["cycle"]
    capsys.readouterr()
    assert main(["analyze", str(out)]) == 1
    assert f"iv-sweep {run}: analysis failed" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args, expected",
    [
        (["analyze", "missing.h5"], "missing.h5"),
        (["analyze", "{file}", "--run", "nosuch"], "no run 'nosuch'"),
        (["schema", "nosuch"], "protocol 'nosuch' is not known"),
    ],
)
def test_analyze_and_schema_refuse_bad_input_with_exit_2(args, expected, tmp_path, capsys):
    out = tmp_path / "a.h5"
    short_run(out)
    capsys.readouterr()
    assert main([a.format(file=out) for a in args]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and expected in captured.err
    assert len(captured.err.strip().splitlines()) == 1


def test_schema_is_versioned_json_listing_every_protocol(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["result_schema"] == RESULT_SCHEMA_VERSION
    assert set(schema["protocols"]) == set(PROTOCOLS)
    for name, cls in PROTOCOLS.items():
        assert schema["protocols"][name] == cls.Result.model_json_schema()
    iv = schema["protocols"]["iv-sweep"]["properties"]
    assert iv["vset_mV"]["units"] == "mV"
    assert main(["schema", "iv-sweep"]) == 0
    assert list(json.loads(capsys.readouterr().out)["protocols"]) == ["iv-sweep"]


def test_help_does_not_import_qt():
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from bmrlab import cli; "
            "sys.argv=['bmrlab','--help']\ntry: cli.main()\nexcept SystemExit: "
            "pass\nprint('PyQt6' in sys.modules)",
        ],
        capture_output=True,
        text=True,
    )
    assert done.stdout.strip().endswith("False")


def test_the_command_line_imports_no_gui_plotting_simulator_or_benchmarks():
    """Each command imports what it needs when it runs; `bmrlab bench` the benchmarks, a
    run the data, instrument and catalog libraries."""
    heavy = ("PyQt6", "pyqtgraph", "matplotlib", "bmrlab.sim", "bmrlab.benchmarks")
    heavy += ("pandas", "h5py", "pymeasure", "pyvisa", "sqlalchemy", "alembic")
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, bmrlab.cli; print(sorted(m for "
            f"m in sys.modules if m.startswith({heavy!r})))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.strip() == "[]"
