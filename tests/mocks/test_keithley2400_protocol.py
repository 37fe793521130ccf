"""Exact command sequences of the Keithley 2400 driver (pymeasure expected_protocol)."""

import numpy as np
import pytest
from conftest import NO_ERROR_SCPI, stop_now
from pymeasure.test import expected_protocol

from bmrlab.errors import Stopped
from bmrlab.instruments.keithley2400 import Keithley2400, Keithley2400Smu
from bmrlab.instruments.smu import PulseTrain

FORMAT = (":FORMAT:ELEMENTS VOLTAGE, CURRENT, RESISTANCE, TIME, STATUS", None)  # pymeasure's
APERTURE = 0.05 / 60  # a step is this + 0.5 ms


def sweep_start(levels: str, points: int, delay: str):
    return [(f":SOUR:LIST:VOLT {levels}", None),
            (f":SOUR:VOLT:MODE LIST;:TRIG:COUN {points};:SOUR:DEL {delay}", None),
            (f":TRAC:CLE;:TRAC:POIN {points};:TRAC:FEED SENS;:TRAC:FEED:CONT NEXT", None),
            NO_ERROR_SCPI,
            (":INIT", None)]


def rows(levels, limited=()):
    """VOLT, CURR, RES, TIME, STAT per reading; status bit 3 (8) is compliance."""
    return ",".join(f"{v},{v * 1e-5},9.91e37,{k * 0.002},{16392 if k in limited else 16384}"
                    for k, v in enumerate(levels))


def test_configure_fixes_the_source_range_before_the_output_goes_on(make_smu):
    with expected_protocol(Keithley2400, [
        FORMAT,
        (":OUTP:SMOD ZERO", None),
        (":SOUR:FUNC VOLT;:SOUR:VOLT:MODE FIX", None),
        (":SOUR:VOLT:RANG:AUTO OFF;:SOUR:VOLT:RANG 0.2", None),
        (':SENS:FUNC "CURR";:SENS:CURR:PROT 1e-06', None),
        (":SENS:CURR:RANG:AUTO ON;:SENS:CURR:NPLC 0.05", None),
        (":SYST:AZER:STAT ONCE", None),
        (":SOUR:VOLT:MODE FIX;:SOUR:VOLT 0", None),
        (":SYST:LFR?", "50"),
        NO_ERROR_SCPI,
        (":OUTP ON", None),
    ]) as driver:
        smu = make_smu(Keithley2400Smu, driver)
        smu.configure(max_abs_v=0.15, compliance=1e-6, nplc=0.05)
    assert smu.settings["line_frequency_Hz"] == 50.0


def test_sweep_waits_for_the_whole_buffer_then_reads_it_once(make_smu, clock):
    with expected_protocol(Keithley2400, [
        FORMAT,
        *sweep_start("0,0.001,0.002", 3, "0.000666667"),
        (":TRAC:POIN:ACT?", "1"),  # not complete: no fetch yet
        (":TRAC:POIN:ACT?", "3"),
        (":TRAC:DATA?", rows([0, 0.001, 0.002], limited=(2,))),
    ]) as driver:
        chunks = []
        smu = make_smu(Keithley2400Smu, driver, APERTURE)
        assert smu.sweep([0, 0.001, 0.002], 2e-3, 1, chunks.append, clock.sleep) == 3
    (chunk,) = chunks
    phase = (2e-3 - APERTURE - 0.5e-3) + APERTURE / 2  # the delay, then half the aperture
    np.testing.assert_allclose(chunk.t, np.array([0, 0.002, 0.004]) + phase)
    np.testing.assert_allclose(chunk.elapsed, chunk.t)
    np.testing.assert_allclose(chunk.i, [0, 1e-8, 2e-8])
    assert chunk.limit.tolist() == [False, False, True]


def test_pulse_train_cycles_the_list_over_the_trigger_count(make_smu, clock):
    train = PulseTrain(level=0.1, width=2e-3, off_level=0.0, period=4e-3, count=3,
                       sample_interval=2e-3)
    with expected_protocol(Keithley2400, [
        FORMAT,
        *sweep_start("0.1,0", 6, "0.000666667"),
        (":TRAC:POIN:ACT?", "6"),
        (":TRAC:DATA?", rows([0.1, 0] * 3)),
    ]) as driver:
        make_smu(Keithley2400Smu, driver, APERTURE).pulse_train(train, lambda c: None,
                                                                clock.sleep)


def test_single_read_in_fixed_mode_with_one_trigger(make_smu):
    with expected_protocol(Keithley2400, [
        FORMAT,
        (":SOUR:VOLT:MODE FIX;:SOUR:VOLT 0.02", None),
        (":TRAC:FEED:CONT NEV;:TRIG:COUN 1", None),
        (":READ?", "+2.000000E-02,+1.000000E-06,+9.910000E+37,+1.0E+00,+1.639200E+04"),
        (":SOUR:VOLT:MODE FIX;:SOUR:VOLT 0", None),
    ]) as driver:
        reading = make_smu(Keithley2400Smu, driver, APERTURE).read(0.02)
    assert reading.limit[0]


def test_stop_aborts_and_shutdown_returns_to_a_fixed_zero_level(make_smu):
    with expected_protocol(Keithley2400, [
        FORMAT,
        *sweep_start("0,0.001", 2, "0.000666667"),
        (":ABOR", None),
        (":SOUR:VOLT:MODE FIX;:SOUR:VOLT 0", None),
        (":OUTP OFF", None),
        (":TRAC:POIN:ACT?", "0"),
        (":ABOR", None),
        (":SOUR:VOLT:MODE FIX;:SOUR:VOLT 0", None),
        (":OUTP OFF", None),
    ]) as driver:
        smu = make_smu(Keithley2400Smu, driver, APERTURE)
        with pytest.raises(Stopped):
            smu.sweep([0, 0.001], 2e-3, 1, lambda c: None, stop_now)
        smu.safe_off()
