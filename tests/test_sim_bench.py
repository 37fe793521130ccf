"""The default simulated bench through real pyvisa: stock pymeasure drivers, generators,
wiring, and the faults a real bench throws."""

import pytest
import pyvisa
from pymeasure.instruments.agilent import Agilent33220A, Agilent33500
from pymeasure.instruments.keithley import Keithley2400

from bmrlab.config import StationConfig
from bmrlab.sim.backend import forget_bench, register_bench
from bmrlab.sim.builder import DEFAULT_STATION, build_bench

K2450, K2400 = "USB0::0x05E6::0x2450::SIM04512345::INSTR", "GPIB0::24::INSTR"
K2636B = "USB0::0x05E6::0x2636::SIM4410001::INSTR"
GEN33500, GEN33220 = "USB0::0x0957::0x2807::SIMMY5310001::INSTR", "GPIB0::10::INSTR"


def open_raw(library, resource):
    rm = pyvisa.ResourceManager(library)
    return rm.open_resource(resource, read_termination="\n", write_termination="\n")


def test_bmrsim_alone_lists_one_instrument_of_each_model():
    rm = pyvisa.ResourceManager("@bmrsim")
    listed = rm.list_resources()
    assert set(listed) == {K2450, K2400, K2636B, GEN33500, GEN33220}
    idns = [rm.open_resource(r, read_termination="\n").query("*IDN?") for r in listed]
    assert any("MODEL 2400" in i for i in idns) and any("33220A" in i for i in idns)


def test_stock_keithley2400_sources_and_reads_a_switching_device(bench):
    b, library = bench
    k = Keithley2400(K2400, visa_library=library)
    k.source_mode = "voltage"
    k.source_voltage_range = 0.2
    k.compliance_current = 1e-6
    k.current_nplc = 1
    k.auto_zero_enabled = False  # with autozero a reading takes three conversions (2400
    k.source_voltage = 0.1  # manual, appendix A): the device switches before the first
    k.enable_source()
    readings = [k.current for _ in range(8)]
    k.disable_source()
    assert abs(readings[0]) < 5e-9  # HRS: only the 1 uA range's offset and noise
    assert readings[-1] == pytest.approx(1e-6, rel=0.1)
    assert b.devices["dut2400"].sets >= 1 and b.devices["dut"].sets == 0  # its own device


def test_the_2400_buffer_holds_a_list_sweep_with_compliance_status(bench):
    _, library = bench
    k = open_raw(library, K2400)
    k.write(":SOUR:VOLT:RANG 0.2;:SENS:CURR:PROT 1e-6;:SOUR:VOLT:MODE LIST")
    k.write(":SOUR:LIST:VOLT " + ",".join(f"{v / 1000:.3f}" for v in range(0, 151, 5)))
    k.write(":TRIG:COUN 31;:SOUR:DEL 0.01;:TRAC:POIN 31;:TRAC:FEED:CONT NEXT;:OUTP ON;:INIT")
    assert k.query("*OPC?") == "1"
    assert k.query(":TRAC:POIN:ACT?") == "31"
    values = [float(x) for x in k.query(":TRAC:DATA?").split(",")]
    status = [int(s) for s in values[4::5]]
    assert values[1] < 5e-9 and values[-4] == pytest.approx(1e-6, rel=0.1)
    assert status[-1] & 8 and not status[0] & 8


def test_stock_33500_and_33220a_drivers_configure_a_pulse(bench):
    _, library = bench
    gen = Agilent33500(GEN33500, visa_library=library)
    gen.shape = "PULS"
    gen.amplitude = 0.1
    gen.offset = 0.05
    gen.pulse_period = 1e-3
    gen.pulse_width = 100e-6
    assert gen.shape == "PULS"
    assert gen.amplitude == pytest.approx(0.1)
    assert gen.pulse_width == pytest.approx(100e-6)
    old = Agilent33220A(GEN33220, visa_library=library)
    old.shape = "PULSE"
    old.amplitude = 0.1
    old.pulse_width = 50e-6
    assert old.pulse_width == pytest.approx(50e-6)


def test_a_50_ohm_setting_doubles_the_pulse_at_a_high_impedance_device(bench):
    b, library = bench
    gen = open_raw(library, GEN33500)
    gen.write(":FUNC PULS;:VOLT:HIGH 0.05;:VOLT:LOW 0;:PULS:PER 1e-3;:FUNC:PULS:WIDT 5e-4")
    gen.write("OUTP ON")
    gen.query("*OPC?")
    b.clock.sleep(0.01)
    b.sync()
    assert b.devices["dut"].watchdog.max_abs_v == pytest.approx(0.1)  # 2 x 50 mV
    gen.write(":OUTP OFF;:OUTP:LOAD INF;:OUTP ON")
    b.clock.sleep(0.01)
    b.sync()
    assert b.devices["dut2400"].watchdog.max_abs_v == 0  # not wired to the generators


def test_a_bus_triggered_burst_drives_the_device_for_its_cycles(bench):
    b, library = bench
    gen = open_raw(library, GEN33500)
    gen.write(":OUTP:LOAD INF;:FUNC PULS;:VOLT:HIGH 0.1;:VOLT:LOW 0;:PULS:PER 2e-3")
    gen.write(":FUNC:PULS:WIDT 1e-3;:BURS:STAT ON;:BURS:MODE TRIG;:BURS:NCYC 80;:TRIG:SOUR BUS")
    gen.write("OUTP ON")
    b.clock.sleep(0.05)
    b.sync()
    assert b.devices["dut"].watchdog.max_abs_v == 0  # armed, waiting for the trigger
    gen.write("*TRG")
    gen.query("*OPC?")  # waits out the 80 pulses
    assert b.devices["dut"].watchdog.max_abs_v == pytest.approx(0.1)
    assert b.devices["dut"].sets >= 1  # 1 ms pulses at 100 mV, 50 % duty, integrate to a set


def test_changing_a_level_with_the_output_on_glitches_the_device(bench):
    b, library = bench
    gen = open_raw(library, GEN33220)
    gen.write(":OUTP:LOAD INF;:FUNC DC;:VOLT:OFFS 0;:OUTP ON")
    assert b.devices["dut"].watchdog.overshoots == []
    gen.write("VOLT:OFFS 0.02")
    assert len(b.devices["dut"].watchdog.overshoots) == 1


def faulty_station(kind, after=2):
    config = DEFAULT_STATION.model_dump()
    config["simulation"]["faults"] = [{"instrument": "smu", "kind": kind, "after": after}]
    bench = build_bench(StationConfig.model_validate(config))
    key = register_bench(bench)
    return bench, key, open_raw(f"{key}@bmrsim", K2450)


@pytest.mark.parametrize(
    "kind, error",
    [
        ("timeout", pyvisa.constants.StatusCode.error_timeout),
        ("disconnect", pyvisa.constants.StatusCode.error_connection_lost),
    ],
)
def test_faults_surface_as_the_real_bus_errors(kind, error):
    _bench, key, k = faulty_station(kind)
    try:
        assert k.query("*IDN?").startswith("KEITHLEY")
        k.write(":SOUR:VOLT 0")
        with pytest.raises(pyvisa.VisaIOError) as failure:
            k.query("*IDN?")
        assert failure.value.error_code == error
    finally:
        forget_bench(key)


def test_a_garbled_reply_cannot_be_parsed():
    _bench, key, k = faulty_station("garbled", after=1)
    try:
        k.query("*IDN?")
        with pytest.raises((UnicodeDecodeError, ValueError)):
            float(k.query(":SOUR:VOLT?"))
        assert float(k.query(":SOUR:VOLT?")) == 0.0  # one reply only
    finally:
        forget_bench(key)


def test_an_injected_error_appears_in_the_error_queue():
    _bench, key, k = faulty_station("error", after=1)
    try:
        k.write("*CLS")
        assert k.query(":SYST:ERR?") == '-100,"Command error"'
    finally:
        forget_bench(key)


def test_stuck_compliance_flags_every_reading():
    _bench, key, k = faulty_station("stuck-compliance", after=0)
    try:
        k.write(":SOUR:VOLT:RANG 0.2;:SOUR:VOLT:ILIM 1e-6;:SOUR:VOLT 0.001;:OUTP ON")
        k.query(":READ?")
        assert k.query(":SOUR:VOLT:ILIM:TRIP?") == "1"
    finally:
        forget_bench(key)
