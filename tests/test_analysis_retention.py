"""Retention analysis on synthetic traces with known answers, noise and degenerate data."""

import math

import numpy as np
import pytest

from bmrlab.analysis.retention import fit_drift, fit_survival, retention_summary, trace_retention

RNG = np.random.default_rng(5)
G_ON, G_OFF = 1e-5, 1e-11


def trace(lost_at, period=1.6e-3, window=0.3, noise=0.02):
    t = np.arange(1, int(window / period) + 1) * period
    g = np.where(t < lost_at, G_ON, G_OFF)
    return t, g * (1 + noise * RNG.standard_normal(t.size)) + 1e-10 * RNG.standard_normal(t.size)


def test_retention_is_the_end_of_the_first_read_below_the_threshold():
    t, g = trace(29e-3)
    value, censored = trace_retention(t, g, G_OFF)
    assert not censored and value == pytest.approx(30.4e-3)  # the read after 29 ms ends there


def test_a_state_that_outlasts_the_window_is_censored_at_the_window():
    t, g = trace(1.0)
    value, censored = trace_retention(t, g, G_OFF)
    assert censored and value == pytest.approx(t[-1])


def test_a_pulse_that_did_not_set_gives_zero():
    t, g = trace(0.0)
    assert trace_retention(t, g, G_OFF) == (0.0, False)


def test_nan_reads_are_skipped_and_an_empty_trace_is_not_measured():
    t, g = trace(20e-3)
    g[3:6] = np.nan
    assert trace_retention(t, g, G_OFF)[0] == pytest.approx(20.8e-3)
    assert math.isnan(trace_retention([], [], G_OFF)[0])


def test_summary_median_and_censoring():
    stats = retention_summary([0.02, 0.03, 0.04, 0.5], [False, False, False, True])
    assert stats["median"] == pytest.approx(35.0) and stats["censored"] == 1
    assert not stats["median_censored"]
    mostly = retention_summary([0.5, 0.5, 0.03], [True, True, False])
    assert mostly["median_censored"]  # the median is only a lower bound
    assert retention_summary([], [])["reason"] == "no trace was measured"


def test_survival_fit_recovers_a_stretched_exponential():
    tau, beta = 30e-3, 3.0
    u = (np.arange(200) + 0.5) / 200
    lost = tau * (-np.log(u)) ** (1 / beta)
    fit = fit_survival(lost, np.zeros(200, bool))
    assert fit["tau_ms"] == pytest.approx(30, rel=0.05) and fit["beta"] == pytest.approx(3, rel=0.1)
    assert fit_survival([0.01, 0.02], [False, False]) is None


def test_drift_fit_recovers_a_power_law():
    t = np.logspace(-3, 3, 40)
    g = 1e-5 * t**-0.02
    fit = fit_drift(t, g)
    assert fit["nu"] == pytest.approx(0.02, rel=1e-3)
    assert fit_drift([1, 2], [1e-5, 1e-5]) is None
