"""Exact command sequences of the Keithley 2400 driver (pymeasure expected_protocol)."""

import numpy as np
import pytest
from pymeasure.test import expected_protocol

from bmrlab.clock import VirtualClock
from bmrlab.config import Limits
from bmrlab.errors import Stopped
from bmrlab.instruments.keithley2400 import Keithley2400, Keithley2400Smu
from bmrlab.safety import Guard

FORMAT = (":FORMAT:ELEMENTS VOLTAGE, CURRENT, RESISTANCE, TIME, STATUS", None)  # pymeasure's


def smu_for(driver, clock=None):
    smu = Keithley2400Smu(driver, Guard(Limits()), clock or VirtualClock(), "zero")
    return smu


def test_configure_fixes_the_source_range_before_the_output_goes_on():
    with expected_protocol(Keithley2400, [
        FORMAT,
        (":OUTP:SMOD ZERO", None),
        (":SOUR:FUNC VOLT;:SOUR:VOLT:MODE FIX", None),
        (":SOUR:VOLT:RANG:AUTO OFF;:SOUR:VOLT:RANG 0.2", None),
        (':SENS:FUNC "CURR";:SENS:CURR:PROT 1e-06', None),
        (":SENS:CURR:RANG:AUTO ON;:SENS:CURR:NPLC 0.05", None),
        (":SYST:AZER:STAT ONCE", None),
        (":SOUR:VOLT 0", None),
        (":SYST:LFR?", "50"),
        ("SYST:ERR?", '0,"No error"'),
        (":OUTP ON", None),
    ]) as driver:
        smu = smu_for(driver)
        smu.configure(max_abs_v=0.15, compliance=1e-6, nplc=0.05)
    assert smu.settings["line_frequency_Hz"] == 50.0


def test_sweep_waits_for_the_whole_buffer_then_reads_it_once():
    rows = ",".join(f"{v},{v * 1e-5},9.91e37,{k * 0.002},{16392 if k == 2 else 16384}"
                    for k, v in enumerate([0, 0.001, 0.002]))
    clock = VirtualClock()
    with expected_protocol(Keithley2400, [
        FORMAT,
        (":SOUR:LIST:VOLT 0,0.001,0.002", None),
        (":SOUR:VOLT:MODE LIST;:TRIG:COUN 3;:SOUR:DEL 0.000666667", None),
        (":TRAC:CLE;:TRAC:POIN 3;:TRAC:FEED SENS;:TRAC:FEED:CONT NEXT", None),
        (":INIT", None),
        (":TRAC:POIN:ACT?", "1"),  # not complete: no fetch yet
        (":TRAC:POIN:ACT?", "3"),
        (":TRAC:DATA?", rows),
    ]) as driver:
        chunks = []
        smu = smu_for(driver, clock)
        smu.settings = {"nplc": 0.05, "line_frequency_Hz": 60.0}
        assert smu.sweep([0, 0.001, 0.002], 2e-3, 1, chunks.append, clock.sleep) == 3
    (chunk,) = chunks
    np.testing.assert_allclose(chunk.t, [0, 0.002, 0.004])
    np.testing.assert_allclose(chunk.i, [0, 1e-8, 2e-8])
    assert chunk.limit.tolist() == [False, False, True]


def test_stop_aborts_and_shutdown_returns_to_a_fixed_zero_level():
    clock = VirtualClock()

    def stop(seconds):
        raise Stopped("stop")

    with expected_protocol(Keithley2400, [
        FORMAT,
        (":SOUR:LIST:VOLT 0,0.001", None),
        (":SOUR:VOLT:MODE LIST;:TRIG:COUN 2;:SOUR:DEL 0.000666667", None),
        (":TRAC:CLE;:TRAC:POIN 2;:TRAC:FEED SENS;:TRAC:FEED:CONT NEXT", None),
        (":INIT", None),
        (":ABOR", None),
        (":ABOR", None),
        (":SOUR:VOLT:MODE FIX", None),
        (":SOUR:VOLT 0", None),
        (":OUTP OFF", None),
    ]) as driver:
        smu = smu_for(driver, clock)
        smu.settings = {"nplc": 0.05, "line_frequency_Hz": 60.0}
        with pytest.raises(Stopped):
            smu.sweep([0, 0.001], 2e-3, 1, lambda c: None, stop)
        smu.safe_off()
