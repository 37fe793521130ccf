"""Endurance: how many set/reset (or set/relax) cycles keep the On/Off window open.

At read cycles, the LRS is read right after the set and the HRS after the reset (or the
relaxation). The figure is the last read cycle whose On/Off is still >= 10, once the window
has closed at two read cycles in a row (one low read can be noise); a device whose window
never closes within the run is censored at its last cycle.
"""

from enum import IntEnum

import numpy as np


class EndurancePhase(IntEnum):
    """Which read a row of an endurance run is (the ``phase`` column)."""

    LRS_READ = 1
    HRS_READ = 2


WINDOW = 10.0  # On/Off below this is a closed window
CONFIRM = 2  # read cycles in a row below the window that end the device's life


def on_off(lrs_current, hrs_current, floor: float = 0.0) -> np.ndarray:
    """LRS over HRS current (the HRS at least ``floor``, the measure range's resolution)."""
    lrs = np.abs(np.asarray(lrs_current, dtype=float))
    hrs = np.maximum(np.abs(np.asarray(hrs_current, dtype=float)), floor)
    with np.errstate(divide="ignore", invalid="ignore"):
        return lrs / hrs


def closed_at(ratios, window: float = WINDOW, confirm: int = CONFIRM) -> int | None:
    """Index of the first read of ``confirm`` in a row below ``window`` (None if none)."""
    below = np.asarray(ratios, dtype=float) < window
    run = 0
    for k, low in enumerate(below):
        run = run + 1 if low else 0
        if run == confirm:
            return k - confirm + 1
    return None


def endurance(cycles, ratios, window: float = WINDOW, confirm: int = CONFIRM) -> dict:
    """The endurance figure from On/Off at read cycles: cycles, whether censored, and why
    when there is none."""
    cycles = np.asarray(cycles)
    ratios = np.asarray(ratios, dtype=float)
    if cycles.size == 0:
        return {"cycles": None, "censored": False, "reason": "no cycle was read"}
    k = closed_at(ratios, window, confirm)
    if k is None:
        return {"cycles": int(cycles[-1]), "censored": True}
    if k == 0:
        return {
            "cycles": None,
            "censored": False,
            "reason": f"On/Off was below {window:g} from the first read",
        }
    return {"cycles": int(cycles[k - 1]), "censored": False}


def read_cycles(max_cycles: int, per_decade: int) -> np.ndarray:
    """Log-spaced cycle numbers from 1 to ``max_cycles``, ``per_decade`` in each decade."""
    n = int(np.ceil(np.log10(max(max_cycles, 1)) * per_decade)) + 1
    return np.unique(np.round(np.logspace(0, np.log10(max_cycles), n)).astype(int))
