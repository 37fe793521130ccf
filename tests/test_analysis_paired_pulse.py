"""Paired-pulse analysis on synthetic indices with known answers and degenerate data."""

import numpy as np
import pytest

from bmrlab.analysis.paired_pulse import fit_ppf, ppf_index


def test_index_is_a2_over_a1_and_nan_where_a1_is_zero():
    index = ppf_index([1e-12, 0.0, np.nan], [1.3e-12, 1e-12, 1e-12])
    assert index[0] == pytest.approx(1.3) and np.isnan(index[1]) and np.isnan(index[2])


def test_fit_recovers_one_exponential():
    dt = np.logspace(-3, 0, 10)
    fit = fit_ppf(dt, 1 + 0.3 * np.exp(-dt / 0.026))
    assert fit["terms"] == 1
    assert fit["C1"] == pytest.approx(0.3, rel=1e-3)
    assert fit["tau1_ms"] == pytest.approx(26, rel=1e-3)


def test_fit_finds_two_distinct_time_constants():
    dt = np.logspace(-3, 1, 16)
    fit = fit_ppf(dt, 1 + 0.3 * np.exp(-dt / 0.01) + 0.2 * np.exp(-dt / 1.0))
    assert fit["terms"] == 2
    assert fit["tau1_ms"] == pytest.approx(10, rel=0.05) and fit["tau2_ms"] == pytest.approx(
        1000, rel=0.05
    )


def test_fit_needs_three_intervals_and_skips_nan():
    assert fit_ppf([1e-3, 1e-2], [1.3, 1.1]) is None
    assert fit_ppf([1e-3, 1e-2, 1e-1], [1.3, np.nan, 1.0]) is None


def test_pulse_ends_are_found_in_a_trace_and_merged_pulses_are_one():
    from bmrlab.analysis.paired_pulse import pulse_ends

    trace = np.array([0, 0, 1, 1.2, 0, 0, 0, 1.1, 1.5, 0, 0]) * 1e-9
    assert pulse_ends(trace) == [3, 8]
    assert pulse_ends(np.array([0, 1, 1, 1, 0]) * 1e-9) == [3]
    assert pulse_ends(np.zeros(5)) == [] and pulse_ends([np.nan, np.nan]) == []


def test_pulse_currents_are_the_ends_of_the_pulses_or_nan_without_a_sample():
    from bmrlab.analysis.paired_pulse import PairedPulsePhase as P
    from bmrlab.analysis.paired_pulse import pulse_currents

    phase = [P.FIRST_PULSE, P.INTERVAL, P.INTERVAL, P.SECOND_PULSE]
    assert pulse_currents([1e-12, 0, 0, 1.3e-12], phase) == (1e-12, 1.3e-12)
    a1, a2 = pulse_currents([0, 0, 1.3e-12], phase[1:])  # the first pulse overflowed: no row
    assert np.isnan(a1) and a2 == 1.3e-12
    trace = np.array([0, 1, 0, 0, 1.2, 0]) * 1e-9
    assert pulse_currents(trace, [P.TRACE] * 6) == (1e-9, 1.2e-9)
    assert all(np.isnan(pulse_currents(np.array([0, 1, 1, 0]) * 1e-9, [P.TRACE] * 4)))
