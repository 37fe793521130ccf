"""I-V loops: Vset, Vreset and On/Off of each cycle, and their summary.

Vset of a cycle is the sweep voltage of the steepest rise of log|I| on the up branch, if
that rise spans more than one decade (or more than half the cycle's On/Off window in
decades, for devices whose whole window is about a decade); otherwise the first point at
>= 0.9 of compliance.
Vreset is the first point of the negative branch where |I| falls more than tenfold (or by
half the window) below the largest of the three points before it; it is reported as a
magnitude, as in Table 1.
On/Off is the LRS current, the median |I| near ``v_read`` on the down branch right after the
set, over the HRS current, read at ``v_read`` before the cycle from the relaxed (or reset)
state. Each point carries a phase: rest at 0 V, the HRS read, or the sweep itself.
"""

import math
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from .summary import spread


class IvPhase(IntEnum):
    """The phase of each point of an I-V cycle (the ``phase`` column of an iv-sweep run)."""

    REST = 0
    READ = 1
    SWEEP = 2


MIN_DECADES = 1.0  # a set must raise the current by more than this
RESET_FACTOR = 10.0  # a reset must lower |I| by more than this
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


def _log_current(i: np.ndarray) -> np.ndarray:
    """log10|I| with single-point noise spikes removed (running median of three)."""
    with np.errstate(divide="ignore"):
        log_i = np.log10(np.abs(i))
    log_i[~np.isfinite(log_i)] = np.nan
    if log_i.size >= 3:
        stacked = np.vstack([np.r_[log_i[0], log_i[:-1]], log_i, np.r_[log_i[1:], log_i[-1]]])
        log_i = np.nanmedian(stacked, axis=0)
    return log_i


def find_vset(
    v: np.ndarray, i: np.ndarray, compliance: float | None, min_decades: float = MIN_DECADES
) -> float | None:
    """Set voltage on an up branch (arrays in sweep order), or None if it never switched."""
    if v.size < 2 or not np.any(np.isfinite(i)):
        return None
    log_i = _log_current(i)
    jumps = np.diff(log_i)
    if np.any(np.isfinite(jumps)):
        k = int(np.nanargmax(jumps))
        before = np.nanmedian(log_i[max(0, k - NEIGHBOURS + 1) : k + 1])
        after = np.nanmedian(log_i[k + 1 : k + 1 + NEIGHBOURS])
        if after - before > min_decades:
            return float(v[k + 1])
    if compliance:
        high = np.flatnonzero(np.abs(i) >= 0.9 * compliance)
        if high.size:
            return float(v[high[0]])
    return None


def find_vreset(v: np.ndarray, i: np.ndarray, factor: float = RESET_FACTOR) -> float | None:
    """|V| where the current first falls ``factor``-fold on a negative branch, or None."""
    magnitude = np.abs(i)
    for k in range(1, v.size):
        previous = magnitude[max(0, k - NEIGHBOURS) : k]
        if np.isfinite(magnitude[k]) and magnitude[k] * factor < np.nanmax(previous):
            return float(abs(v[k]))
    return None


def current_near(v: np.ndarray, i: np.ndarray, v_read: float, tolerance: float) -> float | None:
    near = np.abs(v - v_read) <= tolerance
    values = np.abs(i[near])
    values = values[np.isfinite(values)]
    return float(np.median(values)) if values.size else None


def analyze_cycle(v_src, i, phase, *, compliance, v_read, step) -> dict:
    """Figures of one I-V cycle: vset_V, vreset_V, hrs_A, lrs_A, on_off (None if absent)."""
    sweep = phase == IvPhase.SWEEP
    v, i_sweep = v_src[sweep], i[sweep]
    b = split_branches(v)
    reads = np.abs(i[phase == IvPhase.READ])
    hrs = float(np.median(reads)) if reads.size else None
    lrs = current_near(v[b.down], i_sweep[b.down], v_read, 2.5 * step)
    window = math.log10(lrs / hrs) if hrs and lrs and lrs > hrs else 2 * MIN_DECADES
    decades = min(MIN_DECADES, window / 2)  # a narrow window asks for half of it
    vset = find_vset(v[b.up], i_sweep[b.up], compliance, decades)
    vreset = (
        find_vreset(v[b.negative], i_sweep[b.negative], 10**decades) if b.negative.size else None
    )
    return {
        "vset_V": vset,
        "vreset_V": vreset,
        "hrs_A": hrs,
        "lrs_A": lrs,
        "on_off": lrs / hrs if vset is not None and hrs and lrs else None,
    }


def summarize_iv(cycles: list[dict], *, bipolar: bool, current_floor: float = 0.0) -> dict:
    """The summary of the per-cycle figures (``analyze_cycle``): Table 1 keys plus ``stats``
    with the spreads.

    ``current_floor`` is the smallest current the instrument resolves (an instrument fact);
    an HRS read below it makes On/Off a lower bound, flagged as ``on_off_lower_bound``."""
    stats = {
        "vset_mV": spread([c["vset_V"] for c in cycles], 1e3),
        "vreset_mV": spread(
            [c["vreset_V"] for c in cycles],
            1e3,
            missing=("not found in any cycle" if bipolar else "not measured: unipolar sweep"),
        ),
        "on_off_ratio": spread([c["on_off"] for c in cycles]),
        "hrs_A": spread([c["hrs_A"] for c in cycles]),
        "lrs_A": spread([c["lrs_A"] for c in cycles]),
    }
    stats["cycles"] = len(cycles)
    hrs = stats["hrs_A"]["median"]
    return {
        "vset_mV": stats["vset_mV"]["median"],
        "vreset_mV": stats["vreset_mV"]["median"],
        "on_off_ratio": stats["on_off_ratio"]["median"],
        "on_off_lower_bound": hrs is not None and hrs <= current_floor,
        "stats": stats,
    }
