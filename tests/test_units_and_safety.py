"""Parsing of quantities and the safety guard, with property-based checks."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bmrlab.config import Limits
from bmrlab.errors import BadInput
from bmrlab.safety import Guard, SafetyViolation
from bmrlab.units import parse_quantity

PREFIXES = {"p": 1e-12, "n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1.0, "k": 1e3}


@pytest.mark.parametrize(
    "text, unit, value",
    [
        ("800mV", "V", 0.8),
        ("0.8", "V", 0.8),
        ("1 uA", "A", 1e-6),
        ("1µA", "A", 1e-6),
        ("20ms", "s", 0.02),
        ("100us", "s", 1e-4),
        ("-20 mV", "V", -0.02),
        (3, "V", 3.0),
        ("1e-6", "A", 1e-6),
    ],
)
def test_quantities(text, unit, value):
    assert parse_quantity(text, unit) == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize("text", ["nan", "inf", "abc", "5mA", "5m", "", True, None, "1 V V"])
def test_refused_quantities(text):
    with pytest.raises(ValueError):
        parse_quantity(text, "V")


@given(st.integers(-(10**6), 10**6), st.sampled_from(sorted(PREFIXES)))
def test_prefix_scales_exactly(mantissa, prefix):
    assert parse_quantity(f"{mantissa}{prefix}V", "V") == pytest.approx(
        mantissa * PREFIXES[prefix], rel=1e-12
    )


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_parse_never_returns_a_non_finite_number(x):
    try:
        assert math.isfinite(parse_quantity(x, "V"))
    except ValueError:
        pass


GUARD = Guard(Limits(max_voltage=0.5, max_step=0.01))


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32), min_size=1, max_size=50))
def test_guard_passes_only_finite_levels_within_the_limit(levels):
    ok = all(math.isfinite(v) and abs(v) <= 0.5 for v in levels)
    if ok:
        assert GUARD.levels(levels).tolist() == pytest.approx(levels)
    else:
        with pytest.raises(SafetyViolation):
            GUARD.levels(levels)


@given(st.floats(-0.5, 0.5), st.floats(-0.5, 0.5))
def test_ramps_never_step_more_than_max_step(start, stop):
    steps = GUARD.ramp(start, stop)
    assert steps[-1] == pytest.approx(stop)
    assert np.max(np.abs(np.diff(np.r_[start, steps]))) <= 0.01 + 1e-12


def test_parameter_refusals_name_the_parameter_value_and_limit():
    with pytest.raises(BadInput, match=r"v_max = 0.8 V .* 0.5 V"):
        GUARD.check_voltage("v_max", 0.8)
    with pytest.raises(BadInput, match="compliance"):
        GUARD.check_compliance("compliance", 0.0)
    with pytest.raises(BadInput, match="width"):
        GUARD.check_pulse_width("width", 1e-6)
    GUARD.check_voltage("v_max", -0.5)


def test_source_range_is_the_smallest_that_covers_the_run():
    ranges = (0.02, 0.2, 2.0)
    assert Guard.source_range(0.15, ranges) == 0.2
    assert Guard.source_range(0.02, ranges) == 0.02
    with pytest.raises(SafetyViolation):
        Guard.source_range(5.0, ranges)
