"""Exact command sequences of the Keithley 2400 driver (pymeasure expected_protocol).

Source: UM = 2400 Series SourceMeter User's Manual 2400S-900-01, section 18 (page).
"""

import numpy as np
import pytest
from conftest import NO_ERROR_SCPI, stop_now
from pymeasure.test import expected_protocol

from bmrlab.errors import Stopped
from bmrlab.instruments.keithley2400 import Keithley2400, Keithley2400Smu
from bmrlab.instruments.smu import PulseTrain

FORMAT = (":FORMAT:ELEMENTS VOLTAGE, CURRENT, RESISTANCE, TIME, STATUS", None)  # pymeasure's
APERTURE = 0.05 / 60  # a step is this + 0.76 ms where the level changes, + 0.585 ms if not
CHANGING = "0.000406667"  # trigger delay of a 2 ms step where every level changes (UM A-6)
STATIC = "0.000581667"  # ... where no level changes (UM A-8)


def sweep_start(levels: str, points: int, delay: str):
    return [
        (f":SOUR:LIST:VOLT {levels}", None),  # UM 18-92
        # UM :SOURce:VOLTage:MODE, :ARM:COUNt, :TRIGger:COUNt (arm x trigger <= 2500),
        # :TRIGger:DELay (the source delay is skipped when the level stays, UM A-8)
        (f":SOUR:VOLT:MODE LIST;:ARM:COUN 1;:TRIG:COUN {points};:TRIG:DEL {delay}", None),
        (":TRAC:FEED:CONT NEV", None),  # UM 18-115: FEED only changes with storage off
        (f":TRAC:CLE;:TRAC:POIN {points};:TRAC:FEED SENS;:TRAC:FEED:CONT NEXT", None),
        NO_ERROR_SCPI,
        (":INIT", None),
    ]


def sweep_end(level: str):
    """``*OPC?`` answers once the sweep is idle; then the held level, in fixed mode."""
    return [("*OPC?", "1"), (f":SOUR:VOLT:MODE FIX;:SOUR:VOLT {level}", None), (":OUTP ON", None)]


def rows(levels, limited=(), status_limited=16392):
    """VOLT, CURR, RES, TIME, STAT per reading; status bit 3 (8) is compliance."""
    return ",".join(
        f"{v},{v * 1e-5},9.91e37,{k * 0.002},{status_limited if k in limited else 16384}"
        for k, v in enumerate(levels)
    )


CONFIGURE = [
    FORMAT,
    (":ABOR", None),  # UM :ABORt
    (":OUTP OFF", None),  # UM :OUTPut[:STATe]
    ("*RST", None),  # IEEE-488.2 common command; output off
    (":TRAC:FEED:CONT NEV", None),  # UM 18-115/116: TRACe survives *RST; storage off first
    (":TRAC:CLE;:TRAC:TST:FORM ABS;:TRAC:FEED SENS", None),  # UM 18-116 (TST:FORM survives *RST)
    (":FORM:ELEM VOLT,CURR,RES,TIME,STAT", None),  # UM :FORMat:ELEMents
    (":OUTP:SMOD ZERO", None),  # UM 18-57
    (":SOUR:FUNC VOLT;:SOUR:VOLT:MODE FIX", None),  # UM :SOURce:FUNCtion, :VOLTage:MODE
    (":SOUR:VOLT:RANG:AUTO OFF;:SOUR:VOLT:RANG 0.2", None),  # UM :SOURce:VOLTage:RANGe
    (":SOUR:DEL:AUTO OFF;:SOUR:DEL 0", None),  # UM 18-82
    (':SENS:FUNC "CURR";:SENS:CURR:PROT 1e-06', None),  # UM 6-2, :SENSe:CURRent:PROTection
    (":SENS:CURR:RANG:AUTO ON;:SENS:CURR:NPLC 0.05", None),  # UM :SENSe:CURRent:NPLCycles
    (":SENS:AVER OFF", None),  # UM :SENSe:AVERage[:STATe]
    (":ARM:COUN 1;:TRIG:COUN 1;:TRIG:DEL 0", None),  # UM :ARM:COUNt, :TRIGger:COUNt, :DELay
    (":SYST:AZER:STAT ONCE;:SYST:AZER:STAT OFF", None),  # UM :SYSTem:AZERo[:STATe]
    (":SOUR:VOLT:MODE FIX;:SOUR:VOLT 0", None),
    (":SYST:LFR?", "50"),  # UM :SYSTem:LFRequency?
    NO_ERROR_SCPI,
    (":OUTP ON", None),
]


def test_configure_fixes_the_source_range_before_the_output_goes_on(make_smu):
    with expected_protocol(Keithley2400, CONFIGURE) as driver:
        smu = make_smu(Keithley2400Smu, driver)
        smu.configure(max_abs_v=0.15, compliance=1e-6, nplc=0.05)
    assert smu.settings["line_frequency_Hz"] == 50.0
    assert smu.settings["buffer_capacity"] == 2500


def test_sweep_waits_for_the_whole_buffer_then_reads_it_once(make_smu, clock):
    with expected_protocol(
        Keithley2400,
        [
            FORMAT,
            *sweep_start("0,0.001,0.002", 3, CHANGING),
            (":TRAC:POIN:ACT?", "1"),  # not complete: no fetch yet
            (":TRAC:POIN:ACT?", "3"),
            (":TRAC:DATA?", rows([0, 0.001, 0.002], limited=(2,))),
            *sweep_end("0.002"),
        ],
    ) as driver:
        chunks = []
        smu = make_smu(Keithley2400Smu, driver, APERTURE)
        assert smu.sweep([0, 0.001, 0.002], 2e-3, 1, chunks.append, clock.sleep) == 3
    (chunk,) = chunks
    phase = (2e-3 - APERTURE - 0.76e-3) + APERTURE / 2  # the delay, then half the aperture
    np.testing.assert_allclose(chunk.t, np.array([0, 0.002, 0.004]) + phase)
    np.testing.assert_allclose(chunk.elapsed, chunk.t)
    np.testing.assert_allclose(chunk.i, [0, 1e-8, 2e-8])
    assert chunk.limit.tolist() == [False, False, True]


def test_no_query_is_sent_before_the_sweep_should_have_ended(make_smu, clock):
    """Queries wait until the 2400 is idle (UM p.11-11): a count asked for mid-sweep would
    block the host, which then could not stop the sweep. 1000 steps of 2 ms: the first query
    goes out after 2 s; until then only stop-aware waits."""
    levels = ",".join(["0.001"] * 100)
    with expected_protocol(
        Keithley2400,
        [
            FORMAT,
            (f":SOUR:LIST:VOLT {levels}", None),
            *[(f":SOUR:LIST:VOLT:APP {levels}", None)] * 9,
            *sweep_start("", 1000, STATIC)[1:],
            (":TRAC:POIN:ACT?", "1000"),
            (":TRAC:DATA?", rows([0.001] * 1000)),
            *sweep_end("0.001"),
        ],
    ) as driver:
        fetched_at = []
        make_smu(Keithley2400Smu, driver, APERTURE).sweep(
            [0.001] * 1000, 2e-3, 1, lambda r: fetched_at.append(clock.now()), clock.sleep
        )
    assert fetched_at[0] >= 2.0


def test_pulse_train_cycles_the_list_over_the_trigger_count(make_smu, clock):
    train = PulseTrain(
        level=0.1, width=2e-3, off_level=0.0, period=4e-3, count=3, sample_interval=2e-3
    )
    with expected_protocol(
        Keithley2400,
        [
            FORMAT,
            *sweep_start("0.1,0", 6, CHANGING),
            (":TRAC:POIN:ACT?", "6"),
            (":TRAC:DATA?", rows([0.1, 0] * 3)),
            *sweep_end("0"),
        ],
    ) as driver:
        make_smu(Keithley2400Smu, driver, APERTURE).pulse_train(train, lambda c: None, clock.sleep)


def test_range_compliance_is_a_limit_and_9_9e37_an_overflow(make_smu, clock):
    """Status bit 16 (65536, range compliance, UM 6-2) flags the limit as bit 3 does; a
    reading above a fixed range (9.9e37) becomes NaN with the overflow flag."""
    data = rows([0.1, 0.1], limited=(0,), status_limited=16384 + 65536).split(",")
    data[6] = "9.9e+37"
    with expected_protocol(
        Keithley2400,
        [
            FORMAT,
            *sweep_start("0.1", 2, STATIC),
            (":TRAC:POIN:ACT?", "2"),
            (":TRAC:DATA?", ",".join(data)),
            *sweep_end("0.1"),
        ],
    ) as driver:
        chunks = []
        make_smu(Keithley2400Smu, driver, APERTURE).sweep(
            [0.1], 2e-3, 2, chunks.append, clock.sleep
        )
    assert chunks[0].limit.tolist() == [True, False]
    assert chunks[0].overflow.tolist() == [False, True] and np.isnan(chunks[0].i[1])


def test_buffer_readings_takes_the_same_range_as_every_driver():
    with expected_protocol(
        Keithley2400, [FORMAT, (":TRAC:DATA?", rows([0, 0.001, 0.002]))]
    ) as driver:
        _t, v, _i, _limit = driver.buffer_readings(2, 3)
    np.testing.assert_allclose(v, [0.001, 0.002])


def test_instrument_facts_are_queries_only(make_smu):
    with expected_protocol(
        Keithley2400,
        [
            FORMAT,
            (
                "*IDN?",
                "KEITHLEY INSTRUMENTS INC.,MODEL 2400,1234567,C32 Oct 4 2010 14:20:11/A02 /S/K",
            ),
            ("*OPT?", "0"),
            (":SYST:LFR?", "60"),
            (":SOUR:DEL:AUTO?", "1"),
            (":SYST:AZER?", "0"),
        ],
    ) as driver:
        facts = make_smu(Keithley2400Smu, driver).instrument_facts()
    assert facts["model"] == "MODEL 2400" and facts["buffer_capacity"] == 2500
    assert facts["source_delay_s"] == "auto"  # as a previous user may leave it
    assert facts["autozero"] == "off" and facts["nplc_range"] == (0.01, 10.0)


def test_single_read_in_fixed_mode_with_one_trigger(make_smu):
    with expected_protocol(
        Keithley2400,
        [
            FORMAT,
            (":SOUR:VOLT:MODE FIX;:SOUR:VOLT 0.02", None),
            (":TRAC:FEED:CONT NEV;:TRIG:COUN 1", None),
            (":READ?", "+2.000000E-02,+1.000000E-06,+9.910000E+37,+1.0E+00,+1.639200E+04"),
            (":SOUR:VOLT:MODE FIX;:SOUR:VOLT 0", None),
        ],
    ) as driver:
        reading = make_smu(Keithley2400Smu, driver, APERTURE).read(0.02)
    assert reading.limit[0]


def test_stop_aborts_and_shutdown_returns_to_a_fixed_zero_level(make_smu):
    with expected_protocol(
        Keithley2400,
        [
            FORMAT,
            *sweep_start("0,0.001", 2, CHANGING),
            (":ABOR", None),
            (":SOUR:VOLT:MODE FIX;:SOUR:VOLT 0", None),
            (":OUTP OFF", None),
            (":TRAC:POIN:ACT?", "0"),
            (":ABOR", None),
            (":SOUR:VOLT:MODE FIX;:SOUR:VOLT 0", None),
            (":OUTP OFF", None),
        ],
    ) as driver:
        smu = make_smu(Keithley2400Smu, driver, APERTURE)
        with pytest.raises(Stopped):
            smu.sweep([0, 0.001], 2e-3, 1, lambda c: None, stop_now)
        smu.safe_off()


def test_a_resolved_read_on_the_1_ua_range_below_a_100_ua_compliance(make_smu, clock):
    """The 2400's finest range is 1 uA (UM 18 :SENSe:CURRent:RANGe): with a 1 uA compliance
    there is nothing finer; with 100 uA the HRS is read again on 1 uA, zeroed once."""
    with expected_protocol(
        Keithley2400,
        [
            FORMAT,
            (
                ":SENS:CURR:RANG 1e-06;:SENS:CURR:NPLC 1;:SYST:AZER:STAT ONCE;:SYST:AZER:STAT OFF",
                None,
            ),
            (":SOUR:VOLT:MODE FIX;:SOUR:VOLT 0.02", None),
            (":TRAC:FEED:CONT NEV;:TRIG:COUN 1", None),
            (":READ?", "+2.000000E-02,+4.000000E-11,+9.910000E+37,+1.0E+00,+0.000000E+00"),
            (":SOUR:VOLT:MODE FIX;:SOUR:VOLT 0", None),
            (
                ":SENS:CURR:RANG 0.0001;:SENS:CURR:NPLC 0.05;"
                ":SYST:AZER:STAT ONCE;:SYST:AZER:STAT OFF",
                None,
            ),
        ],
    ) as driver:
        smu = make_smu(Keithley2400Smu, driver, APERTURE)
        smu.settings["current_range_A"] = 1e-6
        assert smu.resolving_range(10e-9) is None
        smu.settings["current_range_A"] = 1e-4
        assert smu.resolving_range(10e-9) == 1e-6
        reading = smu.read_resolved(0.02, 1e-6, 1.0, clock.sleep)
    assert reading.i[0] == pytest.approx(4e-11) and not reading.limit[0]
