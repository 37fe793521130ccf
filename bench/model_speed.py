"""How fast the device model runs the long protocols (wall seconds), no instruments.

A 10^4-cycle endurance (set pulse, relax, read) and a 10^4 s retention of a nonvolatile
device with log-spaced reads: both must take seconds, since the simulator is what tests
and demos run on. Run: ``python bench/model_speed.py``.
"""

import json
import sys
import time

import numpy as np

from bmrlab.sim.library import load_device
from bmrlab.sim.model import BmrDevice


def endurance(cycles: int = 10_000) -> tuple[float, int]:
    """Volatile ag-pnw-ag: 100 mV / 20 ms set, 0.2 s relaxation with a 20 mV read, per cycle."""
    device = BmrDevice(load_device("ag-pnw-ag").params, seed=1)
    start = time.perf_counter()
    t = 0.0
    for _ in range(cycles):
        for duration, volts in ((20e-3, 0.1), (0.2, 0.0), (1e-3, 0.02)):
            t += duration
            device.advance(t, volts, 1e-6)
    return time.perf_counter() - start, device.sets


def retention(seconds: float = 1e4, reads: int = 200) -> tuple[float, bool]:
    """Nonvolatile ag-bioi-pt: set, then log-spaced 1 ms reads at 20 mV up to ``seconds``."""
    device = BmrDevice(load_device("ag-bioi-pt").params, seed=1)
    start = time.perf_counter()
    device.advance(0.1, 0.1, 1e-6)
    for t in np.logspace(-3, np.log10(seconds), reads):
        device.advance(0.1 + t, 0.0)
        device.advance(device.t + 1e-3, 0.02, 1e-6)
    return time.perf_counter() - start, device.bridged


def main() -> dict:
    wall_e, sets = endurance()
    wall_r, still_on = retention()
    return {
        "endurance_1e4_cycles_s": round(wall_e, 3),
        "endurance_sets": sets,
        "retention_1e4_s_wall_s": round(wall_r, 4),
        "retention_still_on": still_on,
    }


if __name__ == "__main__":
    json.dump(main(), sys.stdout, indent=1)
    print()
