"""The simulated 2450 through real pyvisa: SCPI, error queue, buffers, physics, watchdog."""

import numpy as np
import pytest
import pyvisa
from pymeasure.instruments.keithley import Keithley2450 as StockKeithley2450

from bmrlab.station import Station


@pytest.fixture
def sim():
    """A raw pyvisa session on the default station's simulated 2450."""
    with Station.load() as station:
        rm = pyvisa.ResourceManager(station.visa_library("smu"))
        resource = rm.open_resource(station.config.instruments["smu"].resource,
                                    read_termination="\n", write_termination="\n")
        yield resource, station.sim
        resource.close()


def test_identifies_itself_and_queues_unknown_commands_as_errors(sim):
    k, _ = sim
    assert k.query("*IDN?").startswith("KEITHLEY INSTRUMENTS,MODEL 2450")
    k.write(":SOUR:VOLT:FOO 1")
    assert k.query(":SYST:ERR?") == '-113,"Undefined header"'
    assert k.query(":SYST:ERR?") == '0,"No error"'


def test_a_query_without_a_response_times_out_and_is_logged(sim):
    k, _ = sim
    k.write(":SOUR:VOLT 0")
    with pytest.raises(pyvisa.VisaIOError):
        k.read()
    assert k.query(":SYST:ERR?").startswith("-420")


def test_pymeasure_stock_driver_sees_the_device_switch_within_tens_of_ms():
    """Timing-critical reads as the manual advises: autozero and source delay off
    (WH-2450 29048, 29079), references refreshed once."""
    with Station.load() as station:
        k = StockKeithley2450(station.config.instruments["smu"].resource,
                              visa_library=station.visa_library("smu"))
        k.write(":SOUR:FUNC VOLT;:SOUR:VOLT:RANG 0.2;:SENS:FUNC \"CURR\";:SENS:AZER:ONCE")
        k.write(":SENS:CURR:AZER OFF;:SOUR:VOLT:DEL 0;:SOUR:VOLT:READ:BACK OFF")
        k.compliance_current = 1e-6
        k.current_nplc = 1
        k.source_voltage = 0.1
        t_on = station.clock.now()
        k.enable_source()
        currents, times = [], []
        for _ in range(10):
            currents.append(k.current)
            times.append(station.clock.now() - t_on)
        k.disable_source()
        k.adapter.close()
    assert currents[0] < 1e-9  # pA: high-resistance state
    assert currents[-1] == pytest.approx(1e-6, rel=0.1)  # compliance-limited LRS
    switched = times[int(np.argmax(np.array(currents) > 1e-7))]
    assert 5e-3 < switched < 60e-3


def test_list_sweep_fills_the_buffer_with_limit_flags(sim):
    k, bench = sim
    k.write(":SOUR:VOLT:RANG 0.2;:SOUR:VOLT:ILIM 1e-6;:SENS:AZER:ONCE;:OUTP ON")
    levels = ",".join(f"{v:.3f}" for v in np.linspace(0, 0.15, 76))
    k.write(f":SOUR:LIST:VOLT {levels}")
    count = int(k.query(":SOUR:LIST:VOLT:POIN?"))
    assert count == 76
    k.write(':SOUR:SWE:VOLT:LIST 1, 0.005, 1, OFF, "defbuffer1";:INIT;*WAI')
    assert int(k.query(':TRAC:ACT? "defbuffer1"')) == count
    values = np.array(k.query(f':TRAC:DATA? 1, {count}, "defbuffer1", REL, SOUR, READ, '
                              'SOURSTAT').split(","), float).reshape(-1, 4)
    assert np.all(np.diff(values[:, 0]) > 0)
    assert values[0, 2] < 1e-9 and values[-1, 2] > 5e-7
    status = values[:, 3].astype(int)  # output on (128), readback on (8), limit (32)
    assert np.all(status & 136 == 136) and (status[-1] & 32) and not (status[0] & 32)


def test_range_change_with_output_on_is_recorded_as_an_overshoot(sim):
    k, bench = sim
    k.write(":SOUR:VOLT:RANG 0.2;:SOUR:VOLT 0.01;:OUTP ON")
    assert bench.devices["dut"].watchdog.overshoots == []
    k.write(":SOUR:VOLT:RANG 2")
    (t, volts, seconds, source), = bench.devices["dut"].watchdog.overshoots
    assert volts == pytest.approx(0.01 + 0.25) and seconds > 0  # level plus the glitch
    assert bench.devices["dut"].watchdog.max_abs_v > 0.25


def test_a_level_beyond_a_fixed_range_is_refused(sim):
    k, bench = sim
    k.write(":SOUR:VOLT:RANG 0.02;:SOUR:VOLT 0.1")
    assert k.query(":SYST:ERR?").startswith("-222")
    assert float(k.query(":SOUR:VOLT?")) == 0.0


def test_a_linear_dual_sweep_goes_up_and_back(sim):
    k, _ = sim
    k.write(":SOUR:VOLT:RANG 0.2;:SOUR:VOLT:ILIM 1e-6;:OUTP ON")
    k.write(':SOUR:SWE:VOLT:LIN 0, 0.1, 11, 0.001, 2, FIXED, OFF, ON, "defbuffer1";:INIT;*WAI')
    assert k.query(':TRAC:ACT? "defbuffer1"') == "42"
    sources = [float(x) for x in k.query(':TRAC:DATA? 1, 21, "defbuffer1", SOUR').split(",")]
    assert sources[10] == pytest.approx(0.1) and sources[20] == pytest.approx(0.0)


def test_trigger_model_blocks_pulse_the_device_and_measure_in_each_pulse(sim):
    """A pulse train as a 2450 runs it: config list [pulse, base], a reading in each pulse."""
    k, bench = sim
    k.write(":SOUR:VOLT:RANG 0.2;:SOUR:VOLT:ILIM 1e-6;:SENS:CURR:NPLC 0.01;:SENS:AZER:ONCE")
    k.write(":SOUR:VOLT:DEL:AUTO OFF;:SENS:CURR:AZER OFF")  # stored with each list entry
    k.write(':SOUR:CONF:LIST:CRE "PULSE";:SOUR:VOLT 0.1;:SOUR:CONF:LIST:STOR "PULSE"')
    k.write(':SOUR:VOLT 0;:SOUR:CONF:LIST:STOR "PULSE"')
    k.write(':TRIG:LOAD "Empty";:TRIG:BLOC:BUFF:CLE 1, "defbuffer1"')
    k.write(':TRIG:BLOC:CONF:REC 2, "PULSE", 1;:TRIG:BLOC:DEL:CONS 3, 0.0008')
    k.write(':TRIG:BLOC:MEAS 4, "defbuffer1";:TRIG:BLOC:CONF:RECall 5, "PULSE", 2')
    k.write(':TRIG:BLOC:DEL:CONS 6, 0.001;:TRIG:BLOC:BRAN:COUN 7, 30, 2')
    k.write(":OUTP ON;:INIT;*WAI")
    assert k.query(":SYST:ERR?") == '0,"No error"'
    assert k.query(':TRAC:ACT? "defbuffer1"') == "30"
    values = k.query(':TRAC:DATA? 1, 30, "defbuffer1", REL, SOUR, READ').split(",")
    t, v, i = (np.array(values[n::3], float) for n in range(3))
    assert np.allclose(v, 0.1)
    assert np.diff(t) == pytest.approx(np.full(29, np.diff(t)[0]))  # a steady train
    assert i[0] < 1e-9 and i[-1] > 5e-7  # the pulses integrate to a set
    assert bench.devices["dut"].watchdog.max_abs_v == pytest.approx(0.1)


def test_a_trigger_model_with_a_missing_list_is_refused_at_init(sim):
    k, _ = sim
    k.write(':TRIG:LOAD "Empty";:TRIG:BLOC:CONF:NEXT 1, "NOSUCH";:INIT')
    assert k.query(":SYST:ERR?").startswith("-221")
