"""The safety guard: every level an instrument is asked to source passes through it.

Two lines of defence. Before a run, :meth:`Guard.check_voltage`,
:meth:`Guard.check_compliance` and :meth:`Guard.check_pulse_width` refuse parameters that
would exceed the station's limits, naming the parameter, the value and the limit (the run
never starts, nothing is sent). During a run, :meth:`Guard.levels` re-checks every level a
driver is about to send and raises :class:`SafetyViolation` before the write. A switch matrix
is part of the guard: :meth:`Guard.check_switching` lets a relay move only while the SMU
holds 0 V or is off.
"""

import math

import numpy as np

from .config import Limits
from .errors import BadInput, RunFailed
from .units import format_quantity


class SafetyViolation(RunFailed):
    """A driver was about to source something beyond the station limits; nothing was sent."""


class Guard:
    def __init__(self, limits: Limits, station_name: str = "station"):
        self.limits = limits
        self.station_name = station_name

    # --- before the run ----------------------------------------------------------------
    def _refuse(self, name: str, value: float, unit: str, allowed: str) -> BadInput:
        return BadInput(f"{name} = {value:g} {unit} is not allowed: {allowed}")

    def check_voltage(self, name: str, value: float) -> None:
        limit = self.limits.max_voltage
        if abs(value) > limit:
            raise self._refuse(
                name,
                abs(value),
                "V",
                f"the station limit is |V| <= {limit:g} V "
                f"(limits.max_voltage in {self.station_name})",
            )

    def check_compliance(self, name: str, value: float) -> None:
        limit = self.limits.max_compliance
        if not 0 < value <= limit:
            raise self._refuse(
                name,
                value,
                "A",
                f"the station allows 0 < compliance <= "
                f"{limit:g} A (limits.max_compliance in {self.station_name})",
            )

    def check_pulse_width(self, name: str, value: float) -> None:
        limit = self.limits.min_pulse_width
        if value < limit:
            raise self._refuse(
                name,
                value,
                "s",
                f"the station needs pulses >= {limit:g} s "
                f"(limits.min_pulse_width in {self.station_name})",
            )

    # --- during the run -------------------------------------------------------------------
    def levels(self, values) -> np.ndarray:
        """Return ``values`` if every one is finite and within max_voltage, else raise."""
        array = np.asarray(values, dtype=float)
        if array.size and (
            not np.all(np.isfinite(array)) or np.max(np.abs(array)) > self.limits.max_voltage
        ):
            worst = array[np.argmax(np.where(np.isfinite(array), np.abs(array), np.inf))]
            raise SafetyViolation(
                f"refused to source {format_quantity(float(worst), 'V')}: beyond "
                f"limits.max_voltage {format_quantity(self.limits.max_voltage, 'V')}"
            )
        return array

    def level(self, value: float) -> float:
        """One level, checked like :meth:`levels`."""
        return float(self.levels([value])[0])

    def compliance(self, value: float) -> float:
        if not 0 < value <= self.limits.max_compliance:
            raise SafetyViolation(f"refused current limit {format_quantity(value, 'A')}")
        return value

    def pulse_width(self, value: float) -> float:
        if not value >= self.limits.min_pulse_width:
            raise SafetyViolation(
                f"refused a pulse of {format_quantity(value, 's')}: shorter "
                f"than limits.min_pulse_width "
                f"{format_quantity(self.limits.min_pulse_width, 's')}"
            )
        return value

    def ramp(self, start: float, stop: float) -> np.ndarray:
        """Levels from ``start`` to ``stop`` in steps no larger than ``max_step``."""
        steps = max(1, math.ceil(abs(stop - start) / self.limits.max_step - 1e-9))
        return self.levels(np.linspace(start, stop, steps + 1)[1:])

    @staticmethod
    def check_switching(smu) -> None:
        """The switch interlock: a relay opens or closes only with the SMU (``smu``: the
        station's SMU interface, None before it is connected) at 0 V or its output off, so
        no device is connected or disconnected under bias (hot switching welds reed relays
        and puts a step on the device)."""
        if smu is not None and smu.output_on and smu.level != 0.0:
            raise SafetyViolation(
                f"refused to switch the matrix with the SMU at "
                f"{format_quantity(smu.level, 'V')}: a relay moves only at 0 V or with the "
                "output off"
            )

    @staticmethod
    def source_range(max_abs_v: float, ranges) -> float:
        """The smallest fixed source range that covers the run's largest |V|."""
        for r in ranges:
            if max_abs_v <= r:
                return r
        raise SafetyViolation(f"no source range covers {format_quantity(max_abs_v, 'V')}")
