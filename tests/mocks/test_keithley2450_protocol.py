"""Exact command sequences of the Keithley 2450 driver (pymeasure expected_protocol).

Each sequence is what bmrlab sends to a real 2450. Sources: RM = Model 2450 Reference
Manual 2450-901-01 Rev. B, section 6 (page); WH = Keithley's help page for the same setting
(tektronix/tsp-toolkit-webhelp, WebHelpDocs/2450/<id>.htm).
"""

import numpy as np
import pytest
from conftest import NO_ERROR_SCPI, stop_now
from pymeasure.test import expected_protocol

from bmrlab.errors import InstrumentError, Stopped
from bmrlab.instruments.keithley2450 import Keithley2450, Keithley2450Smu
from bmrlab.instruments.smu import PulseTrain
from bmrlab.safety import SafetyViolation

APERTURE = 0.05 / 60  # nplc 0.05 at 60 Hz; a step is this + 0.2 ms

CONFIGURE = [
    (":ABOR", None),  # RM :ABORt; a running trigger model rejects commands (WH 29803)
    (":OUTP OFF", None),  # RM :OUTPut[1][:STATe]
    ("*RST", None),  # RM appendix B; output off, so range changes stay off the device (WH 29407)
    (":OUTP:VOLT:SMOD ZERO", None),  # RM 6-32
    (":SOUR:FUNC VOLT", None),  # RM :SOURce[1]:FUNCtion
    (":SOUR:VOLT:RANG:AUTO OFF;:SOUR:VOLT:RANG 0.2", None),  # RM :SOURce[1]:<function>:RANGe
    (":SOUR:VOLT:ILIM 1e-06", None),  # RM :SOURce[1]:<function>:<x>LIMit[:LEVel]
    (":SOUR:VOLT:READ:BACK OFF", None),  # RM :SOURce[1]:<function>:READ:BACK; WH 30579
    (":SOUR:VOLT:DEL:AUTO OFF;:SOUR:VOLT:DEL 0", None),  # WH 33143, 29079, ID_SRC_DELAY_BUT
    (':SENS:FUNC "CURR"', None),  # RM [:SENSe[1]]:FUNCtion
    (":SENS:CURR:RANG:AUTO ON", None),  # RM [:SENSe[1]]:<function>:RANGe:AUTO
    (":SENS:CURR:NPLC 0.05", None),  # RM [:SENSe[1]]:<function>:NPLCycles (0.01-10)
    (":SENS:CURR:AZER OFF", None),  # RM 6-46 [:SENSe[1]]:<function>:AZERo; WH 29048, 29727
    (":SENS:COUN 1", None),  # RM [:SENSe[1]]:COUNt; WH 30505
    (":SENS:CURR:AVER OFF", None),  # RM 6-44 [:SENSe[1]]:<function>:AVERage; WH 30066
    (":SENS:CURR:REL:STAT OFF", None),  # RM [:SENSe[1]]:<function>:RELative:STATe; WH 29986
    (':TRAC:POIN 100000, "defbuffer1"', None),  # RM 6-115 :TRACe:POINts; WH 45724
    (":SENS:AZER:ONCE", None),  # RM [:SENSe[1]]:AZERo:ONCE; WH 29049
    (":SOUR:VOLT 0", None),  # RM :SOURce[1]:<function>[:LEVel][:IMMediate][:AMPLitude]
    (":SYST:LFR?", "60"),  # RM :SYSTem:LFRequency?
    (':TRAC:POIN? "defbuffer1"', "100000"),  # RM 6-115: the capacity read back
    NO_ERROR_SCPI,  # RM :SYSTem:ERRor[:NEXT]?
    (":OUTP ON", None),
]

IDLE = (":TRIG:STAT?", "IDLE;IDLE;9")  # RM 6-166 :TRIGger:STATe?


def sweep_start(levels: str, delay: str, passes: int):
    return [
        (f":SOUR:LIST:VOLT {levels}", None),  # RM 6-78
        (':TRAC:CLE "defbuffer1"', None),  # RM :TRACe:CLEar
        # RM :SOURce[1]:SWEep:<function>:LIST; the delay adds to the source delay (WH 31499)
        (f':SOUR:SWE:VOLT:LIST 1, {delay}, {passes}, OFF, "defbuffer1"', None),
        NO_ERROR_SCPI,
        (":INIT", None),
    ]  # RM :INITiate[:IMMediate]


def sweep_end(level: str):
    """After the last reading: wait for the trigger model, then hold ``level`` explicitly."""
    return [IDLE, (f":SOUR:VOLT {level}", None), (":OUTP ON", None)]


def buffer_rows(levels, dt=0.002, limited=()):
    return ",".join(
        f"{k * dt},{v},{v * 1e-5},{160 if k in limited else 128}" for k, v in enumerate(levels)
    )


def test_configure_fixes_the_source_range_before_the_output_goes_on(make_smu):
    with expected_protocol(Keithley2450, CONFIGURE) as driver:
        smu = make_smu(Keithley2450Smu, driver)
        smu.configure(max_abs_v=0.15, compliance=1e-6, nplc=0.05)
    assert smu.settings["source_range_V"] == 0.2
    assert smu.settings["line_frequency_Hz"] == 60.0
    assert smu.settings["buffer_capacity"] == 100_000
    assert smu.step_time() == pytest.approx(APERTURE + 0.2e-3)


def test_the_buffer_capacity_the_instrument_reports_sizes_the_segments(make_smu, clock):
    """Early firmware keeps 10 000 (RM 6-115): 12 000 readings become two segments."""
    pairs = [(c, "10000" if c.startswith(":TRAC:POIN?") else r) for c, r in CONFIGURE]
    with expected_protocol(
        Keithley2450,
        [
            *pairs,
            *sweep_start("0.001", "0.000966667", 10000),
            (':TRAC:ACT? "defbuffer1"', "10000"),
            (
                ':TRAC:DATA? 1, 10000, "defbuffer1", REL, SOUR, READ, SOURSTAT',
                buffer_rows([0.001] * 10000),
            ),
            *sweep_end("0.001"),
            *sweep_start("0.001", "0.000966667", 2000),
            (':TRAC:ACT? "defbuffer1"', "2000"),
            (
                ':TRAC:DATA? 1, 2000, "defbuffer1", REL, SOUR, READ, SOURSTAT',
                buffer_rows([0.001] * 2000),
            ),
            *sweep_end("0.001"),
        ],
    ) as driver:
        smu = make_smu(Keithley2450Smu, driver)
        smu.configure(max_abs_v=0.15, compliance=1e-6, nplc=0.05)
        assert smu.sweep([0.001], 2e-3, 12000, lambda c: None, clock.sleep) == 12000


def test_configure_with_a_fixed_measure_range(make_smu):
    pairs = list(CONFIGURE)
    pairs[10] = (":SENS:CURR:RANG:AUTO OFF;:SENS:CURR:RANG 1e-08", None)
    with expected_protocol(Keithley2450, pairs) as driver:
        make_smu(Keithley2450Smu, driver).configure(
            max_abs_v=0.15, compliance=1e-6, nplc=0.05, current_range=10e-9
        )


def test_configure_raises_with_the_instruments_own_error(make_smu):
    pairs = CONFIGURE[:-2] + [("SYST:ERR?", '-222,"Data out of range"'), NO_ERROR_SCPI]
    with expected_protocol(Keithley2450, pairs) as driver:
        with pytest.raises(InstrumentError, match="-222"):
            make_smu(Keithley2450Smu, driver).configure(max_abs_v=0.15, compliance=1e-6, nplc=0.05)


def test_configure_refuses_a_compliance_beyond_the_limit_before_sending_it(make_smu):
    with expected_protocol(Keithley2450, []) as driver:
        with pytest.raises(SafetyViolation):
            make_smu(Keithley2450Smu, driver).configure(max_abs_v=0.1, compliance=0.5, nplc=1)


def test_list_upload_goes_in_groups_of_100():
    levels = np.arange(250) * 1e-3
    groups = [",".join(f"{v:.6g}" for v in levels[k : k + 100]) for k in (0, 100, 200)]
    with expected_protocol(
        Keithley2450,
        [
            (f":SOUR:LIST:VOLT {groups[0]}", None),
            (f":SOUR:LIST:VOLT:APP {groups[1]}", None),
            (f":SOUR:LIST:VOLT:APP {groups[2]}", None),
        ],
    ) as driver:
        driver.upload_list(levels)


def test_sweep_runs_on_the_instrument_and_reads_the_buffer_in_chunks(make_smu, clock):
    """Three levels, twice: one list, one start, polls until all six readings are in."""
    with expected_protocol(
        Keithley2450,
        [
            *sweep_start("0,0.001,0", "0.000966667", 2),
            (':TRAC:ACT? "defbuffer1"', "6"),
            (
                ':TRAC:DATA? 1, 6, "defbuffer1", REL, SOUR, READ, SOURSTAT',
                buffer_rows([0, 0.001, 0] * 2, limited=(4,)),
            ),
            *sweep_end("0"),
        ],
    ) as driver:
        chunks = []
        smu = make_smu(Keithley2450Smu, driver, APERTURE)
        assert smu.sweep([0, 0.001, 0], 2e-3, 2, chunks.append, clock.sleep) == 6
    (chunk,) = chunks
    assert chunk.index.tolist() == [0, 1, 2, 3, 4, 5]
    np.testing.assert_allclose(chunk.i[:3], [0, 1e-8, 0])
    assert chunk.limit.tolist() == [False, False, False, False, True, False]


def test_a_long_sweep_is_read_in_chunks_while_it_runs(make_smu, clock):
    levels = [0.001] * 1200
    with expected_protocol(
        Keithley2450,
        [
            (":SOUR:LIST:VOLT " + ",".join(["0.001"] * 100), None),
            *[(":SOUR:LIST:VOLT:APP " + ",".join(["0.001"] * 100), None)] * 11,
            *sweep_start("", "0.000966667", 1)[1:],
            (':TRAC:ACT? "defbuffer1"', "600"),
            (
                ':TRAC:DATA? 1, 600, "defbuffer1", REL, SOUR, READ, SOURSTAT',
                buffer_rows([0.001] * 600),
            ),
            (':TRAC:ACT? "defbuffer1"', "1200"),
            (
                ':TRAC:DATA? 601, 1200, "defbuffer1", REL, SOUR, READ, SOURSTAT',
                buffer_rows([0.001] * 600),
            ),
            *sweep_end("0.001"),
        ],
    ) as driver:
        chunks = []
        make_smu(Keithley2450Smu, driver, APERTURE).sweep(
            levels, 2e-3, 1, chunks.append, clock.sleep
        )
    assert [c.index[0] for c in chunks] == [0, 600]


def test_pulse_train_is_one_period_sourced_count_times(make_smu, clock):
    """Two pulses of 4 ms to 100 mV every 10 ms, sampled every 2 ms (inside the pulse too)."""
    train = PulseTrain(
        level=0.1, width=4e-3, off_level=0.0, period=10e-3, count=2, sample_interval=2e-3
    )
    one_period = [0.1, 0.1, 0, 0, 0]
    with expected_protocol(
        Keithley2450,
        [
            *sweep_start("0.1,0.1,0,0,0", "0.000966667", 2),
            (':TRAC:ACT? "defbuffer1"', "10"),
            (
                ':TRAC:DATA? 1, 10, "defbuffer1", REL, SOUR, READ, SOURSTAT',
                buffer_rows(one_period * 2),
            ),
            *sweep_end("0"),
        ],
    ) as driver:
        chunks = []
        make_smu(Keithley2450Smu, driver, APERTURE).pulse_train(train, chunks.append, clock.sleep)
    pulse, inside = train.pulse_of(chunks[0].index)
    assert pulse.tolist() == [1] * 5 + [2] * 5
    assert inside.tolist() == [True, True, False, False, False] * 2


def test_time_trace_ramps_to_the_bias_then_samples_it(make_smu, clock):
    """20 mV with max_step 10 mV: two host steps, then 3 readings every 1 ms on the
    instrument."""
    with expected_protocol(
        Keithley2450,
        [
            (":SOUR:VOLT 0.01", None),
            (":SOUR:VOLT 0.02", None),
            *sweep_start("0.02", "0", 3),
            (':TRAC:ACT? "defbuffer1"', "3"),
            (
                ':TRAC:DATA? 1, 3, "defbuffer1", REL, SOUR, READ, SOURSTAT',
                buffer_rows([0.02] * 3, dt=1e-3),
            ),
            *sweep_end("0.02"),
        ],
    ) as driver:
        smu = make_smu(Keithley2450Smu, driver, APERTURE)
        smu._aperture = 0.8e-3  # a 1 ms step: 0.8 ms aperture + 0.2 ms overhead
        smu.time_trace(0.02, 1e-3, 3, lambda c: None, clock.sleep)
    assert smu.level == 0.02


@pytest.mark.parametrize("dwell, delay", [(1.02e-3, "0"), (1.03e-3, "5e-05")])
def test_a_sweep_delay_below_50_us_is_rounded_to_0_or_50_us(make_smu, clock, dwell, delay):
    """The 2450 takes 0 or 50 us to 10 000 s; with 1.0 ms readings a 1.02 ms step becomes
    1.0 ms and a 1.03 ms step 1.05 ms."""
    with expected_protocol(
        Keithley2450,
        [
            *sweep_start("0.01", delay, 2),
            (':TRAC:ACT? "defbuffer1"', "2"),
            (':TRAC:DATA? 1, 2, "defbuffer1", REL, SOUR, READ, SOURSTAT', buffer_rows([0.01] * 2)),
            *sweep_end("0.01"),
        ],
    ) as driver:
        smu = make_smu(Keithley2450Smu, driver, 0.8e-3)
        smu.sweep([0.01], dwell, 2, lambda c: None, clock.sleep)


def test_single_read_at_a_level_then_back_to_the_held_bias(make_smu):
    with expected_protocol(
        Keithley2450,
        [
            (":SOUR:VOLT 0.02", None),
            (':READ? "defbuffer1", SOUR, READ, SOURSTAT', "2.0e-02,3.0e-10,128"),
            (":SOUR:VOLT 0", None),
        ],
    ) as driver:
        reading = make_smu(Keithley2450Smu, driver, APERTURE).read(0.02)
    assert reading.i[0] == pytest.approx(3e-10)
    assert not reading.limit[0]


def test_a_new_segment_waits_until_the_trigger_model_is_idle(make_smu, clock):
    """The readings can be complete while the trigger model still runs (RM 6-166: its state
    is checked every 100 ms): nothing is sent until it says IDLE."""
    with expected_protocol(
        Keithley2450,
        [
            *sweep_start("0.01", "0", 1),
            (':TRAC:ACT? "defbuffer1"', "1"),
            (':TRAC:DATA? 1, 1, "defbuffer1", REL, SOUR, READ, SOURSTAT', buffer_rows([0.01])),
            (":TRIG:STAT?", "RUNNING;RUNNING;5"),
            *sweep_end("0.01"),
        ],
    ) as driver:
        smu = make_smu(Keithley2450Smu, driver, 0.8e-3)
        smu.sweep([0.01], 1e-3, 1, lambda c: None, clock.sleep)


def test_a_reading_above_the_fixed_range_is_an_overflow_not_a_current(make_smu, clock):
    """9.9e37 above a fixed range (WH 29407): NaN and the overflow flag."""
    with expected_protocol(
        Keithley2450,
        [
            *sweep_start("0.1,0", "0.000966667", 1),
            (':TRAC:ACT? "defbuffer1"', "2"),
            (
                ':TRAC:DATA? 1, 2, "defbuffer1", REL, SOUR, READ, SOURSTAT',
                "0,0.1,9.9e+37,128,0.002,0,1e-12,128",
            ),
            *sweep_end("0"),
            (":SOUR:VOLT 0.1", None),
            (':READ? "defbuffer1", SOUR, READ, SOURSTAT', "0.1,9.9e+37,128"),
            (":SOUR:VOLT 0", None),
        ],
    ) as driver:
        chunks = []
        smu = make_smu(Keithley2450Smu, driver, APERTURE)
        smu.sweep([0.1, 0], 2e-3, 1, chunks.append, clock.sleep)
        reading = smu.read(0.1)
    assert chunks[0].overflow.tolist() == [True, False]
    assert np.isnan(chunks[0].i[0]) and chunks[0].i[1] == 1e-12
    assert reading.overflow[0] and np.isnan(reading.i[0])


def test_instrument_facts_are_queries_only(make_smu):
    with expected_protocol(
        Keithley2450,
        [
            ("*IDN?", "KEITHLEY INSTRUMENTS,MODEL 2450,04412345,1.7.12b"),
            (":SYST:LFR?", "50"),
            (':TRAC:POIN? "defbuffer1"', "100000"),
            (":SOUR:VOLT:DEL:AUTO?", "0"),
            (":SOUR:VOLT:DEL?", "0.000000E+00"),
            (":SENS:CURR:AZER?", "0"),
        ],
    ) as driver:
        facts = make_smu(Keithley2450Smu, driver).instrument_facts()
    assert facts == {
        "identity": "KEITHLEY INSTRUMENTS,MODEL 2450,04412345,1.7.12b",
        "model": "MODEL 2450",
        "serial": "04412345",
        "firmware": "1.7.12b",
        "options": "",
        "line_frequency_Hz": 50.0,
        "buffer_capacity": 100000,
        "source_delay_s": 0.0,
        "autozero": "off",
        "nplc_range": (0.01, 10.0),
    }


def test_a_sweep_that_never_starts_fails_with_the_instruments_own_error(make_smu, clock):
    """No reading long after the sweep should have ended: the error queue says why."""
    with expected_protocol(
        Keithley2450,
        [
            *sweep_start("0.01", "0", 1),
            (':TRAC:ACT? "defbuffer1"', "0"),
            ("SYST:ERR?", '-285,"Program syntax error"'),
            NO_ERROR_SCPI,
            (":ABOR", None),
            (":SOUR:VOLT 0", None),
            (":OUTP OFF", None),
            (':TRAC:ACT? "defbuffer1"', "0"),
        ],
    ) as driver:
        with pytest.raises(InstrumentError, match="-285"):
            make_smu(Keithley2450Smu, driver, 0.8e-3).sweep(
                [0.01], 1e-3, 1, lambda c: None, lambda s: clock.sleep(100.0)
            )


def test_sweep_stopped_on_request_goes_safe_then_keeps_what_was_measured(make_smu):
    chunks = []
    with expected_protocol(
        Keithley2450,
        [
            *sweep_start("0,0.001,0", "0.000966667", 1),
            (":ABOR", None),
            (":SOUR:VOLT 0", None),
            (":OUTP OFF", None),
            (':TRAC:ACT? "defbuffer1"', "2"),
            (':TRAC:DATA? 1, 2, "defbuffer1", REL, SOUR, READ, SOURSTAT', buffer_rows([0, 0.001])),
        ],
    ) as driver:
        with pytest.raises(Stopped):
            make_smu(Keithley2450Smu, driver, APERTURE).sweep(
                [0, 0.001, 0], 2e-3, 1, chunks.append, stop_now
            )
    assert chunks[0].index.tolist() == [0, 1]


def test_shutdown_stops_the_trigger_model_then_zero_volts_then_output_off(make_smu):
    with expected_protocol(
        Keithley2450, [(":ABOR", None), (":SOUR:VOLT 0", None), (":OUTP OFF", None)]
    ) as driver:
        make_smu(Keithley2450Smu, driver).safe_off()


def test_sweep_refuses_a_level_beyond_the_limit_before_sending_anything(make_smu):
    with expected_protocol(Keithley2450, []) as driver:
        with pytest.raises(SafetyViolation):
            make_smu(Keithley2450Smu, driver, APERTURE).sweep(
                [0, 0.6], 2e-3, 1, lambda c: None, stop_now
            )


def test_a_pulse_shorter_than_the_station_allows_is_refused_before_sending(make_smu):
    train = PulseTrain(
        level=0.1, width=50e-6, off_level=0.0, period=100e-6, count=1, sample_interval=50e-6
    )
    with expected_protocol(Keithley2450, []) as driver:
        with pytest.raises(SafetyViolation):
            make_smu(Keithley2450Smu, driver, 40e-6).pulse_train(train, lambda c: None, stop_now)


def test_a_resolved_read_changes_only_the_measure_range_and_aperture(make_smu, clock):
    """The HRS read of endurance: measure range and aperture set with the output on (a
    measure setting that takes effect at once, WH 29407; references refreshed for the new
    aperture, WH 29049), the level held for the 10 nA range's settling (the 50 ms autodelay,
    ID_SRC_DELAY_BUT), one reading, then the held level and the run's range and aperture."""
    with expected_protocol(
        Keithley2450,
        [
            (":SENS:CURR:RANG 1e-08;:SENS:CURR:NPLC 1;:SENS:AZER:ONCE", None),
            (":SOUR:VOLT 0.02", None),
            (':READ? "defbuffer1", SOUR, READ, SOURSTAT', "2.0e-02,4.0e-13,0"),
            (":SOUR:VOLT 0", None),
            (":SENS:CURR:RANG 1e-06;:SENS:CURR:NPLC 0.05;:SENS:AZER:ONCE", None),
        ],
    ) as driver:
        smu = make_smu(Keithley2450Smu, driver, APERTURE)
        smu.settings["current_range_A"] = 1e-6
        assert smu.resolving_range(10e-9) == 10e-9 and smu.resolving_range(3e-9) == 10e-9
        start = clock.now()
        reading = smu.read_resolved(0.02, 10e-9, 1.0, clock.sleep)
    assert clock.now() - start == pytest.approx(0.05)
    assert reading.i[0] == pytest.approx(4e-13) and not reading.overflow[0]


def test_no_resolved_read_without_a_finer_fixed_range(make_smu):
    with expected_protocol(Keithley2450, []) as driver:
        smu = make_smu(Keithley2450Smu, driver, APERTURE)
        smu.settings["current_range_A"] = "auto"
        assert smu.resolving_range(10e-9) is None
        smu.settings["current_range_A"] = 10e-9
        assert smu.resolving_range(10e-9) is None
