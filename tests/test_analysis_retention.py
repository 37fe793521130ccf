"""Retention analysis on synthetic traces with known answers, noise and degenerate data."""

import math

import numpy as np
import pytest

from bmrlab.analysis.retention import (
    fit_drift,
    fit_survival,
    measured_volatile,
    pulse_set,
    retention_summary,
    set_probability,
    trace_retention,
)

RNG = np.random.default_rng(5)
G_ON, G_OFF = 1e-5, 1e-9  # G_OFF: an HRS at the floor of the reads, above their noise


def trace(lost_at, period=1.6e-3, window=0.3, noise=0.02):
    t = np.arange(1, int(window / period) + 1) * period
    g = np.where(t < lost_at, G_ON, G_OFF)
    return t, g * (1 + noise * RNG.standard_normal(t.size)) + 1e-10 * RNG.standard_normal(t.size)


def test_an_abrupt_loss_is_placed_in_the_middle_of_the_two_reads_around_it():
    t, g = trace(29e-3)  # reads end at 28.8 ms (on) and 30.4 ms (off)
    value, censored = trace_retention(t, g, G_OFF)
    assert not censored and value == pytest.approx(29.6e-3, abs=0.02e-3)


@pytest.mark.parametrize("period", [1.6e-3, 4e-3, 8e-3])
def test_a_gradual_loss_is_found_between_reads_sparser_than_the_retention(period):
    """G falling exponentially crosses sqrt(G_on G_off) (G_on: the first read) at a known
    time, 24-27 ms; the crossing interpolated on log G finds it within 1 % with reads up
    to 8 ms apart, where the first read below would be up to a whole period late."""
    tau = 5e-3
    t = np.arange(1, 40) * period
    g = G_ON * np.exp(-t / tau)
    crossing = -tau * math.log(math.sqrt(g[0] * G_OFF) / G_ON)
    value, censored = trace_retention(t, g, G_OFF)
    assert not censored and value == pytest.approx(crossing, rel=0.01)


def test_a_state_that_outlasts_the_window_is_censored_at_the_window():
    t, g = trace(1.0)
    value, censored = trace_retention(t, g, G_OFF)
    assert censored and value == pytest.approx(t[-1])


def test_a_pulse_that_did_not_set_gives_zero():
    t, g = trace(0.0)
    assert trace_retention(t, g, G_OFF) == (0.0, False)
    assert not pulse_set(g[0], G_OFF) and pulse_set(trace(1.0)[1][0], G_OFF)


def test_nan_reads_are_skipped_and_an_empty_trace_is_not_measured():
    t, g = trace(20e-3)
    g[3:6] = np.nan
    assert trace_retention(t, g, G_OFF)[0] == pytest.approx(20.0e-3, abs=0.02e-3)
    assert math.isnan(trace_retention([], [], G_OFF)[0])


def test_summary_median_and_censoring():
    stats = retention_summary([0.02, 0.03, 0.04, 0.5], [False, False, False, True], [True] * 4)
    assert stats["median"] == pytest.approx(35.0) and stats["censored"] == 1
    assert stats["ci_low"] <= stats["median"] <= stats["ci_high"]
    assert not stats["median_censored"]
    mostly = retention_summary([0.5, 0.5, 0.03], [True, True, False], [True] * 3)
    assert mostly["median_censored"]  # the median is only a lower bound
    assert retention_summary([], [], [])["reason"] == "no trace was measured"


def test_traces_the_pulse_did_not_set_are_left_out_and_counted():
    # seed 3 of ag-pnw-ag, characterized: 4 of 20 pulses did not set the device
    lost = [25.4, 23.7, 20.4, 37.1, 10.4, 25.4, 40.4, 45.4, 48.7, 33.7, 20.4, 30.4]
    lost += [45.4, 48.7, 15.4, 13.7]
    values = np.array(lost + [0, 0, 0, 0]) * 1e-3
    was_set = values > 0
    stats = retention_summary(values, np.zeros(20, bool), was_set)
    assert stats["median"] == pytest.approx(27.9)  # not 24.6 with the zeros
    assert (stats["traces"], stats["set_traces"], stats["failed_sets"]) == (20, 16, 4)
    assert stats["n"] == 16 and min(stats["values"]) == pytest.approx(10.4)
    assert set_probability(was_set)["value"] == 0.8
    low, high = set_probability(was_set)["ci_low"], set_probability(was_set)["ci_high"]
    assert 0.5 < low < 0.8 < high <= 1.0


def test_a_pulse_that_never_set_gives_no_figure_and_says_why():
    stats = retention_summary(np.zeros(5), np.zeros(5, bool), np.zeros(5, bool))
    assert stats["median"] is None and stats["ci_low"] is None
    assert "did not set the device in any of 5 traces" in stats["reason"]
    assert stats["failed_sets"] == 5 and set_probability([False] * 5)["value"] == 0.0
    # an HRS below the floor of a coarse range (1 mA: 5e-5 S at 20 mV) hides a small set
    floored = retention_summary(np.zeros(1), [False], [False], floor=5e-5)
    assert "3x above the floor of the measure range (5e-05 S" in floored["reason"]


def test_type_is_measured_against_tens_of_seconds():
    assert measured_volatile(29.0, lower_bound=False) is True
    assert measured_volatile(3600e3, lower_bound=True) is False  # still on after an hour
    assert measured_volatile(60e3, lower_bound=False) is False  # lost, but after a minute
    assert measured_volatile(1e3, lower_bound=True) is None  # a 1 s window cannot tell
    assert measured_volatile(None, lower_bound=False) is None  # nothing set: undetermined


def test_survival_fit_recovers_a_stretched_exponential():
    tau, beta = 30e-3, 3.0
    u = (np.arange(200) + 0.5) / 200
    lost = tau * (-np.log(u)) ** (1 / beta)
    fit = fit_survival(lost, np.zeros(200, bool))
    assert fit["tau_ms"] == pytest.approx(30, rel=0.05) and fit["beta"] == pytest.approx(3, rel=0.1)
    assert 0 < fit["tau_ms_se"] < 1.5 and 0 < fit["beta_se"] < 0.3
    assert fit_survival([0.01, 0.02], [False, False]) is None


def test_drift_fit_recovers_a_power_law():
    t = np.logspace(-3, 3, 40)
    g = 1e-5 * t**-0.02
    fit = fit_drift(t, g)
    assert fit["nu"] == pytest.approx(0.02, rel=1e-3) and fit["nu_se"] < 1e-6
    noisy = fit_drift(t, g * (1 + 0.05 * RNG.standard_normal(t.size)))
    assert noisy["nu_se"] > 1e-3 and abs(noisy["nu"] - 0.02) < 4 * noisy["nu_se"]
    assert fit_drift([1, 2], [1e-5, 1e-5]) is None
