"""Endurance analysis on synthetic reads with known answers and degenerate data."""

import numpy as np
import pytest

from bmrlab.analysis.endurance import (
    LIST_FLOOR,
    RESOLVED_FLOOR,
    closed_at,
    endurance,
    failed_resets,
    failed_sets,
    floor_limited,
    hrs_in_use,
    on_off,
    read_cycles,
    switch_threshold,
)


def test_read_cycles_are_log_spaced_and_unique():
    cycles = read_cycles(10_000, 20)
    assert cycles[0] == 1 and cycles[-1] == 10_000
    assert np.all(np.diff(cycles) > 0) and len(cycles) < 90


def test_the_figure_is_the_last_read_before_the_window_closes_for_good():
    cycles = np.array([1, 10, 100, 200, 300, 400])
    ratios = np.array([1e5, 1e5, 5e3, 50, 3, 2])
    assert endurance(cycles, ratios) == {"cycles": 200, "censored": False, "closed": 4}


def test_one_low_read_is_noise_not_the_end():
    ratios = [1e4, 8, 1e4, 1e4, 5, 4]
    assert closed_at(ratios) == 4
    assert endurance(np.arange(1, 7), ratios)["cycles"] == 4


def test_an_open_window_is_censored_at_the_last_cycle():
    found = endurance([1, 10, 100], [1e5, 1e5, 1e5])
    assert found == {"cycles": 100, "censored": True, "closed": None}


def test_a_window_closed_from_the_start_or_no_reads_gives_not_found():
    assert endurance([1, 2], [2.0, 1.5])["cycles"] is None
    assert endurance([], [])["reason"] == "no cycle was read"


def test_on_off_uses_the_floor_for_an_unreadable_hrs_and_survives_zeros():
    assert on_off([1e-6], [1e-13], floor=1e-9)[0] == pytest.approx(1e3)
    assert np.isinf(on_off([1e-6], [0.0])[0])


def test_the_resolved_hrs_is_used_where_its_range_held_it():
    """Cycle 1: resolved 0.2 pA on 10 nA (floor 0.1 pA); cycle 2: the finer range overflowed
    (NaN), so the 1 uA list read at its 1 nA floor; cycle 3: no resolved read taken."""
    hrs, floor, resolved = hrs_in_use(
        [3e-11, 5e-8, -2e-11], [1e-6] * 3, [-2e-13, np.nan, np.nan], [1e-8, 1e-8, np.nan]
    )
    assert hrs == pytest.approx([2e-13, 5e-8, 2e-11])
    assert floor == pytest.approx([RESOLVED_FLOOR * 1e-8, LIST_FLOOR * 1e-6, LIST_FLOOR * 1e-6])
    assert resolved.tolist() == [True, False, False]
    ratios = on_off([2e-7] * 3, hrs, floor)
    assert ratios[0] == pytest.approx(1e6) and ratios[2] == pytest.approx(200)


def test_the_switch_threshold_is_the_geometric_mean_at_the_pulse():
    """LRS 200 nA and HRS 0.2 pA at 20 mV: at 100 mV 1 uA (the compliance caps it) and
    1 pA, so sqrt(1e-6 * 1e-12) = 1 nA; a leaky device's threshold never drops below the
    list floor."""
    assert switch_threshold(2e-7, 2e-13, 0.02, 0.1, 1e-6) == pytest.approx(1e-9)
    assert switch_threshold(2e-7, 2e-13, 0.02, 1.0, 1e-6) == pytest.approx(np.sqrt(1e-6 * 1e-11))
    assert switch_threshold(2e-9, 2e-16, 0.02, 0.1, 1e-6) == pytest.approx(LIST_FLOOR * 1e-6)
    assert switch_threshold(None, 2e-13, 0.02, 0.1, 1e-6) is None


def test_a_set_is_failed_below_the_threshold_a_reset_at_or_above_it():
    currents = [1e-6, 5e-11, np.nan, -2e-6, 1e-9]
    assert failed_sets(currents, 1e-9).tolist() == [False, True, False, False, False]
    assert failed_resets(currents, 1e-9).tolist() == [True, False, True, True, True]


def test_a_window_closed_against_the_floor_makes_the_figure_a_lower_bound():
    hrs, floor = np.array([1e-12, 1e-12, 1e-9, 1e-9]), np.array([1e-13, 1e-13, 1e-9, 1e-9])
    assert floor_limited(hrs, floor, closed=2)
    assert not floor_limited(hrs * 10, floor, closed=2)
    assert not floor_limited(hrs, floor, closed=None)
