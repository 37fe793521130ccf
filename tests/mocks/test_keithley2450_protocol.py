"""Exact command sequences of the Keithley 2450 driver (pymeasure expected_protocol).

Each sequence is what bmrlab sends to a real 2450; the commands are checked against the
reference manual in the driver's docstring.
"""

import numpy as np
import pytest
from pymeasure.test import expected_protocol

from bmrlab.clock import VirtualClock
from bmrlab.config import Limits
from bmrlab.errors import InstrumentError, Stopped
from bmrlab.instruments.keithley2450 import Keithley2450, Keithley2450Smu
from bmrlab.safety import Guard, SafetyViolation

SYST_ERR = "SYST:ERR?"  # what pymeasure's check_errors sends

CONFIGURE = [
    (":OUTP:VOLT:SMOD ZERO", None),
    (":SOUR:FUNC VOLT", None),
    (":SOUR:VOLT:RANG:AUTO OFF;:SOUR:VOLT:RANG 0.2", None),
    (":SOUR:VOLT:ILIM 1e-06;:SOUR:VOLT:READ:BACK ON", None),
    (':SENS:FUNC "CURR";:SENS:CURR:RANG:AUTO ON', None),
    (":SENS:CURR:NPLC 0.05;:SENS:AZER:ONCE", None),
    (":SOUR:VOLT 0", None),
    (":SYST:LFR?", "60"),
    (SYST_ERR, '0,"No error"'),
    (":OUTP ON", None),
]


def smu_for(driver, clock=None):
    return Keithley2450Smu(driver, Guard(Limits()), clock or VirtualClock(), "zero")


def test_configure_fixes_the_source_range_before_the_output_goes_on():
    with expected_protocol(Keithley2450, CONFIGURE) as driver:
        smu = smu_for(driver)
        smu.configure(max_abs_v=0.15, compliance=1e-6, nplc=0.05)
    assert smu.settings["source_range_V"] == 0.2
    assert smu.settings["line_frequency_Hz"] == 60.0


def test_configure_raises_with_the_instruments_own_error():
    pairs = CONFIGURE[:8] + [(SYST_ERR, '-222,"Data out of range"'),
                             (SYST_ERR, '0,"No error"')]
    with expected_protocol(Keithley2450, pairs) as driver:
        with pytest.raises(InstrumentError, match="-222"):
            smu_for(driver).configure(max_abs_v=0.15, compliance=1e-6, nplc=0.05)


def test_configure_refuses_a_compliance_beyond_the_limit_before_sending_it():
    with expected_protocol(Keithley2450, []) as driver:
        with pytest.raises(SafetyViolation):
            smu_for(driver).configure(max_abs_v=0.1, compliance=0.5, nplc=1)


def test_list_upload_goes_in_groups_of_100():
    levels = np.arange(250) * 1e-3
    first = ",".join(f"{v:.6g}" for v in levels[:100])
    second = ",".join(f"{v:.6g}" for v in levels[100:200])
    third = ",".join(f"{v:.6g}" for v in levels[200:])
    with expected_protocol(Keithley2450, [(f":SOUR:LIST:VOLT {first}", None),
                                          (f":SOUR:LIST:VOLT:APP {second}", None),
                                          (f":SOUR:LIST:VOLT:APP {third}", None)]) as driver:
        driver.upload_list(levels)


def test_start_list_sweep():
    with expected_protocol(Keithley2450, [
        (':TRAC:CLE "defbuffer1"', None),
        (':SOUR:SWE:VOLT:LIST 1, 0.00095, 20, OFF, "defbuffer1"', None),
        (":INIT", None),
    ]) as driver:
        driver.start_list_sweep(0.00095, 20)


def test_chunked_buffer_read_parses_time_source_current_and_limit_flag():
    reply = "0.0,0.001,1.5e-13,128,0.002,0.1,1.0e-6,160"
    with expected_protocol(Keithley2450, [
        (':TRAC:ACT? "defbuffer1"', "2"),
        (':TRAC:DATA? 1, 2, "defbuffer1", REL, SOUR, READ, SOURSTAT', reply),
    ]) as driver:
        assert driver.buffer_count() == 2
        t, v, i, limit = driver.buffer_readings(1, 2)
    np.testing.assert_allclose(t, [0.0, 0.002])
    np.testing.assert_allclose(v, [0.001, 0.1])
    np.testing.assert_allclose(i, [1.5e-13, 1e-6])
    assert limit.tolist() == [False, True]


def test_shutdown_stops_the_trigger_model_then_zero_volts_then_output_off():
    with expected_protocol(Keithley2450, [(":ABOR", None), (":SOUR:VOLT 0", None),
                                          (":OUTP OFF", None)]) as driver:
        smu_for(driver).safe_off()


def _configured(driver, clock):
    smu = smu_for(driver, clock)
    smu.settings = {"nplc": 0.05, "line_frequency_Hz": 60.0}
    return smu


def test_sweep_runs_on_the_instrument_and_reads_the_buffer_in_chunks():
    """Three levels, twice: one list, one start, polls until all six readings are in."""
    rows = ",".join(f"{k * 0.002},{v},{v * 1e-5},128" for k, v in enumerate([0, .001, 0] * 2))
    clock = VirtualClock()
    with expected_protocol(Keithley2450, [
        (":SOUR:LIST:VOLT 0,0.001,0", None),
        (':TRAC:CLE "defbuffer1"', None),
        (':SOUR:SWE:VOLT:LIST 1, 0.000966667, 2, OFF, "defbuffer1"', None),
        (":INIT", None),
        (':TRAC:ACT? "defbuffer1"', "6"),
        (':TRAC:DATA? 1, 6, "defbuffer1", REL, SOUR, READ, SOURSTAT', rows),
    ]) as driver:
        chunks = []
        smu = _configured(driver, clock)
        taken = smu.sweep([0, 0.001, 0], 2e-3, 2, chunks.append, clock.sleep)
    assert taken == 6
    assert chunks[0].index.tolist() == [0, 1, 2, 3, 4, 5]


def test_sweep_stopped_on_request_aborts_the_trigger_model():
    clock = VirtualClock()

    def stop(seconds):
        raise Stopped("stop")

    with expected_protocol(Keithley2450, [
        (":SOUR:LIST:VOLT 0,0.001,0", None),
        (':TRAC:CLE "defbuffer1"', None),
        (':SOUR:SWE:VOLT:LIST 1, 0.000966667, 1, OFF, "defbuffer1"', None),
        (":INIT", None),
        (":ABOR", None),
    ]) as driver:
        with pytest.raises(Stopped):
            _configured(driver, clock).sweep([0, 0.001, 0], 2e-3, 1, lambda c: None, stop)


def test_sweep_refuses_a_level_beyond_the_limit_before_sending_anything():
    with expected_protocol(Keithley2450, []) as driver:
        with pytest.raises(SafetyViolation):
            _configured(driver, VirtualClock()).sweep([0, 0.6], 2e-3, 1, lambda c: None,
                                                      lambda s: None)
