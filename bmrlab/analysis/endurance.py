"""Endurance: how many set/reset (or set/relax) cycles keep the On/Off window open, and
which cycles failed to switch.

At read cycles, the LRS is read right after the set and the HRS after the reset (or the
relaxation): once on the run's measure range (the compliance range, in the list) and once
more on a finer range, settled and with a longer aperture (the resolved read), so the HRS
is seen rather than the floor of the compliance range. On/Off uses the resolved HRS when
the finer range held it, else the compliance-range read; each read counts at least its own
floor. The figure is the last read cycle whose On/Off is still >= 10, once the window has
closed at two read cycles in a row (one low read can be noise); a device whose window never
closes within the run is censored at its last cycle (Lanza et al., ACS Nano 15, 17214
(2021): the window criterion and the read scheme are reported with the figure).

Every cycle's switching is checked from the instrument's own reading at the end of each set
pulse (and reset pulse): a set that did not reach the set threshold, or a reset that did not
fall below it, is a failed cycle. The threshold is the geometric mean of the LRS and HRS
read currents scaled to the pulse amplitude, as retention takes sqrt(G_on G_off).
"""

from enum import IntEnum

import numpy as np


class EndurancePhase(IntEnum):
    """What a row of an endurance run is (the ``phase`` column)."""

    LRS_READ = 1  # right after the set pulse, on the run's measure range
    HRS_READ = 2  # at the end of a read cycle, on the run's measure range
    SET = 3  # the reading at the end of every cycle's set pulse
    RESET = 4  # the reading at the end of every cycle's reset pulse (nonvolatile)
    HRS_RESOLVED = 5  # the HRS again on a finer range, settled, with a longer aperture


WINDOW = 10.0  # On/Off below this is a closed window
CONFIRM = 2  # read cycles in a row below the window that end the device's life
# The smallest current a read tells from nothing, as a fraction of its measure range: the
# list reads use the run's short aperture (0.1 % of the range); the resolved read integrates
# a power-line cycle or more (ten counts of a 6 1/2-digit reading).
LIST_FLOOR = 1e-3
RESOLVED_FLOOR = 1e-5


def on_off(lrs_current, hrs_current, floor=0.0) -> np.ndarray:
    """LRS over HRS current (the HRS at least ``floor``, the read's resolution)."""
    lrs = np.abs(np.asarray(lrs_current, dtype=float))
    hrs = np.maximum(np.abs(np.asarray(hrs_current, dtype=float)), floor)
    with np.errstate(divide="ignore", invalid="ignore"):
        return lrs / hrs


def hrs_in_use(list_hrs, list_range, resolved_hrs, resolved_range) -> tuple[np.ndarray, ...]:
    """Per read cycle: the HRS current On/Off uses, its floor, and whether it came from the
    resolved read. The resolved read is used where it was taken and its range held it
    (finite); otherwise the compliance-range read of the list, at its coarser floor."""
    list_hrs = np.abs(np.asarray(list_hrs, dtype=float))
    resolved_hrs = np.abs(np.asarray(resolved_hrs, dtype=float))
    resolved = np.isfinite(resolved_hrs)
    hrs = np.where(resolved, resolved_hrs, list_hrs)
    floor = np.where(
        resolved,
        RESOLVED_FLOOR * np.asarray(resolved_range, dtype=float),
        LIST_FLOOR * np.asarray(list_range, dtype=float),
    )
    return hrs, floor, resolved


def switch_threshold(
    lrs_read: float | None, hrs_read: float | None, v_read: float, v_pulse: float, compliance
) -> float | None:
    """The current that tells a switched from an unswitched device at the end of a pulse of
    ``v_pulse``: the geometric mean of the LRS read (capped at the compliance) and the HRS
    read, both scaled from ``v_read`` to the pulse, and at least the list floor. None
    without reads."""
    if lrs_read is None or hrs_read is None:
        return None
    scale = abs(v_pulse) / v_read
    lrs = min(abs(lrs_read) * scale, compliance)
    hrs = abs(hrs_read) * scale
    return float(max(np.sqrt(lrs * hrs), LIST_FLOOR * compliance))


def failed_sets(set_currents, threshold: float) -> np.ndarray:
    """Which set pulses ended below ``threshold`` (a current above the range, NaN, set)."""
    current = np.nan_to_num(np.abs(np.asarray(set_currents, dtype=float)), nan=np.inf)
    return current < threshold


def failed_resets(reset_currents, threshold: float) -> np.ndarray:
    """Which reset pulses ended at or above ``threshold`` (above the range, NaN, too)."""
    current = np.nan_to_num(np.abs(np.asarray(reset_currents, dtype=float)), nan=np.inf)
    return current >= threshold


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
    """The endurance figure from On/Off at read cycles: cycles, whether censored, the index
    of the read that closed the window (None if it never closed), and why when there is no
    figure."""
    cycles = np.asarray(cycles)
    ratios = np.asarray(ratios, dtype=float)
    if cycles.size == 0:
        return {"cycles": None, "censored": False, "closed": None, "reason": "no cycle was read"}
    k = closed_at(ratios, window, confirm)
    if k is None:
        return {"cycles": int(cycles[-1]), "censored": True, "closed": None}
    if k == 0:
        return {
            "cycles": None,
            "censored": False,
            "closed": 0,
            "reason": f"On/Off was below {window:g} from the first read",
        }
    return {"cycles": int(cycles[k - 1]), "censored": False, "closed": k}


def floor_limited(hrs, floor, closed: int | None, confirm: int = CONFIRM) -> bool:
    """Whether an HRS read that closed the window was at its floor: then On/Off there is a
    lower bound, the window may still have been open, and so the figure is a lower bound."""
    if closed is None:
        return False
    reads = slice(closed, closed + confirm)
    return bool(np.any(np.asarray(hrs)[reads] <= np.asarray(floor)[reads]))


def read_cycles(max_cycles: int, per_decade: int) -> np.ndarray:
    """Log-spaced cycle numbers from 1 to ``max_cycles``, ``per_decade`` in each decade."""
    n = int(np.ceil(np.log10(max(max_cycles, 1)) * per_decade)) + 1
    return np.unique(np.round(np.logspace(0, np.log10(max_cycles), n)).astype(int))
