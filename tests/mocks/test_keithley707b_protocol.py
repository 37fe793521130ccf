"""Exact TSP sequences of the Keithley 707B driver and the matrix switch over it (pymeasure
expected_protocol).

Sources: Models 707B and 708B Switching Matrix Reference Manual (707B-901-01 Rev. A and
Rev. B), cited by page as [M] 7-24.
"""

import pytest
from pymeasure.test import expected_protocol

from bmrlab.config import Limits
from bmrlab.errors import BadInput, InstrumentError
from bmrlab.instruments.keithley707b import Keithley707B
from bmrlab.safety import Guard, SafetyViolation
from bmrlab.switch import MatrixSwitch

NO_ERROR = ("print(errorqueue.next())", "0\tQueue Is Empty\t0\t1")
CHANNELS = ["1A01", "1A02", "1A03", "1A04"]
PREPARE = [
    ('channel.open("allslots")', None),  # [M] 7-35: every channel open
    ("channel.connectrule = channel.BREAK_BEFORE_MAKE", None),  # [M] 7-20
    ('channel.setdelay("1A01,1A02,1A03,1A04", 0.005)', None),  # [M] 7-44: the user delay
    NO_ERROR,
]


def select(channel: str, closed: str | None = None):
    """exclusiveclose ([M] 7-24: the others open, then it closes, break before make), then
    the closed channels read back: answered once the relay settled and the delay passed."""
    return [
        (f'channel.exclusiveclose("{channel}")', None),
        ('print(channel.getclose("allslots"))', closed or channel),  # [M] 7-27
        NO_ERROR,
    ]


class Source:
    """The SMU as the interlock sees it."""

    def __init__(self, level=0.0, output_on=True):
        self.level, self.output_on = level, output_on


def matrix(instrument, smu=None) -> MatrixSwitch:
    guard = Guard(Limits())
    return MatrixSwitch(
        lambda: instrument, CHANNELS, lambda: guard.check_switching(smu), user_delay=5e-3
    )


def test_a_select_opens_all_then_closes_one_break_before_make_and_waits_for_it():
    with expected_protocol(Keithley707B, PREPARE + select("1A03") + select("1A01")) as k:
        switch = matrix(k, Source(0.0))
        switch.select(2)
        switch.select(0)
        assert switch.selected == 0


def test_release_opens_every_channel_and_checks_none_is_left():
    steps = [('channel.open("allslots")', None), ('print(channel.getclose("allslots"))', "nil")]
    with expected_protocol(Keithley707B, PREPARE + select("1A02") + steps + [NO_ERROR]) as k:
        switch = matrix(k, Source(0.0, output_on=False))
        switch.select(1)
        switch.release()
        assert switch.selected is None


def test_a_relay_moves_only_with_the_smu_at_0v_or_off_and_nothing_is_sent_otherwise():
    with expected_protocol(Keithley707B, []) as k:
        with pytest.raises(SafetyViolation) as refused:
            matrix(k, Source(0.05)).select(1)
    assert str(refused.value) == (
        "refused to switch the matrix with the SMU at 50 mV: a relay moves only at 0 V or "
        "with the output off"
    )
    with expected_protocol(Keithley707B, PREPARE + select("1A04")) as k:
        matrix(k, Source(0.05, output_on=False)).select(3)  # output off: allowed


def test_a_device_beyond_the_channels_is_refused_before_anything_is_sent():
    with expected_protocol(Keithley707B, []) as k:
        with pytest.raises(BadInput, match=r"device c3r4d4: .* reaches d0 to d3"):
            matrix(k).check(4, "c3r4d4")
        with pytest.raises(BadInput):
            matrix(k).select(4)


def test_an_error_or_another_closed_channel_after_a_select_is_raised():
    error = ("print(errorqueue.next())", "-224\tIllegal parameter value\t20\t1")
    steps = [
        ('channel.exclusiveclose("1A02")', None),
        ('print(channel.getclose("allslots"))', "nil"),
        error,
        NO_ERROR,
    ]
    with expected_protocol(Keithley707B, PREPARE + steps) as k:
        with pytest.raises(InstrumentError, match="-224 Illegal parameter value"):
            matrix(k).select(1)
    steps = select("1A02", closed="1A02;1B05")
    with expected_protocol(Keithley707B, PREPARE + steps) as k:
        with pytest.raises(InstrumentError, match="1A02 should be the only closed channel"):
            matrix(k).select(1)


def test_facts_are_queries_only():
    steps = [
        ("*IDN?", "Keithley Instruments Inc., Model 707B, 04089762, 01.40c"),
        ("print(channel.connectrule)", "1"),
        ('print(channel.getclose("allslots"))', "1A01"),
    ]
    with expected_protocol(Keithley707B, steps) as k:
        facts = k.instrument_facts()
    assert facts["model"] == "Model 707B" and facts["connect_rule"] == "break-before-make"
    assert facts["closed_channels"] == "1A01"
