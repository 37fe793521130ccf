"""I-V analysis on synthetic arrays with known answers, noise and degenerate data."""

import numpy as np
import pytest

from bmrlab.analysis.iv import (
    IvPhase,
    ResetKind,
    analyze_cycle,
    find_fall,
    find_vset,
    split_branches,
    summarize_iv,
    zero_bias_hold,
)

RNG = np.random.default_rng(7)


def loop(
    v_set=0.06,
    v_reset=None,
    g_off=1e-11,
    g_on=1e-5,
    icc=1e-6,
    step=1e-3,
    v_max=0.2,
    noise=0.0,
    bipolar=None,
    off_at=None,
    fall_steps=1,
):
    """One synthetic cycle: rest, HRS read at 20 mV, then the staircase. The state is lost
    at ``-v_reset`` on the negative branch, or at ``off_at`` (signed V) wherever the sweep
    after the peak first reaches it, over ``fall_steps`` steps (log-linear in G)."""
    up = np.arange(0, v_max + step / 2, step)
    sweep = np.concatenate([up, up[::-1][1:]])
    if bipolar or (bipolar is None and v_reset is not None):
        neg = -np.arange(0, v_max + step / 2, step)
        sweep = np.concatenate([sweep, neg[1:], neg[::-1][1:]])
    if v_reset is not None:
        off_at = -v_reset
    k = np.arange(sweep.size)
    lost = (
        sweep.size
        if off_at is None
        else int(np.flatnonzero((k >= len(up)) & (sweep <= off_at + 1e-12))[0])
    )
    fraction = np.clip((k - lost + 1) / fall_steps, 0.0, 1.0)  # 0 on, 1 off
    reached = np.flatnonzero(sweep >= v_set - 1e-12)
    is_set = k >= reached[0] if reached.size else np.zeros(sweep.size, bool)
    g = np.where(is_set, g_on * (g_off / g_on) ** fraction, g_off)
    current = np.clip(g * sweep, -icc, icc)
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
    conditions = {"compliance": 1e-6, "v_read": 0.02, "step": 1e-3, **conditions}
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


def test_gradual_set_falls_back_to_90_percent_of_compliance():
    v = np.linspace(0.001, 0.2, 200)
    g = 1e-9 * 10 ** np.clip((v - 0.05) / 0.002 * 0.25, 0, 5)  # a quarter decade per step
    i = np.minimum(g * v, 1e-6)
    expected = v[np.flatnonzero(i >= 0.9e-6)[0]]
    assert find_vset(v, i, compliance=1e-6) == pytest.approx(expected)


def test_a_resistor_reaching_compliance_is_not_a_set():
    """A shorted device (or any ohmic path) reaches the compliance at the conductance it
    started with: no set, whether at the first step or further up."""
    v = np.linspace(0.001, 0.2, 200)
    for ohms in (1e3, 1e5):
        assert find_vset(v, np.minimum(v / ohms, 1e-6), compliance=1e-6) is None


def test_a_device_that_never_set_has_no_vset_from_the_noise_of_its_hrs():
    """A cycle whose LRS read is barely above its HRS read has no window to halve: the
    largest step of the noise is not a set."""
    v, i, cycle, phase = cycles(10, v_set=10.0, g_off=1e-10, noise=0.3)  # never reached
    f = analyze_iv(v, i, cycle, phase)
    assert f["vset_mV"] is None
    assert f["on_off_ratio"] is None


def test_nan_and_too_few_points():
    assert find_vset(np.array([0.01]), np.array([1e-12]), 1e-6) is None
    v = np.linspace(0.001, 0.1, 100)
    assert find_vset(v, np.full(v.size, np.nan), 1e-6) is None
    assert find_fall(np.array([]), np.array([])) is None


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


def test_lrs_power_is_v_read_times_the_lrs_current_of_each_cycle_that_set():
    v, i, cycle, phase = cycles(5, v_set=0.06, g_on=1e-5)
    f = analyze_iv(v, i, cycle, phase)
    assert f["lrs_power_nW"] == pytest.approx(0.02 * 1e-5 * 0.02 * 1e9)  # 4 nW
    assert f["stats"]["lrs_power_nW"]["n"] == 5
    v, i, cycle, phase = cycles(3, v_set=10.0)  # never set: no LRS
    assert analyze_iv(v, i, cycle, phase)["lrs_power_nW"] is None


def classify(**kw):
    v, i, phase = loop(**kw)
    return analyze_cycle(v, i, phase, compliance=1e-6, v_read=0.02, step=1e-3)


def test_an_abrupt_fall_on_the_negative_branch_beyond_v_read_is_a_field_driven_reset():
    cycle = classify(v_reset=0.05)
    assert cycle["reset"] == ResetKind.FIELD_DRIVEN
    assert cycle["vreset_V"] == pytest.approx(0.05)


def test_a_state_lost_near_0_v_is_spontaneous_relaxation_without_a_vreset():
    """A volatile filament dissolving 14 mV into the negative branch: abrupt, but at a bias
    no larger than the read voltage, which by design does not switch the device."""
    cycle = classify(bipolar=True, off_at=-0.014)
    assert cycle["reset"] == ResetKind.RELAXED_NEAR_ZERO
    assert cycle["vreset_V"] is None and cycle["fall_V"] == pytest.approx(0.014)


def test_a_state_lost_on_the_way_down_the_positive_branch_is_spontaneous():
    cycle = classify(bipolar=True, off_at=0.03)
    assert cycle["reset"] == ResetKind.RELAXED_POSITIVE and cycle["vreset_V"] is None


def test_the_ohmic_fall_of_an_intact_filaments_current_on_the_way_down_is_no_fall():
    """The current of the low-resistance state falls 200-fold from 0.2 V to 1 mV, its
    conductance does not: a nonvolatile device swept unipolar keeps its state."""
    cycle = classify(g_on=1e-5, icc=1e-3)
    assert cycle["reset"] == ResetKind.HELD and cycle["fall_V"] is None


def test_a_gradual_fall_on_the_negative_branch_is_not_a_field_driven_reset():
    cycle = classify(bipolar=True, off_at=-0.06, fall_steps=30)
    assert cycle["reset"] == ResetKind.GRADUAL and cycle["vreset_V"] is None


def test_a_cycle_that_did_not_set_has_nothing_to_reset():
    assert classify(v_set=10.0, v_reset=0.05)["reset"] == ResetKind.NO_SET


def test_vreset_is_the_median_of_field_driven_resets_when_most_cycles_have_one():
    parts = [loop(v_reset=0.05)] * 3 + [loop(bipolar=True, off_at=-0.014)]
    per_cycle = [analyze_cycle(*p, compliance=1e-6, v_read=0.02, step=1e-3) for p in parts]
    f = summarize_iv(per_cycle, bipolar=True)
    assert f["vreset_mV"] == pytest.approx(50)
    assert f["stats"]["vreset_mV"]["n"] == 3
    assert f["stats"]["resets"] == {
        "field_driven": 3,
        "relaxed_positive": 0,
        "relaxed_near_zero": 1,
        "relaxed_at_zero_bias": 0,
        "gradual": 0,
        "held": 0,
        "no_set": 0,
    }


def test_no_vreset_when_most_cycles_relaxed_and_the_reason_says_how_and_where():
    v, i, cycle, phase = cycles(4, bipolar=True, off_at=-0.014)
    f = analyze_iv(v, i, cycle, phase)
    assert f["vreset_mV"] is None
    reason = f["stats"]["vreset_mV"]["reason"]
    assert "4 relaxed near 0 V" in reason and "14 mV" in reason
    assert f["stats"]["resets"]["relaxed_near_zero"] == 4


def test_a_unipolar_sweep_measures_no_vreset_but_still_says_how_the_state_ended():
    v, i, cycle, phase = cycles(3, off_at=0.03)
    f = analyze_iv(v, i, cycle, phase)
    assert f["stats"]["vreset_mV"]["reason"] == "not measured: unipolar sweep"
    assert f["stats"]["resets"]["relaxed_positive"] == 3


def control_cycle(lost_after_steps=None, reads=8, n=200):
    """A control cycle: the positive branch of ``loop`` that sets, then ``n`` steps at 0 V
    with ``reads`` reads at 20 mV; the state is lost ``lost_after_steps`` into the hold."""
    v, i, phase = loop(v_set=0.06)
    hold_v = np.zeros(n)
    hold_phase = np.full(n, IvPhase.HOLD)
    at = np.round(np.linspace(n / reads, n, reads)).astype(int) - 1
    hold_v[at], hold_phase[at] = 0.02, IvPhase.HOLD_READ
    steps = np.arange(1, n + 1)
    on = steps <= (lost_after_steps if lost_after_steps is not None else n + 1)
    hold_i = np.where(on, 1e-5, 1e-11) * hold_v
    return np.r_[v, hold_v], np.r_[i, hold_i], np.r_[phase, hold_phase]


def test_the_control_hold_says_how_long_the_state_lasted_at_0_v():
    _, i, phase = control_cycle(lost_after_steps=60)  # reads at steps 25, 50, 75, ...
    assert zero_bias_hold(i, phase, lrs=2e-7) == {"held_steps": 50, "held_through": False}
    _, i, phase = control_cycle()
    assert zero_bias_hold(i, phase, lrs=2e-7) == {"held_steps": 200, "held_through": True}
    assert zero_bias_hold(i, phase, lrs=None) is None  # a control that did not set


def with_control(cycle_kw: dict, lost_after_steps, n=4):
    parts = [loop(**cycle_kw) for _ in range(n)] + [control_cycle(lost_after_steps)]
    per_cycle = [analyze_cycle(*p, compliance=1e-6, v_read=0.02, step=1e-3) for p in parts]
    return summarize_iv(per_cycle, bipolar=True, step_s=2e-3)


def test_a_negative_branch_fall_later_than_the_state_lasts_at_0_v_is_not_a_reset():
    """A volatile filament that outlives the down branch and snaps 46 steps into the
    negative branch looks field-driven; the control cycle lost it at 0 V within 50 steps."""
    f = with_control({"bipolar": True, "off_at": -0.046}, lost_after_steps=40)
    assert f["vreset_mV"] is None
    assert f["stats"]["resets"]["relaxed_at_zero_bias"] == 4
    assert f["stats"]["zero_bias_hold"] == {"held_ms": pytest.approx(50.0), "held_through": False}
    assert f["stats"]["cycles"] == 4  # the control is not one of the cycles


def test_a_fall_earlier_than_the_state_lasts_at_0_v_is_field_driven():
    f = with_control({"v_reset": 0.046}, lost_after_steps=120)  # held at 0 V for 100 steps
    assert f["vreset_mV"] == pytest.approx(46)
    assert f["stats"]["resets"]["field_driven"] == 4
    assert with_control({"v_reset": 0.046}, None)["vreset_mV"] == pytest.approx(46)


def test_vset_needs_a_set_in_at_least_half_the_cycles():
    parts = [loop(v_set=0.06)] + [loop(v_set=10.0) for _ in range(4)]  # sets once
    v, i, phase = (np.concatenate([p[k] for p in parts]) for k in range(3))
    cycle = np.concatenate([np.full(p[0].size, c + 1) for c, p in enumerate(parts)])
    f = analyze_iv(v, i, cycle, phase)
    assert f["vset_mV"] is None
    assert f["stats"]["vset_mV"]["reason"] == "set in 1 of 5 cycles (fewer than half)"
    assert f["stats"]["vset_mV"]["values"] == [pytest.approx(60)]
