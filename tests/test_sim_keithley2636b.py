"""The simulated 2636B: real TSP (Lua) through pyvisa, pymeasure's stock Keithley2600."""

import warnings

import pytest
import pyvisa
from pymeasure.instruments.keithley import Keithley2600

from bmrlab.sim.backend import forget_bench, register_bench
from bmrlab.sim.builder import DEFAULT_STATION, build_bench

K2636B = "USB0::0x05E6::0x2636::SIM4410001::INSTR"


@pytest.fixture
def sim():
    bench = build_bench(DEFAULT_STATION)
    key = register_bench(bench)
    rm = pyvisa.ResourceManager(f"{key}@bmrsim")
    resource = rm.open_resource(K2636B, read_termination="\n", write_termination="\n")
    yield resource, bench, f"{key}@bmrsim"
    forget_bench(key)


def test_stock_keithley2600_channel_a_sees_the_device_switch(sim):
    _, bench, library = sim
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        k = Keithley2600(K2636B, visa_library=library)
    a = k.ChA
    a.source_mode = "voltage"
    a.source_voltage_range = 0.2
    a.compliance_current = 1e-6
    a.nplc = 1
    a.source_voltage = 0.1
    a.source_output = "ON"
    currents = [a.current for _ in range(6)]
    assert abs(currents[0]) < 1e-9 and currents[-1] == pytest.approx(1e-6, rel=0.1)
    assert a.source_voltage == pytest.approx(0.1)
    assert k.next_error[0] == 0
    assert bench.devices["dut2636b"].sets >= 1


def test_the_trigger_model_sweeps_a_list_paced_by_a_timer_into_a_buffer(sim):
    k, bench, _ = sim
    k.write("smua.source.rangev = 0.2 smua.source.limiti = 1e-6 smua.measure.nplc = 0.01")
    k.write("smua.nvbuffer1.clear() smua.trigger.source.listv({0, 0.05, 0.1, 0.12})")
    k.write("smua.trigger.count = 40 smua.trigger.measure.i(smua.nvbuffer1)")
    k.write("trigger.timer[1].delay = 0.002 "
            "smua.trigger.source.stimulus = trigger.timer[1].EVENT_ID")
    k.write("smua.trigger.initiate()")
    assert float(k.query("print(smua.nvbuffer1.n)")) < 40  # it runs on the instrument
    k.write("waitcomplete()")
    assert float(k.query("print(smua.nvbuffer1.n)")) == 40
    rows = [float(x) for x in k.query("printbuffer(1, 4, smua.nvbuffer1.timestamps, "
                                      "smua.nvbuffer1.sourcevalues)").split(",")]
    assert rows == pytest.approx([0, 0, 0.002, 0.05, 0.004, 0.1, 0.006, 0.12])


def test_scripts_load_once_and_run_by_name(sim):
    k, _, _ = sim
    for line in ("loadscript sums", "local x = 0", "for n = 1, 4 do x = x + n end",
                 "print(x)", "endscript"):
        k.write(line)
    assert float(k.query("sums()")) == 10


def test_lua_errors_go_to_the_error_queue(sim):
    k, _, _ = sim
    k.write("print(")
    k.write("smua.source.nosuch = 1")
    first = k.query("print(errorqueue.next())").split("\t")
    second = k.query("print(errorqueue.next())").split("\t")
    assert float(first[0]) == -285 and float(second[0]) == -286
    assert float(k.query("print(errorqueue.count)")) == 0


def test_a_source_range_change_under_power_glitches_up_to_400_mV(sim):
    k, bench, _ = sim
    k.write("smua.source.rangev = 0.2 smua.source.levelv = 0 smua.source.output = 1")
    k.write("smua.source.rangev = 2")
    (_, volts, _, source), = bench.devices["dut2636b"].watchdog.overshoots
    assert volts == pytest.approx(0.4) and source == "smu2636b"
    assert k.query("*OPC?") == "1"
