"""Endurance analysis on synthetic reads with known answers and degenerate data."""

import numpy as np
import pytest

from bmrlab.analysis.endurance import closed_at, endurance, on_off, read_cycles


def test_read_cycles_are_log_spaced_and_unique():
    cycles = read_cycles(10_000, 20)
    assert cycles[0] == 1 and cycles[-1] == 10_000
    assert np.all(np.diff(cycles) > 0) and len(cycles) < 90


def test_the_figure_is_the_last_read_before_the_window_closes_for_good():
    cycles = np.array([1, 10, 100, 200, 300, 400])
    ratios = np.array([1e5, 1e5, 5e3, 50, 3, 2])
    assert endurance(cycles, ratios) == {"cycles": 200, "censored": False}


def test_one_low_read_is_noise_not_the_end():
    ratios = [1e4, 8, 1e4, 1e4, 5, 4]
    assert closed_at(ratios) == 4
    assert endurance(np.arange(1, 7), ratios)["cycles"] == 4


def test_an_open_window_is_censored_at_the_last_cycle():
    assert endurance([1, 10, 100], [1e5, 1e5, 1e5]) == {"cycles": 100, "censored": True}


def test_a_window_closed_from_the_start_or_no_reads_gives_not_found():
    assert endurance([1, 2], [2.0, 1.5])["cycles"] is None
    assert endurance([], [])["reason"] == "no cycle was read"


def test_on_off_uses_the_floor_for_an_unreadable_hrs_and_survives_zeros():
    assert on_off([1e-6], [1e-13], floor=1e-9)[0] == pytest.approx(1e3)
    assert np.isinf(on_off([1e-6], [0.0])[0])
