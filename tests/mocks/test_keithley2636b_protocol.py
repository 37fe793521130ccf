"""Exact TSP sequences of the Keithley 2636B driver (pymeasure expected_protocol).

Sources: WH = Keithley's 2600B help page (tektronix/tsp-toolkit-webhelp,
WebHelpDocs/2600B/<id>.htm), the same text as the 2600B Reference Manual section 9.
"""

import numpy as np
import pytest
from conftest import stop_now
from pymeasure.test import expected_protocol

from bmrlab.errors import InstrumentError, Stopped
from bmrlab.instruments.keithley2636b import (
    HELPER_SCRIPT,
    Keithley2636B,
    Keithley2636BSmu,
    timestamp_resolution,
)
from bmrlab.instruments.smu import PulseTrain

APERTURE = 0.05 / 60  # a step is this + 0.05 ms
NO_ERROR = ("print(errorqueue.next())", "0.00000e+00\tQueue Is Empty\t0.00000e+00\t0.00000e+00")
BUFFER = "smua.nvbuffer1"
PRINTBUFFER = (
    f"printbuffer({{}}, {{}}, {BUFFER}.timestamps, {BUFFER}.sourcevalues, "
    f"{BUFFER}.readings, {BUFFER}.statuses)"
)

CONFIGURE = [
    ("smua.abort() smua.source.output = smua.OUTPUT_OFF", None),  # WH 15088
    ("smua.reset()", None),  # WH 15136: output off, smua.* defaults
    *((line, None) for line in HELPER_SCRIPT),  # WH 16481 loadscript/endscript
    ("format.data = format.ASCII format.asciiprecision = 14", None),  # WH 14797 (default 6)
    # WH 15150 offmode
    ("smua.source.func = smua.OUTPUT_DCVOLTS smua.source.offmode = smua.OUTPUT_ZERO", None),
    ("smua.source.autorangev = smua.AUTORANGE_OFF smua.source.rangev = 0.2", None),
    ("smua.source.limiti = 1e-06", None),
    ("smua.source.delay = 0", None),  # WH 15142
    ("smua.measure.nplc = 0.05 smua.measure.autorangei = smua.AUTORANGE_ON", None),  # WH 15119
    # WH 15111 measure.delay, 15106 analogfilter (on after reset, ~1 Hz on 1 nA/100 pA)
    (
        "smua.measure.delay = 0 smua.measure.count = 1 "
        "smua.measure.filter.enable = smua.FILTER_OFF smua.measure.analogfilter = 0",
        None,
    ),
    ("smua.trigger.source.limiti = smua.LIMIT_AUTO", None),  # WH 15179
    ("smua.measure.autozero = smua.AUTOZERO_ONCE", None),  # WH 15108
    ("bmr_buffer_empty(1e-06)", None),  # collect flags set: WH 15129 capacity depends on them
    ("smua.source.levelv = 0", None),
    ("print(localnode.linefreq)", "6.00000e+01"),  # WH 15012
    (f"print({BUFFER}.capacity)", "6.49780000000000e+04"),  # WH 15129, a query only
    NO_ERROR,  # WH 17242
    ("smua.source.output = smua.OUTPUT_ON", None),
]


def sweep_start(levels: str, count: int, period: str, delay: str, points: int, resolution="1e-06"):
    return [
        ("bmr_list_clear()", None),
        (f"bmr_list_append({{{levels}}}, {count})", None),
        (f"bmr_sweep_arm({period}, {delay}, {points}, {resolution})", None),
        NO_ERROR,
        ("smua.trigger.initiate()", None),
    ]  # WH 15168


def sweep_end(level: str):
    return [
        ("waitcomplete()", None),
        (f"smua.source.levelv = {level}", None),
        ("smua.source.output = smua.OUTPUT_ON", None),
    ]


def printed(levels, limited=()):
    return ", ".join(
        f"{k * 0.002:.5e}, {v:.5e}, {v * 1e-5:.5e}, {64 if k in limited else 0}"
        for k, v in enumerate(levels)
    )


def test_configure_resets_then_loads_the_helper_script_and_fixes_the_range_first(make_smu):
    with expected_protocol(Keithley2636B, CONFIGURE) as driver:
        smu = make_smu(Keithley2636BSmu, driver)
        smu.configure(max_abs_v=0.15, compliance=1e-6, nplc=0.05)
    assert smu.settings["source_range_V"] == 0.2
    assert smu.settings["buffer_capacity"] == 64978


def test_timestamps_stay_unique_over_long_sweeps():
    """1 us resolution gives 71 min of unique timestamps (WH 15135); a longer sweep gets the
    next power of two."""
    assert timestamp_resolution(60.0) == 1e-6
    assert timestamp_resolution(5000 * 1.0) == 2e-6
    assert timestamp_resolution(50_000 * 0.1) == 2e-6
    assert timestamp_resolution(3 * 3600.0) == 4e-6


def test_the_helper_script_is_lua_5_0(make_smu):
    """The 2600B runs Lua 5.0: no '#' length operator, no '...' varargs."""
    script = "\n".join(HELPER_SCRIPT)
    assert "#" not in script and "..." not in script


def test_configure_raises_with_the_instruments_own_error(make_smu):
    pairs = CONFIGURE[:-2] + [
        ("print(errorqueue.next())", "-2.86000e+02\tTSP Runtime error\t2.00000e+00\t0.00000e+00"),
        NO_ERROR,
    ]
    with expected_protocol(Keithley2636B, pairs) as driver:
        with pytest.raises(InstrumentError, match="TSP Runtime error"):
            make_smu(Keithley2636BSmu, driver).configure(max_abs_v=0.15, compliance=1e-6, nplc=0.05)


def test_timer_paced_sweep_read_in_chunks_with_printbuffer(make_smu, clock):
    with expected_protocol(
        Keithley2636B,
        [
            *sweep_start("0,0.001,0", 3, "0.002", "0.00111667", 6),
            (f"print({BUFFER}.n)", "6.00000e+00"),
            (PRINTBUFFER.format(1, 6), printed([0, 0.001, 0] * 2, limited=(1,))),
            *sweep_end("0"),
        ],
    ) as driver:
        chunks = []
        make_smu(Keithley2636BSmu, driver, APERTURE).sweep(
            [0, 0.001, 0], 2e-3, 2, chunks.append, clock.sleep
        )
    (chunk,) = chunks
    np.testing.assert_allclose(chunk.v, [0, 0.001, 0] * 2)
    assert chunk.limit.tolist() == [False, True, False, False, False, False]


def test_pulse_train_and_time_trace(make_smu, clock):
    train = PulseTrain(
        level=0.1, width=2e-3, off_level=0.0, period=6e-3, count=2, sample_interval=2e-3
    )
    with expected_protocol(
        Keithley2636B,
        [
            *sweep_start("0.1,0,0", 3, "0.002", "0.00111667", 6),
            (f"print({BUFFER}.n)", "6.00000e+00"),
            (PRINTBUFFER.format(1, 6), printed([0.1, 0, 0] * 2)),
            *sweep_end("0"),
            ("smua.source.levelv = 0.01", None),
            *sweep_start("0.01", 1, "0.001", "0.000116667", 4),
            (f"print({BUFFER}.n)", "4.00000e+00"),
            (PRINTBUFFER.format(1, 4), printed([0.01] * 4)),
            *sweep_end("0.01"),
        ],
    ) as driver:
        smu = make_smu(Keithley2636BSmu, driver, APERTURE)
        smu.pulse_train(train, lambda c: None, clock.sleep)
        smu.time_trace(0.01, 1e-3, 4, lambda c: None, clock.sleep)


def test_a_reading_above_a_fixed_range_is_an_overflow(make_smu):
    with expected_protocol(
        Keithley2636B,
        [
            ("smua.source.levelv = 0.1", None),
            (
                "i, v = smua.measure.iv() print(i, v, smua.source.compliance)",
                "9.91000000000000e+37\t1.00000000000000e-01\tfalse",
            ),
            ("smua.source.levelv = 0", None),
        ],
    ) as driver:
        reading = make_smu(Keithley2636BSmu, driver, APERTURE).read(0.1)
    assert reading.overflow[0] and np.isnan(reading.i[0])


def test_instrument_facts_are_queries_only(make_smu):
    with expected_protocol(
        Keithley2636B,
        [
            ("*IDN?", "Keithley Instruments Inc., Model 2636B, 4321234, 3.2.2"),
            ("print(localnode.linefreq)", "5.00000000000000e+01"),
            (f"print({BUFFER}.capacity)", "6.49780000000000e+04"),
            ("print(smua.source.delay)", "0.00000000000000e+00"),
            ("print(smua.measure.autozero)", "0.00000000000000e+00"),
        ],
    ) as driver:
        facts = make_smu(Keithley2636BSmu, driver).instrument_facts()
    assert facts["model"] == "Model 2636B" and facts["firmware"] == "3.2.2"
    assert facts["buffer_capacity"] == 64978 and facts["autozero"] == "off"
    assert facts["source_delay_s"] == 0.0
    assert facts["nplc_range"] == (0.001, 25.0)


def test_single_read_measures_current_voltage_and_compliance(make_smu):
    with expected_protocol(
        Keithley2636B,
        [
            ("smua.source.levelv = 0.02", None),
            (
                "i, v = smua.measure.iv() print(i, v, smua.source.compliance)",
                "2.50000e-10\t2.00000e-02\tfalse",
            ),
            ("smua.source.levelv = 0", None),
        ],
    ) as driver:
        reading = make_smu(Keithley2636BSmu, driver, APERTURE).read(0.02)
    assert reading.i[0] == pytest.approx(2.5e-10) and reading.v[0] == pytest.approx(0.02)
    assert not reading.limit[0]


def test_stop_aborts_then_shutdown_zero_volts_output_off(make_smu):
    with expected_protocol(
        Keithley2636B,
        [
            *sweep_start("0,0.001", 2, "0.002", "0.00111667", 2),
            ("smua.abort()", None),
            ("smua.source.levelv = 0", None),
            ("smua.source.output = smua.OUTPUT_OFF", None),
            (f"print({BUFFER}.n)", "0.00000e+00"),
            ("smua.abort()", None),
            ("smua.source.levelv = 0", None),
            ("smua.source.output = smua.OUTPUT_OFF", None),
        ],
    ) as driver:
        smu = make_smu(Keithley2636BSmu, driver, APERTURE)
        with pytest.raises(Stopped):
            smu.sweep([0, 0.001], 2e-3, 1, lambda c: None, stop_now)
        smu.safe_off()


def test_a_resolved_read_changes_only_the_measure_range_and_aperture(make_smu, clock):
    """Measure range (15121: takes effect at once with the output on) and aperture, zeroed
    once (15108); the level held for the 10 nA range's settling (< 90 ms, 11687)."""
    with expected_protocol(
        Keithley2636B,
        [
            (
                "smua.measure.rangei = 1e-08 smua.measure.nplc = 1 "
                "smua.measure.autozero = smua.AUTOZERO_ONCE",
                None,
            ),
            ("smua.source.levelv = 0.02", None),
            (
                "i, v = smua.measure.iv() print(i, v, smua.source.compliance)",
                "9.91000e+37\t2.00000e-02\tfalse",
            ),
            ("smua.source.levelv = 0", None),
            (
                "smua.measure.rangei = 1e-06 smua.measure.nplc = 0.05 "
                "smua.measure.autozero = smua.AUTOZERO_ONCE",
                None,
            ),
        ],
    ) as driver:
        smu = make_smu(Keithley2636BSmu, driver, APERTURE)
        smu.settings["current_range_A"] = 1e-6
        assert smu.resolving_range(50e-12) == 100e-12
        start = clock.now()
        reading = smu.read_resolved(0.02, 10e-9, 1.0, clock.sleep)
    assert clock.now() - start == pytest.approx(0.09)
    assert reading.overflow[0] and np.isnan(reading.i[0])  # above the 10 nA range
