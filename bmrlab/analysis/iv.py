"""I-V loops: Vset, Vreset and On/Off of each cycle, how each cycle's low-resistance state
ended, and their summary.

Vset of a cycle is the sweep voltage of the steepest rise of log|I| on the up branch, if
that rise spans more than one decade (or more than half the cycle's On/Off window in
decades, for devices whose whole window is about a decade); otherwise the first point at
>= 0.9 of compliance.
The end of the low-resistance state is where, after the peak, the conductance |I|/|V|
first falls more than tenfold (or by half the window) below the largest it had on the way.
Only a field-driven reset gives Vreset: a fall on the negative branch, within three steps,
at a bias above the read voltage, earlier than the state is lost at 0 V (a bipolar run's
control cycle holds 0 V instead of sweeping the negative branch, and reads now and then).
A fall on the way back down the positive branch, near 0 V, spread over more steps, or no
sooner than at 0 V is the state relaxing by itself (a volatile filament dissolving), not a
reset; a cycle may also keep its state through the whole sweep.
Vreset is reported as a magnitude, as in Table 1.
On/Off is the LRS current, the median |I| near ``v_read`` on the down branch right after the
set, over the HRS current, read at ``v_read`` before the cycle from the relaxed (or reset)
state; the power in the LRS is ``v_read`` times that LRS current. Each point carries a phase:
rest at 0 V, the HRS read, the sweep itself, or the control cycle's hold at 0 V and its reads.
"""

import math
from dataclasses import dataclass
from enum import Enum, IntEnum

import numpy as np

from .summary import no_median, spread


class IvPhase(IntEnum):
    """The phase of each point of an I-V cycle (the ``phase`` column of an iv-sweep run)."""

    REST = 0
    READ = 1
    SWEEP = 2
    HOLD = 3  # the control cycle: 0 V where the other cycles sweep the negative branch
    HOLD_READ = 4  # the control cycle: a read at v_read during the hold


MIN_DECADES = 1.0  # a set must raise the current by more than this
NARROWEST_WINDOW = MIN_DECADES / 2  # an LRS read within 10^0.5 of the HRS read: no window
RESET_FACTOR = 10.0  # the end of the LRS lowers the conductance by more than this
NEIGHBOURS = 3  # points on each side used to judge a jump


@dataclass
class Branches:
    up: np.ndarray  # indices, 0 -> +v_max
    down: np.ndarray  # +v_max -> 0
    negative: np.ndarray  # 0 -> -v_neg (where a reset happens)


def split_branches(v: np.ndarray) -> Branches:
    """Split one cycle's sweep levels into its branches (points at 0 V belong to none)."""
    k_peak = int(np.argmax(v)) if v.size else 0
    index = np.arange(v.size)
    up = index[: k_peak + 1][v[: k_peak + 1] > 0]
    after = index[k_peak + 1 :]
    leaves = np.flatnonzero(v[after] <= 0)
    down = after[: leaves[0]] if leaves.size else after
    negative = index[v < 0]
    if negative.size:
        negative = negative[: int(np.argmin(v[negative])) + 1]
    return Branches(up, down, negative)


def _log_magnitude(i: np.ndarray) -> np.ndarray:
    """log10|x| (a current, a conductance) with single-point noise spikes removed (running
    median of three)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        log_i = np.log10(np.abs(i))
    log_i[~np.isfinite(log_i)] = np.nan
    if log_i.size >= 3:
        stacked = np.vstack([np.r_[log_i[0], log_i[:-1]], log_i, np.r_[log_i[1:], log_i[-1]]])
        log_i = np.nanmedian(stacked, axis=0)
    return log_i


def find_vset(
    v: np.ndarray, i: np.ndarray, compliance: float | None, min_decades: float = MIN_DECADES
) -> float | None:
    """Set voltage on an up branch (arrays in sweep order, V > 0), or None if it never
    switched. Judged on the conductance |I|/V: a set raises it, while the current of an
    unchanged device rises with V by itself (fourfold from 1 to 4 mV)."""
    if v.size < 2 or not np.any(np.isfinite(i)):
        return None
    log_g = _log_magnitude(i / v)
    jumps = np.diff(log_g)
    if np.any(np.isfinite(jumps)):
        k = int(np.nanargmax(jumps))
        before = np.nanmedian(log_g[max(0, k - NEIGHBOURS + 1) : k + 1])
        after = np.nanmedian(log_g[k + 1 : k + 1 + NEIGHBOURS])
        if after - before > min_decades:
            return float(v[k + 1])
    if compliance:  # a set spread over steps: where it reaches the compliance, if it rose
        high = np.flatnonzero(np.abs(i) >= 0.9 * compliance)
        start = log_g[:NEIGHBOURS]
        if high.size and high[0] > 0 and np.any(np.isfinite(start)):
            if log_g[high[0]] - np.nanmedian(start) > min_decades:  # not a resistor's
                return float(v[high[0]])
    return None


class ResetKind(str, Enum):
    """How the low-resistance state of a cycle ended (see ``classify_reset``)."""

    FIELD_DRIVEN = "field_driven"  # abrupt fall on the negative branch, beyond v_read
    RELAXED_POSITIVE = "relaxed_positive"  # fell on the way back down the positive branch
    RELAXED_NEAR_ZERO = "relaxed_near_zero"  # fell on the negative branch within v_read of 0 V
    RELAXED_AT_ZERO_BIAS = "relaxed_at_zero_bias"  # a control held at 0 V lost it as soon
    GRADUAL = "gradual"  # fell tenfold, but over more than NEIGHBOURS steps
    HELD = "held"  # no fall: the state outlasted the sweep
    NO_SET = "no_set"  # the cycle did not set: nothing to reset


NO_FIELD_DRIVEN = "no field-driven reset"  # how a reason made of the counts begins
RESET_WORDS = {
    ResetKind.FIELD_DRIVEN: "reset by the field",
    ResetKind.RELAXED_POSITIVE: "relaxed on the way down the positive branch",
    ResetKind.RELAXED_NEAR_ZERO: "relaxed near 0 V (within the read voltage)",
    ResetKind.RELAXED_AT_ZERO_BIAS: "fell no sooner than a hold at 0 V loses the state",
    ResetKind.GRADUAL: "fell gradually (over more than three steps)",
    ResetKind.HELD: "kept the state through the sweep",
    ResetKind.NO_SET: "did not set",
}


@dataclass(frozen=True)
class Fall:
    """Where the conductance of a cycle fell after the peak."""

    v: float  # programmed bias of the first point below (V, signed)
    negative: bool  # on the negative branch (else on the way down the positive one)
    abrupt: bool  # the whole fall within NEIGHBOURS steps
    steps: int  # on the negative branch: steps since the sweep left 0 V (else 0)


def find_fall(v: np.ndarray, i: np.ndarray, factor: float = RESET_FACTOR) -> Fall | None:
    """The first point, in sweep order from the peak (the down branch, then the negative
    branch; 0 V points excluded), whose conductance |I|/|V| is more than ``factor`` below
    the largest before it; None if there is none. Conductance, not current: on the way
    down the current of an intact filament falls with V by itself."""
    if v.size < 2:
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        g = _log_magnitude(np.abs(i) / np.abs(v))
    drop = math.log10(factor)
    highest_before = np.fmax.accumulate(g)[:-1]  # NaN only before the first finite point
    with np.errstate(invalid="ignore"):
        below = np.flatnonzero(g[1:] < highest_before - drop)
    if not below.size:
        return None
    k = int(below[0]) + 1
    recent = g[max(0, k - NEIGHBOURS) : k]
    abrupt = bool(np.any(np.isfinite(recent)) and g[k] < np.nanmax(recent) - drop)
    negative = bool(v[k] < 0)
    steps = k - int(np.argmax(v < 0)) + 1 if negative else 0
    return Fall(float(v[k]), negative, abrupt, steps)


def classify_reset(fall: Fall | None, set_found: bool, v_read: float) -> ResetKind:
    """Field-driven only if the fall is on the negative branch, abrupt, and at a bias above
    ``v_read`` (the bias the protocol reads at because it does not switch the device: a
    state lost there was lost by itself). The control cycle may still show that such a
    state is lost as soon at 0 V (``apply_control``)."""
    if not set_found:
        return ResetKind.NO_SET
    if fall is None:
        return ResetKind.HELD
    if not fall.negative:
        return ResetKind.RELAXED_POSITIVE
    if not fall.abrupt:
        return ResetKind.GRADUAL
    if abs(fall.v) <= v_read:
        return ResetKind.RELAXED_NEAR_ZERO
    return ResetKind.FIELD_DRIVEN


def zero_bias_hold(i, phase, lrs: float | None, factor: float = RESET_FACTOR) -> dict | None:
    """What the control cycle's hold at 0 V showed: ``held_steps``, the steps after the
    down branch at which the last read before a fall still found the low-resistance state
    (0 if none did), and whether it was still there at the last read (``held_through``). A
    read more than ``factor`` below the LRS current ``lrs`` (at the same v_read on the down
    branch) has lost it. None if the control did not set (no ``lrs``) or has no reads."""
    hold = np.flatnonzero((phase == IvPhase.HOLD) | (phase == IvPhase.HOLD_READ))
    reads = hold[phase[hold] == IvPhase.HOLD_READ]
    if lrs is None or not reads.size:
        return None
    steps = reads - hold[0] + 1
    lost = np.flatnonzero(~(np.abs(i[reads]) * factor >= lrs))
    if not lost.size:
        return {"held_steps": int(steps[-1]), "held_through": True}
    return {"held_steps": int(steps[lost[0] - 1]) if lost[0] else 0, "held_through": False}


def current_near(v: np.ndarray, i: np.ndarray, v_read: float, tolerance: float) -> float | None:
    near = np.abs(v - v_read) <= tolerance
    values = np.abs(i[near])
    values = values[np.isfinite(values)]
    return float(np.median(values)) if values.size else None


def analyze_cycle(v_src, i, phase, *, compliance, v_read, step) -> dict:
    """Figures of one I-V cycle: vset_V, vreset_V (field-driven resets only), hrs_A, lrs_A,
    on_off, lrs_power_W (None if absent); ``reset``, how its low-resistance state ended
    (a ``ResetKind`` value), ``fall_V``, the |V| where it fell (None if it did not), and
    ``fall_steps``, when on the negative branch (steps after leaving 0 V). A control cycle
    (a hold at 0 V instead of the negative branch) also gets ``hold``: what it showed."""
    sweep = phase == IvPhase.SWEEP
    v, i_sweep = v_src[sweep], i[sweep]
    b = split_branches(v)
    reads = np.abs(i[phase == IvPhase.READ])
    hrs = float(np.median(reads)) if reads.size else None
    lrs = current_near(v[b.down], i_sweep[b.down], v_read, 2.5 * step)
    window = math.log10(lrs / hrs) if hrs and lrs and lrs > hrs else 0.0
    # a narrow window asks for half of it; none (the LRS read within 10^0.5 of the HRS, as
    # on a device that never set) asks for the full decade, not for half of the noise
    decades = min(MIN_DECADES, window / 2) if window > NARROWEST_WINDOW else MIN_DECADES
    vset = find_vset(v[b.up], i_sweep[b.up], compliance, decades)
    after_peak = np.concatenate([b.down, b.negative])
    fall = find_fall(v[after_peak], i_sweep[after_peak], 10**decades)
    reset = classify_reset(fall, vset is not None, v_read)
    lrs_of_set = lrs if vset is not None else None  # a cycle without a set has no LRS
    figures = {
        "vset_V": vset,
        "vreset_V": abs(fall.v) if fall and reset is ResetKind.FIELD_DRIVEN else None,
        "reset": reset.value,
        "fall_V": abs(fall.v) if fall and vset is not None else None,
        "fall_steps": fall.steps if fall else 0,
        "hrs_A": hrs,
        "lrs_A": lrs,
        "on_off": lrs_of_set / hrs if lrs_of_set and hrs else None,
        "lrs_power_W": v_read * lrs_of_set if lrs_of_set is not None else None,
    }
    if np.any(phase == IvPhase.HOLD):
        figures["hold"] = zero_bias_hold(i, phase, lrs_of_set, 10**decades)
    return figures


def apply_control(cycles: list[dict], hold: dict) -> list[dict]:
    """The cycles with the control's verdict: a field-driven reset that came later than
    the control cycle still held its state at 0 V (``hold["held_steps"]``) is not shown to
    need the field: it becomes ``relaxed_at_zero_bias``, without a Vreset."""
    if hold["held_through"]:
        return cycles
    return [
        {**c, "reset": ResetKind.RELAXED_AT_ZERO_BIAS.value, "vreset_V": None}
        if c["reset"] == ResetKind.FIELD_DRIVEN.value and c["fall_steps"] > hold["held_steps"]
        else c
        for c in cycles
    ]


def reset_counts(cycles: list[dict]) -> dict:
    """How many cycles ended their low-resistance state in each way (``ResetKind``)."""
    kinds = [c["reset"] for c in cycles]
    return {kind.value: kinds.count(kind.value) for kind in ResetKind}


def vreset_reason(cycles: list[dict], counts: dict, bipolar: bool) -> str | None:
    """Why there is no Vreset (None when there is one): a unipolar sweep, or most cycles
    that set did not end in a field-driven reset; says how they ended and where."""
    if not bipolar:
        return "not measured: unipolar sweep"
    set_cycles = len(cycles) - counts[ResetKind.NO_SET.value]
    if not set_cycles:
        return "no cycle set: nothing to reset"
    if 2 * counts[ResetKind.FIELD_DRIVEN.value] >= set_cycles:
        return None
    parts = []
    for kind, words in RESET_WORDS.items():
        n = counts[kind.value]
        if n and kind is not ResetKind.NO_SET:
            where = [c["fall_V"] for c in cycles if c["reset"] == kind.value and c["fall_V"]]
            at = f" (median {np.median(where) * 1e3:.0f} mV)" if where else ""
            parts.append(f"{n} {words}{at}")
    return f"{NO_FIELD_DRIVEN} in most of the {set_cycles} cycles that set: " + ", ".join(parts)


def vset_spread(vsets: list[float | None]) -> dict:
    """Vset over the cycles, given only when at least half of them set, as Vreset: a device
    that set in one cycle of twenty (or whose noise once looked like a set) has no Vset, and
    the reason says in how many it set."""
    found = [v * 1e3 for v in vsets if v is not None]
    if found and 2 * len(found) < len(vsets):
        return no_median(f"set in {len(found)} of {len(vsets)} cycles (fewer than half)", found)
    return spread(found)


def summarize_iv(
    cycles: list[dict], *, bipolar: bool, current_floor: float = 0.0, step_s: float = 0.0
) -> dict:
    """The summary of the per-cycle figures (``analyze_cycle``): Table 1 keys plus ``stats``
    with the spreads and the count of each way the low-resistance state ended.

    Vreset is the median over the field-driven resets, given only when at least half the
    cycles that set ended in one; otherwise its ``reason`` says how they ended. A control
    cycle (``hold`` in its figures) is not one of the cycles: it only tells whether the
    state lasts at 0 V as long as the negative branch needed to remove it; ``step_s`` (the
    dwell) gives its time in ms.
    ``current_floor`` is the smallest current the instrument resolves (an instrument fact);
    an HRS read below it makes On/Off a lower bound, flagged as ``on_off_lower_bound``."""
    holds = [c["hold"] for c in cycles if "hold" in c]
    cycles = [c for c in cycles if "hold" not in c]
    hold = holds[0] if holds else None
    if hold is not None:
        cycles = apply_control(cycles, hold)
    counts = reset_counts(cycles)
    reason = vreset_reason(cycles, counts, bipolar)
    stats: dict = {
        "vset_mV": vset_spread([c["vset_V"] for c in cycles]),
        "vreset_mV": spread(
            [] if reason else [c["vreset_V"] for c in cycles],
            1e3,
            missing=reason or "not found in any cycle",
        ),
        "on_off_ratio": spread([c["on_off"] for c in cycles]),
        "hrs_A": spread([c["hrs_A"] for c in cycles]),
        "lrs_A": spread([c["lrs_A"] for c in cycles]),
        "lrs_power_nW": spread(
            [c["lrs_power_W"] for c in cycles], 1e9, missing="no cycle set: no LRS to read"
        ),
        "resets": counts,
        "zero_bias_hold": None
        if hold is None
        else {"held_ms": hold["held_steps"] * step_s * 1e3, "held_through": hold["held_through"]},
        "cycles": len(cycles),
    }
    hrs = stats["hrs_A"]["median"]
    return {
        "vset_mV": stats["vset_mV"]["median"],
        "vreset_mV": stats["vreset_mV"]["median"],
        "on_off_ratio": stats["on_off_ratio"]["median"],
        "on_off_lower_bound": hrs is not None and hrs <= current_floor,
        "lrs_power_nW": stats["lrs_power_nW"]["median"],
        "stats": stats,
    }
