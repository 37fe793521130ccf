"""I-V analysis on synthetic arrays with known answers, noise and degenerate data."""

import numpy as np
import pytest

from bmrlab.analysis.iv import (
    IvPhase,
    analyze_cycle,
    find_vreset,
    find_vset,
    split_branches,
    summarize_iv,
)

RNG = np.random.default_rng(7)


def loop(
    v_set=0.06, v_reset=None, g_off=1e-11, g_on=1e-5, icc=1e-6, step=1e-3, v_max=0.2, noise=0.0
):
    """One synthetic cycle: rest, HRS read at 20 mV, then the staircase."""
    up = np.arange(0, v_max + step / 2, step)
    sweep = np.concatenate([up, up[::-1][1:]])
    if v_reset is not None:
        neg = -np.arange(0, v_max + step / 2, step)
        sweep = np.concatenate([sweep, neg[1:], neg[::-1][1:]])
    on = False
    current = []
    for k, v in enumerate(sweep):
        if v >= v_set - 1e-12 and k <= len(up):
            on = True
        if v_reset is not None and v <= -v_reset + 1e-12:
            on = False
        current.append(np.clip((g_on if on else g_off) * v, -icc, icc))
    v_all = np.concatenate([[0, 0, 0.02], sweep])
    i_all = np.concatenate([[0, 0, g_off * 0.02], current])
    i_all = i_all * (1 + noise * RNG.standard_normal(i_all.size))
    phase = np.array([IvPhase.REST, IvPhase.REST, IvPhase.READ] + [IvPhase.SWEEP] * sweep.size)
    return v_all, i_all, phase


def cycles(n, **kw):
    parts = [loop(**kw) for _ in range(n)]
    v = np.concatenate([p[0] for p in parts])
    i = np.concatenate([p[1] for p in parts])
    phase = np.concatenate([p[2] for p in parts])
    cycle = np.concatenate([np.full(p[0].size, c + 1) for c, p in enumerate(parts)])
    return v, i, cycle, phase


def analyze_iv(v, i, cycle, phase, **conditions):
    """The protocol's analysis: cycle by cycle, then the summary."""
    per_cycle = [
        analyze_cycle(v[cycle == c], i[cycle == c], phase[cycle == c], **conditions)
        for c in np.unique(cycle)
    ]
    return summarize_iv(per_cycle, bipolar=bool(np.any(v[phase == IvPhase.SWEEP] < 0)))


def test_known_set_reset_and_on_off():
    v, i, cycle, phase = cycles(5, v_set=0.06, v_reset=0.05, g_off=1e-10)
    f = analyze_iv(v, i, cycle, phase, compliance=1e-6, v_read=0.02, step=1e-3)
    assert f["vset_mV"] == pytest.approx(60)
    assert f["vreset_mV"] == pytest.approx(50)
    assert f["on_off_ratio"] == pytest.approx(1e5)
    assert f["stats"]["vset_mV"]["n"] == 5


def test_noise_does_not_move_the_figures_much():
    v, i, cycle, phase = cycles(10, v_set=0.07, noise=0.1)
    f = analyze_iv(v, i, cycle, phase, compliance=1e-6, v_read=0.02, step=1e-3)
    assert f["vset_mV"] == pytest.approx(70, abs=1.0)
    assert f["on_off_ratio"] == pytest.approx(1e6, rel=0.3)


def test_no_switching_gives_not_found_instead_of_a_number():
    v, i, cycle, phase = cycles(3, v_set=10.0)  # never reached
    f = analyze_iv(v, i, cycle, phase, compliance=1e-6, v_read=0.02, step=1e-3)
    assert f["vset_mV"] is None
    assert f["on_off_ratio"] is None
    assert f["stats"]["vset_mV"]["n"] == 0


def test_stuck_at_compliance_gives_not_found():
    v = np.linspace(0.001, 0.2, 200)
    assert find_vset(v, np.full(v.size, 1e-6), compliance=None) is None


def test_gradual_rise_falls_back_to_90_percent_of_compliance():
    v = np.linspace(0.001, 0.2, 200)
    i = 1e-6 * v / 0.1  # linear: less than a decade per step anywhere
    assert find_vset(v, np.minimum(i, 1e-6), compliance=1e-6) == pytest.approx(0.09, abs=1e-3)


def test_nan_and_too_few_points():
    assert find_vset(np.array([0.01]), np.array([1e-12]), 1e-6) is None
    v = np.linspace(0.001, 0.1, 100)
    assert find_vset(v, np.full(v.size, np.nan), 1e-6) is None
    assert find_vreset(np.array([]), np.array([])) is None


def test_a_single_noise_spike_is_not_a_set():
    v = np.linspace(0.001, 0.1, 100)
    i = np.full(v.size, 1e-13)
    i[40] = 1e-9  # one glitchy reading
    assert find_vset(v, i, compliance=None) is None


def test_branches_of_a_bipolar_cycle():
    v = np.array([0, 0.01, 0.02, 0.01, 0, -0.01, -0.02, -0.01, 0])
    b = split_branches(v)
    assert b.up.tolist() == [1, 2]
    assert b.down.tolist() == [3]
    assert b.negative.tolist() == [5, 6]
