"""Exact command sequences of the 33500B and 33220A drivers (pymeasure expected_protocol).

Sources: OSG = Keysight 33500 Series Operating and Service Guide, SCPI Programming
Reference (page); UG = Agilent 33220A User's Guide, chapter 4 (page). Compound messages
follow the relative-node rule (IEEE 488.2 7.6.1, SCPI-99 6.2.4): after ``;`` a header without
a leading colon continues from the previous node.
"""

import pytest
from conftest import NO_ERROR_SCPI
from pymeasure.test import expected_protocol

from bmrlab.config import Limits
from bmrlab.errors import BadInput
from bmrlab.instruments.agilent33220a import Agilent33220A
from bmrlab.instruments.keysight33500b import Keysight33500B
from bmrlab.instruments.pulse_generator import PulseGenerator
from bmrlab.safety import Guard, SafetyViolation


def configure_bursts(load="INF", source="BUS"):
    """What both models receive at connect, before the timing is read back."""
    return [
        ("OUTP OFF", None),  # OSG/UG OUTPut
        ("*RST", None),  # IEEE 488.2; the output stays off
        (f"OUTP:LOAD {load}", None),  # OSG p.62 OUTPut:LOAD; UG OUTPut:LOAD
        ("OUTP:POL NORM", None),  # OSG/UG OUTPut:POLarity
        ("FUNC PULS", None),  # OSG/UG FUNCtion PULSe
        ("FUNC:PULS:TRAN MIN", None),  # OSG FUNCtion:PULSe:TRANsition[:BOTH]; UG p.192
        ("BURS:MODE TRIG;NCYC 1;STAT ON", None),  # BURSt:MODE, :NCYCles, :STATe
        (f"TRIG:SOUR {source};DEL 0", None),
    ]  # TRIGger:SOURce, TRIGger:DELay


def configure_33500b(load="INF", source="BUS"):
    return [
        *configure_bursts(load, source),
        ("FUNC:PULS:PER?", "+1.000000000000000E-03"),  # OSG FUNCtion:PULSe:PERiod
        ("FUNC:PULS:WIDT?", "+1.000000000000000E-04"),  # OSG FUNCtion:PULSe:WIDTh
        NO_ERROR_SCPI,
    ]


def generator(driver, load="INF", trigger="bus"):
    pulses = PulseGenerator(
        driver, Guard(Limits()), load=load, series_resistor=1e3, trigger=trigger
    )
    pulses.configure()
    return pulses


def test_33500b_single_pulse_programmed_with_the_output_off_then_bus_triggered():
    with expected_protocol(
        Keysight33500B,
        [
            *configure_33500b(),
            ("OUTP OFF", None),
            ("VOLT:LOW 0;HIGH 0.1", None),  # OSG VOLTage:LOW, :HIGH; low 0 < high: no conflict
            ("FUNC:PULS:PER 4.000000e-02", None),  # longer than the old period: period first
            ("FUNC:PULS:WIDT 2.000000e-02", None),
            ("BURS:NCYC 1", None),
            NO_ERROR_SCPI,
            ("OUTP ON", None),
            ("*TRG", None),
            ("*TRG", None),  # the same pulse again: nothing reprogrammed
            ("OUTP OFF", None),
        ],
    ) as driver:
        pulses = generator(driver)
        assert pulses.single(0.1, 20e-3) == pytest.approx(20e-3)
        pulses.single(0.1, 20e-3)
        pulses.safe_off()


def test_33500b_paired_pulse_is_a_burst_of_two():
    with expected_protocol(
        Keysight33500B,
        [
            *configure_33500b(),
            ("OUTP OFF", None),
            ("VOLT:LOW 0;HIGH 0.1", None),
            ("FUNC:PULS:PER 6.000000e-03", None),
            ("FUNC:PULS:WIDT 1.000000e-03", None),
            ("BURS:NCYC 2", None),
            NO_ERROR_SCPI,
            ("OUTP ON", None),
            ("*TRG", None),
        ],
    ) as driver:
        assert generator(driver).paired(0.1, 1e-3, 5e-3) == pytest.approx(7e-3)


def test_33500b_short_period_after_a_long_one_writes_the_width_first():
    with expected_protocol(
        Keysight33500B,
        [
            *configure_33500b(),
            ("OUTP OFF", None),
            ("VOLT:LOW 0;HIGH 0.2", None),
            ("FUNC:PULS:WIDT 1.000000e-04", None),
            ("FUNC:PULS:PER 2.000000e-04", None),
            ("BURS:NCYC 10", None),
            NO_ERROR_SCPI,
            ("OUTP ON", None),
        ],
    ) as driver:
        pulses = generator(driver)
        pulses.driver.timing = (1.0, 0.5)  # left by an earlier long pulse
        pulses.arm(0.2, 100e-6, 200e-6, 10)


def test_a_longer_period_is_written_first_even_when_the_old_width_fits_it():
    """Old (1 ms, 0.9 ms), new (0.95 ms, 0.1 ms): width first (0.1 ms fits 1 ms), then the
    period; writing the period first would put 0.9 ms into 0.95 ms, within the edge-time
    terms of the width-period rule (OSG p.69, UG p.192)."""
    with expected_protocol(
        Keysight33500B,
        [
            *configure_33500b(),
            ("OUTP OFF", None),
            ("VOLT:LOW 0;HIGH 0.1", None),
            ("FUNC:PULS:WIDT 1.000000e-04", None),
            ("FUNC:PULS:PER 9.500000e-04", None),
            ("BURS:NCYC 1", None),
            NO_ERROR_SCPI,
            ("OUTP ON", None),
        ],
    ) as driver:
        pulses = generator(driver)
        pulses.driver.timing = (1e-3, 0.9e-3)
        pulses.arm(0.1, 100e-6, 0.95e-3, 1)


def test_the_33220a_is_not_asked_for_options():
    with expected_protocol(
        Agilent33220A,
        [
            ("*IDN?", "Agilent Technologies,33220A,MY44012345,2.07-2.06-22-2"),
            ("OUTP:LOAD?", "+5.000000000000000E+01"),
            ("TRIG:SOUR?", "EXT"),
        ],
    ) as driver:
        facts = driver.instrument_facts()
    assert facts["options"] == "" and facts["model"] == "33220A"
    assert facts["load"] == "+5.000000000000000E+01"


def test_instrument_facts_are_queries_only():
    with expected_protocol(
        Keysight33500B,
        [
            ("*IDN?", "Agilent Technologies,33522B,MY52345678,3.05-1.19-2.00-52-00"),
            ("*OPT?", "MEM,IQP"),
            ("OUTP:LOAD?", "9.9E+37"),
            ("TRIG:SOUR?", "BUS"),
        ],
    ) as driver:
        facts = PulseGenerator(
            driver, Guard(Limits()), load="INF", series_resistor=1e3
        ).instrument_facts()
    assert facts == {
        "identity": "Agilent Technologies,33522B,MY52345678,3.05-1.19-2.00-52-00",
        "model": "33522B",
        "serial": "MY52345678",
        "firmware": "3.05-1.19-2.00-52-00",
        "options": "MEM,IQP",
        "load": "9.9E+37",
        "trigger_source": "BUS",
    }


def test_50_ohm_setting_programs_half_the_level_the_device_must_see():
    with expected_protocol(
        Keysight33500B,
        [
            *configure_33500b(load="50", source="EXT"),
            ("OUTP OFF", None),
            ("VOLT:LOW 0;HIGH 0.05", None),
            ("FUNC:PULS:PER 2.000000e-02", None),
            ("FUNC:PULS:WIDT 1.000000e-02", None),
            ("BURS:NCYC 1", None),
            NO_ERROR_SCPI,
            ("OUTP ON", None),
        ],
    ) as driver:
        generator(driver, load="50", trigger="external").arm(0.1, 10e-3)


def test_33220a_writes_nanosecond_timing_in_full_precision():
    """pymeasure 0.16 sends 50 ns as 0.000000 (%f); this driver sends 5e-08."""
    with expected_protocol(
        Agilent33220A,
        [
            *configure_bursts(),
            ("PULS:PER?", "+1.000000000000000E-03"),  # UG PULSe:PERiod
            ("FUNC:PULS:WIDT?", "+1.000000000000000E-04"),  # UG FUNCtion:PULSe:WIDTh
            NO_ERROR_SCPI,
            ("OUTP OFF", None),
            ("VOLT:LOW 0;HIGH 0.1", None),
            ("FUNC:PULS:WIDT 5e-08", None),
            ("PULS:PER 2e-07", None),
            ("BURS:NCYC 3", None),
            NO_ERROR_SCPI,
            ("OUTP ON", None),
        ],
    ) as driver:
        pulses = PulseGenerator(
            driver, Guard(Limits(min_pulse_width=20e-9)), load="INF", series_resistor=0.0
        )
        pulses.configure()
        pulses.arm(0.1, 50e-9, 200e-9, 3)


def test_levels_beyond_the_station_limit_or_too_short_are_refused_before_sending():
    with pytest.raises(BadInput, match=r"at least 0\.02 V"):  # known without connecting
        PulseGenerator.check(Guard(Limits()), Agilent33220A, "pulse_v", 0.01, 1e-3)
    with expected_protocol(Keysight33500B, configure_33500b()) as driver:
        pulses = generator(driver)
        with pytest.raises(SafetyViolation):
            pulses.arm(0.6, 10e-3)
        with pytest.raises(SafetyViolation):
            pulses.arm(0.1, 10e-6)
        with pytest.raises(SafetyViolation):
            pulses.arm(-0.1, 10e-3)  # generator pulses go up from 0 V
        with pytest.raises(BadInput, match=r"pulse_level = 0\.7"):
            PulseGenerator.check(pulses.guard, Keysight33500B, "pulse_level", 0.7, 10e-3)
