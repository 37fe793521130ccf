"""`bmrlab sim serve` reached by a raw pyvisa-py SOCKET client, as any VISA user would."""

import subprocess
import sys

import pytest
import pyvisa


@pytest.fixture
def served():
    process = subprocess.Popen(
        [sys.executable, "-m", "bmrlab.cli", "sim", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = [process.stdout.readline() for _ in range(5)]
    yield {line.split("(")[1].rstrip(")\n"): line.split()[0] for line in lines}
    process.terminate()
    process.wait(timeout=30)


def test_a_socket_client_reads_idn_and_a_current(served):
    assert set(served) == {"smu", "smu2400", "smu2636b", "pulse_generator", "generator33220a"}
    assert all(
        r.startswith("TCPIP0::127.0.0.1::") and r.endswith("::SOCKET") for r in served.values()
    )
    rm = pyvisa.ResourceManager("@py")
    smu = rm.open_resource(
        served["smu"], read_termination="\n", write_termination="\n", timeout=10_000
    )
    assert smu.query("*IDN?").startswith("KEITHLEY INSTRUMENTS,MODEL 2450")
    smu.write(":SOUR:VOLT:RANG 0.2;:SOUR:VOLT:ILIM 1e-6;:SENS:AZER:ONCE;:SENS:CURR:NPLC 0.1")
    smu.write(":SOUR:VOLT 0.01;:OUTP ON")
    current = float(smu.query(":READ?"))
    smu.write(":OUTP OFF")
    assert 0 < abs(current) < 1e-9  # 10 mV on the high-resistance state: pA
    assert smu.query(":SYST:ERR?") == '0,"No error"'
    smu.close()


def test_a_station_file_naming_the_served_socket_runs_a_protocol(served, tmp_path):
    """A station on raw LAN sockets (as a 2450 on port 5025 is): bmrlab sets the line-feed
    termination a raw socket needs, so *IDN? and a run do not wait for the time-out."""
    from bmrlab import runner
    from bmrlab.station import Station

    path = tmp_path / "lan.yaml"
    path.write_text(
        "name: lan\nclock: realtime\ninstruments:\n"
        f"  smu: {{model: keithley2450, resource: '{served['smu']}', timeout_ms: 5000}}\n"
    )
    with Station.load(path) as station:
        procedure = runner.prepare(station, "iv-sweep", {"cycles": 1, "rest": 0.0})
        result = runner.run(station, procedure, tmp_path / "lan.h5", sample="s", device="d")
        assert station.identities["smu"].startswith("KEITHLEY INSTRUMENTS,MODEL 2450")
    assert result.status == "finished", result.reason
