"""Reference devices for the station check: an open circuit and an exact resistor.

They stand where a memristor would (``simulation: device: open`` or ``resistor:1GOhm`` in a
station file, or ``--device``), behind the interface the bench uses for a
:class:`~bmrlab.sim.model.BmrDevice`: ``current``, ``advance``, ``expose`` with its
``watchdog``, ``conductance``, ``t``, ``name`` and ``seed``. They have no state: the current
follows the drive at once.

``open`` is the probes lifted: only the stray conductance of probe arms and cables (1e-16 S,
100 TOhm) reaches the SMU, which then reads its own offset and noise. Their few fF of stray
capacitance are not modelled: every drive on the bench is piecewise constant, and a step's
charging current through the source's output resistance has died away nanoseconds later,
long before any reading's aperture.
"""

import math

from ..units import parse_resistance
from .model import Watchdog, WatchedPart

OPEN = "open"
RESISTOR = "resistor:"
STRAY_CONDUCTANCE_S = 1e-16  # probes up: insulation of the probe arms and triax cables


def is_reference(name: str) -> bool:
    return name == OPEN or name.startswith(RESISTOR)


def reference_conductance(name: str) -> float:
    """The conductance of ``open`` or ``resistor:<value>`` (BadInput for a bad value)."""
    if name == OPEN:
        return STRAY_CONDUCTANCE_S
    return 1.0 / parse_resistance(name.removeprefix(RESISTOR), f"device {name}", "resistor:1GOhm")


class ReferenceDevice(WatchedPart):
    """An ohmic part of fixed conductance in place of the device under test."""

    def __init__(self, p: float, seed: int = 0, name: str = "dut"):
        """``p``: the conductance (S), the part's only parameter; constructed like a
        BmrDevice (params, seed, name) so the bench can put a fresh one in its place."""
        self.p = p
        self.seed = seed  # nothing is random here; kept for the bench's bookkeeping
        self.name = name
        self.t = 0.0
        self.watchdog = Watchdog()

    def conductance(self) -> float:
        return self.p

    def current(self, v: float, i_limit: float = math.inf) -> tuple[float, bool]:
        """Ohm's law, clipped by the source's current limit."""
        i = self.p * v
        if abs(i) > i_limit:
            return math.copysign(i_limit, v), True
        return i, False

    def advance(self, t_end: float, v: float, i_limit: float = math.inf) -> None:
        """Hold ``v`` until ``t_end``: a limited source lets the voltage at the part fall."""
        if t_end <= self.t:
            return
        seen = v if abs(self.p * v) <= i_limit else math.copysign(i_limit / self.p, v)
        self.expose(seen)
        self.t = t_end


class ReferencePreset:
    """What the bench keeps of its device under test, for a reference part: its name, and no
    test conditions (as on hardware, where nothing is known about the device beforehand)."""

    def __init__(self, key: str):
        self.key = key
        self.conductance = reference_conductance(key)

    def conditions(self) -> dict:
        return {}

    def build(self, seed: int, name: str) -> ReferenceDevice:
        return ReferenceDevice(self.conductance, seed=seed, name=name)
