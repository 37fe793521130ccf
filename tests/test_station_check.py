"""`bmrlab station check` end to end on the simulated stations, with the reference devices."""

import json

import pytest

from bmrlab import station_check
from bmrlab.cli import main
from bmrlab.errors import BadInput
from bmrlab.instruments import registry
from bmrlab.instruments.smu import Smu
from bmrlab.paths import CONFIG_DIR
from bmrlab.sim.reference import ReferenceDevice, reference_conductance
from bmrlab.station import Station

STATIONS = [
    CONFIG_DIR / "stations" / f"{name}.yaml" for name in ("sim-2450", "sim-2636b", "sim-2400")
]


def check(capsys, tmp_path, *argv) -> tuple[int, dict]:
    status = main(["station", "check", "--out", str(tmp_path), "--json", *argv])
    report = json.loads(capsys.readouterr().out)
    assert json.loads(open(report["file"]).read())["checks"] == report["checks"]
    return status, report


def results(report) -> dict:
    return {f"{row['instrument']}: {row['check']}": row["result"] for row in report["checks"]}


@pytest.mark.parametrize("station", STATIONS, ids=lambda p: p.stem)
def test_open_circuit_passes_on_every_simulated_station(station, tmp_path, capsys):
    status, report = check(capsys, tmp_path, "--station", str(station), "--device", "open")
    assert status == 0 and report["passed"]
    found = results(report)
    assert found["smu: identity"] == "pass"
    assert found["smu: error queue before the check"] == "pass"
    offsets = [row for row in report["checks"] if row["check"].startswith("offset at 0 V")]
    model = report["station"]["instruments"]["smu"]["model"]
    ranges = registry.SMUS[model].interface.DATASHEET.protocol_ranges
    assert [row["values"]["range_A"] for row in offsets] == list(ranges)
    assert found["smu: reference resistor"] == "not checked"
    assert found["pulse_generator: level into a high impedance"] == "not checked"
    assert report["station"]["simulation"]["device"] == "open"


@pytest.mark.parametrize("station", STATIONS, ids=lambda p: p.stem)
def test_a_named_reference_resistor_passes(station, tmp_path, capsys):
    status, report = check(
        capsys,
        tmp_path,
        "--station",
        str(station),
        "--device",
        "resistor:1GOhm",
        "--reference",
        "1GOhm",
    )
    assert status == 0, [r for r in report["checks"] if r["result"] == "fail"]
    (reference,) = [r for r in report["checks"] if r["check"].startswith("reference 1 GOhm")]
    assert reference["values"]["resistance_ohm"] == pytest.approx(1e9, rel=0.05)
    assert reference["values"]["volts"] <= 0.5  # limits.max_voltage
    (level,) = [r for r in report["checks"] if r["check"].startswith("level into")]
    assert level["result"] == "pass"
    assert level["values"]["level_V"] == pytest.approx(level["values"]["programmed_V"], rel=0.03)


def test_the_wrong_reference_fails_its_row_and_exits_1(tmp_path, capsys):
    status, report = check(
        capsys,
        tmp_path,
        "--station",
        str(STATIONS[0]),
        "--device",
        "resistor:100MOhm",
        "--reference",
        "1GOhm",
    )
    assert status == 1 and not report["passed"]
    failed = [r for r in report["checks"] if r["result"] == "fail"]
    assert [r["check"] for r in failed] == ["reference 1 GOhm at 500 mV"]
    assert failed[0]["values"]["resistance_ohm"] == pytest.approx(1e8, rel=0.05)


def test_an_error_left_in_the_queue_fails_that_row(tmp_path, capsys):
    station = tmp_path / "station.yaml"
    station.write_text(
        (CONFIG_DIR / "stations" / "sim-2450.yaml")
        .read_text()
        .replace(
            "device: ag-pnw-ag",
            (
                "device: open\n  faults: [{instrument: smu, kind: error, after: 0, "
                "error: '-222,\"Data out of range\"'}]"
            ),
        )
    )
    status, report = check(capsys, tmp_path, "--station", str(station))
    assert status == 1
    failed = [r for r in report["checks"] if r["result"] == "fail"]
    assert [(r["instrument"], r["check"]) for r in failed] == [
        ("smu", "error queue before the check")
    ]
    assert failed[0]["measured"] == '-222 "Data out of range"'


@pytest.mark.parametrize(
    "argv, problem",
    [
        (["--reference", "1GOm"], "--reference 1GOm"),
        (["--reference", "0"], "--reference 0"),
        (["--device", "resistor:-5Ohm"], "resistor:-5Ohm"),
        (["--station", "no-such-station.yaml"], "no-such-station.yaml"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv, problem, tmp_path, capsys):
    out = tmp_path / "reports"
    assert main(["station", "check", "--out", str(out), *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and problem in captured.err
    assert len(captured.err.strip().splitlines()) == 1
    assert not out.exists()  # no report: nothing was measured


def test_an_unwritable_report_directory_is_bad_input(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["station", "check", "--out", str(blocker / "reports")]) == 2
    assert "--out" in capsys.readouterr().err


def _switched_off_at_zero(station) -> None:
    smu = station.sim.by_name("smu")
    assert not smu.output
    _t, on, level = smu.switches[-1]
    assert not on and level == 0.0
    if station.generator is not None:  # OUTPut? (33500B and 33220A user's guides)
        assert station.generator.driver.ask("OUTP?").strip() in ("0", "OFF")


@pytest.mark.parametrize("station_file", STATIONS, ids=lambda p: p.stem)
def test_the_sources_end_off_at_0v_and_the_part_saw_no_more_than_the_limit(station_file):
    with Station.load(station_file, "resistor:1GOhm") as station:
        report = station_check.run(station, 1e9)
        assert report.passed
        _switched_off_at_zero(station)
        assert station.sim.devices["dut"].watchdog.max_abs_v <= 0.5 + 1e-12
        assert station.sim.devices["dut"].watchdog.overshoots == []


def test_ctrl_c_during_a_measurement_leaves_the_sources_off_at_0v():
    with Station.load(STATIONS[0], "resistor:1GOhm") as station:
        wait = station.wait

        def interrupted(seconds, should_stop=lambda: False):
            if station.smu.level != 0:  # inside the trace at the reference voltage
                raise KeyboardInterrupt
            wait(seconds, should_stop)

        station.wait = interrupted
        report = station_check.run(station, 1e9)
        assert not report.passed
        assert report.rows[-1].measured == "stopped on request"
        _switched_off_at_zero(station)


def test_reference_devices():
    assert reference_conductance("open") == 1e-16
    resistor = ReferenceDevice(reference_conductance("resistor:1GOhm"))
    assert resistor.current(0.5) == (pytest.approx(0.5e-9), False)
    assert resistor.current(0.5, i_limit=1e-10) == (1e-10, True)
    resistor.advance(1.0, 0.5, i_limit=1e-10)  # the limited source lets the voltage fall
    assert resistor.watchdog.max_abs_v == pytest.approx(0.1)
    with pytest.raises(BadInput, match="resistor:1GO"):
        reference_conductance("resistor:1GO")


def test_the_next_device_after_a_reference_part_is_the_same_reference():
    with Station.load(device="resistor:1GOhm") as st:
        st.prober.next_device()
        device = st.sim.devices["dut"]
        assert isinstance(device, ReferenceDevice)
        assert device.current(0.5) == (pytest.approx(0.5e-9), False)


def test_a_generator_that_does_not_answer_a_query_fails_that_row_only(
    monkeypatch, tmp_path, capsys
):
    def unanswered(generator):
        raise TimeoutError("no reply to *OPT?")

    monkeypatch.setattr(
        "bmrlab.instruments.pulse_generator.PulseGenerator.instrument_facts", unanswered
    )
    status, report = check(capsys, tmp_path, "--station", str(STATIONS[0]), "--device", "open")
    assert status == 1
    failed = [(r["instrument"], r["check"]) for r in report["checks"] if r["result"] == "fail"]
    assert failed == [("pulse_generator", "instrument facts")]
    assert results(report)["pulse_generator: load setting"] == "not checked"


def test_a_reference_on_an_open_circuit_fails_and_the_generator_is_not_checked(tmp_path, capsys):
    status, report = check(
        capsys, tmp_path, "--station", str(STATIONS[0]), "--device", "open", "--reference", "1GOhm"
    )
    assert status == 1
    found = results(report)
    assert found["smu: reference 1 GOhm at 500 mV"] == "fail"
    assert found["pulse_generator: level into a high impedance"] == "not checked"


def test_a_generator_load_setting_unlike_the_file_fails_its_load_and_level(tmp_path):
    station_file = tmp_path / "station.yaml"
    station_file.write_text(
        (CONFIG_DIR / "stations" / "sim-2450.yaml").read_text().replace("load: INF", 'load: "50"')
    )
    with Station.load(station_file, "resistor:1GOhm") as station:
        station.connect()
        station.generator.driver.write("OUTP:LOAD INF")  # someone at the front panel
        report = station_check.StationCheck(station, 1e9).run()
    failed = {row.check: row for row in report.rows if row.result == "fail"}
    assert set(failed) == {"load setting", "level into a high impedance (500 mV pulse)"}
    level = failed["level into a high impedance (500 mV pulse)"].values["level_V"]
    assert level == pytest.approx(0.25, rel=0.03)  # half: programmed for a doubling load


def test_a_reference_too_large_for_the_instrument_is_not_checked(tmp_path, capsys):
    status, report = check(
        capsys,
        tmp_path,
        "--station",
        str(STATIONS[2]),
        "--device",
        "resistor:100GOhm",
        "--reference",
        "100GOhm",
    )
    assert status == 0  # nothing failed; the reference could not be judged on a 2400
    (reference,) = [r for r in report["checks"] if r["check"] == "reference 100 GOhm"]
    assert reference["result"] == "not checked" and "smaller reference" in reference["source"]


def test_an_instrument_that_does_not_answer_at_connect_fails_the_check(tmp_path, capsys):
    station = tmp_path / "station.yaml"
    station.write_text(
        (CONFIG_DIR / "stations" / "sim-2450.yaml")
        .read_text()
        .replace(
            "device: ag-pnw-ag",
            ("device: open\n  faults: [{instrument: pulse_generator, kind: timeout, after: 1}]"),
        )
        .replace(
            'visa_library: "@bmrsim"\n    load',
            'visa_library: "@bmrsim"\n    timeout_ms: 200\n    load',
        )
    )
    status, report = check(capsys, tmp_path, "--station", str(station))
    assert status == 1
    assert [(r["check"], r["result"]) for r in report["checks"]] == [("connect", "fail")]
    assert report["station"]["instruments"]["smu"]["idn"].startswith("KEITHLEY")


def test_a_generator_error_at_connect_fails_its_queue_row_and_the_check_goes_on(tmp_path, capsys):
    station = tmp_path / "station.yaml"
    station.write_text(
        (CONFIG_DIR / "stations" / "sim-2450.yaml")
        .read_text()
        .replace(
            "device: ag-pnw-ag",
            ("device: open\n  faults: [{instrument: pulse_generator, kind: error, after: 1}]"),
        )
    )
    status, report = check(capsys, tmp_path, "--station", str(station))
    assert status == 1
    failed = [(r["instrument"], r["check"]) for r in report["checks"] if r["result"] == "fail"]
    assert failed == [("pulse_generator", "error queue at connect")]
    assert results(report)["pulse_generator: load setting"] == "pass"


def test_a_source_autodelay_left_on_fails_its_row(monkeypatch, tmp_path, capsys):
    facts = Smu.instrument_facts

    def autodelay(smu):  # as a 2450 answers with :SOUR:VOLT:DEL:AUTO ON
        return {**facts(smu), "source_delay_s": "auto"}

    monkeypatch.setattr(Smu, "instrument_facts", autodelay)
    status, report = check(capsys, tmp_path, "--station", str(STATIONS[0]), "--device", "open")
    assert status == 1
    failed = [(r["check"], r["measured"]) for r in report["checks"] if r["result"] == "fail"]
    assert failed == [("source delay", "auto")]
