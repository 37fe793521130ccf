"""Property-based tests (hypothesis) of the parsers, validators and the guard: whatever a
person types, the answer is a correct number, a BadInput/ValueError naming it, or a
refusal, never a crash or a value beyond the limits."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bmrlab.config import Limits, StationConfig
from bmrlab.device import DeviceFile
from bmrlab.errors import BadInput
from bmrlab.safety import Guard, SafetyViolation
from bmrlab.units import PREFIXES, format_quantity, parse_quantity
from bmrlab.validation import validate

FAST = settings(max_examples=200, deadline=None)
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@FAST
@given(x=finite, prefix=st.sampled_from(sorted(PREFIXES)))
def test_a_number_with_a_prefix_and_unit_is_its_si_value(x, prefix):
    text = f"{x!r}{prefix}V"
    assert parse_quantity(text, "V") == pytest.approx(
        x * 10.0 ** PREFIXES[prefix], rel=1e-12, abs=1e-300
    )


@FAST
@given(x=st.floats(min_value=1e-13, max_value=1e9))
def test_formatting_then_parsing_gives_the_value_back(x):
    assert parse_quantity(format_quantity(x, "A", digits=8), "A") == pytest.approx(x, rel=1e-6)


@FAST
@given(text=st.text(max_size=12))
def test_any_text_parses_or_is_refused_with_a_value_error(text):
    try:
        value = parse_quantity(text, "V")
    except ValueError as error:
        assert str(error)
    else:
        assert math.isfinite(value)


limit_values = st.one_of(
    finite,
    st.just(float("nan")),
    st.just(float("inf")),
    st.text(max_size=6),
    st.none(),
    st.lists(finite, max_size=2),
)


@FAST
@given(
    voltage=limit_values,
    compliance=limit_values,
    step=limit_values,
    extra=st.dictionaries(st.text(min_size=1, max_size=5), finite, max_size=1),
)
def test_station_files_validate_or_name_every_problem(voltage, compliance, step, extra):
    data = {
        "instruments": {"smu": {"model": "keithley2450", "resource": "USB0::1::INSTR"}},
        "limits": {"max_voltage": voltage, "max_compliance": compliance, "max_step": step, **extra},
    }
    try:
        config = validate(StationConfig, data, "station.yaml")
    except BadInput as error:
        assert error.problems and all(p.startswith("station.yaml: ") for p in error.problems)
    else:
        limits = config.limits
        assert 0 < limits.max_voltage <= 20 and math.isfinite(limits.max_voltage)
        assert 0 < limits.max_compliance <= 0.1 and limits.max_step > 0


@FAST
@given(
    figures=st.dictionaries(
        st.sampled_from(["vset_mV", "on_off_ratio", "delay_ms", "retention_ms", "colour"]),
        limit_values,
        max_size=3,
    )
)
def test_device_files_validate_or_name_every_problem(figures):
    try:
        device = validate(DeviceFile, {"name": "d", "published": figures}, "d.yaml")
    except BadInput as error:
        assert error.problems and all(p.startswith("d.yaml: ") for p in error.problems)
    else:
        for key, value in device.published_figures().items():
            assert key == "volatile" or (math.isfinite(value) and value > 0), key


@FAST
@given(
    levels=st.lists(
        st.floats(allow_nan=True, allow_infinity=True, width=32), min_size=1, max_size=50
    ),
    limit=st.floats(min_value=0.01, max_value=10),
)
def test_the_guard_passes_only_finite_levels_within_the_limit(levels, limit):
    guard = Guard(Limits(max_voltage=limit))
    try:
        passed = guard.levels(levels)
    except SafetyViolation:
        assert any(not math.isfinite(v) or abs(v) > limit for v in levels)
    else:
        assert np.all(np.isfinite(passed)) and np.max(np.abs(passed)) <= limit


@FAST
@given(
    start=st.floats(-0.5, 0.5),
    stop=st.floats(-0.5, 0.5),
    step=st.floats(min_value=1e-4, max_value=0.1),
)
def test_ramps_never_step_more_than_max_step_and_end_at_the_target(start, stop, step):
    ramp = Guard(Limits(max_step=step)).ramp(start, stop)
    assert ramp[-1] == pytest.approx(stop)
    assert np.max(np.abs(np.diff(np.r_[start, ramp]))) <= step * (1 + 1e-9)
