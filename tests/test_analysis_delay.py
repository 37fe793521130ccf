"""Delay analysis on synthetic arrays with known answers, noise and degenerate data."""

import math

import numpy as np
import pytest

from bmrlab.analysis.delay import (
    delay_summary,
    fit_delay,
    interval_quantile,
    set_energy,
    summarize_delays,
    switch_interval,
)

RNG = np.random.default_rng(11)
ICC = 1e-6


def step(delay, interval=0.1e-3, length=20e-3, hrs=1e-12, lrs=ICC, noise=0.0, phase=0.5):
    """Samples of one step: time since the step began, HRS current until ``delay``, then
    the LRS current; samples at ``phase`` of each interval."""
    t = (np.arange(int(length / interval)) + phase) * interval
    i = np.where(t >= delay, lrs, hrs)
    return t, i * (1 + noise * RNG.standard_normal(t.size)) + noise * 1e-12 * RNG.standard_normal(
        t.size
    )


def test_the_switch_lies_between_the_last_low_and_the_first_high_sample():
    t, i = step(3.33e-3)
    after, before = switch_interval(t, i, ICC)
    assert after < 3.33e-3 <= before and before - after == pytest.approx(0.1e-3)


def test_noise_does_not_move_the_switch():
    t, i = step(3.33e-3, noise=0.05)
    after, before = switch_interval(t, i, ICC, baseline=1e-12)
    assert after < 3.33e-3 <= before


def test_a_switch_before_the_first_sample_lies_in_the_first_interval():
    t, i = step(0.01e-3)
    assert switch_interval(t, i, ICC, baseline=1e-12) == (0.0, pytest.approx(0.05e-3))


def test_no_switch_is_a_censored_delay_longer_than_the_step():
    t, i = step(1.0)
    after, before = switch_interval(t, i, ICC)
    assert after == pytest.approx(t[-1]) and before == math.inf


def test_stuck_at_compliance_is_not_a_switch():
    """A flag that reads compliance from the first sample (and in the HRS read) is not a
    delay of zero: the current never rose."""
    t = np.arange(100) * 1e-4
    i = np.full(100, ICC)
    assert switch_interval(t, i, ICC)[1] == math.inf
    assert switch_interval(t, i, ICC, baseline=ICC * 5)[1] == math.inf


def test_nan_samples_are_dropped_and_too_few_samples_give_no_interval():
    t, i = step(2e-3)
    i[5:9] = np.nan
    after, before = switch_interval(t, i, ICC)
    assert after < 2e-3 <= before
    assert all(math.isnan(x) for x in switch_interval(t[:4], i[:4], ICC))


def test_a_one_decade_device_switches_at_the_geometric_mean():
    t, i = step(4e-3, hrs=0.8e-6, lrs=8e-6)
    assert switch_interval(t, i, 1e-3, baseline=0.8e-6)[1] == pytest.approx(4.05e-3)


def test_interval_median_sees_through_a_coarse_sampling_grid():
    """Lognormal delays (median 0.85 ms, sigma 0.25) sampled every 0.37 ms: the median of
    the midpoints sticks to the grid, the interval median does not."""
    true = 0.85e-3 * np.exp(0.25 * RNG.standard_normal(400))
    grid = 0.37e-3
    hi = np.ceil(true / grid) * grid
    intervals = np.column_stack([hi - grid, hi])
    assert interval_quantile(intervals, 0.5) == pytest.approx(np.median(true), rel=0.05)
    assert abs(np.median(intervals.mean(axis=1)) / np.median(true) - 1) > 0.05


def test_summary_counts_censored_pulses_in_the_median():
    intervals = np.array(
        [[1e-3, 1.1e-3], [2e-3, 2.1e-3], [5e-3, math.inf], [6e-3, math.inf], [1.5e-3, 1.6e-3]]
    )
    summary = delay_summary(intervals)
    assert summary["switched"] == 3 and summary["pulses"] == 5
    assert summary["median"] > 2.0  # ms: the two censored pulses push it up


def test_summary_of_mostly_unswitched_pulses_says_why():
    summary = delay_summary(np.array([[5e-3, math.inf], [5e-3, math.inf], [1e-3, 1.1e-3]]))
    assert summary["median"] is None and "did not switch" in summary["reason"]
    assert delay_summary(np.empty((0, 2)))["reason"] == "no pulse was measured"


def test_each_amplitude_is_summarized_from_its_own_steps():
    fast = [switch_interval(*step(0.5e-3), ICC, 1e-12) for _ in range(3)]
    slow = [switch_interval(*step(5e-3), ICC, 1e-12) for _ in range(3)]
    unswitched = [switch_interval(*step(1.0), ICC, 1e-12) for _ in range(3)]
    figures = summarize_delays(
        [0.1, 0.2, 0.05], 0.2, [0.1] * 3 + [0.2] * 3 + [0.05] * 3, slow + fast + unswitched
    )
    by_mv = figures["stats"]["delay_by_mV"]
    assert list(by_mv) == ["100", "200", "50"]
    assert by_mv["100"]["median"] == pytest.approx(5, abs=0.1)
    assert by_mv["200"]["median"] == pytest.approx(0.5, abs=0.1)
    assert by_mv["50"]["median"] is None and by_mv["50"]["switched"] == 0
    assert figures["delay_at_mV"] == 200 and figures["delay_ms"] == by_mv["200"]["median"]
    assert figures["stats"]["delay_ms"] is by_mv["200"]
    assert figures["delay_fit"] is None  # two resolved medians do not make a fit


def leaky_delay(v, tau0, v0, tau_x):
    x = tau_x * np.sinh(v / v0) / tau0
    return tau_x * np.log(x / (x - 1))


def test_fit_recovers_the_leaky_switch_parameters():
    v = np.array([0.1, 0.15, 0.2, 0.25, 0.3])
    fit = fit_delay(v, leaky_delay(v, 16e-3, 0.082, 0.026))
    assert fit["form"] == "leaky"
    assert fit["V0_mV"] == pytest.approx(82, rel=0.02)
    assert fit["tau_x_s"] == pytest.approx(0.026, rel=0.05)
    assert fit["V_th_mV"] == pytest.approx(82 * math.asinh(16e-3 / 0.026), rel=0.05)


def test_fit_with_three_amplitudes_is_the_sinh_form():
    v = np.array([0.3, 0.4, 0.5])
    fit = fit_delay(v, 2e-2 / np.sinh(v / 0.1))
    assert fit["form"] == "sinh" and fit["V0_mV"] == pytest.approx(100, rel=1e-3)
    assert fit["tau_x_s"] is None and fit["V_th_mV"] is None  # not determined


def test_fit_needs_three_amplitudes_and_ignores_missing_ones():
    assert fit_delay([0.1, 0.2], [1e-2, 1e-3]) is None
    assert fit_delay([0.1, 0.2, 0.3], [1e-2, math.nan, 1e-4]) is None


def test_the_median_delay_carries_a_bootstrap_interval_over_pulses_that_holds_it():
    """Lognormal delays of 20 pulses: the 95 % interval holds the median, is reproduced by a
    second analysis, and narrows with 200 pulses."""
    intervals = [
        switch_interval(*step(d), ICC, 1e-12) for d in 3e-3 * np.exp(0.3 * RNG.standard_normal(20))
    ]
    summary = delay_summary(np.array(intervals))
    assert summary["ci_low"] < summary["median"] < summary["ci_high"]
    assert delay_summary(np.array(intervals))["ci_low"] == summary["ci_low"]
    many = [
        switch_interval(*step(d), ICC, 1e-12) for d in 3e-3 * np.exp(0.3 * RNG.standard_normal(200))
    ]
    wide = delay_summary(np.array(many))
    assert wide["ci_high"] - wide["ci_low"] < summary["ci_high"] - summary["ci_low"]


def test_censored_pulses_push_the_interval_up_and_may_leave_its_top_open():
    """Steps that did not switch count as longer than the time-out in every resample; when
    many resamples have half of their steps censored, the interval's top is beyond the
    longest step: not determined."""
    switched = [[k * 1e-3, k * 1e-3 + 1e-4] for k in np.linspace(1, 2, 11)]
    plain = delay_summary(np.array(switched))
    one_censored = delay_summary(np.array(switched + [[5e-3, math.inf]]))
    assert one_censored["ci_high"] > plain["ci_high"]
    many_censored = delay_summary(np.array(switched[:7] + [[5e-3, math.inf]] * 5))
    assert many_censored["median"] is not None and many_censored["ci_low"] is not None
    assert many_censored["ci_high"] is None


def test_interval_quantile_is_inf_when_too_few_delays_are_finite():
    assert interval_quantile(np.array([[1e-3, 2e-3], [5e-3, math.inf]]), 0.75) == math.inf


def test_fit_standard_errors_cover_the_true_parameters_of_noisy_medians():
    v = np.array([0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4])
    noisy = leaky_delay(v, 16e-3, 0.082, 0.026) * np.exp(0.05 * RNG.standard_normal(v.size))
    fit = fit_delay(v, noisy)
    assert fit["form"] == "leaky"
    for name, true in (("V0_mV", 82), ("tau0_s", 16e-3), ("tau_x_s", 0.026)):
        assert 0 < fit[f"{name}_se"] < abs(fit[name])
        assert abs(fit[name] - true) < 4 * fit[f"{name}_se"], name
    assert fit["V_th_mV_se"] > 0


def test_the_sinh_fit_has_standard_errors_for_its_two_parameters_only():
    v = np.array([0.3, 0.4, 0.5, 0.6])
    fit = fit_delay(v[:3], 2e-2 / np.sinh(v[:3] / 0.1) * np.array([1.05, 0.97, 1.02]))
    assert fit["form"] == "sinh" and fit["V0_mV_se"] > 0 and fit["tau0_s_se"] > 0
    assert fit["tau_x_s_se"] is None and fit["V_th_mV_se"] is None


def test_set_energy_holds_each_samples_power_over_the_interval_before_it():
    """An abrupt switch at 3.33 ms sampled every 0.1 ms at 0.1 V: the HRS power until the
    last low sample, then one interval at the switched current; the rise is not resolved
    (the figure is the upper bound the sampling sets)."""
    t, i = step(3.33e-3)
    v = np.full(t.size, 0.1)
    energy, resolved = set_energy(t, v, i, ICC, switch_interval(t, i, ICC, 1e-12)[1])
    assert energy == pytest.approx(0.1 * (1e-12 * 3.25e-3 + ICC * 0.1e-3))
    assert not resolved


def test_a_rise_over_several_samples_is_resolved_and_integrated():
    t = (np.arange(100) + 0.5) * 1e-4
    i = 1e-12 + ICC * np.clip((t - 2e-3) / 1e-3, 0.0, 1.0)  # a 1 ms linear rise
    v = np.full(t.size, 0.2)
    energy, resolved = set_energy(t, v, i, ICC, switch_interval(t, i, ICC, 1e-12)[1])
    assert resolved
    end = int(np.flatnonzero(i >= 0.9 * ICC)[0])
    assert energy == pytest.approx(0.2 * np.sum(i[: end + 1] * np.diff(np.r_[0, t[: end + 1]])))


def test_a_step_that_did_not_switch_has_no_set_energy():
    t, i = step(1.0)
    assert set_energy(t, np.full(t.size, 0.1), i, ICC, switch_interval(t, i, ICC)[1]) == (
        None,
        False,
    )


def test_the_set_energy_figure_is_the_median_at_delay_at_in_pj_flagged_as_a_bound():
    steps = [step(d) for d in (2e-3, 3e-3, 4e-3)]
    intervals = [switch_interval(t, i, ICC, 1e-12) for t, i in steps]
    energies = [
        set_energy(t, np.full(t.size, 0.1), i, ICC, iv[1])
        for (t, i), iv in zip(steps, intervals, strict=True)
    ]
    figures = summarize_delays([0.1], 0.1, [0.1] * 3, intervals, energies)
    assert figures["set_energy_pJ"] == pytest.approx(0.1 * ICC * 0.1e-3 * 1e12, rel=1e-3)
    assert figures["set_energy_upper_bound"] is True
    assert figures["stats"]["set_energy_by_mV"]["100"]["rise_resolved"] == 0
