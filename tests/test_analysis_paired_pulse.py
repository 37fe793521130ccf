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


def noisy_pairs(tau=0.03, c=0.4, repeats=10, noise=0.12, seed=0, spread=None):
    """Pairs at ten log-spaced intervals, index 1 + c exp(-dt / tau) plus Gaussian noise
    (``spread``: the noise per interval instead)."""
    rng = np.random.default_rng(seed)
    intervals = np.logspace(-3, 0, 10)
    sigma = np.full(10, noise) if spread is None else np.asarray(spread)
    dt = np.repeat(intervals, repeats)
    index = 1 + c * np.exp(-dt / tau) + rng.normal(0, np.repeat(sigma, repeats))
    return dt, index


def test_the_fit_of_the_pairs_gives_standard_errors_whose_intervals_cover_the_truth():
    covered = 0
    for seed in range(20):
        fit = fit_ppf(*noisy_pairs(seed=seed))
        assert fit["terms"] == 1  # noise does not call for a second exponential
        assert fit["C1_se"] > 0 and fit["tau1_ms_se"] > 0
        assert fit["C2_se"] is None and fit["tau2_ms_se"] is None
        covered += abs(fit["tau1_ms"] - 30) < 1.96 * fit["tau1_ms_se"]
    assert covered >= 16  # about 95 % of 20


def test_noiseless_points_have_standard_errors_near_zero():
    dt = np.logspace(-3, 0, 10)
    fit = fit_ppf(dt, 1 + 0.3 * np.exp(-dt / 0.026))
    assert fit["tau1_ms_se"] < 1e-3 and fit["C1_se"] < 1e-5


def test_pairs_are_weighted_by_their_interval_only_where_the_spreads_differ():
    from bmrlab.analysis.paired_pulse import interval_sigmas

    assert interval_sigmas(*noisy_pairs(noise=0.1)) is None
    spread = [0.4] * 3 + [0.02] * 7  # noisy short intervals
    dt, index = noisy_pairs(spread=spread, repeats=20)
    sigma = interval_sigmas(dt, index)
    assert sigma[0] == pytest.approx(0.4, rel=0.4) and sigma[-1] == pytest.approx(0.02, rel=0.4)
    fit = fit_ppf(dt, index)
    assert fit["tau1_ms"] == pytest.approx(30, rel=0.2)


def test_the_median_of_the_pairs_comes_with_its_confidence_interval_and_count():
    from bmrlab.analysis.paired_pulse import median_with_interval

    median, low, high, n = median_with_interval([1.2, 1.3, np.nan, 1.4, 1.25, 1.35])
    assert median == pytest.approx(1.3) and low < median < high and n == 5
    assert median_with_interval([np.nan]) == (None, None, None, 0)
    assert median_with_interval([1.3]) == (1.3, None, None, 1)
